//! Deadlines that hold whatever a plugin does (issue #17): a plugin blocked inside a host call
//! (a WASI clock sleep, an HTTP response that never comes) ends at its `limits.timeout`, the
//! command's `timeout` bounds plugin calls, and a SIGTERM while a gate sleeps at an ECS pause
//! rolls the deployment back and exits 143 without waiting for the gate. Elapsed times are
//! printed; the assertions only bound them far below the plugin's own sleep (600 s), so they
//! test that the call was cut off, not how fast.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::support::{TestContext, assert_failure, runs, scripted_gate, test_plugin, web_config};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;

/// Far below the hostile plugin's 600 s sleep, far above any limit under test.
const CUT_OFF: Duration = Duration::from_secs(60);

async fn setup(plugins: &str, service_definition: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &web_config(plugins));
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", service_definition);
    context.create_cluster().await;
    context
}

fn hostile(mode: &str, extra: &str) -> String {
    format!(
        "\n  - path: {}\n    config: {{mode: {mode}, url: 'URL'}}\n    limits:\n      timeout: 2s{extra}",
        test_plugin("hostile").display()
    )
}

#[tokio::test]
async fn a_transform_asleep_in_a_wasi_clock_wait_ends_at_its_limit() {
    let context = setup(
        &hostile("sleep", ""),
        r#"{"launchType": "EC2", "desiredCount": 1}"#,
    )
    .await;
    let started = Instant::now();
    let output = context.run(&["deploy"], &[("TAG", "1")]);
    let elapsed = started.elapsed();
    println!("transform asleep for 600 s with limits.timeout 2s ended after {elapsed:?}");
    assert_failure(&output, "plugin `hostile` (transform, ");
    assert_failure(&output, "did not finish within 2s (limits.timeout)");
    assert!(elapsed < CUT_OFF, "the sleep was not cut off: {elapsed:?}");
    let ecs = context.ecs().await;
    let revisions = ecs.list_task_definitions().send().await.expect("list");
    assert!(
        revisions.task_definition_arns().is_empty(),
        "nothing was registered"
    );
}

