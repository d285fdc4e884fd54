"""ECS request throttling: AWS's documented token buckets, per account and region.

Off by default (existing tests run at unit speed).  Turned on for the whole process by
`serve PORT --throttling [--throttling-scale X]` or RISTRETTO_EMULATOR_THROTTLING=1
(RISTRETTO_EMULATOR_THROTTLING_SCALE=X), and at run time by POST /_emulator/throttling
(control.py), optionally for one account only.  GET /_emulator/throttling reports, per
(account, region, bucket), the requests allowed and throttled and the peak requests seen in
any one second -- counted whether or not throttling is on, so a benchmark can compare its
request rate with the quota without being throttled.

Source of the table below: "Request throttling for the Amazon ECS API", Amazon ECS API
Reference, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
(section "Request Token Bucket Sizes and Refill Rates", #throttling-quotas), read 2026-12-02
from a stored copy of the page.  The page says:
  * "Amazon Elastic Container Service throttles all API requests for each AWS account on a
    per-Region basis" and "All API actions in a category share the same token bucket".
  * "the bucket maximum capacity signifies the burst rate and the bucket refill rate is the
    sustained rate"; an emptied bucket "is then refilled by 20 tokens every second, until it
    reaches its maximum capacity" (Cluster read actions: capacity 50, refill 20/s).
  * Over the limit: error code `ThrottlingException`, "Rate exceeded", "Status Code: 400".
  * Footnote 1: AWS Fargate additionally throttles RunTask (developer guide page
    "throttling.html"); that second limit is NOT modelled here.
Actions the table does not list (e.g. ContinueServiceDeployment, CreateTaskSet, DescribeTaskSets)
are not throttled by the emulator, as the page gives no figures for them.

The emulator refills continuously (rate x elapsed seconds, capped at the capacity) rather
than in one-second steps; over any whole second the two agree.  Buckets start full.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import deque
from typing import Any

# (category, burst = bucket maximum capacity, refill = tokens per second, actions), in the
# page's order.  Figures are the page's, for all AWS Regions.
ECS_BUCKETS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("Cluster modify actions", 20, 1,
     ("CreateCluster", "DeleteCluster", "PutClusterCapacityProviders", "UpdateCluster", "UpdateClusterSettings")),
    ("Cluster read actions", 50, 20, ("DescribeClusters", "ListClusters")),
    ("Task definition modify actions", 20, 1, ("DeregisterTaskDefinition", "RegisterTaskDefinition")),
    ("Task definition read actions", 50, 20,
     ("DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies")),
    ("Task definition deletion actions", 5, 1, ("DeleteTaskDefinitions",)),
    ("Capacity provider modify actions", 10, 1,
     ("CreateCapacityProvider", "DeleteCapacityProvider", "UpdateCapacityProvider")),
    ("Capacity provider read actions", 50, 20, ("DescribeCapacityProviders",)),
    ("Tag modify actions", 20, 10, ("TagResource", "UntagResource")),
    ("Tag read actions", 50, 20, ("ListTagsForResource",)),
    ("Setting modify actions", 10, 1, ("DeleteAccountSetting", "PutAccountSetting", "PutAccountSettingDefault")),
    ("Setting read actions", 50, 20, ("ListAccountSettings",)),
    ("Cluster resource modify actions", 100, 40,
     ("DeleteAttributes", "DeregisterContainerInstance", "ExecuteCommand", "PutAttributes", "RunTask",
      "StartTask", "StopTask", "UpdateContainerAgent", "UpdateContainerInstancesStates")),
    ("Cluster resource read actions", 100, 20,
     ("DescribeContainerInstances", "DescribeTasks", "ListAttributes", "ListContainerInstances", "ListTasks")),
    ("Agent modify actions", 200, 120,
     ("RegisterContainerInstance", "SubmitAttachmentStateChanges", "SubmitContainerStateChange",
      "SubmitTaskStateChange")),
    ("Service modify actions", 50, 5, ("CreateService", "DeleteService", "UpdateService")),
    ("Service read actions", 100, 20, ("DescribeServices", "ListServices")),
    ("Service deployment actions", 50, 20, ("DescribeServiceDeployments", "ListServiceDeployments")),
    ("Service revision actions", 50, 20, ("DescribeServiceRevisions",)),
    ("Task protection actions", 200, 80, ("UpdateTaskProtection", "GetTaskProtection")),
    ("Cluster service resource read actions", 10, 1, ("ListServicesByNamespace",)),
)

# SigV4 signing name -> {operation: (bucket, burst, refill)}
BUCKETS: dict[str, dict[str, tuple[str, int, int]]] = {
    "ecs": {action: (name, burst, rate) for name, burst, rate, actions in ECS_BUCKETS for action in actions},
}

_BY_NAME: dict[str, tuple[int, int]] = {name: (burst, rate) for name, burst, rate, _ in ECS_BUCKETS}

# The answer, awsJson1_1 (Smithy: the error type is the x-amzn-ErrorType header or the body's
# __type, clients strip a "namespace#" prefix).  Code and message: the page above ("Error Code:
# ThrottlingException", "Rate exceeded", status 400).  botocore's ECS model has no
# ThrottlingException shape (aws/aws-sdk#821: it is not modelled), so clients see a generic
# error whose code botocore's retry handler classes as throttling.  The body's type is the one
# AWS's Coral front end sends for "Rate exceeded" (com.amazon.coral.availability#
# ThrottlingException, as published for Coral JSON services in SDK tests and client code).
ERROR_CODE = "ThrottlingException"
ERROR_TYPE = "com.amazon.coral.availability#ThrottlingException"
ERROR_MESSAGE = "Rate exceeded"

_lock = threading.Lock()


def _env_settings() -> dict[str, Any]:
    enabled = os.environ.get("RISTRETTO_EMULATOR_THROTTLING", "").strip().lower() in ("1", "on", "true", "yes")
    scale = 1.0
    raw = os.environ.get("RISTRETTO_EMULATOR_THROTTLING_SCALE", "").strip()
    if raw:
        scale = parse_scale(raw)
    return {"enabled": enabled, "scale": scale}


def parse_scale(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"throttling scale must be a number > 0, not {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"throttling scale must be a number > 0, not {raw!r}")
    return value


_default: dict[str, Any] = _env_settings()
_per_account: dict[str, dict[str, Any]] = {}


class _Bucket:
    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity: float, rate: float, now: float):
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class _Counter:
    __slots__ = ("allowed", "throttled", "window", "peak", "allowed_window", "peak_allowed", "operations")

    def __init__(self) -> None:
        self.allowed = 0
        self.throttled = 0
        self.window: deque[float] = deque()
        self.peak = 0
        self.allowed_window: deque[float] = deque()
        self.peak_allowed = 0
        self.operations: dict[str, dict[str, int]] = {}

    def add(self, operation: str, allowed: bool, now: float) -> None:
        op = self.operations.setdefault(operation, {"allowed": 0, "throttled": 0})
        if allowed:
            self.allowed += 1
            op["allowed"] += 1
            self.peak_allowed = max(self.peak_allowed, _slide(self.allowed_window, now))
        else:
            self.throttled += 1
            op["throttled"] += 1
        self.peak = max(self.peak, _slide(self.window, now))


def _slide(window: deque, now: float) -> int:
    """Adds `now` to a window of arrival times and returns how many fell in the last second."""
    window.append(now)
    while window and window[0] <= now - 1.0:
        window.popleft()
    return len(window)


# (account, region, bucket) -> state
_buckets: dict[tuple[str, str, str], _Bucket] = {}
_counters: dict[tuple[str, str, str], _Counter] = {}


def settings(account: str | None = None) -> dict[str, Any]:
    """The effective {enabled, scale} for an account (or the process default)."""
    with _lock:
        return dict(_settings_of(account))


def _settings_of(account: str | None) -> dict[str, Any]:
    if account is not None and account in _per_account:
        return _per_account[account]
    return _default


def limits(burst: int, rate: int, scale: float) -> tuple[float, float]:
    """(capacity, refill per second) of a bucket at `scale`; capacity is at least one token."""
    return max(1.0, burst * scale), rate * scale


def configure(enabled: bool | None, scale: float | None, account: str | None = None, reset: bool = False) -> None:
    """Changes the process default (account None) or one account's setting.  Every bucket the
    change affects starts full again; `reset` also clears the counters (of that account, or all)."""
    with _lock:
        if enabled is not None or scale is not None:
            target = _default if account is None else _per_account.setdefault(account, dict(_default))
            if enabled is not None:
                target["enabled"] = enabled
            if scale is not None:
                target["scale"] = scale
        for key in [k for k in _buckets if account is None or k[0] == account]:
            del _buckets[key]
        if reset:
            for key in [k for k in _counters if account is None or k[0] == account]:
                del _counters[key]


def forget_account(account: str) -> None:
    """Drops an account's own setting (it follows the process default again)."""
    with _lock:
        _per_account.pop(account, None)
        for key in [k for k in _buckets if k[0] == account]:
            del _buckets[key]


