"""ECS Express Mode in the emulator (ristretto_emulator/ecs_express.py), through boto3 1.44.8,
whose ECS model has Create/Update/Describe/DeleteExpressGatewayService.

Every answer is checked against botocore's output shapes (the check_shapes fixture)."""
from __future__ import annotations

import re
import time
from typing import Any

import botocore.exceptions
import pytest

from test_emulator import acct, aws, check_shapes, emu  # noqa: F401 - pytest fixtures

EXEC = "arn:aws:iam::{acct}:role/ecsTaskExecutionRole"
INFRA = "arn:aws:iam::{acct}:role/ecsInfrastructureRoleForExpressServices"


def _fast(emu: Any, aws: Any) -> None:
    """One ECS step per poll and 0.01 s AWS minutes: the canary's bake times pass at once."""
    emu.ok("POST", "/_emulator/config", {"account": aws.account, "ecs_steps": 2, "minute_seconds": 0.01})


def _create(aws: Any, **extra: Any) -> dict[str, Any]:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="prod")
    args: dict[str, Any] = {
        "serviceName": "web",
        "cluster": "prod",
        "executionRoleArn": EXEC.format(acct=aws.account),
        "infrastructureRoleArn": INFRA.format(acct=aws.account),
        "primaryContainer": {"image": "nginx:1", "containerPort": 8080, "environment": [{"name": "A", "value": "1"}]},
        "tags": [{"key": "team", "value": "x"}],
    }
    args.update(extra)
    return ecs.create_express_gateway_service(**args)["service"]


def _primary_td(service: dict[str, Any]) -> str:
    """The task definition of the service's PRIMARY deployment."""
    [primary] = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
    return primary["taskDefinition"]


def _settle(ecs: Any, arn: str, limit: float = 15.0) -> list[dict[str, Any]]:
    """Polls DescribeExpressGatewayService + DescribeServiceDeployments until the current
    service deployment is SUCCESSFUL; returns the statuses seen."""
    seen, deadline = [], time.time() + limit
    while time.time() < deadline:
        svc = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
        sd = ecs.describe_service_deployments(serviceDeploymentArns=[svc["currentDeployment"]])["serviceDeployments"][0]
        seen.append({"status": sd["status"], "stage": sd.get("lifecycleStage"), "configs": len(svc["activeConfigurations"])})
        if sd["status"] == "SUCCESSFUL":
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not settled: {seen[-3:]}")


