//! A task's container log (`tasks logs`, `tasks trace`): where the awslogs driver writes it, and
//! reading it page by page, following it until the task stops. Lines go out as
//! `Event::TaskLog` (stdout), so `ristretto tasks logs > file` captures them.

use crate::app::App;
use crate::deploy::poll::short_id;
use crate::deploy::{Error, aws_error};
use crate::events::Event;

/// Reports the task's awslogs lines (as `Event::TaskLog`, printed on stdout), page by page (GetLogEvents forward tokens); with `follow`,
/// keeps polling every 2 s until the task has stopped and every line is printed;
/// `since_millis` skips older lines.
pub async fn follow_logs(
    app: &App<'_>,
    task: &aws_sdk_ecs::types::Task,
    container: Option<&str>,
    follow: bool,
    since_millis: Option<i64>,
) -> Result<(), Error> {
    let LogSource {
        group,
        stream,
        region,
        container,
    } = log_source(app, task, container).await?;
    let logs = app.clients.logs_in(region.as_deref());
    let task_arn = task
        .task_arn()
        .ok_or_else(|| Error::Invalid("DescribeTasks answered a task without its ARN".to_owned()))?
        .to_owned();
    let mut token: Option<String> = None;
    let mut stopped = task.last_status() == Some("STOPPED");
    loop {
        let output = logs
            .get_log_events()
            .log_group_name(&group)
            .log_stream_name(&stream)
            .start_from_head(true)
            .set_start_time(since_millis)
            .set_next_token(token.clone())
            .send()
            .await;
        let output = match output {
            Ok(output) => output,
            Err(err) if follow && !stopped && is_missing_stream(&err) => {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                stopped = task_stopped(app, &task_arn).await?;
                continue;
            }
            Err(err) if token.is_none() && is_missing_stream(&err) => {
                // A task that has not logged yet (or a container that never did) has no stream.
                app.warn(format!(
                    "no log events for container {} of task {} (log stream {stream} in {group}: {})",
                    container,
                    short_id(&task_arn),
                    crate::aws::describe_error(&err)
                ));
                return Ok(());
            }
            Err(err) => {
                return Err(Error::Invalid(format!(
                    "GetLogEvents {group} {stream}: {}",
                    crate::aws::describe_error(&err)
                )));
            }
        };
        if token.is_none() && output.events().is_empty() && !follow {
            app.info(format!(
                "no log events in {group} {stream}{}",
                if since_millis.is_some() {
                    " in the time asked for"
                } else {
                    ""
                }
            ));
        }
        for event in output.events() {
            app.emit(Event::TaskLog(
                event.message().unwrap_or_default().to_owned(),
            ));
        }
        let next = output.next_forward_token().map(str::to_owned);
        let caught_up = next.is_none() || next == token;
        token = next;
        if !caught_up {
            continue;
        }
        if !follow || stopped {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        stopped = task_stopped(app, &task_arn).await?;
    }
}

/// Where the awslogs driver writes a container's log: group, stream and region.
struct LogSource {
    group: String,
    stream: String,
    region: Option<String>,
    container: String,
}

/// The log stream of `container` (default: the first that logs with awslogs) of `task`.
async fn log_source(
    app: &App<'_>,
    task: &aws_sdk_ecs::types::Task,
    container: Option<&str>,
) -> Result<LogSource, Error> {
    let described = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(task.task_definition_arn().ok_or_else(|| {
            Error::Invalid("DescribeTasks answered a task without its task definition".to_owned())
        })?)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))?;
    let definitions = described
        .task_definition()
        .map(|t| t.container_definitions())
        .unwrap_or_default();
    let awslogs = |c: &&aws_sdk_ecs::types::ContainerDefinition| {
        c.log_configuration()
            .is_some_and(|l| l.log_driver().as_str() == "awslogs")
    };
    let names = || {
        definitions
            .iter()
            .filter_map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen = match container {
        Some(name) => {
            let found = definitions
                .iter()
                .find(|c| c.name() == Some(name))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "no container `{name}` in the task (containers: {})",
                        names()
                    ))
                })?;
            if !awslogs(&found) {
                return Err(Error::Invalid(format!(
                    "container `{name}` does not log with the awslogs driver"
                )));
            }
            found
        }
        None => definitions.iter().find(awslogs).ok_or_else(|| {
            Error::Invalid(format!(
                "no container of the task logs with the awslogs driver (containers: {})",
                names()
            ))
        })?,
    };
    let name = chosen.name().unwrap_or_default().to_owned();
    let missing = |what: &str| {
        Error::Invalid(format!(
            "container `{name}` logs with awslogs but its task definition has no `{what}` option"
        ))
    };
    let options = chosen
        .log_configuration()
        .and_then(|l| l.options())
        .ok_or_else(|| missing("awslogs-group"))?;
    let group = options
        .get("awslogs-group")
        .ok_or_else(|| missing("awslogs-group"))?;
    let prefix = options
        .get("awslogs-stream-prefix")
        .ok_or_else(|| missing("awslogs-stream-prefix"))?;
    let task_id = short_id(task.task_arn().ok_or_else(|| {
        Error::Invalid("DescribeTasks answered a task without its ARN".to_owned())
    })?);
    Ok(LogSource {
        stream: format!("{prefix}/{name}/{task_id}"),
        group: group.clone(),
        region: options.get("awslogs-region").cloned(),
        container: name,
    })
}

/// Whether CloudWatch Logs answered that the group or stream does not exist (yet).
fn is_missing_stream<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata as _;
    err.code() == Some("ResourceNotFoundException")
}

/// Whether the task has stopped (or is gone).
async fn task_stopped(app: &App<'_>, task_arn: &str) -> Result<bool, Error> {
    let output = app
        .clients
        .ecs
        .describe_tasks()
        .cluster(app.cluster())
        .tasks(task_arn)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTasks", &err, &[]))?;
    Ok(output
        .tasks()
        .first()
        .is_none_or(|t| t.last_status() == Some("STOPPED")))
}
