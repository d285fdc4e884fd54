//! Following one ECS service deployment (DescribeServiceDeployments) until it ends, reaches a
//! lifecycle stage (`ecs:<STAGE>`) or pauses (`paused`). On the way it reports status, stage
//! and traffic-weight changes, answers PAUSE hooks awaiting action (ristretto's
//! `before-traffic-shift` gates → ContinueServiceDeployment CONTINUE or ROLLBACK), and during
//! bake windows asks the `bake` gates, stopping the deployment with rollback when one fails.
//! A plain rolling deployment is read again only when the service shows it moved (`looks`).

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, DeploymentLifecycleHookStatus,
    DeploymentLifecycleHookTargetType, Service, ServiceDeployment, ServiceDeploymentStatus,
    StopServiceDeploymentStopType,
};
use serde_json::json;

use super::looks::DeploymentLooks;
use crate::app::App;
use crate::definition::gate_hook::{GATED_STAGES, STEP_STAGE};
use crate::deploy::gates::bake::BakeMonitor;
use crate::deploy::gates::{GateFailure, GateOutcome};
use crate::deploy::poll::{Watcher, short_id, sleep_or_timeout};
use crate::deploy::service::{current_service, poll_service as describe};
use crate::deploy::wait_until::{WaitUntil, stage_index};
use crate::deploy::{Error, aws_error, gates, short_task_definition};
use crate::events::{Event, Lifecycle};
use crate::interrupt::PendingDecision;
use crate::plugins::{EventKind, Stage};

/// What to do when the deployment pauses at a PAUSE hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePolicy {
    /// Run the `before-traffic-shift` gates at gated stages, then CONTINUE or ROLLBACK; ask
    /// `bake` gates during bake windows.
    Gate,
    /// CONTINUE at once (rollbacks return to a known-good revision).
    Continue,
    /// Report the pause and keep waiting for someone to act (`ristretto continue`).
    Report,
}

/// What the follower remembers between polls.
struct State {
    status: Option<ServiceDeploymentStatus>,
    stage: Option<String>,
    weights: Option<(Option<f64>, Option<f64>)>,
    handled_hooks: BTreeSet<String>,
    gate_rollback: Option<GateFailure>,
    bake: Option<BakeMonitor>,
    /// The production traffic weight (%) of the new revision when the `before-traffic-shift`
    /// gates last passed: a pause before a step at the same weight needs no second run.
    gates_passed_at: Option<f64>,
    /// Following a rollback the user asked for (`rollback`): it ending rolled back is news, not
    /// a warning.
    rollback_expected: bool,
}

/// Follows the service deployment `arn` of `service`. Returns ECS's reason when the
/// deployment was rolled back for another reason than a gate (the caller decides whether that
/// is a failure); a gate failure is `Error::GateFailed` with the revision rolled back to.
pub(crate) async fn follow(
    app: &App<'_>,
    service: &str,
    arn: &str,
    until: WaitUntil,
    policy: PausePolicy,
    watcher: &mut Watcher,
) -> Result<Option<String>, Error> {
    let mut state = State {
        status: None,
        stage: None,
        weights: None,
        handled_hooks: BTreeSet::new(),
        gate_rollback: None,
        bake: (policy == PausePolicy::Gate)
            .then(|| BakeMonitor::new(app))
            .flatten(),
        gates_passed_at: None,
        rollback_expected: policy == PausePolicy::Continue,
    };
    // The first look may be the service as just read (UpdateService's answer, or the last
    // poll of the wait before): no second DescribeServices for the same state.
    let mut first = true;
    let mut looks = DeploymentLooks::new(until);
    loop {
        let current = if std::mem::take(&mut first) {
            current_service(app, service).await?
        } else {
            describe(app, service).await?
        };
        watcher.report(app, &current);
        let deployment = match looks.unchanged(&current) {
            Some(deployment) => deployment,
            None => {
                let deployment = describe_deployment(app, arn).await?;
                looks.read(&current, &deployment);
                deployment
            }
        };
        report_changes(app, arn, &deployment, &mut state);
        progress(app, &current, &deployment, state.rollback_expected);
        let status = deployment.status().cloned();
        let stage = deployment
            .lifecycle_stage()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        let in_flight = matches!(
            status,
            Some(ServiceDeploymentStatus::InProgress | ServiceDeploymentStatus::Pending)
        );

        if in_flight && state.gate_rollback.is_none() {
            match act_in_flight(app, arn, &deployment, &stage, until, policy, &mut state).await? {
                PauseOutcome::StopHere => return Ok(None),
                PauseOutcome::Acted => continue,
                PauseOutcome::Nothing => {}
            }
        }

        if let Some(outcome) = terminal(app, service, arn, &deployment, until, &mut state).await? {
            return outcome;
        }
        let pending = format!(
            "deployment {} is {} at {}",
            named(app, arn),
            status.as_ref().map_or("PENDING", |s| s.as_str()),
            if stage.is_empty() {
                "(no stage yet)"
            } else {
                &stage
            }
        );
        if let Err(err) = sleep_or_timeout(app, service, until, || pending).await {
            // Out of time while the rollback a gate asked for goes on: the gate's failure is
            // the news, not the timeout.
            return Err(match state.gate_rollback.take() {
                Some(mut failure) => {
                    failure.reason = format!(
                        "{}; the rollback was started and goes on without this process (`ristretto wait` follows it)",
                        failure.reason
                    );
                    failure.into_error(None)
                }
                None => err,
            });
        }
    }
}

