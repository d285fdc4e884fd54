//! The whole lifecycle through the binary: deploy (create) → diff (empty, exit 0) → change →
//! diff --exit-code (2) → deploy → status → revisions → rollback (deregisters) → deregister →
//! delete; and `init` from a service using every field ecspresso supports, followed by an
//! empty `diff`.

use crate::support::{TestContext, assert_failure, assert_success, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{
  "family": "web",
  "networkMode": "bridge",
  "containerDefinitions": [
    {"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128,
     "portMappings": [{"containerPort": 80, "name": "http"}],
     "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}
  ],
  "tags": [{"key": "team", "value": "web"}]
}"#;

const FULL_SERVICE_DEFINITION: &str = r#"{
  "desiredCount": 2,
  "launchType": "EC2",
  "deploymentConfiguration": {
    "deploymentCircuitBreaker": {"enable": true, "rollback": true},
    "maximumPercent": 200,
    "minimumHealthyPercent": 50,
    "alarms": {"alarmNames": ["web-5xx"], "enable": true, "rollback": true}
  },
  "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/web/0123456789abcdef", "containerName": "app", "containerPort": 80}],
  "serviceRegistries": [{"registryArn": "arn:aws:servicediscovery:ap-northeast-1:123456789012:service/srv-0123456789abcdef"}],
  "placementConstraints": [{"type": "distinctInstance"}],
  "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}],
  "healthCheckGracePeriodSeconds": 60,
  "enableExecuteCommand": true,
  "enableECSManagedTags": true,
  "propagateTags": "SERVICE",
  "serviceConnectConfiguration": {
    "enabled": true,
    "namespace": "arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/ns-0123456789abcdef",
    "services": [{"portName": "http", "discoveryName": "web", "clientAliases": [{"port": 80, "dnsName": "web.local"}]}]
  },
  "volumeConfigurations": [{"name": "data", "managedEBSVolume": {"roleArn": "arn:aws:iam::123456789012:role/ecs-ebs", "sizeInGiB": 20, "volumeType": "gp3", "filesystemType": "ext4"}}],
  "vpcLatticeConfigurations": [{"roleArn": "arn:aws:iam::123456789012:role/ecs-lattice", "targetGroupArn": "arn:aws:vpc-lattice:ap-northeast-1:123456789012:targetgroup/tg-0123456789abcdef0", "portName": "http"}],
  "tags": [{"key": "team", "value": "web"}, {"key": "env", "value": "prod"}]
}"#;

async fn setup(service_definition: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", service_definition);
    context.create_cluster().await;
    context
}

