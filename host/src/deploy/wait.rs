//! Waiting for a service: `stable` (DescribeServices: one deployment, running = desired) or
//! following the service deployment this command started (`deployed`, `paused`,
//! `ecs:<STAGE>`; see `follow`). While waiting it reports new service events, deployment
//! lines when they change, and task counts. On timeout the error says what was still pending.

use std::time::{Duration, Instant, SystemTime};

use crate::app::App;
use crate::deploy::ecs_native::follow::{PausePolicy, follow};
use crate::deploy::poll::{Watcher, sleep_or_timeout};
use crate::deploy::service::{current_service, poll_service as describe};
use crate::deploy::wait_until::WaitUntil;
use crate::deploy::{Error, aws_error};
use crate::events::Event;

/// Waits for `service` until `until`, reporting progress; PAUSE hooks are answered by the
/// gates when gate plugins are configured, otherwise reported. `since` is when the command
/// started changing the service: only events and deployments after it are considered.
/// Returns ECS's reason when the deployment was rolled back (the caller decides whether that
/// is a failure).
pub async fn wait(
    app: &App<'_>,
    service: &str,
    until: WaitUntil,
    since: SystemTime,
) -> Result<Option<String>, Error> {
    let policy = if app.plugins.has_gates() {
        PausePolicy::Gate
    } else {
        PausePolicy::Report
    };
    if policy == PausePolicy::Gate && app.context().revision.is_none() {
        // `ristretto wait` for a deployment started earlier: the revision its gates decide on
        // is the PRIMARY deployment's (so a rejection can be marked on it).
        let current = describe(app, service).await?;
        if !crate::deploy::strategy::is_code_deploy(&current)
            && let Some(task_definition) = crate::deploy::service::primary_task_definition(&current)
        {
            app.update_context(|c| {
                c.revision =
                    Some(crate::deploy::short_task_definition(&task_definition).to_owned());
            });
        }
    }
    wait_with(app, service, until, since, policy).await
}

/// `wait` with an explicit answer to PAUSE hooks.
pub(crate) async fn wait_with(
    app: &App<'_>,
    service: &str,
    until: WaitUntil,
    since: SystemTime,
    policy: PausePolicy,
) -> Result<Option<String>, Error> {
    let current = current_service(app, service).await?;
    if crate::deploy::strategy::is_code_deploy(&current) {
        return wait_codedeploy(app, service, until, policy).await;
    }
    if let WaitUntil::CodeDeployEvent(_) = until {
        return Err(Error::Invalid(format!(
            "--wait-until {until} needs a CODE_DEPLOY service; service {service} uses the ECS deployment controller"
        )));
    }
    app.info(format!("waiting for service {service} to be {until}"));
    // Deployments are looked for from `since` (`wait` looks a minute back), but only events
    // after this command started are news.
    let command_started = SystemTime::now()
        .checked_sub(app.started.elapsed())
        .unwrap_or(since);
    let mut watcher =
        Watcher::new(since.max(command_started)).returning(policy == PausePolicy::Continue);
    let result = match until {
        WaitUntil::Stable => {
            let native = current
                .deployment_configuration()
                .and_then(|c| c.strategy())
                .is_some_and(|s| s.as_str() != "ROLLING");
            if native && let Some(arn) = find_deployment(app, service, since).await? {
                follow(
                    app,
                    service,
                    &arn,
                    WaitUntil::Deployed,
                    policy,
                    &mut watcher,
                )
                .await?;
            }
            wait_steady(app, service, &mut watcher).await.map(|()| None)
        }
        _ => match find_deployment(app, service, since).await? {
            Some(arn) => follow(app, service, &arn, until, policy, &mut watcher).await,
            None => {
                app.info(format!(
                    "no deployment of service {service} started by this command; nothing to wait for"
                ));
                Ok(None)
            }
        },
    };
    app.emit(Event::WaitFinished);
    result
}

/// A CODE_DEPLOY service: follows the deployment group's deployment in flight, if any.
async fn wait_codedeploy(
    app: &App<'_>,
    service: &str,
    until: WaitUntil,
    policy: PausePolicy,
) -> Result<Option<String>, Error> {
    if until.needs_ecs_controller() {
        return Err(Error::Invalid(format!(
            "--wait-until {until} needs the ECS deployment controller; service {service} uses CODE_DEPLOY (use codedeploy:<Event>)"
        )));
    }
    let group = match crate::deploy::codedeploy::find_group(app, service).await {
        Ok(group) => group,
        Err(err) if matches!(until, WaitUntil::Stable | WaitUntil::Deployed) => {
            app.emit(Event::Debug(format!(
                "no CodeDeploy deployment to follow: {err}"
            )));
            return wait_task_set_stable(app, service).await.map(|()| None);
        }
        Err(err) => return Err(err),
    };
    let Some(id) = crate::deploy::codedeploy::active_deployment(app, &group).await? else {
        app.info(format!(
            "no CodeDeploy deployment of service {service} is in progress; nothing to wait for"
        ));
        return Ok(None);
    };
    app.info(format!("waiting for service {service} to be {until}"));
    let result = crate::deploy::codedeploy::follow(app, service, &id, until, policy).await;
    app.emit(Event::WaitFinished);
    result.map(|()| None)
}

