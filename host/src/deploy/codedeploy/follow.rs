//! Following a CodeDeploy deployment of an ECS service (GetDeployment + GetDeploymentTarget):
//! status, lifecycle events and the green task set's traffic weight are reported; at READY
//! the `before-traffic-shift` gates run (ContinueDeployment on pass, StopDeployment with
//! rollback on fail); during the termination wait (`Baking`) the `bake` gates are asked;
//! `--wait-until codedeploy:<Event>` returns once that event succeeded.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_codedeploy::types::{
    DeploymentInfo, DeploymentStatus, DeploymentWaitType, EcsTarget, LifecycleEventStatus,
    TargetLabel,
};
use serde_json::json;

use crate::app::App;
use crate::deploy::ecs_native::follow::PausePolicy;
use crate::deploy::gates::bake::BakeMonitor;
use crate::deploy::gates::{GateFailure, GateOutcome};
use crate::deploy::poll::sleep_or_timeout;
use crate::deploy::wait_until::{CODEDEPLOY_EVENTS, WaitUntil};
use crate::deploy::{Error, aws_error, gates, short_task_definition};
use crate::events::Lifecycle;
use crate::interrupt::PendingDecision;
use crate::plugins::{EventKind, Stage};

struct State {
    status: Option<DeploymentStatus>,
    events: BTreeMap<String, String>,
    green_weight: Option<f64>,
    /// Following a rollback deployment (messages say so; no traffic-shifted events).
    rolling_back: bool,
    ready_handled: bool,
    gate_rollback: Option<GateFailure>,
    bake: Option<BakeMonitor>,
}

/// Follows CodeDeploy deployment `id` of `service` until `until`.
pub async fn follow(
    app: &App<'_>,
    service: &str,
    id: &str,
    until: WaitUntil,
    policy: PausePolicy,
) -> Result<(), Error> {
    let target_id = format!("{}:{service}", app.cluster());
    let mut state = State {
        status: None,
        events: BTreeMap::new(),
        green_weight: None,
        // Continue is the policy of rollback deployments (they return to a known revision).
        rolling_back: policy == PausePolicy::Continue,
        ready_handled: false,
        gate_rollback: None,
        bake: (policy == PausePolicy::Gate)
            .then(|| BakeMonitor::new(app))
            .flatten(),
    };
    loop {
        let info = get_deployment(app, id).await?;
        let target = get_target(app, id, &target_id).await;
        report(app, id, &info, target.as_ref(), &mut state);
        let status = info.status().cloned();

        if event_reached(app, id, service, until, &state)? {
            return Ok(());
        }

        match status {
            Some(DeploymentStatus::Ready) if state.gate_rollback.is_none() => {
                if until == WaitUntil::Paused {
                    let message = format!(
                        "CodeDeploy deployment {id} is ready: the new task set takes test traffic"
                    );
                    app.lifecycle(
                        Lifecycle::new(EventKind::WaitingAtPause, message)
                            .task_definition(app.context().revision)
                            .details(json!({"stage": "Ready", "deployment_id": id})),
                    );
                    return Ok(());
                }
                if !state.ready_handled {
                    state.ready_handled = true;
                    answer_ready(app, id, policy, &mut state).await?;
                    continue;
                }
            }
            Some(DeploymentStatus::Succeeded) => {
                if state.rolling_back {
                    app.info(format!(
                        "rollback deployment {id} succeeded: service {service} is back on the earlier revision"
                    ));
                } else {
                    app.info(format!("service {service} is deployed"));
                }
                return Ok(());
            }
            Some(status @ (DeploymentStatus::Failed | DeploymentStatus::Stopped)) => {
                return Err(finish_failed(app, service, id, &info, status, &mut state).await);
            }
            Some(DeploymentStatus::Baking | DeploymentStatus::InProgress)
                if state.gate_rollback.is_none() && traffic_shifted(&state) =>
            {
                if let Some(bake) = state.bake.as_mut()
                    && let GateOutcome::Fail(failure) = bake.check(app).await
                {
                    app.warn(format!(
                        "stopping CodeDeploy deployment {id} with rollback: traffic returns to the previous task set"
                    ));
                    stop_with_rollback(app, id).await?;
                    state.gate_rollback = Some(failure);
                    continue;
                }
            }
            _ => {}
        }
        let pending = format!(
            "CodeDeploy deployment {id} is {}",
            state.status.as_ref().map_or("Created", |s| s.as_str())
        );
        sleep_or_timeout(app, service, until, || pending).await?;
    }
}

