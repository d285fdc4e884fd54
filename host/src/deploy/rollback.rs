//! `rollback`: stops an in-flight service deployment with rollback
//! (StopServiceDeployment ROLLBACK) when there is one; otherwise deploys the revision before the
//! current one (skipping revisions whose deployments were rolled back), or `--revision N`. Then waits and, by default, deregisters the rolled-back
//! revision. Express services roll back only a deployment in flight (`express::check_rollback`).

pub(crate) mod interrupted;
pub(crate) mod target;

use std::time::SystemTime;

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, DeploymentLifecycleHookStatus,
    DeploymentLifecycleHookTargetType, ServiceDeploymentStatus, StopServiceDeploymentStopType,
};

use crate::app::App;
use crate::deploy::ecs_native::follow::PausePolicy;
use crate::deploy::revisions::{Revision, deregister};
use crate::deploy::rollback::target::previous_revision;
use crate::deploy::service::{find_service, primary_task_definition, require_service};
use crate::deploy::task_definition::family_of;
use crate::deploy::wait::wait_with;
use crate::deploy::wait_until::WaitUntil;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::Lifecycle;

/// Which revision to return to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTarget {
    /// Stop the in-flight deployment if any, else the revision before the current one.
    Previous,
    /// `--previous-task-def` (ecspresso v3, also spelled `--with-previous-task-definition`):
    /// deploy the revision before the current one even when a deployment is in flight.
    PreviousTaskDefinition,
    /// `--revision N`.
    Revision(u64),
}

/// Options of `rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackOptions {
    /// Report only.
    pub dry_run: bool,
    /// Where to go.
    pub target: RollbackTarget,
    /// Deregister the rolled-back revision afterwards.
    pub deregister: bool,
    /// What to wait for (`None`: do not wait).
    pub wait: Option<WaitUntil>,
    /// CodeDeploy services: events that roll the rollback deployment back.
    pub rollback_events: crate::deploy::codedeploy::RollbackEvents,
}

/// Rolls the service back. Returns the task definition it now runs. Notify plugins hear of a
/// completed rollback.
pub async fn rollback(app: &App<'_>, options: RollbackOptions) -> Result<String, Error> {
    let result = rollback_service(app, options).await;
    if let Ok(task_definition) = &result
        && !options.dry_run
    {
        app.lifecycle(
            Lifecycle::new(
                crate::plugins::EventKind::RolledBack,
                format!(
                    "service {} rolled back to {}",
                    app.config.file.service.clone().unwrap_or_default(),
                    short_task_definition(task_definition)
                ),
            )
            .task_definition(Some(short_task_definition(task_definition).to_owned()))
            .details(serde_json::json!({"by": "rollback command"})),
        );
    }
    result
}

async fn rollback_service(app: &App<'_>, options: RollbackOptions) -> Result<String, Error> {
    if options.deregister && options.wait.is_none() {
        return Err(Error::Invalid(
            "--no-wait needs --no-deregister-task-definition: the rolled-back revision can only be deregistered after the rollback finished".to_owned(),
        ));
    }
    let name = app.service()?.to_owned();
    let service = require_service(app, &name).await?;
    let current = primary_task_definition(&service).ok_or_else(|| {
        Error::Invalid(format!(
            "service {name} has no task definition to roll back from"
        ))
    })?;
    let started = SystemTime::now();
    if crate::deploy::express::is_configured(app) || crate::deploy::express::is_express(&service) {
        // As ecspresso's RollbackExpressService: only a deployment in flight is rolled back.
        let active = active_deployment(app, &name).await?;
        let to_revision = options.target != RollbackTarget::Previous;
        crate::deploy::express::check_rollback(&name, to_revision, active.is_some())?;
        if let Some(active) = active {
            return roll_back_active(app, &name, active, options, started).await;
        }
    }
    if crate::deploy::strategy::is_code_deploy(&service) {
        return rollback_codedeploy(app, &name, &service, &current, options).await;
    }
    if options.target == RollbackTarget::Previous
        && let Some(active) = active_deployment(app, &name).await?
    {
        return roll_back_active(app, &name, active, options, started).await;
    }
    roll_back_to_revision(app, &name, &current, options, started).await
}

