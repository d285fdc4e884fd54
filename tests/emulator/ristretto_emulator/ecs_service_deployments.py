"""ECS service-deployment APIs moto lacks: ListServiceDeployments,
DescribeServiceDeployments, StopServiceDeployment, ContinueServiceDeployment
and DescribeServiceRevisions (shapes from botocore's ECS model)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from . import ecs_rollouts as ro
from .ecs_errors import Conflict, InvalidParameter, ServiceDeploymentNotFound
from .ecs_services import runtime
from .util import paginate

STATUSES = {
    "PENDING", "SUCCESSFUL", "STOPPED", "STOP_REQUESTED", "IN_PROGRESS",
    "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED",
}


def _parse(arn: str, kind: str) -> tuple[str, str] | None:
    """(cluster, service) from arn:aws:ecs:R:A:<kind>/CLUSTER/SERVICE/ID."""
    try:
        resource = arn.split(":", 5)[5]
    except IndexError:
        return None
    parts = resource.split("/")
    if len(parts) != 4 or parts[0] != kind:
        return None
    return parts[1], parts[2]


def _service_for(backend: Any, arn: str, kind: str) -> Any | None:
    parsed = _parse(arn, kind)
    if parsed is None:
        return None
    service = backend.services.get(f"{parsed[0]}:{parsed[1]}")
    return service


def _find_sd(backend: Any, arn: str) -> tuple[ro.ServiceRuntime, ro.ServiceDeployment] | None:
    service = _service_for(backend, arn, "service-deployment")
    if service is None:
        return None
    rt = runtime(service, backend)
    sd = rt.find_sd(arn)
    return (rt, sd) if sd is not None else None


def _ts(v: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, (int, float)):
        return datetime.fromtimestamp(v, tz=timezone.utc).replace(tzinfo=None)
    return datetime.fromisoformat(str(v).replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def list_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    service_param = self._get_param("service")
    if not service_param:
        raise InvalidParameter("service must be specified.")
    cluster = self._get_param("cluster") or "default"
    service = backend._get_service(cluster, service_param.split("/")[-1])
    statuses = self._get_param("status") or []
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise InvalidParameter(f"Invalid status: {bad[0]}")
    created = self._get_param("createdAt") or {}
    before, after = _ts(created.get("before")), _ts(created.get("after"))
    max_results = self._get_param("maxResults")
    if max_results is not None and not 1 <= max_results <= 100:
        raise InvalidParameter("maxResults must be between 1 and 100.")
    rt = runtime(service, backend)
    sds = [
        sd
        for sd in reversed(rt.sds)
        if (not statuses or sd.status in statuses)
        and (before is None or sd.created_at <= before)
        and (after is None or sd.created_at >= after)
    ]
    try:
        page, token = paginate(sds, self._get_param("nextToken"), max_results, 20)
    except ValueError:
        raise InvalidParameter("Invalid nextToken.")
    out: dict[str, Any] = {"serviceDeployments": [sd.brief(rt) for sd in page]}
    if token:
        out["nextToken"] = token
    return ActionResult(out)


def describe_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    arns = self._get_param("serviceDeploymentArns") or []
    if not arns:
        raise InvalidParameter("serviceDeploymentArns cannot be empty.")
    if len(arns) > 20:
        raise InvalidParameter("serviceDeploymentArns cannot have more than 20 elements.")
    stepped: set[int] = set()
    found, failures = [], []
    for arn in arns:
        hit = _find_sd(backend, arn)
        if hit is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        rt, sd = hit
        if id(rt) not in stepped:
            stepped.add(id(rt))
            if rt.service.status == "ACTIVE":
                ro.step(rt)
        found.append(sd.describe(rt))
    return ActionResult({"serviceDeployments": found, "failures": failures})


def stop_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    arn = self._get_param("serviceDeploymentArn")
    stop_type = self._get_param("stopType") or "ROLLBACK"
    if stop_type not in ("ROLLBACK", "ABORT"):
        raise InvalidParameter(f"Invalid stopType: {stop_type}")
    hit = _find_sd(backend, arn or "")
    if hit is None:
        raise ServiceDeploymentNotFound(arn)
    rt, sd = hit
    if sd.phase == "done":
        raise Conflict(f"The service deployment {arn} is in a terminal state ({sd.status}) and cannot be stopped.")
    if sd.phase == "deploy":
        ro.request_rollback(rt, sd, f"Service deployment stopped by a StopServiceDeployment request (stopType {stop_type}).")
        rt.sync()
    return ActionResult({"serviceDeploymentArn": sd.arn})


def continue_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    arn = self._get_param("serviceDeploymentArn")
    hook = self._get_param("hookId")
    action = self._get_param("action") or "CONTINUE"
    if action not in ("CONTINUE", "ROLLBACK"):
        raise InvalidParameter(f"Invalid action: {action}")
    if not hook:
        raise InvalidParameter("hookId must be specified.")
    hit = _find_sd(backend, arn or "")
    if hit is None:
        raise ServiceDeploymentNotFound(arn)
    rt, sd = hit
    if sd.phase != "deploy":
        raise InvalidParameter(f"The service deployment {arn} is not in progress ({sd.status}).")
    ro.continue_hook(rt, sd, hook, action)
    return ActionResult({"serviceDeploymentArn": sd.arn})


def describe_service_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    arns = self._get_param("serviceRevisionArns") or []
    if not arns:
        raise InvalidParameter("serviceRevisionArns cannot be empty.")
    if len(arns) > 20:
        raise InvalidParameter("serviceRevisionArns cannot have more than 20 elements.")
    found, failures = [], []
    for arn in arns:
        service = _service_for(backend, arn, "service-revision")
        rev = runtime(service, backend).revisions.get(arn) if service is not None else None
        if rev is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(rev.describe(runtime(service, backend)))
    return ActionResult({"serviceRevisions": found, "failures": failures})


def install() -> None:
    R = EC2ContainerServiceResponse
    R.list_service_deployments = list_service_deployments
    R.describe_service_deployments = describe_service_deployments
    R.stop_service_deployment = stop_service_deployment
    R.continue_service_deployment = continue_service_deployment
    R.describe_service_revisions = describe_service_revisions
