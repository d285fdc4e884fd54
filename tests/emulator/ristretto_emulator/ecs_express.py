"""ECS Express Mode: CreateExpressGatewayService, UpdateExpressGatewayService,
DescribeExpressGatewayService and DeleteExpressGatewayService, which moto lacks.

Shapes, required members, enums and error codes come from botocore's ECS model
(botocore 1.44.8, botocore/data/ecs/2014-11-13/service-2.json: the four operations,
ECSExpressGatewayService, ExpressGatewayServiceConfiguration, UpdatedExpressGatewayService,
ExpressGatewayServiceStatusCode ACTIVE|DRAINING|INACTIVE, IngressPathSummary, ECSManagedResources).
The model has no List operation for Express services; ListServices takes a
``resourceManagementType`` filter (ECS | CUSTOMER) instead, and Service.resourceManagementType
"identifies whether an ECS Service is an Express Service managed by ECS".

An Express service *is* an ECS service: its ARN is the service ARN
(arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME; clients such as kayac/ecspresso express.go and
aws-nuke pass DescribeServices' serviceArn to DescribeExpressGatewayService), so Create makes a
real moto service through the emulator's CreateService (rollouts, service deployments, tasks,
/_emulator/ecs/outcome plans all apply) and every configuration is a service revision.
"""
from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, ServiceNotFoundException
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.utilities.utils import get_partition

from . import ecs_rollouts as ro
from . import state
from .ecs_errors import InvalidParameter, ServiceNotActive
from .ecs_services import create_service, resolve_td, runtime
from .util import now


class ResourceNotFound(ECSException):
    code = "ResourceNotFoundException"

    def __init__(self, message: str):
        super().__init__(message)


# botocore enums
CPU_ARCHITECTURES = ("X86_64", "ARM64")  # ExpressCpuArchitecture
SCALING_METRICS = ("AVERAGE_CPU", "AVERAGE_MEMORY", "REQUEST_COUNT_PER_TARGET")  # ExpressGatewayServiceScalingMetric
INCLUDES = ("TAGS",)  # ExpressGatewayServiceInclude

# ECS Developer Guide, "Resources created by Amazon ECS Express Mode services"
# (express-service-work.html), task definition defaults: cpu 1024, memory 2048, networkMode awsvpc,
# operatingSystemFamily LINUX, cpuArchitecture X86_64, requiresCompatibilities FARGATE.
# (botocore's member docs say 256 / 512; the guide's values are the ones kayac/ecspresso fills
# in to compare with what AWS reports, express.go sortExpressDefinition.)
DEFAULT_CPU = "1024"
DEFAULT_MEMORY = "2048"
DEFAULT_ARCHITECTURE = "X86_64"
# botocore ExpressGatewayContainer.containerPort: "Default is 80."
DEFAULT_PORT = 80
# botocore CreateExpressGatewayServiceRequest.healthCheckPath: "If not specified, the default
# health check path is /ping".
DEFAULT_HEALTH_CHECK_PATH = "/ping"
# botocore ExpressGatewayScalingTarget: default metric CPU utilisation (enum AVERAGE_CPU), target 60.
DEFAULT_METRIC = "AVERAGE_CPU"
DEFAULT_TARGET_VALUE = 60
# botocore ExpressGatewayServiceAwsLogsConfiguration.logStreamPrefix: "The default ... is ecs".
DEFAULT_LOG_STREAM_PREFIX = "ecs"
# ECS Developer Guide, "Updating an Amazon ECS Express Mode service" (express-service-update-full):
# canary deployments, 5 % of traffic shifted first, 3 minutes bake, then 100 %, then 3 minutes
# bake before the old tasks stop.  Run by the emulator's CANARY engine (minute_seconds applies).
DEPLOYMENT_CONFIGURATION = {
    "strategy": "CANARY",
    "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 3},
    "bakeTimeInMinutes": 3,
}
# The task definition must have "a container named Main" (botocore, taskDefinitionArn member).
CONTAINER_NAME = "Main"
# Members that cannot be sent with taskDefinitionArn (botocore, taskDefinitionArn member).
TD_EXCLUSIVE = ("primaryContainer", "executionRoleArn", "taskRoleArn", "cpu", "memory", "cpuArchitecture")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")  # serviceName: "up to 255 letters ..., numbers, underscores, and hyphens"