/// With `--wait-until codedeploy:<Event>`: whether that lifecycle event is done (the wait
/// ends), or an error when it failed.
fn event_reached(
    app: &App<'_>,
    id: &str,
    service: &str,
    until: WaitUntil,
    state: &State,
) -> Result<bool, Error> {
    let WaitUntil::CodeDeployEvent(index) = until else {
        return Ok(false);
    };
    let name = CODEDEPLOY_EVENTS.get(index).copied().unwrap_or_default();
    match state.events.get(name).map(String::as_str) {
        Some("Succeeded" | "Skipped") => {
            app.info(format!(
                "CodeDeploy deployment {id}: {name} done; not waiting for the rest (--wait-until {until})"
            ));
            Ok(true)
        }
        Some("Failed") => Err(failed(
            id,
            "Failed",
            Some(format!("lifecycle event {name} failed")),
            service,
        )),
        _ => Ok(false),
    }
}

/// Production traffic is (partly) on the green task set: a canary or linear step, or
/// AllowTraffic done (the termination wait).
fn traffic_shifted(state: &State) -> bool {
    state.events.get("AllowTraffic").map(String::as_str) == Some("Succeeded")
        || state.green_weight.is_some_and(|w| w > 0.0)
}

async fn answer_ready(
    app: &App<'_>,
    id: &str,
    policy: PausePolicy,
    state: &mut State,
) -> Result<(), Error> {
    match policy {
        PausePolicy::Gate if app.plugins.has_gates() => {
            app.info(format!(
                "CodeDeploy deployment {id} is ready: the new task set takes test traffic; running before-traffic-shift gates"
            ));
            let decision = PendingDecision::CodeDeployReady {
                deployment_id: id.to_owned(),
            };
            match gates::decide_paused(app, Stage::BeforeTrafficShift, decision).await {
                GateOutcome::Pass | GateOutcome::Pending => {
                    continue_deployment(app, id).await?;
                    app.info("gates passed: production traffic shifts to the new task set");
                }
                GateOutcome::Fail(failure) => {
                    app.warn(format!(
                        "stopping CodeDeploy deployment {id} with rollback: production traffic stays on the current task set"
                    ));
                    stop_with_rollback(app, id).await?;
                    state.gate_rollback = Some(failure);
                }
            }
        }
        PausePolicy::Continue => {
            app.info(format!("CodeDeploy deployment {id} is ready: continuing"));
            continue_deployment(app, id).await?;
        }
        _ => {
            let message = format!(
                "CodeDeploy deployment {id} is ready (test traffic on the new task set) and waits: run `ristretto continue` to shift production traffic or `ristretto rollback`; the deployment group's wait time applies"
            );
            app.lifecycle(
                Lifecycle::new(EventKind::WaitingAtPause, message)
                    .warning()
                    .task_definition(app.context().revision)
                    .details(json!({"deployment_id": id, "stage": "Ready"})),
            );
        }
    }
    Ok(())
}

/// The deployment failed or was stopped: after a gate failure, wait for CodeDeploy's rollback
/// deployment and report the gate; otherwise report CodeDeploy's error.
async fn finish_failed(
    app: &App<'_>,
    service: &str,
    id: &str,
    info: &DeploymentInfo,
    status: DeploymentStatus,
    state: &mut State,
) -> Error {
    let rollback_id = info
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .map(str::to_owned);
    if let Some(rollback_id) = &rollback_id {
        app.info(format!(
            "CodeDeploy rolls back with deployment {rollback_id}"
        ));
        if let Err(err) = wait_terminal(app, rollback_id).await {
            return err;
        }
    }
    let now_running = crate::deploy::describe_service(&app.clients.ecs, app.cluster(), service)
        .await
        .ok()
        .flatten()
        .and_then(|s| {
            s.task_definition()
                .map(|t| short_task_definition(t).to_owned())
        });
    match state.gate_rollback.take() {
        Some(failure) => {
            crate::deploy::rejected::rolled_back(app, service, failure, now_running).await
        }
        None => {
            let mut reason = info.error_information().map(|e| {
                format!(
                    "{}: {}",
                    e.code().map_or("error", |c| c.as_str()),
                    e.message().unwrap_or_default()
                )
            });
            if let Some(rollback_id) = rollback_id {
                reason = Some(format!(
                    "{}; rolled back by deployment {rollback_id}",
                    reason.unwrap_or_default()
                ));
            }
            failed(id, status.as_str(), reason, service)
        }
    }
}

fn failed(id: &str, status: &str, reason: Option<String>, service: &str) -> Error {
    Error::DeploymentFailed {
        service: service.to_owned(),
        deployment: id.to_owned(),
        status: status.to_owned(),
        reason,
    }
}

