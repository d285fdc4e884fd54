//! `run`: a one-off task (e.g. a database migration) from the task definition, with the
//! network and launch settings of the service definition, as ecspresso's `run`. It waits for the
//! task, tails the watched container's awslogs stream while it runs, and fails when the task
//! failed to start or the watched container exited non-zero — so CI can trust its exit code.

use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder;
use aws_sdk_ecs::types::{Tag, TaskOverride};
use serde_json::Value;

use crate::app::App;
use crate::definition::{
    Definition, check_task_override, from_json, overridden_containers, to_json,
};
use crate::deploy::TaskDefinitionSource;
use crate::deploy::poll::short_id;
use crate::deploy::revisions::service_family;
use crate::deploy::task_definition::register_definition;
use crate::deploy::{Error, aws_error, short_task_definition, task_definition::latest_revision};
use crate::events::Event;
use crate::task::watch::{Plan, PlannedContainer, RunWait, Watch, judge, wait_tasks};

/// `--propagate-tags` of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropagateTags {
    /// Nothing is propagated (no flag, or `NONE`).
    None,
    /// `SERVICE`: the service's tags are read (ListTagsForResource) and sent as task tags,
    /// as ecspresso does; RunTask itself refuses `SERVICE`.
    Service,
    /// `TASK_DEFINITION`: ECS copies the task definition's tags.
    TaskDefinition,
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
    /// `containerOverrides` etc. (TaskOverride JSON) and where it came from (`--overrides` or
    /// the file), for messages.
    pub overrides: Option<(Value, String)>,
    /// How many tasks (1–10).
    pub count: i32,
    /// Task tags.
    pub tags: Vec<(String, String)>,
    /// `--propagate-tags`.
    pub propagate_tags: PropagateTags,
    /// Idempotency token.
    pub client_token: Option<String>,
    /// The container whose logs are tailed and whose exit code decides (default: the first
    /// essential one).
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

/// Runs the task(s). Returns the task ARNs. Everything that can be checked without writing —
/// the overrides, the cluster, the task definition's containers (`--watch-container`, the
/// overridden names), the network settings awsvpc needs — is checked before a task definition
/// is registered or a task runs.
pub async fn run(app: &App<'_>, options: RunOptions) -> Result<Vec<String>, Error> {
    let overrides = checked_overrides(&options)?;
    if options.tags.iter().any(|(key, _)| key.is_empty()) {
        return Err(Error::Invalid(
            "--tags: every tag needs a key (KEY=VALUE); nothing was run".to_owned(),
        ));
    }
    let settings = match app.config.service_definition_path() {
        Some(path) => app.load_service_definition(&path)?.value,
        None => Value::Object(Default::default()),
    };
    let input: RunTaskInput = from_json(&settings, RunTaskInput::deserialize)
        .map_err(|m| Error::Invalid(format!("the service definition does not fit RunTask: {m}")))?;
    check_cluster(app).await?;

    let (plan, source) = plan(app, &options).await?;
    let watched = plan.watched(options.watch_container.as_deref())?.clone();
    check_against_plan(&plan, &options, overrides.as_ref().map(|(v, _)| v), &input)?;

    let mut applied = Vec::new();
    let task_definition = match source {
        Source::File(definition, path) => {
            register_definition(app, &definition, &path, options.dry_run, &mut applied).await?
        }
        Source::Registered(arn) => arn,
    };
    let mut tags: Vec<Tag> = options
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if options.propagate_tags == PropagateTags::Service {
        tags.extend(service_tags(app).await?);
    }
    let task_override = overrides.map(|(_, o)| o);
    let request = run_task_call(app, &options, input, &task_definition, task_override, tags);
    if options.dry_run {
        let input = request
            .as_input()
            .clone()
            .build()
            .map(|i| crate::deploy::service_input::describe_input(&i))
            .unwrap_or_default();
        app.emit(Event::WouldSend {
            operation: "RunTask",
            input,
        });
        app.info("DRY RUN OK");
        return Ok(Vec::new());
    }
    let arns = launch(app, request, &options, &task_definition, &applied).await?;
    if options.wait == RunWait::No || arns.is_empty() {
        return Ok(arns);
    }
    follow(app, &arns, &watched, options.wait).await?;
    Ok(arns)
}

