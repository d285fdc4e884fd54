"""Patches of moto's ECS service operations: CreateService, UpdateService,
DescribeServices, ListServices and DeleteService, backed by ecs_rollouts."""
from __future__ import annotations

import copy
import re
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs import models as ecs_models
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.responses import DESCRIBE_SERVICES_TAGS, EC2ContainerServiceResponse
from moto.utilities.utils import get_partition

from . import ecs_defaults, state
from . import ecs_rollouts as ro
from .ecs_errors import ClientError, InvalidParameter, ServiceNotActive
from .util import now, paginate

# camelCase request field -> attribute on moto's Service object
SERVICE_FIELDS = {
    "enableExecuteCommand": "enable_execute_command",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enableECSManagedTags",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "propagateTags": "propagate_tags",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
    "serviceConnectConfiguration": "service_connect_configuration",
    "volumeConfigurations": "volume_configurations",
    "vpcLatticeConfigurations": "vpc_lattice_configurations",
    "loadBalancers": "load_balancers",
    "serviceRegistries": "service_registries",
    "platformVersion": "platform_version",
}


def runtime(service: Any, backend: Any) -> ro.ServiceRuntime:
    """The rollout state of a service, created on first use (e.g. for services
    made by CloudFormation) from whatever moto holds."""
    rt = getattr(service, "_emu", None)
    if rt is not None:
        return rt
    rt = ro.ServiceRuntime(service, backend)
    service._emu = rt
    if service.deployment_controller.get("type", "ECS") == "ECS" and service.task_definition:
        td_arn = resolve_td(backend, service.task_definition, check_active=False)
        rev = ro.Revision(rt, td_arn, ro.revision_snapshot(service))
        rt.revisions[rev.arn] = rev
        dep = ro.Deployment(rev, service.desired_count)
        dep.running = service.desired_count
        dep.rollout_state = "COMPLETED"
        dep.rollout_state_reason = f"ECS deployment {dep.id} completed."
        rt.deployments = [dep]
        rt.last_good = dep
        rt.sync()
    return rt


def resolve_td(backend: Any, td: str, check_active: bool = True) -> str:
    try:
        task_def = backend.describe_task_definition(td)
    except (TaskDefinitionNotFoundException, ValueError):
        raise ClientError("TaskDefinition not found.")
    if check_active and task_def.status != "ACTIVE":
        raise ClientError("TaskDefinition is inactive")
    return task_def.arn


# A service with an EXTERNAL (or CODE_DEPLOY) controller reports only the percentages
# (cli-create-service-external); the circuit breaker and strategy belong to the ECS controller.
NON_ECS_DEPLOYMENT_CONFIGURATION = {"maximumPercent": 200, "minimumHealthyPercent": 100}


def _merge_deployment_configuration(
    old: dict[str, Any] | None, new: dict[str, Any] | None, controller: str = "ECS"
) -> dict[str, Any]:
    base = ro.DEFAULT_DEPLOYMENT_CONFIGURATION if controller == "ECS" else NON_ECS_DEPLOYMENT_CONFIGURATION
    merged = copy.deepcopy(old or base)
    for k, v in (new or {}).items():
        merged[k] = copy.deepcopy(v)
    return ecs_defaults.deployment_configuration(merged)


def apply_fields(service: Any, params: dict[str, Any]) -> None:
    for key, attr in SERVICE_FIELDS.items():
        if key in params and params[key] is not None:
            setattr(service, attr, copy.deepcopy(params[key]))
    if params.get("serviceConnectConfiguration"):
        cluster = service._backend.clusters.get(service.cluster_name)
        service.service_connect_configuration = ecs_defaults.service_connect_configuration(
            params["serviceConnectConfiguration"], getattr(cluster, "service_connect_defaults", None)
        )
    if params.get("capacityProviderStrategy"):
        service.capacity_provider_strategy = ecs_defaults.capacity_provider_strategy(params["capacityProviderStrategy"])
    if "deploymentConfiguration" in params:
        service.deployment_configuration = _merge_deployment_configuration(
            getattr(service, "deployment_configuration", None),
            params["deploymentConfiguration"],
            service.deployment_controller.get("type", "ECS"),
        )
    if params.get("networkConfiguration") is not None:
        service.network_configuration = ecs_defaults.network_configuration(
            service._validate_network(copy.deepcopy(params["networkConfiguration"]))
        )
    if service.launch_type == "FARGATE" or any(
        (c.get("capacityProvider") or "").startswith("FARGATE") for c in getattr(service, "capacity_provider_strategy", None) or []
    ):
        service.platform_family = "Linux"
        if not service.platform_version:
            service.platform_version = "LATEST"


def _validate_network(self: Any, nc: dict[str, Any]) -> dict[str, Any]:
    """moto crashes (KeyError) on awsvpcConfiguration without securityGroups."""
    c = nc.get("awsvpcConfiguration") or {}
    if "securityGroups" not in c:
        probe = copy.deepcopy(nc)
        probe["awsvpcConfiguration"]["securityGroups"] = []
        _orig_validate_network(self, probe)
        return nc
    return _orig_validate_network(self, nc)


