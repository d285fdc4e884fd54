//! ECS-native blue/green through the binary: with gate plugins, ristretto adds a PAUSE hook at
//! POST_TEST_TRAFFIC_SHIFT, runs the `before-traffic-shift` gates when the deployment awaits
//! action there, and continues (production traffic shifts) or rolls back (it never shifts);
//! a gate pending past its deadline rolls back; bake gates stop the deployment with rollback;
//! linear and canary deployments also pause at PRE_PRODUCTION_TRAFFIC_SHIFT, before every
//! production traffic step, where the gates run again once traffic has moved;
//! `--wait-until paused|ecs:<STAGE>`, `continue` and `rollback` of a paused deployment.

use crate::support::{
    HttpSink, TestContext, assert_failure, assert_success, assert_success_saying,
    first_party_plugin, notified_kinds, notify_recorder, runs, scripted_gate, text, web_config,
};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;

fn service_definition(strategy: &str, extra: &str) -> String {
    format!(
        r#"{{"launchType": "EC2", "desiredCount": 1, "deploymentConfiguration": {{"strategy": "{strategy}", "bakeTimeInMinutes": 0{extra}}}}}"#
    )
}

/// A BLUE_GREEN service running web:1, deployed without plugins.
async fn blue_green_service(extra: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &web_config(" []"));
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", &service_definition("BLUE_GREEN", extra));
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context
}

/// The newest service deployment of `web`, described by an independent client.
async fn newest_deployment(context: &TestContext) -> aws_sdk_ecs::types::ServiceDeployment {
    let ecs = context.ecs().await;
    let deployments = ecs
        .list_service_deployments()
        .cluster("e2e")
        .service("web")
        .send()
        .await
        .expect("list service deployments");
    let newest = deployments.service_deployments()[0]
        .service_deployment_arn()
        .unwrap_or_default()
        .to_owned();
    let described = ecs
        .describe_service_deployments()
        .service_deployment_arns(newest)
        .send()
        .await
        .expect("describe service deployments");
    described.service_deployments()[0].clone()
}

#[tokio::test]
async fn a_passing_gate_continues_the_pause_and_production_traffic_shifts() {
    let context = blue_green_service("").await;
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let render = context.run(&["render", "servicedef"], &[("TAG", "1")]);
    assert!(
        text(&render.stdout).contains("POST_TEST_TRAFFIC_SHIFT"),
        "render shows the PAUSE hook deploy sends: {}",
        text(&render.stdout)
    );
    let diff = context.run(&["diff"], &[("TAG", "1")]);
    assert!(
        text(&diff.stdout).contains("POST_TEST_TRAFFIC_SHIFT"),
        "the diff shows the PAUSE hook the gates need: {}",
        text(&diff.stdout)
    );
    let before = context.calls("").len();
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    for expected in [
        "paused at POST_TEST_TRAFFIC_SHIFT",
        "before-traffic-shift gate of plugin `scripted-gate` passed",
        "gates passed: production traffic shifts to the new revision",
        "traffic on the new revision: production 100%",
        "service web runs web:2",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let service = context.service("web").await;
    assert!(runs(&service, "web:2"), "{:?}", service.task_definition());
    let hooks = service
        .deployment_configuration()
        .map(|c| c.lifecycle_hooks().to_vec())
        .unwrap_or_default();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].target_type().map(|t| t.as_str()), Some("PAUSE"));
    assert_eq!(
        hooks[0]
            .timeout_configuration()
            .and_then(|t| t.action())
            .map(|a| a.as_str()),
        Some("ROLLBACK")
    );
    let sequence = context.operations_since(before);
    eprintln!("AWS calls, gate passes: {sequence:?}");
    assert_eq!(
        sequence
            .iter()
            .filter(|o| *o == "ContinueServiceDeployment")
            .count(),
        1,
        "{sequence:?}"
    );
    assert!(!sequence.contains(&"StopServiceDeployment".to_owned()));
    let diff = context.run(&["diff", "--exit-code"], &[("TAG", "2")]);
    assert_success(&diff);
}