/// `--overrides` checked as ecspresso checks them, and as the SDK's TaskOverride.
fn checked_overrides(options: &RunOptions) -> Result<Option<(Value, TaskOverride)>, Error> {
    let Some((value, source)) = &options.overrides else {
        return Ok(None);
    };
    let value = check_task_override(value.clone(), source).map_err(Error::Invalid)?;
    let task_override = from_json(&value, TaskOverride::deserialize).map_err(|m| {
        Error::Invalid(format!(
            "{source}: not a valid TaskOverride: {m}; nothing was run"
        ))
    })?;
    Ok(Some((value, task_override)))
}

/// Refuses overrides naming containers the task definition lacks, and awsvpc without subnets.
fn check_against_plan(
    plan: &Plan,
    options: &RunOptions,
    overrides: Option<&Value>,
    input: &RunTaskInput,
) -> Result<(), Error> {
    if let Some(overrides) = overrides {
        for (index, name) in overridden_containers(overrides) {
            if plan.container(&name).is_none() {
                return Err(Error::Invalid(format!(
                    "{}: containerOverrides[{index}].name: no container `{name}` in {} (containers: {}); nothing was run",
                    options
                        .overrides
                        .as_ref()
                        .map_or("--overrides", |(_, s)| s.as_str()),
                    plan.label,
                    plan.names()
                )));
            }
        }
    }
    let has_subnets = input
        .network_configuration
        .as_ref()
        .and_then(|n| n.awsvpc_configuration())
        .is_some_and(|a| !a.subnets().is_empty());
    if plan.network_mode.as_deref() == Some("awsvpc") && !has_subnets {
        return Err(Error::Invalid(format!(
            "{} uses networkMode awsvpc, so RunTask needs a networkConfiguration with awsvpcConfiguration.subnets (and security groups): set it in the service definition; nothing was run",
            plan.label
        )));
    }
    Ok(())
}

/// The RunTask call: the service definition's placement and network settings, the options'
/// count, overrides, tags and client token.
fn run_task_call(
    app: &App<'_>,
    options: &RunOptions,
    input: RunTaskInput,
    task_definition: &str,
    task_override: Option<TaskOverride>,
    tags: Vec<Tag>,
) -> RunTaskFluentBuilder {
    app.clients
        .ecs
        .run_task()
        .cluster(app.cluster())
        .task_definition(task_definition)
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
        .set_overrides(task_override)
        .set_tags((!tags.is_empty()).then_some(tags))
        .set_propagate_tags(
            (options.propagate_tags == PropagateTags::TaskDefinition)
                .then_some(aws_sdk_ecs::types::PropagateTags::TaskDefinition),
        )
        .set_client_token(options.client_token.clone())
}

/// Sends RunTask and returns the ARNs of the tasks it started.
async fn launch(
    app: &App<'_>,
    request: RunTaskFluentBuilder,
    options: &RunOptions,
    task_definition: &str,
    applied: &[String],
) -> Result<Vec<String>, Error> {
    // A client token makes a retried RunTask start its tasks once (see aws::retry).
    let request = match &options.client_token {
        Some(_) => request,
        None => request.client_token(crate::aws::retry::client_token()),
    };
    let output = request
        .send()
        .await
        .map_err(|err| aws_error("RunTask", &err, applied))?;
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
            "task {} launched from {}",
            short_id(arn),
            short_task_definition(task_definition)
        ));
    }
    Ok(arns)
}

