//! Leveled logging to stderr, as `TIME [LEVEL] [service/cluster] message` text lines or one JSON
//! object per line (`--log-format json`, with `cluster` and `service` fields as ecspresso ≥ 2.8),
//! and the final error report with its cause chain. The `[service/cluster]` context is added
//! once a command has loaded its config ([`Logger::with_context`]).

use std::io::Write;
use std::time::SystemTime;

pub use crate::config::LogFormat;

/// Writes log records to stderr.
#[derive(Debug, Clone, Copy)]
pub struct Logger {
    format: LogFormat,
    debug: bool,
    color: bool,
    context: Option<&'static LogContext>,
}

/// The service and cluster a command works on, shown on each log record.
#[derive(Debug)]
struct LogContext {
    service: String,
    cluster: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Debug,
    Info,
    Warning,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
        }
    }

    fn color_code(self) -> &'static str {
        match self {
            Self::Debug => "\x1b[2m",
            Self::Info => "\x1b[36m",
            Self::Warning => "\x1b[33m",
            Self::Error => "\x1b[31m",
        }
    }
}

impl Logger {
    /// A logger with the given format; debug records are shown only when `debug` is set.
    pub fn new(format: LogFormat, debug: bool, color: bool) -> Self {
        Self {
            format,
            debug,
            color,
            context: None,
        }
    }

    /// The same logger with ecspresso's context on every record: `[service/cluster]` in text,
    /// `service` and `cluster` fields in JSON. Called once per loaded config (the context lives
    /// until the process exits).
    pub fn with_context(self, service: &str, cluster: &str) -> Self {
        let context: &'static LogContext = Box::leak(Box::new(LogContext {
            service: service.to_owned(),
            cluster: cluster.to_owned(),
        }));
        Self {
            context: Some(context),
            ..self
        }
    }

    /// The log format.
    pub fn format(&self) -> LogFormat {
        self.format
    }

    /// The logger used before settings are resolved (text, no debug, no color).
    pub fn fallback() -> Self {
        Self::new(LogFormat::Text, false, false)
    }

    /// Logs at debug level.
    pub fn debug(&self, message: &str) {
        if self.debug {
            self.write(Level::Debug, message, &[]);
        }
    }

    /// Logs at info level.
    pub fn info(&self, message: &str) {
        self.write(Level::Info, message, &[]);
    }

    /// Logs at warning level.
    pub fn warn(&self, message: &str) {
        self.write(Level::Warning, message, &[]);
    }

    /// Logs a lifecycle event: its message at info or warning level; JSON records carry the
    /// event's name (`"event": "gate-passed"`) so a machine can follow the deploy's steps.
    pub fn lifecycle(&self, event: &crate::events::Lifecycle) {
        let level = match event.severity {
            crate::events::Severity::Info => Level::Info,
            crate::events::Severity::Warning => Level::Warning,
        };
        match self.format {
            LogFormat::Json => {
                self.write_record(level, &event.message, &[], &[("event", event.kind.name())])
            }
            LogFormat::Text => self.write(level, &event.message, &[]),
        }
    }

    /// Logs a service event of ECS at info level: one timestamp per line in text (the log's),
    /// ECS's own time as the `event_at` field in JSON.
    pub fn service_event(&self, at: &str, message: &str) {
        self.write_record(Level::Info, message, &[], &[("event_at", at)]);
    }

    /// Reports a command's failure: the error, then each cause.
    pub fn error(&self, error: &anyhow::Error) {
        let causes: Vec<String> = error.chain().skip(1).map(ToString::to_string).collect();
        match self.format {
            LogFormat::Json => self.write(Level::Error, &error.to_string(), &causes),
            LogFormat::Text => {
                let mut text = format!("error: {error}\n");
                if !causes.is_empty() {
                    text.push_str("\nCaused by:\n");
                    for (i, cause) in causes.iter().enumerate() {
                        text.push_str(&format!("    {i}: {cause}\n"));
                    }
                }
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        }
    }

    fn write(&self, level: Level, message: &str, causes: &[String]) {
        self.write_record(level, message, causes, &[]);
    }

    /// Writes one record; `fields` are extra JSON fields (text shows only the message).
    fn write_record(
        &self,
        level: Level,
        message: &str,
        causes: &[String],
        fields: &[(&str, &str)],
    ) {
        let time = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let line = match self.format {
            LogFormat::Json => {
                let mut record = serde_json::json!({
                    "time": time,
                    "level": level.as_str(),
                    "msg": message,
                });
                if let Some(context) = self.context {
                    record["cluster"] = serde_json::json!(context.cluster);
                    record["service"] = serde_json::json!(context.service);
                }
                if !causes.is_empty() {
                    record["causes"] = serde_json::json!(causes);
                }
                for (name, value) in fields {
                    record[*name] = serde_json::json!(value);
                }
                format!("{record}\n")
            }
            LogFormat::Text => {
                let context = self
                    .context
                    .map(|c| format!("[{}/{}] ", c.service, c.cluster))
                    .unwrap_or_default();
                if self.color {
                    format!(
                        "{time} {}[{}]\x1b[0m {context}{message}\n",
                        level.color_code(),
                        level.as_str()
                    )
                } else {
                    format!("{time} [{}] {context}{message}\n", level.as_str())
                }
            }
        };
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}
