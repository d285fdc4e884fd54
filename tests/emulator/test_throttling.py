"""ECS request throttling (ristretto_emulator/throttling.py): AWS's token buckets per account,
region and action category, off by default, on by flag, environment or control endpoint.

Figures: "Request throttling for the Amazon ECS API" (see throttling.py).  The tests scale the
buckets down (POST /_emulator/throttling {"scale": ...}) so that a burst is a handful of requests
and refill is observed with sleeps of about one second."""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import botocore.exceptions
import pytest

from test_emulator import HERE, Emulator, _accounts, free_port, stop, wait_http


def start(*args: str, env: dict[str, str] | None = None):
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="emulator-throttle-", suffix=".log")[1])
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [str(HERE / "serve"), str(port), *args], stdout=fh, stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})),
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/_emulator/health", proc, log)
    except Exception:
        stop(proc)
        log.unlink()
        raise
    return proc, log, Emulator(port)


@pytest.fixture(scope="module")
def emu():
    """An emulator started the default way: throttling off."""
    proc, log, em = start()
    try:
        yield em
    finally:
        rc = stop(proc)
        text = log.read_text()
        log.unlink()
        assert rc == 0, f"serve exited with {rc}:\n{text}"


@pytest.fixture
def acct() -> str:
    return f"{next(_accounts):012d}"


def throttle(emu: Emulator, account: str, scale: float = 0.05, regions: tuple[str, ...] = ("us-east-1",)) -> None:
    """Creates the default cluster in `regions`, then turns throttling on for this account only,
    buckets scaled (0.05: Service read 5 burst, 1/s)."""
    for region in regions:
        emu.client("ecs", account, region).create_cluster(clusterName="default")
    assert emu.ok("POST", "/_emulator/throttling", {"account": account, "enabled": True, "scale": scale}) == {
        "status": "ok", "account": account, "enabled": True, "scale": scale,
    }


def outcome(call) -> str:
    """'ok', or the error code of the ClientError the call raised."""
    try:
        call()
    except botocore.exceptions.ClientError as exc:
        return exc.response["Error"]["Code"]
    return "ok"


def rows(emu: Emulator, account: str, **query: str) -> dict[tuple[str, str], dict]:
    qs = "&".join(f"{k}={v}" for k, v in {"account": account, **query}.items())
    payload = emu.ok("GET", f"/_emulator/throttling?{qs}")
    return {(r["region"], r["bucket"]): r for r in payload["buckets"]}


def test_off_by_default_but_counted(emu, acct):
    ecs = emu.client("ecs", acct)
    assert emu.ok("GET", "/_emulator/throttling")["enabled"] is False
    # 60 ListClusters in about a second: above the Cluster read burst of 50, none throttled
    results = {outcome(ecs.list_clusters) for _ in range(60)}
    assert results == {"ok"}
    row = rows(emu, acct)[("us-east-1", "Cluster read actions")]
    assert row["enabled"] is False and row["allowed"] == 60 and row["throttled"] == 0
    assert row["burst"] == 50 and row["refill_per_second"] == 20 and row["tokens"] is None
    assert 1 <= row["peak_requests_per_second"] <= 60
    assert row["operations"] == {"ListClusters": {"allowed": 60, "throttled": 0}}


