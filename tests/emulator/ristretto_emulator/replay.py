"""Replayed answers: `POST /_emulator/replay` arms an exact response body for an AWS
operation, so tests can play back a real AWS answer (tests/fixtures/aws-corpus) instead of
the emulator's own.  While armed, a matching request of that account (and region, when
given) is answered with the body as is: HTTP 200, application/x-amz-json-1.1.

Matching (all keys of `match` must hold; an empty match takes every request):
* `service`         — the request's `services` list (DescribeServices), `service` or
                      `serviceName` names that service, by name or ARN;
* `taskDefinition`  — family, family:revision or ARN; the request's `taskDefinition` has the
                      same family and, when both name a revision, the same revision;
* `cluster`         — the request's cluster (default "default"), by name or ARN;
* any other key     — the request member equals the value, or is a list containing it
                      (e.g. `serviceDeploymentArns`, `resourceArn`, `deploymentId`).
The newest armed entry that matches wins."""
from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from . import state

_lock = threading.Lock()
_armed: list[dict[str, Any]] = []


def arm(account: str, region: str | None, operation: str, match: dict[str, Any], response: Any) -> dict[str, Any]:
    entry = {
        "id": uuid.uuid4().hex[:12],
        "account": account,
        "region": region,
        "operation": operation,
        "match": match,
        "response": response,
    }
    with _lock:
        _armed.append(entry)
    return entry


def clear(account: str | None = None, region: str | None = None, operation: str | None = None) -> int:
    """Removes armed entries (all, or those of an account / region / operation); returns how many."""
    with _lock:
        keep = [
            e
            for e in _armed
            if not (
                (account is None or e["account"] == account)
                and (region is None or e["region"] == region)
                and (operation is None or e["operation"] == operation)
            )
        ]
        removed = len(_armed) - len(keep)
        _armed[:] = keep
    return removed


def listing() -> list[dict[str, Any]]:
    with _lock:
        return [{k: v for k, v in e.items() if k != "response"} for e in _armed]


@state.on_reset
def _reset() -> None:
    clear()


def _last(name: str) -> str:
    return str(name).rstrip("/").split("/")[-1]


def _td_parts(value: str) -> tuple[str, str | None]:
    tail = _last(value)
    family, _, rev = tail.partition(":")
    return family, (rev or None)


def _matches(key: str, want: Any, request: dict[str, Any]) -> bool:
    if key == "service":
        names = list(request.get("services") or [])
        for k in ("service", "serviceName"):
            if request.get(k):
                names.append(request[k])
        return any(_last(n) == _last(want) for n in names)
    if key == "taskDefinition":
        got = request.get("taskDefinition")
        if not got:
            return False
        wf, wr = _td_parts(want)
        gf, gr = _td_parts(got)
        return wf == gf and (wr is None or gr is None or wr == gr)
    if key == "cluster":
        return _last(request.get("cluster") or "default") == _last(want)
    got = request.get(key)
    if isinstance(got, list):
        return want in got
    return got == want


def find(account: str, region: str | None, operation: str, body: bytes) -> dict[str, Any] | None:
    """The armed entry answering this request, or None."""
    with _lock:
        candidates = [
            e
            for e in reversed(_armed)
            if e["operation"] == operation and e["account"] == account and (e["region"] is None or e["region"] == region)
        ]
    if not candidates:
        return None
    try:
        request = json.loads(body) if body.strip() else {}
    except ValueError:
        request = {}
    if not isinstance(request, dict):
        request = {}
    for e in candidates:
        if all(_matches(k, v, request) for k, v in e["match"].items()):
            return e
    return None


def respond(entry: dict[str, Any], start_response: Any) -> list[bytes]:
    data = json.dumps(entry["response"]).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]
