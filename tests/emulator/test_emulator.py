"""Tests for the ristretto AWS emulator (tests/emulator/serve) and fault-proxy.

One `serve` process per module on a free loopback port; every test uses a
fresh account (access key AKIA<12 digits>) so tests never see each other."""
from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
_accounts = itertools.count(int(time.time()) % 1000 * 10**6 + 100_000_000_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} process exited early ({proc.returncode}):\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


class Emulator:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def client(self, service: str, account: str, region: str = "us-east-1", retries: int = 1, port: int | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{port or self.port}",
            region_name=region,
            aws_access_key_id=f"AKIA{account}",
            aws_secret_access_key="fake",
            config=Config(retries={"mode": "standard", "total_max_attempts": retries}, inject_host_prefix=False),
        )

    def ctl(self, method: str, path: str, body: Any = None, port: int | None = None) -> tuple[int, Any]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(f"http://127.0.0.1:{port or self.port}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, payload = self.ctl(method, path, body)
        assert status == 200, payload
        return payload


@pytest.fixture(scope="module")
def emu():
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="emulator-", suffix=".log")[1])
    shape_log = Path(tempfile.mkstemp(prefix="emulator-shapes-", suffix=".jsonl")[1])
    # every answer the emulator sends during the suite is checked against botocore's
    # output shapes (ristretto_emulator/shape_check.py); check_shapes fails the test
    env = dict(os.environ, RISTRETTO_EMULATOR_SHAPE_CHECK="1", RISTRETTO_EMULATOR_SHAPE_LOG=str(shape_log))
    with log.open("w") as fh:
        proc = subprocess.Popen([str(HERE / "serve"), str(port)], stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/_emulator/health", proc, log)
        em = Emulator(port)
        em.shape_log = shape_log
        yield em
    finally:
        rc = stop(proc)
        assert rc == 0, f"serve exited with {rc}:\n{log.read_text()}"
        log.unlink()
        shape_log.unlink()


@pytest.fixture(autouse=True)
def check_shapes(request):
    """Fails a test when any answer the emulator sent during it broke botocore's shape."""
    if "emu" not in request.fixturenames:
        yield
        return
    em = request.getfixturevalue("emu")
    start = em.shape_log.stat().st_size
    yield
    with em.shape_log.open() as fh:
        fh.seek(start)
        new = [json.loads(line) for line in fh if line.strip()]
    if new:
        pytest.fail("shape violations in the emulator's answers:\n" + "\n".join(v["violation"] for v in new), pytrace=False)


@pytest.fixture
def acct() -> str:
    return f"{next(_accounts):012d}"


@pytest.fixture
def aws(emu, acct):
    class AWS:
        account = acct

        def __call__(self, service: str, region: str = "us-east-1") -> Any:
            return emu.client(service, acct, region)

    return AWS()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def register(ecs: Any, family: str = "web", image: str = "nginx:1", fargate: bool = True, **extra: Any) -> str:
    container = {"name": "app", "image": image}
    container.update(extra.pop("container", {}))
    kwargs: dict[str, Any] = {"family": family, "containerDefinitions": [container]}
    if fargate:
        kwargs.update(requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    else:
        container.setdefault("memory", 128)
    kwargs.update(extra)
    return ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]


def network(aws: Any) -> dict[str, Any]:
    subnet = aws("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "assignPublicIp": "ENABLED"}}


def make_service(aws: Any, desired: int = 2, cluster: str = "prod", name: str = "web", **extra: Any) -> tuple[Any, str]:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName=cluster)
    td = register(ecs)
    kwargs = dict(cluster=cluster, serviceName=name, taskDefinition=td, desiredCount=desired, launchType="FARGATE", networkConfiguration=network(aws))
    kwargs.update(extra)
    ecs.create_service(**kwargs)
    return ecs, td


def describe(ecs: Any, cluster: str = "prod", name: str = "web") -> dict[str, Any]:
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]


def settle(emu: Emulator, aws: Any, cluster: str = "prod", name: str = "web") -> dict[str, Any]:
    return emu.ok("POST", "/_emulator/ecs/settle", {"account": aws.account, "cluster": cluster, "service": name})


def latest_sd(ecs: Any, cluster: str = "prod", name: str = "web") -> str:
    return ecs.list_service_deployments(cluster=cluster, service=name)["serviceDeployments"][0]["serviceDeploymentArn"]


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response["Error"]["Code"]


# ---------------------------------------------------------------------------
# control API basics
# ---------------------------------------------------------------------------
def test_health_and_control_errors(emu):
    assert emu.ctl("GET", "/_emulator/health") == (200, {"status": "ok"})
    status, body = emu.ctl("GET", "/_emulator/nope")
    assert status == 404 and "error" in body
    status, body = emu.ctl("POST", "/_emulator/ecs/outcome", {"cluster": "c", "outcome": "fail"})
    assert status == 400 and body["field"] == "service"
    status, body = emu.ctl("POST", "/_emulator/ecs/outcome", {"service": "s", "outcome": "explode"})
    assert status == 400 and body["field"] == "outcome"
    status, body = emu.ctl("POST", "/_emulator/config", {"ecs_steps": "three"})
    assert status == 400 and body["field"] == "ecs_steps"
    status, body = emu.ctl("POST", "/_emulator/config", {"account": "12", "ecs_steps": 2})
    assert status == 400 and body["field"] == "account"
    status, body = emu.ctl("POST", "/_emulator/ecs/task-outcome", b"{not json")
    assert status == 400 and "JSON" in body["error"]
    status, body = emu.ctl("POST", "/_emulator/ecs/settle", {"account": "999999999999", "service": "ghost"})
    assert status == 404 and body["field"] == "service"
    status, body = emu.ctl("GET", "/_emulator/reset")
    assert status == 405


# ---------------------------------------------------------------------------
# 1. accounts
# ---------------------------------------------------------------------------
def test_account_isolation_by_access_key(emu, acct):
    other = f"{next(_accounts):012d}"
    a, b = emu.client("ecs", acct), emu.client("ecs", other)
    a.create_cluster(clusterName="only-in-a")
    assert [c.split("/")[-1] for c in a.list_clusters()["clusterArns"]] == ["only-in-a"]
    assert b.list_clusters()["clusterArns"] == []
    assert emu.client("sts", acct).get_caller_identity()["Account"] == acct
    assert emu.client("sts", other).get_caller_identity()["Account"] == other
    arn = a.describe_clusters(clusters=["only-in-a"])["clusters"][0]["clusterArn"]
    assert f":{acct}:" in arn


def test_moto_header_and_default_account(emu, acct):
    default = boto3.client(
        "sts", endpoint_url=emu.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="x"
    )
    assert default.get_caller_identity()["Account"] == "123456789012"
    hdr = boto3.client(
        "sts", endpoint_url=emu.url, region_name="us-east-1", aws_access_key_id="AKIA111111111111", aws_secret_access_key="x"
    )
    hdr.meta.events.register("before-send", lambda request, **_: request.headers.__setitem__("x-moto-account-id", acct))
    assert hdr.get_caller_identity()["Account"] == acct


# ---------------------------------------------------------------------------
# 2. rollouts
# ---------------------------------------------------------------------------
def test_create_service_rolls_out_and_completes(emu, aws):
    ecs, td = make_service(aws, desired=2)
    s = describe(ecs)
    assert len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert s["createdAt"] and s["createdBy"].endswith(":root")
    s = describe(ecs)
    s = describe(ecs)
    dep = s["deployments"][0]
    assert dep["rolloutState"] == "COMPLETED" and dep["runningCount"] == 2 and s["runningCount"] == 2
    assert dep["id"].startswith("ecs-svc/") and len(dep["id"]) == len("ecs-svc/") + 19
    messages = [e["message"] for e in s["events"]]
    assert messages[0] == "(service web) has reached a steady state."
    assert messages[1] == f"(service web) (deployment {dep['id']}) deployment completed."
    assert any(m.startswith("(service web) has started") for m in messages)
    assert all(e["id"] and e["createdAt"] for e in s["events"])


def test_update_task_definition_creates_primary_and_demotes_old(emu, aws):
    ecs, td1 = make_service(aws, desired=2)
    settle(emu, aws)
    td2 = register(ecs, image="nginx:2")
    s = ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")["service"]
    primary, old = s["deployments"]
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == td2
    assert primary["rolloutState"] == "IN_PROGRESS" and primary["runningCount"] == 0
    assert old["status"] == "ACTIVE" and old["taskDefinition"] == td1
    assert s["taskDefinition"] == td2
    seen = []
    for _ in range(3):
        s = describe(ecs)
        seen.append([(d["status"], d["rolloutState"]) for d in s["deployments"]])
    assert seen[0] == [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")]
    assert seen[-1] == [("PRIMARY", "COMPLETED")]
    assert s["runningCount"] == s["desiredCount"] == 2
    # family only resolves to the latest revision; unchanged TD => no new deployment
    s = ecs.update_service(cluster="prod", service="web", taskDefinition="web")["service"]
    assert len(s["deployments"]) == 1
    s = ecs.update_service(cluster="prod", service="web", forceNewDeployment=True)["service"]
    assert len(s["deployments"]) == 2 and s["deployments"][0]["taskDefinition"] == td2
    ecs.get_waiter("services_stable").wait(cluster="prod", services=["web"], WaiterConfig={"Delay": 0.1, "MaxAttempts": 20})


def test_ecs_steps_is_per_account(emu, aws):
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 1})
    assert emu.ok("GET", f"/_emulator/config?account={aws.account}")["ecs_steps"] == 1
    ecs, _ = make_service(aws)
    assert describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED"
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 5})
    register(ecs, image="nginx:2")
    ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")
    states = [describe(ecs)["deployments"][0]["rolloutState"] for _ in range(5)]
    assert states == ["IN_PROGRESS"] * 4 + ["COMPLETED"]


def test_desired_count_only_update_scales_without_new_deployment(emu, aws):
    ecs, _ = make_service(aws, desired=1)
    settle(emu, aws)
    s = ecs.update_service(cluster="prod", service="web", desiredCount=4)["service"]
    assert len(s["deployments"]) == 1 and s["desiredCount"] == 4 and s["runningCount"] == 1
    counts = [describe(ecs)["runningCount"] for _ in range(3)]
    assert counts[-1] == 4 and counts == sorted(counts)
    assert describe(ecs)["events"][0]["message"] == "(service web) has reached a steady state."
    s = ecs.update_service(cluster="prod", service="web", desiredCount=0)["service"]
    assert s["runningCount"] == 0
    assert len(ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]) == 0


def test_desired_zero_completes_at_once(emu, aws):
    ecs, _ = make_service(aws, desired=0)
    s = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert s["deployments"][0]["rolloutState"] == "COMPLETED"


def test_fields_moto_drops_are_stored(emu, aws):
    cfg = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "alarms": {"alarmNames": ["5xx"], "enable": True, "rollback": False},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
    }
    lattice = [{"roleArn": "arn:aws:iam::1:role/r", "targetGroupArn": "arn:tg", "portName": "http"}]
    volumes = [{"name": "data", "managedEBSVolume": {"roleArn": "arn:aws:iam::1:role/ebs", "sizeInGiB": 10}}]
    connect = {"enabled": True, "namespace": "ns", "services": [{"portName": "http"}]}
    ecs, _ = make_service(
        aws,
        deploymentConfiguration=cfg,
        enableExecuteCommand=True,
        healthCheckGracePeriodSeconds=30,
        enableECSManagedTags=True,
        propagateTags="SERVICE",
        placementConstraints=[],
        availabilityZoneRebalancing="ENABLED",
        vpcLatticeConfigurations=lattice,
        volumeConfigurations=volumes,
        serviceConnectConfiguration=connect,
    )
    s = describe(ecs)
    assert s["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True, "rollback": True, "resetOnHealthyTask": True, "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50}}
    assert s["deploymentConfiguration"]["alarms"]["alarmNames"] == ["5xx"]
    assert s["deploymentConfiguration"]["maximumPercent"] == 150
    assert s["enableExecuteCommand"] is True and s["enableECSManagedTags"] is True
    assert s["healthCheckGracePeriodSeconds"] == 30 and s["propagateTags"] == "SERVICE"
    assert s["availabilityZoneRebalancing"] == "ENABLED"
    primary = s["deployments"][0]
    assert primary["vpcLatticeConfigurations"] == lattice
    assert primary["volumeConfigurations"][0]["name"] == "data"
    assert primary["serviceConnectConfiguration"]["namespace"] == "ns"
    s = ecs.update_service(cluster="prod", service="web", vpcLatticeConfigurations=[], volumeConfigurations=[])["service"]
    primary = s["deployments"][0]
    assert "vpcLatticeConfigurations" not in primary and "volumeConfigurations" not in primary
    assert len(s["deployments"]) == 2  # deployment-level change => new deployment
    s = ecs.update_service(cluster="prod", service="web", deploymentConfiguration={"maximumPercent": 300})["service"]
    assert s["deploymentConfiguration"]["maximumPercent"] == 300
    assert s["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"] is True


