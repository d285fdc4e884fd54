//! `continue`: resumes the service deployment paused at a PAUSE lifecycle hook
//! (ContinueServiceDeployment CONTINUE, or ROLLBACK with `--rollback`), then optionally waits.

use aws_sdk_ecs::types::DeploymentLifecycleHookAction;

use super::follow::{PausePolicy, continue_hook};
use super::rollback::active_deployment;
use super::wait::wait_for_deployment;
use super::wait_until::WaitUntil;
use super::{Error, short_task_definition};
use crate::app::App;

/// Options of `continue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContinueOptions {
    /// ROLLBACK instead of CONTINUE.
    pub rollback: bool,
    /// What to wait for afterwards (`None`: do not wait).
    pub wait: Option<WaitUntil>,
}

/// Resumes the paused deployment of the configured service. Returns ECS's rollback reason when
/// the deployment ended rolled back.
pub async fn continue_deployment(
    app: &App<'_>,
    options: ContinueOptions,
) -> Result<Option<String>, Error> {
    let service = app.service()?.to_owned();
    let current =
        super::describe::find_service(app)
            .await?
            .ok_or_else(|| Error::ServiceNotFound {
                cluster: app.cluster().to_owned(),
                service: service.clone(),
            })?;
    if super::strategy::is_code_deploy(&current) {
        return continue_codedeploy(app, &service, options).await;
    }
    let active = active_deployment(app, &service).await?.ok_or_else(|| {
        Error::Invalid(format!(
            "service {service} has no deployment in progress: nothing to continue"
        ))
    })?;
    let id = active
        .arn
        .rsplit('/')
        .next()
        .unwrap_or(&active.arn)
        .to_owned();
    let Some(hook) = active.paused_hook.clone() else {
        return Err(Error::Invalid(format!(
            "deployment {id} of service {service} is at {} and not paused at a PAUSE hook: nothing to continue",
            if active.stage.is_empty() {
                "no stage yet"
            } else {
                &active.stage
            }
        )));
    };
    let action = if options.rollback {
        DeploymentLifecycleHookAction::Rollback
    } else {
        DeploymentLifecycleHookAction::Continue
    };
    app.info(format!(
        "deployment {id} of {} paused at {} (hook {hook}): {}",
        short_task_definition(&active.task_definition),
        active.stage,
        action.as_str()
    ));
    continue_hook(app, &active.arn, &hook, action).await?;
    let Some(until) = options.wait else {
        return Ok(None);
    };
    let policy = if app.plugins.has_gates() && !options.rollback {
        PausePolicy::Gate
    } else {
        PausePolicy::Report
    };
    wait_for_deployment(app, &service, &active.arn, until, policy).await
}

/// CODE_DEPLOY services: ContinueDeployment of the deployment waiting at READY (or
/// StopDeployment with rollback), then optionally follow it.
async fn continue_codedeploy(
    app: &App<'_>,
    service: &str,
    options: ContinueOptions,
) -> Result<Option<String>, Error> {
    let group = super::codedeploy::find_group(app, service).await?;
    let Some(id) = super::codedeploy::active_deployment(app, &group).await? else {
        return Err(Error::Invalid(format!(
            "service {service} has no CodeDeploy deployment in progress: nothing to continue"
        )));
    };
    if options.rollback {
        app.info(format!(
            "CodeDeploy deployment {id}: stopping it with rollback"
        ));
        super::codedeploy::stop_with_rollback(app, &id).await?;
    } else {
        app.info(format!(
            "CodeDeploy deployment {id}: continuing (production traffic shifts)"
        ));
        super::codedeploy::continue_deployment(app, &id).await?;
    }
    let Some(until) = options.wait else {
        return Ok(None);
    };
    if options.rollback {
        if let Some(rollback_id) = super::codedeploy::rollback_deployment_of(app, &id).await? {
            super::codedeploy::follow(
                app,
                service,
                &rollback_id,
                WaitUntil::Deployed,
                PausePolicy::Continue,
            )
            .await?;
        }
        return Ok(Some("stopped with rollback".to_owned()));
    }
    let policy = if app.plugins.has_gates() {
        PausePolicy::Gate
    } else {
        PausePolicy::Report
    };
    super::codedeploy::follow(app, service, &id, until, policy)
        .await
        .map(|()| None)
}
