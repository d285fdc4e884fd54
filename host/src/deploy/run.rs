//! `deploy`: creates the service when it is missing; otherwise resolves the task definition
//! (register the file, or `--revision`, `--latest-task-definition`, `--skip-task-definition`),
//! applies tags, auto scaling, then the service attributes, task definition, desired count and
//! force-new-deployment in ONE UpdateService call, waits, and checks that the PRIMARY
//! deployment runs the deployed task definition (a circuit-breaker rollback is a failure).

use std::time::SystemTime;

use aws_sdk_ecs::types::{SchedulingStrategy, Service};
use serde_json::Value;

use crate::app::App;
use crate::definition::Definition;
use crate::deploy::autoscaling::{self, AutoScaling};
use crate::deploy::service::{find_service, primary_task_definition};
use crate::deploy::service_input::{
    apply_update, describe_input, remove_absent_hooks, update_input,
};
use crate::deploy::tags::{
    TagChanges, apply_tags, compare, ignored_tags, local_tags, report_tag_changes,
};
use crate::deploy::task_definition::{family_of, latest_revision, register_task_definition};
use crate::deploy::wait::wait;
use crate::deploy::wait_until::WaitUntil;
use crate::deploy::{Error, aws_error, codedeploy, create, gates, short_task_definition};
use crate::events::Event;
use crate::plugins::EventKind;
use serde_json::json;

/// Where the task definition to deploy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskDefinitionSource {
    /// Register the configured task definition file (the default).
    Register,
    /// `--revision N`: revision N of the family.
    Revision(u64),
    /// `--latest-task-definition`: the newest ACTIVE revision of the family.
    Latest,
    /// `--skip-task-definition`: keep the service's current task definition.
    Current,
}

impl TaskDefinitionSource {
    /// The source ecspresso picks when several flags are given (deploy.go
    /// `taskDefinitionArnForDeploy`, run.go `resolveTaskDefinitionForRun`): `--revision N`
    /// (N > 0) first, then `--latest-task-definition`, then `--skip-task-definition`, else
    /// register the file. `--revision 0` means "not given", as in ecspresso.
    pub fn by_priority(revision: Option<u64>, latest: bool, skip: bool) -> Self {
        match revision {
            Some(n) if n > 0 => Self::Revision(n),
            _ if latest => Self::Latest,
            _ if skip => Self::Current,
            _ => Self::Register,
        }
    }
}

/// How the desired count is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredCount {
    /// `desiredCount` from the service definition; unchanged when it has none.
    FromDefinition,
    /// `--tasks N`.
    Exactly(i32),
    /// Leave it as it is (scale/refresh without `--tasks`).
    Unchanged,
}

/// Options of one deploy (also used by `scale` and `refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployOptions {
    /// Render and report, change nothing.
    pub dry_run: bool,
    /// Which task definition to deploy.
    pub task_definition: TaskDefinitionSource,
    /// The desired count.
    pub desired_count: DesiredCount,
    /// UpdateService `forceNewDeployment`.
    pub force_new_deployment: bool,
    /// Apply the service definition's attributes and tags.
    pub update_service: bool,
    /// What to wait for after the update (`None`: do not wait).
    pub wait: Option<WaitUntil>,
    /// Auto scaling changes, applied before the update.
    pub auto_scaling: AutoScaling,
    /// CodeDeploy services: events that roll the deployment back (`--rollback-events`).
    pub rollback_events: crate::deploy::codedeploy::RollbackEvents,
}