#[tokio::test]
async fn create_diff_deploy_rollback_deregister_delete() {
    let context = setup(FULL_SERVICE_DEFINITION).await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));

    let output = context.run(&["diff", "--exit-code"], &[("TAG", "1")]);
    assert_success(&output);
    assert!(
        output.stdout.is_empty(),
        "no differences expected:\n{}",
        text(&output.stdout)
    );

    let output = context.run(&["diff", "--exit-code", "--no-color"], &[("TAG", "2")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("-      \"image\": \"nginx:1\",\n+      \"image\": \"nginx:2\","),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- arn:aws:ecs:") && stdout.contains("+++ td.json"),
        "{stdout}"
    );
    let unified_lines = stdout.lines().count();
    let output = context.run(
        &["diff", "--exit-code", "--no-color", "--no-unified"],
        &[("TAG", "2")],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let full = text(&output.stdout);
    assert!(
        full.contains("-      \"image\": \"nginx:1\",\n+      \"image\": \"nginx:2\",")
            && full.contains(" {\n")
            && !full.contains("@@"),
        "--no-unified shows whole definitions without hunks:\n{full}"
    );
    assert!(full.lines().count() > unified_lines, "{full}");

    assert_success(&context.run(&["deploy"], &[("TAG", "2")]));
    let status = context.run(&["status", "--events", "2"], &[("TAG", "2")]);
    assert_success(&status);
    let status_text = text(&status.stdout);
    assert!(
        status_text.contains("TaskDefinition: web:2"),
        "{status_text}"
    );
    assert!(status_text.contains("PRIMARY web:2"), "{status_text}");

    let revisions = context.run(&["revisions", "--output", "tsv"], &[("TAG", "2")]);
    assert_success(&revisions);
    assert!(
        text(&revisions.stdout).starts_with("web:2\tcurrent"),
        "{}",
        text(&revisions.stdout)
    );

    // Rollback returns to web:1 and deregisters web:2.
    assert_success(&context.run(&["rollback", "--dry-run"], &[("TAG", "2")]));
    assert_success(&context.run(&["rollback"], &[("TAG", "2")]));
    let ecs = context.ecs().await;
    let service = context.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1")
    );
    assert_eq!(
        context.task_definition_status("web:2").await.as_deref(),
        Some("INACTIVE")
    );

    // A revision in use is never deregistered; an unused one is.
    assert_success(&context.run(&["register"], &[("TAG", "3")]));
    assert_failure(
        &context.run(
            &["deregister", "--revision", "1", "--force"],
            &[("TAG", "3")],
        ),
        "is in use",
    );
    assert_success(&context.run(&["deregister", "--keeps", "0", "--force"], &[("TAG", "3")]));
    assert_eq!(
        context.task_definition_status("web:3").await.as_deref(),
        Some("INACTIVE")
    );
    assert_eq!(
        context.task_definition_status("web:1").await.as_deref(),
        Some("ACTIVE")
    );

    // delete asks for the name; a wrong answer deletes nothing. Without a terminal and without
    // input it says to pass --force.
    assert_failure(
        &context.run(&["delete", "--terminate"], &[("TAG", "3")]),
        "pass --force to delete without asking (nothing was deleted)",
    );
    let mut command = context.ristretto();
    command.args(["delete", "--terminate"]).env("TAG", "3");
    let wrong = run_with_stdin(command, "not-web\n");
    assert_failure(&wrong, "cancelled");
    let mut command = context.ristretto();
    command.args(["delete", "--terminate"]).env("TAG", "3");
    assert_success(&run_with_stdin(command, "web\n"));
    let after = ecs
        .describe_services()
        .cluster("e2e")
        .services("web")
        .send()
        .await
        .expect("describe");
    assert!(
        after
            .services()
            .iter()
            .all(|s| s.status() == Some("INACTIVE")),
        "service deleted"
    );
}

#[tokio::test]
async fn init_from_a_full_service_then_diff_is_empty() {
    let context = setup(FULL_SERVICE_DEFINITION).await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));

    let imported = TestContext {
        dir: tempfile::tempdir().expect("temp dir"),
        account: context.account.clone(),
        endpoint: context.endpoint.clone(),
    };
    assert_success(&imported.run(
        &["init", "--cluster", "e2e", "--service", "web", "--sort"],
        &[],
    ));
    for file in ["ecspresso.yml", "ecs-service-def.json", "ecs-task-def.json"] {
        assert!(imported.path(file).is_file(), "{file} written");
    }
    let output = imported.run(&["diff", "--exit-code"], &[]);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "init then diff must be empty:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let written = std::fs::read_to_string(imported.path("ecs-service-def.json")).expect("read");
    for field in [
        "loadBalancers",
        "serviceRegistries",
        "alarms",
        "placementStrategy",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
        "\"env\"",
    ] {
        assert!(written.contains(field), "{field} imported:\n{written}");
    }
    // A second init does not overwrite without --force-overwrite.
    assert_failure(
        &imported.run(&["init", "--cluster", "e2e", "--service", "web"], &[]),
        "already exist",
    );
    assert_success(&imported.run(
        &[
            "init",
            "--cluster",
            "e2e",
            "--service",
            "web",
            "--force-overwrite",
            "--jsonnet",
            "--config",
            "ecspresso.jsonnet",
        ],
        &[],
    ));
    let output = imported.run(
        &["--config", "ecspresso.jsonnet", "diff", "--exit-code"],
        &[],
    );
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "jsonnet init then diff:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn run_with_stdin(mut command: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

