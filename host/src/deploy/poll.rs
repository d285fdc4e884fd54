//! What every controller's waiting shares: the poll schedule (every second, on the shared
//! poller's ticks), sleeping until the next poll or
//! the command's deadline, and reporting what is new in the service (events, deployment lines,
//! task counts) once per poll.

use std::collections::BTreeSet;
use std::time::{Instant, SystemTime};

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

use crate::app::App;
use crate::deploy::Error;
use crate::deploy::wait_until::WaitUntil;
use crate::events::Event;

/// Sleeps until the next poll: the next whole second of the shared poller's clock, where every
/// waiter of the command polls (`aws::poller` batches their questions and the request budget
/// spaces the rounds out when ECS's quotas call for it), so the end of a rollout is seen within
/// about a second. Out of time before then: the wait's timeout error.
pub(crate) async fn sleep_or_timeout(
    app: &App<'_>,
    service: &str,
    until: WaitUntil,
    pending: impl FnOnce() -> String,
) -> Result<(), Error> {
    let next = app.clients.poller.next_tick();
    let interval = next.saturating_duration_since(Instant::now());
    if app.remaining() <= interval {
        tokio::time::sleep(app.remaining()).await;
        return Err(Error::Timeout {
            service: service.to_owned(),
            until: until.to_string(),
            timeout: crate::config::format_duration(app.config.file.timeout),
            pending: pending(),
        });
    }
    tokio::time::sleep_until(next.into()).await;
    Ok(())
}

/// The last part of an ARN (a task or deployment id).
pub(crate) fn short_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Remembers what was already reported, so each poll reports only what is new.
pub(crate) struct Watcher {
    since: aws_smithy_types::DateTime,
    seen_events: BTreeSet<String>,
    last_lines: Vec<String>,
    /// The task definition of the first PRIMARY deployment seen: the one being deployed.
    deploying: Option<String>,
    /// Whether ECS replaced it with a rollback (told once).
    rolling_back: bool,
    /// Whether this wait follows a rollback (`rollback`, or one after a failed gate): the
    /// PRIMARY deployment returns to an earlier revision from the start.
    returning: bool,
}

impl Watcher {
    pub(crate) fn new(since: SystemTime) -> Self {
        Self {
            since: aws_smithy_types::DateTime::from(since),
            seen_events: BTreeSet::new(),
            last_lines: Vec::new(),
            deploying: None,
            rolling_back: false,
            returning: false,
        }
    }

    /// The same watcher for the wait of a rollback: its progress says `rolling back to web:1`.
    pub(crate) fn returning(self, returning: bool) -> Self {
        Self { returning, ..self }
    }

    pub(crate) fn report(&mut self, app: &App<'_>, service: &Service) {
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
            app.emit(Event::ServiceEvent {
                at: event.created_at().map(format_time).unwrap_or_default(),
                message: event.message().unwrap_or_default().to_owned(),
            });
        }
        let lines = deployment_lines(service);
        if lines != self.last_lines {
            app.emit(Event::DeploymentsChanged(lines.clone()));
            self.last_lines = lines;
        }
        if let Some(primary) = service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
        {
            let activity = self.activity(app, service, primary);
            app.emit(Event::Progress {
                activity,
                running: i64::from(primary.running_count()),
                desired: i64::from(primary.desired_count()),
            });
        }
    }

    /// What the PRIMARY deployment does: `deploying web:2`, or `rolling back to web:1` when
    /// the wait follows a rollback or once ECS (its circuit breaker, an alarm) replaced the
    /// deployment this wait began with by one of an earlier revision; that rollback is
    /// logged once, with the failed deployment's reason.
    fn activity(&mut self, app: &App<'_>, service: &Service, primary: &Deployment) -> String {
        let running =
            crate::deploy::short_task_definition(primary.task_definition().unwrap_or_default())
                .to_owned();
        if self.returning {
            return format!("rolling back to {running}");
        }
        let deploying = self
            .deploying
            .get_or_insert_with(|| running.clone())
            .clone();
        if deploying == running {
            return format!("deploying {running}");
        }
        if !self.rolling_back {
            self.rolling_back = true;
            let reason = service
                .deployments()
                .iter()
                .find(|d| {
                    d.rollout_state() == Some(&DeploymentRolloutState::Failed)
                        && d.task_definition()
                            .is_some_and(|t| crate::deploy::short_task_definition(t) == deploying)
                })
                .and_then(|d| d.rollout_state_reason())
                .filter(|r| !r.is_empty())
                .map_or_else(String::new, |r| format!(": {r}"));
            app.warn(format!(
                "ECS is rolling back to {running}; the deployment of {deploying} failed{reason}"
            ));
        }
        format!("rolling back to {running}")
    }
}

/// ecspresso's deployment lines: `PRIMARY web:3 desired:2 pending:0 running:2 COMPLETED`
/// (without ecspresso's padding of the status, so each log line starts at its message).
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
                "{} {} desired:{} pending:{} running:{} {rollout}{reason}",
                d.status().unwrap_or_default(),
                crate::deploy::short_task_definition(d.task_definition().unwrap_or_default()),
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
