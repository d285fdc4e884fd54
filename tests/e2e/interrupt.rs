//! SIGINT / SIGTERM while ristretto waits on AWS: it says what goes on without it and exits
//! 128 + the signal; a deployment paused for its gates is rolled back at once instead of
//! waiting for the hook's timeout.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{
    HttpSink, TestContext, assert_success, notified_kinds, notify_recorder, runs, scripted_gate,
    web_config,
};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;

/// A service with `strategy` running web:1, deployed without plugins.
async fn service(strategy: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &web_config(" []"));
    context.write("td.json", TASK_DEFINITION);
    context.write(
        "sd.json",
        &format!(
            r#"{{"launchType": "EC2", "desiredCount": 1, "deploymentConfiguration": {{"strategy": "{strategy}", "bakeTimeInMinutes": 0}}}}"#
        ),
    );
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context
}

/// `ristretto deploy` with TAG=2, started in the background; its stderr lines arrive on the
/// returned channel.
fn start_deploy(context: &TestContext) -> (Child, mpsc::Receiver<String>) {
    start(context, &["deploy"])
}

/// `ristretto ARGS` with TAG=2, started in the background; its stderr lines arrive on the
/// returned channel (stdout stays with the child).
pub(crate) fn start(context: &TestContext, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    start_with(context, args, false)
}

/// As [`start`]; with `stdout_too`, its stdout lines (`run` prints task logs there) arrive on
/// the channel as well, prefixed `stdout: `.
fn start_with(
    context: &TestContext,
    args: &[&str],
    stdout_too: bool,
) -> (Child, mpsc::Receiver<String>) {
    let mut child = context
        .ristretto()
        .args(args)
        .env("TAG", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ristretto");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (sender, lines) = mpsc::channel();
    if stdout_too {
        let stdout = child.stdout.take().expect("stdout is piped");
        let out_sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if out_sender.send(format!("stdout: {line}")).is_err() {
                    break;
                }
            }
        });
    }
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Reads lines until one contains `needle`; returns everything read.
pub(crate) fn read_until(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    let mut seen = String::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            return seen;
        }
    }
    panic!("no line with {needle:?} within 60 s; stderr so far:\n{seen}");
}

/// Sends `signal` (`TERM`, `INT`) to `child`, then returns its exit code and the rest of stderr.
fn signal_and_finish(
    mut child: Child,
    lines: &mpsc::Receiver<String>,
    signal: &str,
) -> (Option<i32>, String) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
    let status = child.wait().expect("wait for ristretto");
    let rest: Vec<String> = lines.iter().collect();
    (status.code(), rest.join("\n"))
}

#[tokio::test]
async fn sigterm_while_the_gates_decide_rolls_the_paused_deployment_back_at_once() {
    let context = service("BLUE_GREEN").await;
    let sink = HttpSink::start();
    context.write(
        "ecspresso.yml",
        &web_config(&format!(
            "{}{}",
            scripted_gate("{pending_polls: 100000, pending_at: [before-traffic-shift]}"),
            notify_recorder(&sink)
        )),
    );
    let (child, lines) = start_deploy(&context);
    read_until(&lines, "running before-traffic-shift gates");
    let (code, stderr) = signal_and_finish(child, &lines, "TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("stopped by SIGTERM")
            && stderr.contains("was told to ROLLBACK at its pause"),
        "{stderr}"
    );
    let answers = context.calls("ContinueServiceDeployment");
    assert_eq!(answers.len(), 1, "one answer to the pause: {answers:?}");
    let kinds = notified_kinds(&sink);
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("deploy-failed"),
        "notify plugins heard the deploy was stopped: {kinds:?}"
    );
    assert!(
        sink.bodies().iter().any(|b| b["message"]
            .as_str()
            .is_some_and(|m| m.contains("was stopped by SIGTERM"))),
        "{:?}",
        sink.bodies()
    );
    // Production never moved: once the rollback ends the service runs web:1 again.
    context.write("ecspresso.yml", &web_config(" []"));
    assert_success(&context.run(&["wait"], &[("TAG", "2")]));
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn sigint_while_a_rolling_deploy_rolls_out_leaves_it_going_and_says_how_to_follow() {
    let context = service("ROLLING").await;
    context.control(
        "/_emulator/config",
        serde_json::json!({"ecs_steps": 100000}),
    );
    let (child, lines) = start_deploy(&context);
    read_until(&lines, "waiting for service web to be deployed");
    let (code, stderr) = signal_and_finish(child, &lines, "INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("stopped by SIGINT") && stderr.contains("`ristretto wait` follows"),
        "{stderr}"
    );
    // Nothing was undone: the rollout to web:2 goes on without ristretto.
    context.control(
        "/_emulator/ecs/settle",
        serde_json::json!({"cluster": "e2e", "service": "web"}),
    );
    assert!(runs(&context.service("web").await, "web:2"));
}