def test_service_answers_carry_aws_defaults(emu, aws):
    """Members AWS fills although definition files never state them, each as in a corpus case
    (tests/fixtures/aws-corpus) or botocore's documentation; see ristretto_emulator/ecs_defaults.py."""
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="prod")
    td = register(ecs)
    subnet = aws("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    created = ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td, desiredCount=1, launchType="FARGATE",
                                 networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}})["service"]
    for s in (created, describe(ecs)):
        dc = s["deploymentConfiguration"]
        # ecspresso-1082-circuit-breaker-defaults; codelib-create-service-ebs-volume (enable/rollback false)
        assert dc["deploymentCircuitBreaker"] == {"enable": False, "rollback": False, "resetOnHealthyTask": True,
                                                  "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50}}
        assert (dc["maximumPercent"], dc["minimumHealthyPercent"]) == (200, 100)
        assert "earlySuccessCriteria" not in dc and "lifecycleHooks" not in dc
        # devguide-fargate-assign-public-ip-default: DISABLED on the service and on the deployment
        assert s["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
        assert s["deployments"][0]["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
        assert s["roleArn"] == f"arn:aws:iam::{aws.account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        assert s["createdBy"] == f"arn:aws:iam::{aws.account}:root"
        assert s["deploymentController"] == {"type": "ECS"} and s["schedulingStrategy"] == "REPLICA"
        assert s["propagateTags"] == "NONE" and s["enableECSManagedTags"] is False and s["enableExecuteCommand"] is False
        assert s["healthCheckGracePeriodSeconds"] == 0 and s["availabilityZoneRebalancing"] == "ENABLED"
        assert s["platformVersion"] == "LATEST" and s["platformFamily"] == "Linux"
        assert s["placementConstraints"] == [] and s["placementStrategy"] == [] and "taskSets" not in s
    # update: defaults are filled again for what is sent, other settings are kept
    hook = {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}
    s = ecs.update_service(cluster="prod", service="web", availabilityZoneRebalancing="DISABLED", deploymentConfiguration={
        "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [hook],
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}})["service"]
    dc = s["deploymentConfiguration"]
    assert dc["lifecycleHooks"] == [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"],
                                     "timeoutConfiguration": {"action": "ROLLBACK", "timeoutInMinutes": 1440}}]  # ecspresso-1082-pause-hook-defaults
    assert dc["deploymentCircuitBreaker"]["resetOnHealthyTask"] is True and s["availabilityZoneRebalancing"] == "DISABLED"
    emu.ok("POST", "/_emulator/ecs/settle", {"account": aws.account, "cluster": "prod", "service": "web"})
    lam = {"hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:f", "roleArn": "arn:aws:iam::123456789012:role/r",
           "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    s = ecs.update_service(cluster="prod", service="web", deploymentConfiguration={
        "strategy": "ROLLING", "lifecycleHooks": [lam], "earlySuccessCriteria": {"enable": False},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True, "thresholdConfiguration": {"type": "COUNT", "value": 5}}})["service"]
    dc = s["deploymentConfiguration"]
    assert dc["lifecycleHooks"][0]["targetType"] == "AWS_LAMBDA"  # ecspresso-1082-lambda-hook-defaults
    assert dc["lifecycleHooks"][0]["timeoutConfiguration"] == {"action": "ROLLBACK", "timeoutInMinutes": 1440}
    assert dc["earlySuccessCriteria"] == {"enable": False, "healthyPercent": 100, "sourceServiceRevisionCleanup": "BLOCKING"}
    assert dc["deploymentCircuitBreaker"]["thresholdConfiguration"] == {"type": "COUNT", "value": 5}
    # an EC2 bridge-mode service: no networkConfiguration, no roleArn (cli-create-service-ec2)
    ec2_td = ecs.register_task_definition(family="sleep360", containerDefinitions=[
        {"name": "sleep", "image": "busybox", "cpu": 10, "command": ["sleep", "360"], "memory": 10, "essential": True}])["taskDefinition"]
    s = ecs.create_service(cluster="prod", serviceName="bridge", taskDefinition="sleep360", desiredCount=1)["service"]
    assert "networkConfiguration" not in s and "roleArn" not in s and s["launchType"] == "EC2"
    # EXTERNAL controller: service-linked role, percentages only (cli-create-service-external)
    s = ecs.create_service(cluster="prod", serviceName="ext", desiredCount=1, deploymentController={"type": "EXTERNAL"})["service"]
    assert s["deploymentConfiguration"] == {"maximumPercent": 200, "minimumHealthyPercent": 100} and s["taskSets"] == []
    assert s["roleArn"].endswith(":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS") and s["deployments"] == []
    # task definitions (cli-register-task-definition-sleep360, codelib-describe-task-definition-hello-world-2024)
    got = ecs.describe_task_definition(taskDefinition="sleep360:1")["taskDefinition"]
    assert "networkMode" not in got and got["compatibilities"] == ["EXTERNAL", "EC2"] == ec2_td["compatibilities"]
    assert got["registeredBy"] == f"arn:aws:iam::{aws.account}:root" and got["registeredAt"].year >= 2026
    c = got["containerDefinitions"][0]
    assert (c["portMappings"], c["environment"], c["mountPoints"], c["volumesFrom"]) == ([], [], [], [])
    assert got["status"] == "ACTIVE" and got["placementConstraints"] == [] and got["volumes"] == []
    assert ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]["compatibilities"] == ["EC2", "FARGATE"]


def test_service_connect_defaults_like_the_tutorial_answer(emu, aws):
    """devguide-service-connect-create-service: namespace from the cluster default, secretOptions []."""
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="tutorial", serviceConnectDefaults={"namespace": "service-connect"})
    td = register(ecs, container={"portMappings": [{"name": "nginx", "containerPort": 80, "protocol": "tcp", "appProtocol": "http"}]})
    subnet = aws("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    sc = {"enabled": True, "services": [{"portName": "nginx", "clientAliases": [{"port": 80}]}],
          "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/service-connect-proxy"}}}
    s = ecs.create_service(cluster="tutorial", serviceName="web", taskDefinition=td, desiredCount=1, launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "assignPublicIp": "ENABLED"}},
                           serviceConnectConfiguration=sc)["service"]
    real = corpus_body("devguide-service-connect-create-service")["services"][0]
    got = s["deployments"][0]["serviceConnectConfiguration"]
    assert got["namespace"] == real["deployments"][0]["serviceConnectConfiguration"]["namespace"] == "service-connect"
    assert got["logConfiguration"]["secretOptions"] == []
    assert "serviceConnectConfiguration" not in s


def test_service_api_errors_and_inactive_services(emu, aws):
    ecs, td = make_service(aws, desired=1)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_service(cluster="prod", service="web", taskDefinition="nope:7")
    assert error_code(exc.value) == "ClientException" and "TaskDefinition not found" in str(exc.value)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td, desiredCount=1, launchType="FARGATE", networkConfiguration=network(aws))
    assert error_code(exc.value) == "InvalidParameterException" and "not idempotent" in str(exc.value)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.update_service(cluster="prod", service="ghost", desiredCount=1)
    assert error_code(exc.value) == "ServiceNotFoundException"
    failures = ecs.describe_services(cluster="prod", services=["ghost"])["failures"]
    assert failures == [{"arn": f"arn:aws:ecs:us-east-1:{aws.account}:service/prod/ghost", "reason": "MISSING"}]
    ecs.delete_service(cluster="prod", service="web", force=True)
    assert ecs.list_services(cluster="prod")["serviceArns"] == []
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td, desiredCount=1, launchType="FARGATE", networkConfiguration=network(aws))
    assert len(ecs.list_services(cluster="prod")["serviceArns"]) == 1
    for i in range(12):
        ecs.create_service(cluster="prod", serviceName=f"s{i:02d}", taskDefinition=td, desiredCount=0, launchType="FARGATE", networkConfiguration=network(aws))
    page = ecs.list_services(cluster="prod")
    assert len(page["serviceArns"]) == 10 and page["nextToken"]
    rest = ecs.list_services(cluster="prod", nextToken=page["nextToken"])
    assert len(rest["serviceArns"]) == 3 and "nextToken" not in rest


# ---------------------------------------------------------------------------
# 3. failure / circuit breaker
# ---------------------------------------------------------------------------
def test_planned_failure_rolls_back_with_circuit_breaker(emu, aws):
    ecs, td1 = make_service(aws, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    settle(emu, aws)
    td2 = register(ecs, image="broken:1")
    emu.ok("POST", "/_emulator/ecs/outcome", {"account": aws.account, "cluster": "prod", "service": "web", "outcome": "fail"})
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    failed_seen = False
    for _ in range(12):
        s = describe(ecs)
        for d in s["deployments"]:
            if d["taskDefinition"] == td2 and d["rolloutState"] == "FAILED":
                failed_seen = True
                assert d["failedTasks"] > 0
                assert d["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
        if len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED":
            break
    assert failed_seen
    assert s["taskDefinition"] == td1 and s["deployments"][0]["taskDefinition"] == td1
    assert any("deployment failed: tasks failed to start." in e["message"] for e in s["events"])
    sd = ecs.describe_service_deployments(serviceDeploymentArns=[latest_sd(ecs)])["serviceDeployments"][0]
    assert sd["status"] == "ROLLBACK_SUCCESSFUL"
    assert sd["deploymentCircuitBreaker"]["status"] == "TRIGGERED" and sd["deploymentCircuitBreaker"]["failureCount"] >= 3
    assert sd["rollback"]["serviceRevisionArn"] and sd["rollback"]["reason"]
    rev = ecs.describe_service_revisions(serviceRevisionArns=[sd["rollback"]["serviceRevisionArn"]])["serviceRevisions"][0]
    assert rev["taskDefinition"] == td1
    # the plan was consumed: the next rollout succeeds
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    assert settle(emu, aws)["taskDefinition"] == td2


def test_failure_without_rollback_stays_failed(emu, aws):
    ecs, td1 = make_service(aws)
    settle(emu, aws)
    td2 = register(ecs, image="broken:1")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    body = emu.ok("POST", "/_emulator/ecs/fail", {"account": aws.account, "region": "us-east-1", "cluster": "prod", "service": "web"})
    assert body["deployments"][0]["rolloutState"] == "FAILED"
    for _ in range(5):
        s = describe(ecs)
    assert s["deployments"][0]["rolloutState"] == "FAILED" and s["taskDefinition"] == td2
    assert ecs.describe_service_deployments(serviceDeploymentArns=[latest_sd(ecs)])["serviceDeployments"][0]["status"] == "STOPPED"
    status, body = emu.ctl("POST", "/_emulator/ecs/fail", {"account": aws.account, "cluster": "prod", "service": "web"})
    assert status == 409


def test_fail_on_create_without_previous_revision(emu, aws):
    emu.ok("POST", "/_emulator/ecs/outcome", {"account": aws.account, "cluster": "prod", "service": "web", "outcome": "fail", "reason": "boom"})
    ecs, _ = make_service(aws, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    for _ in range(4):
        s = describe(ecs)
    assert s["deployments"][0]["rolloutState"] == "FAILED" and s["deployments"][0]["rolloutStateReason"] == "boom"
    assert ecs.describe_service_deployments(serviceDeploymentArns=[latest_sd(ecs)])["serviceDeployments"][0]["status"] == "ROLLBACK_FAILED"


# ---------------------------------------------------------------------------
# 4. service-deployment APIs
# ---------------------------------------------------------------------------
def test_list_and_describe_service_deployments(emu, aws):
    ecs, td1 = make_service(aws)
    settle(emu, aws)
    td2 = register(ecs, image="nginx:2")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    describe(ecs)
    td3 = register(ecs, image="nginx:3")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td3)  # supersedes td2 mid-flight
    listed = ecs.list_service_deployments(cluster="prod", service="web")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["IN_PROGRESS", "STOPPED", "SUCCESSFUL"]
    arn = listed[0]["serviceDeploymentArn"]
    assert arn.startswith(f"arn:aws:ecs:us-east-1:{aws.account}:service-deployment/prod/web/")
    assert listed[0]["targetServiceRevisionArn"].startswith(f"arn:aws:ecs:us-east-1:{aws.account}:service-revision/prod/web/")
    only = ecs.list_service_deployments(cluster="prod", service="web", status=["SUCCESSFUL"])["serviceDeployments"]
    assert len(only) == 1
    page = ecs.list_service_deployments(cluster="prod", service="web", maxResults=2)
    assert len(page["serviceDeployments"]) == 2
    assert len(ecs.list_service_deployments(cluster="prod", service="web", nextToken=page["nextToken"])["serviceDeployments"]) == 1
    future = ecs.list_service_deployments(cluster="prod", service="web", createdAt={"after": time.time() + 3600})
    assert future["serviceDeployments"] == []
    sd = ecs.describe_service_deployments(serviceDeploymentArns=[arn, arn + "x"])
    assert sd["failures"] == [{"arn": arn + "x", "reason": "MISSING"}]
    d = sd["serviceDeployments"][0]
    for key in ("serviceArn", "clusterArn", "createdAt", "startedAt", "updatedAt", "sourceServiceRevisions", "deploymentConfiguration", "lifecycleStage"):
        assert key in d, key
    assert d["targetServiceRevision"]["requestedTaskCount"] == 2
    assert {"runningTaskCount", "pendingTaskCount"} <= set(d["targetServiceRevision"])
    revs = ecs.describe_service_revisions(serviceRevisionArns=[d["targetServiceRevision"]["arn"]])["serviceRevisions"]
    assert revs[0]["taskDefinition"] == td3 and revs[0]["serviceArn"] == d["serviceArn"]
    for _ in range(4):
        d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["status"] == "SUCCESSFUL" and d["finishedAt"]
    s = describe(ecs)
    assert s["currentServiceDeployment"] == arn
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.list_service_deployments(cluster="prod", service="ghost")
    assert error_code(exc.value) == "ServiceNotFoundException"


def test_stop_service_deployment_rolls_back(emu, aws):
    ecs, td1 = make_service(aws)
    settle(emu, aws)
    td2 = register(ecs, image="nginx:2")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    arn = latest_sd(ecs)
    assert ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")["serviceDeploymentArn"] == arn
    statuses = [ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["status"] for _ in range(6)]
    assert statuses[0] == "ROLLBACK_IN_PROGRESS" and statuses[-1] == "ROLLBACK_SUCCESSFUL"
    assert describe(ecs)["taskDefinition"] == td1
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.stop_service_deployment(serviceDeploymentArn=arn)
    assert error_code(exc.value) == "ConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.stop_service_deployment(serviceDeploymentArn=arn[:-3] + "zzz")
    assert error_code(exc.value) == "ServiceDeploymentNotFoundException"


def _blue_green_service(emu: Emulator, aws: Any, stages: list[str], timeout: dict | None = None) -> tuple[Any, str, str]:
    hook = {"targetType": "PAUSE", "lifecycleStages": stages}
    if timeout:
        hook["timeoutConfiguration"] = timeout
    ecs, td1 = make_service(
        aws,
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [hook]},
    )
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 2})
    settle(emu, aws)
    td2 = register(ecs, image="nginx:2")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    return ecs, td1, td2


