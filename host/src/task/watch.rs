//! What `run` knows about the task definition before it runs anything (containers, which one to
//! watch, where its awslogs stream lives, the network mode), and how it follows the tasks once
//! they run: tails the watched container's logs, waits until they run or stop, and judges the
//! outcome — a task that failed to start or a watched container that exited non-zero is a
//! failure, with ECS's reasons.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::Task;
use serde_json::Value;

use crate::app::App;
use crate::deploy::Error;
use crate::deploy::poll::short_id;
use crate::events::Event;

/// Until when `run` waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunWait {
    /// Do not wait.
    No,
    /// Until the tasks run.
    Running,
    /// Until the tasks stopped (the default).
    Stopped,
}

/// One container of the task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedContainer {
    pub(crate) name: String,
    pub(crate) essential: bool,
    pub(crate) logs: Option<LogStream>,
}

/// Where an awslogs container writes: `group`, `prefix/CONTAINER/TASK-ID` in `region`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogStream {
    pub(crate) group: String,
    pub(crate) prefix: String,
    pub(crate) region: Option<String>,
}

/// The task definition as `run` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// `family:revision` or the file, for messages.
    pub(crate) label: String,
    pub(crate) containers: Vec<PlannedContainer>,
    pub(crate) network_mode: Option<String>,
}

impl Plan {
    /// Reads a task definition in API JSON shape (a local file or DescribeTaskDefinition).
    pub(crate) fn from_json(value: &Value, label: String) -> Self {
        let containers = value
            .get("containerDefinitions")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|c| {
                let options = c.pointer("/logConfiguration/options");
                let option = |key: &str| {
                    options
                        .and_then(|o| o.get(key))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                let awslogs = c.pointer("/logConfiguration/logDriver") == Some(&"awslogs".into());
                PlannedContainer {
                    name: c
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    essential: c.get("essential").and_then(Value::as_bool) != Some(false),
                    logs: match (
                        awslogs,
                        option("awslogs-group"),
                        option("awslogs-stream-prefix"),
                    ) {
                        (true, Some(group), Some(prefix)) => Some(LogStream {
                            group,
                            prefix,
                            region: option("awslogs-region"),
                        }),
                        _ => None,
                    },
                }
            })
            .collect();
        Self {
            label,
            containers,
            network_mode: value
                .get("networkMode")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The container to watch: `wanted`, else the first essential one.
    pub(crate) fn watched(&self, wanted: Option<&str>) -> Result<&PlannedContainer, Error> {
        match wanted {
            Some(name) => self.container(name).ok_or_else(|| {
                Error::Invalid(format!(
                    "--watch-container: no container `{name}` in {} (containers: {}); nothing was run",
                    self.label,
                    self.names()
                ))
            }),
            None => self
                .containers
                .iter()
                .find(|c| c.essential)
                .or(self.containers.first())
                .ok_or_else(|| Error::Invalid(format!("{} has no container", self.label))),
        }
    }

    /// The container called `name`.
    pub(crate) fn container(&self, name: &str) -> Option<&PlannedContainer> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// The container names, comma-separated.
    pub(crate) fn names(&self) -> String {
        let names: Vec<&str> = self.containers.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }
}

/// The watched container and a CloudWatch Logs client for its log region.
pub(crate) struct Watch {
    pub(crate) name: String,
    logs: Option<(LogStream, aws_sdk_cloudwatchlogs::Client)>,
    /// Prefix log lines with the task id (several tasks).
    per_task: bool,
}

impl Watch {
    /// Watches `container`; its logs are read in the awslogs region when it differs from the
    /// config's.
    pub(crate) fn new(app: &App<'_>, container: &PlannedContainer, tasks: usize) -> Self {
        let logs = container.logs.clone().map(|stream| {
            let client = app.clients.logs_in(stream.region.as_deref());
            (stream, client)
        });
        Self {
            name: container.name.clone(),
            logs,
            per_task: tasks > 1,
        }
    }
}

/// Waits until every task runs (or stopped) or stopped, tailing the watched container's logs.
/// A SIGINT/SIGTERM ends the wait at any point (mid-request too) with the tasks' last states.
pub(crate) async fn wait_tasks(
    app: &App<'_>,
    arns: &[String],
    until: RunWait,
    watch: &Watch,
) -> Result<Vec<Task>, Error> {
    let mut last = Vec::new();
    let signal = {
        let polling = poll_tasks(app, arns, until, watch, &mut last);
        tokio::pin!(polling);
        tokio::select! {
            result = &mut polling => return result,
            signal = crate::interrupt::received() => signal,
        }
    };
    Err(still_running(
        &last,
        until,
        format!("stopped by {}", signal.name()),
        Some(signal),
    ))
}

/// The tasks did not get to `until`: they keep running, and the error says how to stop them.
fn still_running(
    tasks: &[Task],
    until: RunWait,
    why: String,
    signal: Option<crate::interrupt::Signal>,
) -> Error {
    Error::TasksStillRunning {
        why,
        signal,
        until: if until == RunWait::Running {
            "running"
        } else {
            "stopped"
        }
        .to_owned(),
        pending: states(tasks),
    }
}

/// Polls the tasks until they get to `until` (or the command's timeout), keeping the latest
/// description in `last`.
async fn poll_tasks(
    app: &App<'_>,
    arns: &[String],
    until: RunWait,
    watch: &Watch,
    last: &mut Vec<Task>,
) -> Result<Vec<Task>, Error> {
    let started = Instant::now();
    let mut tokens: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut warned = false;
    loop {
        let output = app
            .clients
            .ecs
            .describe_tasks()
            .cluster(app.cluster())
            .set_tasks(Some(arns.to_vec()))
            .send()
            .await
            .map_err(|err| crate::deploy::aws_error("DescribeTasks", &err, &[]))?;
        let tasks = output.tasks().to_vec();
        last.clone_from(&tasks);
        for task in &tasks {
            tail_logs(app, task, watch, &mut tokens, &mut warned).await;
        }
        let done = match until {
            RunWait::Running => tasks
                .iter()
                .all(|t| matches!(t.last_status(), Some("RUNNING" | "STOPPED"))),
            _ => tasks.iter().all(|t| t.last_status() == Some("STOPPED")),
        };
        if done && !tasks.is_empty() {
            return Ok(tasks);
        }
        let interval = if started.elapsed() < Duration::from_secs(60) {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(5)
        };
        if app.remaining() <= interval {
            return Err(still_running(
                &tasks,
                until,
                format!(
                    "timed out after {} (config `timeout` or --timeout)",
                    crate::config::format_duration(app.config.file.timeout)
                ),
                None,
            ));
        }
        tokio::time::sleep(interval).await;
    }
}

fn states(tasks: &[Task]) -> String {
    let states: Vec<String> = tasks
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                short_id(t.task_arn().unwrap_or_default()),
                t.last_status().unwrap_or_default()
            )
        })
        .collect();
    states.join(", ")
}