def test_lifecycle_create_describe_update_delete(emu, aws):
    _fast(emu, aws)
    ecs = aws("ecs")
    svc = _create(aws)
    arn = svc["serviceArn"]
    assert arn == f"arn:aws:ecs:us-east-1:{aws.account}:service/prod/web"
    assert svc["status"] == {"statusCode": "ACTIVE"}
    assert svc["cluster"] == "prod" and svc["serviceName"] == "web"
    assert svc["infrastructureRoleArn"] == INFRA.format(acct=aws.account)
    assert svc["tags"] == [{"key": "team", "value": "x"}]
    [cfg] = svc["activeConfigurations"]
    assert cfg["serviceRevisionArn"].startswith(f"arn:aws:ecs:us-east-1:{aws.account}:service-revision/prod/web/")
    # AWS defaults for what was not sent
    assert (cfg["cpu"], cfg["memory"], cfg["cpuArchitecture"], cfg["healthCheckPath"]) == ("1024", "2048", "X86_64", "/ping")
    assert cfg["scalingTarget"] == {"autoScalingMetric": "AVERAGE_CPU", "autoScalingTargetValue": 60}
    assert cfg["primaryContainer"]["image"] == "nginx:1" and cfg["primaryContainer"]["containerPort"] == 8080
    assert cfg["primaryContainer"]["awsLogsConfiguration"]["logStreamPrefix"] == "ecs"
    [path] = cfg["ingressPaths"]
    assert path["accessType"] == "PUBLIC"
    assert re.fullmatch(r"we-[0-9a-f]{32}\.ecs\.us-east-1\.on\.aws", path["endpoint"]), path
    # network: the default VPC's subnets and a security group created in EC2
    ec2 = aws("ec2")
    default_subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]}
    assert set(cfg["networkConfiguration"]["subnets"]) == default_subnets
    [sg] = cfg["networkConfiguration"]["securityGroups"]
    assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"]
    # the managed task definition
    td = ecs.describe_task_definition(taskDefinition=cfg["taskDefinitionArn"])["taskDefinition"]
    [main] = td["containerDefinitions"]
    assert main["name"] == "Main" and main["image"] == "nginx:1"
    assert main["portMappings"][0]["containerPort"] == 8080
    assert td["networkMode"] == "awsvpc" and td["requiresCompatibilities"] == ["FARGATE"]
    assert (td["cpu"], td["memory"]) == ("1024", "2048")

    # the underlying ECS service: DescribeServices agrees
    [s] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    assert s["serviceArn"] == arn and s["status"] == "ACTIVE"
    assert s["resourceManagementType"] == "ECS"
    # no taskDefinition on an Express service's Service (ecspresso PR #902): the PRIMARY deployment's
    assert "taskDefinition" not in s
    assert _primary_td(s) == cfg["taskDefinitionArn"]
    assert s["launchType"] == "FARGATE" and s["desiredCount"] == 1
    assert s["deploymentConfiguration"]["strategy"] == "CANARY"
    assert ecs.list_services(cluster="prod", resourceManagementType="ECS")["serviceArns"] == [arn]
    assert ecs.list_services(cluster="prod", resourceManagementType="CUSTOMER")["serviceArns"] == []

    # status progression: the first service deployment IN_PROGRESS ... SUCCESSFUL
    seen = _settle(ecs, arn)
    assert seen[0]["status"] == "IN_PROGRESS" and seen[-1]["status"] == "SUCCESSFUL"
    svc = ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])["service"]
    assert svc["status"]["statusCode"] == "ACTIVE" and svc["tags"] == [{"key": "team", "value": "x"}]
    assert "tags" not in ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    [s] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    assert s["runningCount"] == 1 and [d["rolloutState"] for d in s["deployments"]] == ["COMPLETED"]
    first_sd = svc["currentDeployment"]
    assert s["currentServiceDeployment"] == first_sd
    rev = ecs.describe_service_revisions(serviceRevisionArns=[cfg["serviceRevisionArn"]])["serviceRevisions"][0]
    managed = rev["ecsManagedResources"]
    assert managed["ingressPaths"] == [{"accessType": "PUBLIC", "endpoint": path["endpoint"]}]
    assert managed["serviceSecurityGroups"][0]["status"] == "ACTIVE"
    assert managed["logGroups"][0]["logGroupName"] == cfg["primaryContainer"]["awsLogsConfiguration"]["logGroup"]
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=managed["logGroups"][0]["logGroupName"])["logGroups"]
    assert len(groups) == 1

    # update: a new image -> a new task definition revision and a new service deployment
    up = ecs.update_express_gateway_service(serviceArn=arn, primaryContainer={"image": "nginx:2"})["service"]
    target = up["targetConfiguration"]
    assert up["status"] == {"statusCode": "ACTIVE"} and up["serviceArn"] == arn
    assert target["primaryContainer"]["image"] == "nginx:2"
    # members of primaryContainer not sent keep their values
    assert target["primaryContainer"]["containerPort"] == 8080
    assert target["primaryContainer"]["environment"] == [{"name": "A", "value": "1"}]
    assert target["taskDefinitionArn"] != cfg["taskDefinitionArn"]
    assert target["ingressPaths"] == cfg["ingressPaths"]  # the endpoint stays
    svc = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert svc["currentDeployment"] != first_sd
    assert [c["serviceRevisionArn"] for c in svc["activeConfigurations"]][0] == target["serviceRevisionArn"]
    seen = _settle(ecs, arn)
    assert any(x["configs"] == 2 for x in seen)  # both revisions active mid-deployment (canary)
    svc = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert [c["taskDefinitionArn"] for c in svc["activeConfigurations"]] == [target["taskDefinitionArn"]]
    [s] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    assert _primary_td(s) == target["taskDefinitionArn"]
    td2 = ecs.describe_task_definition(taskDefinition=target["taskDefinitionArn"])["taskDefinition"]
    assert td2["containerDefinitions"][0]["image"] == "nginx:2"
    assert td2["containerDefinitions"][0]["environment"] == [{"name": "A", "value": "1"}]
    listed = ecs.list_service_deployments(cluster="prod", service="web")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["SUCCESSFUL", "SUCCESSFUL"]

    # delete: DRAINING, then INACTIVE once the tasks have stopped
    gone = ecs.delete_express_gateway_service(serviceArn=arn)["service"]
    assert gone["status"]["statusCode"] == "DRAINING"
    [s] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    assert s["status"] == "INACTIVE" and s["runningCount"] == 0 and s["desiredCount"] == 0
    svc = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert svc["status"]["statusCode"] == "INACTIVE"
    assert ecs.list_services(cluster="prod")["serviceArns"] == []
    assert ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"] == []
    rev = ecs.describe_service_revisions(serviceRevisionArns=[target["serviceRevisionArn"]])["serviceRevisions"][0]
    assert rev["ecsManagedResources"]["logGroups"][0]["status"] == "DELETED"
    assert sg not in {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}  # ECS's group is gone
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.update_express_gateway_service(serviceArn=arn, primaryContainer={"image": "nginx:3"})
    assert e.value.response["Error"]["Code"] == "ServiceNotActiveException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.delete_express_gateway_service(serviceArn=arn)
    assert e.value.response["Error"]["Code"] == "ServiceNotActiveException"
    # the name can be used again
    again = _create(aws, primaryContainer={"image": "nginx:9"})
    assert again["serviceArn"] == arn and again["status"]["statusCode"] == "ACTIVE"


