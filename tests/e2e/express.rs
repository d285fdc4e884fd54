//! ECS Express Mode through the binary (#20): `init` from an Express service created with boto3
//! → empty `diff` → `deploy` of a new image → `status` → `rollback` of a deployment in flight
//! → `delete`, each checked with an independent SDK client; and the flags and commands ECS
//! does not allow for Express services, refused before any AWS write.

use aws_sdk_ecs::types::EcsExpressGatewayService;
use serde_json::{Value, json};

use crate::support::{TestContext, assert_failure, assert_success, text};

const SERVICE_ARN: &str = "arn:aws:ecs:ap-northeast-1:{account}:service/e2e/web";

/// Creates Express service `web` in cluster `e2e` with boto3, as another tool would.
fn create_with_boto3(context: &TestContext) {
    context.boto3(&format!(
        r#"
ecs = client("ecs")
ecs.create_cluster(clusterName="e2e")
ecs.create_express_gateway_service(
    serviceName="web", cluster="e2e",
    executionRoleArn="arn:aws:iam::{account}:role/ecsTaskExecutionRole",
    infrastructureRoleArn="arn:aws:iam::{account}:role/ecsInfrastructureRoleForExpressServices",
    primaryContainer={{"image": "nginx:1", "containerPort": 8080,
                      "environment": [{{"name": "B", "value": "2"}}, {{"name": "A", "value": "1"}}]}},
    scalingTarget={{"minTaskCount": 1, "maxTaskCount": 2}},
    tags=[{{"key": "team", "value": "web"}}])
"#,
        account = context.account
    ));
}

/// A test context whose emulator runs fast canaries (bake times of 0.01 s per AWS minute, so
/// a deployment finishes in a few polls), with Express service `web` created by boto3.
fn express_web() -> TestContext {
    let context = TestContext::with_aws();
    context.control(
        "/_emulator/config",
        json!({"ecs_steps": 2, "minute_seconds": 0.01}),
    );
    create_with_boto3(&context);
    context
}

async fn express(context: &TestContext) -> EcsExpressGatewayService {
    let arn = SERVICE_ARN.replace("{account}", &context.account);
    context
        .ecs()
        .await
        .describe_express_gateway_service()
        .service_arn(arn)
        .send()
        .await
        .expect("describe express gateway service")
        .service()
        .cloned()
        .expect("the express service")
}

fn image_of(service: &EcsExpressGatewayService) -> String {
    service.active_configurations()[0]
        .primary_container()
        .map(|c| c.image().to_owned())
        .unwrap_or_default()
}

/// The task definition of the service's PRIMARY deployment (an Express service's Service
/// reports none of its own).
fn primary_of(service: &aws_sdk_ecs::types::Service) -> String {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.task_definition())
        .expect("a PRIMARY deployment")
        .to_owned()
}

/// Rewrites the image of the express definition `init` wrote.
fn set_image(context: &TestContext, image: &str) {
    let path = context.path("ecs-express-def.json");
    let mut definition: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    definition["primaryContainer"]["image"] = json!(image);
    std::fs::write(&path, definition.to_string()).expect("write");
}

