//! One loaded WebAssembly plugin: its compiled component (pre-instantiated), what it declared
//! about itself, its grants and limits; and the one place where hooks are called: a fresh
//! instance per call, a wall-clock deadline, a memory cap, and every fault (trap, timeout,
//! memory, bad output) turned into an error naming the plugin and the hook.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::Store;

use super::Error;
use super::bindings::{Plugin, PluginInfo, PluginPre};
use super::cache::{self, Origin};
use super::call::{CallEnd, CallJob};
use super::host::{HostState, LogSink};
use super::http::{AllowRule, HttpPolicy};
use super::limits::{Hook, Limits, MemoryLimiter};
use super::runtime::Runtime;
use super::secrets::SecretStore;

/// Largest string a hook may return (definitions, function results).
pub const MAX_OUTPUT: usize = 4 << 20;

/// What a call did besides its result.
#[derive(Debug, Clone, Default)]
pub struct CallReport {
    /// Peak linear memory, in bytes.
    pub peak: usize,
    /// The requests `allow.http` refused, as the warnings put them.
    pub denials: Vec<String>,
    /// What the call did through the host's imports.
    pub activity: super::host::Activity,
}

/// A plugin ready to be called.
pub struct LoadedPlugin {
    /// The entry's name (or the file stem).
    pub name: String,
    /// The component file.
    pub path: PathBuf,
    /// Its sha256.
    pub sha256: String,
    /// What it says about itself.
    pub info: PluginInfo,
    /// The entry's `config:` as JSON text.
    pub config_json: String,
    /// `func_prefix`.
    pub func_prefix: String,
    /// Resolved limits.
    pub limits: Limits,
    /// The compiled component, loaded when the plugin is first called (or compiled at once
    /// when its `info` was not cached): a command pays only for the plugins it calls.
    ready: OnceLock<Result<Ready, String>>,
    runtime: Arc<Runtime>,
    rules: Arc<Vec<AllowRule>>,
    secrets: Arc<SecretStore>,
    log: LogSink,
    alarms: Option<Arc<super::alarms::AlarmReader>>,
}

/// A plugin's component, ready to instantiate.
struct Ready {
    pre: PluginPre<HostState>,
    /// Whether the component came from the cache, and how long loading it took.
    load: (Origin, Duration),
}

/// What a loaded plugin needs besides the file.
pub struct PluginSpec {
    /// Name shown in messages.
    pub name: String,
    /// Expected sha256, if pinned.
    pub sha256: Option<String>,
    /// `config:` as JSON text.
    pub config_json: String,
    /// `func_prefix`.
    pub func_prefix: String,
    /// Limits.
    pub limits: Limits,
    /// `allow.http`, parsed.
    pub rules: Vec<AllowRule>,
    /// Allow-listed secrets.
    pub secrets: SecretStore,
    /// Where its log records go.
    pub log: LogSink,
}