def test_delete_reports_draining_before_a_poll(emu, aws):
    _fast(emu, aws)
    ecs = aws("ecs")
    arn = _create(aws)["serviceArn"]
    _settle(ecs, arn)
    ecs.delete_express_gateway_service(serviceArn=arn)
    rev = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert rev["status"]["statusCode"] == "INACTIVE"


def test_scaling_target_sets_desired_count_and_custom_network(emu, aws):
    _fast(emu, aws)
    ec2 = aws("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="mine", Description="mine", VpcId=vpc)["GroupId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    svc = _create(
        aws,
        scalingTarget={"minTaskCount": 2, "maxTaskCount": 4, "autoScalingMetric": "REQUEST_COUNT_PER_TARGET"},
        networkConfiguration={"subnets": [subnet], "securityGroups": [sg]},
        cpu="512", memory="1024", cpuArchitecture="ARM64", healthCheckPath="/health",
    )
    cfg = svc["activeConfigurations"][0]
    assert cfg["networkConfiguration"] == {"subnets": [subnet], "securityGroups": [sg]}
    assert cfg["scalingTarget"] == {"minTaskCount": 2, "maxTaskCount": 4, "autoScalingMetric": "REQUEST_COUNT_PER_TARGET", "autoScalingTargetValue": 60}
    assert (cfg["cpu"], cfg["memory"], cfg["cpuArchitecture"], cfg["healthCheckPath"]) == ("512", "1024", "ARM64", "/health")
    ecs = aws("ecs")
    _settle(ecs, svc["serviceArn"])
    [s] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    assert s["desiredCount"] == 2 and s["runningCount"] == 2
    assert s["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [sg]
    up = ecs.update_express_gateway_service(serviceArn=svc["serviceArn"], scalingTarget={"minTaskCount": 3})["service"]
    assert up["targetConfiguration"]["scalingTarget"]["minTaskCount"] == 3
    assert up["targetConfiguration"]["scalingTarget"]["maxTaskCount"] == 4
    assert ecs.describe_services(cluster="prod", services=["web"])["services"][0]["desiredCount"] == 3
    rev = ecs.describe_service_revisions(serviceRevisionArns=[cfg["serviceRevisionArn"]])["serviceRevisions"][0]
    assert "serviceSecurityGroups" not in rev["ecsManagedResources"]  # the customer's own group


def test_customer_task_definition(emu, aws):
    _fast(emu, aws)
    ecs = aws("ecs")
    td = ecs.register_task_definition(
        family="mine", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "Main", "image": "app:1", "portMappings": [{"containerPort": 3000, "name": "http"}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_cluster(clusterName="prod")
    svc = ecs.create_express_gateway_service(
        serviceName="web", cluster="prod", infrastructureRoleArn=INFRA.format(acct=aws.account), taskDefinitionArn=td,
    )["service"]
    cfg = svc["activeConfigurations"][0]
    assert cfg["taskDefinitionArn"] == td
    assert (cfg["cpu"], cfg["memory"]) == ("256", "512")
    assert "cpuArchitecture" not in cfg and "primaryContainer" not in cfg
    assert _primary_td(ecs.describe_services(cluster="prod", services=["web"])["services"][0]) == td
    # a task definition without a Main container is refused
    bad = ecs.register_task_definition(
        family="bad", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "app:1", "portMappings": [{"containerPort": 3000, "name": "http"}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.update_express_gateway_service(serviceArn=svc["serviceArn"], taskDefinitionArn=bad)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"


def _err(fn: Any, **kw: Any) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_errors(emu, aws):
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="prod")
    infra, exe = INFRA.format(acct=aws.account), EXEC.format(acct=aws.account)
    base = {"serviceName": "web", "cluster": "prod", "infrastructureRoleArn": infra, "executionRoleArn": exe,
            "primaryContainer": {"image": "nginx:1"}}
    create = ecs.create_express_gateway_service
    assert _err(create, **{**base, "cluster": "nope"})[0] == "ClusterNotFoundException"
    assert _err(create, **{k: v for k, v in base.items() if k != "primaryContainer"})[0] == "InvalidParameterException"
    assert _err(create, **{k: v for k, v in base.items() if k != "executionRoleArn"})[0] == "InvalidParameterException"
    assert _err(create, **{**base, "serviceName": "bad name!"})[0] == "InvalidParameterException"
    assert _err(create, **{**base, "healthCheckPath": "ping"})[0] == "InvalidParameterException"
    assert _err(create, **{**base, "scalingTarget": {"minTaskCount": 5, "maxTaskCount": 2}})[0] == "InvalidParameterException"
    code, msg = _err(create, **{**base, "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/x:1"})
    assert code == "InvalidParameterException" and "taskDefinitionArn" in msg
    code, msg = _err(create, **{k: v for k, v in base.items() if k not in ("primaryContainer", "executionRoleArn")},
                     taskDefinitionArn=f"arn:aws:ecs:us-east-1:{aws.account}:task-definition/none:1")
    assert (code, msg) == ("ClientException", "TaskDefinition not found.")
    assert _err(create, **{**base, "networkConfiguration": {"subnets": ["subnet-nope"]}})[0] == "InvalidParameterException"
    assert _err(create, **{**base, "networkConfiguration": {"securityGroups": ["sg-nope"]}})[0] == "InvalidParameterException"
    assert ecs.list_task_definition_families()["families"] == []  # nothing was registered by the failures
    arn = create(**base)["service"]["serviceArn"]
    assert _err(create, **base) == ("InvalidParameterException", "Creation of service was not idempotent.")
    missing = f"arn:aws:ecs:us-east-1:{aws.account}:service/prod/nope"
    assert _err(ecs.describe_express_gateway_service, serviceArn=missing)[0] == "ResourceNotFoundException"
    assert _err(ecs.update_express_gateway_service, serviceArn=missing, cpu="512")[0] == "ServiceNotFoundException"
    assert _err(ecs.delete_express_gateway_service, serviceArn=missing)[0] == "ServiceNotFoundException"
    assert _err(ecs.describe_express_gateway_service, serviceArn="web")[0] == "InvalidParameterException"
    other = f"arn:aws:ecs:us-east-1:{aws.account}:service/elsewhere/web"
    assert _err(ecs.describe_express_gateway_service, serviceArn=other)[0] == "ClusterNotFoundException"
    assert _err(ecs.update_express_gateway_service, serviceArn=arn, primaryContainer={"image": "x", "containerPort": 0})[0] == "InvalidParameterException"
    # a service that is not an Express service
    ecs.register_task_definition(family="plain", containerDefinitions=[{"name": "a", "image": "a", "memory": 64}])
    plain = ecs.create_service(cluster="prod", serviceName="plain", taskDefinition="plain", desiredCount=0)["service"]["serviceArn"]
    assert _err(ecs.describe_express_gateway_service, serviceArn=plain)[0] == "InvalidParameterException"
    assert ecs.list_services(cluster="prod", resourceManagementType="CUSTOMER")["serviceArns"] == [plain]
    [s] = ecs.describe_services(cluster="prod", services=["plain"])["services"]
    assert "resourceManagementType" not in s  # unchanged for services made with CreateService


def test_default_cluster_is_created(emu, aws):
    ecs = aws("ecs")
    svc = ecs.create_express_gateway_service(
        infrastructureRoleArn=INFRA.format(acct=aws.account), executionRoleArn=EXEC.format(acct=aws.account),
        primaryContainer={"image": "nginx:1"},
    )["service"]
    assert svc["cluster"] == "default"
    assert re.fullmatch(r"express-[0-9a-f]{12}", svc["serviceName"])
    assert ecs.describe_clusters(clusters=["default"])["clusters"][0]["status"] == "ACTIVE"