def test_blue_green_pause_hook_and_continue(emu, aws):
    ecs, td1, td2 = _blue_green_service(emu, aws, ["POST_TEST_TRAFFIC_SHIFT"])
    arn = latest_sd(ecs)
    stages, d = [], None
    for _ in range(6):
        d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
        stages.append(d["lifecycleStage"])
        if d.get("lifecycleHookDetails"):
            break
    hook = d["lifecycleHookDetails"][0]
    assert d["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT" and d["status"] == "IN_PROGRESS"
    assert hook["status"] == "AWAITING_ACTION" and hook["targetType"] == "PAUSE" and hook["timeoutAction"] == "ROLLBACK"
    assert d["targetServiceRevision"]["requestedTestTrafficWeight"] == 100.0
    # paused: more polls do not move it
    for _ in range(3):
        again = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert again["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    with pytest.raises(botocore.exceptions.ClientError):
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="not-a-hook")
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")
    for _ in range(6):
        d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
        stages.append(d["lifecycleStage"])
    assert d["status"] == "SUCCESSFUL" and d["lifecycleStage"] == "CLEAN_UP"
    order = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
             "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]
    idx = [order.index(s) for s in stages]
    assert idx == sorted(idx)
    assert describe(ecs)["taskDefinition"] == td2


def test_pause_hook_rollback(emu, aws):
    ecs, td1, td2 = _blue_green_service(emu, aws, ["PRE_SCALE_UP"])
    arn = latest_sd(ecs)
    d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["lifecycleStage"] == "PRE_SCALE_UP"
    hook = d["lifecycleHookDetails"][0]
    assert hook["status"] == "AWAITING_ACTION"
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK")
    for _ in range(5):
        d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["status"] == "ROLLBACK_SUCCESSFUL"
    assert describe(ecs)["taskDefinition"] == td1


# ---------------------------------------------------------------------------
# 4b. wall-clock timing: minute_seconds, PAUSE timeouts, BAKE_TIME, traffic steps
# ---------------------------------------------------------------------------
def _config(emu: Emulator, aws: Any, **knobs: Any) -> dict[str, Any]:
    return emu.ok("POST", "/_emulator/config", {"account": aws.account, **knobs})


def _sd(ecs: Any, arn: str) -> dict[str, Any]:
    return ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]


def _prod_weights(d: dict[str, Any]) -> tuple[float, float]:
    """(target, first source) requestedProductionTrafficWeight."""
    return (d["targetServiceRevision"]["requestedProductionTrafficWeight"],
            d["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"])


def _traffic_service(emu: Emulator, aws: Any, cfg: dict[str, Any], **knobs: Any) -> tuple[Any, str, str, str]:
    """A settled service with deploymentConfiguration `cfg`, then knobs, then a td2 deployment."""
    ecs, td1 = make_service(aws, deploymentConfiguration=cfg)
    settle(emu, aws)
    _config(emu, aws, **knobs)
    td2 = register(ecs, image="nginx:2")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    return ecs, td1, td2, latest_sd(ecs)


def _poll_until(ecs: Any, arn: str, done: Any, limit: float = 10.0) -> list[tuple[float, float, dict[str, Any]]]:
    """Polls every 0.05 s until done(d); returns [(sent, received, deployment)] (client clock)."""
    seen, deadline = [], time.time() + limit
    while time.time() < deadline:
        sent = time.time()
        d = _sd(ecs, arn)
        seen.append((sent, time.time(), d))
        if done(d):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"not done after {limit}s: {seen[-1][2]['status']} {seen[-1][2]['lifecycleStage']}")


def _held(seen: list[tuple[float, float, Any]], key: Any, a: Any, b: Any) -> float:
    """A lower bound on how long the server showed `a` before `b`: received(first b) - sent(first a)."""
    sent_a = next(sent for sent, _, d in seen if key(d) == a)
    got_b = next(got for _, got, d in seen if key(d) == b)
    return got_b - sent_a


def _holds_until(poll: Any, deadline: float, check: Any) -> None:
    """Polls every 0.1 s; check(answer) for every answer received before `deadline` (client clock)."""
    while True:
        answer = poll()
        if time.time() >= deadline:
            return
        check(answer)
        time.sleep(0.1)


def test_minute_seconds_knob(emu, aws):
    assert emu.ok("GET", f"/_emulator/config?account={aws.account}")["minute_seconds"] == 60
    assert _config(emu, aws, minute_seconds=0.5)["minute_seconds"] == 0.5
    assert _config(emu, aws, minute_seconds=2)["minute_seconds"] == 2.0
    assert emu.ok("GET", f"/_emulator/config?account={aws.account}") == {
        "account": aws.account, "ecs_steps": 3, "codedeploy_steps": 1, "minute_seconds": 2.0, "rollout_mode": "steps",
        "phase_seconds": {"task_start": 2.0, "health_check": 2.0, "draining": 1.0, "bake": 0.0}}
    for bad in (0, -1.5, "fast", True, [1]):
        status, body = emu.ctl("POST", "/_emulator/config", {"account": aws.account, "minute_seconds": bad})
        assert status == 400 and body["field"] == "minute_seconds", (bad, body)
    assert emu.ok("GET", f"/_emulator/config?account={aws.account}")["minute_seconds"] == 2.0


