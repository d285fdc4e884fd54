//! `run` (one-off tasks, e.g. migrations) against the emulator: a container exiting non-zero
//! makes `run` exit 1 and print the code, a successful run prints the log lines of its awslogs
//! stream, a task that fails to start is an error with the reason, and a dry run runs nothing.

use crate::support::{TestContext, assert_failure, assert_success, text};

const TASK_DEFINITION: &str = r#"{"family": "migrate", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "migrator:{{ env `TAG` `1` }}", "memory": 128, "essential": true,
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/migrate", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "migrate"}}}]}"#;

/// A one-off task setup: family `migrate` (container `app`, awslogs) on a Fargate network.
pub(crate) async fn setup() -> TestContext {
    let context = TestContext::with_aws();
    let (subnets, group) = context.default_network();
    context.write("ecspresso.yml", "region: ap-northeast-1\ncluster: e2e\nservice: migrate\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n");
    context.write("td.json", TASK_DEFINITION);
    context.write(
        "sd.json",
        &serde_json::json!({"launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}}}).to_string(),
    );
    context.create_cluster().await;
    context
}

#[tokio::test]
async fn exit_codes_logs_failures_and_dry_runs() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "logs": ["applying 12 migrations", "done"]}),
    );
    let output = context.run(&["run"], &[]);
    assert_success(&output);
    // The watched container's log lines are results: on stdout, as ecspresso prints them.
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("applying 12 migrations\n") && stdout.contains("done\n"),
        "{stdout}"
    );

    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 3, "logs": ["constraint violation"]}),
    );
    let output = context.run(&["run", "--revision", "1"], &[]);
    assert_failure(&output, "container `app` exited with code 3");
    assert!(
        text(&output.stdout).contains("constraint violation"),
        "{}",
        text(&output.stdout)
    );

    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "failToStart": true, "reason": "CannotPullContainerError: pull access denied"}),
    );
    assert_failure(
        &context.run(&["run", "--latest-task-definition"], &[]),
        "failed to start: CannotPullContainerError",
    );

    let before = context.calls("RunTask").len();
    let output = context.run(
        &[
            "run",
            "--dry-run",
            "--overrides",
            r#"{"containerOverrides": [{"name": "app", "command": ["migrate", "up"]}]}"#,
        ],
        &[("TAG", "2")],
    );
    assert_success(&output);
    assert!(
        text(&output.stdout).contains("\"migrate\""),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(
        context.calls("RunTask").len(),
        before,
        "a dry run runs nothing"
    );
    assert_failure(
        &context.run(
            &["run", "--watch-container", "nope", "--revision", "1"],
            &[],
        ),
        "no container `nope`",
    );
}

