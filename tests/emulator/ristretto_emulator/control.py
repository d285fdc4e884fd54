"""The control API under /_emulator/ (JSON in, JSON out).  See README.md."""
from __future__ import annotations

import json
import math
import re
import traceback
from collections import deque
from typing import Any, Callable
from urllib.parse import parse_qs

from . import calls, state
from .util import ControlError

Handler = Callable[[dict[str, Any], dict[str, str]], Any]
ROUTES: dict[tuple[str, str], Handler] = {}


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        ROUTES[(method, path)] = fn
        return fn

    return deco


# ---------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------
_MISSING = object()


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
    value = body.get(name, _MISSING)
    if value is _MISSING or value is None:
        if default is _MISSING:
            raise ControlError(400, f"missing required field '{name}'", name)
        return default
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if bool in kinds and not isinstance(value, bool):
        raise ControlError(400, f"field '{name}' must be a boolean", name)
    if int in kinds and bool not in kinds and isinstance(value, bool):
        raise ControlError(400, f"field '{name}' must be an integer", name)
    if not isinstance(value, kinds):
        names = "/".join(k.__name__ for k in kinds)
        raise ControlError(400, f"field '{name}' must be of type {names}", name)
    if isinstance(value, str) and not value:
        raise ControlError(400, f"field '{name}' must not be empty", name)
    return value


def account_of(body: dict[str, Any]) -> str:
    account = field(body, "account", str, state.DEFAULT_ACCOUNT)
    if not re.fullmatch(r"\d{12}", account):
        raise ControlError(400, "field 'account' must be a 12-digit AWS account id", "account")
    return account


def region_of(body: dict[str, Any]) -> str | None:
    return field(body, "region", str, None)


def choice(body: dict[str, Any], name: str, options: tuple[str, ...], default: Any = _MISSING) -> str:
    value = field(body, name, str, default)
    if value not in options:
        raise ControlError(400, f"field '{name}' must be one of {', '.join(options)}", name)
    return value


def positive_int(body: dict[str, Any], name: str, default: Any = _MISSING, minimum: int = 1) -> int:
    value = field(body, name, int, default)
    if value is not None and value < minimum:
        raise ControlError(400, f"field '{name}' must be >= {minimum}", name)
    return value


