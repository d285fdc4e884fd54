//! Gates in the rolling lifecycle: `pre-deploy` before anything is written (a failure changes
//! nothing), `post-deploy` once the service is steady on the new task definition (a failure rolls
//! the service back to the task definition it ran before). Each gate's verdict is reported and
//! sent to notify plugins.

pub(crate) mod bake;

use serde_json::json;

use crate::app::App;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::plugins::{EventKind, Stage};

/// Runs the gates at `stage`. On failure returns `Error::GateFailed` (without rollback).
pub async fn run(app: &App<'_>, stage: Stage) -> Result<(), Error> {
    if !app.plugins.has_gates() {
        return Ok(());
    }
    app.info(format!("running {} gates", stage.name()));
    // Leave a few seconds of the command's timeout to act on the verdict (roll back).
    let margin = std::time::Duration::from_secs(3).min(app.remaining() / 2);
    let deadline = app.deadline.checked_sub(margin).unwrap_or(app.deadline);
    match app.plugins.run_gates(&app.context(), stage, deadline).await {
        Ok(passed) => {
            for plugin in passed {
                let message = format!("{} gate of plugin `{plugin}` passed", stage.name());
                app.info(message.clone());
                app.notify(
                    EventKind::GatePassed,
                    &message,
                    None,
                    json!({"plugin": plugin, "stage": stage.name()}),
                );
            }
            Ok(())
        }
        Err(failure) => Err(failed(app, failure.plugin, failure.stage, failure.reason)),
    }
}

/// Runs the gates at `stage` for a deployment paused until they decide: while they run, a
/// signal that stops ristretto answers `decision` with a rollback (see `crate::interrupt`).
pub async fn run_deciding(
    app: &App<'_>,
    stage: Stage,
    decision: crate::interrupt::PendingDecision,
) -> Result<(), Error> {
    let _owed = app.pending.owe(decision);
    run(app, stage).await
}

/// Reports a gate failure (warning + `gate-failed` notification) and returns it as an error
/// (without rollback).
pub(crate) fn failed(app: &App<'_>, plugin: String, stage: &'static str, reason: String) -> Error {
    let message = format!("{stage} gate of plugin `{plugin}` failed: {reason}");
    app.warn(message.clone());
    app.notify(
        EventKind::GateFailed,
        &message,
        app.context().revision,
        json!({"plugin": plugin, "stage": stage, "reason": reason}),
    );
    Error::GateFailed {
        plugin,
        stage,
        reason,
        rolled_back_to: None,
    }
}

/// The tag ristretto puts on a task definition revision a gate rejected; `rollback` skips
/// revisions that carry it.
pub const REJECTED_TAG: &str = "ristretto:rejected";

/// Tags the revision being deployed (the hook context's) as rejected by `plugin`'s `stage`
/// gate, so a later `rollback` does not return production to it. Failures only warn.
async fn mark_rejected(app: &App<'_>, stage: &str, plugin: &str) {
    let Some(revision) = app.context().revision else {
        return;
    };
    if app.plugins.gate_faulted(plugin, stage) {
        app.info(format!(
            "{revision} is not marked {REJECTED_TAG}: the {stage} gate of plugin `{plugin}` failed with a plugin error, not a verdict on the release"
        ));
        return;
    }
    let arn = match app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(&revision)
        .send()
        .await
    {
        Ok(output) => output
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_owned),
        Err(err) => {
            app.warn(format!(
                "cannot mark {revision} as rejected: {}",
                crate::aws::describe_error(&err)
            ));
            return;
        }
    };
    let Some(arn) = arn else {
        return;
    };
    // Tag values take letters, digits, spaces and + - = . _ : / @ only.
    let value: String = format!("{stage} gate of plugin {plugin}")
        .chars()
        .filter(|c| c.is_alphanumeric() || " +-=._:/@".contains(*c))
        .take(256)
        .collect();
    let tag = aws_sdk_ecs::types::Tag::builder()
        .key(REJECTED_TAG)
        .value(value)
        .build();
    match app
        .clients
        .ecs
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag)
        .send()
        .await
    {
        Ok(_) => app.info(format!(
            "{revision} is tagged {REJECTED_TAG}: `rollback` will not return to it"
        )),
        Err(err) => app.warn(format!(
            "cannot mark {revision} as rejected: {}",
            crate::aws::describe_error(&err)
        )),
    }
}

/// Removes the rejected mark from `task_definition` (it has now served successfully).
pub(crate) async fn clear_rejected(app: &App<'_>, task_definition: &str) {
    let _ = app
        .clients
        .ecs
        .untag_resource()
        .resource_arn(task_definition)
        .tag_keys(REJECTED_TAG)
        .send()
        .await;
}