def test_burst_beyond_capacity_is_throttled_like_aws(emu, acct):
    ecs = emu.client("ecs", acct)
    ecs.create_cluster(clusterName="c")
    throttle(emu, acct)  # Service read actions: 100 x 0.05 = 5 tokens, 20 x 0.05 = 1 per second
    results = [outcome(lambda: ecs.describe_services(cluster="c", services=["web"])) for _ in range(5)]
    assert results == ["ok"] * 5
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.describe_services(cluster="c", services=["web"])
    resp = exc.value.response
    assert resp["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    assert resp["ResponseMetadata"]["RequestId"]
    # the whole category shares the bucket: ListServices is "Service read actions" too
    assert outcome(lambda: ecs.list_services(cluster="c")) == "ThrottlingException"
    # a throttled request is in the call log with status 400
    logged = emu.ok("GET", f"/_emulator/calls?account={acct}&operation=ListServices")["calls"]
    assert [(c["status"], c.get("throttled")) for c in logged] == [(400, True)]


def test_refill_lets_requests_through_after_the_documented_time(emu, acct):
    ecs = emu.client("ecs", acct)
    throttle(emu, acct)  # Service read actions: capacity 5, refill 1 token per second
    results = [outcome(lambda: ecs.list_services(cluster="default")) for _ in range(7)]
    assert results[:5] == ["ok"] * 5 and results[5:] == ["ThrottlingException"] * 2
    time.sleep(1.1)  # one token back
    assert outcome(lambda: ecs.list_services(cluster="default")) == "ok"
    assert outcome(lambda: ecs.list_services(cluster="default")) == "ThrottlingException"


def test_buckets_are_per_account_region_and_category(emu, acct):
    other = f"{next(_accounts):012d}"
    throttle(emu, acct, regions=("us-east-1", "eu-west-1"))
    throttle(emu, other)
    ecs = emu.client("ecs", acct)
    for _ in range(5):
        ecs.list_services(cluster="default")
    assert outcome(lambda: ecs.list_services(cluster="default")) == "ThrottlingException"
    # another category of the same account and region: its own bucket
    assert outcome(ecs.list_clusters) == "ok"
    assert outcome(lambda: ecs.list_task_definitions()) == "ok"
    # the same account in another region
    assert outcome(lambda: emu.client("ecs", acct, region="eu-west-1").list_services(cluster="default")) == "ok"
    # another account in the same region
    assert outcome(lambda: emu.client("ecs", other).list_services(cluster="default")) == "ok"
    # an account that did not turn throttling on is not throttled (process default: off)
    third = f"{next(_accounts):012d}"
    plain = emu.client("ecs", third)
    plain.create_cluster(clusterName="default")
    assert {outcome(lambda: plain.list_services(cluster="default")) for _ in range(8)} == {"ok"}
    # other services than ECS are never throttled
    assert outcome(emu.client("sts", acct).get_caller_identity) == "ok"


def test_counters_report_allowed_throttled_and_peak(emu, acct):
    ecs = emu.client("ecs", acct)
    throttle(emu, acct, scale=0.1)  # Service read 10 tokens, 2/s; Cluster read 5 tokens, 2/s
    started = time.monotonic()
    for _ in range(12):
        outcome(lambda: ecs.describe_services(cluster="default", services=["web"]))
    for _ in range(3):
        outcome(lambda: ecs.list_services(cluster="default"))
    elapsed = time.monotonic() - started
    outcome(ecs.list_clusters)
    outcome(lambda: emu.client("ecs", acct, region="ap-northeast-1").list_clusters())
    got = rows(emu, acct)
    svc = got[("us-east-1", "Service read actions")]
    assert svc["enabled"] is True and svc["burst"] == 10 and svc["refill_per_second"] == 2
    assert svc["allowed"] + svc["throttled"] == 15
    # 10 tokens at once, then 2 per second for the time the 15 requests took
    assert 10 <= svc["allowed"] <= 10 + int(elapsed * 2) and svc["throttled"] == 15 - svc["allowed"]
    assert svc["operations"]["ListServices"]["allowed"] + svc["operations"]["ListServices"]["throttled"] == 3
    assert svc["peak_allowed_per_second"] <= svc["allowed"] and svc["peak_requests_per_second"] <= 15
    if elapsed < 1.0:
        assert svc["peak_requests_per_second"] == 15 and svc["peak_allowed_per_second"] == svc["allowed"]
    assert 0 <= svc["tokens"] < 1
    assert got[("us-east-1", "Cluster read actions")]["allowed"] == 1
    assert got[("ap-northeast-1", "Cluster read actions")]["allowed"] == 1
    assert set(rows(emu, acct, region="ap-northeast-1")) == {("ap-northeast-1", "Cluster read actions")}
    # reset clears this account's counters and refills its buckets
    emu.ok("POST", "/_emulator/throttling", {"account": acct, "reset": True})
    assert rows(emu, acct) == {}
    assert outcome(lambda: ecs.list_services(cluster="default")) == "ok"


def test_control_endpoint(emu, acct):
    payload = emu.ok("GET", "/_emulator/throttling")
    table = {r["bucket"]: r for r in payload["table"]}
    assert payload["source"].endswith("/AmazonECS/latest/APIReference/request-throttling.html")
    assert table["Service read actions"] == {
        "bucket": "Service read actions", "burst": 100, "refill_per_second": 20,
        "actions": ["DescribeServices", "ListServices"],
    }
    assert table["Service deployment actions"]["burst"] == 50
    assert table["Service revision actions"]["actions"] == ["DescribeServiceRevisions"]
    assert table["Cluster resource read actions"]["refill_per_second"] == 20
    assert table["Service modify actions"]["refill_per_second"] == 5
    assert emu.ctl("POST", "/_emulator/throttling", {"scale": 0})[0] == 400
    assert emu.ctl("POST", "/_emulator/throttling", {"enabled": "yes"})[0] == 400
    assert emu.ctl("POST", "/_emulator/throttling", {"burst": 3})[0] == 400
    assert emu.ctl("POST", "/_emulator/throttling", {"inherit": True})[0] == 400
    throttle(emu, acct)
    assert emu.ok("GET", "/_emulator/throttling")["accounts"][acct] == {"enabled": True, "scale": 0.05}
    # inherit: the account follows the process default (off) again
    assert emu.ok("POST", "/_emulator/throttling", {"account": acct, "inherit": True})["enabled"] is False
    ecs = emu.client("ecs", acct)
    assert {outcome(lambda: ecs.list_services(cluster="default")) for _ in range(8)} == {"ok"}


@pytest.mark.parametrize("how", ["flag", "env"])
def test_turned_on_for_the_process_at_start(how):
    if how == "flag":
        proc, log, em = start("--throttling", "--throttling-scale", "0.02")
    else:
        proc, log, em = start(env={"RISTRETTO_EMULATOR_THROTTLING": "1", "RISTRETTO_EMULATOR_THROTTLING_SCALE": "0.02"})
    try:
        acct = f"{next(_accounts):012d}"
        assert em.ok("GET", "/_emulator/throttling")["enabled"] is True
        ecs = em.client("ecs", acct)
        ecs.create_cluster(clusterName="default")  # Cluster modify actions: 20 x 0.02 -> 1 token
        # Service read actions at 0.02: 2 tokens, 0.4 per second
        assert [outcome(lambda: ecs.list_services(cluster="default")) for _ in range(3)] == [
            "ok", "ok", "ThrottlingException",
        ]
        # runtime switch off for the whole process
        em.ok("POST", "/_emulator/throttling", {"enabled": False})
        assert outcome(lambda: ecs.list_services(cluster="default")) == "ok"
    finally:
        rc = stop(proc)
        text = log.read_text()
        log.unlink()
    assert rc == 0, text
    assert "ECS request throttling on (scale 0.02)" in text


def test_bad_flag_is_refused():
    result = subprocess.run([str(HERE / "serve"), str(free_port()), "--throttling-scale", "-1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "throttling scale must be a number > 0" in result.stderr