class Express:
    """What an Express service holds beyond its ECS service (service._express)."""

    def __init__(self, infrastructure_role_arn: str, endpoint: str, managed: dict[str, Any]):
        self.infrastructure_role_arn = infrastructure_role_arn
        self.endpoint = endpoint
        self.managed = managed  # security group / log group the emulator created
        self.status = "ACTIVE"
        self.status_reason: str | None = None
        self.created_at = self.updated_at = now()
        self.current: dict[str, Any] = {}  # the requested configuration (no revision ARN)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _endpoint(name: str, region: str) -> str:
    """A public Express endpoint: the first two characters of the service name, a hyphen, 32 hex
    digits, then .ecs.REGION.on.aws (the form of public Express endpoints, e.g. service
    niriksh-api -> ni-adada88b582b4d3ea6b21602d2c1abf7.ecs.us-east-1.on.aws; the host alone, as
    IngressPathSummary.endpoint is read by clients that prefix https://)."""
    prefix = (re.sub(r"[^a-z0-9]", "", name.lower()) or "ex")[:2]
    return f"{prefix}-{uuid.uuid4().hex}.ecs.{region}.on.aws"


def _parse_arn(arn: str | None) -> tuple[str, str]:
    """(cluster, service) of arn:aws:ecs:R:A:service/CLUSTER/NAME."""
    m = re.match(r"^arn:aws[a-z-]*:ecs:[^:]*:\d{12}:service/([^/]+)/([^/]+)$", arn or "")
    if not m:
        raise InvalidParameter(f"Invalid service ARN: {arn}")
    return m.group(1), m.group(2)


def _lookup(backend: Any, arn: str | None, missing: type[Exception]) -> Any:
    cluster, name = _parse_arn(arn)
    backend._get_cluster(cluster)  # ClusterNotFoundException
    service = backend.services.get(f"{cluster}:{name}")
    if service is None:
        if missing is ResourceNotFound:
            raise ResourceNotFound(f"The Express service {arn} was not found.")
        raise ServiceNotFoundException()
    if getattr(service, "_express", None) is None:
        raise InvalidParameter(f"The service {arn} is not an Express service.")
    return service


def _check_members(params: dict[str, Any]) -> None:
    arch = params.get("cpuArchitecture")
    if arch is not None and arch not in CPU_ARCHITECTURES:
        raise InvalidParameter(f"Invalid cpuArchitecture: {arch}. Valid values: X86_64, ARM64.")
    if params.get("taskDefinitionArn"):
        sent = [k for k in TD_EXCLUSIVE if params.get(k) is not None]
        if sent:
            raise InvalidParameter(f"taskDefinitionArn cannot be specified together with {', '.join(sent)}.")
    path = params.get("healthCheckPath")
    if path is not None and not path.startswith("/"):
        # botocore healthCheckPath: "The health check path must start with a forward slash"
        raise InvalidParameter("healthCheckPath must start with a forward slash (/).")
    pc = params.get("primaryContainer")
    if pc is not None:
        if not pc.get("image"):
            raise InvalidParameter("primaryContainer.image must be specified.")  # ExpressGatewayContainer required: image
        port = pc.get("containerPort")
        if port is not None and not 1 <= port <= 65535:
            raise InvalidParameter("primaryContainer.containerPort must be between 1 and 65535.")
        logs = pc.get("awsLogsConfiguration")
        if logs is not None and (not logs.get("logGroup") or not logs.get("logStreamPrefix")):
            # ExpressGatewayServiceAwsLogsConfiguration required: logGroup, logStreamPrefix
            raise InvalidParameter("awsLogsConfiguration requires logGroup and logStreamPrefix.")
    st = params.get("scalingTarget")
    if st is not None:
        metric = st.get("autoScalingMetric")
        if metric is not None and metric not in SCALING_METRICS:
            raise InvalidParameter(
                f"Invalid autoScalingMetric: {metric}. Valid values: {', '.join(SCALING_METRICS)}."
            )
        lo, hi = st.get("minTaskCount"), st.get("maxTaskCount")
        if (lo is not None and lo < 0) or (hi is not None and hi < 0):
            raise InvalidParameter("minTaskCount and maxTaskCount must be >= 0.")
        if lo is not None and hi is not None and lo > hi:
            raise InvalidParameter("minTaskCount must be less than or equal to maxTaskCount.")


