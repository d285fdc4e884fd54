//! One event stream: what the log shows and what notify plugins hear come from the same typed
//! events, so every notification's message is one log record (with its event name in JSON
//! logs), and a gate is asked, logged and announced only at the stages it watches
//! (`config.stages`), except the config check every gate gets at pre-deploy.

use crate::support::{HttpSink, TestContext, assert_failure, assert_success, test_plugin, text};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1}"#;

/// A config with the notify recorder posting to `sink` and the scripted gate with `gate_config`
/// (YAML flow mapping).
async fn setup(sink: &HttpSink, gate_config: &str) -> TestContext {
    let host = sink.url.trim_start_matches("http://").to_owned();
    let context = TestContext::with_aws();
    context.write(
        "ecspresso.yml",
        &format!(
            "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\nplugins:\n  - path: {}\n    config:\n      url: {}/hook\n    allow:\n      http: ['{host}']\n  - path: {}\n    name: gate\n    config: {gate_config}\n",
            test_plugin("notify-recorder").display(),
            sink.url,
            test_plugin("scripted-gate").display(),
        ),
    );
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    context
}

/// The JSON log records on stderr.
fn records(stderr: &[u8]) -> Vec<serde_json::Value> {
    text(stderr)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[tokio::test]
async fn every_notification_is_one_log_record_with_its_event_name() {
    let sink = HttpSink::start();
    let context = setup(&sink, "{}").await;
    let output = context.run(&["deploy", "--log-format", "json"], &[("TAG", "1")]);
    assert_success(&output);
    let records = records(&output.stderr);
    let notified = sink.bodies();
    let kinds: Vec<&str> = notified.iter().filter_map(|b| b["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "deploy-started",
            "gate-passed",
            "task-definition-registered",
            "service-updated",
            "gate-passed",
            "deploy-succeeded"
        ],
        "{notified:?}"
    );
    for body in &notified {
        let (kind, message) = (body["kind"].as_str(), body["message"].as_str());
        let logged: Vec<_> = records
            .iter()
            .filter(|r| r["msg"].as_str() == message)
            .collect();
        assert_eq!(
            logged.len(),
            1,
            "{kind:?} {message:?} is logged once: {}",
            text(&output.stderr)
        );
        assert_eq!(logged[0]["event"].as_str(), kind, "{}", logged[0]);
        assert_eq!(logged[0]["service"], "web");
    }
    // ECS's service events carry their own time as a field; the text has one timestamp.
    let service_event = records
        .iter()
        .find(|r| r["event_at"].is_string())
        .unwrap_or_else(|| panic!("no ECS service event in {}", text(&output.stderr)));
    assert!(
        !service_event["msg"]
            .as_str()
            .unwrap_or_default()
            .starts_with("event "),
        "{service_event}"
    );
}

#[tokio::test]
async fn a_gate_is_asked_and_reported_only_at_the_stages_it_watches() {
    let sink = HttpSink::start();
    let context = setup(&sink, "{stages: [post-deploy]}").await;
    let output = context.run(&["deploy"], &[("TAG", "1")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    let gate_events: Vec<serde_json::Value> = sink
        .bodies()
        .into_iter()
        .filter(|b| b["kind"].as_str().is_some_and(|k| k.starts_with("gate-")))
        .collect();
    assert_eq!(gate_events.len(), 1, "{gate_events:?}");
    assert_eq!(gate_events[0]["details"]["stage"], "post-deploy");
    assert!(!stderr.contains("pre-deploy gate"), "{stderr}");
    assert!(!stderr.contains("running pre-deploy gates"), "{stderr}");
    assert!(
        stderr.contains("post-deploy gate of plugin `gate` passed"),
        "{stderr}"
    );

    // The config check at pre-deploy still stops a deploy before anything is written.
    let failing = "{stages: [post-deploy], fail_at: [pre-deploy], fail: 'config: url is missing'}";
    let broken_sink = HttpSink::start();
    let broken = setup(&broken_sink, failing).await;
    let output = broken.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(&output, "config: url is missing");
    let ecs = broken.ecs().await;
    let families = ecs
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .expect("ListTaskDefinitions");
    assert!(
        families.task_definition_arns().is_empty(),
        "nothing was registered: {:?}",
        families.task_definition_arns()
    );

    // A stage name that is not one is refused when the config loads.
    let typo_sink = HttpSink::start();
    let typo = setup(&typo_sink, "{stages: [post-deply]}").await;
    let output = typo.run(&["deploy"], &[("TAG", "3")]);
    assert_failure(&output, "config.stages: \"post-deply\" is not one of");
}

#[tokio::test]
async fn a_deploy_refused_by_its_definitions_never_announces_a_start() {
    let sink = HttpSink::start();
    let context = setup(&sink, "{}").await;
    context.write("td.json", r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": "lots"}]}"#);
    let output = context.run(&["deploy"], &[("TAG", "1")]);
    assert_failure(&output, "memory");
    let kinds: Vec<String> = sink
        .bodies()
        .iter()
        .filter_map(|b| b["kind"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !kinds
            .iter()
            .any(|k| k == "deploy-started" || k == "gate-passed"),
        "{kinds:?}"
    );
}