/// CODE_DEPLOY services: a CodeDeploy deployment of the target revision.
async fn rollback_codedeploy(
    app: &App<'_>,
    name: &str,
    service: &aws_sdk_ecs::types::Service,
    current: &str,
    options: RollbackOptions,
) -> Result<String, Error> {
    let family = family_of(current).to_owned();
    let target = match options.target {
        RollbackTarget::Revision(n) => {
            crate::deploy::task_definition::describe_revision(app, &format!("{family}:{n}")).await
        }
        RollbackTarget::Previous | RollbackTarget::PreviousTaskDefinition => {
            previous_revision(app, &family, current, None).await
        }
    };
    let rolled =
        crate::deploy::codedeploy::deploy::rollback(app, name, service, target, options).await?;
    if options.dry_run {
        if options.deregister && !rolled.from.is_empty() {
            app.info(format!(
                "{} would be deregistered",
                short_task_definition(&rolled.from)
            ));
        }
        app.info("DRY RUN OK");
    } else if rolled.from != rolled.now {
        finish_deregister(app, options, &rolled.from).await?;
    }
    Ok(rolled.now)
}

/// A deployment still in flight is rolled back itself: ROLLBACK at its PAUSE hook, or
/// StopServiceDeployment with rollback.
async fn roll_back_active(
    app: &App<'_>,
    name: &str,
    active: ActiveDeployment,
    options: RollbackOptions,
    started: SystemTime,
) -> Result<String, Error> {
    let id = active.arn.rsplit('/').next().unwrap_or(&active.arn);
    let task_definition = active.task_definition;
    match &active.paused_hook {
        Some(hook) => app.info(format!(
            "deployment {id} of {} is paused at a PAUSE hook: rolling it back (ContinueServiceDeployment ROLLBACK, hook {hook})",
            short_task_definition(&task_definition)
        )),
        None => app.info(format!(
            "deployment {id} of {} is in progress: stopping it with rollback",
            short_task_definition(&task_definition)
        )),
    }
    if options.dry_run {
        app.info("DRY RUN OK");
        return Ok(task_definition);
    }
    match &active.paused_hook {
        Some(hook) => {
            crate::deploy::ecs_native::follow::continue_hook(
                app,
                &active.arn,
                hook,
                DeploymentLifecycleHookAction::Rollback,
            )
            .await?;
        }
        None => {
            app.clients
                .ecs
                .stop_service_deployment()
                .service_deployment_arn(&active.arn)
                .stop_type(StopServiceDeploymentStopType::Rollback)
                .send()
                .await
                .map_err(|err| aws_error("StopServiceDeployment", &err, &[]))?;
        }
    }
    finish(app, name, options, started, &task_definition).await
}

/// UpdateService back to the target revision (`--revision`, or the previous one), then wait
/// and deregister the revision rolled back from.
async fn roll_back_to_revision(
    app: &App<'_>,
    name: &str,
    current: &str,
    options: RollbackOptions,
    started: SystemTime,
) -> Result<String, Error> {
    let family = family_of(current).to_owned();
    let target = match options.target {
        RollbackTarget::Revision(n) => {
            // Checked before anything is said or done, as `deploy --revision` does.
            crate::deploy::task_definition::describe_revision(app, &format!("{family}:{n}")).await?
        }
        RollbackTarget::Previous | RollbackTarget::PreviousTaskDefinition => {
            previous_revision(app, &family, current, Some(name)).await?
        }
    };
    if target == current || short_task_definition(current) == target {
        return Err(Error::Invalid(format!(
            "the service already runs {}",
            short_task_definition(current)
        )));
    }
    app.info(format!(
        "rolling back service {name} from {} to {}",
        short_task_definition(current),
        short_task_definition(&target)
    ));
    if options.dry_run {
        if options.deregister {
            app.info(format!(
                "{} would be deregistered",
                short_task_definition(current)
            ));
        }
        app.info("DRY RUN OK");
        return Ok(target);
    }
    let output = app
        .clients
        .ecs
        .update_service()
        .cluster(app.cluster())
        .service(name)
        .task_definition(&target)
        .send()
        .await
        .map_err(|err| aws_error("UpdateService", &err, &[]))?;
    crate::deploy::service::remember_update(app, output.service());
    let target_arn = output
        .service()
        .and_then(|s| s.task_definition())
        .map_or(target.clone(), str::to_owned);
    if let Some(until) = options.wait {
        wait_with(app, name, until, started, PausePolicy::Continue).await?;
        crate::deploy::rolling::confirm_primary(app, name, &target_arn, None).await?;
    }
    finish_deregister(app, options, current).await?;
    Ok(target_arn)
}