def positive_number(body: dict[str, Any], name: str) -> float | None:
    """An optional finite number > 0 (int or float, not bool)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ControlError(400, f"field '{name}' must be a number", name)
    if value <= 0:
        raise ControlError(400, f"field '{name}' must be > 0", name)
    return float(value)


def _regions_to_search(backends: Any, account: str, region: str | None) -> list[str]:
    if region:
        return [region]
    existing = list(backends[account].keys())
    return sorted(existing, key=lambda r: (r != state.DEFAULT_REGION, r))


def find_service(body: dict[str, Any]) -> tuple[Any, Any]:
    """(ecs backend, moto Service) named by cluster/service/account/region."""
    from moto.ecs.models import ecs_backends

    account, region = account_of(body), region_of(body)
    cluster = field(body, "cluster", str, "default").split("/")[-1]
    service = field(body, "service", str).split("/")[-1]
    for r in _regions_to_search(ecs_backends, account, region):
        backend = ecs_backends[account][r]
        svc = backend.services.get(f"{cluster}:{service}")
        if svc is not None:
            return backend, svc
    where = f"region {region}" if region else "any region"
    raise ControlError(404, f"service {cluster}/{service} not found in account {account} ({where})", "service")


# ---------------------------------------------------------------------------
# routes
# ---------------------------------------------------------------------------
@route("GET", "/_emulator/health")
def health(body: dict[str, Any], query: dict[str, str]) -> Any:
    return {"status": "ok"}


@route("POST", "/_emulator/reset")
def reset(body: dict[str, Any], query: dict[str, str]) -> Any:
    from moto.moto_api._internal.models import moto_api_backend

    from . import throttling

    moto_api_backend.reset()
    state.reset()
    calls.clear()
    throttling.clear()
    return {"status": "ok"}


@route("GET", "/_emulator/config")
def get_config(body: dict[str, Any], query: dict[str, str]) -> Any:
    account = account_of({"account": query.get("account")} if query.get("account") else {})
    return {"account": account, **state.config(account)}


@route("POST", "/_emulator/config")
def set_config(body: dict[str, Any], query: dict[str, str]) -> Any:
    account = account_of(body)
    ecs_steps = positive_int(body, "ecs_steps", None)
    cd_steps = positive_int(body, "codedeploy_steps", None)
    minute = positive_number(body, "minute_seconds")
    mode = choice(body, "rollout_mode", state.ROLLOUT_MODES, None) if body.get("rollout_mode") is not None else None
    phases = _phase_seconds(body)
    unknown = set(body) - {"account", "region", "ecs_steps", "codedeploy_steps", "minute_seconds", "rollout_mode", "phase_seconds"}
    if unknown:
        name = sorted(unknown)[0]
        raise ControlError(400, f"unknown field '{name}'", name)
    cfg = state.config(account)
    if ecs_steps is not None:
        cfg["ecs_steps"] = ecs_steps
    if cd_steps is not None:
        cfg["codedeploy_steps"] = cd_steps
    if minute is not None:
        cfg["minute_seconds"] = minute
    if mode is not None:
        cfg["rollout_mode"] = mode
    if phases is not None:
        cfg["phase_seconds"].update(phases)
    return {"account": account, **cfg}


def _phase_seconds(body: dict[str, Any]) -> dict[str, float] | None:
    """Optional {"task_start"?, "health_check"?, "draining"?, "bake"?: seconds >= 0}."""
    phases = field(body, "phase_seconds", dict, None)
    if phases is None:
        return None
    out: dict[str, float] = {}
    for name, value in phases.items():
        if name not in state.PHASES:
            raise ControlError(400, f"phase_seconds: unknown phase '{name}' (one of {', '.join(state.PHASES)})", "phase_seconds")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ControlError(400, f"phase_seconds.{name} must be a number >= 0", "phase_seconds")
        out[name] = float(value)
    return out


@route("GET", "/_emulator/calls")
def get_calls(body: dict[str, Any], query: dict[str, str]) -> Any:
    return {
        "calls": calls.query(
            account=query.get("account"),
            access_key=query.get("access_key"),
            operation=query.get("operation"),
            service=query.get("service"),
            region=query.get("region"),
        )
    }


@route("POST", "/_emulator/calls/clear")
def clear_calls(body: dict[str, Any], query: dict[str, str]) -> Any:
    calls.clear()
    return {"status": "ok"}


# -- ECS request throttling (throttling.py) ---------------------------------
@route("GET", "/_emulator/throttling")
def get_throttling(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import throttling

    account = account_of({"account": query["account"]}) if query.get("account") else None
    return throttling.report(account, query.get("region") or None)


@route("POST", "/_emulator/throttling")
def set_throttling(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import throttling

    unknown = set(body) - {"account", "enabled", "scale", "reset", "inherit"}
    if unknown:
        name = sorted(unknown)[0]
        raise ControlError(400, f"unknown field '{name}'", name)
    account = account_of(body) if body.get("account") is not None else None
    enabled = field(body, "enabled", bool, None)
    scale = positive_number(body, "scale")
    reset = field(body, "reset", bool, False)
    inherit = field(body, "inherit", bool, False)
    if inherit:
        if account is None:
            raise ControlError(400, "field 'inherit' needs 'account'", "inherit")
        if enabled is not None or scale is not None:
            raise ControlError(400, "field 'inherit' cannot be combined with 'enabled' or 'scale'", "inherit")
        throttling.forget_account(account)
    throttling.configure(enabled, scale, account, reset)
    out = {"status": "ok", **throttling.settings(account)}
    if account is not None:
        out["account"] = account
    return out


# -- ECS services -----------------------------------------------------------
@route("POST", "/_emulator/ecs/outcome")
def ecs_outcome(body: dict[str, Any], query: dict[str, str]) -> Any:
    account, region = account_of(body), region_of(body)
    cluster = field(body, "cluster", str, "default").split("/")[-1]
    service = field(body, "service", str).split("/")[-1]
    outcome = choice(body, "outcome", ("fail", "succeed"))
    reason = field(body, "reason", str, None)
    key = (account, region, cluster, service)
    if outcome == "succeed":
        state.ecs_outcomes.pop(key, None)
    else:
        state.ecs_outcomes[key] = {"outcome": outcome, "reason": reason}
    return {"status": "ok", "account": account, "cluster": cluster, "service": service, "outcome": outcome}


def _service_state(backend: Any, svc: Any) -> dict[str, Any]:
    from .ecs_services import runtime
    from .util import epoch

    rt = runtime(svc, backend)
    sd = rt.sds[-1] if rt.sds else None
    return {
        "serviceArn": svc.arn,
        "status": svc.status,
        "taskDefinition": svc.task_definition,
        "desiredCount": svc.desired_count,
        "runningCount": svc.running_count,
        "deployments": [
            {"id": d.id, "status": d.status, "taskDefinition": d.revision.task_definition,
             "rolloutState": d.rollout_state, "runningCount": d.running, "desiredCount": d.desired}
            for d in rt.deployments
        ],
        "serviceDeployment": None if sd is None else {
            "serviceDeploymentArn": sd.arn,
            "status": sd.status,
            "lifecycleStage": sd.stage,
            "hooks": [{"hookId": h["hookId"], "status": h["status"], "targetType": h["targetType"]} for h in sd.hooks],
            "createdAt": epoch(sd.created_at),
        },
    }


@route("GET", "/_emulator/ecs/service")
def ecs_service(body: dict[str, Any], query: dict[str, str]) -> Any:
    backend, svc = find_service(dict(query))
    return _service_state(backend, svc)


@route("POST", "/_emulator/ecs/fail")
def ecs_fail(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import ecs_rollouts as ro
    from .ecs_services import runtime

    backend, svc = find_service(body)
    reason = field(body, "reason", str, None)
    rt = runtime(svc, backend)
    sd = rt.active
    if sd is None or sd.phase != "deploy":
        raise ControlError(409, f"service {svc.name} has no rollout in progress to fail", "service")
    ro.fail(rt, sd, reason)
    return _service_state(backend, svc)


@route("POST", "/_emulator/ecs/settle")
def ecs_settle(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import ecs_rollouts as ro
    from .ecs_services import runtime

    backend, svc = find_service(body)
    ro.settle(runtime(svc, backend))
    return _service_state(backend, svc)


# -- ECS tasks ---------------------------------------------------------------
@route("POST", "/_emulator/ecs/task-outcome")
def task_outcome(body: dict[str, Any], query: dict[str, str]) -> Any:
    account, region = account_of(body), region_of(body)
    family = field(body, "family", str)
    if ":" in family or "/" in family:
        raise ControlError(400, "field 'family' must be a task definition family name (no revision or ARN)", "family")
    fail_to_start = field(body, "failToStart", bool, False)
    exit_code = field(body, "exitCode", int, None if fail_to_start else _MISSING)
    plan = {
        "exitCode": exit_code if exit_code is not None else 0,
        "reason": field(body, "reason", str, None),
        "running_polls": positive_int(body, "running_polls", 2, minimum=0),
        "logs": field(body, "logs", list, []),
        "failToStart": fail_to_start,
        "container": field(body, "container", str, None),
    }
    if not all(isinstance(x, str) for x in plan["logs"]):
        raise ControlError(400, "field 'logs' must be a list of strings", "logs")
    state.task_plans.setdefault((account, region, family), deque()).append(plan)
    return {"status": "ok", "account": account, "family": family, "queued": len(state.task_plans[(account, region, family)])}


@route("POST", "/_emulator/ecs/task-exit")
def task_exit(body: dict[str, Any], query: dict[str, str]) -> Any:
    from moto.ecs.models import ecs_backends

    from . import tasks

    account, region = account_of(body), region_of(body)
    cluster = field(body, "cluster", str, "default").split("/")[-1]
    wanted = field(body, "task", str)
    exit_code = field(body, "exitCode", int)
    reason = field(body, "reason", str, "Essential container in task exited")
    for r in _regions_to_search(ecs_backends, account, region):
        task = tasks.find_task(ecs_backends[account][r], cluster, wanted)
        if task is not None:
            if task._emu is None:
                task._emu = tasks.TaskRuntime("run")
            tasks.stop_now(task, exit_code, "EssentialContainerExited", reason)
            return {"status": "ok", "taskArn": task.task_arn, "lastStatus": task.status}
    raise ControlError(404, f"task {wanted} not found in cluster {cluster} of account {account}", "task")


# -- CodeDeploy --------------------------------------------------------------
@route("POST", "/_emulator/codedeploy/outcome")
def codedeploy_outcome(body: dict[str, Any], query: dict[str, str]) -> Any:
    account, region = account_of(body), region_of(body)
    app = field(body, "application", str)
    group = field(body, "deploymentGroup", str)
    outcome = choice(body, "outcome", ("fail", "succeed"))
    error = field(body, "error", (str, dict), None)
    key = (account, region, app, group)
    if outcome == "succeed":
        state.codedeploy_outcomes.pop(key, None)
    else:
        state.codedeploy_outcomes[key] = {"outcome": outcome, "error": error}
    return {"status": "ok", "account": account, "application": app, "deploymentGroup": group, "outcome": outcome}


@route("POST", "/_emulator/codedeploy/status")
def codedeploy_status(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import codedeploy

    account, region = account_of(body), region_of(body)
    deployment_id = field(body, "deploymentId", str)
    status = choice(body, "status", codedeploy.STATUSES)
    error = field(body, "error", (str, dict), None)
    return codedeploy.force_status(account, region, deployment_id, status, error)


# -- replayed answers (replay.py) -------------------------------------------
@route("POST", "/_emulator/replay")
def replay_arm(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import replay

    account, region = account_of(body), region_of(body)
    operation = field(body, "operation", str)
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", operation):
        raise ControlError(400, "field 'operation' must be an API operation name such as DescribeServices", "operation")
    match = field(body, "match", dict, {})
    for key, value in match.items():
        if not isinstance(value, (str, int, bool)) or value == "":
            raise ControlError(400, f"match value for '{key}' must be a non-empty string, number or boolean", "match")
    if "response" not in body or not isinstance(body["response"], dict):
        raise ControlError(400, "missing required field 'response' (the JSON answer body, an object)", "response")
    unknown = set(body) - {"account", "region", "operation", "match", "response"}
    if unknown:
        name = sorted(unknown)[0]
        raise ControlError(400, f"unknown field '{name}'", name)
    entry = replay.arm(account, region, operation, match, body["response"])
    return {"status": "ok", "id": entry["id"], "account": account, "region": region, "operation": operation, "match": match}


@route("GET", "/_emulator/replay")
def replay_list(body: dict[str, Any], query: dict[str, str]) -> Any:
    from . import replay

    return {"replays": replay.listing()}


def _replay_clear(filters: dict[str, Any]) -> Any:
    from . import replay

    account = account_of(filters) if filters.get("account") else None
    removed = replay.clear(account, region_of(filters), field(filters, "operation", str, None))
    return {"status": "ok", "removed": removed}


@route("DELETE", "/_emulator/replay")
def replay_delete(body: dict[str, Any], query: dict[str, str]) -> Any:
    return _replay_clear(dict(query))


@route("POST", "/_emulator/replay/clear")
def replay_clear(body: dict[str, Any], query: dict[str, str]) -> Any:
    return _replay_clear(body)


# ---------------------------------------------------------------------------
# WSGI entry
# ---------------------------------------------------------------------------
def _respond(start_response: Any, status: int, payload: Any) -> list[bytes]:
    data = json.dumps(payload, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 500: "Internal Server Error"}
    start_response(
        f"{status} {reason.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def handle(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "").rstrip("/") or "/"
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    handler = ROUTES.get((method, path))
    if handler is None:
        if any(p == path for (_, p) in ROUTES):
            return _respond(start_response, 405, {"error": f"method {method} not allowed on {path}"})
        return _respond(start_response, 404, {"error": f"unknown control endpoint {path}"})
    body: dict[str, Any] = {}
    if method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                return _respond(start_response, 400, {"error": f"request body is not valid JSON: {exc}"})
            if not isinstance(body, dict):
                return _respond(start_response, 400, {"error": "request body must be a JSON object"})
    try:
        with state.LOCK:
            return _respond(start_response, 200, handler(body, query))
    except ControlError as exc:
        return _respond(start_response, exc.status, exc.body())
    except Exception as exc:  # noqa: BLE001 - never leak an HTML traceback
        traceback.print_exc()
        return _respond(start_response, 500, {"error": f"internal emulator error: {exc}"})