/// Runs a deploy. Returns the deployed task definition ARN. Notify plugins hear that it
/// started and how it ended (`deploy-succeeded` only once the deploy waited to the end).
pub async fn deploy(app: &App<'_>, options: DeployOptions) -> Result<String, Error> {
    let service_name = app.service()?.to_owned();
    let _in_flight = app.pending.deploy_in_flight();
    app.update_context(|c| c.dry_run = options.dry_run);
    app.notify(
        EventKind::DeployStarted,
        &format!(
            "deploy of service {service_name} to cluster {} started",
            app.cluster()
        ),
        None,
        json!({"dry_run": options.dry_run}),
    );
    let result = deploy_service(app, &service_name, options).await;
    // Without waiting to the end (--no-wait, --wait-until paused or a stage) nothing has
    // succeeded yet: notify plugins heard `service-updated`, and the deployment goes on.
    let waited_to_the_end = options.wait.is_some_and(|until| !until.is_intermediate());
    if let Ok(task_definition) = &result
        && !options.dry_run
        && waited_to_the_end
        && options.task_definition != TaskDefinitionSource::Register
    {
        // A revision deployed again and now serving is no longer a rejected one.
        crate::deploy::rejected::clear_rejected(app, task_definition).await;
    }
    match &result {
        Ok(task_definition) if !options.dry_run && waited_to_the_end => app.notify(
            EventKind::DeploySucceeded,
            &format!(
                "service {service_name} runs {}",
                short_task_definition(task_definition)
            ),
            Some(short_task_definition(task_definition).to_owned()),
            json!({}),
        ),
        Ok(_) => {}
        Err(err) => app.notify(
            EventKind::DeployFailed,
            &format!("deploy of service {service_name} failed: {err}"),
            app.context().revision,
            json!({"reason": err.to_string()}),
        ),
    }
    result
}

