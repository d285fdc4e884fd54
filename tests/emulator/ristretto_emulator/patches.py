"""Installs every moto patch exactly once."""
from __future__ import annotations

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from . import (
        autoscaling,
        codedeploy,
        ecs_express,
        ecs_service_deployments,
        ecs_services,
        ssm_sessions,
        task_definitions,
        tasks,
    )

    ecs_services.install()
    ecs_service_deployments.install()
    ecs_express.install()  # after ecs_services: wraps its DescribeServices
    tasks.install()
    task_definitions.install()
    codedeploy.install()
    autoscaling.install()
    ssm_sessions.install()
    _installed = True
