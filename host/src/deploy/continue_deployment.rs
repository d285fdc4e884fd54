//! `continue`: resumes the service deployment paused at a PAUSE lifecycle hook
//! (ContinueServiceDeployment CONTINUE, or ROLLBACK with `--rollback`), then optionally waits.
//! Where ristretto's `before-traffic-shift` gates decide (its PAUSE hook, or CodeDeploy's
//! Ready), `continue` runs them first — a failing gate rolls back — unless `--skip-gates`.

use aws_sdk_ecs::types::DeploymentLifecycleHookAction;

use crate::app::App;
use crate::definition::gate_hook::GATED_STAGES;
use crate::deploy::ecs_native::follow::{PausePolicy, continue_hook};
use crate::deploy::gates::{GateFailure, GateOutcome};
use crate::deploy::rollback::active_deployment;
use crate::deploy::wait::wait_for_deployment;
use crate::deploy::wait_until::WaitUntil;
use crate::deploy::{Error, short_task_definition};
use crate::interrupt::PendingDecision;

/// Options of `continue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContinueOptions {
    /// ROLLBACK instead of CONTINUE.
    pub rollback: bool,
    /// What to wait for afterwards (`None`: do not wait).
    pub wait: Option<WaitUntil>,
    /// Continue without running the `before-traffic-shift` gates at their pause.
    pub skip_gates: bool,
}

/// Whether `continue` must ask the gates first, saying so either way.
fn gates_decide(app: &App<'_>, options: ContinueOptions, at: &str) -> bool {
    if options.rollback || !app.plugins.has_gates() {
        return false;
    }
    if options.skip_gates {
        app.warn(format!(
            "--skip-gates: continuing at {at} without the before-traffic-shift gates; production traffic shifts unverified"
        ));
        return false;
    }
    app.info(format!(
        "{at} is where ristretto's before-traffic-shift gates decide: running them before continuing (--skip-gates to continue without them)"
    ));
    true
}

/// Resumes the paused deployment of the configured service. Returns ECS's rollback reason when
/// the deployment ended rolled back.
pub async fn continue_deployment(
    app: &App<'_>,
    options: ContinueOptions,
) -> Result<Option<String>, Error> {
    let service = app.service()?.to_owned();
    let current = crate::deploy::require_configured_service(app).await?;
    if crate::deploy::strategy::is_code_deploy(&current) {
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
    app.update_context(|c| {
        c.revision = Some(short_task_definition(&active.task_definition).to_owned());
    });
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
    let paused_at = crate::definition::gate_hook::paused_hook_stage(&active.stage);
    if GATED_STAGES.contains(&paused_at)
        && gates_decide(app, options, paused_at)
        && let GateOutcome::Fail(failure) = crate::deploy::gates::decide_paused(
            app,
            crate::plugins::Stage::BeforeTrafficShift,
            PendingDecision::EcsHook {
                deployment_arn: active.arn.clone(),
                hook_id: hook.clone(),
            },
        )
        .await
    {
        app.warn(format!(
            "rolling back deployment {id}: the gates did not pass"
        ));
        continue_hook(
            app,
            &active.arn,
            &hook,
            DeploymentLifecycleHookAction::Rollback,
        )
        .await?;
        return Err(after_gate_rollback(app, &service, &active.arn, options, failure).await);
    }
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
    let group = crate::deploy::codedeploy::find_group(app, service).await?;
    let Some(id) = crate::deploy::codedeploy::active_deployment(app, &group).await? else {
        return Err(Error::Invalid(format!(
            "service {service} has no CodeDeploy deployment in progress: nothing to continue"
        )));
    };
    if gates_decide(app, options, "CodeDeploy's Ready wait")
        && let GateOutcome::Fail(failure) = crate::deploy::gates::decide_paused(
            app,
            crate::plugins::Stage::BeforeTrafficShift,
            PendingDecision::CodeDeployReady {
                deployment_id: id.clone(),
            },
        )
        .await
    {
        app.warn(format!(
            "stopping CodeDeploy deployment {id} with rollback: the gates did not pass"
        ));
        crate::deploy::codedeploy::stop_with_rollback(app, &id).await?;
        if options.wait.is_some() {
            crate::deploy::codedeploy::follow_rollback_of(app, service, &id).await?;
        }
        return Err(gate_failure_rolled_back(app, service, failure).await);
    }
    if options.rollback {
        app.info(format!(
            "CodeDeploy deployment {id}: stopping it with rollback"
        ));
        crate::deploy::codedeploy::stop_with_rollback(app, &id).await?;
    } else {
        app.info(format!(
            "CodeDeploy deployment {id}: continuing (production traffic shifts)"
        ));
        crate::deploy::codedeploy::continue_deployment(app, &id).await?;
    }
    let Some(until) = options.wait else {
        return Ok(None);
    };
    if options.rollback {
        crate::deploy::codedeploy::follow_rollback_of(app, service, &id).await?;
        return Ok(Some("stopped with rollback".to_owned()));
    }
    let policy = if app.plugins.has_gates() {
        PausePolicy::Gate
    } else {
        PausePolicy::Report
    };
    crate::deploy::codedeploy::follow(app, service, &id, until, policy)
        .await
        .map(|()| None)
}

/// After a gate failed at the pause and ROLLBACK was asked: follows the rollback when waiting,
/// and returns the gate failure naming the revision the service runs now.
async fn after_gate_rollback(
    app: &App<'_>,
    service: &str,
    arn: &str,
    options: ContinueOptions,
    failure: GateFailure,
) -> Error {
    if options.wait.is_some()
        && let Err(err) = crate::deploy::wait::wait_for_deployment(
            app,
            service,
            arn,
            WaitUntil::Deployed,
            PausePolicy::Continue,
        )
        .await
    {
        return err;
    }
    gate_failure_rolled_back(app, service, failure).await
}

/// `failure` (a gate's) reported as rolled back, with the task definition the service runs.
async fn gate_failure_rolled_back(app: &App<'_>, service: &str, failure: GateFailure) -> Error {
    let now_running = crate::deploy::service::find_service(app)
        .await
        .ok()
        .flatten()
        .and_then(|s| crate::deploy::service::primary_task_definition(&s))
        .map(|t| short_task_definition(&t).to_owned());
    crate::deploy::rejected::rolled_back(app, service, failure, now_running).await
}
