"""Task definitions as AWS answers them: ListTaskDefinitions with AWS's sort (ASC/DESC) and
maxResults/nextToken; registered task definitions carry registeredAt/registeredBy and AWS's
compatibilities, and no networkMode unless one was sent (see ecs_defaults)."""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ecs import models as ecs_models
from moto.ecs.responses import EC2ContainerServiceResponse

from . import ecs_defaults

from .ecs_errors import InvalidParameter
from .util import now, paginate

_orig_td_init = ecs_models.TaskDefinition.__init__


def _td_init(self: Any, family: str, revision: int, container_definitions: list, account_id: str, region_name: str, *args: Any, **kwargs: Any) -> None:
    _orig_td_init(self, family, revision, container_definitions, account_id, region_name, *args, **kwargs)
    # codelib-describe-task-definition-hello-world-2024: registeredAt / registeredBy
    self.registered_at = now()
    self.registered_by = ecs_defaults.caller_arn(account_id, region_name)
    self.compatibilities = ecs_defaults.compatibilities(kwargs.get("requires_compatibilities"))
    # moto invents networkMode "bridge" when none was sent; AWS returns no networkMode then
    # (cli-register-task-definition-sleep360, moto-pr3584-register-task-definition-ec2)
    if kwargs.get("network_mode") is None and self.network_mode == "bridge":
        self.network_mode = None


def list_task_definitions(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    family = self._get_param("familyPrefix")
    status = self._get_param("status") or "ACTIVE"
    sort = self._get_param("sort") or "ASC"
    if sort not in ("ASC", "DESC"):
        raise InvalidParameter(f"Invalid sort order: {sort}")
    max_results = self._get_param("maxResults")
    if max_results is not None and not 1 <= max_results <= 100:
        raise InvalidParameter("maxResults must be between 1 and 100.")
    tds = [
        td
        for revisions in backend.task_definitions.values()
        for td in revisions.values()
        if (family is None or td.family == family) and td.status == status
    ]
    tds.sort(key=lambda td: (td.family, td.revision), reverse=(sort == "DESC"))
    try:
        page, token = paginate([td.arn for td in tds], self._get_param("nextToken"), max_results, 100)
    except ValueError:
        raise InvalidParameter("Invalid nextToken.")
    out: dict[str, Any] = {"taskDefinitionArns": page}
    if token:
        out["nextToken"] = token
    return ActionResult(out)


def install() -> None:
    EC2ContainerServiceResponse.list_task_definitions = list_task_definitions
    ecs_models.TaskDefinition.__init__ = _td_init