def clear() -> None:
    """Refills every bucket and clears the counters (the global /_emulator/reset); the
    enabled/scale settings stay, as they belong to the process."""
    with _lock:
        _buckets.clear()
        _counters.clear()


def admit(account: str, region: str, service: str | None, operation: str) -> bool:
    """Counts one request and says whether it may proceed (False = answer ThrottlingException)."""
    spec = BUCKETS.get(service or "", {}).get(operation)
    if spec is None:
        return True
    name, burst, rate = spec
    key = (account, region, name)
    now = time.monotonic()
    with _lock:
        cfg = _settings_of(account)
        allowed = True
        if cfg["enabled"]:
            bucket = _buckets.get(key)
            if bucket is None:
                capacity, refill = limits(burst, rate, cfg["scale"])
                bucket = _buckets[key] = _Bucket(capacity, refill, now)
            allowed = bucket.take(now)
        counter = _counters.get(key)
        if counter is None:
            counter = _counters[key] = _Counter()
        counter.add(operation, allowed, now)
        return allowed


def throttled_answer(start_response: Any) -> list[bytes]:
    body = json.dumps({"__type": ERROR_TYPE, "message": ERROR_MESSAGE}).encode()
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("x-amzn-ErrorType", ERROR_CODE),
        ],
    )
    return [body]