impl LoadedPlugin {
    /// Reads and verifies `path` and learns what the plugin says about itself: from the cache
    /// when this build of ristretto asked it before (the component is then loaded only when a
    /// hook is called), otherwise by compiling (or loading the cached artifact),
    /// pre-instantiating and asking its `info`.
    pub fn load(runtime: Arc<Runtime>, path: &Path, spec: PluginSpec) -> Result<Self, Error> {
        let label = spec.name.clone();
        let fail = |message: String| Error::Load {
            plugin: label.clone(),
            path: path.display().to_string(),
            message,
        };
        let (sha256, wasm) = super::file_hash::sha256_of(path, runtime.cache_dir())
            .map_err(|e| fail(format!("cannot read it: {e}")))?;
        if let Some(expected) = &spec.sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(fail(format!(
                "sha256 is {sha256}, but the config pins {expected}"
            )));
        }
        let cached_info = cache::cached_info(runtime.cache_dir(), &sha256);
        let mut plugin = Self {
            name: spec.name,
            path: path.to_path_buf(),
            sha256,
            info: PluginInfo {
                name: String::new(),
                version: String::new(),
                sdk_version: String::new(),
                description: String::new(),
                capabilities: Vec::new(),
            },
            config_json: spec.config_json,
            func_prefix: spec.func_prefix,
            limits: spec.limits,
            ready: OnceLock::new(),
            runtime,
            rules: Arc::new(spec.rules),
            secrets: Arc::new(spec.secrets),
            log: spec.log,
            alarms: None,
        };
        match cached_info {
            Some(info) => plugin.info = info,
            None => {
                let wasm = match wasm {
                    Some(wasm) => wasm,
                    None => read_verified(path, &plugin.sha256).map_err(fail)?,
                };
                let ready = plugin.load_component(Some(&wasm));
                let ready = plugin.ready.get_or_init(|| ready);
                ready.as_ref().map_err(|message| fail(message.clone()))?;
                plugin.info = plugin.call(Hook::Info, "info", async |p, s| p.info(s).await)?;
                cache::remember_info(plugin.runtime.cache_dir(), &plugin.sha256, &plugin.info);
            }
        }
        if spec_name_defaulted(&plugin.name, path) && !plugin.info.name.is_empty() {
            plugin.name = plugin.info.name.clone();
        }
        Ok(plugin)
    }

    /// Loads the component (from the cache, or compiled from `wasm` or from the file, which
    /// must still have the sha256 it had) and pre-instantiates it.
    fn load_component(&self, wasm: Option<&[u8]>) -> Result<Ready, String> {
        let started = Instant::now();
        let runtime = self.runtime.started()?;
        let cache_dir = self.runtime.cache_dir();
        let (component, origin) = match cache::cached(&runtime.engine, &self.sha256, cache_dir) {
            Some(component) => (component, Origin::Cached),
            None => {
                let read;
                let wasm = match wasm {
                    Some(wasm) => wasm,
                    None => {
                        read = read_verified(&self.path, &self.sha256)?;
                        &read
                    }
                };
                let component = cache::compile(&runtime.engine, wasm, &self.sha256, cache_dir)
                    .map_err(|e| {
                        format!("not a valid WebAssembly component: {}", root_cause(&e))
                    })?;
                (component, Origin::Compiled)
            }
        };
        let instance_pre = runtime.linker.instantiate_pre(&component).map_err(|e| {
            format!(
                "it needs imports ristretto does not provide: {}",
                root_cause(&e)
            )
        })?;
        let pre = PluginPre::new(instance_pre, &runtime.engine)?;
        let took = started.elapsed();
        (self.log)(
            super::bindings::ristretto::plugin::log::Level::Debug,
            &format!(
                "component {} in {:.1} ms",
                match origin {
                    Origin::Cached => "loaded from the cache",
                    Origin::Compiled => "compiled",
                },
                took.as_secs_f64() * 1000.0
            ),
        );
        Ok(Ready {
            pre,
            load: (origin, took),
        })
    }

    /// The component, loaded now if no call loaded it yet.
    fn ready(&self) -> Result<&Ready, Error> {
        self.ready
            .get_or_init(|| self.load_component(None))
            .as_ref()
            .map_err(|message| Error::Load {
                plugin: self.name.clone(),
                path: self.path.display().to_string(),
                message: message.clone(),
            })
    }

    /// Loads the component now, if no call loaded it yet.
    pub fn prepare(&self) -> Result<(), Error> {
        self.ready().map(|_| ())
    }

    /// Whether the component came from the cache, and how long loading it took (loading it
    /// now if no call did).
    pub fn load_report(&self) -> Result<(Origin, Duration), Error> {
        self.ready().map(|ready| ready.load)
    }

    /// Whether the plugin declared the capability of `hook` (its WIT name, e.g. `gate`).
    pub fn has(&self, hook: Hook) -> bool {
        self.info.capabilities.iter().any(|c| c == hook.name())
    }

    /// Replaces the secrets (after AWS ones were resolved).
    pub fn set_secrets(&mut self, secrets: SecretStore) {
        self.secrets = Arc::new(secrets);
    }

    /// Gives the plugin read access to the alarms its entry allows.
    pub fn set_alarms(&mut self, reader: super::alarms::AlarmReader) {
        self.alarms = Some(Arc::new(reader));
    }

    /// Calls a hook in a fresh instance under the hook's limits. `what` names the hook and
    /// stage/event in messages ("notify, deploy-succeeded").
    pub fn call<R, F>(&self, hook: Hook, what: &str, f: F) -> Result<R, Error>
    where
        R: Send + 'static,
        F: AsyncFnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R> + Send + 'static,
    {
        self.call_measured(hook, what, f).map(|(result, _)| result)
    }

    /// The compiled component and the engine it runs on (loading it now if no call did).
    pub fn component(&self) -> Result<(&wasmtime::component::Component, &wasmtime::Engine), Error> {
        let (pre, engine) = self.component_ready()?;
        Ok((pre.component(), engine))
    }

    /// The contract version the component was built for (`0.1.0`), loading it if no call did.
    pub fn contract(&self) -> Result<&'static str, Error> {
        self.component_ready().map(|(pre, _)| pre.version())
    }

    /// The pre-instantiated component and its engine (loading it now if no call did).
    fn component_ready(&self) -> Result<(&PluginPre<HostState>, &wasmtime::Engine), Error> {
        let ready = self.ready()?;
        let started = self.runtime.started().map_err(|message| Error::Load {
            plugin: self.name.clone(),
            path: self.path.display().to_string(),
            message,
        })?;
        Ok((&ready.pre, &started.engine))
    }

    /// Its `allow.http` rules.
    pub fn rules(&self) -> &[AllowRule] {
        &self.rules
    }

    /// The runtime it shares with the other plugins of the command.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Like `call`, also returning the peak linear memory in bytes.
    pub fn call_measured<R, F>(&self, hook: Hook, what: &str, f: F) -> Result<(R, usize), Error>
    where
        R: Send + 'static,
        F: AsyncFnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R> + Send + 'static,
    {
        self.call_reporting(hook, what, f)
            .map(|(result, report)| (result, report.peak))
    }

    /// The store state of one call: the entry's HTTP grants (a refused request is logged as a
    /// warning and kept in `denials`), memory limit, secrets, log and alarms.
    fn host_state(
        &self,
        deadline: Instant,
        denials: Arc<Mutex<Vec<String>>>,
        activity: super::host::ActivityLog,
    ) -> HostState {
        let denied_log = self.log.clone();
        let sent = activity.clone();
        let policy = HttpPolicy {
            rules: self.rules.clone(),
            deadline,
            on_denied: Arc::new(move |denial| {
                denied_log(
                    super::bindings::ristretto::plugin::log::Level::Warn,
                    &denial.to_string(),
                );
                if let Ok(mut list) = denials.lock() {
                    list.push(denial.to_string());
                }
            }),
            on_sent: Arc::new(move |line| super::host::record(&sent, |a| a.requests.push(line))),
        };
        HostState::new(
            policy,
            MemoryLimiter::new(self.limits.memory),
            self.secrets.clone(),
            self.log.clone(),
            self.alarms.clone(),
            activity,
        )
    }

    /// Like `call`, also reporting the peak memory and the requests `allow.http` refused.
    ///
    /// The call runs on its own thread, in a fresh store, and ends at its deadline whatever
    /// the guest does: epoch interruption stops guest code, and the host calls it may be
    /// blocked in (WASI sleep and poll, outbound HTTP) are async futures that are dropped at
    /// the deadline. The deadline is the hook's limit, or the command's `timeout` when that
    /// comes first. Except for notifications (which must still go out after a signal), a
    /// SIGINT/SIGTERM received meanwhile ends the wait at once with `Error::Interrupted`.
    pub fn call_reporting<R, F>(
        &self,
        hook: Hook,
        what: &str,
        f: F,
    ) -> Result<(R, CallReport), Error>
    where
        R: Send + 'static,
        F: AsyncFnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R> + Send + 'static,
    {
        // Loading the component (on the first call) is not the hook's time.
        let (pre, engine) = self.component_ready()?;
        let own_limit = self.limits.deadline(hook);
        let started = Instant::now();
        let own_deadline = started + own_limit;
        let command_deadline = self.runtime.command_deadline();
        let by_command = command_deadline.is_some_and(|d| d < own_deadline);
        let deadline = command_deadline.map_or(own_deadline, |d| d.min(own_deadline));
        let name = self.name.clone();
        let denials = Arc::new(Mutex::new(Vec::new()));
        let activity = super::host::ActivityLog::default();
        let state = self.host_state(deadline, denials.clone(), activity.clone());
        let job = CallJob {
            engine: engine.clone(),
            pre: pre.clone(),
            state,
            deadline,
        };
        let cancellable = hook != Hook::Notify;
        let label = what.to_owned();
        let timeout = || {
            if by_command {
                Error::CommandTimeout {
                    plugin: name.clone(),
                    hook: label.clone(),
                }
            } else {
                Error::Timeout {
                    plugin: name.clone(),
                    hook: label.clone(),
                    limit: crate::config::format_duration(own_limit),
                }
            }
        };
        match job.run(f, cancellable) {
            CallEnd::Finished {
                result: Ok(value),
                peak,
                ..
            } => Ok((
                value,
                CallReport {
                    peak,
                    denials: denials.lock().map(|l| l.clone()).unwrap_or_default(),
                    activity: activity.lock().map(|a| a.clone()).unwrap_or_default(),
                },
            )),
            CallEnd::Finished {
                result: Err(err),
                exceeded,
                ..
            } => Err(if exceeded {
                Error::MemoryLimit {
                    plugin: name.clone(),
                    hook: label.clone(),
                    limit_mib: self.limits.memory >> 20,
                }
            } else {
                match err.downcast_ref::<wasmtime::Trap>() {
                    Some(wasmtime::Trap::Interrupt) => timeout(),
                    Some(trap) => Error::Trap {
                        plugin: name.clone(),
                        hook: label.clone(),
                        detail: describe_trap(*trap),
                    },
                    None => Error::Trap {
                        plugin: name.clone(),
                        hook: label.clone(),
                        detail: root_cause(&err),
                    },
                }
            }),
            CallEnd::DeadlinePassed => Err(timeout()),
            CallEnd::Cancelled(signal) => Err(Error::Interrupted {
                plugin: name.clone(),
                hook: label.clone(),
                signal,
            }),
            CallEnd::Lost(detail) => Err(Error::Trap {
                plugin: name.clone(),
                hook: label.clone(),
                detail,
            }),
        }
    }

    /// Checks a string a hook returned.
    pub fn check_output(&self, what: &str, text: &str) -> Result<(), Error> {
        if text.len() > MAX_OUTPUT {
            return Err(Error::BadOutput {
                plugin: self.name.clone(),
                hook: what.to_owned(),
                message: format!(
                    "returned {} bytes, more than the {} MiB allowed",
                    text.len(),
                    MAX_OUTPUT >> 20
                ),
            });
        }
        Ok(())
    }
}

