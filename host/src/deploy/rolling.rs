//! The end of a deploy under the ECS deployment controller (rolling, and the native
//! blue/green, linear and canary strategies, which `ecs_native` follows): wait, check that the
//! PRIMARY deployment runs the deployed revision (a circuit-breaker rollback is a failure), then
//! the post-deploy gates.

use std::time::SystemTime;

use crate::app::App;
use crate::deploy::options::DeployOptions;
use crate::deploy::strategy::Strategy;
use crate::deploy::{Error, aws_error, gates, short_task_definition};

/// Waits as `options` say for the update of `service` to `task_definition` (sent at
/// `started`), confirms the PRIMARY deployment runs it, and runs the post-deploy gates
/// (`previous` is where a failure rolls back to).
pub(crate) async fn finish(
    app: &App<'_>,
    service: &str,
    task_definition: &str,
    previous: Option<&str>,
    strategy: Strategy,
    options: DeployOptions,
    started: SystemTime,
) -> Result<(), Error> {
    let Some(until) = options.wait else {
        app.info(format!(
            "service {service} is updated; not waiting (--no-wait)"
        ));
        gates::warn_unattended(app, strategy, None);
        return Ok(());
    };
    let rollback = crate::deploy::wait::wait(app, service, until, started).await?;
    if until.is_intermediate() && rollback.is_none() {
        gates::warn_unattended(app, strategy, Some(until));
        return Ok(());
    }
    confirm_primary(app, service, task_definition, rollback).await?;
    post_deploy(app, service, task_definition, previous).await
}

/// Runs the post-deploy gates of an ECS-controller service; on failure rolls `service` back to
/// `previous` (if any) with UpdateService and waits for it to be stable.
pub(crate) async fn post_deploy(
    app: &App<'_>,
    service: &str,
    deployed: &str,
    previous: Option<&str>,
) -> Result<(), Error> {
    crate::deploy::post_deploy::run_with(app, service, deployed, previous, async |previous| {
        let started = std::time::SystemTime::now();
        let output = app
            .clients
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
        crate::deploy::service::remember_update(app, output.service());
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

/// Fails unless the PRIMARY deployment runs `expected` (ecspresso's confirmPrimaryTD).
/// `rollback` is the reason the wait saw for a rollback, if any.
pub(crate) async fn confirm_primary(
    app: &App<'_>,
    service: &str,
    expected: &str,
    rollback: Option<String>,
) -> Result<(), Error> {
    let current = crate::deploy::service::current_service(app, service).await?;
    let primary = current
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let actual = primary
        .and_then(|d| d.task_definition())
        .or(current.task_definition())
        .unwrap_or_default();
    if actual == expected {
        // Debug only: the deploy's `deploy-succeeded` (or the rollback's `rolled-back`) event
        // says it to the user.
        app.emit(crate::events::Event::Debug(format!(
            "service {service}: the PRIMARY deployment runs {}",
            short_task_definition(expected)
        )));
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