#[tokio::test]
async fn a_failing_gate_rolls_back_before_production_traffic_moves() {
    let context = blue_green_service("").await;
    let sink = HttpSink::start();
    context.write(
        "ecspresso.yml",
        &web_config(&format!(
            "{}{}",
            scripted_gate("{fail_at: [before-traffic-shift], fail: 'smoke test: 500 on /health'}"),
            notify_recorder(&sink)
        )),
    );
    let before = context.calls("").len();
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "before-traffic-shift gate of plugin `scripted-gate` failed: smoke test: 500 on /health (after 0 polls); the service was rolled back to web:1",
    );
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("production 100%") && !stderr.contains("production 10%"),
        "production traffic never moved: {stderr}"
    );
    let service = context.service("web").await;
    assert!(runs(&service, "web:1"), "{:?}", service.task_definition());
    let sequence = context.operations_since(before);
    eprintln!("AWS calls, gate fails: {sequence:?}");
    assert!(sequence.contains(&"ContinueServiceDeployment".to_owned()));

    assert_eq!(
        newest_deployment(&context)
            .await
            .status()
            .map(|s| s.as_str()),
        Some("ROLLBACK_SUCCESSFUL")
    );
    let kinds = notified_kinds(&sink);
    for expected in ["gate-failed", "rolled-back", "deploy-failed"] {
        assert!(
            kinds.contains(&expected.to_owned()),
            "{expected}: {kinds:?}"
        );
    }
    assert!(!kinds.contains(&"traffic-shifted".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn a_gate_pending_past_its_deadline_rolls_back() {
    let context = blue_green_service("").await;
    context.assert_pending_gate_rolls_back().await;
}

#[tokio::test]
async fn a_failing_bake_gate_stops_the_deployment_with_rollback() {
    let context = blue_green_service("").await;
    context.write(
        "sd.json",
        &service_definition("BLUE_GREEN", "")
            .replace("\"bakeTimeInMinutes\": 0", "\"bakeTimeInMinutes\": 1"),
    );
    context.control(
        "/_emulator/config",
        serde_json::json!({"minute_seconds": 6, "ecs_steps": 3}),
    );
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{fail_at: [bake], fail: 'p99 latency 2.3s'}",
        )),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "bake gate of plugin `scripted-gate` failed: p99 latency 2.3s (after 0 polls); the service was rolled back to web:1",
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("before-traffic-shift gate of plugin `scripted-gate` passed"),
        "{stderr}"
    );
    assert!(stderr.contains("stage BAKE_TIME"), "{stderr}");
    assert!(!context.calls("StopServiceDeployment").is_empty());
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn a_failing_bake_gate_between_linear_steps_rolls_back() {
    let context = blue_green_service("").await;
    context.write(
        "sd.json",
        &service_definition(
            "LINEAR",
            r#", "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 1}"#,
        ),
    );
    context.control(
        "/_emulator/config",
        serde_json::json!({"minute_seconds": 6}),
    );
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate("{fail_at: [bake], fail: 'errors at 50%'}")),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "bake gate of plugin `scripted-gate` failed: errors at 50% (after 0 polls); the service was rolled back to web:1",
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("production 50%"), "{stderr}");
    assert!(!stderr.contains("production 100%"), "{stderr}");
    assert!(!context.calls("StopServiceDeployment").is_empty());
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn removing_the_gates_removes_their_pause_hook_from_the_service() {
    let context = blue_green_service("").await;
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    assert_success(&context.run(&["deploy"], &[("TAG", "2")]));
    let hooks = |service: &aws_sdk_ecs::types::Service| {
        service
            .deployment_configuration()
            .map(|c| c.lifecycle_hooks().len())
            .unwrap_or_default()
    };
    assert_eq!(hooks(&context.service("web").await), 1);

    context.write("ecspresso.yml", &web_config(" []"));
    let output = context.run(&["deploy"], &[("TAG", "3")]);
    assert_success(&output);
    assert!(
        !text(&output.stderr).contains("paused at"),
        "nothing pauses once the gates are gone: {}",
        text(&output.stderr)
    );
    let service = context.service("web").await;
    assert_eq!(hooks(&service), 0, "the hook was removed");
    assert!(runs(&service, "web:3"));
    assert_success(&context.run(&["diff", "--exit-code"], &[("TAG", "3")]));
}

/// A LINEAR service definition shifting production traffic in two 50% steps, each held one
/// (emulated) minute.
fn two_step_linear() -> String {
    service_definition(
        "LINEAR",
        r#", "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 1}"#,
    )
}