async fn deploy_service(
    app: &App<'_>,
    service_name: &str,
    options: DeployOptions,
) -> Result<String, Error> {
    let service_name = service_name.to_owned();
    let started = SystemTime::now();
    let remote = find_service(app).await?;
    if let Some(account) = remote
        .as_ref()
        .and_then(|s| s.service_arn())
        .and_then(|arn| arn.split(':').nth(4))
    {
        app.update_context(|c| c.account = account.to_owned());
    }
    let Some(remote) = remote else {
        pre_deploy_gates(app).await?;
        return create::create(app, &service_name, options, started).await;
    };
    if remote.status() == Some("DRAINING") {
        app.warn(format!("service {service_name} is DRAINING"));
    }
    let mut applied: Vec<String> = Vec::new();

    let local_service =
        if options.update_service || options.desired_count == DesiredCount::FromDefinition {
            load_service_definition(app)?
        } else {
            None
        };
    let strategy = crate::deploy::strategy::check_wait_target(
        app,
        &remote,
        local_service.as_ref(),
        options.wait,
    )?;
    let group = if crate::deploy::strategy::is_code_deploy(&remote) {
        let group = codedeploy::find_group(app, &service_name).await?;
        codedeploy::check_gates(app, &group)?;
        Some(group)
    } else {
        None
    };
    app.update_context(|c| c.strategy = strategy.name().to_owned());
    if app.plugins.has_gates() && strategy.shifts_traffic_natively() {
        let steps = if strategy == crate::deploy::Strategy::BlueGreen {
            String::new()
        } else {
            format!(
                " and before every production traffic step at {}",
                crate::definition::gate_hook::STEP_STAGE
            )
        };
        app.info(format!(
            "before-traffic-shift gates run when the deployment pauses at {}{steps} (PAUSE hook)",
            crate::definition::gate_hook::GATED_STAGE
        ));
    }
    // A deployment a stopped run left in flight is resumed or replaced before anything is
    // registered (CodeDeploy takes one deployment per group at a time).
    let in_flight = (&group, local_service.as_ref(), &remote);
    if let Some(done) =
        crate::deploy::codedeploy::deploy::resume_in_flight(app, &service_name, in_flight, options)
            .await?
    {
        return Ok(done);
    }
    // After the checks that need no writes (definitions, wait target, CodeDeploy group), so a
    // definition error is not preceded by a gate's verdict; before anything is written.
    pre_deploy_gates(app).await?;
    let task_definition = resolve_task_definition(app, &remote, options, &mut applied).await?;
    app.update_context(|c| c.revision = Some(short_task_definition(&task_definition).to_owned()));

    let desired = match (options.desired_count, &local_service) {
        _ if remote.scheduling_strategy() == Some(&SchedulingStrategy::Daemon) => None,
        (DesiredCount::Exactly(n), _) => Some(n),
        (DesiredCount::FromDefinition, Some(def)) => def
            .value
            .get("desiredCount")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok()),
        _ => None,
    };

    // Attributes are sent only when they differ from the service's (as ecspresso does), so
    // an unchanged service definition never starts a deployment by itself.
    let attributes = match (&local_service, options.update_service) {
        (Some(def), true) if attributes_differ(&def.value, &remote, &ignored_tags(app))? => {
            let mut input = update_input(&def.value, &source(app))?;
            remove_absent_hooks(&mut input, &remote);
            Some(input)
        }
        (Some(_), true) => {
            app.info("service attributes are up to date");
            None
        }
        _ => None,
    };
    let tag_changes = match (&local_service, options.update_service) {
        (Some(def), true) => compare(remote.tags(), &local_tags(&def.value), &ignored_tags(app)),
        _ => TagChanges::default(),
    };

    applied.extend(
        autoscaling::apply(app, &service_name, options.auto_scaling, options.dry_run).await?,
    );

    let task_definition_changes =
        primary_task_definition(&remote).as_deref() != Some(task_definition.as_str());
    let code_deploy = group.is_some();
    let needs_update = attributes.is_some()
        || desired.is_some()
        || (!code_deploy && (options.force_new_deployment || task_definition_changes));
    let mut builder = app
        .clients
        .ecs
        .update_service()
        .cluster(app.cluster())
        .service(&service_name)
        .set_desired_count(desired);
    if !code_deploy {
        builder = builder
            .task_definition(&task_definition)
            .set_force_new_deployment(options.force_new_deployment.then_some(true));
    }
    if let Some(mut attributes) = attributes {
        if code_deploy {
            crate::deploy::strategy::without_codedeploy_managed_fields(&mut attributes);
        }
        builder = apply_update(builder, attributes);
    }

    if options.dry_run {
        if needs_update {
            app.events.emit(Event::WouldSend {
                operation: "UpdateService",
                input: builder
                    .as_input()
                    .clone()
                    .build()
                    .map(|i| describe_input(&i))
                    .unwrap_or_default(),
            });
        }
        report_tag_changes(app, &tag_changes, true);
        if let Some(group) = &group {
            let service_json =
                crate::deploy::strategy::service_json(local_service.as_ref(), &remote)?;
            codedeploy::create_deployment(
                app,
                group,
                &service_json,
                &task_definition,
                options.rollback_events,
                true,
            )
            .await?;
        }
        app.info("DRY RUN OK");
        return Ok(task_definition);
    }

    let service_arn = remote.service_arn().map(str::to_owned).ok_or_else(|| {
        Error::Invalid(format!(
            "service {service_name} was described without its ARN"
        ))
    })?;
    apply_tags(app, &service_arn, &tag_changes, &mut applied).await?;

    if needs_update {
        app.info(format!(
            "updating service {service_name} with task definition {}",
            short_task_definition(&task_definition)
        ));
        builder
            .send()
            .await
            .map_err(|err| aws_error("UpdateService", &err, &applied))?;
        applied.push(format!(
            "service {service_name} updated to {}",
            short_task_definition(&task_definition)
        ));
        app.notify(
            EventKind::ServiceUpdated,
            &format!(
                "service {service_name} updated to {}",
                short_task_definition(&task_definition)
            ),
            Some(short_task_definition(&task_definition).to_owned()),
            json!({}),
        );
    } else if !code_deploy {
        app.info(format!("service {service_name} needs no update"));
        return Ok(task_definition);
    }
    if let Some(group) = &group {
        let service_json = crate::deploy::strategy::service_json(local_service.as_ref(), &remote)?;
        let only_scale = options.task_definition == TaskDefinitionSource::Current
            && !options.update_service
            && !options.force_new_deployment;
        if only_scale {
            return Ok(task_definition);
        }
        let previous = primary_task_definition(&remote);
        crate::deploy::codedeploy::deploy::deploy(
            app,
            &service_name,
            group,
            &service_json,
            &task_definition,
            previous.as_deref(),
            options,
        )
        .await
        .map_err(|err| with_applied(err, &applied))?;
        return Ok(task_definition);
    }

    match options.wait {
        None => {
            app.info(format!(
                "service {service_name} is updated; not waiting (--no-wait)"
            ));
            gates::warn_unattended(app, strategy, None);
        }
        Some(until) => {
            let rollback = wait(app, &service_name, until, started)
                .await
                .map_err(|err| with_applied(err, &applied))?;
            if until.is_intermediate() && rollback.is_none() {
                gates::warn_unattended(app, strategy, Some(until));
                return Ok(task_definition);
            }
            confirm_primary(app, &service_name, &task_definition, rollback)
                .await
                .map_err(|err| with_applied(err, &applied))?;
            let previous = primary_task_definition(&remote);
            crate::deploy::post_deploy::run(
                app,
                &service_name,
                &task_definition,
                previous.as_deref(),
            )
            .await
            .map_err(|err| with_applied(err, &applied))?;
        }
    }
    Ok(task_definition)
}