/// A CODE_DEPLOY service without a deployment to follow (e.g. just created): waits until it
/// has one PRIMARY task set in STEADY_STATE running the desired count.
async fn wait_task_set_stable(app: &App<'_>, service: &str) -> Result<(), Error> {
    loop {
        let current = describe(app, service).await?;
        let primary: Vec<_> = current
            .task_sets()
            .iter()
            .filter(|t| t.status() == Some("PRIMARY"))
            .collect();
        let steady = primary.len() == 1
            && current.task_sets().len() == 1
            && primary[0].stability_status().map(|s| s.as_str()) == Some("STEADY_STATE");
        if steady && current.running_count() == current.desired_count() {
            app.info(format!("service {service} is stable"));
            return Ok(());
        }
        sleep_or_timeout(app, service, WaitUntil::Stable, || {
            format!(
                "{} task set(s), {} of {} tasks running",
                current.task_sets().len(),
                current.running_count(),
                current.desired_count()
            )
        })
        .await?;
    }
}

/// Follows the service deployment `arn` (e.g. one resumed by `continue`) until `until`.
pub(crate) async fn wait_for_deployment(
    app: &App<'_>,
    service: &str,
    arn: &str,
    until: WaitUntil,
    policy: PausePolicy,
) -> Result<Option<String>, Error> {
    app.info(format!("waiting for service {service} to be {until}"));
    let mut watcher = Watcher::new(SystemTime::now()).returning(policy == PausePolicy::Continue);
    let result = match until {
        WaitUntil::Stable => {
            follow(app, service, arn, WaitUntil::Deployed, policy, &mut watcher).await?;
            wait_steady(app, service, &mut watcher).await.map(|()| None)
        }
        _ => follow(app, service, arn, until, policy, &mut watcher).await,
    };
    app.emit(Event::WaitFinished);
    result
}

/// Waits until one deployment is left and all desired tasks run (a traffic-shifting
/// deployment is followed before, by the caller).
async fn wait_steady(app: &App<'_>, service: &str, watcher: &mut Watcher) -> Result<(), Error> {
    // The first look may be the service as just read (UpdateService's answer, or the last
    // poll of the wait before): no second DescribeServices for the same state.
    let mut first = true;
    loop {
        let current = if std::mem::take(&mut first) {
            current_service(app, service).await?
        } else {
            describe(app, service).await?
        };
        watcher.report(app, &current);
        let running = i64::from(current.running_count());
        let desired = i64::from(current.desired_count());
        if current.deployments().len() == 1 && running == desired {
            app.info(format!("service {service} is stable"));
            return Ok(());
        }
        sleep_or_timeout(app, service, WaitUntil::Stable, || {
            format!(
                "{} deployment(s), {running} of {desired} tasks running",
                current.deployments().len()
            )
        })
        .await?;
    }
}

/// The service deployment this command started: the newest one created after `since` (a
/// few seconds of clock skew allowed), looked for for up to 10 s.
async fn find_deployment(
    app: &App<'_>,
    service: &str,
    since: SystemTime,
) -> Result<Option<String>, Error> {
    let since = aws_smithy_types::DateTime::from(
        since.checked_sub(Duration::from_secs(5)).unwrap_or(since),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let output = app
            .clients
            .ecs
            .list_service_deployments()
            .cluster(app.cluster())
            .service(service)
            .send()
            .await
            .map_err(|err| aws_error("ListServiceDeployments", &err, &[]))?;
        let newest = output
            .service_deployments()
            .iter()
            .filter(|d| {
                d.created_at()
                    .is_none_or(|t| t.as_nanos() >= since.as_nanos())
            })
            .max_by_key(|d| d.created_at().map(|t| t.as_nanos()).unwrap_or_default())
            .and_then(|d| d.service_deployment_arn())
            .map(str::to_owned);
        if newest.is_some() || Instant::now() > deadline {
            return Ok(newest);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