#[tokio::test]
async fn init_diff_deploy_status_rollback_delete() {
    let context = express_web();

    assert_success(&context.run(&["init", "--cluster", "e2e", "--service", "web"], &[]));
    let config = std::fs::read_to_string(context.path("ecspresso.yml")).expect("config");
    assert!(
        config.contains("express_definition: ecs-express-def.json"),
        "{config}"
    );
    assert!(!config.contains("task_definition"), "{config}");
    assert!(config.contains("timeout: 20m"), "{config}");
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(context.path("ecs-express-def.json")).expect("definition"),
    )
    .expect("json");
    assert_eq!(definition["primaryContainer"]["image"], "nginx:1");
    assert_eq!(definition["tags"], json!([{"key": "team", "value": "web"}]));
    assert!(definition.get("serviceName").is_none() && definition.get("cluster").is_none());

    let diff = context.run(&["diff", "--exit-code"], &[]);
    assert_success(&diff);
    assert_eq!(text(&diff.stdout).trim(), "", "diff after init");

    set_image(&context, "nginx:2");
    let diff = context.run(&["diff", "--exit-code"], &[]);
    assert_eq!(diff.status.code(), Some(2), "{}", text(&diff.stderr));
    assert!(
        text(&diff.stdout).contains("+    \"image\": \"nginx:2\""),
        "{}",
        text(&diff.stdout)
    );

    let deployed = context.run(&["deploy"], &[]);
    assert_success(&deployed);
    assert!(
        text(&deployed.stderr).contains("is ACTIVE at we-"),
        "{}",
        text(&deployed.stderr)
    );
    let after = express(&context).await;
    assert_eq!(image_of(&after), "nginx:2");
    let registered = after.active_configurations()[0]
        .task_definition_arn()
        .expect("task definition")
        .to_owned();
    let service = context.service("web").await;
    assert_eq!(primary_of(&service), registered);
    assert_eq!(context.calls("UpdateExpressGatewayService").len(), 1);
    assert_success(&context.run(&["diff", "--exit-code"], &[]));

    let status = context.run(&["status"], &[]);
    assert_success(&status);
    let shown = text(&status.stdout);
    assert!(shown.contains("Express:\n  Status: ACTIVE"), "{shown}");
    assert!(
        shown.contains("PUBLIC we-") && shown.contains(".ecs.ap-northeast-1.on.aws"),
        "{shown}"
    );

    // No deployment in flight: an Express service has nothing to roll back (as ecspresso).
    let nothing = context.run(&["rollback"], &[]);
    assert_failure(
        &nothing,
        "no service deployment of Express service web is in progress",
    );
    assert!(context.calls("StopServiceDeployment").is_empty());

    // A deployment left in flight (minutes of 60 s: its canary bakes for 3 minutes) is rolled
    // back: StopServiceDeployment ROLLBACK, then its revision is deregistered.
    context.control("/_emulator/config", json!({"minute_seconds": 60}));
    set_image(&context, "nginx:3");
    assert_success(&context.run(&["deploy", "--no-wait"], &[]));
    let in_flight = express(&context).await.active_configurations()[0]
        .task_definition_arn()
        .expect("task definition")
        .to_owned();
    assert_ne!(in_flight, registered);
    let rolled_back = context.run(&["rollback"], &[]);
    assert_success(&rolled_back);
    let stops = context.calls("StopServiceDeployment");
    assert_eq!(stops.len(), 1, "{stops:?}");
    let service = context.service("web").await;
    assert_eq!(primary_of(&service), registered);
    let short = in_flight.rsplit('/').next().unwrap_or_default();
    assert_eq!(
        context.task_definition_status(short).await.as_deref(),
        Some("INACTIVE")
    );

    assert_success(&context.run(&["delete", "--force"], &[]));
    let deleted = express(&context).await;
    let status = deleted
        .status()
        .and_then(|s| s.status_code())
        .map(|c| c.as_str().to_owned());
    assert!(
        matches!(status.as_deref(), Some("DRAINING" | "INACTIVE")),
        "{status:?}"
    );
    assert_eq!(context.calls("DeleteExpressGatewayService").len(), 1);
    assert!(context.calls("DeleteService").is_empty());
}

#[tokio::test]
async fn what_express_services_do_not_allow_is_refused_before_any_write() {
    let context = TestContext::with_aws();
    create_with_boto3(&context);
    assert_success(&context.run(&["init", "--cluster", "e2e", "--service", "web"], &[]));
    for (args, needle) in [
        (
            &["deploy", "--skip-task-definition"][..],
            "--skip-task-definition",
        ),
        (&["deploy", "--tasks", "3"][..], "--tasks"),
        (&["scale", "--tasks", "3"][..], "scale"),
        (&["deploy", "--wait-until", "paused"][..], "paused"),
        (
            &["rollback", "--revision", "1"][..],
            "only its deployment in progress",
        ),
        (
            &["register"][..],
            "`register` does not work with Express services",
        ),
        (&["run"][..], "`run` does not work with Express services"),
    ] {
        assert_failure(&context.run(args, &[]), needle);
    }
    for operation in [
        "UpdateExpressGatewayService",
        "UpdateService",
        "RegisterTaskDefinition",
        "RunTask",
        "StopServiceDeployment",
    ] {
        assert!(
            context.calls(operation).is_empty(),
            "{operation} was called"
        );
    }
    // verify checks the express definition's roles (the emulator's IAM has none of them),
    // image and log group, then the cluster.
    let verified = context.run(&["verify", "--no-put-logs"], &[]);
    let tree = text(&verified.stdout);
    assert!(tree.starts_with("ExpressDefinition\n"), "{tree}");
    assert!(
        tree.contains("InfrastructureRole[ecsInfrastructureRoleForExpressServices]\n  --> [NG] role ecsInfrastructureRoleForExpressServices not found"),
        "{tree}"
    );
    assert!(
        tree.contains("PrimaryContainer\n    Image[nginx:1]"),
        "{tree}"
    );
    assert!(
        tree.contains("Cluster\n  Cluster[e2e]\n  --> [OK]"),
        "{tree}"
    );
    // `--no-express` imports an Express service as task and service definitions.
    let plain = context.run(
        &[
            "init",
            "--cluster",
            "e2e",
            "--service",
            "web",
            "--no-express",
            "--force-overwrite",
            "--config",
            "plain/ecspresso.yml",
        ],
        &[],
    );
    assert_success(&plain);
    assert!(context.path("plain/ecs-task-def.json").exists());
    assert!(!context.path("plain/ecs-express-def.json").exists());
}