#[tokio::test]
async fn a_transform_waiting_on_an_http_answer_that_never_comes_ends_at_its_limit() {
    // A listener that never accepts: the connection is made (the kernel's backlog) and the
    // request sent, but no answer ever arrives.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = silent.local_addr().expect("address");
    let plugins = hostile("http", &format!("\n    allow:\n      http: ['{address}']"))
        .replace("URL", &format!("http://{address}/slow"));
    let context = setup(&plugins, r#"{"launchType": "EC2", "desiredCount": 1}"#).await;
    let started = Instant::now();
    let output = context.run(&["render", "taskdef"], &[("TAG", "1")]);
    let elapsed = started.elapsed();
    println!("transform waiting on a silent HTTP server ended after {elapsed:?}");
    assert_failure(&output, "plugin `hostile` (transform, task-definition)");
    assert!(
        elapsed < CUT_OFF,
        "the request was not cut off: {elapsed:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn the_commands_timeout_bounds_a_gate_with_a_longer_limit() {
    let plugins = format!(
        "{}\n    limits:\n      timeout: 10m",
        scripted_gate("{sleep_ms: 600000}")
    );
    let context = setup(&plugins, r#"{"launchType": "EC2", "desiredCount": 1}"#).await;
    let started = Instant::now();
    let output = context.run(&["deploy", "--timeout", "3s"], &[("TAG", "1")]);
    let elapsed = started.elapsed();
    println!("gate asleep with limits.timeout 10m under --timeout 3s ended after {elapsed:?}");
    assert_failure(
        &output,
        "stopped when the command's timeout ran out (config `timeout` or --timeout)",
    );
    assert!(elapsed < CUT_OFF, "the gate was not cut off: {elapsed:?}");
    let ecs = context.ecs().await;
    let services = ecs
        .list_services()
        .cluster("e2e")
        .send()
        .await
        .expect("list services");
    assert!(
        services.service_arns().is_empty(),
        "a pre-deploy gate that never answered leaves AWS without a service"
    );
}

#[tokio::test]
async fn sigterm_while_a_gate_sleeps_at_the_pause_rolls_back_without_waiting_for_it() {
    let context = setup(
        " []",
        r#"{"launchType": "EC2", "desiredCount": 1, "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}}"#,
    )
    .await;
    crate::support::assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.write(
        "ecspresso.yml",
        &web_config(&format!(
            "{}\n    limits:\n      timeout: 10m",
            scripted_gate("{sleep_ms: 600000, sleep_at: [before-traffic-shift]}")
        )),
    );
    let (mut child, lines) = crate::interrupt::start(&context, &["deploy"]);
    let seen = crate::interrupt::read_until(&lines, "running before-traffic-shift gates");
    // Let the gate's call start its sleep.
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    let elapsed = signalled.elapsed();
    let rest: Vec<String> = lines.iter().collect();
    let stderr = format!("{seen}{}", rest.join("\n"));
    println!("SIGTERM with a gate asleep in its call: exit after {elapsed:?}");
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(
        elapsed < CUT_OFF,
        "the signal waited for the gate: {elapsed:?}"
    );
    assert!(
        stderr.contains("was told to ROLLBACK at its pause"),
        "{stderr}"
    );
    assert_eq!(
        context.calls("ContinueServiceDeployment").len(),
        1,
        "one ROLLBACK answer to the pause"
    );
    context.write("ecspresso.yml", &web_config(" []"));
    crate::support::assert_success(&context.run(&["wait"], &[("TAG", "2")]));
    assert!(runs(&context.service("web").await, "web:1"));
}

/// Benchmark (prints figures, asserts nothing about speed; run with `cargo test -p ristretto
/// --test e2e bench_deadlines -- --ignored --nocapture`): how long a blocked plugin call
/// overruns its 2 s limit, and how long `deploy` takes to exit after SIGTERM with a gate call
/// in flight at an ECS pause (10 runs each, median and max).
#[tokio::test]
#[ignore = "benchmark: prints figures"]
async fn bench_deadlines() {
    fn summary(mut values: Vec<Duration>) -> String {
        values.sort();
        format!(
            "median {:?}, max {:?} (n = {})",
            values[values.len() / 2],
            values[values.len() - 1],
            values.len()
        )
    }
    let mut overruns = Vec::new();
    let context = setup(
        &hostile("sleep", ""),
        r#"{"launchType": "EC2", "desiredCount": 1}"#,
    )
    .await;
    for _ in 0..10 {
        let started = Instant::now();
        let output = context.run(&["render", "taskdef"], &[("TAG", "1")]);
        assert!(!output.status.success());
        overruns.push(started.elapsed().saturating_sub(Duration::from_secs(2)));
    }
    println!(
        "blocked call past its 2 s limit (whole command): {}",
        summary(overruns)
    );
    let mut exits = Vec::new();
    let context = setup(
        " []",
        r#"{"launchType": "EC2", "desiredCount": 1, "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}}"#,
    )
    .await;
    crate::support::assert_success(&context.run(&["deploy"], &[("TAG", "0")]));
    for _ in 0..10 {
        context.write(
            "ecspresso.yml",
            &web_config(&format!(
                "{}\n    limits:\n      timeout: 10m",
                scripted_gate("{sleep_ms: 600000, sleep_at: [before-traffic-shift]}")
            )),
        );
        let (mut child, lines) = crate::interrupt::start(&context, &["deploy"]);
        crate::interrupt::read_until(&lines, "running before-traffic-shift gates");
        std::thread::sleep(Duration::from_millis(500));
        let signalled = Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        let status = child.wait().expect("wait");
        exits.push(signalled.elapsed());
        assert_eq!(status.code(), Some(143));
        context.write("ecspresso.yml", &web_config(" []"));
        crate::support::assert_success(&context.run(&["wait"], &[("TAG", "0")]));
    }
    println!(
        "SIGTERM to exit, a gate call in flight at an ECS pause: {}",
        summary(exits)
    );
}
