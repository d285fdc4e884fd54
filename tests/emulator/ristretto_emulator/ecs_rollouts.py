"""The ECS rollout engine.

Each moto ``Service`` gets a ``ServiceRuntime`` (``service._emu``) that owns the
ECS ``deployments[]`` entries, the service-deployment records behind
List/DescribeServiceDeployments, the service revisions and the events.  Reads
(DescribeServices, DescribeServiceDeployments) call ``step()``, which moves an
in-flight rollout forward by one step; ``sync()`` writes the result back onto
the moto object so moto's serializer returns it.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from moto.utilities.utils import get_partition

from . import state
from .util import cb_threshold, digits, ecs_deployment_id, hook_id, now, service_deployment_id

ROLLING_STAGES = ["SCALE_UP", "CLEAN_UP"]
TRAFFIC_STAGES = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
]
# LINEAR/CANARY walk PRE_PRODUCTION_TRAFFIC_SHIFT again before every later traffic step.
STEP_STAGE = "PRE_PRODUCTION_TRAFFIC_SHIFT"


def reported_stage(stage: str) -> str:
    """The ServiceDeployment.lifecycleStage the API reports.  PRE_PRODUCTION_TRAFFIC_SHIFT is a
    hook stage (botocore DeploymentLifecycleHookStage) but not a ServiceDeploymentLifecycleStage
    value (botocore 1.44.8 enum: RECONCILE_SERVICE ... BAKE_TIME, CLEAN_UP), so while its hooks run
    the deployment reports PRODUCTION_TRAFFIC_SHIFT (the emulator's choice; the control API's
    /_emulator/ecs/service still shows the internal stage)."""
    return "PRODUCTION_TRAFFIC_SHIFT" if stage == STEP_STAGE else stage


# Stages AWS accepts only AWS_LAMBDA hooks at (DeploymentLifecycleHook.lifecycleStages).
LAMBDA_ONLY_STAGES = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
TERMINAL = {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "strategy": "ROLLING",
}
# Deployment-level inputs: a change to any of them starts a new deployment.
REVISION_FIELDS = [
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
    "loadBalancers",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
]
CB_REASON = "ECS deployment circuit breaker: tasks failed to start."
# AWS defaults (botocore ECS model): LinearConfiguration / CanaryConfiguration.
LINEAR_DEFAULTS = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}
CANARY_DEFAULTS = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}


def is_fargate(snapshot: dict[str, Any]) -> bool:
    return snapshot.get("launchType") == "FARGATE" or any(
        (c.get("capacityProvider") or "").startswith("FARGATE") for c in snapshot.get("capacityProviderStrategy") or []
    )


class Revision:
    """A service revision: what a deployment rolls out."""

    def __init__(self, rt: "ServiceRuntime", task_definition: str, snapshot: dict[str, Any]):
        self.id = digits(19)
        self.arn = f"{rt.arn_prefix}:service-revision/{rt.cluster_name}/{rt.name}/{self.id}"
        self.task_definition = task_definition
        self.snapshot = {k: v for k, v in snapshot.items() if v is not None}
        self.created_at = now()
        self.container_images = rt.container_images(task_definition)

    def describe(self, rt: "ServiceRuntime") -> dict[str, Any]:
        out: dict[str, Any] = {
            "serviceRevisionArn": self.arn,
            "serviceArn": rt.service.arn,
            "clusterArn": rt.service.cluster_arn,
            "taskDefinition": self.task_definition,
            "createdAt": self.created_at,
            "containerImages": self.container_images,
            "guardDutyEnabled": False,
        }
        out.update(self.snapshot)
        if is_fargate(self.snapshot):
            # codelib-describe-service-revisions: a FARGATE capacity-provider revision reports the
            # resolved platformVersion (1.4.0) and platformFamily Linux
            pv = self.snapshot.get("platformVersion") or "LATEST"
            out["platformVersion"] = "1.4.0" if pv == "LATEST" else pv
            out["platformFamily"] = "Linux"
        # codelib-describe-service-revisions: {"enabled": false} when Service Connect is not configured
        out.setdefault("serviceConnectConfiguration", {"enabled": False})
        return out


class Deployment:
    """One entry of DescribeServices ``deployments[]``."""

    def __init__(self, revision: Revision, desired: int):
        self.id = ecs_deployment_id()
        self.status = "PRIMARY"
        self.revision = revision
        self.desired = desired
        self.running = 0
        self.failed = 0
        self.created_at = self.updated_at = now()
        self.rollout_state = "IN_PROGRESS"
        self.rollout_state_reason = f"ECS deployment {self.id} in progress."
        self.tasks: list[str] = []  # ARNs of the service tasks this deployment runs
        # early success: the deployment is COMPLETED but its remaining tasks still start
        # "through regular service scaling" (developer guide, early-success-criteria.html)
        self.scaling_up = False

    @property
    def pending(self) -> int:
        if self.status != "PRIMARY" or (self.rollout_state != "IN_PROGRESS" and not self.scaling_up):
            return 0
        return max(0, self.desired - self.running)

    def to_dict(self) -> dict[str, Any]:
        snap = self.revision.snapshot
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "taskDefinition": self.revision.task_definition,
            "desiredCount": self.desired,
            "pendingCount": self.pending,
            "runningCount": self.running,
            "failedTasks": self.failed,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "rolloutState": self.rollout_state,
            "rolloutStateReason": self.rollout_state_reason,
        }
        for key in (
            "capacityProviderStrategy",
            "launchType",
            "networkConfiguration",
            "serviceConnectConfiguration",
            "volumeConfigurations",
            "vpcLatticeConfigurations",
        ):
            if snap.get(key) not in (None, []):
                out[key] = snap[key]
        if is_fargate(snap):
            pv = snap.get("platformVersion") or "LATEST"
            out["platformVersion"] = "1.4.0" if pv == "LATEST" else pv
            out["platformFamily"] = "Linux"
        return out


class ServiceDeployment:
    """A service-deployment record (ListServiceDeployments / DescribeServiceDeployments)."""

    def __init__(self, rt: "ServiceRuntime", target: Deployment, sources: list[Deployment], plan: dict[str, Any] | None):
        self.id = service_deployment_id()
        self.arn = f"{rt.arn_prefix}:service-deployment/{rt.cluster_name}/{rt.name}/{self.id}"
        self.created_at = self.started_at = self.updated_at = now()
        self.finished_at = None
        self.stopped_at = None
        self.target = target
        self.sources = sources
        self.source_initial = {d.id: d.running for d in sources}
        self.status = "IN_PROGRESS"
        self.status_reason: str | None = None
        cfg = dict(rt.deployment_configuration())
        self.configuration = cfg
        self.strategy = cfg.get("strategy") or "ROLLING"
        stages = list(ROLLING_STAGES if self.strategy == "ROLLING" else TRAFFIC_STAGES)
        if self.strategy != "ROLLING" and len([d for d in sources if d.running > 0]) < 2:
            stages.remove("RECONCILE_SERVICE")
        self.stages = stages
        self.stage_idx = 0
        self.hooks: list[dict[str, Any]] = []  # hooks of the current stage
        self.k = 0
        self.steps = state.ecs_steps(rt.account)
        self.minute = state.minute_seconds(rt.account)
        # rollout_mode "time" (read at the start, like ecs_steps): ROLLING deployments follow
        # the wall clock phase by phase instead of moving one step per poll
        self.timing = state.rollout_timing(rt.account) if self.strategy == "ROLLING" else None
        # Early success criteria (ROLLING only; validated at Create/UpdateService).
        esc = cfg.get("earlySuccessCriteria") or {}
        self.early: dict[str, Any] | None = dict(esc) if self.strategy == "ROLLING" and esc.get("enable") else None
        self.frozen: dict[str, dict[str, int]] | None = None  # task counts frozen at an early completion
        self.drain_from: float | None = None  # rollout_mode time: seconds after start when sources drain
        self.bake_until: datetime | None = None  # BAKE_TIME ends (bakeTimeInMinutes > 0)
        self.prod_weight: float | None = None  # LINEAR/CANARY weight during PRODUCTION_TRAFFIC_SHIFT
        self.shift_next_at: datetime | None = None  # when the next traffic step is due
        self.plan = plan
        self.fail_at = max(1, math.ceil(self.steps / 2))
        self.phase = "deploy"  # deploy | rollback_requested | rollback | done
        self.rollback: dict[str, Any] | None = None
        self.rollback_reason: str | None = None
        self.rollback_deployment: Deployment | None = None
        self.rb_k = 0
        self.rb_initial: dict[str, int] = {}
        cb = cfg.get("deploymentCircuitBreaker") or {}
        self.cb = {
            "status": "MONITORING" if cb.get("enable") else "DISABLED",
            "failureCount": 0,
            "threshold": cb_threshold(target.desired),
        }
        alarms = cfg.get("alarms") or {}
        self.alarms = {
            "status": "MONITORING" if alarms.get("enable") else "DISABLED",
            "alarmNames": list(alarms.get("alarmNames") or []),
            "triggeredAlarmNames": [],
        }

    # -- timing ----------------------------------------------------------
    def after(self, minutes: float) -> datetime:
        """Now + `minutes` AWS minutes (each lasting `minute_seconds` real seconds)."""
        return now() + timedelta(seconds=float(minutes) * self.minute)

    def _setting(self, block: str, key: str, defaults: dict[str, Any]) -> float:
        value = (self.configuration.get(block) or {}).get(key)
        return float(defaults[key] if value is None else value)

    def shift_plan(self) -> tuple[float, float, float]:
        """(first weight, increment, minutes each step is held) of a LINEAR/CANARY traffic shift."""
        if self.strategy == "LINEAR":
            step = self._setting("linearConfiguration", "stepPercent", LINEAR_DEFAULTS)
            return step, step, self._setting("linearConfiguration", "stepBakeTimeInMinutes", LINEAR_DEFAULTS)
        canary = self._setting("canaryConfiguration", "canaryPercent", CANARY_DEFAULTS)
        return canary, 100.0, self._setting("canaryConfiguration", "canaryBakeTimeInMinutes", CANARY_DEFAULTS)

    def bake_minutes(self) -> float:
        return float(self.configuration.get("bakeTimeInMinutes") or 0)

    # -- views -----------------------------------------------------------
    @property
    def stage(self) -> str:
        return self.stages[self.stage_idx]

    def awaiting_hook(self) -> dict[str, Any] | None:
        for h in self.hooks:
            if h["status"] == "AWAITING_ACTION":
                return h
        return None

    def _weights(self, is_target: bool) -> dict[str, float]:
        if self.strategy == "ROLLING":
            return {}
        idx = {s: i for i, s in enumerate(self.stages)}
        test_on = self.stage_idx >= idx["TEST_TRAFFIC_SHIFT"] or self.status == "SUCCESSFUL"
        prod = 0.0
        if self.status == "SUCCESSFUL" or self.stage_idx > idx["PRODUCTION_TRAFFIC_SHIFT"]:
            prod = 100.0
        elif self.stage_idx == idx["PRODUCTION_TRAFFIC_SHIFT"]:
            prod = 100.0 if self.prod_weight is None else self.prod_weight
        elif self.stage == STEP_STAGE and self.prod_weight is not None:
            prod = self.prod_weight  # paused between two traffic steps
        if self.phase in ("rollback", "rollback_requested") or self.status.startswith("ROLLBACK"):
            test_on, prod = False, 0.0
        t = 100.0 if test_on else 0.0
        if is_target:
            return {"requestedTestTrafficWeight": t, "requestedProductionTrafficWeight": prod}
        return {"requestedTestTrafficWeight": 100.0 - t, "requestedProductionTrafficWeight": 100.0 - prod}

    def _summary(self, dep: Deployment, is_target: bool) -> dict[str, Any]:
        out = {
            "arn": dep.revision.arn,
            "requestedTaskCount": dep.desired if (is_target or dep.running) else 0,
            "runningTaskCount": dep.running,
            "pendingTaskCount": dep.pending if is_target else 0,
        }
        if not is_target:
            out["requestedTaskCount"] = dep.running
        if self.frozen is not None and dep.id in self.frozen:
            # developer guide early-success-criteria.html, "What you observe": after the deployment
            # completes, DescribeServiceDeployments' task counts are a snapshot from when it completed
            out.update(self.frozen[dep.id])
        out.update(self._weights(is_target))
        return out

    def early_needed(self) -> int:
        """Healthy target tasks the early success criteria need: healthyPercent of desiredCount,
        rounded up, and at least one ("Amazon ECS launches at least one task on the target service
        revision and waits for it to become healthy before it evaluates the healthy percent")."""
        assert self.early is not None
        desired = self.target.desired
        pct = int(self.early.get("healthyPercent", 100))
        return min(desired, max(1, -(-desired * pct // 100)))

    @property
    def deferred(self) -> bool:
        return bool(self.early) and self.early.get("sourceServiceRevisionCleanup") == "DEFERRED"

    def brief(self, rt: "ServiceRuntime") -> dict[str, Any]:
        out = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": rt.service.arn,
            "clusterArn": rt.service.cluster_arn,
            "startedAt": self.started_at,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "targetServiceRevisionArn": self.target.revision.arn,
            "status": self.status,
        }
        if self.status_reason:
            out["statusReason"] = self.status_reason
        return out

    def describe(self, rt: "ServiceRuntime") -> dict[str, Any]:
        seen: set[str] = set()
        sources = []
        for d in self.sources:
            if d.revision.arn in seen:
                continue
            seen.add(d.revision.arn)
            sources.append(self._summary(d, False))
        out: dict[str, Any] = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": rt.service.arn,
            "clusterArn": rt.service.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stoppedAt": self.stopped_at,
            "updatedAt": self.updated_at,
            "sourceServiceRevisions": sources,
            "targetServiceRevision": self._summary(self.target, True),
            "status": self.status,
            "lifecycleStage": reported_stage(self.stage),
            "deploymentConfiguration": self.configuration,
            "deploymentCircuitBreaker": self.cb,
            # codelib-describe-service-deployments: alarms {"status": "DISABLED"}, no empty name lists
            "alarms": {k: v for k, v in self.alarms.items() if v != []},
        }
        if self.hooks:
            out["lifecycleHookDetails"] = [
                {k: v for k, v in h.items() if not k.startswith("_")} for h in self.hooks
            ]
        if self.status_reason:
            out["statusReason"] = self.status_reason
        if self.rollback:
            out["rollback"] = self.rollback
        return out


class ServiceRuntime:
    def __init__(self, service: Any, backend: Any):
        self.service = service
        self.backend = backend
        self.account = backend.account_id
        self.region = backend.region_name
        self.name = service.name
        self.cluster_name = service.cluster_name
        self.arn_prefix = f"arn:{get_partition(self.region)}:ecs:{self.region}:{self.account}"
        self.deployments: list[Deployment] = []
        self.sds: list[ServiceDeployment] = []
        self.revisions: dict[str, Revision] = {}
        self.events: list[dict[str, Any]] = []
        self.scale_remaining = 0
        self.last_good: Deployment | None = None
        # a deployment completed early by its early success criteria whose rest (target scale-up,
        # DEFERRED source cleanup) still runs "outside of the deployment"
        self.background: ServiceDeployment | None = None

    # -- helpers ---------------------------------------------------------
    def deployment_configuration(self) -> dict[str, Any]:
        return getattr(self.service, "deployment_configuration", None) or dict(DEFAULT_DEPLOYMENT_CONFIGURATION)

    def container_images(self, td_arn: str) -> list[dict[str, Any]]:
        try:
            td = self.backend.describe_task_definition(td_arn)
        except Exception:  # noqa: BLE001
            return []
        import hashlib

        out = []
        for c in td.container_definitions:
            image = c.get("image") or ""
            digest = "sha256:" + hashlib.sha256(image.encode()).hexdigest()
            out.append({"containerName": c.get("name"), "image": image, "imageDigest": digest})
        return out

    @property
    def primary(self) -> Deployment | None:
        return self.deployments[0] if self.deployments else None

    @property
    def active(self) -> ServiceDeployment | None:
        if self.sds and self.sds[-1].phase != "done":
            return self.sds[-1]
        return None

    def event(self, message: str) -> None:
        import uuid

        self.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": now(), "message": f"(service {self.name}) {message}"})
        del self.events[100:]

    def find_sd(self, arn: str) -> ServiceDeployment | None:
        for sd in self.sds:
            if sd.arn == arn:
                return sd
        return None

    # -- moto sync -------------------------------------------------------
    def sync(self) -> None:
        s = self.service
        if (s.deployment_controller or {}).get("type", "ECS") != "ECS":
            return  # CODE_DEPLOY / EXTERNAL services have no ECS deployments
        s.deployments = [d.to_dict() for d in self.deployments]
        s.running_count = sum(d.running for d in self.deployments)
        s.pending_count = sum(d.pending for d in self.deployments)
        if self.primary is not None:
            s.task_definition = self.primary.revision.task_definition
        s.events = list(self.events)
        if self.sds:
            s.current_service_deployment = self.sds[-1].arn
        s.current_service_revisions = [
            {
                "arn": d.revision.arn,
                "requestedTaskCount": d.desired if d.status == "PRIMARY" else d.running,
                "runningTaskCount": d.running,
                "pendingTaskCount": d.pending,
            }
            for d in self.deployments
        ]

    # -- task bookkeeping -----------------------------------------------
    def set_running(self, dep: Deployment, n: int) -> None:
        from . import tasks

        n = max(0, n)
        diff = n - dep.running
        if diff > 0:
            ids = tasks.start_service_tasks(self, dep, diff)
            self.event(f"has started {diff} tasks: " + " ".join(f"(task {i})" for i in ids) + ".")
        elif diff < 0:
            ids = tasks.stop_service_tasks(self, dep, -diff)
            self.event(f"has stopped {-diff} running tasks: " + " ".join(f"(task {i})" for i in ids) + ".")
        if diff:
            dep.updated_at = now()
        dep.running = n

    def drop(self, dep: Deployment) -> None:
        self.set_running(dep, 0)
        if dep in self.deployments:
            self.deployments.remove(dep)


# ---------------------------------------------------------------------------
# starting deployments
# ---------------------------------------------------------------------------
def revision_snapshot(service: Any) -> dict[str, Any]:
    return {
        "launchType": getattr(service, "launch_type", None) if not getattr(service, "capacity_provider_strategy", None) else None,
        "capacityProviderStrategy": getattr(service, "capacity_provider_strategy", None) or None,
        "platformVersion": getattr(service, "platform_version", None),
        "networkConfiguration": getattr(service, "network_configuration", None) or None,
        "loadBalancers": getattr(service, "load_balancers", None) or None,
        "serviceRegistries": getattr(service, "service_registries", None) or None,
        "serviceConnectConfiguration": getattr(service, "service_connect_configuration", None),
        "volumeConfigurations": getattr(service, "volume_configurations", None) or None,
        "vpcLatticeConfigurations": getattr(service, "vpc_lattice_configurations", None) or None,
    }


def validate_lifecycle_hooks(configuration: dict[str, Any] | None) -> None:
    """CreateService/UpdateService: PAUSE hooks are refused where AWS takes only Lambda hooks."""
    from .ecs_errors import InvalidParameter

    for hook in (configuration or {}).get("lifecycleHooks") or []:
        if hook.get("targetType") != "PAUSE":
            continue
        for stage in hook.get("lifecycleStages") or []:
            if stage in LAMBDA_ONLY_STAGES:
                raise InvalidParameter(
                    "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages. "
                    "These stages are only valid for AWS_LAMBDA hooks."
                )


def validate_early_success(
    sent: dict[str, Any] | None, merged: dict[str, Any] | None, controller: str = "ECS"
) -> None:
    """CreateService/UpdateService: `deploymentConfiguration.earlySuccessCriteria` as AWS checks it.

    `sent` is the deploymentConfiguration of the request, `merged` the service's configuration
    with it applied (UpdateService merges top-level keys), before defaults are filled.
    Rules (API_DeploymentEarlySuccessCriteria.html, the same text in botocore's ECS model
    `DeploymentEarlySuccessCriteria` / `HealthyPercentInteger {min 0, max 100}` / `ServiceRevisionCleanup`
    enum, and developer guide early-success-criteria.html):
    "You can use early success criteria only with rolling deployment strategy"; with `enable: true`
    "You must also specify healthyPercent and sourceServiceRevisionCleanup"; healthyPercent "must be
    an integer between 0 and 100" and "greater than or equal to the minimumHealthyPercent value".
    Only the BLUE_GREEN message is AWS's own (quoted in kayac/ecspresso's README, PR #1080); the
    other messages are the emulator's wording.  A non-ECS deployment controller is refused too
    (ecspresso PR #1080 `verify` checks "ECS deployment controller"; the API reference calls it a
    rolling-update setting)."""
    from .ecs_errors import InvalidParameter

    esc = (sent or {}).get("earlySuccessCriteria")
    if esc is None:
        esc = (merged or {}).get("earlySuccessCriteria")
        if not (isinstance(esc, dict) and esc.get("enable")):
            return
        sent_esc = False
    else:
        sent_esc = True
    if not isinstance(esc, dict):
        raise InvalidParameter("earlySuccessCriteria must be an object.")
    hp = esc.get("healthyPercent")
    if hp is not None and (isinstance(hp, bool) or not isinstance(hp, int) or not 0 <= hp <= 100):
        raise InvalidParameter("earlySuccessCriteria.healthyPercent must be an integer between 0 and 100.")
    cleanup = esc.get("sourceServiceRevisionCleanup")
    if cleanup is not None and cleanup not in ("BLOCKING", "DEFERRED"):
        raise InvalidParameter("earlySuccessCriteria.sourceServiceRevisionCleanup must be BLOCKING or DEFERRED.")
    if not esc.get("enable"):
        return
    if sent_esc and (hp is None or cleanup is None):
        raise InvalidParameter(
            "earlySuccessCriteria.healthyPercent and earlySuccessCriteria.sourceServiceRevisionCleanup "
            "must be specified when earlySuccessCriteria is enabled."
        )
    if controller != "ECS":
        raise InvalidParameter(f"Early success criteria not supported for {controller} deployment controller")
    strategy = (merged or {}).get("strategy") or "ROLLING"
    if strategy != "ROLLING":
        raise InvalidParameter(f"Early success criteria not supported for {strategy} deployment strategy")
    min_healthy = (merged or {}).get("minimumHealthyPercent")
    min_healthy = 100 if min_healthy is None else min_healthy
    if hp is not None and hp < min_healthy:
        raise InvalidParameter(
            f"earlySuccessCriteria.healthyPercent ({hp}) must be greater than or equal to "
            f"minimumHealthyPercent ({min_healthy})."
        )


def start_deployment(rt: ServiceRuntime, task_definition: str, plan: dict[str, Any] | None = None) -> ServiceDeployment:
    """A new PRIMARY deployment (CreateService, UpdateService with changes, forceNewDeployment)."""
    if rt.background is not None:  # what still ran after an early success joins the new sources
        rt.background.target.scaling_up = False
        rt.background = None
    prev = rt.active
    if prev is not None:
        prev.phase = "done"
        prev.status = "STOPPED"
        prev.status_reason = "Service deployment stopped: a newer service deployment was started."
        prev.finished_at = prev.stopped_at = prev.updated_at = now()
        for h in prev.hooks:
            if h["status"] == "AWAITING_ACTION":
                h["status"] = "FAILED"
    rev = Revision(rt, task_definition, revision_snapshot(rt.service))
    rt.revisions[rev.arn] = rev
    dep = Deployment(rev, rt.service.desired_count)
    for d in rt.deployments:
        d.status = "ACTIVE"
        d.updated_at = now()
    sources = list(rt.deployments)
    rt.deployments.insert(0, dep)
    rt.scale_remaining = 0
    rt.scale_at = None
    sd = ServiceDeployment(rt, dep, sources, plan)
    rt.sds.append(sd)
    if dep.desired == 0 and not (plan and plan.get("outcome") == "fail"):
        _complete(rt, sd)
    else:
        _enter_stage(rt, sd)
    rt.sync()
    return sd


def scale(rt: ServiceRuntime, desired: int) -> None:
    """desiredCount-only update: no new deployment; counts converge over steps."""
    rt.service.desired_count = desired
    primary = rt.primary
    if primary is None:
        return
    primary.desired = desired
    primary.updated_at = now()
    sd = rt.active
    if sd is not None and sd.target is primary:
        sd.cb["threshold"] = cb_threshold(desired)
        if desired == 0 and sd.phase == "deploy":
            _complete(rt, sd)
    elif desired != primary.running:
        rt.scale_remaining = state.ecs_steps(rt.account)
        timing = state.rollout_timing(rt.account)
        rt.scale_at = None
        if timing is not None:  # up: start + health check; down: draining
            secs = timing["task_start"] + timing["health_check"] if desired > primary.running else timing["draining"]
            rt.scale_at = now() + timedelta(seconds=secs)
        if desired < primary.running and desired == 0:
            rt.set_running(primary, 0)
            rt.scale_remaining = 0
            rt.event("has reached a steady state.")
    rt.sync()


# ---------------------------------------------------------------------------
# stepping
# ---------------------------------------------------------------------------
def step(rt: ServiceRuntime) -> None:
    sd = rt.active
    if sd is None and rt.background is not None:
        _background_step(rt)
    elif sd is None:
        _scale_step(rt)
    elif sd.phase == "deploy":
        _deploy_step(rt, sd)
    elif sd.phase == "rollback_requested":
        _begin_rollback(rt, sd)
    elif sd.phase == "rollback":
        _rollback_step(rt, sd)
    rt.sync()


def _scale_step(rt: ServiceRuntime) -> None:
    primary = rt.primary
    if primary is None or rt.scale_remaining <= 0:
        return
    scale_at = getattr(rt, "scale_at", None)
    if scale_at is not None:  # rollout_mode "time": all at once when the phase has passed
        if now() < scale_at:
            return
        rt.scale_at = None
        rt.scale_remaining = 0
        rt.set_running(primary, primary.desired)
        rt.event("has reached a steady state.")
        return
    diff = primary.desired - primary.running
    if diff == 0:
        rt.scale_remaining = 0
        return
    delta = math.ceil(abs(diff) / rt.scale_remaining)
    rt.scale_remaining -= 1
    rt.set_running(primary, primary.running + (delta if diff > 0 else -delta))
    if primary.running == primary.desired:
        rt.scale_remaining = 0
        rt.event("has reached a steady state.")


def _enter_stage(rt: ServiceRuntime, sd: ServiceDeployment) -> bool:
    """Creates the hook executions of the current stage; True if a PAUSE hook now waits."""
    sd.hooks = []
    stage = sd.stage
    for hook in sd.configuration.get("lifecycleHooks") or []:
        if stage not in (hook.get("lifecycleStages") or []):
            continue
        timeout = hook.get("timeoutConfiguration") or {}
        detail = {
            "hookId": hook_id(),
            "targetType": hook.get("targetType", "PAUSE"),
            "status": "SUCCEEDED",
            "timeoutAction": timeout.get("action", "ROLLBACK"),
            "expiresAt": sd.after(int(timeout.get("timeoutInMinutes", 1440))),
        }
        if hook.get("hookTargetArn"):
            detail["targetArn"] = hook["hookTargetArn"]
        if detail["targetType"] == "PAUSE":
            detail["status"] = "AWAITING_ACTION"
        sd.hooks.append(detail)
    sd.updated_at = now()
    return sd.awaiting_hook() is not None


def _target_stage(sd: ServiceDeployment) -> int:
    n = len(sd.stages)
    if sd.k >= sd.steps:
        return n - 1
    return max(0, min(n - 1, math.ceil(sd.k * n / sd.steps) - 1))


def _hook_holds(rt: ServiceRuntime, sd: ServiceDeployment) -> bool:
    """True while a PAUSE hook waits; applies the timeout action once `expiresAt` passed."""
    hook = sd.awaiting_hook()
    if hook is None:
        return False
    if now() < hook["expiresAt"]:
        return True
    hook["status"] = "TIMED_OUT"
    if hook["timeoutAction"] != "CONTINUE":
        request_rollback(rt, sd, f"Lifecycle hook {hook['hookId']} timed out.")
        return True
    return False


def _start_timers(sd: ServiceDeployment) -> bool:
    """Starts the wall-clock part of the stage just entered; True if it holds the walk there."""
    if sd.stage == "PRODUCTION_TRAFFIC_SHIFT" and sd.strategy in ("LINEAR", "CANARY"):
        first, _, hold = sd.shift_plan()
        sd.prod_weight = min(100.0, first)
        sd.shift_next_at = sd.after(hold)
        return sd.prod_weight < 100.0
    if sd.stage == "BAKE_TIME" and sd.bake_minutes() > 0:
        sd.bake_until = sd.after(sd.bake_minutes())
        return True
    return False


def _shift_step(sd: ServiceDeployment) -> None:
    """One production traffic step of a LINEAR/CANARY shift."""
    assert sd.prod_weight is not None
    _, increment, hold = sd.shift_plan()
    sd.prod_weight = round(min(100.0, sd.prod_weight + increment), 1)
    sd.shift_next_at = sd.after(hold) if sd.prod_weight < 100.0 else None
    sd.updated_at = now()


def _has_step_hooks(sd: ServiceDeployment) -> bool:
    return any(STEP_STAGE in (h.get("lifecycleStages") or []) for h in sd.configuration.get("lifecycleHooks") or [])


def _timed_hold(rt: ServiceRuntime, sd: ServiceDeployment) -> bool:
    """True if this poll is spent in a timed stage (BAKE_TIME, or a traffic step).

    A LINEAR/CANARY step whose hold is over goes through PRE_PRODUCTION_TRAFFIC_SHIFT first
    when hooks are configured there (ECS invokes that stage before every traffic step); once
    its hooks are done, the next step is taken."""
    if sd.stage == "BAKE_TIME" and sd.bake_until is not None:
        return now() < sd.bake_until
    if sd.stage == STEP_STAGE and sd.prod_weight is not None:
        sd.stage_idx = sd.stages.index("PRODUCTION_TRAFFIC_SHIFT")
        sd.hooks = []
        _shift_step(sd)
        return True
    if sd.stage == "PRODUCTION_TRAFFIC_SHIFT" and sd.prod_weight is not None and sd.prod_weight < 100.0:
        if sd.shift_next_at is not None and now() >= sd.shift_next_at:
            if _has_step_hooks(sd):
                sd.stage_idx = sd.stages.index(STEP_STAGE)
                _enter_stage(rt, sd)
            else:
                _shift_step(sd)
        return True
    return False


def _timed_rolling_step(rt: ServiceRuntime, sd: ServiceDeployment) -> None:
    """A ROLLING deployment on the wall clock (rollout_mode "time"), evaluated on a poll:
    `task_start` s after the deployment started the new tasks run (SCALE_UP); `health_check` s
    later they count as healthy and the old tasks drain over `draining` s (CLEAN_UP); after
    `bake` more seconds the deployment completes.  An armed failure trips once the new tasks
    should have started."""
    assert sd.timing is not None
    t = sd.timing
    elapsed = (now() - sd.started_at).total_seconds()
    if elapsed < t["task_start"]:
        return
    if sd.plan and sd.plan.get("outcome") == "fail":
        fail(rt, sd, sd.plan.get("reason"))
        return
    dep = sd.target
    rt.set_running(dep, dep.desired)
    healthy_at = t["task_start"] + t["health_check"]
    if elapsed < healthy_at:
        return
    if sd.early is not None:
        _timed_early_step(rt, sd, elapsed, healthy_at)
        return
    _drain_sources(rt, sd, elapsed - healthy_at)
    if elapsed >= healthy_at + t["draining"] + t["bake"]:
        _complete(rt, sd)


def _drain_sources(rt: ServiceRuntime, sd: ServiceDeployment, since: float) -> float:
    """rollout_mode "time": enters CLEAN_UP and stops the source revisions' tasks linearly over
    `draining` seconds, `since` seconds into the drain; returns the fraction drained (0…1)."""
    assert sd.timing is not None
    if sd.stage_idx == 0:
        sd.stage_idx = len(sd.stages) - 1
        _enter_stage(rt, sd)
    draining = sd.timing["draining"]
    drained = 1.0 if draining <= 0 else min(1.0, since / draining)
    for old in sd.sources:
        if old in rt.deployments:
            rt.set_running(old, math.floor(sd.source_initial.get(old.id, 0) * (1 - drained)))
    return drained


def _timed_early_step(rt: ServiceRuntime, sd: ServiceDeployment, elapsed: float, healthy_at: float) -> None:
    """rollout_mode "time" with early success criteria.  All target tasks become healthy together
    at `healthy_at`, which meets any healthyPercent; then, in the developer guide's order
    (early-success-criteria.html, "Source service revision cleanup"): the bake time elapses
    (`bake` s), then BLOCKING cleans up the source revision (`draining` s, CLEAN_UP) and completes,
    while DEFERRED completes at once and drains the source revision afterwards, outside of the
    deployment (the old deployment stays in deployments[] as ACTIVE until its tasks are gone)."""
    assert sd.timing is not None
    t = sd.timing
    baked = healthy_at + t["bake"]
    if elapsed < baked:
        return
    if sd.deferred:
        sd.drain_from = baked
        _complete(rt, sd, early=True)
        _background_step(rt)
        return
    if _drain_sources(rt, sd, elapsed - baked) >= 1.0:
        _complete(rt, sd, early=True)


def _early_step(rt: ServiceRuntime, sd: ServiceDeployment) -> bool:
    """Step mode: checks the early success criteria after this poll's progress; True if they
    decided the poll (completed the deployment, or started the BLOCKING cleanup).

    Tasks running on the target count as healthy (the step model has no separate health check).
    BLOCKING: the poll on which the healthy percent is reached stops the source revision's tasks
    (CLEAN_UP) and the next poll completes; if the sources are already gone, it completes at once.
    DEFERRED: completes on that poll; the sources keep draining on later polls."""
    if sd.early is None or sd.awaiting_hook() is not None or sd.target.running < sd.early_needed():
        return False
    left = [d for d in sd.sources if d in rt.deployments and d.running > 0]
    if sd.deferred or not left:
        _complete(rt, sd, early=True)
        return True
    if sd.stage != "CLEAN_UP":
        sd.stage_idx = len(sd.stages) - 1
        if _enter_stage(rt, sd):
            return True
    for old in left:
        rt.drop(old)
    return True


def _deploy_step(rt: ServiceRuntime, sd: ServiceDeployment) -> None:
    if _hook_holds(rt, sd):
        return
    if sd.timing is not None:
        _timed_rolling_step(rt, sd)
        return
    if _timed_hold(rt, sd):
        return
    sd.k += 1
    if sd.plan and sd.plan.get("outcome") == "fail" and sd.k >= sd.fail_at:
        fail(rt, sd, sd.plan.get("reason"))
        return
    target = _target_stage(sd)
    while sd.stage_idx < target:
        sd.stage_idx += 1
        waits = _enter_stage(rt, sd)
        if _start_timers(sd) or waits:
            break
    _apply_progress(rt, sd)
    if _early_step(rt, sd):
        return
    if sd.k >= sd.steps and sd.stage_idx == len(sd.stages) - 1 and sd.awaiting_hook() is None:
        _complete(rt, sd)


def _apply_progress(rt: ServiceRuntime, sd: ServiceDeployment) -> None:
    dep = sd.target
    if sd.strategy == "ROLLING":
        frac = min(1.0, sd.k / sd.steps)
        rt.set_running(dep, min(dep.desired, math.ceil(dep.desired * frac)))
        for old in sd.sources:
            if old in rt.deployments:
                rt.set_running(old, round(sd.source_initial.get(old.id, 0) * (1 - frac)))
        return
    idx = {s: i for i, s in enumerate(sd.stages)}
    if sd.stage_idx < idx["SCALE_UP"]:
        want = 0
    elif sd.stage_idx == idx["SCALE_UP"]:
        want = math.ceil(dep.desired / 2)
    else:
        want = dep.desired
    rt.set_running(dep, want)
    if sd.stage == "CLEAN_UP":
        for old in sd.sources:
            if old in rt.deployments:
                rt.set_running(old, 0)


# ServiceDeployment.statusReason of a deployment completed by its early success criteria.  AWS
# documents no text for it (the developer guide says early success "does not add a new deployment
# status"; ecspresso PR #1080 logs whatever `statusReason` ECS returns), so this is the emulator's
# own sentence.
EARLY_SUCCESS_REASON = (
    "Service deployment completed early: early success criteria met "
    "({healthy} of {desired} tasks on the target service revision healthy, healthyPercent {pct}, "
    "sourceServiceRevisionCleanup {cleanup})."
)


def _complete(rt: ServiceRuntime, sd: ServiceDeployment, early: bool = False) -> None:
    """Completes the deployment.  `early`: completed by its early success criteria; the target's
    remaining tasks start and (DEFERRED) the source revision drains afterwards, outside of the
    deployment (rt.background), unless nothing is left to do."""
    dep = sd.target
    sd.stage_idx = len(sd.stages) - 1
    sd.hooks = [h for h in sd.hooks if h["status"] != "AWAITING_ACTION"]
    if early:
        assert sd.early is not None
        sd.status_reason = EARLY_SUCCESS_REASON.format(
            healthy=dep.running, desired=dep.desired, pct=sd.early.get("healthyPercent", 100),
            cleanup=sd.early.get("sourceServiceRevisionCleanup", "BLOCKING"),
        )
        sd.frozen = {dep.id: {"requestedTaskCount": dep.desired, "runningTaskCount": dep.running, "pendingTaskCount": dep.pending}}
        for old in sd.sources:
            sd.frozen[old.id] = {"requestedTaskCount": old.running, "runningTaskCount": old.running, "pendingTaskCount": 0}
        left = dep.running < dep.desired or any(d is not dep for d in rt.deployments)
        if not sd.deferred:  # BLOCKING: the source revision is cleaned up before completion
            for old in list(rt.deployments):
                if old is not dep:
                    rt.drop(old)
            left = dep.running < dep.desired
    else:
        rt.set_running(dep, dep.desired)
        for old in list(rt.deployments):
            if old is not dep:
                rt.drop(old)
    dep.rollout_state = "COMPLETED"
    dep.rollout_state_reason = f"ECS deployment {dep.id} completed."
    dep.updated_at = now()
    sd.status = "SUCCESSFUL"
    sd.phase = "done"
    sd.finished_at = sd.updated_at = now()
    if sd.cb["status"] == "MONITORING":
        sd.cb["status"] = "MONITORING_COMPLETE"
    if sd.alarms["status"] == "MONITORING":
        sd.alarms["status"] = "MONITORING_COMPLETE"
    rt.last_good = dep
    rt.event(f"(deployment {dep.id}) deployment completed.")
    if early and left:
        dep.scaling_up = True
        rt.background = sd
        return
    rt.event("has reached a steady state.")


def _background_step(rt: ServiceRuntime) -> None:
    """After an early success: the target scales up to desiredCount and (DEFERRED) the source
    revision drains, on the schedule the rollout would have followed (one step per poll, or the
    `draining` phase of rollout_mode time).  A drained source deployment leaves deployments[];
    when everything is done the service reports "has reached a steady state."."""
    sd = rt.background
    assert sd is not None
    dep = sd.target
    if sd.timing is not None:
        t = sd.timing
        elapsed = (now() - sd.started_at).total_seconds()
        start = sd.drain_from if sd.drain_from is not None else 0.0
        frac = 1.0 if t["draining"] <= 0 else max(0.0, min(1.0, (elapsed - start) / t["draining"]))
    else:
        sd.k += 1
        frac = min(1.0, sd.k / sd.steps)
    # never fewer than now (scale-up), never more than desiredCount (a desiredCount-only update may lower it)
    rt.set_running(dep, min(dep.desired, max(dep.running, math.ceil(dep.desired * frac))))
    for old in list(rt.deployments):
        if old is not dep:
            rt.set_running(old, min(old.running, round(sd.source_initial.get(old.id, 0) * (1 - frac))))
            if old.running == 0:
                rt.drop(old)
    if frac >= 1.0:
        _finish_background(rt)


def _finish_background(rt: ServiceRuntime) -> None:
    sd = rt.background
    assert sd is not None
    dep = sd.target
    rt.set_running(dep, dep.desired)
    for old in list(rt.deployments):
        if old is not dep:
            rt.drop(old)
    dep.scaling_up = False
    dep.updated_at = now()
    rt.background = None
    rt.event("has reached a steady state.")


def fail(rt: ServiceRuntime, sd: ServiceDeployment, reason: str | None = None) -> None:
    """The circuit breaker trips on the in-flight deployment."""
    dep = sd.target
    rt.set_running(dep, 0)
    dep.failed = sd.cb["threshold"]
    dep.rollout_state = "FAILED"
    dep.rollout_state_reason = reason or CB_REASON
    dep.updated_at = now()
    sd.cb["failureCount"] = dep.failed
    sd.cb["status"] = "TRIGGERED"
    sd.plan = None
    rt.event(f"(deployment {dep.id}) deployment failed: tasks failed to start.")
    cb = sd.configuration.get("deploymentCircuitBreaker") or {}
    if cb.get("rollback"):
        request_rollback(rt, sd, "Circuit Breaker triggered: " + (reason or "tasks failed to start."))
    else:
        sd.phase = "done"
        sd.status = "STOPPED"
        sd.status_reason = "Service deployment failed: " + (reason or CB_REASON)
        sd.finished_at = sd.updated_at = now()
    rt.sync()


def request_rollback(rt: ServiceRuntime, sd: ServiceDeployment, reason: str) -> None:
    sd.phase = "rollback_requested"
    sd.status = "ROLLBACK_REQUESTED"
    sd.rollback_reason = reason
    sd.updated_at = now()
    for h in sd.hooks:
        if h["status"] == "AWAITING_ACTION":
            h["status"] = "FAILED"


def _begin_rollback(rt: ServiceRuntime, sd: ServiceDeployment) -> None:
    good = rt.last_good
    if good is None or good is sd.target:
        sd.phase = "done"
        sd.status = "ROLLBACK_FAILED"
        sd.status_reason = "No previous successful service revision to roll back to."
        sd.finished_at = sd.updated_at = now()
        return
    failed = sd.target
    failed.status = "ACTIVE"
    if failed.rollout_state == "IN_PROGRESS":
        failed.rollout_state = "FAILED"
        failed.rollout_state_reason = f"ECS deployment {failed.id} rolled back: {sd.rollback_reason}"
    for d in rt.deployments:
        d.status = "ACTIVE"
    rb = Deployment(good.revision, rt.service.desired_count)
    by = "ECS deployment circuit breaker" if "circuit breaker" in (sd.rollback_reason or "") else "ECS deployment"
    rb.rollout_state_reason = f"{by}: rolling back to deploymentId {good.id}."
    sd.rb_initial = {d.id: d.running for d in rt.deployments}
    rt.deployments.insert(0, rb)
    sd.rollback_deployment = rb
    sd.rollback = {"reason": sd.rollback_reason, "startedAt": now(), "serviceRevisionArn": good.revision.arn}
    sd.status = "ROLLBACK_IN_PROGRESS"
    sd.phase = "rollback"
    sd.rb_k = 0
    sd.updated_at = now()
    rt.event(f"rolling back to deployment {good.id}.")
    if rb.desired == 0:
        _complete_rollback(rt, sd)


def _rollback_step(rt: ServiceRuntime, sd: ServiceDeployment) -> None:
    rb = sd.rollback_deployment
    assert rb is not None
    sd.rb_k += 1
    frac = min(1.0, sd.rb_k / sd.steps)
    rt.set_running(rb, min(rb.desired, math.ceil(rb.desired * frac)))
    for d in list(rt.deployments):
        if d is not rb:
            rt.set_running(d, round(sd.rb_initial.get(d.id, 0) * (1 - frac)))
    if sd.rb_k >= sd.steps:
        _complete_rollback(rt, sd)


def _complete_rollback(rt: ServiceRuntime, sd: ServiceDeployment) -> None:
    rb = sd.rollback_deployment
    assert rb is not None
    rt.set_running(rb, rb.desired)
    for d in list(rt.deployments):
        if d is not rb:
            rt.drop(d)
    rb.rollout_state = "COMPLETED"
    rb.rollout_state_reason = f"ECS deployment {rb.id} completed."
    rb.updated_at = now()
    sd.status = "ROLLBACK_SUCCESSFUL"
    sd.status_reason = "Service deployment rolled back: " + (sd.rollback_reason or "")
    sd.phase = "done"
    sd.finished_at = sd.updated_at = now()
    rt.last_good = rb
    rt.event(f"(deployment {rb.id}) deployment completed.")
    rt.event("has reached a steady state.")


def settle(rt: ServiceRuntime) -> None:
    """Drives the in-flight rollout (or rollback) to its end, successfully."""
    if rt.background is not None:
        _finish_background(rt)
    for _ in range(10_000):
        sd = rt.active
        if sd is None:
            break
        if sd.phase == "deploy":
            sd.plan = None
            _complete(rt, sd)
            if rt.background is not None:
                _finish_background(rt)
        elif sd.phase == "rollback_requested":
            _begin_rollback(rt, sd)
        elif sd.phase == "rollback":
            _complete_rollback(rt, sd)
    if rt.active is None and rt.primary is not None and rt.primary.running != rt.primary.desired:
        rt.set_running(rt.primary, rt.primary.desired)
        rt.scale_remaining = 0
        rt.event("has reached a steady state.")
    rt.sync()


def continue_hook(rt: ServiceRuntime, sd: ServiceDeployment, hook_id_: str, action: str) -> None:
    hook = next((h for h in sd.hooks if h["hookId"] == hook_id_), None)
    if hook is None or hook["status"] != "AWAITING_ACTION":
        from .ecs_errors import InvalidParameter

        raise InvalidParameter(f"The hook {hook_id_} is not awaiting action for service deployment {sd.arn}.")
    if action == "ROLLBACK":
        hook["status"] = "FAILED"
        request_rollback(rt, sd, f"Lifecycle hook {hook_id_} requested a rollback.")
    else:
        hook["status"] = "SUCCEEDED"
    sd.updated_at = now()
    rt.sync()