/// Waits for the tasks `arns` until `until`, watching container `watched`; fails when the
/// watched container of a stopped task did not exit 0.
async fn follow(
    app: &App<'_>,
    arns: &[String],
    watched: &PlannedContainer,
    until: RunWait,
) -> Result<(), Error> {
    let watch = Watch::new(app, watched, arns.len());
    let tasks = wait_tasks(app, arns, until, &watch).await?;
    let stopped: Vec<_> = tasks
        .iter()
        .filter(|t| t.last_status() == Some("STOPPED"))
        .cloned()
        .collect();
    judge(&stopped, &watch.name)?;
    match until {
        RunWait::Running => {
            for task in &tasks {
                let id = short_id(task.task_arn().unwrap_or_default());
                if task.last_status() == Some("STOPPED") {
                    app.info(format!(
                        "task {id} already finished: container `{}` exited with code 0",
                        watch.name
                    ));
                } else {
                    app.info(format!("task {id} is running"));
                }
            }
        }
        _ => app.info("run task completed"),
    }
    Ok(())
}

/// Where the task definition comes from: a file to register, or a registered revision.
enum Source {
    File(Definition, std::path::PathBuf),
    Registered(String),
}

/// Loads (a file) or describes (a registered revision) the task definition `run` will use.
async fn plan(app: &App<'_>, options: &RunOptions) -> Result<(Plan, Source), Error> {
    let registered = match options.task_definition {
        TaskDefinitionSource::Register => {
            let path = match &options.task_definition_file {
                Some(path) => path.clone(),
                None => app.config.task_definition_path().ok_or_else(|| {
                    Error::Invalid(format!(
                        "{}: `task_definition` is not set",
                        app.config.path.display()
                    ))
                })?,
            };
            let definition = app.load_task_definition(&path)?;
            let plan = Plan::from_json(&definition.value, path.display().to_string());
            return Ok((plan, Source::File(definition, path)));
        }
        TaskDefinitionSource::Latest => {
            let (family, _) = service_family(app).await?;
            latest_revision(&app.clients.ecs, &family).await?
        }
        TaskDefinitionSource::Revision(n) => format!("{}:{n}", service_family(app).await?.0),
        TaskDefinitionSource::Current if app.config.file.service.is_none() => {
            // No service: the newest revision of the file's family, as ecspresso.
            let (family, _) = service_family(app).await?;
            app.info(format!(
                "no service in the config: using the latest revision of {family}"
            ));
            latest_revision(&app.clients.ecs, &family).await?
        }
        TaskDefinitionSource::Current => {
            let service = crate::deploy::require_configured_service(app).await?;
            crate::deploy::service::primary_task_definition(&service).unwrap_or_default()
        }
    };
    let described = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(&registered)
        .send()
        .await
        .map_err(|err| match aws_error("DescribeTaskDefinition", &err, &[]) {
            Error::Aws { message, .. } => Error::Invalid(format!(
                "task definition {registered} not found ({message}); nothing was run"
            )),
            other => other,
        })?;
    let definition = described
        .task_definition()
        .ok_or_else(|| Error::Invalid(format!("task definition {registered} not found")))?;
    let arn = definition
        .task_definition_arn()
        .unwrap_or(&registered)
        .to_owned();
    let value = to_json(definition).map_err(Error::Invalid)?;
    let plan = Plan::from_json(&value, short_task_definition(&arn).to_owned());
    Ok((plan, Source::Registered(arn)))
}

/// The tags of the config's service (ListTagsForResource), for `--propagate-tags SERVICE`.
async fn service_tags(app: &App<'_>) -> Result<Vec<Tag>, Error> {
    let service = crate::deploy::require_configured_service(app).await?;
    let arn = service.service_arn().ok_or_else(|| {
        Error::Invalid("DescribeServices returned a service without an ARN".to_owned())
    })?;
    let output = app
        .clients
        .ecs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|err| aws_error("ListTagsForResource", &err, &[]))?;
    Ok(output.tags().to_vec())
}

/// The cluster must exist (and be ACTIVE) before anything is registered.
async fn check_cluster(app: &App<'_>) -> Result<(), Error> {
    let output = app
        .clients
        .ecs
        .describe_clusters()
        .clusters(app.cluster())
        .send()
        .await
        .map_err(|err| aws_error("DescribeClusters", &err, &[]))?;
    let active = output
        .clusters()
        .iter()
        .any(|c| c.status() == Some("ACTIVE"));
    if active {
        Ok(())
    } else {
        Err(Error::ClusterNotFound {
            cluster: app.cluster().to_owned(),
        })
    }
}
