//! `deploy`, in the order of its data path: read the service; create it when it is missing;
//! otherwise decide a `Plan` (nothing written), converge a CodeDeploy deployment a killed run
//! left in flight, run the pre-deploy gates, apply the plan (register, auto scaling, tags,
//! ONE UpdateService call), and hand over to the controller (CodeDeploy, or the ECS controller:
//! wait, confirm the PRIMARY deployment, post-deploy gates).

use std::time::SystemTime;

use serde_json::json;

use crate::app::App;
use crate::deploy::apply::{Applied, apply};
use crate::deploy::options::{DeployOptions, TaskDefinitionSource};
use crate::deploy::plan::{Plan, PlannedTaskDefinition};
use crate::deploy::service::find_service;
use crate::deploy::{Error, codedeploy, create, express, gates, short_task_definition};
use crate::events::Lifecycle;
use crate::plugins::EventKind;

/// Runs a deploy. Returns the deployed task definition ARN. Notify plugins hear that it
/// started and how it ended (`deploy-succeeded` only once the deploy waited to the end).
pub async fn deploy(app: &App<'_>, options: DeployOptions) -> Result<String, Error> {
    let service_name = app.service()?.to_owned();
    notified(app, options, deploy_service(app, &service_name, options)).await
}

/// Runs `work`, the deploy of `options` (or the apply of a saved plan), telling notify plugins
/// how it ended (`deploy::started` tells them it started, once the definitions are loaded).
pub(crate) async fn notified(
    app: &App<'_>,
    options: DeployOptions,
    work: impl Future<Output = Result<String, Error>>,
) -> Result<String, Error> {
    let service_name = app.service()?.to_owned();
    let _in_flight = app.pending.deploy_in_flight();
    app.update_context(|c| c.dry_run = options.dry_run);
    let result = work.await;
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
        Ok(task_definition) if !options.dry_run && waited_to_the_end => app.lifecycle(
            Lifecycle::new(
                EventKind::DeploySucceeded,
                format!(
                    "service {service_name} runs {}",
                    short_task_definition(task_definition)
                ),
            )
            .task_definition(Some(short_task_definition(task_definition).to_owned())),
        ),
        Ok(_) => {}
        Err(err) => app.lifecycle(
            Lifecycle::new(
                EventKind::DeployFailed,
                format!("deploy of service {service_name} failed: {err}"),
            )
            .task_definition(app.context().revision)
            .details(json!({"reason": err.to_string()})),
        ),
    }
    result
}

async fn deploy_service(
    app: &App<'_>,
    service: &str,
    options: DeployOptions,
) -> Result<String, Error> {
    let started = SystemTime::now();
    if express::is_configured(app) {
        return deploy_express(app, service, options, started).await;
    }
    let Some(remote) = find_service(app).await? else {
        let prepared = create::prepare(app, service, options)?;
        crate::deploy::started::announce(app, service, options.dry_run);
        gates::pre_deploy(app).await?;
        return create::create(app, service, prepared, options, started).await;
    };
    if let Some(account) = remote.service_arn().and_then(|arn| arn.split(':').nth(4)) {
        app.update_context(|c| c.account = account.to_owned());
    }
    if remote.status() == Some("DRAINING") {
        app.warn(format!("service {service} is DRAINING"));
    }
    let plan = Plan::decide(app, service, &remote, options).await?;
    execute(app, &plan, options, started).await
}

/// Carries out a decided `plan` (a deploy's, or a saved plan's): converges a CodeDeploy
/// deployment in flight, runs the pre-deploy gates, applies the plan and hands over to the
/// controller. Returns the deployed task definition ARN.
pub(crate) async fn execute(
    app: &App<'_>,
    plan: &Plan,
    options: DeployOptions,
    started: SystemTime,
) -> Result<String, Error> {
    let service = plan.service.as_str();
    // After the definitions are loaded and transformed (policy plugins included): a deploy
    // they refuse never started.
    crate::deploy::started::announce(app, service, options.dry_run);
    // CodeDeploy takes one deployment per group at a time: one a stopped run left in flight is
    // resumed or replaced before anything is registered.
    if let Some(done) = resume_in_flight(app, plan, options).await? {
        return Ok(done);
    }
    // After the checks that need no writes (definitions, wait target, CodeDeploy group), so a
    // definition error is not preceded by a gate's verdict; before anything is written.
    gates::pre_deploy(app).await?;
    let (task_definition, changes) = match apply(app, plan, options.dry_run).await? {
        Applied::Done(task_definition) => return Ok(task_definition),
        Applied::Updated {
            task_definition,
            changes,
        } => (task_definition, changes),
    };
    let previous = plan.previous_task_definition.as_deref();
    let finished = match &plan.code_deploy {
        Some(_) if only_scales(options) => Ok(()),
        Some(code_deploy) => {
            codedeploy::deploy::deploy(
                app,
                service,
                &code_deploy.group,
                &code_deploy.service_json,
                &task_definition,
                previous,
                options,
            )
            .await
        }
        None => {
            crate::deploy::rolling::finish(
                app,
                service,
                &task_definition,
                previous,
                plan.strategy,
                options,
                started,
            )
            .await
        }
    };
    finished.map_err(|err| crate::deploy::with_applied(err, &changes))?;
    Ok(task_definition)
}

/// An Express service: the Express controller creates or updates it, then, as `options` say,
/// the canary deployment of the service underneath is followed (bake gates decide during its
/// bake times), its PRIMARY deployment must run the new task definition, and the Express
/// service must be ACTIVE.
async fn deploy_express(
    app: &App<'_>,
    service: &str,
    options: DeployOptions,
    started: SystemTime,
) -> Result<String, Error> {
    let Some(deployed) = express::deploy(app, service, options).await? else {
        return Ok(String::new());
    };
    let finished = async {
        let Some(until) = options.wait else {
            app.info(format!(
                "Express service {service} is deploying; not waiting (--no-wait)"
            ));
            return Ok(());
        };
        let rollback = crate::deploy::wait::wait(app, service, until, started).await?;
        if until.is_intermediate() && rollback.is_none() {
            return Ok(());
        }
        let task_definition = &deployed.task_definition;
        crate::deploy::rolling::confirm_primary(app, service, task_definition, rollback).await?;
        express::wait_active(app, service, &deployed.arn, until).await
    };
    finished
        .await
        .map_err(|err| crate::deploy::with_applied(err, &deployed.applied))?;
    Ok(deployed.task_definition)
}

/// CODE_DEPLOY services: converges the group's deployment in flight (see
/// `codedeploy::deploy::resume_in_flight`); `Some` when that completed the deploy.
async fn resume_in_flight(
    app: &App<'_>,
    plan: &Plan,
    options: DeployOptions,
) -> Result<Option<String>, Error> {
    let Some(code_deploy) = &plan.code_deploy else {
        return Ok(None);
    };
    let wanted = match &plan.task_definition {
        PlannedTaskDefinition::Register { definition, .. } => Some(&definition.value),
        PlannedTaskDefinition::Existing(_) => None,
    };
    codedeploy::deploy::resume_in_flight(
        app,
        &plan.service,
        &code_deploy.group,
        &code_deploy.service_json,
        wanted,
        plan.previous_task_definition.as_deref(),
        options,
    )
    .await
}

/// A CODE_DEPLOY service's deploy that only changes the desired count: no CodeDeploy deployment.
fn only_scales(options: DeployOptions) -> bool {
    options.task_definition == TaskDefinitionSource::Current
        && !options.update_service
        && !options.force_new_deployment
}
