//! WebAssembly plugins: the wasmtime runtime (component model, WASI p2 with nothing granted,
//! filtered `wasi:http`), the on-disk compile cache, per-hook limits, and the four
//! capabilities the lifecycle calls: transform, template functions, gates and notify.
//! A misbehaving plugin (loop, memory bomb, panic, garbage) yields an error naming the plugin
//! and the hook; the host stays healthy. See wit/ for the contract.

mod alarms;
mod bindings;
mod cache;
mod call;
mod download;
mod fake;
mod file_hash;
mod gates;
mod host;
mod http;
mod limits;
mod lock;
mod notifier;
mod plugin;
pub mod remote;
mod runtime;
pub mod scaffold;
mod secrets;
mod set;
mod stages;
pub mod tooling;

pub use bindings::ristretto::plugin::log::Level as LogLevel;
pub use bindings::{CONTRACT_VERSIONS, DefinitionKind, EventKind, Stage};
pub use cache::Origin;
pub use gates::{GateCheck, GateFailure};
pub use host::LogSink;
pub use limits::Hook;
pub use plugin::LoadedPlugin;
pub use remote::Sources;
pub use set::{BUILTIN_NAMES, PluginSet};

/// Plugin faults and configuration errors; each names the plugin and, for faults, the hook
/// ("plugin `slack-notify` (notify, deploy-succeeded): …").
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plugin could not be loaded.
    #[error("plugin `{plugin}` ({path}): {message}")]
    Load {
        /// The plugin.
        plugin: String,
        /// Its file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// `ristretto.lock` could not be read or written.
    #[error("{0}")]
    Lock(String),
    /// The plugin entry is invalid.
    #[error("plugin `{plugin}`: {message}")]
    Config {
        /// The plugin.
        plugin: String,
        /// What is wrong.
        message: String,
    },
    /// The plugin trapped (panic, stack overflow, …).
    #[error("plugin `{plugin}` ({hook}): crashed: {detail}")]
    Trap {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
        /// The trap.
        detail: String,
    },
    /// The plugin ran past its deadline.
    #[error("plugin `{plugin}` ({hook}): did not finish within {limit} (limits.timeout)")]
    Timeout {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
        /// The deadline.
        limit: String,
    },
    /// The command's `timeout` ran out during the call.
    #[error(
        "plugin `{plugin}` ({hook}): stopped when the command's timeout ran out (config `timeout` or --timeout)"
    )]
    CommandTimeout {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
    },
    /// A signal stopped the command during the call.
    #[error("plugin `{plugin}` ({hook}): stopped by {}", signal.name())]
    Interrupted {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
        /// The signal.
        signal: crate::interrupt::Signal,
    },
    /// The plugin exceeded its memory cap.
    #[error(
        "plugin `{plugin}` ({hook}): exceeded its memory limit of {limit_mib} MiB (limits.memory)"
    )]
    MemoryLimit {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
        /// The cap.
        limit_mib: usize,
    },
    /// The plugin returned something unusable.
    #[error("plugin `{plugin}` ({hook}): bad output: {message}")]
    BadOutput {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
        /// What is wrong with it.
        message: String,
    },
    /// The plugin returned an error.
    #[error("plugin `{plugin}` ({hook}): {message}")]
    Failed {
        /// The plugin.
        plugin: String,
        /// Hook and stage.
        hook: String,
        /// Its message.
        message: String,
    },
}

/// What hooks know about the command (ristretto's side of the WIT `deploy-context`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookContext {
    /// Cluster.
    pub cluster: String,
    /// Service (empty when none).
    pub service: String,
    /// Region, when known.
    pub region: String,
    /// Account, when known.
    pub account: String,
    /// Config file path.
    pub config_name: String,
    /// Whether nothing may change.
    pub dry_run: bool,
    /// The task definition being deployed.
    pub revision: Option<String>,
    /// `rolling`, `blue-green`, …
    pub strategy: String,
}

impl HookContext {
    /// The WIT context for `plugin` (adds its `config:`).
    fn for_plugin(&self, plugin: &LoadedPlugin) -> bindings::DeployContext {
        bindings::DeployContext {
            cluster: self.cluster.clone(),
            service: self.service.clone(),
            region: self.region.clone(),
            account: self.account.clone(),
            config_name: self.config_name.clone(),
            dry_run: self.dry_run,
            revision: self.revision.clone(),
            strategy: self.strategy.clone(),
            plugin_config: plugin.config_json.clone(),
        }
    }
}
