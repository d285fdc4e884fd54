//! `run`: a one-off task (e.g. a database migration) from the task definition, with the
//! network and launch settings of the service definition, as ecspresso's `run`. It waits for the
//! task, tails the watched container's awslogs stream while it runs, and fails when the task
//! failed to start or the watched container exited non-zero — so CI can trust its exit code.

use std::time::{Duration, Instant};

use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::types::{PropagateTags, Tag, Task, TaskOverride};
use serde_json::Value;

use super::deploy_run::{TaskDefinitionSource, register_from_file, register_path};
use super::{Error, aws_error, short_task_definition, task_definition::latest_revision};
use crate::app::App;
use crate::definition::from_json;
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

/// Options of `run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Report only.
    pub dry_run: bool,
    /// Which task definition.
    pub task_definition: TaskDefinitionSource,
    /// `--task-def FILE`: register this file instead of the config's task definition.
    pub task_definition_file: Option<std::path::PathBuf>,
    /// `containerOverrides` etc. (TaskOverride JSON).
    pub overrides: Option<Value>,
    /// How many tasks (1–10).
    pub count: i32,
    /// Task tags.
    pub tags: Vec<(String, String)>,
    /// `SERVICE` or `TASK_DEFINITION`.
    pub propagate_tags: Option<String>,
    /// Idempotency token.
    pub client_token: Option<String>,
    /// The container whose logs are tailed and whose exit code decides (default: the first).
    pub watch_container: Option<String>,
    /// Until when to wait.
    pub wait: RunWait,
    /// EBS volumes configured at launch (from the service definition's
    /// `volumeConfigurations`) are deleted when the task stops.
    pub ebs_delete_on_termination: bool,
}

/// The service definition's EBS volume configurations for RunTask, each with the termination
/// policy `--[no-]ebs-delete-on-termination` asks for.
fn with_termination_policy(
    volumes: Option<Vec<aws_sdk_ecs::types::TaskVolumeConfiguration>>,
    delete_on_termination: bool,
) -> Option<Vec<aws_sdk_ecs::types::TaskVolumeConfiguration>> {
    let policy = aws_sdk_ecs::types::TaskManagedEbsVolumeTerminationPolicy::builder()
        .delete_on_termination(delete_on_termination)
        .build()
        .ok();
    volumes
        .map(|volumes| {
            volumes
                .into_iter()
                .map(|mut volume| {
                    if let Some(ebs) = volume.managed_ebs_volume.as_mut() {
                        ebs.termination_policy = policy.clone();
                    }
                    volume
                })
                .collect::<Vec<_>>()
        })
        .filter(|volumes| !volumes.is_empty())
}