/// What a poll does while the deployment is in flight: answer its pauses, check the bake
/// gates (a failure stops the deployment with rollback) and stop at an `ecs:*` wait target.
async fn act_in_flight(
    app: &App<'_>,
    arn: &str,
    deployment: &ServiceDeployment,
    stage: &str,
    until: WaitUntil,
    policy: PausePolicy,
    state: &mut State,
) -> Result<PauseOutcome, Error> {
    match answer_pauses(app, arn, deployment, stage, until, policy, state).await? {
        PauseOutcome::Nothing => {}
        acted_or_stop => return Ok(acted_or_stop),
    }
    if let Some(bake) = state.bake.as_mut()
        && in_bake_window(deployment, stage)
        && let GateOutcome::Fail(failure) = bake.check(app).await
    {
        app.warn(format!(
            "stopping deployment {} with rollback: production traffic returns to the previous revision",
            named(app, arn)
        ));
        stop_with_rollback(app, arn).await?;
        state.gate_rollback = Some(failure);
        return Ok(PauseOutcome::Acted);
    }
    if let WaitUntil::EcsStage(target) = until
        && stage_index(stage).is_some_and(|i| i >= target)
    {
        app.info(format!(
            "deployment {} reached {stage}; not waiting for the rest (--wait-until {until})",
            named(app, arn)
        ));
        return Ok(PauseOutcome::StopHere);
    }
    Ok(PauseOutcome::Nothing)
}

/// What answering the pauses of one poll led to.
enum PauseOutcome {
    /// The wait target (`paused`) is reached.
    StopHere,
    /// A hook was continued or rolled back: poll again at once.
    Acted,
    /// No hook awaits action (or it was reported before).
    Nothing,
}