/// Polls deployment `id` until it is Succeeded, Failed or Stopped.
async fn wait_terminal(app: &App<'_>, id: &str) -> Result<DeploymentStatus, Error> {
    loop {
        let info = get_deployment(app, id).await?;
        if let Some(
            status @ (DeploymentStatus::Succeeded
            | DeploymentStatus::Failed
            | DeploymentStatus::Stopped),
        ) = info.status()
        {
            return Ok(status.clone());
        }
        if app.remaining() < Duration::from_secs(2) {
            return Err(Error::Invalid(format!(
                "timed out waiting for CodeDeploy rollback deployment {id}"
            )));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn report(
    app: &App<'_>,
    id: &str,
    info: &DeploymentInfo,
    target: Option<&EcsTarget>,
    state: &mut State,
) {
    let status = info.status().cloned();
    if status != state.status {
        if let Some(status) = &status {
            app.info(format!("CodeDeploy deployment {id} is {}", status.as_str()));
        }
        state.status = status;
    }
    let Some(target) = target else {
        return;
    };
    for event in target.lifecycle_events() {
        let name = event.lifecycle_event_name().unwrap_or_default().to_owned();
        let status = event
            .status()
            .map_or("Pending", LifecycleEventStatus::as_str)
            .to_owned();
        if status != "Pending" && state.events.get(&name) != Some(&status) {
            app.info(format!("CodeDeploy deployment {id}: {name} {status}"));
        }
        state.events.insert(name, status);
    }
    let green = target
        .task_sets_info()
        .iter()
        .find(|t| t.task_set_label() == Some(&TargetLabel::Green));
    if let Some(green) = green {
        let weight = green.traffic_weight();
        if state.green_weight != Some(weight) {
            let message = if state.rolling_back {
                format!("rollback: traffic on the restored task set: {weight}%")
            } else {
                format!("traffic on the new task set: {weight}%")
            };
            if weight > 0.0 && !state.rolling_back {
                app.lifecycle(
                    Lifecycle::new(EventKind::TrafficShifted, message)
                        .task_definition(app.context().revision)
                        .details(json!({"production_weight": weight})),
                );
            } else {
                app.info(message);
            }
            state.green_weight = Some(weight);
        }
    }
}

/// Follows the rollback deployment CodeDeploy created for stopped deployment `id` of `service`
/// until it ends (nothing to follow when CodeDeploy created none).
pub async fn follow_rollback_of(app: &App<'_>, service: &str, id: &str) -> Result<(), Error> {
    match rollback_deployment_of(app, id).await? {
        Some(rollback_id) => {
            follow(
                app,
                service,
                &rollback_id,
                WaitUntil::Deployed,
                PausePolicy::Continue,
            )
            .await
        }
        None => Ok(()),
    }
}

/// The rollback deployment CodeDeploy created for stopped deployment `id` (polled for up to
/// about 10 s, as CodeDeploy creates it shortly after the stop).
pub async fn rollback_deployment_of(app: &App<'_>, id: &str) -> Result<Option<String>, Error> {
    for _ in 0..10 {
        let rollback = get_deployment(app, id)
            .await?
            .rollback_info()
            .and_then(|r| r.rollback_deployment_id())
            .map(str::to_owned);
        if rollback.is_some() {
            return Ok(rollback);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(None)
}

pub(crate) async fn get_deployment(app: &App<'_>, id: &str) -> Result<DeploymentInfo, Error> {
    app.clients
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(|err| aws_error("GetDeployment", &err, &[]))?
        .deployment_info()
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("CodeDeploy deployment {id} not found")))
}

/// The ECS target of the deployment; `None` while CodeDeploy has not created it (or on error:
/// progress detail is optional, the status comes from GetDeployment).
async fn get_target(app: &App<'_>, id: &str, target_id: &str) -> Option<EcsTarget> {
    let output = app
        .clients
        .codedeploy
        .get_deployment_target()
        .deployment_id(id)
        .target_id(target_id)
        .send()
        .await;
    match output {
        Ok(output) => output
            .deployment_target()
            .and_then(|t| t.ecs_target())
            .cloned(),
        Err(err) => {
            app.emit(crate::events::Event::Debug(format!(
                "GetDeploymentTarget: {}",
                crate::aws::describe_error(&err)
            )));
            None
        }
    }
}

/// ContinueDeployment (READY_WAIT).
pub async fn continue_deployment(app: &App<'_>, id: &str) -> Result<(), Error> {
    app.clients
        .codedeploy
        .continue_deployment()
        .deployment_id(id)
        .deployment_wait_type(DeploymentWaitType::ReadyWait)
        .send()
        .await
        .map_err(|err| aws_error("ContinueDeployment", &err, &[]))?;
    Ok(())
}

/// StopDeployment with auto rollback.
pub async fn stop_with_rollback(app: &App<'_>, id: &str) -> Result<(), Error> {
    app.clients
        .codedeploy
        .stop_deployment()
        .deployment_id(id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .map_err(|err| aws_error("StopDeployment", &err, &[]))?;
    Ok(())
}