/// Runs the pre-deploy gates; a failure stops the deploy before anything is written.
async fn pre_deploy_gates(app: &App<'_>) -> Result<(), Error> {
    match gates::decide(app, crate::plugins::Stage::PreDeploy).await {
        gates::GateOutcome::Fail(failure) => Err(failure.into_error(None)),
        gates::GateOutcome::Pass | gates::GateOutcome::Pending => Ok(()),
    }
}

/// An AWS failure of a later step, with what this deploy had already applied by then.
fn with_applied(err: Error, applied: &[String]) -> Error {
    match err {
        Error::Aws {
            operation,
            message,
            applied: earlier,
        } if earlier.is_empty() => Error::Aws {
            operation,
            message,
            applied: applied.to_vec(),
        },
        other => other,
    }
}

/// Whether the definition's updatable attributes (desired count and tags aside) differ from
/// the service's, after diff normalization.
fn attributes_differ(local: &Value, remote: &Service, ignored: &[String]) -> Result<bool, Error> {
    let code_deploy = crate::deploy::strategy::is_code_deploy(remote);
    let strip = |mut value: Value| {
        if let Value::Object(map) = &mut value {
            map.remove("desiredCount");
            map.remove("tags");
        }
        value
    };
    let remote = crate::deploy::diff::without_kept_when_omitted(
        local,
        crate::deploy::diff::remote_service_json(remote)?,
    );
    let remote = strip(crate::deploy::diff::service_for_diff(
        remote,
        ignored,
        false,
        code_deploy,
    ));
    let local = strip(crate::deploy::diff::service_for_diff(
        local.clone(),
        ignored,
        false,
        code_deploy,
    ));
    Ok(local != remote)
}

/// Resolves the task definition ARN to deploy, registering the file when asked.
pub(crate) async fn resolve_task_definition(
    app: &App<'_>,
    remote: &Service,
    options: DeployOptions,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    let current = primary_task_definition(remote);
    match options.task_definition {
        TaskDefinitionSource::Current => {
            current.ok_or_else(|| Error::Invalid("the service has no task definition".to_owned()))
        }
        TaskDefinitionSource::Latest => {
            latest_revision(&app.clients.ecs, &family(app, current.as_deref())?).await
        }
        TaskDefinitionSource::Revision(revision) => {
            let name = format!("{}:{revision}", family(app, current.as_deref())?);
            describe_revision(app, &name).await
        }
        TaskDefinitionSource::Register => register_from_file(app, options.dry_run, applied).await,
    }
}

/// Loads the configured task definition file and registers it (dry run: reports it).
pub(crate) async fn register_from_file(
    app: &App<'_>,
    dry_run: bool,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    let path = app.config.task_definition_path().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: `task_definition` is not set",
            app.config.path.display()
        ))
    })?;
    register_path(app, &path, dry_run, applied).await
}

/// Loads the task definition file `path` and registers it (dry run: reports it).
pub(crate) async fn register_path(
    app: &App<'_>,
    path: &std::path::Path,
    dry_run: bool,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    let definition = app.load_task_definition(path)?;
    register_definition(app, &definition, path, dry_run, applied).await
}