#[tokio::test]
async fn logs_of_a_task_that_logged_nothing_say_so_and_succeed() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0}),
    );
    assert_success(&context.run(&["run"], &[]));
    let list = context.run(&["tasks", "--output", "tsv"], &[]);
    let id = text(&list.stdout)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();
    for command in [&["tasks", "logs", "--id"][..], &["tasks", "trace", "--id"]] {
        let mut args = command.to_vec();
        args.push(&id);
        let output = context.run(&args, &[]);
        assert_success(&output);
        assert!(
            text(&output.stderr).contains("no log events for container app of task"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[tokio::test]
async fn tasks_list_find_logs_and_stop() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "logs": ["hello from the task"]}),
    );
    assert_success(&context.run(&["run"], &[]));
    let list = context.run(&["tasks", "--output", "tsv"], &[]);
    assert_success(&list);
    let listing = text(&list.stdout);
    let id = listing.split('\t').next().unwrap_or_default().to_owned();
    assert!(
        listing.contains("migrate:1") && listing.contains("STOPPED") && listing.contains("\tapp=0"),
        "with each container's exit code: {listing}"
    );
    let before = context.run(&["tasks", "--id", &id, "find"], &[]);
    assert_success(&before);
    let found = context.run(&["tasks", "find", "--id", &id], &[]);
    assert_success(&found);
    assert!(
        text(&found.stdout).contains("\"lastStatus\": \"STOPPED\""),
        "{}",
        text(&found.stdout)
    );
    let logs = context.run(&["tasks", "logs", "--id", &id], &[]);
    assert_success(&logs);
    assert_eq!(text(&logs.stdout), "hello from the task\n");
    let recent = context.run(&["tasks", "logs", "--id", &id, "--duration", "1h"], &[]);
    assert_eq!(text(&recent.stdout), "hello from the task\n");
    let future = context.run(
        &[
            "tasks",
            "logs",
            "--id",
            &id,
            "--start-time",
            "2100-01-01T00:00:00Z",
        ],
        &[],
    );
    assert_success(&future);
    assert_eq!(text(&future.stdout), "", "nothing logged after 2100");
    assert_failure(
        &context.run(
            &["tasks", "logs", "--id", &id, "--start-time", "yesterday"],
            &[],
        ),
        "`yesterday` is not an RFC 3339 time",
    );
    let picked = context.run(
        &[
            "--filter-command",
            "grep STOPPED | head -n 1",
            "tasks",
            "find",
        ],
        &[],
    );
    assert_success(&picked);
    assert!(
        text(&picked.stdout).contains(&id),
        "{}",
        text(&picked.stdout)
    );
    // The only task is taken without asking, as ecsta does (even with a filter command that
    // would choose nothing); several tasks are asked for (tests/e2e/choose.rs).
    for env in [&[][..], &[("RISTRETTO_FILTER_COMMAND", "grep NOTHING")][..]] {
        let only = context.run(&["tasks", "find"], env);
        assert_success(&only);
        assert!(text(&only.stdout).contains(&id), "{}", text(&only.stdout));
    }
    let trace = context.run(&["tasks", "trace", "--id", &id], &[]);
    assert_success(&trace);
    let trace = text(&trace.stdout);
    for expected in [
        " created\n",
        " started\n",
        " stopped (EssentialContainerExited)",
        "container app STOPPED exit code 0",
        "hello from the task\n",
    ] {
        assert!(trace.contains(expected), "{expected}: {trace}");
    }

    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "running_polls": 1000}),
    );
    assert_success(&context.run(&["run", "--no-wait", "--revision", "1"], &[]));
    let listing = text(&context.run(&["tasks", "--output", "tsv"], &[]).stdout);
    let running = listing
        .lines()
        .find(|l| l.contains("RUNNING"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!running.is_empty(), "a running task: {listing}");
    assert_failure(
        &context.run(&["tasks", "stop", "--id", &running], &[]),
        "needs confirmation, but stdin is not a terminal: pass --force",
    );
    assert_success(&context.run(&["tasks", "stop", "--force", "--id", &running], &[]));
    let after = context
        .ecs()
        .await
        .describe_tasks()
        .cluster("e2e")
        .tasks(&running)
        .send()
        .await
        .expect("describe");
    assert_eq!(after.tasks()[0].desired_status(), Some("STOPPED"));
    assert_failure(
        &context.run(&["tasks", "find", "--id", "nope"], &[]),
        "no task `nope`",
    );

    // ecspresso v2's hidden flags still work.
    let found = context.run(&["tasks", "--find", "--id", &running], &[]);
    assert_success(&found);
    assert!(
        text(&found.stdout).contains(&format!("\"taskArn\": \"{}", "arn:aws:ecs:")),
        "{}",
        text(&found.stdout)
    );
    assert_success(&context.run(&["run", "--no-wait", "--revision", "1"], &[]));
    let listing = text(&context.run(&["tasks", "--output", "tsv"], &[]).stdout);
    let second = listing
        .lines()
        .find(|l| l.contains("RUNNING"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!second.is_empty(), "a running task: {listing}");
    assert_failure(
        &context.run(&["tasks", "--stop", "stop", "--id", &second], &[]),
        "give either the `stop` subcommand or the --find/--stop/--trace flag, not both",
    );
    assert_success(&context.run(&["tasks", "--stop", "--force", "--id", &second], &[]));
    let after = context
        .ecs()
        .await
        .describe_tasks()
        .cluster("e2e")
        .tasks(&second)
        .send()
        .await
        .expect("describe");
    assert_eq!(after.tasks()[0].desired_status(), Some("STOPPED"));
}

#[tokio::test]
async fn tasks_logs_follow_prints_lines_until_the_task_stops() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "running_polls": 3,
            "logs": ["step 1", "step 2", "step 3", "step 4", "step 5", "step 6"]}),
    );
    assert_success(&context.run(&["run", "--no-wait"], &[]));
    let listing = text(&context.run(&["tasks", "--output", "tsv"], &[]).stdout);
    let id = listing
        .lines()
        .find(|l| l.contains("RUNNING"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!id.is_empty(), "a running task: {listing}");
    let partial = context.run(&["tasks", "logs", "--id", &id], &[]);
    assert_success(&partial);
    assert_ne!(
        text(&partial.stdout).lines().count(),
        6,
        "not all lines are written while the task runs: {}",
        text(&partial.stdout)
    );
    let followed = context.run(&["tasks", "logs", "--follow", "--id", &id], &[]);
    assert_success(&followed);
    assert_eq!(
        text(&followed.stdout),
        "step 1\nstep 2\nstep 3\nstep 4\nstep 5\nstep 6\n"
    );
}

