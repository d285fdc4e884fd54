//! Everything the user sees: logs on stderr (text or JSON lines) and results on stdout (JSON,
//! Jsonnet, YAML). The only module besides `main.rs` that prints.

mod diff;
mod events;
mod jsonnet_format;
mod log;
mod plan;

pub mod status;

pub use diff::{full_diff, unified_diff};
pub use events::{PrefixSink, TerminalSink};
pub use jsonnet_format::to_jsonnet;
pub use log::{LogFormat, Logger};
pub use plan::{plan_markdown, plan_text};

use std::io::Write;

/// Writes a result to stdout. A closed pipe (e.g. `| head`) is not an error.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes a message that is not a log line (a command's own diagnostics) to stderr.
pub fn print_stderr(text: &str) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    err.write_all(text.as_bytes()).and_then(|()| err.flush())
}

/// Formats a JSON value as ecspresso does: keys sorted, 2-space indent, trailing newline.
pub fn to_pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}