def _check_customer_td(backend: Any, arn: str) -> Any:
    """botocore taskDefinitionArn: "must have a container named Main with a single TCP port
    mapping that includes a container port and port name ... must also have FARGATE compatibility"."""
    resolve_td(backend, arn)  # ClientException "TaskDefinition not found."
    td = backend.describe_task_definition(arn)
    main = [c for c in td.container_definitions if c.get("name") == CONTAINER_NAME]
    maps = (main[0].get("portMappings") or []) if main else []
    ok_port = len(maps) == 1 and maps[0].get("containerPort") and maps[0].get("name") and maps[0].get("protocol", "tcp") == "tcp"
    if not main or not ok_port or "FARGATE" not in (td.requires_compatibilities or []):
        raise InvalidParameter(
            "The task definition must have a container named Main with a single TCP port mapping "
            "that includes a container port and port name, and FARGATE compatibility."
        )
    return td


def _merge(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """Member-wise merge for Update: members sent replace, members omitted keep their value (an
    explicit empty list clears one; kayac/ecspresso express.go sends environment: [] / secrets: []
    "to reset them", i.e. omitting them keeps the old values)."""
    if new is None:
        return copy.deepcopy(old)
    out = copy.deepcopy(old or {})
    for k, v in new.items():
        if v is not None:
            out[k] = copy.deepcopy(v)
    return out


def _filled(cfg: dict[str, Any], cluster: str, name: str) -> dict[str, Any]:
    """AWS's defaults for what the request left out (sources at the constants above)."""
    out = copy.deepcopy(cfg)
    if out.get("taskDefinitionArn"):
        out.setdefault("healthCheckPath", DEFAULT_HEALTH_CHECK_PATH)
    else:
        out.setdefault("cpu", DEFAULT_CPU)
        out.setdefault("memory", DEFAULT_MEMORY)
        out.setdefault("cpuArchitecture", DEFAULT_ARCHITECTURE)
        out.setdefault("healthCheckPath", DEFAULT_HEALTH_CHECK_PATH)
        pc = out.setdefault("primaryContainer", {})
        pc.setdefault("containerPort", DEFAULT_PORT)
        # the emulator's log group name (AWS creates a "Log group specific to the service",
        # express-service-work.html, whose name the guide does not give)
        pc.setdefault("awsLogsConfiguration", {"logGroup": f"/aws/ecs/{cluster}/{name}", "logStreamPrefix": DEFAULT_LOG_STREAM_PREFIX})
    st = out.setdefault("scalingTarget", {})
    st.setdefault("autoScalingMetric", DEFAULT_METRIC)
    st.setdefault("autoScalingTargetValue", DEFAULT_TARGET_VALUE)
    return out


def _desired(cfg: dict[str, Any], current: int | None) -> int:
    """The underlying service's desiredCount: within [minTaskCount, maxTaskCount]; 1 when nothing
    says otherwise (the emulator's choice: AWS documents no default task counts)."""
    st = cfg.get("scalingTarget") or {}
    lo, hi = st.get("minTaskCount"), st.get("maxTaskCount")
    n = current if current is not None else (lo if lo is not None else 1)
    if lo is not None:
        n = max(n, lo)
    if hi is not None:
        n = min(n, hi)
    return n


def _register_td(backend: Any, cluster: str, name: str, cfg: dict[str, Any]) -> str:
    """The ECS-managed task definition of a configuration (express-service-work.html: "A task
    definition with container, logging, and networking configurations"; container Main per the
    taskDefinitionArn member).  The family name is the emulator's choice."""
    pc = cfg["primaryContainer"]
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": pc["image"],
        "essential": True,
        "portMappings": [{"containerPort": pc["containerPort"], "protocol": "tcp", "name": "main"}],
        "environment": copy.deepcopy(pc.get("environment") or []),
        "secrets": copy.deepcopy(pc.get("secrets") or []),
    }
    if pc.get("command"):
        container["command"] = list(pc["command"])
    if pc.get("repositoryCredentials"):
        container["repositoryCredentials"] = copy.deepcopy(pc["repositoryCredentials"])
    logs = pc.get("awsLogsConfiguration")
    if logs:
        container["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs["logGroup"],
                "awslogs-region": backend.region_name,
                "awslogs-stream-prefix": logs["logStreamPrefix"],
            },
        }
    td = backend.register_task_definition(
        family=f"{cluster}-{name}-express",
        container_definitions=[container],
        volumes=None,
        network_mode="awsvpc",
        tags=None,
        placement_constraints=None,
        requires_compatibilities=["FARGATE"],
        cpu=cfg["cpu"],
        memory=cfg["memory"],
        task_role_arn=cfg.get("taskRoleArn"),
        execution_role_arn=cfg.get("executionRoleArn"),
        runtime_platform={"cpuArchitecture": cfg["cpuArchitecture"], "operatingSystemFamily": "LINUX"},
    )
    return td.arn