#[tokio::test]
async fn linear_gates_run_again_before_every_production_step() {
    let context = blue_green_service("").await;
    context.write("sd.json", &two_step_linear());
    context.control(
        "/_emulator/config",
        serde_json::json!({"minute_seconds": 1}),
    );
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let render = text(
        &context
            .run(&["render", "servicedef"], &[("TAG", "1")])
            .stdout,
    );
    assert!(
        render.contains("\"POST_TEST_TRAFFIC_SHIFT\",\n          \"PRE_PRODUCTION_TRAFFIC_SHIFT\""),
        "one PAUSE hook at both stages: {render}"
    );
    let before = context.calls("").len();
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    for expected in [
        "and before every production traffic step at PRE_PRODUCTION_TRAFFIC_SHIFT",
        "paused at POST_TEST_TRAFFIC_SHIFT: the new revision takes test traffic; running before-traffic-shift gates",
        "paused at PRE_PRODUCTION_TRAFFIC_SHIFT: the gates passed at 0% production traffic and nothing has shifted since; continuing",
        "traffic on the new revision: production 50%",
        "paused at PRE_PRODUCTION_TRAFFIC_SHIFT: 50% of production traffic is on the new revision; running before-traffic-shift gates",
        "gates passed: the next production traffic step goes ahead",
        "traffic on the new revision: production 100%",
        "service web runs web:2",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert_eq!(
        stderr
            .matches("before-traffic-shift gate of plugin `scripted-gate` passed")
            .count(),
        2,
        "the gates ran after test traffic and before the second step: {stderr}"
    );
    let sequence = context.operations_since(before);
    eprintln!("AWS calls, linear with gates before every step: {sequence:?}");
    assert_eq!(
        sequence
            .iter()
            .filter(|o| *o == "ContinueServiceDeployment")
            .count(),
        3,
        "{sequence:?}"
    );
    let service = context.service("web").await;
    assert!(runs(&service, "web:2"));
    let stages: Vec<String> = service
        .deployment_configuration()
        .map(|c| c.lifecycle_hooks().to_vec())
        .unwrap_or_default()
        .iter()
        .flat_map(|h| h.lifecycle_stages().iter().map(|s| s.as_str().to_owned()))
        .collect();
    assert_eq!(
        stages,
        ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT"]
    );
}

#[tokio::test]
async fn a_gate_failing_before_a_later_step_returns_production_traffic() {
    let context = blue_green_service("").await;
    context.write("sd.json", &two_step_linear());
    context.control(
        "/_emulator/config",
        serde_json::json!({"minute_seconds": 1}),
    );
    let health = HttpSink::start_with(vec![
        (200, "ok".to_owned()),
        (500, "errors after the first step".to_owned()),
    ]);
    let host = health.url.trim_start_matches("http://").to_owned();
    context.write(
        "ecspresso.yml",
        &web_config(&format!(
            "\n  - path: {}\n    config:\n      urls: ['{}/health']\n      successes: 1\n      max_failures: 1\n      stages: [before-traffic-shift]\n    allow:\n      http: ['{host}']",
            first_party_plugin("http-gate").display(),
            health.url
        )),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "before-traffic-shift gate of plugin `http-gate` failed",
    );
    assert_failure(&output, "the service was rolled back to web:1");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "50% of production traffic is on the new revision; running before-traffic-shift gates"
        ) && stderr.contains("production traffic returns to the current revision")
            && !stderr.contains("production 100%"),
        "{stderr}"
    );
    assert_eq!(health.bodies().len(), 2, "one probe per gate run");
    assert!(runs(&context.service("web").await, "web:1"));
    assert_eq!(
        newest_deployment(&context)
            .await
            .status()
            .map(|s| s.as_str()),
        Some("ROLLBACK_SUCCESSFUL")
    );
}

