//! What every controller's waiting shares: the poll schedule (every second, on the shared
//! poller's ticks), sleeping until the next poll or
//! the command's deadline, and reporting what is new in the service (events, deployment lines,
//! task counts) once per poll.

use std::collections::BTreeSet;
use std::time::{Instant, SystemTime};

use aws_sdk_ecs::types::Service;

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
}

impl Watcher {
    pub(crate) fn new(since: SystemTime) -> Self {
        Self {
            since: aws_smithy_types::DateTime::from(since),
            seen_events: BTreeSet::new(),
            last_lines: Vec::new(),
        }
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
