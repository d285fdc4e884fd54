//! The CodeDeploy half of `deploy`: after the service attributes are applied, create the
//! deployment, follow it (gates at READY and while baking), then run the post-deploy gates;
//! a post-deploy failure deploys the previous task definition again through CodeDeploy.

use serde_json::{Value, json};

use crate::app::App;
use crate::deploy::codedeploy::{self, Group};
use crate::deploy::ecs_native::follow::PausePolicy;
use crate::deploy::options::DeployOptions;
use crate::deploy::{Error, gates, short_task_definition};
use crate::events::Lifecycle;
use crate::plugins::EventKind;

/// Creates and follows the CodeDeploy deployment of `task_definition`.
pub(crate) async fn deploy(
    app: &App<'_>,
    service: &str,
    group: &Group,
    service_json: &Value,
    task_definition: &str,
    previous: Option<&str>,
    options: DeployOptions,
) -> Result<(), Error> {
    let id = codedeploy::create_deployment(
        app,
        group,
        service_json,
        task_definition,
        options.rollback_events,
        false,
    )
    .await?;
    app.lifecycle(
        Lifecycle::new(
            EventKind::ServiceUpdated,
            format!(
                "CodeDeploy deployment {id} of {} to service {service} started",
                short_task_definition(task_definition)
            ),
        )
        .task_definition(Some(short_task_definition(task_definition).to_owned()))
        .details(json!({"deployment_id": id})),
    );
    follow_to_the_end(
        app,
        service,
        group,
        service_json,
        task_definition,
        previous,
        &id,
        options,
    )
    .await
}

/// Resumes the deployment of `group` in flight when it brings the task definition `wanted`
/// (the one this deploy would register; a killed run left it, usually at READY), or stops it
/// with rollback when it brings another (see `codedeploy::converge_in_flight`). Returns the task
/// definition when the deploy was completed by resuming; `None` when the deploy goes on as
/// usual. Nothing is registered before this.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn resume_in_flight(
    app: &App<'_>,
    service: &str,
    group: &Group,
    service_json: &Value,
    wanted: Option<&Value>,
    previous: Option<&str>,
    options: DeployOptions,
) -> Result<Option<String>, Error> {
    let codedeploy::InFlight::Resume {
        id,
        task_definition,
    } = codedeploy::converge_in_flight(app, service, group, wanted, options.dry_run).await?
    else {
        return Ok(None);
    };
    if options.dry_run {
        app.info("DRY RUN OK");
        return Ok(Some(task_definition));
    }
    app.update_context(|c| {
        c.revision = Some(short_task_definition(&task_definition).to_owned());
    });
    follow_to_the_end(
        app,
        service,
        group,
        service_json,
        &task_definition,
        previous,
        &id,
        options,
    )
    .await?;
    Ok(Some(task_definition))
}

/// Follows CodeDeploy deployment `id` as `options.wait` says (gates at READY and while
/// baking), then runs the post-deploy gates.
#[allow(clippy::too_many_arguments)]
async fn follow_to_the_end(
    app: &App<'_>,
    service: &str,
    group: &Group,
    service_json: &Value,
    task_definition: &str,
    previous: Option<&str>,
    id: &str,
    options: DeployOptions,
) -> Result<(), Error> {
    let id = id.to_owned();
    let Some(until) = options.wait else {
        app.info(format!(
            "CodeDeploy deployment {id} started; not waiting (--no-wait)"
        ));
        gates::warn_unattended(app, crate::deploy::Strategy::CodeDeploy, None);
        return Ok(());
    };
    let policy = if app.plugins.has_gates() {
        PausePolicy::Gate
    } else {
        PausePolicy::Report
    };
    app.info(format!("waiting for service {service} to be {until}"));
    let result = codedeploy::follow(app, service, &id, until, policy).await;
    app.emit(crate::events::Event::WaitFinished);
    result?;
    if until.is_intermediate() {
        gates::warn_unattended(app, crate::deploy::Strategy::CodeDeploy, Some(until));
        return Ok(());
    }
    post_deploy(app, service, group, service_json, task_definition, previous).await
}

/// Runs the post-deploy gates of a CODE_DEPLOY service running `deployed`; on failure deploys
/// `previous` again through CodeDeploy.
pub(crate) async fn post_deploy(
    app: &App<'_>,
    service: &str,
    group: &Group,
    service_json: &Value,
    deployed: &str,
    previous: Option<&str>,
) -> Result<(), Error> {
    crate::deploy::post_deploy::run_with(app, service, deployed, previous, async |previous| {
        let rollback_id = codedeploy::create_deployment(
            app,
            group,
            service_json,
            previous,
            Default::default(),
            false,
        )
        .await?;
        codedeploy::follow(
            app,
            service,
            &rollback_id,
            crate::deploy::WaitUntil::Deployed,
            PausePolicy::Continue,
        )
        .await
    })
    .await
}

/// What `rollback` of a CODE_DEPLOY service did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RolledBack {
    /// The task definition the service runs afterwards.
    pub now: String,
    /// The revision rolled back from, to deregister: the task definition of the stopped
    /// in-flight deployment (whether or not its traffic had shifted), else the one the service
    /// ran (ecspresso #673).
    pub from: String,
}

/// `rollback` of a CODE_DEPLOY service: stops the deployment in flight with rollback (and
/// follows CodeDeploy's rollback deployment), or deploys `target` through CodeDeploy.
pub(crate) async fn rollback(
    app: &App<'_>,
    service: &str,
    remote: &aws_sdk_ecs::types::Service,
    target: Result<String, Error>,
    options: crate::deploy::RollbackOptions,
) -> Result<RolledBack, Error> {
    let wait = options.wait.is_some();
    let dry_run = options.dry_run;
    let current = crate::deploy::service::primary_task_definition(remote).unwrap_or_default();
    let group = codedeploy::find_group(app, service).await?;
    if let Some(id) = codedeploy::active_deployment(app, &group).await? {
        let from = codedeploy::in_flight::deployed_task_definition(app, &id).await?;
        app.info(format!(
            "CodeDeploy deployment {id} of {} is in progress: stopping it with rollback",
            short_task_definition(&from)
        ));
        if dry_run {
            return Ok(RolledBack { now: current, from });
        }
        codedeploy::stop_with_rollback(app, &id).await?;
        if wait {
            // A rollback deployment that already finished (or never showed) is no reason to
            // keep the stopped revision registered (ecspresso #679).
            codedeploy::follow_rollback_of(app, service, &id).await?;
        }
        let now = crate::deploy::service::find_service(app).await?;
        let now = now
            .as_ref()
            .and_then(|s| s.task_definition())
            .unwrap_or_default()
            .to_owned();
        return Ok(RolledBack { now, from });
    }
    let target = target?;
    let target = target.as_str();
    app.info(format!(
        "rolling back service {service} to {} through CodeDeploy",
        short_task_definition(target)
    ));
    let service_json = crate::deploy::diff::remote_service_json(remote)?;
    let id = codedeploy::create_deployment(
        app,
        &group,
        &service_json,
        target,
        options.rollback_events,
        dry_run,
    )
    .await?;
    if !dry_run && wait {
        codedeploy::follow(
            app,
            service,
            &id,
            crate::deploy::WaitUntil::Deployed,
            PausePolicy::Continue,
        )
        .await?;
    }
    Ok(RolledBack {
        now: target.to_owned(),
        from: current,
    })
}