#[tokio::test]
async fn pause_hooks_where_aws_takes_only_lambdas_are_refused_before_any_change() {
    let context = blue_green_service("").await;
    context.write(
        "sd.json",
        &service_definition(
            "BLUE_GREEN",
            r#", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]"#,
        ),
    );
    let before = context.calls("RegisterTaskDefinition").len();
    assert_failure(
        &context.run(&["deploy"], &[("TAG", "2")]),
        "sd.json: deploymentConfiguration.lifecycleHooks[0].lifecycleStages: a PAUSE hook cannot be at PRODUCTION_TRAFFIC_SHIFT",
    );
    assert_eq!(context.calls("RegisterTaskDefinition").len(), before);
    assert!(
        context.calls("UpdateService").len() <= 1,
        "only the first deploy"
    );
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn wait_until_paused_then_continue_and_rollback_of_a_paused_deployment() {
    let pause = r#", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}]"#;
    let context = blue_green_service("").await;
    context.write("sd.json", &service_definition("BLUE_GREEN", pause));

    let nothing = context.run(&["continue"], &[]);
    assert_failure(
        &nothing,
        "service web has no deployment in progress: nothing to continue",
    );

    assert_success_saying(
        &context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "2")]),
        "is paused at POST_TEST_TRAFFIC_SHIFT",
    );
    let paused = newest_deployment(&context).await;
    assert_eq!(paused.status().map(|s| s.as_str()), Some("IN_PROGRESS"));
    assert_eq!(
        paused.lifecycle_stage().map(|s| s.as_str()),
        Some("POST_TEST_TRAFFIC_SHIFT")
    );
    assert_eq!(
        paused
            .target_service_revision()
            .and_then(|t| t.requested_production_traffic_weight()),
        Some(0.0),
        "production traffic has not moved"
    );
    let status = context.run(&["status"], &[("TAG", "2")]);
    assert_success(&status);
    let status = text(&status.stdout);
    assert!(
        status.contains("web:2 at POST_TEST_TRAFFIC_SHIFT (production 0%, test 100%)")
            && status.contains("awaits `ristretto continue`")
            && status.contains("it applies ROLLBACK"),
        "{status}"
    );
    let json = context.run(&["status", "--output", "json"], &[("TAG", "2")]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["rollout"]["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT");
    assert_eq!(json["rollout"]["pausedHook"]["timeoutAction"], "ROLLBACK");

    assert_success_saying(&context.run(&["continue"], &[]), "service web is deployed");
    assert!(runs(&context.service("web").await, "web:2"));

    let output = context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "3")]);
    assert_success(&output);
    assert_success_saying(
        &context.run(&["rollback", "--no-deregister-task-definition"], &[]),
        "ContinueServiceDeployment ROLLBACK",
    );
    assert!(runs(&context.service("web").await, "web:2"));

    let output = context.run(
        &[
            "deploy",
            "--wait-until",
            "ecs:PRODUCTION_TRAFFIC_SHIFT",
            "--no-wait",
        ],
        &[("TAG", "4")],
    );
    assert_success(&output);
    let output = context.run(&["wait", "--wait-until", "paused"], &[]);
    assert_success(&output);
    assert_success_saying(
        &context.run(&["continue", "--wait-until", "ecs:BAKE_TIME"], &[]),
        "reached",
    );
}

#[tokio::test]
async fn wait_targets_the_strategy_cannot_reach_are_refused_before_any_change() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &web_config(" []"));
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", &service_definition("ROLLING", ""));
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let before = context.calls("RegisterTaskDefinition").len();
    let output = context.run(
        &["deploy", "--wait-until", "ecs:BAKE_TIME"],
        &[("TAG", "2")],
    );
    assert_failure(
        &output,
        "--wait-until ecs:BAKE_TIME needs deploymentConfiguration.strategy BLUE_GREEN, LINEAR or CANARY; service web uses ROLLING, whose deployments go through RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, CLEAN_UP (nothing was changed)",
    );
    assert_failure(
        &context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "2")]),
        "--wait-until paused needs a PAUSE lifecycle hook, and service web's definition has none",
    );
    let output = context.run(
        &["deploy", "--wait-until", "codedeploy:AllowTraffic"],
        &[("TAG", "2")],
    );
    assert_failure(&output, "needs a CODE_DEPLOY service");
    let output = context.run(&["deploy", "--wait-until", "ecs:BAKING"], &[("TAG", "2")]);
    assert_failure(&output, "unknown ECS lifecycle stage `BAKING`");
    assert_eq!(context.calls("RegisterTaskDefinition").len(), before);
    assert!(context.calls("UpdateService").is_empty());
    assert_success(&context.run(&["deploy", "--wait-until", "ecs:SCALE_UP"], &[("TAG", "2")]));
    let before = context.calls("RegisterTaskDefinition").len();

    context.write(
        "sd.json",
        &service_definition(
            "BLUE_GREEN",
            r#", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "CONTINUE"}}]"#,
        ),
    );
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "sd.json: deploymentConfiguration.lifecycleHooks[0].timeoutConfiguration.action is CONTINUE",
    );
    assert_eq!(context.calls("RegisterTaskDefinition").len(), before);
}

