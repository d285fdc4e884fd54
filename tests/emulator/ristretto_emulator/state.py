"""Emulator-wide state that moto does not hold: per-account knobs, plans armed by
the control API for the *next* rollout / task / CodeDeploy deployment, and the
global request lock.  Everything here is wiped by reset()."""
from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_ECS_STEPS = 3
DEFAULT_CODEDEPLOY_STEPS = 1
DEFAULT_MINUTE_SECONDS = 60.0
ROLLOUT_MODES = ("steps", "time")
# rollout_mode "time": seconds each phase of a rolling deployment lasts (see ecs_rollouts)
PHASES = ("task_start", "health_check", "draining", "bake")
DEFAULT_PHASE_SECONDS = {"task_start": 2.0, "health_check": 2.0, "draining": 1.0, "bake": 0.0}

# moto is not thread-safe; the emulator serialises every AWS request and every
# control call.  Requests take a few milliseconds, so this costs little.
LOCK = threading.RLock()

_config: dict[str, dict[str, Any]] = {}
# (account, region|None, cluster, service) -> plan dict
ecs_outcomes: dict[tuple[str, str | None, str, str], dict[str, Any]] = {}
# (account, region|None, family) -> deque of plan dicts
task_plans: dict[tuple[str, str | None, str], deque] = {}
# (account, region|None, application, group) -> plan dict
codedeploy_outcomes: dict[tuple[str, str | None, str, str], dict[str, Any]] = {}

_reset_hooks: list[Callable[[], None]] = []


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    _reset_hooks.append(fn)
    return fn


def reset() -> None:
    _config.clear()
    ecs_outcomes.clear()
    task_plans.clear()
    codedeploy_outcomes.clear()
    for fn in _reset_hooks:
        fn()


def config(account: str) -> dict[str, Any]:
    cfg = _config.get(account)
    if cfg is None:
        cfg = {
            "ecs_steps": DEFAULT_ECS_STEPS,
            "codedeploy_steps": DEFAULT_CODEDEPLOY_STEPS,
            "minute_seconds": DEFAULT_MINUTE_SECONDS,
            "rollout_mode": "steps",
            "phase_seconds": dict(DEFAULT_PHASE_SECONDS),
        }
        _config[account] = cfg
    return cfg


def ecs_steps(account: str) -> int:
    return config(account)["ecs_steps"]


def codedeploy_steps(account: str) -> int:
    return config(account)["codedeploy_steps"]


def minute_seconds(account: str) -> float:
    """How many real seconds one AWS "minute" (bake, wait and timeout settings) lasts."""
    return config(account)["minute_seconds"]


def rollout_timing(account: str) -> dict[str, float] | None:
    """Phase durations when the account's rollouts run on the wall clock, else None."""
    cfg = config(account)
    return dict(cfg["phase_seconds"]) if cfg["rollout_mode"] == "time" else None


def take(plans: dict, account: str, region: str, *rest: str) -> Any:
    """Pops the plan for (account, region, *rest), falling back to a region-less plan."""
    for key in ((account, region, *rest), (account, None, *rest)):
        if key in plans:
            return plans.pop(key)
    return None


def take_task_plan(account: str, region: str, family: str) -> dict[str, Any] | None:
    for key in ((account, region, family), (account, None, family)):
        q = task_plans.get(key)
        if q:
            plan = q.popleft()
            if not q:
                del task_plans[key]
            return plan
    return None
