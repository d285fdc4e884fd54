//! The CodeDeploy half of `deploy`: after the service attributes are applied, create the
//! deployment, follow it (gates at READY and while baking), then run the post-deploy gates;
//! a post-deploy failure deploys the previous task definition again through CodeDeploy.

use serde_json::{Value, json};

use super::codedeploy::{self, Group};
use super::deploy_run::DeployOptions;
use super::follow::PausePolicy;
use super::{Error, gates, short_task_definition};
use crate::app::App;
use crate::plugins::EventKind;

/// Creates and follows the CodeDeploy deployment of `task_definition`.
pub(super) async fn deploy(
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
    app.notify(
        EventKind::ServiceUpdated,
        &format!(
            "CodeDeploy deployment {id} of {} to service {service} started",
            short_task_definition(task_definition)
        ),
        Some(short_task_definition(task_definition).to_owned()),
        json!({"deployment_id": id}),
    );
    let Some(until) = options.wait else {
        app.info(format!(
            "CodeDeploy deployment {id} started; not waiting (--no-wait)"
        ));
        gates::warn_unattended(app, "codedeploy", None);
        return Ok(());
    };
    let policy = if app.plugins.has_gates() {
        PausePolicy::Gate
    } else {
        PausePolicy::Report
    };
    app.info(format!("waiting for service {service} to be {until}"));
    let result = codedeploy::follow(app, service, &id, until, policy).await;
    app.events.emit(crate::events::Event::WaitFinished);
    result?;
    if until.is_intermediate() {
        gates::warn_unattended(app, "codedeploy", Some(until));
        return Ok(());
    }
    post_deploy(app, service, group, service_json, task_definition, previous).await
}

/// Runs the post-deploy gates of a CODE_DEPLOY service running `deployed`; on failure deploys
/// `previous` again through CodeDeploy.
pub(super) async fn post_deploy(
    app: &App<'_>,
    service: &str,
    group: &Group,
    service_json: &Value,
    deployed: &str,
    previous: Option<&str>,
) -> Result<(), Error> {
    gates::post_deploy_with(app, service, deployed, previous, async |previous| {
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
            super::WaitUntil::Deployed,
            PausePolicy::Continue,
        )
        .await
    })
    .await
}

/// `rollback` of a CODE_DEPLOY service: stops the deployment in flight with rollback (and
/// follows CodeDeploy's rollback deployment), or deploys `target` through CodeDeploy. Returns
/// the task definition the service runs afterwards.
pub(super) async fn rollback(
    app: &App<'_>,
    service: &str,
    remote: &aws_sdk_ecs::types::Service,
    target: Result<String, Error>,
    options: super::RollbackOptions,
) -> Result<String, Error> {
    let wait = options.wait.is_some();
    let dry_run = options.dry_run;
    let group = codedeploy::find_group(app, service).await?;
    if let Some(id) = codedeploy::active_deployment(app, &group).await? {
        app.info(format!(
            "CodeDeploy deployment {id} is in progress: stopping it with rollback"
        ));
        if dry_run {
            app.info("DRY RUN OK");
            return Ok(String::new());
        }
        codedeploy::stop_with_rollback(app, &id).await?;
        if wait {
            codedeploy::follow_rollback_of(app, service, &id).await?;
        }
        let now = super::describe::find_service(app).await?;
        return Ok(now
            .as_ref()
            .and_then(|s| s.task_definition())
            .unwrap_or_default()
            .to_owned());
    }
    let target = target?;
    let target = target.as_str();
    app.info(format!(
        "rolling back service {service} to {} through CodeDeploy",
        short_task_definition(target)
    ));
    let service_json = super::diff::remote_service_json(remote)?;
    let id = codedeploy::create_deployment(
        app,
        &group,
        &service_json,
        target,
        options.rollback_events,
        dry_run,
    )
    .await?;
    if dry_run {
        app.info("DRY RUN OK");
        return Ok(target.to_owned());
    }
    if wait {
        codedeploy::follow(
            app,
            service,
            &id,
            super::WaitUntil::Deployed,
            PausePolicy::Continue,
        )
        .await?;
    }
    Ok(target.to_owned())
}
