//! Renders lifecycle events for a person or a machine: log lines on stderr (text or JSON), a
//! progress bar for task counts when stderr is a terminal (plain lines otherwise), and dry-run
//! request bodies as JSON on stdout.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{LogFormat, Logger, print_stdout, to_pretty_json};
use crate::events::{Event, EventSink, Lifecycle, Severity};

/// Writes events to the terminal.
pub struct TerminalSink {
    logger: Logger,
    bar: Mutex<Option<ProgressBar>>,
    interactive: bool,
}

impl TerminalSink {
    /// A sink logging through `logger`; progress bars only in text mode on a terminal.
    pub fn new(logger: Logger) -> Self {
        let interactive = logger.format() == LogFormat::Text && std::io::stderr().is_terminal();
        Self {
            logger,
            bar: Mutex::new(None),
            interactive,
        }
    }

    /// Runs `f` with the progress bar suspended, so log lines do not tear it.
    fn log(&self, f: impl FnOnce(&Logger)) {
        let guard = self.bar.lock().ok();
        match guard.as_ref().and_then(|g| g.as_ref()) {
            Some(bar) => bar.suspend(|| f(&self.logger)),
            None => f(&self.logger),
        }
    }

    fn progress(&self, activity: &str, running: i64, desired: i64) {
        if !self.interactive {
            return;
        }
        let Ok(mut guard) = self.bar.lock() else {
            return;
        };
        let (running, desired) = (
            u64::try_from(running).unwrap_or(0),
            u64::try_from(desired).unwrap_or(0),
        );
        let bar = guard.get_or_insert_with(|| {
            // Drawn only once message and counts are set: no first frame of `0/0`.
            let bar = ProgressBar::with_draw_target(Some(desired), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {msg}: tasks running {pos}/{len} [{bar:30}] {elapsed}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(activity.to_owned());
            bar.set_position(running);
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        bar.set_message(activity.to_owned());
        bar.set_length(desired);
        bar.set_position(running);
    }

    fn finish_progress(&self) {
        if let Ok(mut guard) = self.bar.lock()
            && let Some(bar) = guard.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl EventSink for TerminalSink {
    fn emit(&self, event: Event) {
        match event {
            Event::Info(message) => self.log(|l| l.info(&message)),
            Event::Warning(message) => self.log(|l| l.warn(&message)),
            Event::Debug(message) => self.log(|l| l.debug(&message)),
            Event::Lifecycle(event) => {
                if event.logged() {
                    self.log(|l| l.lifecycle(&event));
                }
            }
            Event::WouldSend { operation, input } => {
                self.log(|l| {
                    l.info(&format!(
                        "dry run: {operation} would be called with the input on stdout"
                    ))
                });
                let _ = print_stdout(&to_pretty_json(&input));
            }
            Event::ServiceEvent { at, message } => self.log(|l| l.service_event(&at, &message)),
            Event::DeploymentsChanged(lines) => {
                for line in lines {
                    self.log(|l| l.info(&line));
                }
            }
            Event::Progress {
                activity,
                running,
                desired,
            } => self.progress(&activity, running, desired),
            Event::WaitFinished => self.finish_progress(),
            Event::TaskLog(line) => {
                let guard = self.bar.lock().ok();
                let print = || {
                    let _ = print_stdout(&format!("{line}\n"));
                };
                match guard.as_ref().and_then(|g| g.as_ref()) {
                    Some(bar) => bar.suspend(print),
                    None => print(),
                }
            }
        }
    }
}

/// Prefixes a service's events with `[name]` (fleets), forwarding them to another sink; progress
/// bars are left out since many services report at once.
pub struct PrefixSink<'a> {
    /// The prefix, e.g. `[api]`.
    pub prefix: String,
    /// Where the events go.
    pub inner: &'a dyn EventSink,
    /// On a terminal: the service's own line, which shows its latest message.
    pub line: std::sync::OnceLock<indicatif::ProgressBar>,
    /// Dry-run requests go to stdout (labelled JSON); `false` when stdout carries one JSON
    /// document (`--output json`): they are logged instead.
    pub requests_on_stdout: bool,
}

impl EventSink for PrefixSink<'_> {
    fn emit(&self, event: Event) {
        let prefixed = |message: String| format!("{} {message}", self.prefix);
        if let Some(line) = self.line.get() {
            match event {
                Event::Info(message) | Event::ServiceEvent { message, .. } => {
                    line.set_message(message)
                }
                Event::Warning(message) => line.println(format!("warning: {}", prefixed(message))),
                Event::DeploymentsChanged(lines) => {
                    if let Some(first) = lines.first() {
                        line.set_message(first.trim().to_owned());
                    }
                }
                Event::Lifecycle(event) if event.logged() => match event.severity {
                    Severity::Info => line.set_message(event.message),
                    Severity::Warning => {
                        line.println(format!("warning: {}", prefixed(event.message)))
                    }
                },
                Event::WouldSend { operation, input } => {
                    if self.requests_on_stdout {
                        line.println(prefixed(format!(
                            "dry run: {operation} would be called with the input on stdout"
                        )));
                    }
                    self.print_would_send(operation, input);
                }
                Event::TaskLog(text) => line.println(prefixed(text)),
                Event::Lifecycle(_)
                | Event::Debug(_)
                | Event::Progress { .. }
                | Event::WaitFinished => {}
            }
            return;
        }
        match event {
            Event::Info(message) => self.inner.emit(Event::Info(prefixed(message))),
            Event::Warning(message) => self.inner.emit(Event::Warning(prefixed(message))),
            Event::Debug(message) => self.inner.emit(Event::Debug(prefixed(message))),
            Event::ServiceEvent { at, message } => self.inner.emit(Event::ServiceEvent {
                at,
                message: prefixed(message),
            }),
            Event::DeploymentsChanged(lines) => {
                self.inner.emit(Event::DeploymentsChanged(
                    lines.into_iter().map(prefixed).collect(),
                ));
            }
            Event::Lifecycle(event) => self.inner.emit(Event::Lifecycle(Lifecycle {
                message: prefixed(event.message),
                ..event
            })),
            Event::WouldSend { operation, input } => {
                if self.requests_on_stdout {
                    self.inner.emit(Event::Info(prefixed(format!(
                        "dry run: {operation} would be called with the input on stdout"
                    ))));
                }
                self.print_would_send(operation, input);
            }
            Event::TaskLog(line) => self.inner.emit(Event::TaskLog(prefixed(line))),
            Event::Progress { .. } | Event::WaitFinished => {}
        }
    }
}

impl PrefixSink<'_> {
    /// A dry run's request on stdout, labelled with the service and the operation (several
    /// services print theirs one after another).
    fn print_would_send(&self, operation: &str, input: serde_json::Value) {
        let service = self.prefix.trim_start_matches('[').trim_end_matches(']');
        if self.requests_on_stdout {
            let _ = print_stdout(&to_pretty_json(&serde_json::json!({
                "service": service,
                "operation": operation,
                "input": input,
            })));
        } else {
            self.inner.emit(Event::Info(format!(
                "{} dry run: {operation} input: {input}",
                self.prefix
            )));
        }
    }
}