/// A gate failed and the deployment was rolled back: marks the rejected revision, reports it
/// (info and a `rolled-back` notification) and returns the `GateFailed` error naming the
/// revision now running.
pub(crate) async fn rolled_back(
    app: &App<'_>,
    service: &str,
    plugin: String,
    stage: &'static str,
    reason: String,
    now_running: Option<String>,
) -> Error {
    mark_rejected(app, stage, &plugin).await;
    let message = format!(
        "service {service} rolled back{} after the {stage} gate of plugin `{plugin}` failed",
        now_running
            .as_deref()
            .map_or_else(String::new, |t| format!(" to {t}"))
    );
    app.info(message.clone());
    app.notify(
        EventKind::RolledBack,
        &message,
        now_running.clone(),
        json!({"reason": reason, "plugin": plugin, "stage": stage, "from": app.context().revision}),
    );
    Error::GateFailed {
        plugin,
        stage,
        reason,
        rolled_back_to: now_running.or_else(|| Some("the previous revision".to_owned())),
    }
}

/// Runs the post-deploy gates; on failure runs `roll_back(previous)` (when there is a
/// previous task definition) and reports the rollback.
pub(crate) async fn post_deploy_with(
    app: &App<'_>,
    service: &str,
    deployed: &str,
    previous: Option<&str>,
    roll_back: impl AsyncFnOnce(&str) -> Result<(), Error>,
) -> Result<(), Error> {
    let Err(Error::GateFailed {
        plugin,
        stage,
        reason,
        ..
    }) = run(app, Stage::PostDeploy).await
    else {
        return Ok(());
    };
    let Some(previous) = previous.filter(|p| *p != deployed) else {
        return Err(Error::GateFailed {
            plugin,
            stage,
            reason: format!("{reason} (there is no previous task definition to roll back to)"),
            rolled_back_to: None,
        });
    };
    app.warn(format!(
        "rolling service {service} back from {} to {}",
        short_task_definition(deployed),
        short_task_definition(previous)
    ));
    roll_back(previous).await?;
    Err(rolled_back(
        app,
        service,
        plugin,
        stage,
        reason,
        Some(short_task_definition(previous).to_owned()),
    )
    .await)
}

/// Runs the post-deploy gates; on failure rolls `service` back to `previous` (if any) with
/// UpdateService and waits for it to be stable.
pub async fn post_deploy(
    app: &App<'_>,
    service: &str,
    deployed: &str,
    previous: Option<&str>,
) -> Result<(), Error> {
    post_deploy_with(app, service, deployed, previous, async |previous| {
        let started = std::time::SystemTime::now();
        app.clients
            .ecs
            .update_service()
            .cluster(app.cluster())
            .service(service)
            .task_definition(previous)
            .send()
            .await
            .map_err(|err| {
                aws_error(
                    "UpdateService",
                    &err,
                    &[format!("deployed {}", short_task_definition(deployed))],
                )
            })?;
        crate::deploy::wait::wait_with(
            app,
            service,
            crate::deploy::WaitUntil::Stable,
            started,
            crate::deploy::ecs_native::follow::PausePolicy::Continue,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// Warns, when a deploy returns before the end (`--no-wait`, `--wait-until paused` or a stage),
/// that the before-traffic-shift gates still have to run: nobody answers ristretto's pause
/// unless `ristretto wait` or `continue` does, and it rolls back when the wait times out.
pub(crate) fn warn_unattended(
    app: &App<'_>,
    strategy: crate::deploy::Strategy,
    until: Option<crate::deploy::WaitUntil>,
) {
    use crate::deploy::wait_until::{CODEDEPLOY_EVENTS, stage_index};
    // Past production's traffic shift the gated pauses are behind.
    let past_the_gates = match until {
        Some(crate::deploy::WaitUntil::EcsStage(i)) => {
            stage_index("PRODUCTION_TRAFFIC_SHIFT").is_some_and(|p| i > p)
        }
        Some(crate::deploy::WaitUntil::CodeDeployEvent(i)) => CODEDEPLOY_EVENTS
            .iter()
            .position(|e| *e == "AllowTraffic")
            .is_some_and(|p| i >= p),
        _ => false,
    };
    if app.plugins.has_gates() && !past_the_gates && strategy.pauses_for_gates() {
        app.warn(
            "the deployment goes on without this process: where ristretto's before-traffic-shift gates decide, it waits for `ristretto wait` (which runs them) or `ristretto continue`, and rolls back when that wait times out",
        );
    }
}
