"""CodeDeploy (ECS compute platform) progression and the operations moto lacks:
StopDeployment, ContinueDeployment, GetDeploymentTarget, ListDeploymentTargets,
BatchGetDeploymentTargets, GetApplicationRevision, GetDeploymentConfig,
ListDeploymentConfigs.

A deployment walks Created -> InProgress (test traffic) -> [Ready] ->
InProgress (production traffic) -> [Bake: termination wait] -> Succeeded, one
position per ``codedeploy_steps`` polls (GetDeployment, BatchGetDeployments,
GetDeploymentTarget, BatchGetDeploymentTargets).  Ready and Bake are left on
wall-clock time (``minute_seconds`` per AWS minute) or by ContinueDeployment."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import yaml
from moto.codedeploy import responses as cd_responses
from moto.codedeploy.exceptions import CodeDeployException
from moto.codedeploy.models import CodeDeployBackend, DeploymentInfo, codedeploy_backends
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.responses import ActionResult
from moto.utilities.utils import get_partition

from . import state
from .util import ControlError, codedeploy_id, now

STATUSES = ("Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready")
TERMINAL = {"Succeeded", "Failed", "Stopped"}
EVENTS = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
]
# position -> (deployment status, number of events Succeeded, index of the InProgress event or None)
POSITIONS = {
    "Created": ("Created", 0, None),
    "Test": ("InProgress", 4, 4),
    "Ready": ("Ready", 5, None),
    "Traffic": ("InProgress", 6, 6),
    "Bake": ("InProgress", 8, None),  # termination wait: green has 100 %, blue still runs
    "Succeeded": ("Succeeded", 8, None),
}
BUILTIN_CONFIGS: dict[str, dict[str, Any]] = {
    "CodeDeployDefault.ECSAllAtOnce": {"computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}},
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}},
    },
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}},
    },
    "CodeDeployDefault.ECSCanary10Percent5Minutes": {
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}},
    },
    "CodeDeployDefault.ECSCanary10Percent15Minutes": {
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}},
    },
    "CodeDeployDefault.AllAtOnce": {"computePlatform": "Server", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 0}},
    "CodeDeployDefault.HalfAtATime": {"computePlatform": "Server", "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 50}},
    "CodeDeployDefault.OneAtATime": {"computePlatform": "Server", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}},
    "CodeDeployDefault.LambdaAllAtOnce": {"computePlatform": "Lambda", "trafficRoutingConfig": {"type": "AllAtOnce"}},
}
CONFIG_CREATED = now()


def _err(code: str, message: str) -> CodeDeployException:
    exc = CodeDeployException(code, message)
    exc.code = 400
    return exc


class DeploymentRuntime:
    def __init__(
        self,
        dep: DeploymentInfo,
        account: str,
        plan: dict[str, Any] | None,
        wait_ready: bool,
        ready_minutes: float = 0,
        termination_minutes: float = 0,
    ):
        self.account = account
        self.plan = plan
        bake = ["Bake"] if termination_minutes > 0 else []
        self.positions = ["Created", "Test"] + (["Ready"] if wait_ready else []) + ["Traffic"] + bake + ["Succeeded"]
        self.minute = state.minute_seconds(account)
        self.ready_minutes = ready_minutes  # 0: Ready waits for ContinueDeployment without expiry
        self.termination_minutes = termination_minutes
        self.deadline: datetime | None = None  # end of the Ready or Bake wait
        self.blue_td: str | None = None  # the ECS service's task definition when the deployment was created
        self.restore_td: str | None = None  # rollback deployments: the task definition they put back
        self.blue_sets: list[tuple[Any, str]] = []  # (task set, status) of blue during the termination wait
        self.green_applied = False  # the ECS service already runs green (termination wait)
        self.pos = 0
        self.polls = 0
        self.error: dict[str, Any] | None = None
        self.rollback_info: dict[str, Any] = {}
        self.previous_revision: dict[str, Any] | None = None
        self.failed_event: int | None = None
        self.end_state: str | None = None  # Failed | Stopped when terminal by failure
        self.event_times: dict[int, dict[str, Any]] = {}
        self.last_updated = now()
        self._touch_events()

    @property
    def position(self) -> str:
        return self.positions[self.pos]

    def after(self, minutes: float) -> datetime:
        return now() + timedelta(seconds=float(minutes) * self.minute)

    def ready_deadline(self) -> datetime | None:
        return self.after(self.ready_minutes) if self.ready_minutes > 0 else None

    def _touch_events(self) -> None:
        _, done, running = POSITIONS[self.position]
        t = now()
        for i in range(len(EVENTS)):
            times = self.event_times.setdefault(i, {})
            if i < done or i == running:
                times.setdefault("startTime", t)
            if i < done:
                times.setdefault("endTime", t)
        self.last_updated = t

    def event_status(self, i: int) -> str:
        _, done, running = POSITIONS[self.position]
        if self.end_state is not None:
            if i < done:
                return "Succeeded"
            if self.failed_event == i:
                return "Failed"
            return "Skipped"
        if i < done:
            return "Succeeded"
        if running == i:
            return "InProgress"
        return "Pending"


def _rt(dep: DeploymentInfo) -> DeploymentRuntime | None:
    return getattr(dep, "_emu", None)


def _status(dep: DeploymentInfo) -> str:
    rt = _rt(dep)
    if rt is None:
        return dep.status
    if rt.end_state:
        return rt.end_state
    return POSITIONS[rt.position][0]


def _sync(dep: DeploymentInfo) -> None:
    status = _status(dep)
    dep.status = status
    if status != "Created" and dep.start_time is None:
        dep.start_time = now()
    if status in TERMINAL and dep.complete_time is None:
        dep.complete_time = now()
    dep.deployment_overview = {k: 0 for k in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")}
    dep.deployment_overview[_target_status(dep)] = 1


def _target_status(dep: DeploymentInfo) -> str:
    status = _status(dep)
    return {"Created": "Pending", "Queued": "Pending", "Baking": "InProgress", "Stopped": "Failed"}.get(status, status)


# ---------------------------------------------------------------------------
# progression
# ---------------------------------------------------------------------------
def poll(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    rt = _rt(dep)
    if rt is None or rt.end_state or rt.position == "Succeeded":
        return
    if rt.position in ("Ready", "Bake"):
        _check_deadline(backend, dep)
        return
    rt.polls += 1
    if rt.polls < state.codedeploy_steps(rt.account):
        return
    rt.polls = 0
    if rt.position == "Test" and rt.plan and rt.plan.get("outcome") == "fail":
        fail(backend, dep, rt.plan.get("error"))
        return
    _advance(backend, dep)


def _check_deadline(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    """Ready: stop when the ready wait expired. Bake: succeed when the termination wait is over."""
    rt = _rt(dep)
    assert rt is not None
    if rt.deadline is None or now() < rt.deadline:
        return
    if rt.position == "Ready":
        _ready_timeout(backend, dep)
    else:
        _advance(backend, dep)


def _advance(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    rt = _rt(dep)
    assert rt is not None
    rt.pos += 1
    rt._touch_events()
    if rt.position == "Ready":
        rt.deadline = rt.ready_deadline()
    elif rt.position == "Bake":
        _start_termination_wait(backend, dep)
    elif rt.position == "Succeeded":
        _succeed(backend, dep)
    _sync(dep)


def _start_termination_wait(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    rt = _rt(dep)
    assert rt is not None
    rt.deadline = rt.after(rt.termination_minutes)
    dep.instance_termination_wait_time_started = True
    _shift_to_green(backend, dep)


def _succeed(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    rt = _rt(dep)
    assert rt is not None
    rt.pos = rt.positions.index("Succeeded")
    rt.deadline = None
    rt._touch_events()
    _sync(dep)
    group = dep.deployment_group
    group._last_successful = dep
    if _termination_option(group)[0] == "TERMINATE":
        dep.instance_termination_wait_time_started = True
    if rt.green_applied:
        _drop_blue(backend, dep)
    else:
        _apply_to_ecs(backend, dep)


def _ready_timeout(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    """deploymentReadyOption STOP_DEPLOYMENT: traffic was not rerouted within waitTimeInMinutes."""
    rt = _rt(dep)
    assert rt is not None
    rt.end_state = "Stopped"
    rt.deadline = None
    rt.error = {
        "code": "TIMEOUT",
        "message": "The deployment was stopped because traffic rerouting was not started within the "
        f"specified wait time ({rt.ready_minutes:g} minutes).",
    }
    rt.last_updated = now()
    _sync(dep)
    if _auto_rollback_on(dep, "DEPLOYMENT_FAILURE"):
        _rollback(backend, dep, "Deployment timed out and automatic rollback is enabled for DEPLOYMENT_FAILURE.")


def _error_info(error: Any, default_code: str, default_message: str) -> dict[str, Any]:
    if isinstance(error, dict):
        return {"code": error.get("code", default_code), "message": error.get("message", default_message)}
    if isinstance(error, str):
        if error.isupper() and " " not in error:
            return {"code": error, "message": default_message}
        return {"code": default_code, "message": error}
    return {"code": default_code, "message": default_message}


def fail(backend: CodeDeployBackend, dep: DeploymentInfo, error: Any = None) -> None:
    rt = _rt(dep)
    assert rt is not None
    _, done, running = POSITIONS[rt.position]
    rt.failed_event = running if running is not None else done
    rt.end_state = "Failed"
    rt.error = _error_info(
        error, "ECS_UPDATE_ERROR", "The ECS service cannot reach a steady state: the replacement task set failed to start."
    )
    rt.plan = None
    rt.deadline = None
    rt.last_updated = now()
    _sync(dep)
    if _auto_rollback_on(dep, "DEPLOYMENT_FAILURE"):
        _rollback(backend, dep, "Deployment failed and automatic rollback is enabled for DEPLOYMENT_FAILURE.")


def _auto_rollback_on(dep: DeploymentInfo, event: str) -> bool:
    arc = dep.auto_rollback_configuration or dep.deployment_group.auto_rollback_configuration or {}
    return bool(arc.get("enabled")) and event in (arc.get("events") or [])


def stop(backend: CodeDeployBackend, dep: DeploymentInfo, auto_rollback: bool | None) -> dict[str, Any]:
    rt = _rt(dep)
    assert rt is not None
    _, done, running = POSITIONS[rt.position]
    rt.failed_event = running
    rt.end_state = "Stopped"
    rt.error = {"code": "MANUAL_STOP", "message": "The deployment was manually stopped by the user."}
    rt.deadline = None
    rt.last_updated = now()
    _sync(dep)
    if auto_rollback is None:
        auto_rollback = _auto_rollback_on(dep, "DEPLOYMENT_STOP_ON_REQUEST")
    if auto_rollback:
        _rollback(backend, dep, "Deployment was stopped by a StopDeployment request with rollback enabled.")
        return {"status": "Pending", "statusMessage": f"Stopping deployment {dep.deployment_id} and rolling back."}
    return {"status": "Succeeded", "statusMessage": f"Deployment {dep.deployment_id} was stopped."}


def _rollback(backend: CodeDeployBackend, dep: DeploymentInfo, message: str) -> DeploymentInfo:
    """A rollback deployment (creator codeDeployRollback) back to the task definition blue ran;
    production traffic goes back to blue at once."""
    _restore_blue(backend, dep)
    group = dep.deployment_group
    last = getattr(group, "_last_successful", None)
    revision = last.revision if last is not None else dep.revision
    rb = DeploymentInfo(
        dep.application,
        group,
        revision,
        dep.deployment_config_name,
        f"Rollback of deployment {dep.deployment_id}",
        None,
        None,
        None,
        None,
        None,
        None,
        "codeDeployRollback",
    )
    backend.deployments[rb.deployment_id] = rb
    rb._emu = DeploymentRuntime(rb, backend.account_id, None, False)
    rb._emu.restore_td = rb._emu.blue_td = _rt(dep).blue_td  # type: ignore[union-attr]
    rb._emu.rollback_info = {
        "rollbackTriggeringDeploymentId": dep.deployment_id,
        "rollbackMessage": f"Rolling back deployment {dep.deployment_id}.",
    }
    rb._emu.previous_revision = dep.revision
    _rt(dep).rollback_info = {  # type: ignore[union-attr]
        "rollbackDeploymentId": rb.deployment_id,
        "rollbackMessage": f"{message} Rollback deployment: {rb.deployment_id}.",
    }
    group._last_attempted = rb
    _sync(rb)
    return rb


def _appspec_task_definition(dep: DeploymentInfo) -> str | None:
    content = _revision_content(dep.revision)
    if not content:
        return None
    try:
        doc = yaml.safe_load(content)
        for res in doc.get("Resources") or doc.get("resources") or []:
            for _, body in res.items():
                props = body.get("Properties") or body.get("properties") or {}
                td = props.get("TaskDefinition") or props.get("taskDefinition")
                if td:
                    return str(td)
    except Exception:  # noqa: BLE001 - malformed AppSpec: nothing to apply
        return None
    return None


def _termination_option(group: Any) -> tuple[str, float]:
    """(action, terminationWaitTimeInMinutes) of the group's terminateBlueInstancesOnDeploymentSuccess."""
    opt = (group.blue_green_deployment_configuration or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
    return opt.get("action") or "TERMINATE", float(opt.get("terminationWaitTimeInMinutes") or 0)


def _ecs_service(backend: CodeDeployBackend, dep: DeploymentInfo) -> tuple[Any, Any] | None:
    """(ECS backend, moto Service) of the deployment group's ECS service, if it exists."""
    from moto.ecs.models import ecs_backends

    ecs = ecs_backends[backend.account_id][backend.region_name]
    for svc_ref in dep.deployment_group.ecs_services or []:
        svc = ecs.services.get(f"{svc_ref.get('clusterName')}:{svc_ref.get('serviceName')}")
        if svc is not None:
            return ecs, svc
    return None


def _is_code_deploy(svc: Any) -> bool:
    return (svc.deployment_controller or {}).get("type") == "CODE_DEPLOY"


def _green_td(ecs: Any, dep: DeploymentInfo) -> str | None:
    rt = _rt(dep)
    td = (rt.restore_td if rt is not None else None) or _appspec_task_definition(dep)
    if not td:
        return None
    try:
        return ecs.describe_task_definition(td).arn
    except Exception:  # noqa: BLE001 - unknown TD: store what the AppSpec says
        return td


def _set_primary(ecs: Any, svc: Any, td_arn: str) -> None:
    """The service now runs td_arn: its task definition and (CODE_DEPLOY) one PRIMARY task set."""
    from .ecs_services import replace_task_set

    svc.task_definition = td_arn
    svc.running_count, svc.pending_count = svc.desired_count, 0
    if _is_code_deploy(svc):
        replace_task_set(ecs, svc, td_arn)


def _apply_to_ecs(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    hit = _ecs_service(backend, dep)
    td_arn = _green_td(hit[0], dep) if hit else None
    if hit is None or not td_arn:
        return
    ecs, svc = hit
    rt = _rt(dep)
    if rt is not None and rt.restore_td and svc.task_definition == td_arn:
        return  # a rollback whose blue task set is already back in place
    _set_primary(ecs, svc, td_arn)


def _shift_to_green(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    """Termination wait: green becomes PRIMARY with all traffic; blue stays as an ACTIVE task set."""
    rt = _rt(dep)
    hit = _ecs_service(backend, dep)
    td_arn = _green_td(hit[0], dep) if hit else None
    if rt is None or rt.green_applied or hit is None or not td_arn:
        return
    ecs, svc = hit
    rt.blue_sets = [(ts, ts.status) for ts in svc.task_sets or []]
    _set_primary(ecs, svc, td_arn)
    if _is_code_deploy(svc):
        for ts, _ in rt.blue_sets:
            ts.status = "ACTIVE"
            svc.task_sets.append(ts)
    rt.green_applied = True


def _drop_blue(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    """End of the termination wait: the blue task set is deleted."""
    rt = _rt(dep)
    hit = _ecs_service(backend, dep)
    if rt is not None and hit is not None and _is_code_deploy(hit[1]):
        blue = {id(ts) for ts, _ in rt.blue_sets}
        hit[1].task_sets = [ts for ts in hit[1].task_sets if id(ts) not in blue]
    if rt is not None:
        rt.blue_sets = []


def _restore_blue(backend: CodeDeployBackend, dep: DeploymentInfo) -> None:
    """Rollback during the termination wait: traffic and the service go back to blue."""
    rt = _rt(dep)
    hit = _ecs_service(backend, dep)
    if rt is None or not rt.green_applied or hit is None:
        return
    _, svc = hit
    if rt.blue_td:
        svc.task_definition = rt.blue_td
    if _is_code_deploy(svc) and rt.blue_sets:
        for ts, status in rt.blue_sets:
            ts.status = status
        svc.task_sets = [ts for ts, _ in rt.blue_sets]
    rt.blue_sets = []
    rt.green_applied = False


# ---------------------------------------------------------------------------
# revisions
# ---------------------------------------------------------------------------
def _revision_content(rev: dict[str, Any] | None) -> str | None:
    if not rev:
        return None
    for key in ("appSpecContent", "string"):
        if rev.get(key) and rev[key].get("content") is not None:
            return rev[key]["content"]
    return None


def _with_sha(rev: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rev:
        return rev
    out = json.loads(json.dumps(rev))
    for key in ("appSpecContent", "string"):
        if out.get(key) and out[key].get("content") is not None:
            out[key].setdefault("sha256", hashlib.sha256(out[key]["content"].encode()).hexdigest())
    return out


def _same_revision(a: dict[str, Any], b: dict[str, Any]) -> bool:
    a, b = _with_sha(a) or {}, _with_sha(b) or {}
    kind = a.get("revisionType")
    if kind != b.get("revisionType"):
        return False
    if kind in ("AppSpecContent", "String"):
        key = "appSpecContent" if kind == "AppSpecContent" else "string"
        wa, wb = a.get(key) or {}, b.get(key) or {}
        if wb.get("sha256") and wa.get("sha256") == wb.get("sha256"):
            return True
        return wb.get("content") is not None and wa.get("content") == wb.get("content")
    if kind == "S3":
        sa, sb = a.get("s3Location") or {}, b.get("s3Location") or {}
        return all(sa.get(k) == sb.get(k) for k in ("bucket", "key") ) and all(
            sb.get(k) in (None, sa.get(k)) for k in ("version", "eTag")
        )
    return a == b


# ---------------------------------------------------------------------------
# patched / new response methods
# ---------------------------------------------------------------------------
_orig_dep_init = DeploymentInfo.__init__
_orig_create_deployment = CodeDeployBackend.create_deployment
_orig_create_deployment_group = CodeDeployBackend.create_deployment_group
_orig_deployment_info = cd_responses._deployment_info
_orig_deployment_group_info = cd_responses._deployment_group_info
_orig_get_deployment = CodeDeployResponse.get_deployment
_orig_batch_get_deployments = CodeDeployResponse.batch_get_deployments


def _dep_init(self: DeploymentInfo, *args: Any, **kwargs: Any) -> None:
    _orig_dep_init(self, *args, **kwargs)
    self.deployment_id = codedeploy_id()


def create_deployment(self: CodeDeployBackend, application_name: str, deployment_group_name: str, revision: dict[str, Any], *args: Any, **kwargs: Any) -> str:
    group = self.deployment_groups.get(application_name, {}).get(deployment_group_name)
    if group is not None:
        for other in self.deployments.values():
            if other.deployment_group is group and _status(other) not in TERMINAL:
                raise _err(
                    "DeploymentLimitExceededException",
                    f"The Deployment Group '{deployment_group_name}' already has an active Deployment '{other.deployment_id}'",
                )
    dep_id = _orig_create_deployment(self, application_name, deployment_group_name, revision, *args, **kwargs)
    dep = self.deployments[dep_id]
    if dep.ignore_application_stop_failures is None:
        # AWS answers ignoreApplicationStopFailures false when it was not sent (corpus cli-deploy-get-deployment)
        dep.ignore_application_stop_failures = False
    plan = state.take(state.codedeploy_outcomes, self.account_id, self.region_name, application_name, deployment_group_name)
    dep._emu = _new_runtime(self, dep, plan)
    last = getattr(dep.deployment_group, "_last_successful", None)
    dep._emu.previous_revision = last.revision if last is not None else None
    dep.deployment_group._last_attempted = dep
    _sync(dep)
    return dep_id


def _new_runtime(backend: CodeDeployBackend, dep: DeploymentInfo, plan: dict[str, Any] | None) -> DeploymentRuntime:
    """The walk of a new deployment, with the group's ready and termination waits (in AWS minutes)."""
    group = dep.deployment_group
    ready = (group.blue_green_deployment_configuration or {}).get("deploymentReadyOption") or {}
    wait_ready = ready.get("actionOnTimeout") == "STOP_DEPLOYMENT"
    ready_minutes = float(ready.get("waitTimeInMinutes") or 0) if wait_ready else 0.0
    action, termination_minutes = _termination_option(group)
    rt = DeploymentRuntime(
        dep, backend.account_id, plan, wait_ready, ready_minutes, termination_minutes if action == "TERMINATE" else 0.0
    )
    hit = _ecs_service(backend, dep)
    rt.blue_td = hit[1].task_definition if hit else None
    return rt


def create_deployment_group(self: CodeDeployBackend, application_name: str, deployment_group_name: str, deployment_config_name: str | None, *args: Any, **kwargs: Any) -> str:
    app = self.applications.get(application_name)
    if not deployment_config_name and app is not None and app.compute_platform == "ECS":
        deployment_config_name = "CodeDeployDefault.ECSAllAtOnce"
    return _orig_create_deployment_group(self, application_name, deployment_group_name, deployment_config_name, *args, **kwargs)


def _deployment_info(dep: DeploymentInfo) -> dict[str, Any]:
    info = _orig_deployment_info(dep)
    info["revision"] = _with_sha(dep.revision)
    rt = _rt(dep)
    if rt is None:
        return info
    info["status"] = _status(dep)
    info["errorInformation"] = rt.error
    info["rollbackInfo"] = rt.rollback_info or None
    info["previousRevision"] = _with_sha(rt.previous_revision)
    info["deploymentStatusMessages"] = [rt.error["message"]] if rt.error else []
    return info


def _brief(dep: DeploymentInfo | None) -> dict[str, Any] | None:
    if dep is None:
        return None
    return {
        "deploymentId": dep.deployment_id,
        "status": _status(dep),
        "endTime": dep.complete_time,
        "createTime": dep.create_time,
    }


def _deployment_group_info(group: Any) -> dict[str, Any]:
    info = _orig_deployment_group_info(group)
    info["lastSuccessfulDeployment"] = _brief(getattr(group, "_last_successful", None))
    info["lastAttemptedDeployment"] = _brief(getattr(group, "_last_attempted", None))
    last = getattr(group, "_last_successful", None)
    info["targetRevision"] = _with_sha(last.revision) if last is not None else None
    return info


def _get_dep(self: CodeDeployResponse, deployment_id: str | None) -> DeploymentInfo:
    if not deployment_id:
        raise _err("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    return self.codedeploy_backend.get_deployment(deployment_id)


def get_deployment(self: CodeDeployResponse) -> ActionResult:
    dep = _get_dep(self, self._get_param("deploymentId"))
    poll(self.codedeploy_backend, dep)
    return _orig_get_deployment(self)


def batch_get_deployments(self: CodeDeployResponse) -> ActionResult:
    backend = self.codedeploy_backend
    seen = set()
    for dep_id in self._get_param("deploymentIds") or []:
        if dep_id in backend.deployments and dep_id not in seen:
            seen.add(dep_id)
            poll(backend, backend.deployments[dep_id])
    return _orig_batch_get_deployments(self)


def stop_deployment(self: CodeDeployResponse) -> ActionResult:
    dep = _get_dep(self, self._get_param("deploymentId"))
    if _status(dep) in TERMINAL:
        raise _err("DeploymentAlreadyCompletedException", f"The deployment {dep.deployment_id} has already completed.")
    if _rt(dep) is None:
        dep._emu = DeploymentRuntime(dep, self.codedeploy_backend.account_id, None, False)
    return ActionResult(stop(self.codedeploy_backend, dep, self._get_param("autoRollbackEnabled")))


def continue_deployment(self: CodeDeployResponse) -> ActionResult:
    dep = _get_dep(self, self._get_param("deploymentId"))
    wait_type = self._get_param("deploymentWaitType") or "READY_WAIT"
    status = _status(dep)
    if status in TERMINAL:
        raise _err("DeploymentAlreadyCompletedException", f"The deployment {dep.deployment_id} has already completed.")
    if wait_type == "READY_WAIT":
        if status != "Ready":
            raise _err("DeploymentIsNotInReadyStateException", f"The deployment {dep.deployment_id} is not in the Ready state.")
        _advance(self.codedeploy_backend, dep)
    elif wait_type == "TERMINATION_WAIT":
        rt = _rt(dep)
        if rt is not None and rt.position == "Bake":
            _advance(self.codedeploy_backend, dep)  # ends the termination wait now
    else:
        raise _err("InvalidDeploymentWaitTypeException", f"Invalid deployment wait type: {wait_type}")
    return ActionResult({})


def _target_id(dep: DeploymentInfo) -> str | None:
    services = dep.deployment_group.ecs_services or []
    if not services:
        return None
    return f"{services[0].get('clusterName')}:{services[0].get('serviceName')}"


def _target(backend: CodeDeployBackend, dep: DeploymentInfo) -> dict[str, Any]:
    rt = _rt(dep)
    target_id = _target_id(dep) or ""
    cluster, _, service = target_id.partition(":")
    region, account = backend.region_name, backend.account_id
    part = get_partition(region)
    events = []
    for i, name in enumerate(EVENTS):
        ev: dict[str, Any] = {"lifecycleEventName": name, "status": rt.event_status(i) if rt else "Pending"}
        times = rt.event_times.get(i, {}) if rt else {}
        if ev["status"] != "Pending":
            ev.update({k: v for k, v in times.items()})
        if ev["status"] == "Failed" and rt and rt.error:
            ev["diagnostics"] = {"errorCode": "UnknownError", "message": rt.error["message"], "scriptName": "", "logTail": ""}
        events.append(ev)
    status = _status(dep)
    green_weight = 0.0
    if status == "Succeeded" or (rt is not None and rt.green_applied):
        green_weight = 100.0
    elif rt is not None and rt.position == "Traffic" and not rt.end_state:
        cfg = BUILTIN_CONFIGS.get(str(dep.deployment_config_name), {}).get("trafficRoutingConfig", {"type": "AllAtOnce"})
        if cfg["type"] == "TimeBasedCanary":
            green_weight = float(cfg["timeBasedCanary"]["canaryPercentage"])
        elif cfg["type"] == "TimeBasedLinear":
            green_weight = float(cfg["timeBasedLinear"]["linearPercentage"])
        else:
            green_weight = 100.0
    tgs = []
    for pair in (dep.deployment_group.load_balancer_info or {}).get("targetGroupPairInfoList") or []:
        tgs = [tg.get("name") for tg in pair.get("targetGroups") or []]
        break
    desired = 0
    from moto.ecs.models import ecs_backends

    svc = ecs_backends[account][region].services.get(f"{cluster}:{service}")
    if svc is not None:
        desired = svc.desired_count
    green_running = desired if status not in ("Created",) and not (rt and rt.end_state) else 0
    if rt is not None and rt.green_applied:
        green_running = desired
    blue = {
        "identifer": f"ecs-svc/{abs(hash(dep.deployment_id + 'blue')) % 10**19:019d}",
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": desired if status != "Succeeded" else 0,
        "status": "PRIMARY" if green_weight < 100 else "ACTIVE",
        "trafficWeight": 100.0 - green_weight,
        "taskSetLabel": "Blue",
    }
    green = {
        "identifer": f"ecs-svc/{abs(hash(dep.deployment_id + 'green')) % 10**19:019d}",
        "desiredCount": desired,
        "pendingCount": 0 if green_running else (desired if status == "InProgress" else 0),
        "runningCount": green_running,
        "status": "PRIMARY" if green_weight >= 100 else "ACTIVE",
        "trafficWeight": green_weight,
        "taskSetLabel": "Green",
    }
    if len(tgs) >= 1:
        blue["targetGroup"] = {"name": tgs[0]}
    if len(tgs) >= 2:
        green["targetGroup"] = {"name": tgs[1]}
    return {
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": dep.deployment_id,
            "targetId": target_id,
            "targetArn": f"arn:{part}:ecs:{region}:{account}:service/{cluster}/{service}",
            "lastUpdatedAt": rt.last_updated if rt else dep.create_time,
            "lifecycleEvents": events,
            "status": _target_status(dep),
            "taskSetsInfo": [blue, green],
        },
    }


def _check_target(dep: DeploymentInfo, target_id: str | None) -> None:
    if not target_id:
        raise _err("DeploymentTargetIdRequiredException", "A deployment target ID must be specified.")
    if target_id != _target_id(dep):
        raise _err("DeploymentTargetDoesNotExistException", f"The deployment target {target_id} does not exist.")


def get_deployment_target(self: CodeDeployResponse) -> ActionResult:
    dep = _get_dep(self, self._get_param("deploymentId"))
    target_id = self._get_param("targetId")
    _check_target(dep, target_id)
    poll(self.codedeploy_backend, dep)
    return ActionResult({"deploymentTarget": _target(self.codedeploy_backend, dep)})


def batch_get_deployment_targets(self: CodeDeployResponse) -> ActionResult:
    dep = _get_dep(self, self._get_param("deploymentId"))
    ids = self._get_param("targetIds") or []
    if not ids:
        raise _err("DeploymentTargetIdRequiredException", "A deployment target ID must be specified.")
    for t in ids:
        _check_target(dep, t)
    poll(self.codedeploy_backend, dep)
    target = _target(self.codedeploy_backend, dep)
    return ActionResult({"deploymentTargets": [target for _ in dict.fromkeys(ids)]})


def list_deployment_targets(self: CodeDeployResponse) -> ActionResult:
    dep = _get_dep(self, self._get_param("deploymentId"))
    tid = _target_id(dep)
    return ActionResult({"targetIds": [tid] if tid else []})


def get_application_revision(self: CodeDeployResponse) -> ActionResult:
    backend = self.codedeploy_backend
    app_name = self._get_param("applicationName")
    revision = self._get_param("revision")
    if not app_name:
        raise _err("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
    backend.get_application(app_name)
    if not revision:
        raise _err("RevisionRequiredException", "The revision ID was not specified.")
    matches = [
        d for d in backend.deployments.values() if d.application_name == app_name and _same_revision(d.revision, revision)
    ]
    if not matches:
        raise _err("RevisionDoesNotExistException", "The named revision does not exist with the IAM user or AWS account.")
    matches.sort(key=lambda d: d.create_time)
    return ActionResult(
        {
            "applicationName": app_name,
            "revision": _with_sha(matches[-1].revision),
            "revisionInfo": {
                "description": matches[0].description,
                "deploymentGroups": sorted({d.deployment_group_name for d in matches}),
                "firstUsedTime": matches[0].create_time,
                "lastUsedTime": matches[-1].create_time,
                "registerTime": matches[0].create_time,
            },
        }
    )


def get_deployment_config(self: CodeDeployResponse) -> ActionResult:
    name = self._get_param("deploymentConfigName")
    if not name:
        raise _err("DeploymentConfigNameRequiredException", "The deployment configuration name was not specified.")
    cfg = BUILTIN_CONFIGS.get(name)
    if cfg is None:
        raise _err("DeploymentConfigDoesNotExistException", f"The deployment configuration {name} does not exist with the IAM user or AWS account.")
    info = {
        "deploymentConfigId": hashlib.md5(name.encode()).hexdigest()[:8] + "-0000-0000-0000-000000000000",
        "deploymentConfigName": name,
        "createTime": CONFIG_CREATED,
        **cfg,
    }
    return ActionResult({"deploymentConfigInfo": info})


def list_deployment_configs(self: CodeDeployResponse) -> ActionResult:
    return ActionResult({"deploymentConfigsList": sorted(BUILTIN_CONFIGS)})


def find_deployment(account: str, region: str | None, deployment_id: str) -> tuple[CodeDeployBackend, DeploymentInfo]:
    regions = [region] if region else sorted(codedeploy_backends[account].keys(), key=lambda r: (r != state.DEFAULT_REGION, r))
    for r in regions:
        backend = codedeploy_backends[account][r]
        dep = backend.deployments.get(deployment_id)
        if dep is not None:
            return backend, dep
    raise ControlError(404, f"deployment {deployment_id} not found in account {account}", "deploymentId")


def force_status(account: str, region: str | None, deployment_id: str, status: str, error: Any) -> dict[str, Any]:
    """Control API: put a deployment into a status now."""
    backend, dep = find_deployment(account, region, deployment_id)
    rt = _rt(dep)
    if rt is None:
        rt = dep._emu = DeploymentRuntime(dep, account, None, False)
    if status == "Failed":
        if rt.end_state is None:
            fail(backend, dep, error)
    elif status == "Stopped":
        if rt.end_state is None:
            stop(backend, dep, False)
    elif status == "Succeeded":
        rt.end_state = None
        _succeed(backend, dep)
    elif status in ("Created", "Queued"):
        rt.pos, rt.end_state = 0, None
    elif status == "Ready":
        if "Ready" not in rt.positions:
            rt.positions.insert(rt.positions.index("Traffic"), "Ready")
        rt.pos, rt.end_state = rt.positions.index("Ready"), None
        rt.deadline = rt.ready_deadline()
    else:  # InProgress / Baking
        rt.pos, rt.end_state = rt.positions.index("Test"), None
    rt._touch_events()
    _sync(dep)
    if status in ("Queued", "Baking"):
        dep.status = status
    return {"status": "ok", "deploymentId": deployment_id, "deploymentStatus": dep.status}


def install() -> None:
    DeploymentInfo.__init__ = _dep_init
    CodeDeployBackend.create_deployment = create_deployment
    CodeDeployBackend.create_deployment_group = create_deployment_group
    cd_responses._deployment_info = _deployment_info
    cd_responses._deployment_group_info = _deployment_group_info
    R = CodeDeployResponse
    R.get_deployment = get_deployment
    R.batch_get_deployments = batch_get_deployments
    R.stop_deployment = stop_deployment
    R.continue_deployment = continue_deployment
    R.get_deployment_target = get_deployment_target
    R.batch_get_deployment_targets = batch_get_deployment_targets
    R.list_deployment_targets = list_deployment_targets
    R.get_application_revision = get_application_revision
    R.get_deployment_config = get_deployment_config
    R.list_deployment_configs = list_deployment_configs
