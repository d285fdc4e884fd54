//! Listing the tasks of the configured service and of its task definition family (running and
//! stopped, newest first), finding one by id, and describing a task's lifecycle and exit codes.

use aws_sdk_ecs::types::Task;

use crate::app::App;
use crate::deploy::{Error, aws_error};

/// The service's tasks and the standalone tasks of its family (running and stopped).
pub async fn list(app: &App<'_>) -> Result<Vec<Task>, Error> {
    let ecs = &app.clients.ecs;
    let (family, _) = crate::deploy::revisions::service_family(app).await?;
    let service = app.config.file.service.clone().filter(|s| !s.is_empty());
    let mut arns = Vec::new();
    for status in [
        aws_sdk_ecs::types::DesiredStatus::Running,
        aws_sdk_ecs::types::DesiredStatus::Stopped,
    ] {
        let mut request = ecs
            .list_tasks()
            .cluster(app.cluster())
            .desired_status(status.clone())
            .family(&family);
        let output = request
            .clone()
            .send()
            .await
            .map_err(|err| aws_error("ListTasks", &err, &[]))?;
        arns.extend(output.task_arns().iter().cloned());
        if let Some(service) = &service {
            request = ecs
                .list_tasks()
                .cluster(app.cluster())
                .desired_status(status)
                .service_name(service);
            if let Ok(output) = request.send().await {
                arns.extend(output.task_arns().iter().cloned());
            }
        }
    }
    arns.sort();
    arns.dedup();
    let mut tasks = crate::deploy::service::describe_tasks(app, &arns).await?;
    // Tasks of other services sharing the family are not ours.
    tasks.retain(|t| {
        let group = t.group().unwrap_or_default();
        !group.starts_with("service:")
            || service
                .as_deref()
                .is_some_and(|s| group == format!("service:{s}"))
    });
    // Newest first: the task just run, or just started by a deployment, is on top.
    tasks.sort_by_key(|t| {
        std::cmp::Reverse(t.created_at().map(|c| c.as_nanos()).unwrap_or_default())
    });
    Ok(tasks)
}

/// The exit codes of the task's containers that have one (`app=0 sidecar=137`).
pub fn exit_codes(task: &Task) -> String {
    task.containers()
        .iter()
        .filter_map(|c| Some(format!("{}={}", c.name()?, c.exit_code()?)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The task of `tasks` whose ARN or id is `id`.
pub fn find<'t>(tasks: &'t [Task], id: &str) -> Result<&'t Task, Error> {
    tasks
        .iter()
        .find(|t| {
            t.task_arn()
                .is_some_and(|arn| arn == id || short(arn) == id)
        })
        .ok_or_else(|| Error::Invalid(format!("no task `{id}` of this service or its family")))
}

/// The task's lifecycle as timestamped lines, oldest first, then each container's outcome.
pub fn timeline(task: &Task) -> String {
    let time = |t: Option<&aws_smithy_types::DateTime>| t.map(crate::deploy::format_time);
    let mut events: Vec<(String, String)> = [
        (time(task.created_at()), "created".to_owned()),
        (
            time(task.pull_started_at()),
            "image pull started".to_owned(),
        ),
        (
            time(task.pull_stopped_at()),
            "image pull finished".to_owned(),
        ),
        (time(task.started_at()), "started".to_owned()),
        (time(task.stopping_at()), "stopping".to_owned()),
        (
            time(task.execution_stopped_at()),
            "execution stopped".to_owned(),
        ),
        (
            time(task.stopped_at()),
            format!(
                "stopped{}{}",
                task.stop_code()
                    .map_or_else(String::new, |c| format!(" ({})", c.as_str())),
                task.stopped_reason()
                    .map_or_else(String::new, |r| format!(": {r}"))
            ),
        ),
    ]
    .into_iter()
    .filter_map(|(at, what)| at.map(|at| (at, what)))
    .collect();
    // Stable: events at the same second keep their lifecycle order.
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = format!(
        "task {} ({}) {}\n",
        short(task.task_arn().unwrap_or_default()),
        short(task.task_definition_arn().unwrap_or_default()),
        task.last_status().unwrap_or_default()
    );
    for (at, what) in events {
        out.push_str(&format!("{at} {what}\n"));
    }
    for container in task.containers() {
        let exit = container
            .exit_code()
            .map_or_else(|| "no exit code".to_owned(), |c| format!("exit code {c}"));
        let reason = container
            .reason()
            .map_or_else(String::new, |r| format!(": {r}"));
        out.push_str(&format!(
            "container {} {} {exit}{reason}\n",
            container.name().unwrap_or_default(),
            container.last_status().unwrap_or_default()
        ));
    }
    out
}

/// The last part of an ARN (a task id, a `family:revision`).
pub fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Stops `task` with `reason` (StopTask) and says so.
pub async fn stop(app: &App<'_>, task: &Task, reason: &str) -> Result<(), Error> {
    let arn = task.task_arn().ok_or_else(|| {
        Error::Invalid("DescribeTasks answered a task without its ARN".to_owned())
    })?;
    app.clients
        .ecs
        .stop_task()
        .cluster(app.cluster())
        .task(arn)
        .reason(reason)
        .send()
        .await
        .map_err(|err| aws_error("StopTask", &err, &[]))?;
    app.info(format!(
        "task {} is stopping",
        crate::deploy::poll::short_id(arn)
    ));
    Ok(())
}
