//! Plugins may not overreach, and their mistakes are not the release's (issue #17): a transform
//! that renames the family, cluster or service is refused; a flood of log lines is capped; a
//! gate misconfigured against its own allow.http is refused before any AWS write, and a gate
//! whose request is refused at run time is a plugin error that never marks the revision
//! rejected; `plugin test` checks a transform's output as deploy does; IPv6 literals are valid
//! allow.http entries.

use crate::support::{
    TestContext, assert_failure, assert_success, scripted_gate, test_plugin, text, web_config,
};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1}"#;

async fn context(plugins: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &web_config(plugins));
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    context
}

fn hostile(mode: &str) -> String {
    format!(
        "\n  - path: {}\n    config: {{mode: {mode}}}\n    limits:\n      timeout: 5s",
        test_plugin("hostile").display()
    )
}

#[tokio::test]
async fn a_transform_may_not_rename_what_is_deployed() {
    let context = context(&hostile("rename")).await;
    let output = context.run(&["deploy"], &[("TAG", "1")]);
    assert_failure(
        &output,
        "plugin `hostile` (transform, service-definition): bad output: it changed `serviceName` from \"web\" to \"victim\"",
    );
    let render = context.run(&["render", "taskdef"], &[("TAG", "1")]);
    assert_failure(
        &render,
        "plugin `hostile` (transform, task-definition): bad output: it changed `family` from \"web\" to \"victim\"",
    );
    let ecs = context.ecs().await;
    let revisions = ecs.list_task_definitions().send().await.expect("list");
    assert!(
        revisions.task_definition_arns().is_empty(),
        "nothing was registered: {:?}",
        revisions.task_definition_arns()
    );
}

#[tokio::test]
async fn a_plugin_flooding_its_log_is_capped_and_summarized() {
    let context = context(&hostile("log-flood").replace("timeout: 5s", "timeout: 2s")).await;
    let output = context.run(&["render", "taskdef"], &[("TAG", "1")]);
    assert_failure(&output, "did not finish within 2s");
    let stderr = text(&output.stderr);
    println!("a 2 s log flood left {} bytes on stderr", stderr.len());
    assert!(
        stderr.contains("more log records") && stderr.contains("were dropped"),
        "{}",
        &stderr[stderr.len().saturating_sub(2000)..]
    );
    assert!(
        stderr.len() < 1 << 20,
        "the flood was not capped: {} bytes",
        stderr.len()
    );
}

#[tokio::test]
async fn a_gate_its_own_allow_http_refuses_is_an_error_before_any_aws_write() {
    let context = context(&scripted_gate(
        "{probe_url: 'http://health.internal:8080/ok', fail_at: [post-deploy]}",
    ))
    .await;
    let output = context.run(&["deploy"], &[("TAG", "1")]);
    assert_failure(
        &output,
        "its config names http://health.internal:8080/ok, which its allow.http does not cover",
    );
    let writes: Vec<String> = context
        .operations_since(0)
        .into_iter()
        .filter(|op| !op.starts_with("Describe") && !op.starts_with("List"))
        .filter(|op| op != "CreateCluster" && op != "GetCallerIdentity")
        .collect();
    assert!(writes.is_empty(), "no AWS write: {writes:?}");
}

#[tokio::test]
async fn a_gate_refused_a_request_at_run_time_is_a_plugin_error_that_rejects_nothing() {
    let context = context(" []").await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    // Covered by allow.http, but the name never resolves: the host refuses the request.
    context.write(
        "ecspresso.yml",
        &web_config(&format!(
            "{}\n    allow:\n      http: ['nowhere.invalid']",
            scripted_gate("{probe_url: 'http://nowhere.invalid/ok', fail_at: [post-deploy]}")
        )),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(&output, "plugin error, not a verdict on the release");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("is not marked ristretto:rejected"),
        "{stderr}"
    );
    let ecs = context.ecs().await;
    let tags = ecs
        .list_tags_for_resource()
        .resource_arn(
            ecs.describe_task_definition()
                .task_definition("web:2")
                .send()
                .await
                .expect("web:2")
                .task_definition()
                .and_then(|t| t.task_definition_arn())
                .expect("arn"),
        )
        .send()
        .await
        .expect("tags");
    assert!(
        !tags
            .tags()
            .iter()
            .any(|t| t.key() == Some("ristretto:rejected")),
        "web:2 is not tagged rejected: {:?}",
        tags.tags()
    );
}

#[tokio::test]
async fn plugin_test_checks_a_transform_as_deploy_does() {
    let context = TestContext::offline();
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": []}"#,
    );
    let hostile = test_plugin("hostile");
    for (mode, needle) in [
        ("not-object", "the definition must stay a JSON object"),
        ("rename", "it changed `family` from \"web\" to \"victim\""),
    ] {
        let output = context.run(
            &[
                "plugin",
                "test",
                hostile.to_str().expect("utf-8 path"),
                "--hook",
                "transform",
                "--input",
                "td.json",
                "--plugin-config",
                &format!("{{\"mode\": \"{mode}\"}}"),
            ],
            &[],
        );
        assert_failure(&output, needle);
    }
}

#[tokio::test]
async fn ipv6_literals_are_allow_http_entries() {
    let context = context(&format!(
        "\n  - path: {}\n    allow:\n      http: ['[::1]', '[::1]:8080']",
        test_plugin("notify-recorder").display()
    ))
    .await;
    assert_success(&context.run(&["render", "config"], &[("TAG", "1")]));
}