/// Runs the task(s). Returns the task ARNs.
pub async fn run(app: &App<'_>, options: RunOptions) -> Result<Vec<String>, Error> {
    let mut applied = Vec::new();
    let task_definition = match options.task_definition {
        TaskDefinitionSource::Register => match &options.task_definition_file {
            Some(path) => register_path(app, path, options.dry_run, &mut applied).await?,
            None => register_from_file(app, options.dry_run, &mut applied).await?,
        },
        TaskDefinitionSource::Latest => {
            latest_revision(&app.clients.ecs, &super::create::definition_family(app)?).await?
        }
        TaskDefinitionSource::Revision(n) => {
            format!("{}:{n}", super::create::definition_family(app)?)
        }
        TaskDefinitionSource::Current => {
            let service = super::describe::find_service(app).await?.ok_or_else(|| {
                Error::ServiceNotFound {
                    cluster: app.cluster().to_owned(),
                    service: app.config.file.service.clone().unwrap_or_default(),
                }
            })?;
            super::describe::primary_task_definition(&service).unwrap_or_default()
        }
    };
    let settings = match app.config.service_definition_path() {
        Some(path) => app.load_service_definition(&path)?.value,
        None => Value::Object(Default::default()),
    };
    let input: RunTaskInput = from_json(&settings, RunTaskInput::deserialize)
        .map_err(|m| Error::Invalid(format!("the service definition does not fit RunTask: {m}")))?;
    let overrides: Option<TaskOverride> = match &options.overrides {
        Some(value) => Some(
            from_json(value, TaskOverride::deserialize)
                .map_err(|m| Error::Invalid(format!("invalid overrides: {m}")))?,
        ),
        None => None,
    };
    let tags: Vec<Tag> = options
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let request = app
        .clients
        .ecs
        .run_task()
        .cluster(app.cluster())
        .task_definition(&task_definition)
        .count(options.count)
        .set_launch_type(input.launch_type)
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_network_configuration(input.network_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_platform_version(input.platform_version)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_enable_execute_command(input.enable_execute_command)
        .set_volume_configurations(with_termination_policy(
            input.volume_configurations,
            options.ebs_delete_on_termination,
        ))
        .set_overrides(overrides)
        .set_tags((!tags.is_empty()).then_some(tags))
        .set_propagate_tags(options.propagate_tags.as_deref().map(PropagateTags::from))
        .set_client_token(options.client_token.clone());
    if options.dry_run {
        let input = request
            .as_input()
            .clone()
            .build()
            .map(|i| super::service_input::describe_input(&i))
            .unwrap_or_default();
        app.events.emit(Event::WouldSend {
            operation: "RunTask",
            input,
        });
        app.info("DRY RUN OK");
        return Ok(Vec::new());
    }
    let output = request
        .send()
        .await
        .map_err(|err| aws_error("RunTask", &err, &applied))?;
    if let Some(failure) = output.failures().first() {
        return Err(Error::Invalid(format!(
            "RunTask failed: {} ({})",
            failure.reason().unwrap_or("unknown reason"),
            failure.detail().unwrap_or_default()
        )));
    }
    let arns: Vec<String> = output
        .tasks()
        .iter()
        .filter_map(|t| t.task_arn().map(str::to_owned))
        .collect();
    for arn in &arns {
        app.info(format!(
            "task {} started from {}",
            short_id(arn),
            short_task_definition(&task_definition)
        ));
    }
    if options.wait == RunWait::No || arns.is_empty() {
        return Ok(arns);
    }
    let watch = watch_container(app, &task_definition, options.watch_container.as_deref()).await?;
    let tasks = wait_tasks(app, &arns, options.wait, &watch).await?;
    if options.wait == RunWait::Stopped {
        judge(&tasks, &watch.name)?;
        app.info("run task completed");
    }
    Ok(arns)
}

/// The watched container and where its awslogs stream lives.
struct Watch {
    name: String,
    logs: Option<(String, String)>,
}

async fn watch_container(
    app: &App<'_>,
    task_definition: &str,
    wanted: Option<&str>,
) -> Result<Watch, Error> {
    let described = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))?;
    let containers = described
        .task_definition()
        .map(|t| t.container_definitions())
        .unwrap_or_default();
    let container = match wanted {
        Some(name) => containers
            .iter()
            .find(|c| c.name() == Some(name))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "--watch-container: no container `{name}` in {}",
                    short_task_definition(task_definition)
                ))
            })?,
        None => containers
            .first()
            .ok_or_else(|| Error::Invalid("the task definition has no container".to_owned()))?,
    };
    let logs = container
        .log_configuration()
        .filter(|l| l.log_driver().as_str() == "awslogs")
        .and_then(|l| {
            let options = l.options()?;
            Some((
                options.get("awslogs-group")?.clone(),
                options.get("awslogs-stream-prefix")?.clone(),
            ))
        });
    Ok(Watch {
        name: container.name().unwrap_or_default().to_owned(),
        logs,
    })
}

async fn wait_tasks(
    app: &App<'_>,
    arns: &[String],
    until: RunWait,
    watch: &Watch,
) -> Result<Vec<Task>, Error> {
    let started = Instant::now();
    let mut tokens: std::collections::BTreeMap<String, Option<String>> =
        std::collections::BTreeMap::new();
    loop {
        let output = app
            .clients
            .ecs
            .describe_tasks()
            .cluster(app.cluster())
            .set_tasks(Some(arns.to_vec()))
            .send()
            .await
            .map_err(|err| aws_error("DescribeTasks", &err, &[]))?;
        let tasks = output.tasks().to_vec();
        for task in &tasks {
            tail_logs(app, task, watch, &mut tokens).await;
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
            return Err(Error::Timeout {
                service: app.config.file.service.clone().unwrap_or_default(),
                until: if until == RunWait::Running {
                    "running".to_owned()
                } else {
                    "stopped".to_owned()
                },
                timeout: crate::config::format_duration(app.config.file.timeout),
                pending: format!("task(s) {}", states.join(", ")),
            });
        }
        tokio::time::sleep(interval).await;
    }
}

/// Prints new log lines of the watched container of `task` (GetLogEvents from the last token).
async fn tail_logs(
    app: &App<'_>,
    task: &Task,
    watch: &Watch,
    tokens: &mut std::collections::BTreeMap<String, Option<String>>,
) {
    let Some((group, prefix)) = &watch.logs else {
        return;
    };
    let id = short_id(task.task_arn().unwrap_or_default()).to_owned();
    let stream = format!("{prefix}/{}/{id}", watch.name);
    let token = tokens.entry(id).or_default();
    let mut request = app
        .clients
        .logs
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(&stream)
        .start_from_head(true);
    if let Some(token) = token.as_ref() {
        request = request.next_token(token);
    }
    match request.send().await {
        Ok(output) => {
            for event in output.events() {
                app.info(format!(
                    "[{}] {}",
                    watch.name,
                    event.message().unwrap_or_default()
                ));
            }
            *token = output.next_forward_token().map(str::to_owned);
        }
        Err(err) => app.events.emit(Event::Debug(format!(
            "logs of {stream}: {}",
            crate::aws::describe_error(&err)
        ))),
    }
}

/// Fails when a task failed to start or the watched container exited non-zero.
fn judge(tasks: &[Task], watched: &str) -> Result<(), Error> {
    for task in tasks {
        let id = short_id(task.task_arn().unwrap_or_default()).to_owned();
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
                    "task {id}: container `{watched}` exited with code {code}{}",
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

fn short_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