/// After StopServiceDeployment: wait, then deregister the stopped deployment's revision.
async fn finish(
    app: &App<'_>,
    name: &str,
    options: RollbackOptions,
    started: SystemTime,
    rolled_back: &str,
) -> Result<String, Error> {
    if let Some(until) = options.wait {
        wait_with(app, name, until, started, PausePolicy::Continue).await?;
    }
    finish_deregister(app, options, rolled_back).await?;
    let service = find_service(app).await?;
    Ok(service
        .as_ref()
        .and_then(primary_task_definition)
        .unwrap_or_default())
}

async fn finish_deregister(
    app: &App<'_>,
    options: RollbackOptions,
    rolled_back: &str,
) -> Result<(), Error> {
    if !options.deregister || rolled_back.is_empty() {
        return Ok(());
    }
    let revision = Revision {
        arn: rolled_back.to_owned(),
        name: short_task_definition(rolled_back).to_owned(),
        in_use: String::new(),
        skipped: None,
    };
    deregister(app, &[revision], false).await
}

/// An in-progress (or pending) service deployment.
pub(crate) struct ActiveDeployment {
    /// Its ARN.
    pub arn: String,
    /// The task definition it deploys.
    pub task_definition: String,
    /// The lifecycle stage it is at.
    pub stage: String,
    /// The id of a PAUSE hook awaiting action, if it is paused.
    pub paused_hook: Option<String>,
}

/// The in-progress (or pending) service deployment of `service`, if any.
pub(crate) async fn active_deployment(
    app: &App<'_>,
    service: &str,
) -> Result<Option<ActiveDeployment>, Error> {
    let output = app
        .clients
        .ecs
        .list_service_deployments()
        .cluster(app.cluster())
        .service(service)
        .status(ServiceDeploymentStatus::InProgress)
        .status(ServiceDeploymentStatus::Pending)
        .send()
        .await
        .map_err(|err| aws_error("ListServiceDeployments", &err, &[]))?;
    let Some(arn) = output
        .service_deployments()
        .iter()
        .find_map(|d| d.service_deployment_arn())
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let described = app
        .clients
        .ecs
        .describe_service_deployments()
        .service_deployment_arns(&arn)
        .send()
        .await
        .map_err(|err| aws_error("DescribeServiceDeployments", &err, &[]))?;
    let deployment = described.service_deployments().first();
    let paused_hook = deployment
        .into_iter()
        .flat_map(|d| d.lifecycle_hook_details())
        .find(|h| {
            h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause)
                && h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction)
        })
        .and_then(|h| h.hook_id())
        .map(str::to_owned);
    let stage = deployment
        .and_then(|d| d.lifecycle_stage())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let revision_arn = deployment
        .and_then(|d| d.target_service_revision())
        .and_then(|r| r.arn())
        .map(str::to_owned);
    let task_definition = match revision_arn {
        Some(revision_arn) => {
            let revisions = app
                .clients
                .ecs
                .describe_service_revisions()
                .service_revision_arns(&revision_arn)
                .send()
                .await
                .map_err(|err| aws_error("DescribeServiceRevisions", &err, &[]))?;
            revisions
                .service_revisions()
                .first()
                .and_then(|r| r.task_definition())
                .map(str::to_owned)
                .unwrap_or(revision_arn)
        }
        None => String::new(),
    };
    Ok(Some(ActiveDeployment {
        arn,
        task_definition,
        stage,
        paused_hook,
    }))
}