def report(account: str | None = None, region: str | None = None) -> dict[str, Any]:
    """Settings, the bucket table and the counters (optionally of one account / region)."""
    now = time.monotonic()
    with _lock:
        rows = []
        for (acct, reg, name), c in sorted(_counters.items()):
            if (account and acct != account) or (region and reg != region):
                continue
            cfg = _settings_of(acct)
            burst, rate = _BY_NAME[name]
            capacity, refill = limits(burst, rate, cfg["scale"])
            bucket = _buckets.get((acct, reg, name))
            tokens = None
            if bucket is not None:
                tokens = round(min(bucket.capacity, bucket.tokens + (now - bucket.stamp) * bucket.rate), 3)
            rows.append({
                "account": acct,
                "region": reg,
                "bucket": name,
                "enabled": cfg["enabled"],
                "burst": capacity,
                "refill_per_second": refill,
                "tokens": tokens,
                "allowed": c.allowed,
                "throttled": c.throttled,
                "peak_requests_per_second": c.peak,
                "peak_allowed_per_second": c.peak_allowed,
                "operations": {op: dict(v) for op, v in sorted(c.operations.items())},
            })
        return {
            "enabled": _default["enabled"],
            "scale": _default["scale"],
            "accounts": {a: dict(s) for a, s in sorted(_per_account.items())},
            "source": "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html",
            "table": [
                {"bucket": name, "burst": burst, "refill_per_second": rate, "actions": list(actions)}
                for name, burst, rate, actions in ECS_BUCKETS
            ],
            "buckets": rows,
        }