def test_pause_hook_expires_after_minute_seconds(emu, aws):
    _config(emu, aws, minute_seconds=0.5)
    ecs, td1, td2 = _blue_green_service(emu, aws, ["POST_SCALE_UP"], timeout={"timeoutInMinutes": 2})
    arn = latest_sd(ecs)
    sent, _, d = _poll_until(ecs, arn, lambda d: d.get("lifecycleHookDetails"))[-1]
    expires = d["lifecycleHookDetails"][0]["expiresAt"].timestamp()
    assert 0.95 <= expires - sent <= 1.05 + (time.time() - sent), expires - sent  # 2 minutes x 0.5 s
    _holds_until(lambda: _sd(ecs, arn), expires - 0.05,
                 lambda d: d["lifecycleHookDetails"][0]["status"] == "AWAITING_ACTION" or pytest.fail(str(d)))
    time.sleep(max(0.0, expires + 0.1 - time.time()))
    d = _sd(ecs, arn)  # timeoutAction ROLLBACK (default)
    assert d["status"].startswith("ROLLBACK_") and d["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"
    _poll_until(ecs, arn, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL", limit=3)
    assert describe(ecs)["taskDefinition"] == td1


def test_blue_green_bake_time_holds_on_wall_clock(emu, aws):
    cfg = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2}
    ecs, td1, td2, arn = _traffic_service(emu, aws, cfg, ecs_steps=1, minute_seconds=0.5)
    sent = time.time()
    d = _sd(ecs, arn)  # walks to BAKE_TIME: the bake (2 minutes x 0.5 s) starts now
    received = time.time()
    assert d["lifecycleStage"] == "BAKE_TIME" and d["status"] == "IN_PROGRESS"
    assert _prod_weights(d) == (100.0, 0.0)
    assert d["targetServiceRevision"]["runningTaskCount"] == 2 and d["sourceServiceRevisions"][0]["runningTaskCount"] == 2
    s = describe(ecs)
    assert len(s["deployments"]) == 2 and s["runningCount"] == 4
    _holds_until(lambda: _sd(ecs, arn), sent + 0.95,
                 lambda d: (d["lifecycleStage"], d["status"]) == ("BAKE_TIME", "IN_PROGRESS") or pytest.fail(str(d)))
    time.sleep(max(0.0, received + 1.05 - time.time()))
    d = _sd(ecs, arn)
    assert (d["lifecycleStage"], d["status"]) == ("CLEAN_UP", "SUCCESSFUL")
    s = describe(ecs)
    assert s["taskDefinition"] == td2 and len(s["deployments"]) == 1 and s["runningCount"] == 2


def test_stop_during_bake_time_rolls_back(emu, aws):
    cfg = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1}
    ecs, td1, td2, arn = _traffic_service(emu, aws, cfg, ecs_steps=1)  # 1 minute = 60 s
    _config(emu, aws, minute_seconds=0.01)  # only for deployments started afterwards
    assert _sd(ecs, arn)["lifecycleStage"] == "BAKE_TIME"
    time.sleep(0.3)
    assert _sd(ecs, arn)["lifecycleStage"] == "BAKE_TIME"
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    d = _sd(ecs, arn)
    assert d["status"].startswith("ROLLBACK_") and _prod_weights(d) == (0.0, 100.0)
    d = _poll_until(ecs, arn, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL", limit=3)[-1][2]
    assert d["rollback"]["reason"]
    s = describe(ecs)
    assert s["taskDefinition"] == td1 and len(s["deployments"]) == 1 and s["runningCount"] == 2


def test_linear_traffic_shift_steps_on_wall_clock(emu, aws):
    cfg = {"strategy": "LINEAR", "bakeTimeInMinutes": 0, "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}}
    ecs, td1, td2, arn = _traffic_service(emu, aws, cfg, ecs_steps=1, minute_seconds=0.4)
    seen = _poll_until(ecs, arn, lambda d: d["status"] == "SUCCESSFUL")
    shift = [x for x in seen if x[2]["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"]
    weights = list(dict.fromkeys(_prod_weights(d) for _, _, d in shift))
    assert weights == [(25.0, 75.0), (50.0, 50.0), (75.0, 25.0), (100.0, 0.0)]
    for a, b in zip(weights, weights[1:]):
        assert _held(shift, _prod_weights, a, b) >= 0.38, (a, b)  # each step held 1 x 0.4 s
    stages = [d["lifecycleStage"] for _, _, d in seen]
    assert stages.index("PRODUCTION_TRAFFIC_SHIFT") == 0 and stages[-1] == "CLEAN_UP"
    assert describe(ecs)["taskDefinition"] == td2


def test_pause_hooks_are_refused_where_only_lambdas_may_run(emu, aws):
    for stage in ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"):
        cfg = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0,
               "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP", stage]}]}
        with pytest.raises(botocore.exceptions.ClientError) as err:
            make_service(aws, deploymentConfiguration=cfg)
        assert err.value.response["Error"]["Code"] == "InvalidParameterException"
        assert "only valid for AWS_LAMBDA hooks" in err.value.response["Error"]["Message"]
    ecs, td1 = make_service(aws, deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0})
    with pytest.raises(botocore.exceptions.ClientError):
        ecs.update_service(cluster="prod", service="web", deploymentConfiguration={
            "strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]})
    assert not (describe(ecs)["deploymentConfiguration"].get("lifecycleHooks"))


def test_linear_pauses_before_every_traffic_step(emu, aws):
    hook = {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}
    cfg = {"strategy": "LINEAR", "bakeTimeInMinutes": 0, "lifecycleHooks": [hook],
           "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 1}}
    ecs, td1, td2, arn = _traffic_service(emu, aws, cfg, ecs_steps=1, minute_seconds=0.2)
    paused_at = []
    for _ in range(3):
        d = _poll_until(ecs, arn, lambda d: any(h["status"] == "AWAITING_ACTION" for h in d.get("lifecycleHookDetails", []))
                        or d["status"] == "SUCCESSFUL")[-1][2]
        if d["status"] == "SUCCESSFUL":
            break
        # PRE_PRODUCTION_TRAFFIC_SHIFT is no ServiceDeploymentLifecycleStage (botocore): reported as PRODUCTION_TRAFFIC_SHIFT
        assert d["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT" and d["status"] == "IN_PROGRESS"
        paused_at.append(_prod_weights(d))
        time.sleep(0.3)  # longer than a step's hold (0.2 s): a pause is not timed
        again = _sd(ecs, arn)
        assert again["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT" and _prod_weights(again) == paused_at[-1]
        waiting = [h for h in again["lifecycleHookDetails"] if h["status"] == "AWAITING_ACTION"]
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=waiting[0]["hookId"], action="CONTINUE")
    assert paused_at == [(0.0, 100.0), (50.0, 50.0)], "before the first step and before the second"
    d = _poll_until(ecs, arn, lambda d: d["status"] == "SUCCESSFUL")[-1][2]
    assert describe(ecs)["taskDefinition"] == td2


def test_rollback_at_a_pause_between_steps(emu, aws):
    hook = {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}
    cfg = {"strategy": "CANARY", "bakeTimeInMinutes": 0, "lifecycleHooks": [hook],
           "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 1}}
    ecs, td1, td2, arn = _traffic_service(emu, aws, cfg, ecs_steps=1, minute_seconds=0.1)
    waiting = lambda d: any(h["status"] == "AWAITING_ACTION" for h in d.get("lifecycleHookDetails", []))  # noqa: E731
    first = _poll_until(ecs, arn, waiting)[-1][2]
    assert first["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=first["lifecycleHookDetails"][0]["hookId"])
    d = _poll_until(ecs, arn, lambda d: waiting(d) and _prod_weights(d) == (10.0, 90.0))[-1][2]
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=d["lifecycleHookDetails"][0]["hookId"],
                                    action="ROLLBACK")
    d = _poll_until(ecs, arn, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")[-1][2]
    assert describe(ecs)["taskDefinition"] == td1


def test_canary_defaults_hold_canary_then_shift_all(emu, aws):
    ecs, td1, td2, arn = _traffic_service(emu, aws, {"strategy": "CANARY", "bakeTimeInMinutes": 0},
                                          ecs_steps=1, minute_seconds=0.05)  # canary bake 10 minutes = 0.5 s
    seen = _poll_until(ecs, arn, lambda d: d["status"] == "SUCCESSFUL")
    shift = [x for x in seen if x[2]["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"]
    assert list(dict.fromkeys(_prod_weights(d) for _, _, d in shift)) == [(5.0, 95.0), (100.0, 0.0)]
    assert _held(shift, _prod_weights, (5.0, 95.0), (100.0, 0.0)) >= 0.48
    assert describe(ecs)["taskDefinition"] == td2


def test_linear_step_per_poll_and_rollback_mid_shift(emu, aws):
    cfg = {"strategy": "LINEAR", "bakeTimeInMinutes": 0, "linearConfiguration": {"stepBakeTimeInMinutes": 0}}
    ecs, td1, td2, arn = _traffic_service(emu, aws, cfg, ecs_steps=1)
    steps = [_sd(ecs, arn) for _ in range(3)]
    assert [d["lifecycleStage"] for d in steps] == ["PRODUCTION_TRAFFIC_SHIFT"] * 3
    assert [_prod_weights(d) for d in steps] == [(10.0, 90.0), (20.0, 80.0), (30.0, 70.0)]
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    d = _poll_until(ecs, arn, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL", limit=3)[-1][2]
    assert _prod_weights(d) == (0.0, 100.0)
    assert describe(ecs)["taskDefinition"] == td1


# ---------------------------------------------------------------------------
# 5. tasks
# ---------------------------------------------------------------------------
def test_run_task_exit_code_and_logs(emu, aws):
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="jobs")
    logcfg = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/migrate", "awslogs-stream-prefix": "ecs", "awslogs-region": "us-east-1"}}
    register(ecs, family="migrate", container={"logConfiguration": logcfg})  # no container memory (Fargate)
    emu.ok("POST", "/_emulator/ecs/task-outcome",
           {"account": aws.account, "family": "migrate", "exitCode": 3, "reason": "migration failed", "running_polls": 2, "logs": ["one", "two", "three"]})
    task = ecs.run_task(cluster="jobs", taskDefinition="migrate", launchType="FARGATE", networkConfiguration=network(aws))["tasks"][0]
    assert task["lastStatus"] == "PROVISIONING" and task["desiredStatus"] == "RUNNING"
    task_id = task["taskArn"].split("/")[-1]
    assert len(task_id) == 32
    logs = aws("logs")
    seen = []
    for _ in range(3):
        t = ecs.describe_tasks(cluster="jobs", tasks=[task["taskArn"]])["tasks"][0]
        events = logs.get_log_events(logGroupName="/ecs/migrate", logStreamName=f"ecs/app/{task_id}", startFromHead=True)["events"] \
            if t["lastStatus"] != "PROVISIONING" else []
        seen.append((t["lastStatus"], len(events)))
    assert [s for s, _ in seen] == ["RUNNING", "RUNNING", "STOPPED"]
    assert 0 < seen[0][1] < 3 and seen[2][1] == 3
    assert t["stopCode"] == "EssentialContainerExited" and t["stoppedReason"] == "migration failed"
    assert t["containers"][0]["exitCode"] == 3 and t["desiredStatus"] == "STOPPED"
    assert t["startedAt"] and t["stoppedAt"] and t["createdAt"]
    ecs.get_waiter("tasks_stopped").wait(cluster="jobs", tasks=[task["taskArn"]], WaiterConfig={"Delay": 0.1, "MaxAttempts": 3})


def test_run_task_fail_to_start_and_default_plan(emu, aws):
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="jobs")
    register(ecs, family="job", container={"essential": True})
    emu.ok("POST", "/_emulator/ecs/task-outcome",
           {"account": aws.account, "family": "job", "failToStart": True, "reason": "CannotPullContainerError: not found", "running_polls": 1})
    net = network(aws)
    t = ecs.run_task(cluster="jobs", taskDefinition="job", launchType="FARGATE", networkConfiguration=net)["tasks"][0]
    states = [ecs.describe_tasks(cluster="jobs", tasks=[t["taskArn"]])["tasks"][0] for _ in range(2)]
    assert states[0]["lastStatus"] == "PENDING"
    assert states[1]["lastStatus"] == "STOPPED" and states[1]["stopCode"] == "TaskFailedToStart"
    assert states[1]["stoppedReason"].startswith("CannotPullContainerError")
    assert "exitCode" not in states[1]["containers"][0]
    # no plan: one RUNNING poll, then STOPPED with exit 0
    t = ecs.run_task(cluster="jobs", taskDefinition="job", launchType="FARGATE", networkConfiguration=net)["tasks"][0]
    states = [ecs.describe_tasks(cluster="jobs", tasks=[t["taskArn"]])["tasks"][0] for _ in range(2)]
    assert [s["lastStatus"] for s in states] == ["RUNNING", "STOPPED"]
    assert states[1]["containers"][0]["exitCode"] == 0


def test_task_exit_control_list_tasks_and_stop_task(emu, aws):
    ecs, _ = make_service(aws, desired=2)
    settle(emu, aws)
    service_tasks = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    assert len(service_tasks) == 2
    register(ecs, family="other")
    one_off = ecs.run_task(cluster="prod", taskDefinition="other", launchType="FARGATE", networkConfiguration=network(aws))["tasks"][0]
    assert one_off["taskArn"] not in ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    assert one_off["taskArn"] in ecs.list_tasks(cluster="prod", family="other")["taskArns"]
    body = emu.ok("POST", "/_emulator/ecs/task-exit", {"account": aws.account, "cluster": "prod", "task": one_off["taskArn"], "exitCode": 42})
    assert body["lastStatus"] == "STOPPED"
    t = ecs.describe_tasks(cluster="prod", tasks=[one_off["taskArn"].split("/")[-1]])["tasks"][0]
    assert t["containers"][0]["exitCode"] == 42 and t["stopCode"] == "EssentialContainerExited"
    assert one_off["taskArn"] in ecs.list_tasks(cluster="prod", desiredStatus="STOPPED")["taskArns"]
    svc_task = ecs.describe_tasks(cluster="prod", tasks=service_tasks)["tasks"]
    assert {t["group"] for t in svc_task} == {"service:web"} and {t["lastStatus"] for t in svc_task} == {"RUNNING"}
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.stop_task(cluster="prod", task="0123456789abcdef0123456789abcdef")
    assert error_code(exc.value) == "InvalidParameterException"
    stopped = ecs.stop_task(cluster="prod", task=service_tasks[0], reason="by test")["task"]
    assert stopped["lastStatus"] == "STOPPED" and stopped["stoppedReason"] == "by test"
    assert ecs.describe_tasks(cluster="prod", tasks=["missing"])["failures"][0]["reason"] == "MISSING"
    status, body = emu.ctl("POST", "/_emulator/ecs/task-exit", {"account": aws.account, "cluster": "prod", "task": "nope", "exitCode": 1})
    assert status == 404
    status, body = emu.ctl("POST", "/_emulator/ecs/task-exit", {"account": aws.account, "cluster": "prod", "task": "x"})
    assert status == 400 and body["field"] == "exitCode"


def test_execute_command_session_and_container_choice(emu, aws):
    ecs, _ = make_service(aws, desired=1)
    settle(emu, aws)
    task = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"][0]
    out = ecs.execute_command(cluster="prod", task=task.split("/")[-1], interactive=True, command="sh")
    assert out["containerName"] == "app" and out["taskArn"] == task and out["interactive"] is True
    session = out["session"]
    assert session["sessionId"] and session["streamUrl"].startswith("wss://ssmmessages.") and session["tokenValue"]
    two = register(ecs, family="two", containerDefinitions=[{"name": "app", "image": "nginx:1"}, {"name": "sidecar", "image": "busybox:1"}])
    t = ecs.run_task(cluster="prod", taskDefinition=two, launchType="FARGATE", networkConfiguration=network(aws))["tasks"][0]
    ecs.describe_tasks(cluster="prod", tasks=[t["taskArn"]])  # PROVISIONING -> RUNNING
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.execute_command(cluster="prod", task=t["taskArn"], interactive=True, command="sh")
    assert error_code(exc.value) == "InvalidParameterException"
    assert ecs.execute_command(cluster="prod", task=t["taskArn"], container="sidecar", interactive=True, command="sh")["containerName"] == "sidecar"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.execute_command(cluster="prod", task=t["taskArn"], container="nope", interactive=True, command="sh")
    assert error_code(exc.value) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ecs.execute_command(cluster="prod", task="0123456789abcdef0123456789abcdef", interactive=True, command="sh")
    assert error_code(exc.value) == "InvalidParameterException"



def test_ssm_sessions_for_ecs_exec_targets(emu, aws):
    """StartSession for an ECS Exec target (`ecs:CLUSTER_TASKID_RUNTIMEID`): botocore's response
    shape for a running task's container, TargetNotConnected otherwise, InvalidDocument for a
    document that is not a Session Manager one or lacks its required parameters; the call log
    keeps the request parameters of ExecuteCommand and StartSession."""
    ecs, _ = make_service(aws, desired=1)
    settle(emu, aws)
    task_arn = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"][0]
    task = ecs.describe_tasks(cluster="prod", tasks=[task_arn])["tasks"][0]
    runtime = task["containers"][0]["runtimeId"]
    task_id = task_arn.rsplit("/", 1)[-1]
    ecs.execute_command(cluster="prod", task=task_id, interactive=True, command="sh -c 'id'")
    ssm = aws("ssm")
    target = f"ecs:prod_{task_id}_{runtime}"
    out = ssm.start_session(
        Target=target,
        DocumentName="AWS-StartPortForwardingSession",
        Parameters={"portNumber": ["12345"], "localPortNumber": ["0"]},
    )
    assert 1 <= len(out["SessionId"]) <= 96 and len(out["TokenValue"]) <= 300
    assert out["StreamUrl"].startswith(f"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{out['SessionId']}")
    assert ssm.terminate_session(SessionId=out["SessionId"])["SessionId"] == out["SessionId"]
    for wrong in (f"ecs:prod_{task_id}_not-a-runtime", "ecs:prod_0123456789abcdef0123456789abcdef", "i-0123456789abcdef0"):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            ssm.start_session(Target=wrong)
        assert error_code(exc.value) == "TargetNotConnected" and wrong in str(exc.value)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.start_session(Target=target, DocumentName="My-Document")
    assert error_code(exc.value) == "InvalidDocument"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.start_session(Target=target, DocumentName="AWS-StartPortForwardingSessionToRemoteHost", Parameters={"portNumber": ["5432"]})
    assert error_code(exc.value) == "InvalidDocument"
    ecs.stop_task(cluster="prod", task=task_arn)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm.start_session(Target=target)
    assert error_code(exc.value) == "TargetNotConnected"
    logged = emu.ok("GET", f"/_emulator/calls?account={aws.account}&operation=ExecuteCommand")["calls"]
    assert logged[-1]["request"]["command"] == "sh -c 'id'" and logged[-1]["request"]["interactive"] is True
    sessions = emu.ok("GET", f"/_emulator/calls?account={aws.account}&operation=StartSession")["calls"]
    assert sessions[0]["request"]["Parameters"]["portNumber"] == ["12345"]
    others = emu.ok("GET", f"/_emulator/calls?account={aws.account}&operation=ListTasks")["calls"]
    assert others and all("request" not in c for c in others)

# ---------------------------------------------------------------------------
# 6. ListTaskDefinitions
# ---------------------------------------------------------------------------
def test_list_task_definitions_sort_and_pagination(emu, aws):
    ecs = aws("ecs")
    arns = [register(ecs, image=f"nginx:{i}") for i in range(3)]
    register(ecs, family="aaa")
    assert ecs.list_task_definitions(familyPrefix="web", sort="DESC", maxResults=1)["taskDefinitionArns"] == [arns[2]]
    first = ecs.list_task_definitions(familyPrefix="web", maxResults=2)
    assert first["taskDefinitionArns"] == arns[:2]
    assert ecs.list_task_definitions(familyPrefix="web", nextToken=first["nextToken"])["taskDefinitionArns"] == arns[2:]
    every = ecs.list_task_definitions(sort="DESC")["taskDefinitionArns"]
    assert every[0] == arns[2] and every[-1].endswith("task-definition/aaa:1")


# ---------------------------------------------------------------------------
# 7. CodeDeploy
# ---------------------------------------------------------------------------
def _codedeploy_setup(
    aws: Any, ready_wait: bool = False, rollback: bool = True, ready_minutes: int = 10, termination_minutes: int = 0
) -> tuple[Any, Any, str, str, str]:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="prod")
    td1 = register(ecs, fargate=False, image="app:1")
    td2 = register(ecs, fargate=False, image="app:2")
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td1, desiredCount=2, deploymentController={"type": "CODE_DEPLOY"})
    cd = aws("codedeploy")
    cd.create_application(applicationName="app", computePlatform="ECS")
    bg: dict[str, Any] = {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": termination_minutes}
    }
    bg["deploymentReadyOption"] = {
        "actionOnTimeout": "STOP_DEPLOYMENT" if ready_wait else "CONTINUE_DEPLOYMENT",
        "waitTimeInMinutes": ready_minutes if ready_wait else 0,
    }
    cd.create_deployment_group(
        applicationName="app",
        deploymentGroupName="dg",
        serviceRoleArn=f"arn:aws:iam::{aws.account}:role/cd",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration=bg,
        autoRollbackConfiguration={"enabled": rollback, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
        ecsServices=[{"serviceName": "web", "clusterName": "prod"}],
        loadBalancerInfo={"targetGroupPairInfoList": [{"targetGroups": [{"name": "blue"}, {"name": "green"}], "prodTrafficRoute": {"listenerArns": ["arn:l"]}}]},
    )
    appspec = (
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
        f"        TaskDefinition: {td2}\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n"
    )
    return ecs, cd, td1, td2, appspec


def _revision(appspec: str) -> dict[str, Any]:
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}}


def test_codedeploy_progression_ready_wait_and_targets(emu, aws):
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws, ready_wait=True)
    svc = describe(ecs)
    assert svc["runningCount"] == 2 and svc["deployments"] == []
    assert [(ts["status"], ts["taskDefinition"]) for ts in svc["taskSets"]] == [("PRIMARY", td1)]
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    assert dep_id.startswith("d-") and len(dep_id) == 11
    assert cd.list_deployment_targets(deploymentId=dep_id)["targetIds"] == ["prod:web"]
    statuses = [cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["status"] for _ in range(4)]
    assert statuses == ["InProgress", "Ready", "Ready", "Ready"]
    target = cd.get_deployment_target(deploymentId=dep_id, targetId="prod:web")["deploymentTarget"]
    assert target["deploymentTargetType"] == "ECSTarget"
    ecs_target = target["ecsTarget"]
    assert ecs_target["status"] == "Ready"
    events = {e["lifecycleEventName"]: e["status"] for e in ecs_target["lifecycleEvents"]}
    assert list(events) == ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
                            "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    assert events["AfterAllowTestTraffic"] == "Succeeded" and events["AllowTraffic"] == "Pending"
    assert {ts["taskSetLabel"]: ts["trafficWeight"] for ts in ecs_target["taskSetsInfo"]} == {"Blue": 100.0, "Green": 0.0}
    assert describe(ecs)["taskDefinition"] == td1
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))
    assert error_code(exc.value) == "DeploymentLimitExceededException"
    cd.continue_deployment(deploymentId=dep_id, deploymentWaitType="READY_WAIT")
    for _ in range(3):
        info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == "Succeeded" and info["completeTime"]
    final = cd.batch_get_deployment_targets(deploymentId=dep_id, targetIds=["prod:web"])["deploymentTargets"][0]["ecsTarget"]
    assert {e["status"] for e in final["lifecycleEvents"]} == {"Succeeded"}
    assert {ts["taskSetLabel"]: ts["trafficWeight"] for ts in final["taskSetsInfo"]} == {"Blue": 0.0, "Green": 100.0}
    svc = describe(ecs)
    assert svc["taskDefinition"] == td2 and svc["runningCount"] == 2
    assert [(ts["status"], ts["taskDefinition"]) for ts in svc["taskSets"]] == [("PRIMARY", td2)]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.continue_deployment(deploymentId=dep_id)
    assert error_code(exc.value) == "DeploymentAlreadyCompletedException"
    cd.get_waiter("deployment_successful").wait(deploymentId=dep_id, WaiterConfig={"Delay": 0.1, "MaxAttempts": 2})
    rev = cd.get_application_revision(applicationName="app", revision=_revision(appspec))
    assert rev["revision"]["appSpecContent"]["content"] == appspec and rev["revisionInfo"]["deploymentGroups"] == ["dg"]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.get_application_revision(applicationName="app", revision=_revision("other"))
    assert error_code(exc.value) == "RevisionDoesNotExistException"