async fn answer_pauses(
    app: &App<'_>,
    arn: &str,
    deployment: &ServiceDeployment,
    stage: &str,
    until: WaitUntil,
    policy: PausePolicy,
    state: &mut State,
) -> Result<PauseOutcome, Error> {
    let waiting = deployment.lifecycle_hook_details().iter().find(|h| {
        h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause)
            && h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction)
            && h.hook_id()
                .is_some_and(|id| !state.handled_hooks.contains(id))
    });
    let Some((hook, hook_id)) = waiting.and_then(|h| Some((h, h.hook_id()?.to_owned()))) else {
        return Ok(PauseOutcome::Nothing);
    };
    let stage = crate::definition::gate_hook::paused_hook_stage(stage);
    state.handled_hooks.insert(hook_id.clone());
    if until == WaitUntil::Paused {
        let message = format!(
            "deployment {} is paused at {stage} (hook {hook_id})",
            named(app, arn)
        );
        let expires = hook
            .expires_at()
            .map(crate::deploy::poll::format_time)
            .unwrap_or_default();
        let action = hook
            .timeout_action()
            .map_or("ROLLBACK", DeploymentLifecycleHookAction::as_str);
        app.lifecycle(
            Lifecycle::new(EventKind::WaitingAtPause, message)
                .task_definition(app.context().revision)
                .details(json!({"stage": stage, "hook_id": hook_id, "expires_at": expires, "timeout_action": action})),
        );
        return Ok(PauseOutcome::StopHere);
    }
    match policy {
        PausePolicy::Gate if GATED_STAGES.contains(&stage) && app.plugins.has_gates() => {
            gate_pause(app, arn, &hook_id, deployment, stage, state).await
        }
        PausePolicy::Continue => {
            app.info(format!(
                "deployment {} paused at {stage}: continuing (rollbacks are not gated)",
                named(app, arn)
            ));
            continue_hook(app, arn, &hook_id, DeploymentLifecycleHookAction::Continue).await?;
            Ok(PauseOutcome::Acted)
        }
        _ => {
            let expires = hook
                .expires_at()
                .map(crate::deploy::poll::format_time)
                .unwrap_or_else(|| "(unknown)".to_owned());
            let action = hook
                .timeout_action()
                .map_or("ROLLBACK", DeploymentLifecycleHookAction::as_str);
            let message = format!(
                "deployment {} is paused at {stage} (hook {hook_id}); run `ristretto continue` to go on or `ristretto rollback` to roll back; the hook times out at {expires} with {action}",
                named(app, arn)
            );
            app.lifecycle(
                Lifecycle::new(EventKind::WaitingAtPause, message).warning()
                .task_definition(app.context().revision)
                .details(json!({"stage": stage, "hook_id": hook_id, "expires_at": expires, "timeout_action": action})),
            );
            Ok(PauseOutcome::Nothing)
        }
    }
}

/// Runs the before-traffic-shift gates for the deployment paused at `stage` (hook `hook_id`):
/// pass → CONTINUE, fail → ROLLBACK (remembered in `state` to report when it ends).
async fn gate_pause(
    app: &App<'_>,
    arn: &str,
    hook_id: &str,
    deployment: &ServiceDeployment,
    stage: &str,
    state: &mut State,
) -> Result<PauseOutcome, Error> {
    let production = production_weight(deployment);
    if stage == STEP_STAGE && state.gates_passed_at == Some(production) {
        app.info(format!(
            "deployment {} paused at {stage}: the gates passed at {production}% production traffic and nothing has shifted since; continuing",
            named(app, arn)
        ));
        continue_hook(app, arn, hook_id, DeploymentLifecycleHookAction::Continue).await?;
        return Ok(PauseOutcome::Acted);
    }
    let (situation, next) = if production > 0.0 {
        (
            format!("{production}% of production traffic is on the new revision"),
            "the next production traffic step goes ahead",
        )
    } else {
        (
            "the new revision takes test traffic".to_owned(),
            "production traffic shifts to the new revision",
        )
    };
    app.info(format!(
        "deployment {} paused at {stage}: {situation}; running before-traffic-shift gates",
        named(app, arn)
    ));
    let decision = PendingDecision::EcsHook {
        deployment_arn: arn.to_owned(),
        hook_id: hook_id.to_owned(),
    };
    match gates::decide_paused(app, Stage::BeforeTrafficShift, decision).await {
        GateOutcome::Pass | GateOutcome::Pending => {
            continue_hook(app, arn, hook_id, DeploymentLifecycleHookAction::Continue).await?;
            state.gates_passed_at = Some(production);
            app.info(format!("gates passed: {next}"));
        }
        GateOutcome::Fail(failure) => {
            let stays = if production > 0.0 {
                "production traffic returns to the current revision"
            } else {
                "production traffic stays on the current revision"
            };
            app.warn(format!(
                "rolling back deployment {}: {stays}",
                named(app, arn)
            ));
            continue_hook(app, arn, hook_id, DeploymentLifecycleHookAction::Rollback).await?;
            state.gate_rollback = Some(failure);
        }
    }
    Ok(PauseOutcome::Acted)
}

/// The production traffic weight (%) the deployment gives its new revision.
fn production_weight(deployment: &ServiceDeployment) -> f64 {
    deployment
        .target_service_revision()
        .and_then(|t| t.requested_production_traffic_weight())
        .unwrap_or(0.0)
}

/// Production traffic (partly) on the new revision and the deployment not over: a linear or
/// canary step (or the pause before the next one), or the bake time.
fn in_bake_window(deployment: &ServiceDeployment, stage: &str) -> bool {
    stage == "BAKE_TIME"
        || (matches!(stage, "PRODUCTION_TRAFFIC_SHIFT" | STEP_STAGE)
            && production_weight(deployment) > 0.0)
}

