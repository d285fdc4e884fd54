//! One plugin call on its own thread, bounded by a wall-clock deadline whatever the guest does.
//!
//! Epoch interruption only stops guest code: time a guest spends blocked in a host call (a WASI
//! sleep or poll, an HTTP response that never comes) is invisible to it. So the call runs as an
//! async wasmtime call on a private current-thread Tokio runtime, raced against the deadline and
//! a cancel flag; when either wins, the call's future is dropped, which drops the host futures
//! it was blocked in, and the store with it. The caller waits on a channel in short slices, so a
//! SIGINT/SIGTERM (`crate::interrupt::requested`) ends its wait within milliseconds even when the
//! thread it blocks is the one that polls the command. This module decides nothing about
//! errors: `plugin.rs` names the plugin and hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store};

use super::bindings::{Plugin, PluginPre};
use super::host::HostState;
use super::runtime::TICK;
use crate::interrupt::Signal;

/// How often the waiting caller looks at the signal flag, and the thread at the cancel flag.
const SLICE: Duration = Duration::from_millis(20);

/// How long past the deadline the caller waits for the thread to report before it gives up on
/// it (the thread drops the call at the deadline itself; this only covers a thread that cannot
/// be scheduled).
const BACKSTOP: Duration = Duration::from_millis(500);

/// Everything one call needs, moved onto its thread.
pub struct CallJob {
    /// The shared engine.
    pub engine: Engine,
    /// The pre-instantiated component.
    pub pre: PluginPre<HostState>,
    /// The store data for this call.
    pub state: HostState,
    /// When the call must be over.
    pub deadline: Instant,
}

/// How a call ended.
pub enum CallEnd<R> {
    /// The guest returned or trapped.
    Finished {
        /// Its result, or the trap.
        result: wasmtime::Result<R>,
        /// Peak linear memory, in bytes.
        peak: usize,
        /// Whether the memory limiter refused to grow.
        exceeded: bool,
    },
    /// The deadline passed while the guest was blocked in a host call (or did not yield).
    DeadlinePassed,
    /// A signal arrived while the caller waited.
    Cancelled(Signal),
    /// The thread could not be started or ended without reporting.
    Lost(String),
}

impl CallJob {
    /// Runs `f` on a fresh instance on a new thread and waits for its end. With `cancellable`,
    /// a received SIGINT/SIGTERM ends the wait at once (and the call soon after).
    pub fn run<R, F>(self, f: F, cancellable: bool) -> CallEnd<R>
    where
        R: Send + 'static,
        F: AsyncFnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R> + Send + 'static,
    {
        let deadline = self.deadline;
        let cancel = Arc::new(AtomicBool::new(false));
        let thread_cancel = cancel.clone();
        let (sender, receiver) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("plugin-call".to_owned())
            .spawn(move || {
                let _ = sender.send(self.run_here(f, &thread_cancel));
            });
        if let Err(err) = spawned {
            return CallEnd::Lost(format!("cannot start a thread for the call: {err}"));
        }
        let give_up = deadline + BACKSTOP;
        loop {
            match receiver.recv_timeout(SLICE) {
                Ok(end) => return end,
                Err(RecvTimeoutError::Disconnected) => {
                    return CallEnd::Lost("the call's thread ended without an answer".to_owned());
                }
                Err(RecvTimeoutError::Timeout) => {
                    if cancellable && let Some(signal) = crate::interrupt::requested() {
                        cancel.store(true, Ordering::SeqCst);
                        return CallEnd::Cancelled(signal);
                    }
                    if Instant::now() >= give_up {
                        cancel.store(true, Ordering::SeqCst);
                        return CallEnd::DeadlinePassed;
                    }
                }
            }
        }
    }

    /// The thread's side: instantiate and call under the deadline, on a private runtime.
    fn run_here<R, F>(self, f: F, cancel: &AtomicBool) -> CallEnd<R>
    where
        F: AsyncFnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R>,
    {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => return CallEnd::Lost(format!("cannot start the call's runtime: {err}")),
        };
        let Self {
            engine,
            pre,
            state,
            deadline,
        } = self;
        runtime.block_on(async move {
            let mut store = Store::new(&engine, state);
            store.limiter(|state| &mut state.limiter);
            let remaining = deadline.saturating_duration_since(Instant::now());
            let ticks = (remaining.as_millis() / TICK.as_millis()).max(1);
            store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
            store.epoch_deadline_trap();
            let finished = {
                let call = async {
                    let instance = pre.instantiate_async(&mut store).await?;
                    f(&instance, &mut store).await
                };
                tokio::select! {
                    result = call => Some(result),
                    () = tokio::time::sleep_until(deadline.into()) => None,
                    () = cancelled(cancel) => None,
                }
            };
            store.data().report_dropped_logs();
            let limiter = &store.data().limiter;
            match finished {
                Some(result) => CallEnd::Finished {
                    result,
                    peak: limiter.peak,
                    exceeded: limiter.exceeded,
                },
                None => CallEnd::DeadlinePassed,
            }
        })
    }
}

/// Resolves once `cancel` is set.
async fn cancelled(cancel: &AtomicBool) {
    while !cancel.load(Ordering::SeqCst) {
        tokio::time::sleep(SLICE).await;
    }
}
