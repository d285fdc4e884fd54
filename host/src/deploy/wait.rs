//! Waiting for a service: `stable` (DescribeServices: one deployment, running = desired) or
//! `deployed` (the service-deployment APIs: the deployment started by this command reaches a
//! terminal status). While waiting it reports new service events, deployment lines when they
//! change, and task counts. On timeout the error says what was still pending.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::types::{Service, ServiceDeploymentStatus};

use super::describe::describe_service;
use super::{Error, aws_error};
use crate::app::App;
use crate::events::Event;

/// What to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    /// One deployment left and running = desired (DescribeServices).
    Stable,
    /// The service deployment reached a terminal status (Describe/ListServiceDeployments).
    Deployed,
}

impl WaitUntil {
    /// `stable` / `deployed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Deployed => "deployed",
        }
    }
}

/// How often to poll: every 2 s for the first minute, then every 5 s.
fn poll_interval(started: Instant) -> Duration {
    if started.elapsed() < Duration::from_secs(60) {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(5)
    }
}

/// Waits for `service` until `until`, reporting progress. `since` is when the command started
/// changing the service: only events and deployments after it are considered. Returns ECS's
/// reason when the deployment was rolled back (the caller decides whether that is a failure).
pub async fn wait(
    app: &App<'_>,
    service: &str,
    until: WaitUntil,
    since: SystemTime,
) -> Result<Option<String>, Error> {
    app.info(format!(
        "waiting for service {service} to be {}",
        until.as_str()
    ));
    let mut watcher = Watcher::new(since);
    let result = match until {
        WaitUntil::Stable => wait_stable(app, service, &mut watcher).await.map(|()| None),
        WaitUntil::Deployed => wait_deployed(app, service, &mut watcher, since).await,
    };
    app.events.emit(Event::WaitFinished);
    result
}

async fn wait_stable(app: &App<'_>, service: &str, watcher: &mut Watcher) -> Result<(), Error> {
    let started = Instant::now();
    loop {
        let current = describe(app, service).await?;
        watcher.report(app, &current);
        let running = i64::from(current.running_count());
        let desired = i64::from(current.desired_count());
        if current.deployments().len() == 1 && running == desired {
            app.info(format!("service {service} is stable"));
            return Ok(());
        }
        sleep_or_timeout(app, service, WaitUntil::Stable, started, || {
            format!(
                "{} deployment(s), {running} of {desired} tasks running",
                current.deployments().len()
            )
        })
        .await?;
    }
}