/// Handles terminal statuses. `Some(result)` ends the follow.
async fn terminal(
    app: &App<'_>,
    service: &str,
    arn: &str,
    deployment: &ServiceDeployment,
    until: WaitUntil,
    state: &mut State,
) -> Result<Option<Result<Option<String>, Error>>, Error> {
    let reason = deployment.status_reason().map(str::to_owned);
    match deployment.status() {
        Some(ServiceDeploymentStatus::Successful) => {
            if until == WaitUntil::Paused {
                app.info(format!(
                    "deployment {} finished without pausing",
                    named(app, arn)
                ));
            }
            if let Some(reason) = &reason {
                app.info(format!(
                    "deployment {} completed: {reason}",
                    named(app, arn)
                ));
            }
            if let Some(early) = deployment
                .deployment_configuration()
                .and_then(|c| c.early_success_criteria())
                .filter(|e| e.enable())
            {
                app.info(format!(
                    "deployment {} met its early success criteria ({}% healthy); {}",
                    named(app, arn),
                    early.healthy_percent().unwrap_or(100),
                    match early.source_service_revision_cleanup().map(|c| c.as_str()) {
                        Some("DEFERRED") => "ECS goes on scaling the new revision to its desired count and draining the previous one in the background (sourceServiceRevisionCleanup DEFERRED); `ristretto wait --wait-until stable` waits for that",
                        _ => "ECS goes on scaling the new revision to its desired count in the background",
                    }
                ));
            }
            app.info(format!("service {service} is deployed"));
            Ok(Some(Ok(None)))
        }
        Some(ServiceDeploymentStatus::RollbackSuccessful) => {
            let Some(failure) = state.gate_rollback.take() else {
                let report = |message: String| {
                    if state.rollback_expected {
                        app.info(message);
                    } else {
                        app.warn(message);
                    }
                };
                report(format!(
                    "deployment {} was rolled back{}",
                    named(app, arn),
                    reason
                        .as_deref()
                        .map_or_else(String::new, |r| format!(": {r}"))
                ));
                return Ok(Some(Ok(Some(
                    reason.unwrap_or_else(|| "rolled back".to_owned()),
                ))));
            };
            let now_running = describe(app, service)
                .await
                .ok()
                .and_then(|s| crate::deploy::service::primary_task_definition(&s))
                .map(|t| short_task_definition(&t).to_owned());
            Ok(Some(Err(crate::deploy::rejected::rolled_back(
                app,
                service,
                failure,
                now_running,
            )
            .await)))
        }
        Some(
            status @ (ServiceDeploymentStatus::Stopped
            | ServiceDeploymentStatus::RollbackFailed
            | ServiceDeploymentStatus::StopRequested),
        ) => {
            let reason = match state.gate_rollback.take() {
                Some(f) => Some(format!(
                    "{} gate of plugin `{}` failed: {}{}",
                    f.stage,
                    f.plugin,
                    f.reason,
                    reason.map_or_else(String::new, |r| format!("; ECS: {r}"))
                )),
                None => reason,
            };
            Ok(Some(Err(Error::DeploymentFailed {
                service: service.to_owned(),
                deployment: arn.to_owned(),
                status: status.as_str().to_owned(),
                reason,
            })))
        }
        _ => Ok(None),
    }
}

/// Reports status, lifecycle stage and traffic weight changes.
fn report_changes(app: &App<'_>, arn: &str, deployment: &ServiceDeployment, state: &mut State) {
    let status = deployment.status().cloned();
    if status != state.status {
        if let Some(status) = &status {
            app.info(format!(
                "deployment {} is {}",
                named(app, arn),
                status.as_str()
            ));
        }
        state.status = status;
    }
    let stage = deployment.lifecycle_stage().map(|s| s.as_str().to_owned());
    if stage != state.stage {
        if let Some(stage) = &stage {
            app.info(format!("deployment {}: stage {stage}", named(app, arn)));
        }
        state.stage = stage;
    }
    let Some(target) = deployment.target_service_revision() else {
        return;
    };
    let weights = (
        target.requested_production_traffic_weight(),
        target.requested_test_traffic_weight(),
    );
    if weights.0.is_some() && Some(weights) != state.weights {
        let production = weights.0.unwrap_or(0.0);
        let test = weights.1.unwrap_or(0.0);
        let message =
            format!("traffic on the new revision: production {production}%, test {test}%");
        let production_moved = state
            .weights
            .is_some_and(|(before, _)| before.unwrap_or(0.0) != production)
            || (state.weights.is_none() && production > 0.0);
        if production_moved {
            app.lifecycle(
                Lifecycle::new(EventKind::TrafficShifted, message)
                    .task_definition(app.context().revision)
                    .details(json!({"production_weight": production, "test_weight": test})),
            );
        } else {
            app.info(message);
        }
        state.weights = Some(weights);
    }
}