def test_codedeploy_failure_plan_stop_and_status_control(emu, aws):
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws)
    emu.ok("POST", "/_emulator/codedeploy/outcome",
           {"account": aws.account, "application": "app", "deploymentGroup": "dg", "outcome": "fail", "error": "HEALTH_CONSTRAINTS"})
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    with pytest.raises(botocore.exceptions.WaiterError):
        cd.get_waiter("deployment_successful").wait(deploymentId=dep_id, WaiterConfig={"Delay": 0.1, "MaxAttempts": 5})
    info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    for _ in range(4):
        rb = cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
    assert rb["status"] == "Succeeded" and rb["creator"] == "codeDeployRollback"
    assert rb["rollbackInfo"]["rollbackTriggeringDeploymentId"] == dep_id
    # StopDeployment with rollback
    dep2 = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    out = cd.stop_deployment(deploymentId=dep2, autoRollbackEnabled=True)
    assert out["status"] == "Pending"
    info = cd.get_deployment(deploymentId=dep2)["deploymentInfo"]
    assert info["status"] == "Stopped" and info["rollbackInfo"]["rollbackDeploymentId"]
    for _ in range(4):
        rb = cd.get_deployment(deploymentId=info["rollbackInfo"]["rollbackDeploymentId"])["deploymentInfo"]
    assert rb["status"] == "Succeeded"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.stop_deployment(deploymentId=dep2)
    assert error_code(exc.value) == "DeploymentAlreadyCompletedException"
    # status control
    dep3 = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    emu.ok("POST", "/_emulator/codedeploy/status",
           {"account": aws.account, "deploymentId": dep3, "status": "Failed", "error": {"code": "ALARM_ACTIVE", "message": "alarm"}})
    info = cd.get_deployment(deploymentId=dep3)["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"] == {"code": "ALARM_ACTIVE", "message": "alarm"}
    status, body = emu.ctl("POST", "/_emulator/codedeploy/status", {"account": aws.account, "deploymentId": dep3, "status": "Done"})
    assert status == 400 and body["field"] == "status"
    status, body = emu.ctl("POST", "/_emulator/codedeploy/status", {"account": aws.account, "deploymentId": "d-NOPE", "status": "Failed"})
    assert status == 404


def test_codedeploy_configs_and_codestep_knob(emu, aws):
    cd = aws("codedeploy")
    cfg = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes")["deploymentConfigInfo"]
    assert cfg["computePlatform"] == "ECS" and cfg["trafficRoutingConfig"]["timeBasedLinear"]["linearPercentage"] == 10
    all_at_once = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")["deploymentConfigInfo"]
    assert all_at_once["trafficRoutingConfig"]["type"] == "AllAtOnce"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.get_deployment_config(deploymentConfigName="Nope")
    assert error_code(exc.value) == "DeploymentConfigDoesNotExistException"
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "codedeploy_steps": 2})
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws)
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    statuses = [cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["status"] for _ in range(6)]
    assert statuses == ["Created", "InProgress", "InProgress", "InProgress", "InProgress", "Succeeded"]
    group = cd.get_deployment_group(applicationName="app", deploymentGroupName="dg")["deploymentGroupInfo"]
    assert group["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    assert group["lastSuccessfulDeployment"]["deploymentId"] == dep_id


def _task_sets(ecs: Any) -> list[tuple[str, str, str]]:
    return [(ts["status"], ts["taskDefinition"], ts["id"]) for ts in describe(ecs)["taskSets"]]


def _weights(cd: Any, dep_id: str) -> dict[str, float]:
    target = cd.get_deployment_target(deploymentId=dep_id, targetId="prod:web")["deploymentTarget"]["ecsTarget"]
    return {ts["taskSetLabel"]: ts["trafficWeight"] for ts in target["taskSetsInfo"]}


def test_codedeploy_ready_wait_expires(emu, aws):
    _config(emu, aws, minute_seconds=0.5)
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws, ready_wait=True, ready_minutes=2)  # 1 s
    blue = _task_sets(ecs)
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    status = lambda: cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["status"]  # noqa: E731
    assert status() == "InProgress"
    sent = time.time()
    assert status() == "Ready"  # the ready wait (2 minutes x 0.5 s) starts now
    received = time.time()
    _holds_until(status, sent + 0.95, lambda st: st == "Ready" or pytest.fail(st))
    time.sleep(max(0.0, received + 1.05 - time.time()))
    info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "TIMEOUT"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]  # group: autoRollback DEPLOYMENT_FAILURE
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.continue_deployment(deploymentId=dep_id, deploymentWaitType="READY_WAIT")
    assert error_code(exc.value) == "DeploymentAlreadyCompletedException"
    for _ in range(4):
        rb = cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
    assert rb["status"] == "Succeeded" and rb["creator"] == "codeDeployRollback"
    assert describe(ecs)["taskDefinition"] == td1 and _task_sets(ecs) == blue


def test_codedeploy_termination_wait_then_succeeds(emu, aws):
    _config(emu, aws, minute_seconds=1)
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws, termination_minutes=2)  # 2 s
    (_, _, blue_id), = _task_sets(ecs)
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    infos = [cd.get_deployment(deploymentId=dep_id)["deploymentInfo"] for _ in range(2)]
    sent = time.time()
    infos.append(cd.get_deployment(deploymentId=dep_id)["deploymentInfo"])  # the termination wait starts now
    received = time.time()
    assert [i["status"] for i in infos] == ["InProgress"] * 3
    assert [i["instanceTerminationWaitTimeStarted"] for i in infos] == [False, False, True]
    target = cd.get_deployment_target(deploymentId=dep_id, targetId="prod:web")["deploymentTarget"]["ecsTarget"]
    assert target["status"] == "InProgress" and {e["status"] for e in target["lifecycleEvents"]} == {"Succeeded"}
    assert _weights(cd, dep_id) == {"Blue": 0.0, "Green": 100.0}
    sets = _task_sets(ecs)
    assert [(s, td) for s, td, _ in sets] == [("PRIMARY", td2), ("ACTIVE", td1)] and sets[1][2] == blue_id
    assert describe(ecs)["taskDefinition"] == td2
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))
    assert error_code(exc.value) == "DeploymentLimitExceededException"
    status = lambda: cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["status"]  # noqa: E731
    _holds_until(status, sent + 1.95, lambda st: st == "InProgress" or pytest.fail(st))
    time.sleep(max(0.0, received + 2.05 - time.time()))
    assert cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["status"] == "Succeeded"
    assert [(s, td) for s, td, _ in _task_sets(ecs)] == [("PRIMARY", td2)]


