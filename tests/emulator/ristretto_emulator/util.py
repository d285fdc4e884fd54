"""Small shared helpers: ids, clocks, ARNs and the control-API error type."""
from __future__ import annotations

import base64
import json
import math
import random
import string
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from moto.core.utils import utcnow

_rng = random.SystemRandom()


def now() -> datetime:
    """moto's clock (naive UTC datetime); the serializer turns it into epoch seconds."""
    return utcnow()


def epoch(dt: datetime | None) -> float | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def plus_minutes(dt: datetime, minutes: float) -> datetime:
    return dt + timedelta(minutes=minutes)


def digits(n: int) -> str:
    return str(_rng.randint(1, 9)) + "".join(_rng.choice(string.digits) for _ in range(n - 1))


def ecs_deployment_id() -> str:
    """ECS deployment ids look like ecs-svc/1234567890123456789 (19 digits)."""
    return f"ecs-svc/{digits(19)}"


def service_deployment_id() -> str:
    """Service deployment ids look like NCWGC2ZR-taawPAYrIaU5 (url-safe base64ish)."""
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(_rng.choice(alphabet) for _ in range(21))


def task_id() -> str:
    return uuid.uuid4().hex


def hook_id() -> str:
    return str(uuid.uuid4())


def codedeploy_id() -> str:
    """CodeDeploy deployment ids look like d-ABCDEFGHI."""
    return "d-" + "".join(_rng.choice(string.ascii_uppercase + string.digits) for _ in range(9))


def cb_threshold(desired: int) -> int:
    """ECS circuit breaker threshold: 0.5 x desired count, clamped to [3, 200]."""
    return max(3, min(200, math.ceil(desired * 0.5)))


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["o"])
    except Exception:  # noqa: BLE001 - any garbage token is invalid
        return -1


def paginate(items: list[Any], token: str | None, max_results: int | None, default: int) -> tuple[list[Any], str | None]:
    """Returns (page, next_token); raises ValueError on a bad token."""
    start = decode_token(token)
    if start < 0 or start > len(items):
        raise ValueError("Invalid nextToken")
    size = max_results if max_results else default
    page = items[start : start + size]
    nxt = start + size
    return page, (encode_token(nxt) if nxt < len(items) else None)


class ControlError(Exception):
    """An error answered by the control API as JSON: {"error": message, "field": field}."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message}
        if self.field:
            out["field"] = self.field
        return out
