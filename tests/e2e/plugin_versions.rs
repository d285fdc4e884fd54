//! Plugin contract versions through the binary: a component built for the frozen contract
//! `ristretto:plugin@0.1.0` (tests/plugins/legacy-v0-1, wit-bindgen on `wit/since_v0.1.0/`)
//! still loads and runs every hook in a 0.2 host, with its values converted both ways; it is
//! not given express definitions, which 0.1.0 has no kind for, while a 0.2.0 transform is.
//! AWS state is read back with the test's own SDK client.

use serde_json::{Value, json};

use crate::support::{TestContext, assert_failure, assert_success, tag_pairs, test_plugin, text};

/// The tags of task definition `web:1` and of service `web`, as (key, value) pairs.
async fn deployed_tags(context: &TestContext) -> (Vec<(String, String)>, Vec<(String, String)>) {
    (
        context.task_definition_tags("web:1").await,
        tag_pairs(context.service("web").await.tags()),
    )
}

/// A service `web` whose config loads the 0.1.0 plugin with `plugin_config`, its task
/// definition calling the plugin's template function.
async fn legacy_service(plugin_config: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write(
        "ecspresso.yml",
        &format!(
            "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\nplugins:\n  - path: {}\n    config: {plugin_config}\n",
            test_plugin("legacy-v0-1").display()
        ),
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 128, "environment": [{"name": "CONTRACT", "value": "{{ legacy_contract }}"}]}]}"#,
    );
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    context.create_cluster().await;
    context
}

#[tokio::test]
async fn a_plugin_built_for_contract_0_1_0_runs_every_hook() {
    let context = legacy_service("{}").await;
    let inspect = context.run(
        &[
            "plugin",
            "inspect",
            &test_plugin("legacy-v0-1").display().to_string(),
        ],
        &[],
    );
    assert_success(&inspect);
    let inspected: Value = serde_json::from_slice(&inspect.stdout).expect("json");
    assert_eq!(inspected["contract"], "0.1.0", "{inspected}");

    let render = context.run(&["render", "taskdef"], &[]);
    assert_success(&render);
    let rendered: Value = serde_json::from_slice(&render.stdout).expect("json");
    assert_eq!(
        rendered["containerDefinitions"][0]["environment"][0]["value"], "0.1.0",
        "the template function of a 0.1.0 plugin"
    );
    assert_eq!(
        rendered["tags"],
        json!([{"key": "contract", "value": "0.1.0/task-definition"}])
    );

    let deploy = context.run(&["deploy"], &[]);
    assert_success(&deploy);
    let stderr = text(&deploy.stderr);
    for stage in ["pre-deploy", "post-deploy"] {
        assert!(
            stderr.contains(&format!("{stage} gate of plugin `legacy-v0-1` passed")),
            "a pending verdict, then a pass, at {stage}:\n{stderr}"
        );
    }
    let (task_definition, service) = deployed_tags(&context).await;
    assert_eq!(
        task_definition,
        vec![("contract".to_owned(), "0.1.0/task-definition".to_owned())]
    );
    assert_eq!(
        service,
        vec![("contract".to_owned(), "0.1.0/service-definition".to_owned())]
    );
}

#[tokio::test]
async fn a_failing_gate_built_for_contract_0_1_0_stops_before_any_write() {
    let context = legacy_service(r#"{"fail": true}"#).await;
    assert_failure(
        &context.run(&["deploy"], &[]),
        "legacy gate refuses at pre-deploy",
    );
    assert!(context.calls("RegisterTaskDefinition").is_empty());
    assert!(context.calls("CreateService").is_empty());
}

/// An Express service whose config loads `plugins` (YAML list items).
async fn express_service(plugins: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.control(
        "/_emulator/config",
        json!({"ecs_steps": 2, "minute_seconds": 0.01}),
    );
    context.create_cluster().await;
    context.write(
        "ecspresso.yml",
        &format!(
            "region: ap-northeast-1\ncluster: e2e\nservice: web\nexpress_definition: express.json\ntimeout: 2m\nplugins:\n{plugins}"
        ),
    );
    context.write(
        "express.json",
        &json!({
            "executionRoleArn": format!("arn:aws:iam::{}:role/ecsTaskExecutionRole", context.account),
            "infrastructureRoleArn": format!("arn:aws:iam::{}:role/ecsInfrastructureRole", context.account),
            "cpu": "4096",
            "primaryContainer": {"image": "nginx:1", "containerPort": 8080},
            "tags": [{"key": "team", "value": "web"}]
        })
        .to_string(),
    );
    context
}

#[tokio::test]
async fn transforms_shape_the_express_definition_but_0_1_0_plugins_are_not_given_it() {
    let context = express_service(&format!(
        "  - path: {}\n    config: {{tags: {{cost-center: '42'}}}}\n  - path: {}\n",
        test_plugin("tag-transform").display(),
        test_plugin("legacy-v0-1").display()
    ))
    .await;
    let render = context.run(&["render", "expressdef"], &[]);
    assert_success(&render);
    let rendered: Value = serde_json::from_slice(&render.stdout).expect("json");
    assert_eq!(
        rendered["tags"],
        json!([{"key": "team", "value": "web"}, {"key": "cost-center", "value": "42"}]),
        "tag-transform (0.2.0) applied, legacy-v0-1 (0.1.0) not given it"
    );
    let stderr = text(&render.stderr);
    assert!(
        stderr.contains("legacy-v0-1") && stderr.contains("ristretto:plugin@0.1.0"),
        "a warning names the 0.1.0 plugin:\n{stderr}"
    );

    assert_success(&context.run(&["deploy"], &[]));
    let arn = format!(
        "arn:aws:ecs:ap-northeast-1:{}:service/e2e/web",
        context.account
    );
    let created = context
        .ecs()
        .await
        .describe_express_gateway_service()
        .service_arn(arn)
        .include(aws_sdk_ecs::types::ExpressGatewayServiceInclude::Tags)
        .send()
        .await
        .expect("describe express gateway service")
        .service()
        .cloned()
        .expect("the express service");
    let mut tags: Vec<(&str, &str)> = created
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    tags.sort();
    assert_eq!(tags, vec![("cost-center", "42"), ("team", "web")]);
}

#[tokio::test]
async fn a_transform_that_breaks_the_express_definition_stops_before_any_write() {
    let policy = crate::support::first_party_plugin("policy");
    let context = express_service(&format!(
        "  - path: {}\n    config: {{max_cpu: 2048, forbid_latest: true}}\n",
        policy.display()
    ))
    .await;
    assert_failure(
        &context.run(&["deploy"], &[]),
        "policy violation(s) in the express definition: cpu: 4096 exceeds the limit of 2048",
    );
    assert!(context.calls("CreateExpressGatewayService").is_empty());

    let ed = context.write(
        "ed-input.json",
        r#"{"primaryContainer": {"image": "nginx:latest"}, "cpu": "1024"}"#,
    );
    let test = context.run(
        &[
            "plugin",
            "test",
            &policy.display().to_string(),
            "--hook",
            "transform",
            "--kind",
            "express-definition",
            "--input",
            &ed.display().to_string(),
            "--plugin-config",
            r#"{"forbid_latest": true}"#,
        ],
        &[],
    );
    assert_eq!(test.status.code(), Some(1), "{}", text(&test.stderr));
    assert!(
        text(&test.stdout).contains("primaryContainer image: `nginx:latest`")
            || text(&test.stderr).contains("primaryContainer image: `nginx:latest`"),
        "stdout: {}\nstderr: {}",
        text(&test.stdout),
        text(&test.stderr)
    );
}
