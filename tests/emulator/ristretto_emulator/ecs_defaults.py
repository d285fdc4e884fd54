"""The values ECS fills into services and task definitions that definition files never
state, so the emulator's answers carry them as AWS's do.  Every default cites the corpus
case (tests/fixtures/aws-corpus/<case>) or botocore documentation it comes from."""
from __future__ import annotations

import copy
from typing import Any

from moto.utilities.utils import get_partition

# ecspresso-1082-circuit-breaker-defaults (PR #1082: DescribeServices returns them);
# botocore DeploymentCircuitBreaker.resetOnHealthyTask "The default is true";
# ThresholdConfiguration "By default ... BOUNDED_PERCENT with a value of 50".
CIRCUIT_BREAKER_DEFAULTS = {"resetOnHealthyTask": True, "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50}}
# ecspresso-1082-early-success-disabled: returned with {"enable": false} (not when the member is absent).
EARLY_SUCCESS_DEFAULTS = {"healthyPercent": 100, "sourceServiceRevisionCleanup": "BLOCKING"}
# ecspresso-1082-lambda-hook-defaults / -pause-hook-defaults; botocore DeploymentLifecycleHook.targetType
# "If not specified, the default value is AWS_LAMBDA"; timeoutConfiguration "Default: 1440", "Default: ROLLBACK".
HOOK_TARGET_DEFAULT = "AWS_LAMBDA"
HOOK_TIMEOUT_DEFAULTS = {"action": "ROLLBACK", "timeoutInMinutes": 1440}


def deployment_configuration(dc: dict[str, Any]) -> dict[str, Any]:
    """`dc` with the members DescribeServices returns although nobody sent them."""
    out = copy.deepcopy(dc)
    cb = out.get("deploymentCircuitBreaker")
    if isinstance(cb, dict):
        for key, value in CIRCUIT_BREAKER_DEFAULTS.items():
            cb.setdefault(key, copy.deepcopy(value))
    esc = out.get("earlySuccessCriteria")
    if isinstance(esc, dict):
        for key, value in EARLY_SUCCESS_DEFAULTS.items():
            esc.setdefault(key, value)
    hooks = out.get("lifecycleHooks")
    if isinstance(hooks, list):
        for hook in hooks:
            if not isinstance(hook, dict):
                continue
            hook.setdefault("targetType", HOOK_TARGET_DEFAULT)
            timeout = hook.setdefault("timeoutConfiguration", {})
            for key, value in HOOK_TIMEOUT_DEFAULTS.items():
                timeout.setdefault(key, value)
    return out


def network_configuration(nc: dict[str, Any] | None) -> dict[str, Any] | None:
    """assignPublicIp DISABLED when not sent (devguide-fargate-assign-public-ip-default: created
    without it, the service and its deployment report DISABLED).  An empty configuration is
    omitted, as for the EC2 service of cli-create-service-ec2."""
    if not nc:
        return None
    out = copy.deepcopy(nc)
    awsvpc = out.get("awsvpcConfiguration")
    if isinstance(awsvpc, dict):
        awsvpc.setdefault("assignPublicIp", "DISABLED")
    return out


def capacity_provider_strategy(strategy: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """base 0 when not sent (cli-update-service-desired-count and codelib-describe-service-revisions
    report {"capacityProvider": "FARGATE", "weight": 1, "base": 0}; botocore CapacityProviderStrategyItem.base
    "If no value is specified, the default value of 0 is used")."""
    return [dict(item, base=item.get("base", 0)) for item in copy.deepcopy(strategy)]


def service_connect_configuration(sc: dict[str, Any], cluster_defaults: dict[str, Any] | None) -> dict[str, Any]:
    """devguide-service-connect-create-service: a configuration without namespace reports the
    cluster's default namespace (as given to CreateCluster's serviceConnectDefaults, there the
    name 'service-connect'), and its logConfiguration carries secretOptions []."""
    out = copy.deepcopy(sc)
    if out.get("enabled") and not out.get("namespace") and (cluster_defaults or {}).get("namespace"):
        out["namespace"] = cluster_defaults["namespace"]  # type: ignore[index]
    log = out.get("logConfiguration")
    if isinstance(log, dict):
        log.setdefault("secretOptions", [])
    return out


def service_linked_role(account: str, region: str) -> str:
    """cli-create-service-fargate, cli-create-service-external, codelib-create-service-ebs-volume."""
    return f"arn:{get_partition(region)}:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"


def role_arn(params: dict[str, Any], account: str, region: str, controller: str) -> str | None:
    """The service's roleArn.  An explicit `role` (name or ARN) is returned as an ARN
    (cli-create-service-classic-elb: role ecsServiceRole -> arn:aws:iam::…:role/ecsServiceRole).
    Otherwise the service-linked role, which botocore's CreateService.role documentation says is
    used for awsvpc, service discovery and external deployment controllers (corpus: Fargate/awsvpc
    and EXTERNAL services carry it); a bridge-mode EC2 service without load balancers has no
    roleArn (cli-create-service-ec2)."""
    role = params.get("role")
    if role:
        if role.startswith("arn:"):
            return role
        return f"arn:{get_partition(region)}:iam::{account}:role/{role}"
    if params.get("networkConfiguration") or params.get("loadBalancers") or params.get("serviceRegistries") or controller != "ECS":
        return service_linked_role(account, region)
    return None


def caller_arn(account: str, region: str) -> str:
    """Who the emulator says made a call (createdBy / registeredBy): the account root."""
    return f"arn:{get_partition(region)}:iam::{account}:root"


def compatibilities(requires: list[str] | None) -> list[str]:
    """A task definition without FARGATE in requiresCompatibilities is compatible with EXTERNAL
    and EC2 (codelib-describe-task-definition-hello-world-2024: compatibilities [EXTERNAL, EC2];
    older answers, e.g. cli-register-task-definition-sleep360 from 2019, predate ECS Anywhere)."""
    if requires and "FARGATE" in requires:
        return ["EC2", "FARGATE"]
    return ["EXTERNAL", "EC2"]