/// Registers the loaded task definition `definition` of file `path` (dry run: reports it).
pub(crate) async fn register_definition(
    app: &App<'_>,
    definition: &Definition,
    path: &std::path::Path,
    dry_run: bool,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    warn_all(app, definition);
    if dry_run {
        app.events.emit(Event::WouldSend {
            operation: "RegisterTaskDefinition",
            input: definition.value.clone(),
        });
        let family = definition
            .value
            .get("family")
            .and_then(Value::as_str)
            .unwrap_or("(family)");
        return Ok(format!("{family} (new revision)"));
    }
    app.info("registering a new task definition");
    let registered = register_task_definition(
        &app.clients.ecs,
        &definition.value,
        &path.display().to_string(),
    )
    .await?;
    let arn = registered
        .task_definition_arn()
        .unwrap_or_default()
        .to_owned();
    app.events
        .emit(Event::TaskDefinitionRegistered { arn: arn.clone() });
    app.notify(
        EventKind::TaskDefinitionRegistered,
        &format!("task definition {} registered", short_task_definition(&arn)),
        Some(short_task_definition(&arn).to_owned()),
        json!({}),
    );
    applied.push(format!(
        "registered task definition {}",
        short_task_definition(&arn)
    ));
    Ok(arn)
}

/// The ARN of the task definition `name` (`family:revision`), or an error saying it does not
/// exist.
pub(crate) async fn describe_revision(app: &App<'_>, name: &str) -> Result<String, Error> {
    let output = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(name)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))
        .map_err(|err| match err {
            Error::Aws { message, .. } => {
                Error::Invalid(format!("task definition {name} not found ({message})"))
            }
            other => other,
        })?;
    output
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| Error::Invalid(format!("task definition {name} not found")))
}

/// The family: from the local task definition file when configured, else from `current`.
fn family(app: &App<'_>, current: Option<&str>) -> Result<String, Error> {
    if let Some(path) = app.config.task_definition_path() {
        let definition = app.load_task_definition(&path)?;
        if let Some(family) = definition.value.get("family").and_then(Value::as_str) {
            return Ok(family.to_owned());
        }
    }
    current.map(|arn| family_of(arn).to_owned()).ok_or_else(|| {
        Error::Invalid(
            "cannot tell the task definition family: no task_definition and no service".to_owned(),
        )
    })
}

/// Loads the configured service definition, if any, reporting its warnings.
pub(crate) fn load_service_definition(app: &App<'_>) -> Result<Option<Definition>, Error> {
    let Some(path) = app.config.service_definition_path() else {
        return Ok(None);
    };
    let definition = app.load_service_definition(&path)?;
    warn_all(app, &definition);
    Ok(Some(definition))
}

fn warn_all(app: &App<'_>, definition: &Definition) {
    for warning in &definition.warnings {
        app.warn_once(warning);
    }
}

fn source(app: &App<'_>) -> String {
    app.config
        .service_definition_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Fails unless the PRIMARY deployment runs `expected` (ecspresso's confirmPrimaryTD).
/// `rollback` is the reason the wait saw for a rollback, if any.
pub(crate) async fn confirm_primary(
    app: &App<'_>,
    service: &str,
    expected: &str,
    rollback: Option<String>,
) -> Result<(), Error> {
    let current =
        crate::deploy::service::describe_service(&app.clients.ecs, app.cluster(), service)
            .await?
            .ok_or_else(|| Error::ServiceNotFound {
                cluster: app.cluster().to_owned(),
                service: service.to_owned(),
            })?;
    let primary = current
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let actual = primary
        .and_then(|d| d.task_definition())
        .or(current.task_definition())
        .unwrap_or_default();
    if actual == expected {
        app.info(format!(
            "service {service} runs {}",
            short_task_definition(expected)
        ));
        return Ok(());
    }
    let failed_rollout = current
        .deployments()
        .iter()
        .filter(|d| d.rollout_state().is_some_and(|s| s.as_str() == "FAILED"))
        .filter_map(|d| d.rollout_state_reason())
        .find(|r| !r.is_empty())
        .map(str::to_owned);
    let failure_event = || {
        let mut events: Vec<_> = current.events().iter().collect();
        events.sort_by_key(|e| {
            std::cmp::Reverse(e.created_at().map(|t| t.as_nanos()).unwrap_or_default())
        });
        events
            .into_iter()
            .filter_map(|e| e.message())
            .find(|m| {
                ["circuit breaker", "rolling back", "rolled back", "failed"]
                    .iter()
                    .any(|k| m.contains(k))
            })
            .map(str::to_owned)
    };
    let reason = rollback.or(failed_rollout).or_else(failure_event);
    Err(Error::NotDeployed {
        service: service.to_owned(),
        expected: short_task_definition(expected).to_owned(),
        actual: short_task_definition(actual).to_owned(),
        reason,
    })
}