#[tokio::test]
async fn sigterm_while_the_gates_decide_at_codedeploy_ready_stops_it_with_rollback() {
    let context = crate::codedeploy::codedeploy_service(true, 0).await;
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{pending_polls: 100000, pending_at: [before-traffic-shift]}",
        )),
    );
    let (child, lines) = start_deploy(&context);
    read_until(&lines, "running before-traffic-shift gates");
    let (code, stderr) = signal_and_finish(child, &lines, "TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("stopped by SIGTERM") && stderr.contains("was stopped with rollback"),
        "{stderr}"
    );
    assert_eq!(context.calls("StopDeployment").len(), 1);
    assert!(context.calls("ContinueDeployment").is_empty());
    context.write("ecspresso.yml", &web_config(" []"));
    assert_success(&context.run(&["wait"], &[("TAG", "2")]));
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn sigterm_while_run_waits_says_the_task_keeps_running_and_how_to_stop_it() {
    let context = crate::run::setup().await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "running_polls": 100000, "logs": ["migrating"]}),
    );
    let (child, lines) = start_with(&context, &["run"], true);
    // The task's log lines are results, on stdout as in ecspresso.
    read_until(&lines, "stdout: migrating");
    let (code, stderr) = signal_and_finish(child, &lines, "TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("stopped by SIGTERM waiting for task(s) to be stopped")
            && stderr.contains("they keep running: `ristretto tasks stop"),
        "{stderr}"
    );
    assert!(
        context.calls("StopTask").is_empty(),
        "ristretto stopped nothing"
    );
}

#[tokio::test]
async fn sigint_stops_a_fleet_with_a_summary_of_what_ran_and_what_never_started() {
    let context = TestContext::with_aws();
    context.write(
        "service.jsonnet",
        "{ region: 'ap-northeast-1', cluster: 'e2e', service: std.extVar('SERVICE'), task_definition: 'td.jsonnet', service_definition: 'sd.json', timeout: '2m' }\n",
    );
    context.write(
        "td.jsonnet",
        "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 64 }] }\n",
    );
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    context.write(
        "ristretto-fleet.yml",
        "services:\n  db: {config: service.jsonnet, ext_str: {SERVICE: db}}\n  api: {config: service.jsonnet, ext_str: {SERVICE: api}, depends_on: [db]}\n",
    );
    context.create_cluster().await;
    context.control(
        "/_emulator/config",
        serde_json::json!({"ecs_steps": 100000}),
    );
    let (child, lines) = start(&context, &["fleet", "deploy"]);
    read_until(&lines, "waiting for service db");
    let mut child = child;
    let stdout = child.stdout.take();
    let (code, stderr) = signal_and_finish(child, &lines, "INT");
    let mut table = String::new();
    if let Some(mut stdout) = stdout {
        use std::io::Read;
        let _ = stdout.read_to_string(&mut table);
    }
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    let row = |service: &str| {
        table
            .lines()
            .find(|l| l.starts_with(service))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("db").contains("failed") && row("db").contains("stopped by SIGINT while running"),
        "{table}"
    );
    assert!(
        row("api").contains("skipped") && row("api").contains("not started"),
        "{table}"
    );
}

/// Starts a gated deploy of TAG=2 to the CODE_DEPLOY service and SIGKILLs it while its gates
/// decide at READY: the deployment stays in flight with nobody deciding.
fn kill_while_the_gates_decide_at_ready(context: &TestContext) {
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{pending_polls: 100000, pending_at: [before-traffic-shift]}",
        )),
    );
    let (mut child, lines) = start_deploy(context);
    read_until(&lines, "running before-traffic-shift gates");
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
}

#[tokio::test]
async fn after_sigkill_at_codedeploy_ready_a_rerun_of_the_same_revision_resumes_it() {
    let context = crate::codedeploy::codedeploy_service(true, 0).await;
    kill_while_the_gates_decide_at_ready(&context);
    let registered = context.calls("RegisterTaskDefinition").len();
    let created = context.calls("CreateDeployment").len();
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_success(&output);
    let stderr = crate::support::text(&output.stderr);
    assert!(
        stderr.contains("resuming it instead of starting another"),
        "{stderr}"
    );
    assert_eq!(
        context.calls("RegisterTaskDefinition").len(),
        registered,
        "the rerun registered nothing"
    );
    assert_eq!(
        context.calls("CreateDeployment").len(),
        created,
        "the rerun created no deployment"
    );
    assert_eq!(context.calls("ContinueDeployment").len(), 1);
    assert!(runs(&context.service("web").await, "web:2"));
}

#[tokio::test]
async fn after_sigkill_at_codedeploy_ready_a_rerun_of_another_revision_replaces_it() {
    let context = crate::codedeploy::codedeploy_service(true, 0).await;
    kill_while_the_gates_decide_at_ready(&context);
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let output = context.run(&["deploy"], &[("TAG", "3")]);
    assert_success(&output);
    let stderr = crate::support::text(&output.stderr);
    assert!(
        stderr.contains("brings another task definition: stopping it with rollback"),
        "{stderr}"
    );
    assert_eq!(context.calls("StopDeployment").len(), 1);
    assert!(runs(&context.service("web").await, "web:3"));
}