def _customer_td_view(backend: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    """A configuration with a customer task definition reports the task definition's cpu and
    memory; cpuArchitecture only when the task definition has one (botocore
    ExpressGatewayServiceConfiguration.cpuArchitecture)."""
    out = {k: v for k, v in cfg.items() if k not in TD_EXCLUSIVE}
    td = backend.describe_task_definition(cfg["taskDefinitionArn"])
    if td.cpu:
        out["cpu"] = str(td.cpu)
    if td.memory:
        out["memory"] = str(td.memory)
    arch = (getattr(td, "runtime_platform", None) or {}).get("cpuArchitecture")
    if arch:
        out["cpuArchitecture"] = arch
    return out


def _managed_network(backend: Any, service_name: str, sent: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Subnets and security groups: as sent, else the default VPC's subnets and a security group
    ECS creates (botocore networkConfiguration: "If not provided, Amazon ECS will use the default
    VPC configuration and create appropriate security groups automatically")."""
    from moto.ec2.models import ec2_backends

    sent = sent or {}
    managed: dict[str, Any] = {}
    subnets, sgs = list(sent.get("subnets") or []), list(sent.get("securityGroups") or [])
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    vpc = ec2.get_default_vpc()
    for ids, kind, code in ((subnets, "subnet", "InvalidSubnetID.NotFound"), (sgs, "security group", "InvalidGroup.NotFound")):
        for one in ids:  # checked before anything is created, with CreateService's wording
            try:
                ec2.describe_subnets(subnet_ids=[one]) if kind == "subnet" else ec2.describe_security_groups(group_ids=[one])
            except Exception:  # noqa: BLE001 - moto's InvalidSubnetIdError / InvalidSecurityGroupNotFoundError
                raise InvalidParameter(f"The {kind} ID '{one}' does not exist (ErrorCode: {code})")
    if not subnets:
        if vpc is None:
            raise InvalidParameter("No default VPC for this account: networkConfiguration.subnets must be specified.")
        subnets = sorted(s.id for s in ec2.describe_subnets() if s.vpc_id == vpc.id and s.default_for_az)
    if not sgs:
        vpc_id = ec2.get_subnet(subnets[0]).vpc_id
        sg = ec2.create_security_group(
            f"ecs-express-{service_name}-{uuid.uuid4().hex[:8]}",
            f"Security group for the ECS Express service {service_name}",
            vpc_id=vpc_id,
        )
        sgs = [sg.id]
        managed["securityGroup"] = sg.id
    return {"subnets": subnets, "securityGroups": sgs}, managed


def _create_log_group(backend: Any, name: str) -> bool:
    from moto.logs.models import logs_backends

    logs = logs_backends[backend.account_id][backend.region_name]
    if name in logs.groups:
        return False
    logs.create_log_group(name, {})
    return True


def _config_of(rt: ro.ServiceRuntime, dep: ro.Deployment) -> dict[str, Any]:
    ex: Express = rt.service._express
    cfg = getattr(dep.revision, "_express_config", None)
    if cfg is None:  # a revision started outside Express (e.g. a rollback to an older one)
        cfg = copy.deepcopy(ex.current)
        cfg["taskDefinitionArn"] = dep.revision.task_definition
        cfg["createdAt"] = dep.revision.created_at
    return {"serviceRevisionArn": dep.revision.arn, **cfg}


def _configuration(backend: Any, service: Any, cfg: dict[str, Any], td_arn: str) -> dict[str, Any]:
    """An ExpressGatewayServiceConfiguration (without its serviceRevisionArn)."""
    ex: Express = service._express
    out = _customer_td_view(backend, {**cfg, "taskDefinitionArn": td_arn}) if cfg.get("taskDefinitionArn") else {**cfg, "taskDefinitionArn": td_arn}
    out["ingressPaths"] = [{"accessType": "PUBLIC", "endpoint": ex.endpoint}]
    out["createdAt"] = now()
    return out


def _tags(service: Any) -> list[dict[str, str]]:
    return copy.deepcopy(getattr(service, "tags", None) or [])


def _describe(service: Any, with_tags: bool) -> dict[str, Any]:
    """An ECSExpressGatewayService."""
    ex: Express = service._express
    rt = runtime(service, service._backend)
    status: dict[str, Any] = {"statusCode": ex.status}
    if ex.status_reason:
        status["statusReason"] = ex.status_reason
    out: dict[str, Any] = {
        "cluster": service.cluster_name,
        "serviceName": service.name,
        "serviceArn": service.arn,
        "infrastructureRoleArn": ex.infrastructure_role_arn,
        "status": status,
        "activeConfigurations": [_config_of(rt, d) for d in rt.deployments],
        "createdAt": ex.created_at,
        "updatedAt": ex.updated_at,
    }
    if rt.sds:
        # "The current deployment configuration": the current service deployment's ARN, as
        # Service.currentServiceDeployment reports it
        out["currentDeployment"] = rt.sds[-1].arn
    if with_tags and _tags(service):
        out["tags"] = _tags(service)
    return out


def _call(self: EC2ContainerServiceResponse, params: dict[str, Any], fn: Any) -> Any:
    """Runs a response method with other request parameters (moto parses ECS requests into
    self.params)."""
    saved = self.params
    self.params = params
    try:
        return fn(self)
    finally:
        self.params = saved


# ---------------------------------------------------------------------------
# draining after DeleteExpressGatewayService
# ---------------------------------------------------------------------------
def _finish_draining(service: Any) -> None:
    """DeleteExpressGatewayService: "The service enters a DRAINING state where existing tasks
    complete current requests without starting new tasks. After all tasks stop, the service and
    infrastructure are permanently removed."  The first poll after the delete stops the tasks;
    service and Express service become INACTIVE."""
    ex: Express | None = getattr(service, "_express", None)
    if ex is None or ex.status != "DRAINING":
        return
    rt = runtime(service, service._backend)
    for dep in rt.deployments:
        rt.set_running(dep, 0)
    rt.sync()
    service.running_count = service.pending_count = 0
    service.status = "INACTIVE"
    ex.status = "INACTIVE"
    ex.updated_at = now()
    _delete_managed(service)


def _delete_managed(service: Any) -> None:
    from moto.ec2.models import ec2_backends

    ex: Express = service._express
    sg = ex.managed.get("securityGroup")
    if sg:
        try:
            ec2_backends[service._backend.account_id][service._backend.region_name].delete_security_group(group_id=sg)
        except Exception:  # noqa: BLE001 - already gone or still referenced: leave it
            pass


# ---------------------------------------------------------------------------
# operations
# ---------------------------------------------------------------------------
def create_express_gateway_service(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    params = copy.deepcopy(self._get_params())
    if not params.get("infrastructureRoleArn"):
        raise InvalidParameter("infrastructureRoleArn must be specified.")  # the one required member
    _check_members(params)
    if not params.get("taskDefinitionArn"):
        if not params.get("primaryContainer"):
            raise InvalidParameter("primaryContainer must be specified when taskDefinitionArn is not.")
        # ECS Developer Guide (express-service-create-full): an Express Mode service "requires
        # only a container image, task execution role and infrastructure role"
        if not params.get("executionRoleArn"):
            raise InvalidParameter("executionRoleArn must be specified when taskDefinitionArn is not.")
    cluster_name = (params.get("cluster") or "default").split("/")[-1]
    if cluster_name == "default" and "default" not in backend.clusters:
        # express-service-work.html: "The ECS default cluster (if it does not already exist)"
        backend.create_cluster("default")
    cluster = backend._get_cluster(cluster_name)  # ClusterNotFoundException
    name = params.get("serviceName") or f"express-{uuid.uuid4().hex[:12]}"  # "ECS generates a unique name"
    if not NAME_RE.match(name):
        raise InvalidParameter(
            "serviceName can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens."
        )
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        raise InvalidParameter("Creation of service was not idempotent.")  # as CreateService
    if params.get("taskDefinitionArn"):
        td_arn = _check_customer_td(backend, params["taskDefinitionArn"])
        td_arn = td_arn.arn
    network, managed = _managed_network(backend, name, params.get("networkConfiguration"))
    keys = ("executionRoleArn", "taskRoleArn", "taskDefinitionArn", "cpu", "memory", "cpuArchitecture",
            "healthCheckPath", "primaryContainer", "scalingTarget")
    cfg = _filled({k: copy.deepcopy(params[k]) for k in keys if params.get(k) is not None}, cluster.name, name)
    cfg["networkConfiguration"] = network
    logs = (cfg.get("primaryContainer") or {}).get("awsLogsConfiguration")
    if logs and _create_log_group(backend, logs["logGroup"]):
        managed["logGroup"] = logs["logGroup"]
    if not params.get("taskDefinitionArn"):
        td_arn = _register_td(backend, cluster.name, name, cfg)
    svc_params: dict[str, Any] = {
        "cluster": cluster.name,
        "serviceName": name,
        "taskDefinition": td_arn,
        "desiredCount": _desired(cfg, None),
        "launchType": "FARGATE",  # express-service-work.html: Fargate
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": network["subnets"], "securityGroups": network["securityGroups"]}},
        "deploymentConfiguration": copy.deepcopy(DEPLOYMENT_CONFIGURATION),
    }
    if params.get("tags"):
        svc_params["tags"] = copy.deepcopy(params["tags"])
    endpoint = _endpoint(name, backend.region_name)
    ex = Express(params["infrastructureRoleArn"], endpoint, managed)
    _call(self, svc_params, create_service)  # validates subnets/SGs, starts the first deployment
    service = backend.services[f"{cluster.name}:{name}"]
    service._express = ex
    service.resource_management_type = "ECS"
    # An Express service's Service reports no taskDefinition; its deployments do (kayac/ecspresso
    # PR #902, observed on AWS: "taskDefinition is not defined. Using primary deployment's
    # value"). The serializer reads the member's own name before the model attribute.
    service.taskDefinition = None
    ex.current = {k: v for k, v in cfg.items()}
    rt = runtime(service, backend)
    for dep in rt.deployments:
        dep.revision._express_config = _configuration(backend, service, cfg, dep.revision.task_definition)
    out = _describe(service, with_tags=True)
    return ActionResult({"service": out})


def update_express_gateway_service(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    params = copy.deepcopy(self._get_params())
    service = _lookup(backend, params.get("serviceArn"), ServiceNotFoundException)
    ex: Express = service._express
    if service.status != "ACTIVE" or ex.status != "ACTIVE":
        raise ServiceNotActive()
    _check_members(params)
    cfg = copy.deepcopy(ex.current)
    if params.get("taskDefinitionArn"):
        td_arn = _check_customer_td(backend, params["taskDefinitionArn"]).arn
        for k in TD_EXCLUSIVE:
            cfg.pop(k, None)
        cfg["taskDefinitionArn"] = td_arn
    elif any(params.get(k) is not None for k in TD_EXCLUSIVE):
        if cfg.get("taskDefinitionArn") and not params.get("primaryContainer"):
            raise InvalidParameter("primaryContainer must be specified to leave a customer task definition.")
        cfg.pop("taskDefinitionArn", None)
    for k in ("executionRoleArn", "taskRoleArn", "cpu", "memory", "cpuArchitecture", "healthCheckPath"):
        if params.get(k) is not None:
            cfg[k] = params[k]
    for k in ("primaryContainer", "scalingTarget"):
        if params.get(k) is not None:
            cfg[k] = _merge(cfg.get(k), params[k])
    if cfg.get("taskDefinitionArn") is None and not cfg.get("executionRoleArn"):
        raise InvalidParameter("executionRoleArn must be specified when taskDefinitionArn is not.")
    if params.get("networkConfiguration") is not None:
        cfg["networkConfiguration"] = _merge(cfg.get("networkConfiguration"), params["networkConfiguration"])
    cfg = _filled(cfg, service.cluster_name, service.name)
    rt = runtime(service, backend)
    # network: validated against moto's EC2 as CreateService does
    net = cfg["networkConfiguration"]
    from .ecs_services import apply_fields

    apply_fields(service, {"networkConfiguration": {"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": net["securityGroups"]}}})
    if cfg.get("taskDefinitionArn"):
        td_arn = cfg["taskDefinitionArn"]
    elif any(cfg.get(k) != ex.current.get(k) for k in TD_EXCLUSIVE) or ex.current.get("taskDefinitionArn"):
        td_arn = _register_td(backend, service.cluster_name, service.name, cfg)
    else:
        td_arn = rt.primary.revision.task_definition if rt.primary else service.task_definition
    logs = (cfg.get("primaryContainer") or {}).get("awsLogsConfiguration")
    if logs and _create_log_group(backend, logs["logGroup"]):
        ex.managed.setdefault("logGroup", logs["logGroup"])
    service.desired_count = _desired(cfg, service.desired_count)
    # botocore UpdateExpressGatewayService: "Amazon ECS creates a new service revision with
    # updated configuration and performs a ... deployment to replace existing tasks."
    plan = state.take(state.ecs_outcomes, backend.account_id, backend.region_name, service.cluster_name, service.name)
    sd = ro.start_deployment(rt, td_arn, plan)
    ex.current = cfg
    ex.updated_at = now()
    target = _configuration(backend, service, cfg, td_arn)
    sd.target.revision._express_config = target
    status: dict[str, Any] = {"statusCode": ex.status}
    out = {
        "serviceArn": service.arn,
        "cluster": service.cluster_name,
        "serviceName": service.name,
        "status": status,
        "targetConfiguration": {"serviceRevisionArn": sd.target.revision.arn, **target},
        "createdAt": ex.created_at,
        "updatedAt": ex.updated_at,
    }
    return ActionResult({"service": out})


def describe_express_gateway_service(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    include = self._get_param("include") or []
    bad = [i for i in include if i not in INCLUDES]
    if bad:
        raise InvalidParameter(f"Invalid include: {bad[0]}. Valid values: TAGS.")
    service = _lookup(backend, self._get_param("serviceArn"), ResourceNotFound)
    # a read moves the rollout one step, as DescribeServices does
    if service.status == "ACTIVE":
        ro.step(runtime(service, backend))
    else:
        _finish_draining(service)
    return ActionResult({"service": _describe(service, with_tags="TAGS" in include)})


def delete_express_gateway_service(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    service = _lookup(backend, self._get_param("serviceArn"), ServiceNotFoundException)
    ex: Express = service._express
    if service.status != "ACTIVE":
        raise ServiceNotActive()
    rt = runtime(service, backend)
    sd = rt.active
    if sd is not None:
        sd.phase, sd.status = "done", "STOPPED"
        sd.status_reason = "Service deployment stopped: the service was deleted."
        sd.finished_at = sd.stopped_at = sd.updated_at = now()
    service.desired_count = 0
    for dep in rt.deployments:
        dep.desired = 0
    rt.sync()
    service.status = "DRAINING"
    ex.status = "DRAINING"
    ex.updated_at = now()
    return ActionResult({"service": _describe(service, with_tags=False)})


# ---------------------------------------------------------------------------
# ecsManagedResources on DescribeServiceRevisions; DescribeServices drains deleted services
# ---------------------------------------------------------------------------
def _resource_status(service: Any, rt: ro.ServiceRuntime, rev: ro.Revision) -> str:
    """ManagedResourceStatus (PROVISIONING | ACTIVE | DEPROVISIONING | DELETED | FAILED): the
    troubleshooting guide (express-service-troubleshooting) reads provisioning / deprovisioning from
    DescribeServiceRevisions.  Emulator: PROVISIONING until the revision's first deployment ends,
    then ACTIVE; DEPROVISIONING while the service drains, DELETED once INACTIVE."""
    ex: Express = service._express
    if ex.status == "DRAINING":
        return "DEPROVISIONING"
    if ex.status == "INACTIVE":
        return "DELETED"
    for sd in rt.sds:
        if sd.target.revision is rev:
            if sd.status in ("IN_PROGRESS", "PENDING"):
                return "PROVISIONING"
            if sd.status in ("STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED") and sd is rt.sds[0]:
                return "FAILED"
    return "ACTIVE"


def _managed_resources(rt: ro.ServiceRuntime, rev: ro.Revision) -> dict[str, Any] | None:
    service = rt.service
    ex: Express | None = getattr(service, "_express", None)
    cfg = getattr(rev, "_express_config", None)
    if ex is None or cfg is None:
        return None
    st = _resource_status(service, rt, rev)
    at = ex.updated_at
    part = get_partition(rt.region)
    out: dict[str, Any] = {"ingressPaths": [{"accessType": "PUBLIC", "endpoint": ex.endpoint}]}
    sgs = (cfg.get("networkConfiguration") or {}).get("securityGroups") or []
    if ex.managed.get("securityGroup") in sgs:
        out["serviceSecurityGroups"] = [{
            "arn": f"arn:{part}:ec2:{rt.region}:{rt.account}:security-group/{ex.managed['securityGroup']}",
            "status": st, "updatedAt": at,
        }]
    group = ((cfg.get("primaryContainer") or {}).get("awsLogsConfiguration") or {}).get("logGroup")
    if group:
        out["logGroups"] = [{
            "arn": f"arn:{part}:logs:{rt.region}:{rt.account}:log-group:{group}",
            "logGroupName": group, "status": st, "updatedAt": at,
        }]
    return out


_orig_revision_describe = ro.Revision.describe


def _revision_describe(self: ro.Revision, rt: ro.ServiceRuntime) -> dict[str, Any]:
    out = _orig_revision_describe(self, rt)
    managed = _managed_resources(rt, self)
    if managed is not None:
        out["ecsManagedResources"] = managed
    return out


def _wrap_describe_services(orig: Any) -> Any:
    def describe_services(self: EC2ContainerServiceResponse) -> ActionResult:
        backend = self.ecs_backend
        cluster = (self._get_param("cluster", "default") or "default").split("/")[-1]
        for name in self._get_param("services", []) or []:
            service = backend.services.get(f"{cluster}:{name.split('/')[-1]}")
            if service is not None:
                _finish_draining(service)
        return orig(self)

    return describe_services


def install() -> None:
    R = EC2ContainerServiceResponse
    R.create_express_gateway_service = create_express_gateway_service
    R.update_express_gateway_service = update_express_gateway_service
    R.describe_express_gateway_service = describe_express_gateway_service
    R.delete_express_gateway_service = delete_express_gateway_service
    R.describe_services = _wrap_describe_services(R.describe_services)
    ro.Revision.describe = _revision_describe