def test_codedeploy_termination_wait_stop_rolls_back_and_continue_ends_it(emu, aws):
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws, termination_minutes=2)  # default: 2 real minutes
    blue = _task_sets(ecs)
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    for _ in range(3):
        cd.get_deployment(deploymentId=dep_id)
    assert describe(ecs)["taskDefinition"] == td2 and _weights(cd, dep_id)["Green"] == 100.0
    assert cd.stop_deployment(deploymentId=dep_id, autoRollbackEnabled=True)["status"] == "Pending"
    info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    assert describe(ecs)["taskDefinition"] == td1 and _task_sets(ecs) == blue
    assert _weights(cd, dep_id) == {"Blue": 100.0, "Green": 0.0}
    for _ in range(4):
        rb = cd.get_deployment(deploymentId=info["rollbackInfo"]["rollbackDeploymentId"])["deploymentInfo"]
    assert rb["status"] == "Succeeded"
    assert describe(ecs)["taskDefinition"] == td1 and _task_sets(ecs) == blue
    # ContinueDeployment(TERMINATION_WAIT) ends the wait early
    dep2 = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec))["deploymentId"]
    for _ in range(3):
        info = cd.get_deployment(deploymentId=dep2)["deploymentInfo"]
    assert info["status"] == "InProgress" and info["instanceTerminationWaitTimeStarted"] is True
    cd.continue_deployment(deploymentId=dep2, deploymentWaitType="TERMINATION_WAIT")
    assert cd.get_deployment(deploymentId=dep2)["deploymentInfo"]["status"] == "Succeeded"
    assert [(s, td) for s, td, _ in _task_sets(ecs)] == [("PRIMARY", td2)]


# ---------------------------------------------------------------------------
# 8. call log, reset; unimplemented operations
# ---------------------------------------------------------------------------
def test_call_log(emu, aws):
    ecs = aws("ecs")
    before = time.time()
    ecs.list_clusters()
    with pytest.raises(botocore.exceptions.ClientError):
        ecs.describe_services(cluster="missing", services=["x"])
    aws("sts").get_caller_identity()
    calls = emu.ok("GET", f"/_emulator/calls?account={aws.account}")["calls"]
    ops = [(c["service"], c["operation"], c["status"]) for c in calls]
    assert ops == [("ecs", "ListClusters", 200), ("ecs", "DescribeServices", 400), ("sts", "GetCallerIdentity", 200)]
    assert all(c["region"] == "us-east-1" and c["account"] == aws.account for c in calls)
    assert all(before <= c["start"] <= c["end"] <= time.time() for c in calls)
    only = emu.ok("GET", f"/_emulator/calls?account={aws.account}&operation=ListClusters")["calls"]
    assert len(only) == 1
    key = calls[0]["access_key"]
    assert key.endswith(aws.account) and all(c["access_key"] == key for c in calls)
    signed = emu.ok("GET", f"/_emulator/calls?account={aws.account}&access_key={key}")["calls"]
    assert len(signed) == 3


def test_unimplemented_operation_behaves_like_moto(emu, aws):
    ecs = aws("ecs")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        # ExecuteCommand is answered now (tasks.py); moto has no SubmitAttachmentStateChanges.
        ecs.submit_attachment_state_changes(
            attachments=[{"attachmentArn": "arn:aws:ecs:x:1:attachment/a", "status": "ATTACHED"}]
        )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_reset_wipes_everything(emu, aws):
    # reset is global: later tests only use fresh accounts, so they are unaffected
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="gone")
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 7})
    emu.ok("POST", "/_emulator/ecs/outcome", {"account": aws.account, "service": "web", "outcome": "fail"})
    assert emu.ok("POST", "/_emulator/reset") == {"status": "ok"}
    assert ecs.list_clusters()["clusterArns"] == []
    assert emu.ok("GET", f"/_emulator/config?account={aws.account}")["ecs_steps"] == 3
    calls = emu.ok("GET", f"/_emulator/calls?account={aws.account}")["calls"]
    assert [c["operation"] for c in calls] == ["ListClusters"]
    make_service(aws)  # the armed failure plan is gone too
    assert settle(emu, aws)["deployments"][0]["rolloutState"] == "COMPLETED"


# ---------------------------------------------------------------------------
# fault proxy
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def proxy(emu):
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="fault-proxy-", suffix=".log")[1])
    with log.open("w") as fh:
        proc = subprocess.Popen([str(HERE / "fault-proxy"), str(port), str(emu.port)], stdout=fh, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/_fault/rules", proc, log)
        yield port
    finally:
        rc = stop(proc)
        assert rc == 0, log.read_text()
        log.unlink()


def test_fault_proxy_throttle_5xx_reset_delay(emu, acct, proxy):
    add = lambda rule: emu.ctl("POST", "/_fault/add", rule, port=proxy)  # noqa: E731
    emu.ctl("POST", "/_fault/clear", {}, port=proxy)
    status, body = add({"match": "ListClusters", "kind": "sideways"})
    assert status == 400 and body["field"] == "kind"
    status, body = add({"kind": "throttle"})
    assert status == 400 and body["field"] == "match"

    retrying = emu.client("ecs", acct, retries=3, port=proxy)
    single = emu.client("ecs", acct, retries=1, port=proxy)
    # forwarded untouched
    assert single.list_clusters()["clusterArns"] == []

    assert add({"match": "ListClusters", "kind": "throttle", "times": 2})[0] == 200
    resp = retrying.list_clusters()
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2

    add({"match": "AmazonEC2ContainerServiceV20141113.ListClusters", "kind": "throttle", "times": 1})
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        single.list_clusters()
    assert error_code(exc.value) == "ThrottlingException" and exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"

    add({"match": "ListClusters", "kind": "5xx", "times": 1})
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        single.list_clusters()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    add({"match": "ListClusters", "kind": "reset", "times": 1})
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError, botocore.exceptions.HTTPClientError)):
        single.list_clusters()
    add({"match": "ListClusters", "kind": "reset", "times": 1})
    assert retrying.list_clusters()["ResponseMetadata"]["HTTPStatusCode"] == 200

    add({"match": "ListClusters", "kind": "delay", "delay_ms": 400, "times": 1})
    start = time.time()
    single.list_clusters()
    assert time.time() - start >= 0.4

    add({"match": "DescribeClusters", "kind": "throttle"})  # forever
    for _ in range(3):
        with pytest.raises(botocore.exceptions.ClientError):
            single.describe_clusters(clusters=["x"])
    rules = emu.ctl("GET", "/_fault/rules", port=proxy)[1]["rules"]
    forever = [r for r in rules if r["match"] == "DescribeClusters"][0]
    assert forever["hits"] == 3 and forever["remaining"] is None
    assert all(r["remaining"] == 0 for r in rules if r["match"] != "DescribeClusters")
    assert emu.ctl("POST", "/_fault/clear", {}, port=proxy) == (200, {"status": "ok"})
    assert emu.ctl("GET", "/_fault/rules", port=proxy)[1]["rules"] == []
    single.describe_clusters(clusters=["x"])

    sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{proxy}", region_name="us-east-1",
                       aws_access_key_id=f"AKIA{acct}", aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    add({"match": "GetCallerIdentity", "kind": "throttle", "times": 1})
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        sts.get_caller_identity()
    assert error_code(exc.value) == "Throttling"
    assert sts.get_caller_identity()["Account"] == acct


