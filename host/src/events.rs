//! Lifecycle events: what the engine (`deploy/`) reports while it works. The engine sends them
//! to an `EventSink`; `output` renders them as log lines, progress bars or JSON, and (later)
//! notify plugins subscribe to the same stream. Past tense for things that happened.

/// Something the engine wants the user (or a subscriber) to know.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A plain progress message.
    Info(String),
    /// Something worth attention that does not stop the command.
    Warning(String),
    /// Detail for `--debug`.
    Debug(String),
    /// A task definition was registered.
    TaskDefinitionRegistered {
        /// Its ARN.
        arn: String,
    },
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
