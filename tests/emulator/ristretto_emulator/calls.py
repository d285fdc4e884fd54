"""The call log: one record per AWS API request that reached the emulator."""
from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs

_lock = threading.Lock()
_routers: dict[str, Any] = {}
_calls: list[dict[str, Any]] = []
MAX_CALLS = 100_000


def operation_of(environ: dict[str, Any], body: bytes, service: str | None) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in qs:
        return qs["Action"][0]
    ctype = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in ctype and body:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    if service:
        try:
            from io import BytesIO

            from moto.core.routing import get_service_router
            from werkzeug.wrappers import Request

            router = _routers.get(service)
            if router is None:
                router = _routers[service] = get_service_router(service)
            env = dict(environ)
            env["wsgi.input"] = BytesIO(body)
            op, _ = router.match(Request(env))
            return op.name
        except Exception:  # noqa: BLE001 - unknown route: fall back to method + path
            pass
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '/')}"


# Operations whose request parameters the call log keeps, as CloudTrail records an event's
# `requestParameters`: the ECS Exec and Session Manager calls, whose sessions a test stands in
# for (tests/fixtures/session-manager-plugin reads the command and target from here), and
# UpdateService, whose members say what a deploy changed beyond what DescribeServices shows
# (an omitted member leaves the service's value; an explicit empty list removes it).
LOGGED_REQUESTS = {"ExecuteCommand", "StartSession", "UpdateService"}


def request_parameters(operation: str, body: bytes) -> dict[str, Any] | None:
    """The JSON request of a call in LOGGED_REQUESTS, else None."""
    if operation not in LOGGED_REQUESTS or not body:
        return None
    import json

    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def record(entry: dict[str, Any]) -> None:
    with _lock:
        _calls.append(entry)
        if len(_calls) > MAX_CALLS:
            del _calls[: len(_calls) - MAX_CALLS]


def query(**filters: str | None) -> list[dict[str, Any]]:
    with _lock:
        out = list(_calls)
    for key, want in filters.items():
        if want:
            out = [c for c in out if str(c.get(key)) == want]
    return out


def clear() -> None:
    with _lock:
        _calls.clear()