def test_serve_stops_on_sigterm():
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="emulator-sig-", suffix=".log")[1])
    with log.open("w") as fh:
        proc = subprocess.Popen([str(HERE / "serve"), str(port)], stdout=fh, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        wait_http(f"http://127.0.0.1:{port}/_emulator/health", proc, log)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.unlink()


# ---------------------------------------------------------------------------
# replayed answers (/_emulator/replay)
# ---------------------------------------------------------------------------
CORPUS = HERE.parent / "fixtures" / "aws-corpus"


def corpus_body(case: str, file: str = "response.json") -> dict[str, Any]:
    return json.loads((CORPUS / case / file).read_text())


def test_replay_answers_describe_services_with_the_exact_body(emu, aws):
    body = corpus_body("cli-update-service-desired-count")
    armed = emu.ok("POST", "/_emulator/replay", {
        "account": aws.account, "operation": "DescribeServices", "match": {"service": "my-http-service"}, "response": body})
    assert armed["operation"] == "DescribeServices" and armed["id"]
    ecs = aws("ecs", "us-east-1")
    # by name, and by ARN (the cluster need not exist: the replay answers before moto)
    for name in ("my-http-service", "arn:aws:ecs:us-east-1:123456789012:service/MyCluster/my-http-service"):
        out = ecs.describe_services(cluster="MyCluster", services=[name])
        svc = out["services"][0]
        assert svc["serviceName"] == "my-http-service" and svc["availabilityZoneRebalancing"] == "ENABLED"
        assert svc["deploymentConfiguration"]["alarms"] == {"alarmNames": [], "rollback": False, "enable": False}
        assert svc["createdAt"].timestamp() == pytest.approx(body["services"][0]["createdAt"])
        assert out["failures"] == []
    # the raw answer is byte-for-byte the armed body
    req = urllib.request.Request(emu.url + "/", data=json.dumps({"cluster": "MyCluster", "services": ["my-http-service"]}).encode(), method="POST")
    req.add_header("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices")
    req.add_header("Content-Type", "application/x-amz-json-1.1")
    req.add_header("Authorization", f"AWS4-HMAC-SHA256 Credential=AKIA{aws.account}/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/x-amz-json-1.1"
        assert json.loads(resp.read()) == body
    # another service is not matched: moto answers (the cluster does not exist there)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ecs.describe_services(cluster="MyCluster", services=["other"])
    assert error_code(err.value) == "ClusterNotFoundException"
    calls = emu.ok("GET", f"/_emulator/calls?account={aws.account}&operation=DescribeServices")["calls"]
    assert len(calls) == 4 and all(c["service"] == "ecs" for c in calls)


def test_replay_is_scoped_to_account_region_and_cleared(emu, aws, acct):
    body = corpus_body("codelib-describe-task-definition-hello-world-2024")
    emu.ok("POST", "/_emulator/replay", {
        "account": acct, "region": "us-east-1", "operation": "DescribeTaskDefinition",
        "match": {"taskDefinition": "hello_world:8"}, "response": body})
    ecs = aws("ecs", "us-east-1")
    for ref in ("hello_world:8", "hello_world", "arn:aws:ecs:us-east-1:012345678910:task-definition/hello_world:8"):
        td = ecs.describe_task_definition(taskDefinition=ref, include=["TAGS"])
        assert td["taskDefinition"]["registeredBy"] == "arn:aws:sts::012345678910:assumed-role/demo-role/jane-doe"
        assert td["taskDefinition"]["compatibilities"] == ["EXTERNAL", "EC2"]
    for other_ref, client in (("hello_world:7", ecs), ("hello_world:8", aws("ecs", "eu-west-1"))):
        with pytest.raises(botocore.exceptions.ClientError):
            client.describe_task_definition(taskDefinition=other_ref)
    other = f"{next(_accounts):012d}"
    with pytest.raises(botocore.exceptions.ClientError):
        emu.client("ecs", other).describe_task_definition(taskDefinition="hello_world:8")
    listed = emu.ok("GET", "/_emulator/replay")["replays"]
    assert any(r["account"] == acct and r["operation"] == "DescribeTaskDefinition" for r in listed)
    assert "response" not in listed[0]
    status, out = emu.ctl("DELETE", f"/_emulator/replay?account={acct}")
    assert status == 200 and out["removed"] == 1
    with pytest.raises(botocore.exceptions.ClientError):
        ecs.describe_task_definition(taskDefinition="hello_world:8")


def test_replay_any_operation_by_request_members(emu, aws):
    arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/example-cluster/example-service/ejGvqq2ilnbKT9qj0vLJe"
    emu.ok("POST", "/_emulator/replay", {
        "account": aws.account, "operation": "DescribeServiceDeployments",
        "match": {"serviceDeploymentArns": arn}, "response": corpus_body("codelib-describe-service-deployments")})
    tags_arn = "arn:aws:ecs:us-east-1:123456789012:service/MyCluster/my-http-service"
    emu.ok("POST", "/_emulator/replay", {
        "account": aws.account, "operation": "ListTagsForResource", "match": {"resourceArn": tags_arn},
        "response": {"tags": [{"key": "team", "value": "web"}]}})
    emu.ok("POST", "/_emulator/replay", {
        "account": aws.account, "operation": "GetDeploymentTarget", "match": {"deploymentId": "d-RPCR1U3TW"},
        "response": corpus_body("devguide-bluegreen-get-deployment-target")})
    ecs = aws("ecs")
    sd = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert sd["status"] == "SUCCESSFUL" and sd["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE"
    assert ecs.list_tags_for_resource(resourceArn=tags_arn)["tags"] == [{"key": "team", "value": "web"}]
    target = aws("codedeploy").get_deployment_target(deploymentId="d-RPCR1U3TW", targetId="x")["deploymentTarget"]
    assert [t["identifer"] for t in target["ecsTarget"]["taskSetsInfo"]] == ["ecs-svc/9223370493425779968", "ecs-svc/9223370493423413672"]
    out = emu.ok("POST", "/_emulator/replay/clear", {"account": aws.account, "operation": "ListTagsForResource"})
    assert out["removed"] == 1
    assert emu.ok("POST", "/_emulator/replay/clear", {"account": aws.account})["removed"] == 2


def test_replay_real_answer_with_members_botocore_lacks(emu, aws):
    """A real answer may carry members the SDK does not model (version, failedLaunchTaskCount):
    replayed as is, not reported by the shape check, ignored by the SDK."""
    emu.ok("POST", "/_emulator/replay", {"account": aws.account, "operation": "DescribeServices",
                                        "response": corpus_body("devguide-service-connect-create-service")})
    svc = aws("ecs", "us-west-2").describe_services(cluster="tutorial", services=["service-connect-nginx-service"])["services"][0]
    assert "version" not in svc and "failedLaunchTaskCount" not in svc["deployments"][0]
    sc = svc["deployments"][0]["serviceConnectConfiguration"]
    assert sc["namespace"] == "service-connect" and sc["logConfiguration"]["secretOptions"] == []
    assert "serviceConnectConfiguration" not in svc


def test_replay_control_errors(emu):
    status, body = emu.ctl("POST", "/_emulator/replay", {"match": {}, "response": {}})
    assert status == 400 and body["field"] == "operation"
    status, body = emu.ctl("POST", "/_emulator/replay", {"operation": "describe services", "response": {}})
    assert status == 400 and body["field"] == "operation"
    status, body = emu.ctl("POST", "/_emulator/replay", {"operation": "DescribeServices"})
    assert status == 400 and body["field"] == "response"
    status, body = emu.ctl("POST", "/_emulator/replay", {"operation": "DescribeServices", "response": {}, "match": {"service": ["a"]}})
    assert status == 400 and body["field"] == "match"
    status, body = emu.ctl("POST", "/_emulator/replay", {"operation": "DescribeServices", "response": {}, "bogus": 1})
    assert status == 400 and body["field"] == "bogus"
    status, body = emu.ctl("PUT", "/_emulator/replay")
    assert status in (404, 405)


# ---------------------------------------------------------------------------
# wall-clock rollouts (rollout_mode "time")
# ---------------------------------------------------------------------------
def test_time_rollout_mode_config_and_errors(emu, acct):
    cfg = emu.ok("GET", f"/_emulator/config?account={acct}")
    assert cfg["rollout_mode"] == "steps"
    assert cfg["phase_seconds"] == {"task_start": 2.0, "health_check": 2.0, "draining": 1.0, "bake": 0.0}
    cfg = emu.ok("POST", "/_emulator/config", {"account": acct, "rollout_mode": "time", "phase_seconds": {"bake": 3}})
    assert cfg["rollout_mode"] == "time" and cfg["phase_seconds"]["bake"] == 3.0 and cfg["phase_seconds"]["task_start"] == 2.0
    for bad in ({"rollout_mode": "fast"}, {"phase_seconds": {"warmup": 1}}, {"phase_seconds": {"bake": -1}},
                {"phase_seconds": {"bake": "1"}}, {"phase_seconds": [1]}):
        status, body = emu.ctl("POST", "/_emulator/config", {"account": acct, **bad})
        assert status == 400 and body["field"] == list(bad)[0], (bad, body)


def _timeline(ecs: Any, until: Any, origin: float, timeout: float = 20.0) -> list[tuple[float, dict[str, Any]]]:
    """Describes the service until `until` holds.  Each sample's time is taken after its answer
    and counted from `origin`, a time.time() read before the call that started the rollout, so
    it is never less than the emulator's own elapsed time behind that answer: "nothing before
    t" and "done no earlier than t" hold however slow the machine is."""
    seen: list[tuple[float, dict[str, Any]]] = []
    while time.time() - origin < timeout:
        s = describe(ecs)
        seen.append((time.time() - origin, s))
        if until(s):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"timed out; last: {seen[-1][1]['deployments']}")


def test_time_rollout_mode_follows_the_clock(emu, aws):
    phases = {"task_start": 0.4, "health_check": 0.4, "draining": 0.4, "bake": 0.3}
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "rollout_mode": "time", "phase_seconds": phases, "ecs_steps": 2})
    origin = time.time()
    ecs, td1 = make_service(aws, desired=2)
    seen = _timeline(ecs, lambda s: s["deployments"][0]["rolloutState"] == "COMPLETED", origin)
    assert len(seen) > 5, "polls do not move a time-mode rollout; only the clock does"
    assert all(s["runningCount"] == 0 for t, s in seen if t < 0.35)
    done_at = seen[-1][0]
    assert done_at >= 1.5, done_at  # 0.4 + 0.4 + 0.4 + 0.3
    assert seen[-1][1]["runningCount"] == 2
    # an update: the old deployment keeps its tasks until the new ones pass the health check
    td2 = register(ecs, image="nginx:2")
    origin = time.time()
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    seen = _timeline(ecs, lambda s: len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED", origin)
    both = [(t, s) for t, s in seen if len(s["deployments"]) == 2]
    early = [s for t, s in both if t < 0.75]
    assert early and all(s["deployments"][1]["runningCount"] == 2 for s in early)
    assert any(s["deployments"][0]["runningCount"] == 2 and s["deployments"][1]["runningCount"] == 2 for t, s in both)
    assert seen[-1][0] >= 1.5 and seen[-1][1]["taskDefinition"] == td2
    sd = ecs.describe_service_deployments(serviceDeploymentArns=[latest_sd(ecs)])["serviceDeployments"][0]
    assert sd["status"] == "SUCCESSFUL" and sd["lifecycleStage"] == "CLEAN_UP"
    # a desiredCount-only update scales when the phases have passed
    origin = time.time()
    ecs.update_service(cluster="prod", service="web", desiredCount=4)
    seen = _timeline(ecs, lambda s: s["runningCount"] == 4, origin)
    assert seen[-1][0] >= 0.75 and all(s["runningCount"] == 2 for t, s in seen if t < 0.7)


def test_time_rollout_mode_failure_and_settle(emu, aws):
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "rollout_mode": "time",
                                         "phase_seconds": {"task_start": 0.3, "health_check": 5, "draining": 5, "bake": 5}})
    ecs, td1 = make_service(aws, desired=1)
    emu.ok("POST", "/_emulator/ecs/settle", {"account": aws.account, "cluster": "prod", "service": "web"})
    assert describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED"
    emu.ok("POST", "/_emulator/ecs/outcome", {"account": aws.account, "cluster": "prod", "service": "web", "outcome": "fail"})
    broken = register(ecs, image="nginx:broken")
    origin = time.time()
    ecs.update_service(cluster="prod", service="web", taskDefinition=broken)
    assert describe(ecs)["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    seen = _timeline(ecs, lambda s: s["deployments"][0]["rolloutState"] == "FAILED" or s["taskDefinition"] == td1 and len(s["deployments"]) == 1, origin)
    assert seen[-1][0] >= 0.3


def test_emulator_answers_have_the_members_of_corpus_answers(emu, aws):
    """The emulator's own answers for a service like the corpus ones carry every member those
    real answers carry (members that depend on what was configured are set alike here)."""
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="prod")
    td = register(ecs)
    subnet = aws("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td, desiredCount=1,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}},
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    settle(emu, aws)
    mine = describe(ecs)
    real = corpus_body("cli-update-service-desired-count")["services"][0]
    assert set(real) <= set(mine), set(real) - set(mine)
    assert set(real["deployments"][0]) <= set(mine["deployments"][0])
    assert mine["capacityProviderStrategy"] == real["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    # alarms: in this answer (console-made service) but not in codelib-create-service-ebs-volume (CLI-made)
    assert set(real["deploymentConfiguration"]) - {"alarms"} <= set(mine["deploymentConfiguration"])
    arn = latest_sd(ecs)
    sd = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    real = corpus_body("codelib-describe-service-deployments")["serviceDeployments"][0]
    assert set(real) <= set(sd) and sd["alarms"] == real["alarms"] == {"status": "DISABLED"}
    assert sd["deploymentCircuitBreaker"] == real["deploymentCircuitBreaker"]  # MONITORING_COMPLETE, 0, 3
    rev = ecs.describe_service_revisions(serviceRevisionArns=[sd["targetServiceRevision"]["arn"]])["serviceRevisions"][0]
    real = corpus_body("codelib-describe-service-revisions")["serviceRevisions"][0]
    assert set(real) <= set(rev), set(real) - set(rev)
    for key in ("capacityProviderStrategy", "platformVersion", "platformFamily", "guardDutyEnabled", "serviceConnectConfiguration"):
        assert rev[key] == real[key], key
    got = ecs.describe_task_definition(taskDefinition=td, include=["TAGS"])
    real = corpus_body("codelib-describe-task-definition-hello-world-2024")
    assert set(real) <= set(got) and set(real["taskDefinition"]) <= set(got["taskDefinition"])


def test_codedeploy_answers_have_the_members_of_corpus_answers(emu, aws):
    ecs, cd, td1, td2, appspec = _codedeploy_setup(aws)
    dep_id = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision=_revision(appspec),
                                  description="release")["deploymentId"]
    for _ in range(6):
        info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    target = cd.get_deployment_target(deploymentId=dep_id, targetId="prod:web")["deploymentTarget"]
    real = corpus_body("devguide-bluegreen-get-deployment-target")["deploymentTarget"]
    assert set(real) <= set(target) and set(real["ecsTarget"]) <= set(target["ecsTarget"]), set(real["ecsTarget"]) - set(target["ecsTarget"])
    assert set(real["ecsTarget"]["lifecycleEvents"][0]) <= set(target["ecsTarget"]["lifecycleEvents"][0])
    for item in target["ecsTarget"]["taskSetsInfo"]:
        assert set(real["ecsTarget"]["taskSetsInfo"][0]) <= set(item), set(real["ecsTarget"]["taskSetsInfo"][0]) - set(item)
    real = corpus_body("cli-deploy-get-deployment")["deploymentInfo"]
    # the corpus answer is a Server (S3 bundle) deployment: compare the platform-independent members
    assert set(real) - {"revision"} <= set(info), set(real) - set(info)
    assert set(real["deploymentOverview"]) <= set(info["deploymentOverview"])


# ---------------------------------------------------------------------------
# other JSON services: moto's answers tidied to AWS's shapes (answers.py, autoscaling.py)
# ---------------------------------------------------------------------------
def test_json_answers_of_other_services_match_botocore(emu, aws):
    """Logs, SSM, Secrets Manager and Application Auto Scaling answers: no nulls, no unknown
    members, required members present (the check_shapes fixture fails the test otherwise)."""
    logs = aws("logs")
    logs.create_log_group(logGroupName="/ecs/web")
    logs.create_log_stream(logGroupName="/ecs/web", logStreamName="s")
    logs.put_log_events(logGroupName="/ecs/web", logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "hi"}])
    assert "nextToken" not in logs.describe_log_groups() and "nextToken" not in logs.describe_log_streams(logGroupName="/ecs/web")
    assert "nextToken" not in logs.filter_log_events(logGroupName="/ecs/web")
    ssm = aws("ssm")
    ssm.put_parameter(Name="/a", Value="b", Type="SecureString")
    assert ssm.get_parameter(Name="/a", WithDecryption=True)["Parameter"]["Value"] == "b"
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="x")
    desc = sm.describe_secret(SecretId="s")
    assert "SecretVersionsToStages" not in desc and "VersionIdsToStages" in desc and "KmsKeyId" not in desc
    aas = aws("application-autoscaling")
    ecs, _ = make_service(aws, desired=1)
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/prod/web", ScalableDimension="ecs:service:DesiredCount",
                                 MinCapacity=1, MaxCapacity=3, SuspendedState={"ScheduledScalingSuspended": True})
    target = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    # botocore application-autoscaling examples-1.json DescribeScalableTargets
    assert target["RoleARN"] == (f"arn:aws:iam::{aws.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
                                 "AWSServiceRoleForApplicationAutoScaling_ECSService")
    assert target["SuspendedState"] == {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False, "ScheduledScalingSuspended": True}
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/prod/web", ScalableDimension="ecs:service:DesiredCount",
                                 SuspendedState={"DynamicScalingInSuspended": True})
    target = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert target["SuspendedState"] == {"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": False, "ScheduledScalingSuspended": True}
    aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="s", ResourceId="service/prod/web",
                             ScalableDimension="ecs:service:DesiredCount", Schedule="cron(0 0 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 2})
    assert "Timezone" not in aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"][0]