async fn wait_deployed(
    app: &App<'_>,
    service: &str,
    watcher: &mut Watcher,
    since: SystemTime,
) -> Result<Option<String>, Error> {
    let started = Instant::now();
    let Some(arn) = find_deployment(app, service, since).await? else {
        app.info(format!(
            "no deployment of service {service} started by this command; nothing to wait for"
        ));
        return Ok(None);
    };
    let mut last_status = None;
    loop {
        let current = describe(app, service).await?;
        watcher.report(app, &current);
        let output = app
            .clients
            .ecs
            .describe_service_deployments()
            .service_deployment_arns(&arn)
            .send()
            .await
            .map_err(|err| aws_error("DescribeServiceDeployments", &err, &[]))?;
        let deployment = output.service_deployments().first();
        let status = deployment.and_then(|d| d.status().cloned());
        let reason = deployment
            .and_then(|d| d.status_reason())
            .map(str::to_owned);
        if status != last_status {
            if let Some(status) = &status {
                app.info(format!(
                    "deployment {} is {}",
                    short_id(&arn),
                    status.as_str()
                ));
            }
            last_status = status.clone();
        }
        let mut counts = String::new();
        if let Some(target) = deployment.and_then(|d| d.target_service_revision()) {
            counts = format!(
                ", {} of {} new tasks running",
                target.running_task_count(),
                target.requested_task_count()
            );
            app.events.emit(Event::Progress {
                running: i64::from(target.running_task_count()),
                desired: i64::from(target.requested_task_count()),
            });
        }
        match status {
            Some(ServiceDeploymentStatus::Successful) => {
                app.info(format!("service {service} is deployed"));
                return Ok(None);
            }
            Some(ServiceDeploymentStatus::RollbackSuccessful) => {
                app.warn(format!(
                    "deployment {} was rolled back{}",
                    short_id(&arn),
                    reason
                        .as_deref()
                        .map_or_else(String::new, |r| format!(": {r}"))
                ));
                return Ok(Some(reason.unwrap_or_else(|| "rolled back".to_owned())));
            }
            Some(
                status @ (ServiceDeploymentStatus::Stopped
                | ServiceDeploymentStatus::RollbackFailed
                | ServiceDeploymentStatus::StopRequested),
            ) => {
                return Err(Error::DeploymentFailed {
                    service: service.to_owned(),
                    deployment: arn,
                    status: status.as_str().to_owned(),
                    reason,
                });
            }
            _ => {}
        }
        let pending_status = last_status
            .as_ref()
            .map_or("PENDING", |s| s.as_str())
            .to_owned();
        sleep_or_timeout(app, service, WaitUntil::Deployed, started, || {
            format!("deployment {} is {pending_status}{counts}", short_id(&arn))
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

async fn describe(app: &App<'_>, service: &str) -> Result<Service, Error> {
    describe_service(&app.clients.ecs, app.cluster(), service)
        .await?
        .ok_or_else(|| Error::ServiceNotFound {
            cluster: app.cluster().to_owned(),
            service: service.to_owned(),
        })
}

async fn sleep_or_timeout(
    app: &App<'_>,
    service: &str,
    until: WaitUntil,
    started: Instant,
    pending: impl FnOnce() -> String,
) -> Result<(), Error> {
    let interval = poll_interval(started);
    if app.remaining() <= interval {
        tokio::time::sleep(app.remaining()).await;
        return Err(Error::Timeout {
            service: service.to_owned(),
            until: until.as_str().to_owned(),
            timeout: crate::config::format_duration(app.config.file.timeout),
            pending: pending(),
        });
    }
    tokio::time::sleep(interval).await;
    Ok(())
}

fn short_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Remembers what was already reported, so each poll reports only what is new.
struct Watcher {
    since: aws_smithy_types::DateTime,
    seen_events: BTreeSet<String>,
    last_lines: Vec<String>,
}

impl Watcher {
    fn new(since: SystemTime) -> Self {
        Self {
            since: aws_smithy_types::DateTime::from(since),
            seen_events: BTreeSet::new(),
            last_lines: Vec::new(),
        }
    }

    fn report(&mut self, app: &App<'_>, service: &Service) {
        let mut fresh: Vec<_> = service
            .events()
            .iter()
            .filter(|e| {
                e.created_at()
                    .is_some_and(|t| t.as_nanos() >= self.since.as_nanos())
            })
            .filter(|e| e.id().is_some_and(|id| !self.seen_events.contains(id)))
            .collect();
        fresh.sort_by_key(|e| e.created_at().map(|t| t.as_nanos()).unwrap_or_default());
        for event in fresh {
            self.seen_events
                .insert(event.id().unwrap_or_default().to_owned());
            app.events.emit(Event::ServiceEvent {
                at: event.created_at().map(format_time).unwrap_or_default(),
                message: event.message().unwrap_or_default().to_owned(),
            });
        }
        let lines = deployment_lines(service);
        if lines != self.last_lines {
            app.events.emit(Event::DeploymentsChanged(lines.clone()));
            self.last_lines = lines;
        }
        if let Some(primary) = service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
        {
            app.events.emit(Event::Progress {
                running: i64::from(primary.running_count()),
                desired: i64::from(primary.desired_count()),
            });
        }
    }
}

/// ecspresso's deployment lines: `PRIMARY web:3 desired:2 pending:0 running:2 COMPLETED`.
pub fn deployment_lines(service: &Service) -> Vec<String> {
    service
        .deployments()
        .iter()
        .map(|d| {
            let rollout = d
                .rollout_state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            let reason = d
                .rollout_state_reason()
                .filter(|r| !r.is_empty())
                .map_or_else(String::new, |r| format!("({r})"));
            format!(
                "{:>8} {} desired:{} pending:{} running:{} {rollout}{reason}",
                d.status().unwrap_or_default(),
                super::short_task_definition(d.task_definition().unwrap_or_default()),
                d.desired_count(),
                d.pending_count(),
                d.running_count(),
            )
        })
        .collect()
}

/// RFC 3339 text of an AWS timestamp.
pub fn format_time(time: &aws_smithy_types::DateTime) -> String {
    time.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