#[tokio::test]
async fn rollback_stops_an_in_flight_deployment() {
    let context = setup(r#"{"launchType": "EC2", "desiredCount": 2}"#).await;
    // Rollouts advance only when polled; with 5 steps a --no-wait deploy stays in progress.
    context.control("/_emulator/config", serde_json::json!({"ecs_steps": 5}));
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    assert_success(&context.run(&["deploy", "--no-wait"], &[("TAG", "2")]));
    let output = context.run(&["rollback", "--wait-until", "deployed"], &[("TAG", "2")]);
    assert_success(&output);
    assert!(
        text(&output.stderr).contains("stopping it with rollback"),
        "{}",
        text(&output.stderr)
    );
    let service = context.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1"),
        "{:?}",
        service.task_definition()
    );
    assert_eq!(
        context.task_definition_status("web:2").await.as_deref(),
        Some("INACTIVE")
    );
    // Nothing older than web:1 is left to roll back to.
    assert_failure(
        &context.run(&["rollback"], &[("TAG", "2")]),
        "no ACTIVE revision of web older than web:1",
    );
}

#[tokio::test]
async fn awsvpc_capacity_providers_init_diff_and_delete_revisions() {
    let context = TestContext::with_aws();
    let (subnets, group) = context.default_network();
    let service_definition = serde_json::json!({
        "desiredCount": 1,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
        "platformVersion": "1.4.0",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED"}},
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}},
        "tags": [{"key": "team", "value": "web"}]
    });
    context.write("ecspresso.yml", CONFIG);
    context.write("sd.json", &service_definition.to_string());
    context.write(
        "td.json",
        r#"{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "0.25 vCPU", "memory": "0.5 GB",
            "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "portMappings": [{"containerPort": 8080}]}]}"#,
    );
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let output = context.run(&["diff", "--exit-code"], &[("TAG", "1")]);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    let imported = TestContext {
        dir: tempfile::tempdir().expect("temp dir"),
        account: context.account.clone(),
        endpoint: context.endpoint.clone(),
    };
    assert_success(&imported.run(&["init", "--cluster", "e2e", "--service", "web"], &[]));
    let output = imported.run(&["diff", "--exit-code"], &[]);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    // init from a task definition alone writes a config without a service.
    let task_only = TestContext {
        dir: tempfile::tempdir().expect("temp dir"),
        account: context.account.clone(),
        endpoint: context.endpoint.clone(),
    };
    assert_success(&task_only.run(
        &["init", "--cluster", "e2e", "--task-definition", "web:1"],
        &[],
    ));
    assert!(!task_only.path("ecs-service-def.json").exists());
    let output = task_only.run(&["diff", "--exit-code"], &[]);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    // deregister --delete removes unused revisions for good.
    assert_success(&context.run(&["register"], &[("TAG", "2")]));
    assert_success(&context.run(
        &["deregister", "--revision", "latest", "--delete", "--force"],
        &[("TAG", "2")],
    ));
    let ecs = context.ecs().await;
    assert!(
        ecs.describe_task_definition()
            .task_definition("web:2")
            .send()
            .await
            .is_err(),
        "web:2 deleted"
    );
    assert!(
        ecs.describe_task_definition()
            .task_definition("web:1")
            .send()
            .await
            .is_ok(),
        "web:1 kept"
    );
}

#[tokio::test]
async fn appspec_describes_the_current_revision() {
    let context = setup(FULL_SERVICE_DEFINITION).await;
    context.write(
        "ecspresso.yml",
        &format!("{CONFIG}appspec:\n  Hooks:\n    - BeforeInstall: validate-before-install\n"),
    );
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let output = context.run(
        &["appspec", "--task-definition", "current"],
        &[("TAG", "1")],
    );
    assert_success(&output);
    let spec: serde_json::Value = serde_yaml_ng::from_slice(&output.stdout).expect("YAML");
    let properties = &spec["Resources"][0]["TargetService"]["Properties"];
    assert!(
        properties["TaskDefinition"]
            .as_str()
            .unwrap_or_default()
            .ends_with("task-definition/web:1"),
        "{spec}"
    );
    assert_eq!(properties["LoadBalancerInfo"]["ContainerName"], "app");
    assert_eq!(spec["Hooks"][0]["BeforeInstall"], "validate-before-install");
    let output = context.run(&["appspec"], &[("TAG", "1")]);
    assert_success(&output);
}