#[tokio::test]
async fn exec_needs_the_session_manager_plugin() {
    let context = setup().await;
    let output = context.run(
        &["exec", "run", "--command", "sh"],
        &[("PATH", "/usr/bin:/bin")],
    );
    assert_failure(
        &output,
        "ECS Exec needs the AWS session-manager-plugin on PATH",
    );
    assert!(
        context.calls("ExecuteCommand").is_empty(),
        "nothing was called"
    );
    let output = context.run(
        &[
            "exec",
            "portforward",
            "--port",
            "5432",
            "--host",
            "db.internal",
        ],
        &[("PATH", "/usr/bin:/bin")],
    );
    assert_failure(
        &output,
        "ECS Exec needs the AWS session-manager-plugin on PATH",
    );
    assert!(
        context.calls("StartSession").is_empty(),
        "nothing was called"
    );
    let output = context.run(&["exec", "portforward", "--port", "http"], &[]);
    assert_failure(&output, "invalid value 'http' for '--port <PORT>'");
    let output = context.run(
        &["exec", "portforward", "-L", "15432:db.internal:5432"],
        &[("PATH", "/usr/bin:/bin")],
    );
    assert_failure(&output, "session-manager-plugin on PATH");
    let output = context.run(&["exec", "portforward", "-L", "15432:5432"], &[]);
    assert_failure(&output, "`15432:5432` is not LOCAL_PORT:HOST:PORT");
}

#[tokio::test]
async fn run_passes_ebs_volumes_with_their_termination_policy() {
    let context = setup().await;
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(context.path("sd.json")).expect("sd"))
            .expect("json");
    let mut settings = settings;
    settings["volumeConfigurations"] = serde_json::json!([{"name": "scratch", "managedEBSVolume": {
        "roleArn": "arn:aws:iam::123456789012:role/ecs-infra", "sizeInGiB": 20, "volumeType": "gp3"}}]);
    context.write("sd.json", &settings.to_string());
    let output = context.run(&["run", "--dry-run"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("\"deleteOnTermination\": true") && stdout.contains("\"sizeInGiB\": 20"),
        "{stdout}"
    );
    let output = context.run(&["run", "--dry-run", "--no-ebs-delete-on-termination"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stdout).contains("\"deleteOnTermination\": false"),
        "{}",
        text(&output.stdout)
    );
}

/// A task definition with a non-essential sidecar listed first and `app` logging to
/// `us-west-2`, registered as migrate:1 (the revision later runs use).
async fn sidecar_first(context: &TestContext) {
    context.write(
        "td.json",
        r#"{"family": "migrate", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
  "containerDefinitions": [
    {"name": "log-router", "image": "fluent-bit", "memory": 64, "essential": false},
    {"name": "app", "image": "migrator:1", "memory": 128,
     "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/migrate", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "migrate"}}}]}"#,
    );
    assert_success(&context.run(&["register"], &[]));
}