_orig_validate_network = ecs_models.Service._validate_network
_orig_create_service = EC2ContainerServiceResponse.create_service
_orig_delete_service = EC2ContainerServiceResponse.delete_service


def create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    params = self._get_params()
    cluster = backend._get_cluster(params.get("cluster") or "default")
    name = params.get("serviceName")
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        raise InvalidParameter("Creation of service was not idempotent.")
    controller = (params.get("deploymentController") or {}).get("type", "ECS")
    if params.get("taskDefinition"):
        resolve_td(backend, params["taskDefinition"])
    elif controller != "EXTERNAL":
        raise InvalidParameter("TaskDefinition must be specified.")
    if params.get("launchType") and params.get("capacityProviderStrategy"):
        raise InvalidParameter("Specifying both a launch type and capacity provider strategy is not supported.")
    ro.validate_lifecycle_hooks(params.get("deploymentConfiguration"))
    sent = params.get("deploymentConfiguration")
    ro.validate_early_success(sent, {**ro.DEFAULT_DEPLOYMENT_CONFIGURATION, **(sent or {})}, controller)
    result = _orig_create_service(self)
    service = backend.services[f"{cluster.name}:{name}"]
    if params.get("capacityProviderStrategy") and not params.get("launchType"):
        service.launch_type = None
    service.deployment_configuration = _merge_deployment_configuration(None, params.get("deploymentConfiguration"), controller)
    service.enable_execute_command = False
    service.enableECSManagedTags = False
    service.placement_constraints = []
    service.placement_strategy = []
    # botocore CreateService.healthCheckGracePeriodSeconds: "the default value of 0 is used";
    # returned as 0 in codelib-create-service-ebs-volume and cli-update-service-desired-count.
    service.health_check_grace_period_seconds = 0
    # botocore CreateService.availabilityZoneRebalancing: "For create service requests, when no
    # value is specified ... Amazon ECS defaults the value to ENABLED" (services created before
    # that default report DISABLED, e.g. codelib-create-service-ebs-volume from January 2025).
    service.availability_zone_rebalancing = "ENABLED"
    service.network_configuration = ecs_defaults.network_configuration(service.network_configuration)
    service.role_arn = ecs_defaults.role_arn(params, backend.account_id, backend.region_name, controller)
    if controller == "ECS":
        # services of the ECS controller have no taskSets member (cli-update-service-desired-count,
        # codelib-create-service-ebs-volume); EXTERNAL ones report [] (cli-create-service-external).
        # moto's serializer looks the member up by its shape name (TaskSets) before task_sets,
        # so this hides moto's task_sets list from the answer without touching it.
        service.TaskSets = None
    apply_fields(service, params)
    service.created_at = now()
    service.created_by = ecs_defaults.caller_arn(backend.account_id, backend.region_name)
    service.deployments = []
    rt = ro.ServiceRuntime(service, backend)
    service._emu = rt
    if controller == "ECS":
        plan = state.take(state.ecs_outcomes, backend.account_id, backend.region_name, cluster.name, name)
        ro.start_deployment(rt, service.task_definition, plan)
    else:
        service.running_count, service.pending_count = service.desired_count, 0
        if controller == "CODE_DEPLOY":
            replace_task_set(backend, service, service.task_definition)
    return result


def replace_task_set(backend: Any, service: Any, td_arn: str) -> None:
    """CODE_DEPLOY services: one PRIMARY task set running the service's task definition."""
    ts = ecs_models.TaskSet(
        service.arn,
        service.cluster_arn,
        td_arn,
        backend.account_id,
        backend.region_name,
        network_configuration=service.network_configuration or None,
        load_balancers=service.load_balancers,
        service_registries=service.service_registries,
        launch_type=service.launch_type,
        platform_version=service.platform_version,
        external_id=None,
    )
    ts.service_arn, ts.cluster_arn = service.arn, service.cluster_arn
    ts.status = "PRIMARY"
    ts.computed_desired_count = ts.running_count = service.desired_count
    ts.pending_count = 0
    ts.started_by = "CodeDeploy"
    service.task_sets = [ts]


