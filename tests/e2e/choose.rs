//! `exec` and `tasks find|stop|logs|trace` without `--id`, as ecspresso through ecsta: the only
//! task when there is one, the filter command when one is set, else a question on the terminal
//! (`Enter task ID: `, a unique prefix is enough), else a clear error instead of ecsta's
//! endless question to a terminal that is not there. The terminal is a real pty (`script`).

use crate::support::terminal::{on_a_terminal, on_a_terminal_with};
use crate::support::{TestContext, assert_failure, assert_success, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
/// Family web, one container `app`.
pub(crate) const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 64}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 2}"#;

/// Service web of cluster e2e deployed from `task_definition` and `service_definition`.
pub(crate) async fn deployed(task_definition: &str, service_definition: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", task_definition);
    context.write("sd.json", service_definition);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[]));
    context
}

#[tokio::test]
async fn a_task_is_asked_for_on_a_terminal_and_refused_clearly_elsewhere() {
    let context = deployed(TASK_DEFINITION, SERVICE_DEFINITION).await;
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

/// `init` without `--force-overwrite` asks per existing file on a terminal, as ecspresso's
/// `Overwrite existing file PATH? (y/n) [n]` (Songmu/prompter): `n` keeps the file (logged
/// `skip PATH`), `y` overwrites it. Off a terminal it refuses and writes nothing.
#[tokio::test]
async fn init_asks_per_existing_file_on_a_terminal() {
    let context = deployed(TASK_DEFINITION, SERVICE_DEFINITION).await;
    context.write("td.json", r#"{"marker": "old td"}"#);
    context.write("sd.json", r#"{"marker": "old sd"}"#);
    let init = "init --cluster e2e --service web --task-definition-path td.json --service-definition-path sd.json";

    let refused = context.run(&init.split(' ').collect::<Vec<_>>(), &[]);
    assert_failure(&refused, "nothing was written (use --force-overwrite");
    let read = |file: &str| std::fs::read_to_string(context.path(file)).expect("read");
    assert!(read("sd.json").contains("old sd"));

    let (ok, shown) = on_a_terminal(&context, init, "n\nmaybe\ny\n\n");
    assert!(ok, "{shown}");
    assert!(
        shown.contains("Overwrite existing file td.json? (y/n) [n]: "),
        "{shown}"
    );
    assert!(shown.contains("skip td.json"), "{shown}");
    assert_eq!(
        shown
            .matches("Overwrite existing file sd.json? (y/n) [n]: ")
            .count(),
        2,
        "an answer other than y/n asks again: {shown}"
    );
    assert!(read("td.json").contains("old td"), "kept");
    let service = read("sd.json");
    assert!(
        !service.contains("old sd") && service.contains("\"desiredCount\": 2"),
        "overwritten: {service}"
    );
    assert!(
        shown.contains("skip ecspresso.yml"),
        "empty answer is no: {shown}"
    );
    assert_eq!(read("ecspresso.yml"), CONFIG);
}

/// `exec` into a task with several containers and no `--container`, as ecsta's
/// `findContainerName` for ecspresso: the filter command picks one (or the terminal asks
/// `Enter container name: `); off a terminal without either, a clear error before ECS Exec is
/// asked. The session-manager-plugin here records its arguments: the SSM target names the
/// chosen container's runtime id.
#[tokio::test]
async fn exec_chooses_among_several_containers() {
    let context = deployed(
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 64}, {"name": "sidecar", "image": "busybox:1", "memory": 32}]}"#,
        r#"{"launchType": "EC2", "desiredCount": 1}"#,
    )
    .await;
    let recorded = context.path("plugin-args");
    context.write(
        "bin/session-manager-plugin",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            recorded.display()
        ),
    );
    std::fs::set_permissions(
        context.path("bin/session-manager-plugin"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let path = format!(
        "{}:{}",
        context.path("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ecs = context.ecs().await;
    let arns = ecs
        .list_tasks()
        .cluster("e2e")
        .service_name("web")
        .send()
        .await
        .expect("list tasks");
    let described = ecs
        .describe_tasks()
        .cluster("e2e")
        .set_tasks(Some(arns.task_arns().to_vec()))
        .send()
        .await
        .expect("describe tasks");
    let task = described.tasks().first().expect("one task");
    let task_id = task
        .task_arn()
        .and_then(|a| a.rsplit('/').next())
        .expect("id");
    let target_of = |name: &str| {
        let runtime = task
            .containers()
            .iter()
            .find(|c| c.name() == Some(name))
            .and_then(|c| c.runtime_id())
            .expect("runtime id");
        format!(r#"{{"Target":"ecs:e2e_{task_id}_{runtime}"}}"#)
    };
    let recorded_target = || std::fs::read_to_string(&recorded).unwrap_or_default();

    let refused = context.run(&["exec", "--command", "sh"], &[("PATH", path.as_str())]);
    assert_failure(
        &refused,
        "2 candidates and no way to choose one: give --container, set --filter-command (or ECSPRESSO_FILTER_COMMAND, e.g. peco or fzf), or run on a terminal to be asked for a container name",
    );
    assert!(context.calls("ExecuteCommand").is_empty());

    let picked = context.run(
        &["exec", "--command", "sh", "--filter-command", "grep side"],
        &[("PATH", path.as_str())],
    );
    assert_success(&picked);
    assert!(
        recorded_target().contains(&target_of("sidecar")),
        "{}",
        recorded_target()
    );

    let named = context.run(
        &["exec", "--command", "sh", "--container", "app"],
        &[("PATH", path.as_str())],
    );
    assert_success(&named);
    assert!(recorded_target().contains(&target_of("app")));

    std::fs::remove_file(&recorded).expect("rm");
    let (ok, shown) = on_a_terminal_with(
        &context,
        &format!("exec --command sh --id {task_id}"),
        "x\nsi\n",
        &[("PATH", path.as_str())],
    );
    assert!(ok, "{shown}");
    assert!(shown.contains("app\r\nsidecar\r\n"), "{shown}");
    assert!(shown.contains("Enter container name: "), "{shown}");
    assert!(shown.contains("no such item x"), "{shown}");
    assert!(shown.contains("container name=sidecar"), "{shown}");
    assert!(recorded_target().contains(&target_of("sidecar")));
}