#[tokio::test]
async fn the_first_essential_container_decides_with_its_logs_and_the_stop_reason() {
    let context = setup().await;
    sidecar_first(&context).await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 137, "logs": ["migration FAILED"],
                           "reason": "OutOfMemoryError: Container killed due to memory usage"}),
    );
    let output = context.run(&["run", "--revision", "1"], &[]);
    assert_failure(
        &output,
        "container `app` exited with code 137; the task stopped: OutOfMemoryError: Container killed due to memory usage",
    );
    assert!(
        text(&output.stdout).contains("migration FAILED"),
        "the logs are read in the container's awslogs region: {}",
        text(&output.stdout)
    );

    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "logs": ["a", "b"]}),
    );
    let output = context.run(&["run", "--revision", "1", "--count", "2"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert_eq!(
        stdout.matches("] a\n").count(),
        2,
        "one line per task, each labelled with its task: {stdout}"
    );
    assert!(stdout.contains("[app "), "{stdout}");
}

#[tokio::test]
async fn wait_until_running_reports_tasks_that_never_ran_or_already_failed() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "failToStart": true, "reason": "ResourceInitializationError: unable to pull secrets"}),
    );
    assert_failure(
        &context.run(&["run", "--wait-until", "running"], &[]),
        "failed to start: ResourceInitializationError: unable to pull secrets",
    );
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 7, "running_polls": 0}),
    );
    assert_failure(
        &context.run(&["run", "--revision", "1", "--wait-until", "running"], &[]),
        "container `app` exited with code 7",
    );
    context.control(
        "/_emulator/ecs/task-outcome",
        serde_json::json!({"family": "migrate", "exitCode": 0, "running_polls": 1000}),
    );
    let output = context.run(&["run", "--revision", "1", "--wait-until", "running"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stderr).contains(" is running"),
        "{}",
        text(&output.stderr)
    );
    assert_failure(
        &context.run(&["run", "--no-wait", "--wait-until", "running"], &[]),
        "cannot be used with",
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_registered_or_run() {
    let context = setup().await;
    assert_success(&context.run(&["register"], &[]));
    let writes = |context: &TestContext| {
        context.calls("RegisterTaskDefinition").len() + context.calls("RunTask").len()
    };
    let before = writes(&context);
    context.write(
        "overrides.json",
        "{\n  \"containerOverrides\": [\n    {\"name\": \"app\", \"command\": \"migrate\"}\n  ]\n}\n",
    );
    for (args, expected) in [
        (
            vec!["run", "--overrides-file", "overrides.json"],
            "overrides.json:3: containerOverrides[0].command: expected a list",
        ),
        (
            vec!["run", "--watch-container", "App"],
            "--watch-container: no container `App` in td.json (containers: app); nothing was run",
        ),
        (
            vec![
                "run",
                "--overrides",
                r#"{"containerOverides": [{"name": "app", "command": ["x"]}]}"#,
            ],
            "--overrides: containerOverides: unknown key `containerOverides` (did you mean `containerOverrides`?)",
        ),
        (
            vec![
                "run",
                "--overrides",
                r#"{"containerOverrides": [{"name": "app", "comand": ["x"]}]}"#,
            ],
            "--overrides: containerOverrides[0].comand: unknown key `comand`",
        ),
        (
            vec![
                "run",
                "--overrides",
                r#"{"containerOverrides": [{"name": "worker", "command": ["x"]}]}"#,
            ],
            "--overrides: containerOverrides[0].name: no container `worker` in td.json (containers: app)",
        ),
        (
            vec!["run", "--overrides", "[1, 2]"],
            "--overrides: a TaskOverride must be a JSON object",
        ),
        (
            vec!["run", "--revision", "1", "--watch-container", "App"],
            "no container `App` in migrate:1",
        ),
        (
            vec!["run", "--revision", "9"],
            "task definition migrate:9 not found",
        ),
        (vec!["run", "--tags", "=x"], "--tags: every tag needs a key"),
        (
            vec![
                "run",
                "--overrides",
                r#"{"containerOverrides": [{"name": "app", "resourceRequirements": [{"tpye": "GPU", "value": "1"}]}]}"#,
            ],
            "--overrides: containerOverrides[0].resourceRequirements[0].tpye: unknown key `tpye`",
        ),
        (
            vec![
                "run",
                "--overrides",
                r#"{"containerOverrides": [{"command": ["x"]}]}"#,
            ],
            "--overrides: containerOverrides[0].name is required",
        ),
    ] {
        assert_failure(&context.run(&args, &[]), expected);
    }
    assert_eq!(writes(&context), before, "nothing was registered or run");

    let pascal = context.run(
        &[
            "run",
            "--dry-run",
            "--overrides",
            r#"{"ContainerOverrides": [{"Name": "app", "Command": ["migrate", "up"]}]}"#,
        ],
        &[],
    );
    assert_success(&pascal);
    assert!(
        text(&pascal.stdout).contains("\"up\""),
        "PascalCase overrides are kept, as in ecspresso: {}",
        text(&pascal.stdout)
    );

    for service_definition in [
        r#"{"launchType": "FARGATE"}"#,
        r#"{"launchType": "FARGATE", "networkConfiguration": {}}"#,
        r#"{"launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": []}}}"#,
    ] {
        context.write("sd.json", service_definition);
        assert_failure(
            &context.run(&["run"], &[]),
            "td.json uses networkMode awsvpc, so RunTask needs a networkConfiguration",
        );
    }
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: no-such-cluster\nservice: migrate\ntask_definition: td.json\ntimeout: 2m\n",
    );
    assert_failure(
        &context.run(&["run"], &[]),
        "cluster `no-such-cluster` not found",
    );
    assert_eq!(writes(&context), before, "nothing was registered or run");
}