def update_service(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    params = self._get_params()
    cluster_str = params.get("cluster") or "default"
    service = backend._get_service(cluster_str, params["service"].split("/")[-1])
    if service.status != "ACTIVE":
        raise ServiceNotActive()
    rt = runtime(service, backend)
    controller = service.deployment_controller.get("type", "ECS")
    td_arn = resolve_td(backend, params["taskDefinition"]) if params.get("taskDefinition") else None
    if controller == "CODE_DEPLOY" and td_arn and td_arn != service.task_definition:
        raise InvalidParameter(
            "Unable to update task definition on services with a CODE_DEPLOY deployment controller. "
            "Use AWS CodeDeploy to trigger a new deployment."
        )
    desired = params.get("desiredCount")
    if desired is not None and desired < 0:
        raise InvalidParameter("desiredCount must be >= 0.")
    ro.validate_lifecycle_hooks(params.get("deploymentConfiguration"))
    sent = params.get("deploymentConfiguration")
    if sent is not None:
        current = getattr(service, "deployment_configuration", None) or ro.DEFAULT_DEPLOYMENT_CONFIGURATION
        ro.validate_early_success(sent, {**current, **sent}, controller)
    before = ro.revision_snapshot(service)
    apply_fields(service, params)
    changed = ro.revision_snapshot(service) != before
    if desired is not None:
        service.desired_count = desired
    if controller != "ECS":
        if td_arn:
            service.task_definition = td_arn
        service.running_count, service.pending_count = service.desired_count, 0
        for ts in service.task_sets:
            ts.computed_desired_count = ts.running_count = service.desired_count
        return ActionResult({"service": service})
    primary = rt.primary
    current_td = primary.revision.task_definition if primary else service.task_definition
    if (td_arn and td_arn != current_td) or params.get("forceNewDeployment") or changed or primary is None:
        plan = state.take(state.ecs_outcomes, backend.account_id, backend.region_name, service.cluster_name, service.name)
        ro.start_deployment(rt, td_arn or current_td, plan)
    elif desired is not None:
        ro.scale(rt, desired)
    rt.sync()
    return ActionResult({"service": service})


def _failure_arn(backend: Any, cluster: Any, name_or_arn: str) -> str:
    if re.match(r"^arn:aws[a-z-]*:ecs:", name_or_arn):
        return name_or_arn
    return (
        f"arn:{get_partition(backend.region_name)}:ecs:{backend.region_name}:{backend.account_id}"
        f":service/{cluster.name}/{name_or_arn}"
    )


def describe_services(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    names = self._get_param("services", []) or []
    if not names:
        raise InvalidParameter("Services cannot be empty.")
    found, failures, stepped = [], [], set()
    for name_or_arn in names:
        name = name_or_arn.split("/")[-1]
        service = backend.services.get(f"{cluster.name}:{name}")
        if service is None:
            failures.append({"arn": _failure_arn(backend, cluster, name_or_arn), "reason": "MISSING"})
            continue
        if id(service) not in stepped:
            stepped.add(id(service))
            if service.status == "ACTIVE":
                ro.step(runtime(service, backend))
        found.append(service)
    if "TAGS" in (self._get_param("include", []) or []):
        self._include_in_response(DESCRIBE_SERVICES_TAGS)
    else:
        self._exclude_from_response(DESCRIBE_SERVICES_TAGS)
    return ActionResult({"services": found, "failures": failures})


def list_services(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    strategy = self._get_param("schedulingStrategy")
    launch_type = self._get_param("launchType")
    # botocore ListServicesRequest.resourceManagementType (ECS | CUSTOMER): Express services are
    # managed by ECS (Service.resourceManagementType), every other service by the customer
    rmt = self._get_param("resourceManagementType")
    if rmt is not None and rmt not in ("ECS", "CUSTOMER"):
        raise InvalidParameter(f"Invalid resourceManagementType: {rmt}")
    arns = sorted(
        s.arn
        for s in backend.services.values()
        if s.cluster_name == cluster.name
        and s.status == "ACTIVE"
        and (strategy is None or s.scheduling_strategy == strategy)
        and (launch_type is None or s.launch_type == launch_type)
        and (rmt is None or (getattr(s, "resource_management_type", None) or "CUSTOMER") == rmt)
    )
    max_results = self._get_param("maxResults")
    if max_results is not None and not 1 <= max_results <= 100:
        raise InvalidParameter("maxResults must be between 1 and 100.")
    try:
        page, token = paginate(arns, self._get_param("nextToken"), max_results, 10)
    except ValueError:
        raise InvalidParameter("Invalid nextToken.")
    out: dict[str, Any] = {"serviceArns": page}
    if token:
        out["nextToken"] = token
    return ActionResult(out)


def delete_service(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _orig_delete_service(self)
    backend = self.ecs_backend
    service = backend._get_service(self._get_param("cluster", "default"), self._get_param("service").split("/")[-1])
    rt = getattr(service, "_emu", None)
    if rt is not None:
        sd = rt.active
        if sd is not None:
            sd.phase, sd.status = "done", "STOPPED"
            sd.status_reason = "Service deployment stopped: the service was deleted."
            sd.finished_at = sd.stopped_at = sd.updated_at = now()
        for dep in rt.deployments:
            rt.set_running(dep, 0)
        rt.sync()
        service.running_count = 0
    return result


def install() -> None:
    ecs_models.Service._validate_network = _validate_network
    R = EC2ContainerServiceResponse
    R.create_service = create_service
    R.update_service = update_service
    R.describe_services = describe_services
    R.list_services = list_services
    R.delete_service = delete_service