# ---------------------------------------------------------------------------
# early success criteria (ROLLING): developer guide early-success-criteria.html
# ---------------------------------------------------------------------------
def _esc_service(emu: Emulator, aws: Any, cleanup: str, pct: int = 50, desired: int = 4, **knobs: Any) -> tuple[Any, str]:
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 3, "rollout_mode": "steps", **knobs})
    cfg = {"minimumHealthyPercent": 50, "earlySuccessCriteria": {"enable": True, "healthyPercent": pct, "sourceServiceRevisionCleanup": cleanup}}
    ecs, _ = make_service(aws, desired=desired, deploymentConfiguration=cfg)
    settle(emu, aws)
    td2 = register(ecs, image="nginx:2")
    ecs.update_service(cluster="prod", service="web", taskDefinition=td2)
    return ecs, latest_sd(ecs)


def _ctl_service(emu: Emulator, aws: Any) -> dict[str, Any]:
    return emu.ok("GET", f"/_emulator/ecs/service?cluster=prod&service=web&account={aws.account}")


def _deps(svc: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(d["status"], d["rolloutState"], d["runningCount"]) for d in svc["deployments"]]


def test_early_success_deferred_step_mode(emu, aws):
    ecs, arn = _esc_service(emu, aws, "DEFERRED")
    svc = describe(ecs)  # poll 1: 2 of 4 new tasks (50 %) -> SUCCESSFUL; old revision keeps 3
    assert _deps(svc) == [("PRIMARY", "COMPLETED", 2), ("ACTIVE", "COMPLETED", 3)]
    assert svc["deployments"][0]["pendingCount"] == 2
    sd = _ctl_service(emu, aws)["serviceDeployment"]
    assert (sd["status"], sd["lifecycleStage"]) == ("SUCCESSFUL", "CLEAN_UP")
    assert "deployment completed." in svc["events"][0]["message"]
    assert not any("steady state" in e["message"] for e in svc["events"][:1])
    assert _deps(describe(ecs)) == [("PRIMARY", "COMPLETED", 3), ("ACTIVE", "COMPLETED", 1)]  # poll 2
    svc = describe(ecs)  # poll 3: old revision gone, 4 running
    assert _deps(svc) == [("PRIMARY", "COMPLETED", 4)]
    assert svc["runningCount"] == 4 and svc["events"][0]["message"].endswith("has reached a steady state.")
    d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["status"] == "SUCCESSFUL" and "early success criteria met" in d["statusReason"]
    assert "2 of 4" in d["statusReason"] and "DEFERRED" in d["statusReason"]
    # task counts are a snapshot from when the deployment completed
    assert d["targetServiceRevision"]["runningTaskCount"] == 2
    assert d["sourceServiceRevisions"][0]["runningTaskCount"] == 3
    listed = ecs.list_service_deployments(cluster="prod", service="web", status=["SUCCESSFUL"])["serviceDeployments"]
    assert arn in [x["serviceDeploymentArn"] for x in listed]
    assert len(ecs.list_tasks(cluster="prod", serviceName="web", desiredStatus="RUNNING")["taskArns"]) == 4


def test_early_success_blocking_step_mode(emu, aws):
    ecs, arn = _esc_service(emu, aws, "BLOCKING")
    svc = describe(ecs)  # poll 1: healthy percent reached -> the source revision is cleaned up first
    assert _deps(svc) == [("PRIMARY", "IN_PROGRESS", 2)]
    sd = _ctl_service(emu, aws)["serviceDeployment"]
    assert (sd["status"], sd["lifecycleStage"]) == ("IN_PROGRESS", "CLEAN_UP")
    svc = describe(ecs)  # poll 2: completes; the target keeps scaling up
    assert _deps(svc) == [("PRIMARY", "COMPLETED", 3)]
    assert _ctl_service(emu, aws)["serviceDeployment"]["status"] == "SUCCESSFUL"
    svc = describe(ecs)  # poll 3
    assert _deps(svc) == [("PRIMARY", "COMPLETED", 4)]
    assert svc["events"][0]["message"].endswith("has reached a steady state.")
    d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["status"] == "SUCCESSFUL" and "BLOCKING" in d["statusReason"] and "3 of 4" in d["statusReason"]
    assert d["sourceServiceRevisions"][0]["runningTaskCount"] == 0


def test_without_early_success_nothing_changes(emu, aws):
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 3, "rollout_mode": "steps"})
    cfg = {"minimumHealthyPercent": 50, "earlySuccessCriteria": {"enable": False}}
    ecs, _ = make_service(aws, desired=4, deploymentConfiguration=cfg)
    settle(emu, aws)
    ecs.update_service(cluster="prod", service="web", taskDefinition=register(ecs, image="nginx:2"))
    arn = latest_sd(ecs)
    assert _deps(describe(ecs)) == [("PRIMARY", "IN_PROGRESS", 2), ("ACTIVE", "COMPLETED", 3)]
    assert _deps(describe(ecs)) == [("PRIMARY", "IN_PROGRESS", 3), ("ACTIVE", "COMPLETED", 1)]
    assert _deps(describe(ecs)) == [("PRIMARY", "COMPLETED", 4)]
    d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["status"] == "SUCCESSFUL" and "statusReason" not in d
    esc = describe(ecs)["deploymentConfiguration"]["earlySuccessCriteria"]
    assert esc == {"enable": False, "healthyPercent": 100, "sourceServiceRevisionCleanup": "BLOCKING"}


def test_early_success_deferred_time_mode(emu, aws):
    # Times count from the deployment's startedAt; each sample is the window [before, after] of
    # its requests, so the emulator's elapsed time behind it lies within that window.
    phases = {"task_start": 0.4, "health_check": 0.4, "draining": 2.0, "bake": 0.0}
    ecs, arn = _esc_service(emu, aws, "DEFERRED", rollout_mode="time", phase_seconds=phases)
    started = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["startedAt"].timestamp()
    seen = []
    while time.time() - started < 6:
        before = time.time() - started
        svc = describe(ecs)
        sd = _ctl_service(emu, aws)["serviceDeployment"]
        seen.append((before, time.time() - started, sd["status"], _deps(svc)))
        if len(svc["deployments"]) == 1 and sd["status"] == "SUCCESSFUL":
            break
        time.sleep(0.1)
    # SUCCESSFUL once the new tasks are healthy (0.8 s), while the old revision still drains:
    # 4 tasks drained over 2.0 s from 0.8 s reach 0 (rounded down) after 3/4 of it, at 2.3 s
    draining = [s for s in seen if s[0] > 0.8 and s[1] < 2.3]
    assert draining and all(s[2] == "SUCCESSFUL" for s in draining)
    assert all(s[3][0] == ("PRIMARY", "COMPLETED", 4) and s[3][1][0] == "ACTIVE" and s[3][1][2] > 0 for s in draining)
    assert all(s[2] == "IN_PROGRESS" for s in seen if s[1] < 0.8)
    assert seen[-1][3] == [("PRIMARY", "COMPLETED", 4)] and seen[-1][1] >= 2.3
    d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert d["status"] == "SUCCESSFUL" and "DEFERRED" in d["statusReason"]


def test_early_success_blocking_time_mode(emu, aws):
    # Times are measured from the deployment's own startedAt, and each sample is placed in the
    # window [before its requests, after them], so a slow machine cannot misplace a state.
    phases = {"task_start": 0.4, "health_check": 0.4, "draining": 1.6, "bake": 0.8}
    ecs, arn = _esc_service(emu, aws, "BLOCKING", rollout_mode="time", phase_seconds=phases)
    started = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["startedAt"].timestamp()
    seen = []
    while time.time() - started < 6:
        before = time.time() - started
        svc = describe(ecs)
        sd = _ctl_service(emu, aws)["serviceDeployment"]
        seen.append((before, time.time() - started, sd["status"], sd["lifecycleStage"], _deps(svc)))
        if sd["status"] == "SUCCESSFUL":
            break
        time.sleep(0.1)
    # healthy at 0.8 s, bake until 1.6 s (SCALE_UP, both revisions full), then CLEAN_UP, SUCCESSFUL at 3.2 s
    assert seen[-1][2] == "SUCCESSFUL" and seen[-1][4] == [("PRIMARY", "COMPLETED", 4)]
    d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert (d["finishedAt"].timestamp() - started) >= 3.2 - 0.01
    baking = [s for s in seen if 0.8 < s[0] and s[1] < 1.6]
    assert all(s[3] == "SCALE_UP" and s[4][1][2] == 4 for s in baking)
    assert any(s[3] == "SCALE_UP" and len(s[4]) == 2 and s[4][1][2] == 4 and s[4][0][2] == 4 for s in seen)
    assert any(s[3] == "CLEAN_UP" and s[2] == "IN_PROGRESS" for s in seen)
    assert "BLOCKING" in d["statusReason"]


def test_early_success_validation(emu, aws):
    ecs, _ = make_service(aws, desired=1)
    good = {"enable": True, "healthyPercent": 100, "sourceServiceRevisionCleanup": "DEFERRED"}

    def refused(cfg: dict[str, Any], **kw: Any) -> str:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecs.update_service(cluster="prod", service="web", deploymentConfiguration=cfg, **kw)
        assert error_code(e.value) == "InvalidParameterException"
        return e.value.response["Error"]["Message"]

    assert "BLUE_GREEN" in refused({"strategy": "BLUE_GREEN", "earlySuccessCriteria": good})
    assert refused({"strategy": "BLUE_GREEN", "earlySuccessCriteria": good}) == (
        "Early success criteria not supported for BLUE_GREEN deployment strategy")
    assert "LINEAR" in refused({"strategy": "LINEAR", "earlySuccessCriteria": good})
    assert "CANARY" in refused({"strategy": "CANARY", "earlySuccessCriteria": good})
    assert "must be specified" in refused({"earlySuccessCriteria": {"enable": True, "healthyPercent": 100}})
    assert "must be specified" in refused({"earlySuccessCriteria": {"enable": True, "sourceServiceRevisionCleanup": "BLOCKING"}})
    assert "between 0 and 100" in refused({"earlySuccessCriteria": {**good, "healthyPercent": 101}})
    # (a negative healthyPercent never leaves botocore: its model has min 0)
    # default minimumHealthyPercent is 100
    assert "minimumHealthyPercent" in refused({"earlySuccessCriteria": {**good, "healthyPercent": 90}})
    assert "minimumHealthyPercent" in refused(
        {"minimumHealthyPercent": 60, "earlySuccessCriteria": {**good, "healthyPercent": 50}})
    # accepted: healthyPercent == minimumHealthyPercent; then switching the strategy alone is refused
    ecs.update_service(cluster="prod", service="web",
                       deploymentConfiguration={"minimumHealthyPercent": 50, "earlySuccessCriteria": {**good, "healthyPercent": 50}})
    assert "BLUE_GREEN" in refused({"strategy": "BLUE_GREEN"})
    # disabled criteria need neither healthyPercent nor sourceServiceRevisionCleanup
    ecs.update_service(cluster="prod", service="web", deploymentConfiguration={"earlySuccessCriteria": {"enable": False}})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.create_service(cluster="prod", serviceName="ext", desiredCount=1, deploymentController={"type": "EXTERNAL"},
                           deploymentConfiguration={"earlySuccessCriteria": good})
    assert error_code(e.value) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.create_service(cluster="prod", serviceName="bg", desiredCount=1, taskDefinition=register(ecs),
                           launchType="FARGATE", networkConfiguration=network(aws),
                           deploymentConfiguration={"strategy": "BLUE_GREEN", "earlySuccessCriteria": good})
    assert error_code(e.value) == "InvalidParameterException"


def test_early_success_background_follows_desired_count_and_settle(emu, aws):
    ecs, arn = _esc_service(emu, aws, "DEFERRED")
    assert _deps(describe(ecs)) == [("PRIMARY", "COMPLETED", 2), ("ACTIVE", "COMPLETED", 3)]
    ecs.update_service(cluster="prod", service="web", desiredCount=1)  # no new deployment
    assert _deps(describe(ecs))[0] == ("PRIMARY", "COMPLETED", 1)
    svc = settle(emu, aws)
    assert [(d["status"], d["runningCount"]) for d in svc["deployments"]] == [("PRIMARY", 1)]
    assert describe(ecs)["runningCount"] == 1