/// The progress line: `deploying web:2`; during a rollback `rolling back to web:1` with the
/// tasks of the service's PRIMARY deployment: at once when this deployment is a rollback
/// (`rollback_expected`: it returns to an earlier revision), once PRIMARY runs an earlier
/// revision when ECS rolls this deployment back; until then `rolling back from web:2`.
fn progress(
    app: &App<'_>,
    service: &Service,
    deployment: &ServiceDeployment,
    rollback_expected: bool,
) {
    let Some(target) = deployment.target_service_revision() else {
        return;
    };
    let rolling_back = deployment.status().is_some_and(|s| {
        matches!(
            s,
            ServiceDeploymentStatus::RollbackRequested
                | ServiceDeploymentStatus::RollbackInProgress
        )
    });
    let revision = app.context().revision;
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .map(|d| {
            (
                short_task_definition(d.task_definition().unwrap_or_default()),
                d,
            )
        })
        .filter(|(primary, _)| !primary.is_empty());
    let returning_to = primary.filter(|(primary, _)| {
        if rolling_back {
            revision.as_deref().is_some_and(|r| r != *primary)
        } else {
            rollback_expected
        }
    });
    let revision = revision.unwrap_or_else(|| "the new revision".to_owned());
    let event = match returning_to {
        Some((primary, d)) => Event::Progress {
            activity: format!("rolling back to {primary}"),
            running: i64::from(d.running_count()),
            desired: i64::from(d.desired_count()),
        },
        None => Event::Progress {
            activity: if rolling_back {
                format!("rolling back from {revision}")
            } else {
                format!("deploying {revision}")
            },
            running: i64::from(target.running_task_count()),
            desired: i64::from(target.requested_task_count()),
        },
    };
    app.emit(event);
}

/// The deployment as the shared poller's next round reads it (one DescribeServiceDeployments
/// for up to 20 deployments of the command).
async fn describe_deployment(app: &App<'_>, arn: &str) -> Result<ServiceDeployment, Error> {
    app.clients
        .poller
        .deployment(arn)
        .await
        .map_err(crate::deploy::service::from_poll_error)?
        .ok_or_else(|| Error::Invalid(format!("service deployment {arn} not found")))
}

/// ContinueServiceDeployment for a PAUSE hook.
pub(crate) async fn continue_hook(
    app: &App<'_>,
    arn: &str,
    hook_id: &str,
    action: DeploymentLifecycleHookAction,
) -> Result<(), Error> {
    app.clients
        .ecs
        .continue_service_deployment()
        .service_deployment_arn(arn)
        .hook_id(hook_id)
        .action(action)
        .send()
        .await
        .map_err(|err| aws_error("ContinueServiceDeployment", &err, &[]))?;
    Ok(())
}

async fn stop_with_rollback(app: &App<'_>, arn: &str) -> Result<(), Error> {
    app.clients
        .ecs
        .stop_service_deployment()
        .service_deployment_arn(arn)
        .stop_type(StopServiceDeploymentStopType::Rollback)
        .send()
        .await
        .map_err(|err| aws_error("StopServiceDeployment", &err, &[]))?;
    Ok(())
}

/// How log lines name the deployment `arn`: by the revision it deploys (`of web:2`), as the
/// deployment lines and the progress bar do, so a person sees one name per deployment; by the
/// service deployment's id only when the command does not know the revision.
fn named(app: &App<'_>, arn: &str) -> String {
    match app.context().revision {
        Some(revision) => format!("of {revision}"),
        None => short_id(arn).to_owned(),
    }
}
