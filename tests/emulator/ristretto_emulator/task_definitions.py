"""ListTaskDefinitions with AWS's sort (ASC/DESC) and maxResults/nextToken."""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from .ecs_errors import InvalidParameter
from .util import paginate


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
