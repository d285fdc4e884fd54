//! Notifications in the background: one delivery thread per notify plugin, so a slow endpoint
//! delays only its own plugin's events (kept in order), drained with a bounded wait at exit.
//! A failed delivery is a warning in the plugin's log, never an error of the command.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use super::bindings::{DeployContext, LifecycleEvent};
use super::host::LogSink;
use super::limits::Hook;
use super::plugin::LoadedPlugin;

/// One event for one plugin.
pub(super) struct Job {
    /// The notify plugin.
    pub(super) plugin: Arc<LoadedPlugin>,
    /// The deploy context it is told about.
    pub(super) context: DeployContext,
    /// The event.
    pub(super) event: LifecycleEvent,
}

/// The background notification thread.
pub(super) struct Notifier {
    sender: mpsc::Sender<Job>,
    done: mpsc::Receiver<()>,
    pending: Arc<std::sync::atomic::AtomicUsize>,
}

impl Notifier {
    pub(super) fn start() -> Self {
        let (sender, receiver) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel();
        let pending = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = pending.clone();
        let _ = std::thread::Builder::new()
            .name("plugin-notify".to_owned())
            .spawn(move || {
                for job in receiver {
                    let what = format!("notify, {}", job.event.kind.name());
                    let context = job.context.clone();
                    let event = job.event.clone();
                    let result = job.plugin.call(Hook::Notify, &what, async move |p, s| {
                        p.notify(s, &context, &event).await
                    });
                    let problem = match result {
                        Ok(Ok(())) => None,
                        Ok(Err(message)) => {
                            Some(format!("plugin `{}` ({what}): {message}", job.plugin.name))
                        }
                        Err(fault) => Some(fault.to_string()),
                    };
                    if let Some(problem) = problem {
                        (job.plugin_log())(
                            super::bindings::ristretto::plugin::log::Level::Warn,
                            &problem,
                        );
                    }
                    counter.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
                let _ = done_tx.send(());
            });
        Self {
            sender,
            done,
            pending,
        }
    }

    /// Queues `job`; it counts as pending until delivered (or failed).
    pub(super) fn send(&self, job: Job) {
        self.pending
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.sender.send(job).is_err() {
            self.pending
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Waits up to `limit` for the queue to drain; returns how many events were not delivered
    /// (queued or in flight).
    pub(super) fn finish(self, limit: Duration) -> usize {
        drop(self.sender);
        match self.done.recv_timeout(limit) {
            Ok(()) => 0,
            Err(_) => self
                .pending
                .load(std::sync::atomic::Ordering::SeqCst)
                .max(1),
        }
    }
}

impl Job {
    fn plugin_log(&self) -> LogSink {
        self.plugin.log_sink()
    }
}