#[tokio::test]
async fn a_fleet_creates_an_express_service_beside_a_plain_one() {
    let context = TestContext::with_aws();
    context.control(
        "/_emulator/config",
        json!({"ecs_steps": 2, "minute_seconds": 0.01}),
    );
    context.create_cluster().await;
    let exec = format!("arn:aws:iam::{}:role/ecsTaskExecutionRole", context.account);
    let infra = format!(
        "arn:aws:iam::{}:role/ecsInfrastructureRole",
        context.account
    );
    context.write(
        "web.yml",
        "cluster: e2e\nservice: web\nexpress_definition: express.jsonnet\ntimeout: 2m\n",
    );
    context.write(
        "express.jsonnet",
        &format!(
            r#"{{ executionRoleArn: "{exec}", infrastructureRoleArn: "{infra}",
                 primaryContainer: {{ image: "nginx:" + std.extVar("TAG"), containerPort: 8080 }},
                 tags: [{{ key: "team", value: "web" }}] }}"#
        ),
    );
    context.write(
        "worker.yml",
        "cluster: e2e\nservice: worker\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n",
    );
    context.write(
        "td.json",
        r#"{"family": "worker", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 64}]}"#,
    );
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    context.write(
        "ristretto-fleet.yml",
        "services:\n  web: {config: web.yml, ext_str: {TAG: '1'}}\n  worker: {config: worker.yml}\n",
    );
    let dry = context.run(
        &[
            "--config",
            "web.yml",
            "deploy",
            "--dry-run",
            "--ext-str",
            "TAG=1",
        ],
        &[],
    );
    assert_success(&dry);
    assert!(context.calls("CreateExpressGatewayService").is_empty());

    let fleet = context.run(&["fleet", "deploy"], &[]);
    assert_success(&fleet);
    let created = express(&context).await;
    assert_eq!(image_of(&created), "nginx:1");
    assert_eq!(created.infrastructure_role_arn(), Some(infra.as_str()));
    assert_eq!(context.calls("CreateExpressGatewayService").len(), 1);
    assert_eq!(
        context.calls("CreateService").len(),
        1,
        "only the plain service"
    );
    let diff = context.run(
        &[
            "--config",
            "web.yml",
            "diff",
            "--exit-code",
            "--ext-str",
            "TAG=1",
        ],
        &[],
    );
    assert_success(&diff);
    assert_eq!(text(&diff.stdout).trim(), "");
}

#[tokio::test]
async fn init_no_express_imports_a_plain_service_that_leaves_what_ecs_manages() {
    let context = express_web();
    assert_success(&context.run(
        &[
            "init",
            "--cluster",
            "e2e",
            "--service",
            "web",
            "--no-express",
        ],
        &[],
    ));
    let config = std::fs::read_to_string(context.path("ecspresso.yml")).expect("config");
    assert!(
        config.contains("service_definition: ecs-service-def.json")
            && config.contains("task_definition: ecs-task-def.json")
            && !config.contains("express_definition"),
        "{config}"
    );
    assert!(
        config.contains("timeout: 20m"),
        "a canary, as ecspresso: {config}"
    );
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(context.path(name)).expect("read"))
            .expect("json")
    };
    let service_definition = read("ecs-service-def.json");
    for managed in ["deploymentConfiguration", "loadBalancers"] {
        assert!(
            service_definition.get(managed).is_none(),
            "ECS manages {managed}: {service_definition}"
        );
    }
    let mut task_definition = read("ecs-task-def.json");
    assert_eq!(
        task_definition["containerDefinitions"][0]["image"],
        "nginx:1"
    );

    let diff = context.run(&["diff", "--exit-code"], &[]);
    assert_success(&diff);
    assert_eq!(
        text(&diff.stdout).trim(),
        "",
        "diff after init --no-express"
    );

    task_definition["containerDefinitions"][0]["image"] = json!("nginx:2");
    std::fs::write(
        context.path("ecs-task-def.json"),
        task_definition.to_string(),
    )
    .expect("write");
    let mut with_managed = service_definition.clone();
    with_managed["loadBalancers"] = json!([{
        "targetGroupArn": format!("arn:aws:elasticloadbalancing:ap-northeast-1:{}:targetgroup/web/0123456789abcdef", context.account),
        "containerName": "Main",
        "containerPort": 8080
    }]);
    with_managed["desiredCount"] = json!(2);
    with_managed["enableExecuteCommand"] = json!(true);
    std::fs::write(
        context.path("ecs-service-def.json"),
        with_managed.to_string(),
    )
    .expect("write");
    let deploy = context.run(&["deploy"], &[]);
    assert_success(&deploy);
    assert!(
        text(&deploy.stderr).contains("`loadBalancers` ignored: service web is an Express service"),
        "{}",
        text(&deploy.stderr)
    );
    let updates = context.calls("UpdateService");
    assert_eq!(updates.len(), 1, "{updates:?}");
    let request = &updates[0]["request"];
    assert!(
        request.get("taskDefinition").is_some()
            && request["enableExecuteCommand"] == json!(true)
            && request.get("loadBalancers").is_none()
            && request.get("deploymentConfiguration").is_none(),
        "the load balancer and the canary ECS manages are left alone: {request}"
    );
    let service = context.service("web").await;
    let deployed = primary_of(&service);
    assert!(deployed.ends_with("e2e-web-express:2"), "{deployed}");
    assert_eq!(service.desired_count(), 2);
    assert!(service.enable_execute_command());
    assert_eq!(
        service
            .deployment_configuration()
            .and_then(|c| c.strategy())
            .map(|s| s.as_str()),
        Some("CANARY")
    );
}