#[tokio::test]
async fn continue_at_the_gates_pause_runs_the_gates_first() {
    let context = blue_green_service("").await;
    let sink = HttpSink::start();
    let failing = format!(
        "{}{}",
        scripted_gate("{fail_at: [before-traffic-shift], fail: 'smoke test: 500'}"),
        notify_recorder(&sink)
    );
    context.write("ecspresso.yml", &web_config(&failing));
    let paused = context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "2")]);
    assert_success(&paused);
    assert!(
        text(&paused.stderr).contains("the deployment goes on without this process"),
        "{}",
        text(&paused.stderr)
    );
    let kinds = notified_kinds(&sink);
    assert!(
        kinds.contains(&"service-updated".to_owned())
            && kinds.contains(&"waiting-at-pause".to_owned())
            && !kinds.contains(&"deploy-succeeded".to_owned()),
        "nothing has succeeded at the pause: {kinds:?}"
    );
    let output = context.run(&["continue"], &[]);
    assert_failure(
        &output,
        "before-traffic-shift gate of plugin `scripted-gate` failed: smoke test: 500 (after 0 polls); the service was rolled back to web:1",
    );
    assert!(
        text(&output.stderr).contains("where ristretto's before-traffic-shift gates decide"),
        "{}",
        text(&output.stderr)
    );
    assert!(runs(&context.service("web").await, "web:1"));
    assert_eq!(
        newest_deployment(&context)
            .await
            .status()
            .map(|s| s.as_str()),
        Some("ROLLBACK_SUCCESSFUL")
    );

    assert_success(&context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "3")]));
    let output = context.run(&["continue", "--skip-gates"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stderr).contains("--skip-gates: continuing at POST_TEST_TRAFFIC_SHIFT without the before-traffic-shift gates"),
        "{}",
        text(&output.stderr)
    );
    assert!(runs(&context.service("web").await, "web:3"));
    assert!(
        text(&output.stderr).contains("post-deploy gate of plugin `scripted-gate` passed"),
        "continue to the end runs the post-deploy gates: {}",
        text(&output.stderr)
    );
    assert_eq!(
        notified_kinds(&sink).last().map(String::as_str),
        Some("deploy-succeeded")
    );
}

#[tokio::test]
async fn rollback_skips_a_revision_a_gate_rejected() {
    let context = blue_green_service("").await;
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{fail_at: [before-traffic-shift], fail: 'bad build'}",
        )),
    );
    assert_failure(&context.run(&["deploy"], &[("TAG", "bad")]), "bad build");
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    assert_success(&context.run(&["deploy"], &[("TAG", "good")]));
    assert!(runs(&context.service("web").await, "web:3"));

    let output = context.run(&["revisions", "--output", "json"], &[("TAG", "good")]);
    assert_success(&output);
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let skipped = |name: &str| {
        list.as_array()
            .and_then(|l| l.iter().find(|r| r["name"] == name))
            .map(|r| r["skipped_by_rollback"].clone())
    };
    assert_eq!(
        skipped("web:2"),
        Some(serde_json::json!("rolled back, never served"))
    );
    assert_eq!(skipped("web:1"), Some(serde_json::Value::Null));

    let output = context.run(&["rollback", "--no-deregister-task-definition"], &[]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("skipping web:2: its deployments to this service were rolled back")
            && stderr.contains("from web:3 to web:1"),
        "{stderr}"
    );
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn a_gate_still_pending_when_the_command_times_out_rolls_back() {
    let context = blue_green_service("").await;
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{pending_polls: 1000, pending_at: [before-traffic-shift]}",
        ))
        .replace("timeout: 2m", "timeout: 8s"),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "before-traffic-shift gate of plugin `scripted-gate` failed: still pending when the command's timeout ran out",
    );
    assert_eq!(
        context.calls("ContinueServiceDeployment").len(),
        1,
        "ristretto answered its pause (ROLLBACK) before giving up"
    );
    context.write("ecspresso.yml", &web_config(" []"));
    assert_success(&context.run(&["wait"], &[("TAG", "2")]));
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn wait_gates_a_deployment_started_earlier_and_marks_a_rejection() {
    let context = blue_green_service("").await;
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{fail_at: [before-traffic-shift], fail: 'smoke test: 500'}",
        )),
    );
    let started = context.run(&["deploy", "--no-wait"], &[("TAG", "2")]);
    assert_success(&started);
    assert!(
        text(&started.stderr).contains("the deployment goes on without this process"),
        "{}",
        text(&started.stderr)
    );
    assert_failure(
        &context.run(&["wait"], &[("TAG", "2")]),
        "before-traffic-shift gate of plugin `scripted-gate` failed: smoke test: 500",
    );
    assert!(runs(&context.service("web").await, "web:1"));
    let ecs = context.ecs().await;
    let web2 = ecs
        .describe_task_definition()
        .task_definition("web:2")
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .expect("describe web:2");
    assert!(
        web2.tags()
            .iter()
            .any(|t| t.key() == Some("ristretto:rejected")
                && t.value() == Some("before-traffic-shift gate of plugin scripted-gate")),
        "{:?}",
        web2.tags()
    );
}
