//! One loaded WebAssembly plugin: its compiled component (pre-instantiated), what it declared
//! about itself, its grants and limits; and the one place where hooks are called: a fresh
//! instance per call, a wall-clock deadline, a memory cap, and every fault (trap, timeout,
//! memory, bad output) turned into an error naming the plugin and the hook.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::Store;

use super::Error;
use super::bindings::{Plugin, PluginInfo, PluginPre};
use super::cache::{self, Origin};
use super::host::{HostState, LogSink};
use super::http::{AllowRule, HttpPolicy};
use super::limits::{Hook, Limits, MemoryLimiter};
use super::runtime::{Runtime, TICK};
use super::secrets::SecretStore;

/// Largest string a hook may return (definitions, function results).
pub const MAX_OUTPUT: usize = 4 << 20;

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
    /// Whether the component came from the cache, and how long loading took.
    pub load: (Origin, Duration),
    pre: PluginPre<HostState>,
    runtime: Arc<Runtime>,
    rules: Arc<Vec<AllowRule>>,
    secrets: Arc<SecretStore>,
    log: LogSink,
    alarms: Option<Arc<super::alarms::AlarmReader>>,
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
    /// Reads, verifies, compiles (or loads from the cache) and pre-instantiates `path`, then
    /// asks the plugin for its `info`.
    pub fn load(runtime: Arc<Runtime>, path: &Path, spec: PluginSpec) -> Result<Self, Error> {
        let fail = |message: String| Error::Load {
            plugin: spec.name.clone(),
            path: path.display().to_string(),
            message,
        };
        let started = Instant::now();
        let wasm = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
        let sha256 = cache::sha256_hex(&wasm);
        if let Some(expected) = &spec.sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(fail(format!(
                "sha256 is {sha256}, but the config pins {expected}"
            )));
        }
        let (component, origin) = cache::load(
            &runtime.engine,
            &wasm,
            &sha256,
            runtime.cache_dir.as_deref(),
        )
        .map_err(|e| {
            fail(format!(
                "not a valid WebAssembly component: {}",
                root_cause(&e)
            ))
        })?;
        let instance_pre = runtime.linker.instantiate_pre(&component).map_err(|e| {
            fail(format!(
                "it needs imports ristretto does not provide: {}",
                root_cause(&e)
            ))
        })?;
        let pre = PluginPre::new(instance_pre).map_err(|e| {
            fail(format!(
                "it does not implement the ristretto:plugin@0.1.0 world: {}",
                root_cause(&e)
            ))
        })?;
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
            load: (origin, Duration::ZERO),
            pre,
            runtime,
            rules: Arc::new(spec.rules),
            secrets: Arc::new(spec.secrets),
            log: spec.log,
            alarms: None,
        };
        plugin.info = plugin.call(Hook::Info, "info", |p, s| p.call_info(s))?;
        if spec_name_defaulted(&plugin.name, path) && !plugin.info.name.is_empty() {
            plugin.name = plugin.info.name.clone();
        }
        plugin.load.1 = started.elapsed();
        Ok(plugin)
    }

    /// Whether the plugin declared `capability`.
    pub fn has(&self, capability: &str) -> bool {
        self.info.capabilities.iter().any(|c| c == capability)
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
    pub fn call<R>(
        &self,
        hook: Hook,
        what: &str,
        f: impl FnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        self.call_measured(hook, what, f).map(|(result, _)| result)
    }

    /// The compiled component.
    pub fn component(&self) -> &wasmtime::component::Component {
        self.pre.instance_pre().component()
    }

    /// The engine it runs on.
    pub fn engine(&self) -> &wasmtime::Engine {
        &self.runtime.engine
    }

    /// Like `call`, also returning the peak linear memory in bytes.
    pub fn call_measured<R>(
        &self,
        hook: Hook,
        what: &str,
        f: impl FnOnce(&Plugin, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<(R, usize), Error> {
        let deadline = self.limits.deadline(hook);
        let name = self.name.clone();
        let denied_log = self.log.clone();
        let policy = HttpPolicy {
            rules: self.rules.clone(),
            timeout: deadline,
            on_denied: Arc::new(move |denial| {
                denied_log(
                    super::bindings::ristretto::plugin::log::Level::Warn,
                    &denial.to_string(),
                );
            }),
        };
        let state = HostState::new(
            policy,
            MemoryLimiter::new(self.limits.memory),
            self.secrets.clone(),
            self.log.clone(),
            self.alarms.clone(),
        );
        let mut store = Store::new(&self.runtime.engine, state);
        store.limiter(|state| &mut state.limiter);
        let ticks = (deadline.as_millis() / TICK.as_millis()).max(1);
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&instance, &mut store));
        let peak = store.data().limiter.peak;
        result.map(|r| (r, peak)).map_err(|err| {
            let hook_label = what.to_owned();
            if store.data().limiter.exceeded {
                return Error::MemoryLimit {
                    plugin: name.clone(),
                    hook: hook_label,
                    limit_mib: self.limits.memory >> 20,
                };
            }
            match err.downcast_ref::<wasmtime::Trap>() {
                Some(wasmtime::Trap::Interrupt) => Error::Timeout {
                    plugin: name.clone(),
                    hook: hook_label,
                    limit: crate::config::format_duration(deadline),
                },
                Some(trap) => Error::Trap {
                    plugin: name.clone(),
                    hook: hook_label,
                    detail: describe_trap(*trap),
                },
                None => Error::Trap {
                    plugin: name.clone(),
                    hook: hook_label,
                    detail: root_cause(&err),
                },
            }
        })
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
}

/// Whether `name` is only the file stem (no `name:` in the entry), so the plugin's own name
/// is better.
fn spec_name_defaulted(name: &str, path: &Path) -> bool {
    path.file_stem().and_then(|s| s.to_str()) == Some(name)
}
