"""Tidies moto's JSON answers into what AWS sends, for every JSON-protocol service:

* no `null` members — AWS's JSON protocols omit absent members, moto writes some as null
  (e.g. Logs DescribeLogGroups `nextToken`, Application Auto Scaling DescribeScalableTargets
  `RoleARN`/`SuspendedState`/`NextToken`, Secrets Manager DescribeSecret `KmsKeyId`,
  `LastAccessedDate`, `DeletedDate`, `NextRotationDate`; found by shape_check.py);
* members botocore's output shape does not have, where moto adds them knowingly:
  Secrets Manager DescribeSecret `SecretVersionsToStages` (moto's ListSecrets key; botocore's
  DescribeSecretResponse has only `VersionIdsToStages`).

Replayed answers (/_emulator/replay) are sent as armed, untouched."""
from __future__ import annotations

import json
from typing import Any

from . import shape_check

# (model name, operation) -> members to drop from the top level of the answer
EXTRA_MEMBERS = {
    ("secretsmanager", "DescribeSecret"): ("SecretVersionsToStages",),
}


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _is_json_service(service: str | None) -> bool:
    if not service:
        return False
    model = shape_check.service_model(service)
    return model is not None and model.metadata.get("protocol") in ("json", "rest-json")


def tidy(service: str | None, operation: str, status: int, body: bytes) -> bytes | None:
    """The corrected body, or None when nothing needs changing."""
    if status != 200 or not body or body[:1] != b"{" or not _is_json_service(service):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    fixed = _drop_nulls(parsed)
    model = shape_check.service_model(service or "")
    for key in EXTRA_MEMBERS.get((model.service_name if model else "", operation), ()):
        fixed.pop(key, None)
    if fixed == parsed:
        return None
    return json.dumps(fixed).encode()


def with_length(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in headers if k.lower() != "content-length"]
    out.append(("Content-Length", str(length)))
    return out
