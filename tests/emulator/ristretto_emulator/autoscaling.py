"""Application Auto Scaling scalable targets as AWS answers them (botocore's
application-autoscaling examples-1.json, DescribeScalableTargets): an ECS target registered
without RoleARN reports the ECS service-linked role, and SuspendedState always carries all
three flags (moto echoes only the flags that were sent, or null)."""
from __future__ import annotations

from typing import Any

from moto.applicationautoscaling import models as aas_models
from moto.utilities.utils import get_partition

SUSPENDED_DEFAULTS = {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False, "ScheduledScalingSuspended": False}
# botocore RegisterScalableTarget.RoleARN: "If the service supports service-linked roles, Application
# Auto Scaling uses a service-linked role"; the ECS one as in the botocore example.
SERVICE_LINKED_ROLES = {
    "ecs": "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
}

_orig_init = aas_models.FakeScalableTarget.__init__
_orig_update = aas_models.FakeScalableTarget.update


def _suspended(old: Any, new: Any) -> dict[str, bool]:
    out = dict(SUSPENDED_DEFAULTS)
    for state in (old, new):
        if isinstance(state, dict):
            out.update({k: bool(v) for k, v in state.items() if k in SUSPENDED_DEFAULTS})
    return out


def _init(self: Any, backend: Any, service_namespace: str, resource_id: str, scalable_dimension: str,
          min_capacity: Any, max_capacity: Any, role_arn: Any, suspended_state: Any) -> None:
    _orig_init(self, backend, service_namespace, resource_id, scalable_dimension, min_capacity, max_capacity, role_arn, suspended_state)
    if not self.role_arn and service_namespace in SERVICE_LINKED_ROLES:
        self.role_arn = f"arn:{get_partition(backend.region_name)}:iam::{backend.account_id}:{SERVICE_LINKED_ROLES[service_namespace]}"
    self.suspended_state = _suspended(None, suspended_state)


def _update(self: Any, min_capacity: Any, max_capacity: Any, suspended_state: Any) -> None:
    before = self.suspended_state
    _orig_update(self, min_capacity, max_capacity, suspended_state)
    self.suspended_state = _suspended(before, suspended_state)


def install() -> None:
    aas_models.FakeScalableTarget.__init__ = _init
    aas_models.FakeScalableTarget.update = _update
