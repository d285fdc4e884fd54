//! `exec` and `tasks find|stop|logs|trace` without `--id`, as ecspresso through ecsta: the only
//! task when there is one, the filter command when one is set, else a question on the terminal
//! (`Enter task ID: `, a unique prefix is enough), else a clear error instead of ecsta's
//! endless question to a terminal that is not there. The terminal is a real pty (`script`).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{TestContext, assert_failure, assert_success, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 64}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 2}"#;

/// `ristretto ARGS` on a pseudo-terminal, typing `typed`; returns what the terminal showed.
fn on_a_terminal(context: &TestContext, args: &str, typed: &str) -> (bool, String) {
    let ristretto = context.ristretto();
    let mut command = Command::new("script");
    command
        .args([
            "-qec",
            &format!("{} {args}", env!("CARGO_BIN_EXE_ristretto")),
            "/dev/null",
        ])
        .current_dir(context.dir.path())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in ristretto.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    let mut child = command.spawn().expect("run script(1)");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(typed.as_bytes()).expect("type");
    }
    let output = child.wait_with_output().expect("script output");
    (output.status.success(), text(&output.stdout))
}

#[tokio::test]
async fn a_task_is_asked_for_on_a_terminal_and_refused_clearly_elsewhere() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[]));
    let tasks = context
        .ecs()
        .await
        .list_tasks()
        .cluster("e2e")
        .service_name("web")
        .send()
        .await
        .expect("list tasks");
    let mut ids: Vec<String> = tasks
        .task_arns()
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 2, "two running tasks: {ids:?}");
    let wanted = &ids[1];

    let refused = context.run(&["tasks", "find"], &[]);
    assert_failure(
        &refused,
        "2 candidates and no way to choose one: give --id, set --filter-command",
    );

    let (ok, shown) = on_a_terminal(&context, "tasks find", &format!("zz\n{wanted}\n"));
    assert!(ok, "{shown}");
    assert!(shown.contains("Enter task ID: "), "{shown}");
    assert!(shown.contains("no such item zz"), "{shown}");
    assert!(shown.contains(&format!("task ID={wanted}")), "{shown}");
    assert!(
        shown.contains(&format!("/{wanted}\"")),
        "the chosen task is printed: {shown}"
    );
    assert!(!shown.contains(&format!("/{}\"", ids[0])), "{shown}");

    // exec: the same choice, before anything is asked of ECS Exec.
    context.write("bin/session-manager-plugin", "#!/bin/sh\nexit 0\n");
    let plugin = context.path("bin/session-manager-plugin");
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        context.path("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let refused = context.run(&["exec", "--command", "sh"], &[("PATH", path.as_str())]);
    assert_failure(&refused, "2 candidates and no way to choose one");
    assert!(context.calls("ExecuteCommand").is_empty());
    let picked = context.run(
        &["exec", "--command", "sh", "--filter-command", "tail -n 1"],
        &[("PATH", path.as_str())],
    );
    assert_eq!(
        context.calls("ExecuteCommand").len(),
        1,
        "the filter command chose a task and ECS Exec was asked: {}",
        text(&picked.stderr)
    );
}
