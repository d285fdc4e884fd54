//! The one stream of events a command reports while it works. The engine (`deploy/`, `task/`)
//! sends them through [`crate::app::App::emit`]; its subscribers are the output (`output`:
//! log lines, progress bars, JSON log records, dry-run requests on stdout) and, for
//! [`Event::Lifecycle`], the notify plugins. Past tense for things that happened.

use crate::plugins::EventKind;

/// Something the engine wants the user (or a subscriber) to know.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A plain progress message.
    Info(String),
    /// Something worth attention that does not stop the command.
    Warning(String),
    /// Detail for `--debug`.
    Debug(String),
    /// A step of a deploy's life that notify plugins hear about and the log shows.
    Lifecycle(Lifecycle),
    /// `--dry-run`: the request that would have been sent.
    WouldSend {
        /// The AWS operation, e.g. `UpdateService`.
        operation: &'static str,
        /// Its input, as JSON.
        input: serde_json::Value,
    },
    /// A new service event from ECS.
    ServiceEvent {
        /// When ECS recorded it (RFC 3339).
        at: String,
        /// The message.
        message: String,
    },
    /// The service's deployments changed (one line per deployment).
    DeploymentsChanged(Vec<String>),
    /// Task counts of the deployment being waited for.
    Progress {
        /// What it does, e.g. `deploying web:2` or `rolling back to web:1`.
        activity: String,
        /// Running tasks.
        running: i64,
        /// Desired tasks.
        desired: i64,
    },
    /// Waiting has finished (successfully or not); progress displays end.
    WaitFinished,
    /// A log line of a task `run` watches: a result, so it goes to stdout as in ecspresso
    /// (prefixed `[container task]` when several tasks run).
    TaskLog(String),
}

/// A step of a deploy's life (the WIT `lifecycle-event` before its timestamps are added).
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    /// What happened.
    pub kind: EventKind,
    /// How the log shows it.
    pub severity: Severity,
    /// A one-line summary: the log line and the plugins' `message`.
    pub message: String,
    /// The task definition involved (`family:revision`), when there is one.
    pub task_definition: Option<String>,
    /// Extra detail for plugins (e.g. the gate's plugin and stage).
    pub details: serde_json::Value,
}

/// How a lifecycle event is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// An ordinary step.
    Info,
    /// A step that needs the user's attention (a deployment waiting for someone).
    Warning,
}

impl Lifecycle {
    /// An event of `kind` with `message`, logged at info level, without task definition or
    /// details.
    pub fn new(kind: EventKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            severity: Severity::Info,
            message: message.into(),
            task_definition: None,
            details: serde_json::json!({}),
        }
    }

    /// The same event logged as a warning.
    pub fn warning(self) -> Self {
        Self {
            severity: Severity::Warning,
            ..self
        }
    }

    /// The same event naming `task_definition` (`family:revision`).
    pub fn task_definition(self, task_definition: Option<String>) -> Self {
        Self {
            task_definition,
            ..self
        }
    }

    /// The same event with `details` for plugins.
    pub fn details(self, details: serde_json::Value) -> Self {
        Self { details, ..self }
    }

    /// Whether a person reading the log learns it from this event. A failed deploy is the
    /// command's error, and a finished fleet is its summary table: both are printed by the
    /// command, so the log does not say them twice.
    pub fn logged(&self) -> bool {
        !matches!(
            self.kind,
            EventKind::DeployFailed | EventKind::FleetFinished
        )
    }
}

/// Receives events.
pub trait EventSink: Send + Sync {
    /// Handles one event. Must not fail or block for long.
    fn emit(&self, event: Event);
}

/// Discards every event (for library callers that do not listen).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}
