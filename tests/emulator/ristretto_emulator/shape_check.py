"""Checks JSON answers against botocore's output shapes: member names, types, enums and
required members, so the emulator never answers with a shape real AWS cannot produce.

`validate(model_name, operation, body)` returns violations as strings such as
`DescribeServices: services[0].deployments[0].fooBar: unknown member`.  Only the JSON
protocols (`json`, `rest-json`) are checked; members bound to HTTP headers or the status code
are not part of the body and are skipped.  Timestamps must be numbers (epoch seconds), as
awsJson1_1 sends them.

The checker is on when RISTRETTO_EMULATOR_SHAPE_CHECK=1 (see server.py): each violation is
printed to stderr and, if RISTRETTO_EMULATOR_SHAPE_LOG names a file, appended to it as one
JSON line {"service","operation","account","region","violation"}."""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

_lock = threading.Lock()
_models: dict[str, Any] = {}
_session: Any = None

# SigV4 signing name -> botocore model name, where they differ.
SIGNING_TO_MODEL = {
    "vpc-lattice": "vpc-lattice",
    "application-autoscaling": "application-autoscaling",
    "monitoring": "cloudwatch",
    "events": "events",
}


def enabled() -> bool:
    return os.environ.get("RISTRETTO_EMULATOR_SHAPE_CHECK") == "1"


def service_model(name: str) -> Any | None:
    """botocore's model for a signing name or model name; None if unknown."""
    global _session
    model_name = SIGNING_TO_MODEL.get(name, name)
    with _lock:
        if model_name in _models:
            return _models[model_name]
        import botocore.session
        from botocore.exceptions import UnknownServiceError

        if _session is None:
            _session = botocore.session.get_session()
        try:
            model = _session.get_service_model(model_name)
        except UnknownServiceError:
            model = None
        _models[model_name] = model
        return model


def validate(model_name: str, operation: str, body: Any) -> list[str]:
    """Violations of `body` against the output shape of `operation`; [] when it conforms
    or when the service/operation is not a JSON-protocol one botocore knows."""
    model = service_model(model_name)
    if model is None or model.metadata.get("protocol") not in ("json", "rest-json"):
        return []
    if operation not in model.operation_names:
        return []
    shape = model.operation_model(operation).output_shape
    out: list[str] = []
    if shape is None:
        if body not in (None, {}, b"", ""):
            out.append(f"{operation}: <body>: operation has no output shape but the answer has a body")
        return out
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        if member.type_name != "structure":
            return []
        _check(member, body, payload, out, operation)
        return out
    _check(shape, body, "", out, operation, top=True)
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(shape: Any, value: Any, path: str, out: list[str], op: str, top: bool = False) -> None:
    where = path or "<body>"
    if value is None:
        out.append(f"{op}: {where}: null value (AWS omits absent members)")
        return
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            out.append(f"{op}: {where}: expected object ({shape.name}), got {type(value).__name__}")
            return
        if getattr(shape, "is_document_type", False):
            return
        members = shape.members
        for key, item in value.items():
            member = members.get(key)
            if member is None:
                out.append(f"{op}: {_join(path, key)}: unknown member of {shape.name}")
                continue
            if top and member.serialization.get("location") in ("header", "headers", "statusCode"):
                out.append(f"{op}: {_join(path, key)}: member belongs in an HTTP header, not the body")
                continue
            _check(member, item, _join(path, key), out, op)
        for req in shape.required_members:
            if req in value:
                continue
            member = members.get(req)
            if member is not None and member.serialization.get("location"):
                continue
            out.append(f"{op}: {_join(path, req)}: missing required member of {shape.name}")
    elif t == "list":
        if not isinstance(value, list):
            out.append(f"{op}: {where}: expected list ({shape.name}), got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", out, op)
    elif t == "map":
        if not isinstance(value, dict):
            out.append(f"{op}: {where}: expected map ({shape.name}), got {type(value).__name__}")
            return
        for key, item in value.items():
            _check(shape.value, item, f"{path}[{json.dumps(key)}]", out, op)
    elif t == "string":
        if not isinstance(value, str):
            out.append(f"{op}: {where}: expected string, got {type(value).__name__} {value!r}")
            return
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            out.append(f"{op}: {where}: {value!r} is not one of {shape.name} {enum}")
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{op}: {where}: expected integer, got {type(value).__name__} {value!r}")
    elif t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{op}: {where}: expected number, got {type(value).__name__} {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            out.append(f"{op}: {where}: expected boolean, got {type(value).__name__} {value!r}")
    elif t == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{op}: {where}: expected epoch seconds (number), got {type(value).__name__} {value!r}")
    elif t == "blob":
        if not isinstance(value, str):
            out.append(f"{op}: {where}: expected base64 string, got {type(value).__name__}")
    # document and unknown types: anything goes


def report(service: str, operation: str, account: str | None, region: str | None, violations: list[str]) -> None:
    """stderr + optional JSON-lines log, as documented in the module docstring."""
    if not violations:
        return
    log_path = os.environ.get("RISTRETTO_EMULATOR_SHAPE_LOG")
    lines = []
    for v in violations:
        print(f"[emulator] shape violation ({service}): {v}", file=sys.stderr, flush=True)
        lines.append(json.dumps({"service": service, "operation": operation, "account": account, "region": region, "violation": v}))
    if log_path:
        with _lock, open(log_path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def check_answer(service: str, operation: str, account: str | None, region: str | None, status: int, headers: list, chunks: list[bytes]) -> None:
    """Called by the middleware for every AWS answer when the checker is enabled."""
    if status != 200 or not service:
        return
    ctype = ""
    for k, v in headers:
        if k.lower() == "content-type":
            ctype = v
    body = b"".join(chunks)
    if "json" not in ctype and not (body[:1] == b"{"):
        return
    model = service_model(service)
    if model is None or model.metadata.get("protocol") not in ("json", "rest-json"):
        return
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError:
        report(service, operation, account, region, [f"{operation}: <body>: not valid JSON"])
        return
    report(service, operation, account, region, validate(service, operation, parsed))
