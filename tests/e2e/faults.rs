//! Reliability of the deploy path: throttling, 5xx answers and connection resets on the AWS
//! calls of a deploy are retried and the deploy completes; a call that keeps failing ends the
//! command with a clear error saying what was and was not applied.

use crate::support::{FaultProxy, TestContext, assert_failure, assert_success};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1, "tags": [{"key": "v", "value": "{{ must_env `TAG` }}"}]}"#;

#[tokio::test]
async fn transient_faults_are_retried_and_persistent_ones_reported() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    let ecs = context.ecs().await;
    ecs.create_cluster()
        .cluster_name("e2e")
        .send()
        .await
        .expect("cluster");
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));

    let proxy = FaultProxy::start();
    for (operation, kind) in [
        ("DescribeServices", "throttle"),
        ("RegisterTaskDefinition", "5xx"),
        ("TagResource", "throttle"),
        ("UpdateService", "5xx"),
        ("ListServiceDeployments", "reset"),
        ("DescribeServiceDeployments", "throttle"),
    ] {
        proxy.add(operation, kind, 2);
    }
    let output = context.run(
        &["deploy"],
        &[("TAG", "2"), ("AWS_ENDPOINT_URL", proxy.endpoint.as_str())],
    );
    assert_success(&output);
    let service = context.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:2")
    );

    proxy.clear();
    proxy.add("UpdateService", "5xx", 0);
    let output = context.run(
        &["deploy"],
        &[("TAG", "3"), ("AWS_ENDPOINT_URL", proxy.endpoint.as_str())],
    );
    assert_failure(&output, "UpdateService failed");
    assert_failure(&output, "already applied: registered task definition web:3");
    let service = context.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:2"),
        "the service was not updated"
    );
}

#[tokio::test]
async fn reads_outlast_five_throttles_in_a_row() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let proxy = FaultProxy::start();
    // The SDK's standard policy gives up after 3 attempts; a deploy's reads keep going.
    proxy.add("DescribeServices", "throttle", 5);
    let output = context.run(
        &["deploy"],
        &[("TAG", "2"), ("AWS_ENDPOINT_URL", proxy.endpoint.as_str())],
    );
    assert_success(&output);
    assert!(
        context
            .service("web")
            .await
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:2")
    );
}

#[tokio::test]
async fn a_wait_that_loses_aws_after_the_update_says_what_was_applied() {
    use std::io::BufRead;
    let context = TestContext::with_aws();
    context.write(
        "ecspresso.yml",
        &CONFIG.replace("timeout: 2m", "timeout: 15s"),
    );
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let proxy = FaultProxy::start();
    let mut child = context
        .ristretto()
        .arg("deploy")
        .env("TAG", "2")
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start ristretto");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("read stderr") > 0 {
        seen.push_str(&line);
        let updating = line.contains("updating service web");
        line.clear();
        if updating {
            for operation in ["DescribeServices", "ServiceDeployments"] {
                proxy.add(operation, "5xx", 0);
            }
            break;
        }
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("read stderr");
    seen.push_str(&rest);
    let status = child.wait().expect("wait");
    assert!(!status.success(), "{seen}");
    assert!(
        !seen.contains("nothing was changed"),
        "the service was updated, so something was: {seen}"
    );
    assert!(
        (seen.contains("already applied: registered task definition web:2")
            && seen.contains("service web updated to web:2"))
            || seen.contains("timed out after 15s"),
        "{seen}"
    );
    assert!(
        context
            .service("web")
            .await
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:2"),
        "the update reached AWS"
    );
}