/// The bytes of `path`, which must still have the sha256 `expected`.
fn read_verified(path: &Path, expected: &str) -> Result<Vec<u8>, String> {
    let wasm = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let sha256 = cache::sha256_hex(&wasm);
    if sha256 != expected {
        return Err(format!(
            "it changed while ristretto ran (sha256 {sha256}, was {expected})"
        ));
    }
    Ok(wasm)
}

fn describe_trap(trap: wasmtime::Trap) -> String {
    match trap {
        wasmtime::Trap::StackOverflow => "stack overflow (too deep recursion)".to_owned(),
        wasmtime::Trap::UnreachableCodeReached => {
            "it panicked or aborted (unreachable executed)".to_owned()
        }
        wasmtime::Trap::MemoryOutOfBounds => "out-of-bounds memory access".to_owned(),
        other => other.to_string(),
    }
}

fn root_cause(err: &wasmtime::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    text
}

impl LoadedPlugin {
    /// The plugin's log sink.
    pub fn log_sink(&self) -> LogSink {
        self.log.clone()
    }

    /// Replaces the log sink (once the plugin's own name replaced the file's).
    pub(super) fn set_log_sink(&mut self, log: LogSink) {
        self.log = log;
    }
}

/// Whether `name` is only the file stem (no `name:` in the entry), so the plugin's own name
/// is better.
fn spec_name_defaulted(name: &str, path: &Path) -> bool {
    path.file_stem().and_then(|s| s.to_str()) == Some(name)
}
