//! Rollouts on the wall clock (issue #16): the emulator's `rollout_mode: time` makes a rolling
//! deployment take as long as its phases say (task start, health checks, draining), however
//! often ristretto polls. `deploy` and `wait` report the end only once AWS (an independent
//! client) agrees it is over, and the benchmark prints how late ristretto notices it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::{TestContext, assert_success, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 5m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;

/// A service on web:1 whose next rollouts follow the wall clock with these phase durations.
async fn service(task_start: f64, health_check: f64, draining: f64) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 2}"#);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.control(
        "/_emulator/config",
        serde_json::json!({
            "rollout_mode": "time",
            "phase_seconds": {"task_start": task_start, "health_check": health_check, "draining": draining, "bake": 0},
        }),
    );
    context
}

/// The state of the service's deployments, as an independent client sees it.
async fn rollout_states(context: &TestContext) -> Vec<(String, String)> {
    context
        .service("web")
        .await
        .deployments()
        .iter()
        .map(|d| {
            (
                d.status().unwrap_or_default().to_owned(),
                d.rollout_state()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn deploy_and_wait_report_a_timed_rollout_only_once_aws_says_it_is_over() {
    let context = service(1.0, 1.0, 1.0).await;
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_success(&output);
    assert_eq!(
        rollout_states(&context).await,
        vec![("PRIMARY".to_owned(), "COMPLETED".to_owned())],
        "deployed means AWS has completed the rollout:\n{}",
        text(&output.stderr)
    );
    let output = context.run(&["deploy", "--no-wait"], &[("TAG", "3")]);
    assert_success(&output);
    let output = context.run(&["wait"], &[("TAG", "3")]);
    assert_success(&output);
    assert_eq!(
        rollout_states(&context).await,
        vec![("PRIMARY".to_owned(), "COMPLETED".to_owned())],
        "{}",
        text(&output.stderr)
    );
}

/// Benchmark (prints figures; run with `cargo test -p ristretto --test e2e
/// bench_rollout_end_noticed -- --ignored --nocapture`): ten deploys whose rollouts last about
/// 21 s on the emulator's clock (tasks start in 5 s, health checks 10 s, draining 5.7 s, so the
/// end does not fall on a multiple of the 2 s poll interval); for
/// each, the time from the rollout's end (its start plus the phases) to ristretto exiting
/// successfully, with the poll interval it used (2 s in the first minute, then 5 s).
#[tokio::test]
#[ignore = "benchmark: prints figures"]
async fn bench_rollout_end_noticed() {
    let (task_start, health_check, draining) = (5.0, 10.0, 5.7);
    let context = service(task_start, health_check, draining).await;
    let mut delays = Vec::new();
    for round in 2..12 {
        let output = context.run(&["deploy"], &[("TAG", &round.to_string())]);
        let exited = SystemTime::now();
        assert_success(&output);
        let service = context.service("web").await;
        let arn = service
            .deployments()
            .first()
            .and_then(|d| d.id())
            .expect("deployment id")
            .to_owned();
        let started = service
            .deployments()
            .first()
            .and_then(|d| d.created_at())
            .expect("createdAt");
        let end = UNIX_EPOCH
            + Duration::from_secs_f64(started.as_secs_f64() + task_start + health_check + draining);
        let delay = exited.duration_since(end).unwrap_or_default();
        println!("round {round}: deployment {arn} ended; ristretto exited {delay:?} later");
        delays.push(delay);
    }
    delays.sort();
    println!(
        "rollout of {:.1} s on the emulator's clock: end → ristretto reports it: median {:?}, max {:?} (n = {}); poll interval 2 s",
        task_start + health_check + draining,
        delays[delays.len() / 2],
        delays[delays.len() - 1],
        delays.len()
    );
}

/// ecspresso v2.8.7 (#1080): a rolling deployment with early success criteria is deployed when
/// ECS says it succeeded (with its reason), not when the previous revision is gone; `--wait-until
/// stable` warns that it waits for more; criteria ECS would refuse are refused before anything
/// is registered.
#[tokio::test]
async fn early_success_criteria_end_the_wait_when_ecs_says_so() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write(
        "sd.json",
        r#"{"launchType": "EC2", "desiredCount": 4, "deploymentConfiguration": {"minimumHealthyPercent": 50,
            "earlySuccessCriteria": {"enable": true, "healthyPercent": 50, "sourceServiceRevisionCleanup": "DEFERRED"}}}"#,
    );
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    for expected in [
        "completed: Service deployment completed early",
        "met its early success criteria (50% healthy)",
        "sourceServiceRevisionCleanup DEFERRED",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let output = context.run(&["deploy", "--wait-until", "stable"], &[("TAG", "3")]);
    assert_success(&output);
    assert!(
        text(&output.stderr).contains("--wait-until stable waits for every task"),
        "{}",
        text(&output.stderr)
    );

    context.write(
        "sd.json",
        r#"{"launchType": "EC2", "desiredCount": 4, "deploymentConfiguration": {"strategy": "BLUE_GREEN",
            "earlySuccessCriteria": {"enable": true, "healthyPercent": 100, "sourceServiceRevisionCleanup": "DEFERRED"}}}"#,
    );
    let registered = context.calls("RegisterTaskDefinition").len();
    let output = context.run(&["deploy"], &[("TAG", "4")]);
    crate::support::assert_failure(
        &output,
        "early success criteria work only with the ECS deployment controller and the ROLLING strategy",
    );
    assert_eq!(
        context.calls("RegisterTaskDefinition").len(),
        registered,
        "refused before anything was registered"
    );
    let output = context.run(&["verify"], &[("TAG", "4")]);
    assert!(
        text(&output.stdout).contains("EarlySuccessCriteria"),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
