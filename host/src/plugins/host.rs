//! The per-call state of a plugin instance (`Store` data): an empty WASI context (no
//! environment, no files, no sockets, output discarded), the HTTP policy, the memory limiter, and
//! the implementations of the contract's host imports (`log`, `secrets`).

use std::sync::{Arc, Mutex};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::alarms::AlarmReader;
use super::bindings::ristretto::plugin::{alarms, log, secrets, types};
use super::http::HttpPolicy;
use super::limits::MemoryLimiter;
use super::secrets::SecretStore;

/// Receives a plugin's log records: (level, message).
pub type LogSink = Arc<dyn Fn(log::Level, &str) + Send + Sync>;

/// Log records one call may write; the rest are counted and summarized in one line at the end
/// of the call (one 3 s call once wrote 188 MiB of log).
const MAX_LOG_RECORDS: usize = 200;
/// Bytes of log one call may write.
const MAX_LOG_BYTES: usize = 64 << 10;
/// Longest single record kept, in characters.
const MAX_RECORD_CHARS: usize = 4096;

/// What one call has logged, against the caps.
#[derive(Debug, Default)]
struct LogBudget {
    records: usize,
    bytes: usize,
    dropped_records: usize,
    dropped_bytes: usize,
}

/// What one call did through the host: the requests it sent, the secrets and alarms it read.
/// `plugin test` prints it, so a notify that sent nothing reads as such.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// Outbound HTTP requests and how each ended: `POST https://hooks.slack.com/… → 200`.
    pub requests: Vec<String>,
    /// Secrets asked for: the name, and `(not available: …)` when it was not given.
    pub secrets: Vec<String>,
    /// Alarms read: each name with the state returned, or why the read failed.
    pub alarms: Vec<String>,
}

/// The activity of one call, shared with the HTTP hooks.
pub type ActivityLog = Arc<Mutex<Activity>>;

/// Adds to the call's activity (a poisoned lock only loses the record).
pub fn record(activity: &ActivityLog, add: impl FnOnce(&mut Activity)) {
    if let Ok(mut activity) = activity.lock() {
        add(&mut activity);
    }
}

/// Store data of one plugin call.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    http_ctx: WasiHttpCtx,
    http: HttpPolicy,
    /// Memory cap (checked after a trap to name the cause).
    pub limiter: MemoryLimiter,
    secrets: Arc<SecretStore>,
    log: LogSink,
    log_budget: LogBudget,
    alarms: Option<Arc<AlarmReader>>,
    activity: ActivityLog,
}

impl HostState {
    /// State with nothing granted but `http`, `secrets` and `alarms`; what the call does
    /// through them is recorded in `activity`.
    pub fn new(
        http: HttpPolicy,
        limiter: MemoryLimiter,
        secrets: Arc<SecretStore>,
        log: LogSink,
        alarms: Option<Arc<AlarmReader>>,
        activity: ActivityLog,
    ) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            http_ctx: WasiHttpCtx::new(),
            http,
            limiter,
            secrets,
            log,
            log_budget: LogBudget::default(),
            alarms,
            activity,
        }
    }

    /// Says in one line how much log output the caps dropped during this call, if any.
    pub fn report_dropped_logs(&self) {
        let budget = &self.log_budget;
        if budget.dropped_records > 0 {
            (self.log)(
                log::Level::Warn,
                &format!(
                    "{} more log records ({} bytes) from this call were dropped: a call may log {MAX_LOG_RECORDS} records or {} KiB",
                    budget.dropped_records,
                    budget.dropped_bytes,
                    MAX_LOG_BYTES >> 10
                ),
            );
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http_ctx,
            table: &mut self.table,
            hooks: &mut self.http,
        }
    }
}

impl types::Host for HostState {}

impl log::Host for HostState {
    fn write(&mut self, level: log::Level, message: String) {
        let message: String = message.chars().take(MAX_RECORD_CHARS).collect();
        let budget = &mut self.log_budget;
        if budget.records >= MAX_LOG_RECORDS || budget.bytes + message.len() > MAX_LOG_BYTES {
            budget.dropped_records += 1;
            budget.dropped_bytes += message.len();
            return;
        }
        budget.records += 1;
        budget.bytes += message.len();
        (self.log)(level, &message);
    }
}

impl secrets::Host for HostState {
    fn get(&mut self, name: String) -> Result<String, String> {
        let value = self.secrets.get(&name);
        record(&self.activity, |a| match &value {
            Ok(_) => a.secrets.push(name.clone()),
            Err(reason) => a.secrets.push(format!("{name} (not available: {reason})")),
        });
        value
    }
}

impl alarms::Host for HostState {
    async fn states(&mut self, names: Vec<String>) -> Result<Vec<alarms::AlarmState>, String> {
        let states = match &self.alarms {
            Some(reader) => reader.states(&names).await,
            None => {
                Err("alarm states need AWS access, which this command does not have".to_owned())
            }
        };
        record(&self.activity, |a| match &states {
            Ok(states) => a.alarms.extend(names.iter().map(|name| {
                match states.iter().find(|s| &s.name == name) {
                    Some(state) => format!("{name}: {}", state.state),
                    None => format!("{name}: does not exist"),
                }
            })),
            Err(reason) => a
                .alarms
                .push(format!("{} (failed: {reason})", names.join(", "))),
        });
        states
    }
}

/// The host imports of contract 0.1.0, answered by the current ones (they differ only in type
/// identity).
mod since_v0_1 {
    use super::HostState;
    use crate::plugins::bindings::ristretto::plugin as now;
    use crate::plugins::bindings::v0_1::ristretto::plugin::{alarms, log, secrets, types};

    impl types::Host for HostState {}

    impl log::Host for HostState {
        fn write(&mut self, level: log::Level, message: String) {
            let level = match level {
                log::Level::Trace => now::log::Level::Trace,
                log::Level::Debug => now::log::Level::Debug,
                log::Level::Info => now::log::Level::Info,
                log::Level::Warn => now::log::Level::Warn,
                log::Level::Error => now::log::Level::Error,
            };
            now::log::Host::write(self, level, message);
        }
    }

    impl secrets::Host for HostState {
        fn get(&mut self, name: String) -> Result<String, String> {
            now::secrets::Host::get(self, name)
        }
    }

    impl alarms::Host for HostState {
        async fn states(&mut self, names: Vec<String>) -> Result<Vec<alarms::AlarmState>, String> {
            let states = now::alarms::Host::states(self, names).await?;
            Ok(states
                .into_iter()
                .map(|s| alarms::AlarmState {
                    name: s.name,
                    state: s.state,
                    reason: s.reason,
                })
                .collect())
        }
    }
}