/// Prints new log lines of the watched container of `task` (GetLogEvents from the last token).
/// A stream that does not exist yet is normal (nothing logged so far); other errors are
/// reported once.
async fn tail_logs(
    app: &App<'_>,
    task: &Task,
    watch: &Watch,
    tokens: &mut BTreeMap<String, Option<String>>,
    warned: &mut bool,
) {
    let Some((stream, client)) = &watch.logs else {
        return;
    };
    let id = short_id(task.task_arn().unwrap_or_default()).to_owned();
    let name = format!("{}/{}/{id}", stream.prefix, watch.name);
    let label = if watch.per_task {
        format!("{} {}", watch.name, &id[..id.len().min(8)])
    } else {
        watch.name.clone()
    };
    let token = tokens.entry(id).or_default();
    let mut request = client
        .get_log_events()
        .log_group_name(&stream.group)
        .log_stream_name(&name)
        .start_from_head(true);
    if let Some(token) = token.as_ref() {
        request = request.next_token(token);
    }
    match request.send().await {
        Ok(output) => {
            for event in output.events() {
                let message = event.message().unwrap_or_default();
                app.emit(Event::TaskLog(if watch.per_task {
                    format!("[{label}] {message}")
                } else {
                    message.to_owned()
                }));
            }
            *token = output.next_forward_token().map(str::to_owned);
        }
        Err(err) => {
            let not_yet = err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception());
            let message = format!(
                "cannot read the logs of {} ({name}): {}",
                watch.name,
                crate::aws::describe_error(&err)
            );
            if not_yet || *warned {
                app.emit(Event::Debug(message));
            } else {
                *warned = true;
                app.warn(message);
            }
        }
    }
}

/// Fails when a task failed to start or the watched container exited non-zero (or stopped
/// without an exit code); ECS's reasons are part of the error.
pub(crate) fn judge(tasks: &[Task], watched: &str) -> Result<(), Error> {
    for task in tasks {
        let id = short_id(task.task_arn().unwrap_or_default()).to_owned();
        let stopped = task
            .stopped_reason()
            .map_or_else(String::new, |r| format!("; the task stopped: {r}"));
        if task
            .stop_code()
            .is_some_and(|c| c.as_str() == "TaskFailedToStart")
        {
            return Err(Error::Invalid(format!(
                "task {id} failed to start: {}",
                task.stopped_reason().unwrap_or("no reason given")
            )));
        }
        let container = task.containers().iter().find(|c| c.name() == Some(watched));
        match container.and_then(|c| c.exit_code()) {
            Some(0) => {}
            Some(code) => {
                return Err(Error::Invalid(format!(
                    "task {id}: container `{watched}` exited with code {code}{}{stopped}",
                    container
                        .and_then(|c| c.reason())
                        .map_or_else(String::new, |r| format!(" ({r})"))
                )));
            }
            None => {
                return Err(Error::Invalid(format!(
                    "task {id}: container `{watched}` has no exit code ({})",
                    task.stopped_reason().unwrap_or("stopped without a reason")
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_essential_container_is_watched_by_default() {
        let plan = Plan::from_json(
            &json!({"networkMode": "awsvpc", "containerDefinitions": [
                {"name": "log-router", "essential": false},
                {"name": "app", "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/app", "awslogs-stream-prefix": "ecs", "awslogs-region": "us-west-2"}}},
            ]}),
            "migrate:1".to_owned(),
        );
        let watched = plan.watched(None).unwrap();
        assert_eq!(watched.name, "app");
        assert_eq!(
            watched.logs,
            Some(LogStream {
                group: "/ecs/app".to_owned(),
                prefix: "ecs".to_owned(),
                region: Some("us-west-2".to_owned())
            })
        );
        assert_eq!(plan.watched(Some("log-router")).unwrap().name, "log-router");
        let err = plan.watched(Some("App")).unwrap_err().to_string();
        assert_eq!(
            err,
            "--watch-container: no container `App` in migrate:1 (containers: log-router, app); nothing was run"
        );
        assert_eq!(plan.network_mode.as_deref(), Some("awsvpc"));
    }
}
