//! The progress display as a person sees it on a terminal (a real pseudo-terminal): while a
//! rolling deploy waits, one line says what happens (`deploying web:2: tasks running 1/2`);
//! log lines print above it whole, and it is gone when the wait ends. During a
//! circuit-breaker rollback, and during `rollback`, it says `rolling back to web:1`. Only
//! text is asserted, never how long anything took.

use crate::support::terminal::{on_a_terminal_of_width, screen};
use crate::support::{TestContext, assert_success};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 2,
  "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}, "maximumPercent": 200, "minimumHealthyPercent": 100}}"#;

/// A rolling service at web:1 whose rollouts take several polls.
async fn setup() -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.control("/_emulator/config", serde_json::json!({"ecs_steps": 4}));
    context
}

/// The terminal's last screen holds log lines only (and the final error), each whole: one
/// timestamp at its start, no piece of the progress line left over.
fn assert_only_whole_log_lines(received: &str) -> Vec<String> {
    let lines: Vec<String> = screen(received)
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    for line in &lines {
        let whole = (line.starts_with("<TIME> [") && line.matches("<TIME>").count() == 1)
            || (line.starts_with("error: ") && !line.contains("<TIME>"));
        assert!(
            whole,
            "a torn line {line:?} on the screen:\n{}",
            lines.join("\n")
        );
        assert!(
            !line.contains("tasks running"),
            "the progress line stayed on the screen:\n{}",
            lines.join("\n")
        );
    }
    lines
}

#[tokio::test]
async fn a_deploy_shows_what_it_does_on_one_line_that_goes_away() {
    let context = setup().await;
    let (ok, received) = on_a_terminal_of_width(&context, 120, "deploy", &[("TAG", "2")]);
    assert!(ok, "{received}");
    assert!(
        received.contains("deploying web:2: tasks running "),
        "no progress line while the rollout went on:\n{received}"
    );
    let lines = assert_only_whole_log_lines(&received);
    assert!(
        lines
            .last()
            .is_some_and(|l| l.ends_with("] [web/e2e] service web runs web:2")),
        "{}",
        lines.join("\n")
    );
}

#[tokio::test]
async fn a_circuit_breaker_rollback_says_rolling_back_to_the_revision() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/outcome",
        serde_json::json!({"cluster": "e2e", "service": "web", "outcome": "fail"}),
    );
    let (ok, received) = on_a_terminal_of_width(&context, 120, "deploy", &[("TAG", "2")]);
    assert!(
        !ok,
        "the deploy of a failing revision succeeded:\n{received}"
    );
    assert!(
        received.contains("rolling back to web:1: tasks running "),
        "the progress line did not say it rolls back:\n{received}"
    );
    let lines = assert_only_whole_log_lines(&received);
    assert!(
        lines.last().is_some_and(|l| l
            .starts_with("error: service `web` is not running the deployed task definition web:2")),
        "{}",
        lines.join("\n")
    );
}

#[tokio::test]
async fn the_rollback_command_says_rolling_back_to_the_revision() {
    let context = setup().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "2")]));
    let (ok, received) = on_a_terminal_of_width(&context, 120, "rollback", &[("TAG", "2")]);
    assert!(ok, "{received}");
    assert!(
        received.contains("rolling back to web:1: tasks running "),
        "the progress line did not say it rolls back:\n{received}"
    );
    assert!(!received.contains("deploying web:1"), "{received}");
    let lines = assert_only_whole_log_lines(&received);
    assert!(
        lines
            .last()
            .is_some_and(|l| l.ends_with("] [web/e2e] service web rolled back to web:1")),
        "{}",
        lines.join("\n")
    );
}
