//! The SDK for ristretto plugins: WebAssembly components (`wasm32-wasip2`) that transform task
//! and service definitions, add template functions, gate deploys and send notifications.
//!
//! Implement [`Plugin`] (every hook has an inert default) in an impl block marked
//! [`#[plugin]`](plugin): the hooks the block defines are the plugin's capabilities, and
//! ristretto calls only those.
//!
//! ```no_run
//! use ristretto_plugin_sdk::{Context, Event, Plugin, plugin};
//!
//! struct Hello;
//!
//! #[plugin(description = "logs every event")]
//! impl Plugin for Hello {
//!     fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
//!         ristretto_plugin_sdk::log::info(&format!("{}: {}", ctx.service, event.message));
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2`; the `.wasm` in
//! `target/wasm32-wasip2/release/` is the component to list under `plugins:` with `path:`.
#![deny(missing_docs)]

mod config;
pub mod http;
mod types;
#[doc(hidden)]
pub mod wit;

pub use ristretto_plugin_sdk_macros::plugin;
pub use serde_json::{self, Value, json};
pub use types::{Context, DefinitionKind, Event, EventKind, FunctionDecl, Stage, Verdict};

/// The SDK's version, reported to the host in `plugin-info`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A ristretto plugin. Implement the hooks you need in an impl block marked
/// [`#[plugin]`](plugin); the hooks it defines become the plugin's capabilities.
pub trait Plugin {
    /// Rewrites a definition (JSON in AWS API shape). An error aborts the command before
    /// anything is sent to AWS. Default: returns the definition unchanged.
    fn transform(ctx: &Context, kind: DefinitionKind, definition: Value) -> Result<Value, String> {
        let _ = (ctx, kind);
        Ok(definition)
    }

    /// The template functions this plugin provides. Default: none.
    fn functions(ctx: &Context) -> Vec<FunctionDecl> {
        let _ = ctx;
        Vec::new()
    }

    /// Calls template function `name`. Default: an error.
    fn call(ctx: &Context, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let _ = (ctx, args);
        Err(format!("function {name} is not implemented"))
    }

    /// Decides whether the deploy may go on at `stage`. `state` is what the previous
    /// [`Verdict::Pending`] carried. Default: an error (gate not implemented).
    fn gate(ctx: &Context, stage: Stage, state: Option<String>) -> Result<Verdict, String> {
        let _ = (ctx, stage, state);
        Err("gate is not implemented".to_owned())
    }

    /// Handles a lifecycle event. Errors are warnings; they never fail the deploy.
    /// Default: does nothing.
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        let _ = (ctx, event);
        Ok(())
    }
}

/// Compile-time facts about a registered plugin (filled in by [`#[plugin]`](plugin)).
#[doc(hidden)]
pub trait Registered {
    const NAME: &'static str;
    const VERSION: &'static str;
    const DESCRIPTION: &'static str;
    const CAPABILITIES: &'static [&'static str];
}

/// CloudWatch alarm states, read by ristretto with its own credentials; only names in the
/// plugin's `allow.alarms` (exact or `prefix*`).
pub mod alarms {
    /// One alarm's state.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct AlarmState {
        /// The alarm's name.
        pub name: String,
        /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
        pub state: String,
        /// Why it is in that state.
        pub reason: String,
    }

    /// The states of `names` (alarms that do not exist are left out).
    pub fn states(names: &[&str]) -> Result<Vec<AlarmState>, String> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        crate::wit::ristretto::plugin::alarms::states(&names).map(|states| {
            states
                .into_iter()
                .map(|s| AlarmState {
                    name: s.name,
                    state: s.state,
                    reason: s.reason,
                })
                .collect()
        })
    }
}

/// Logging through ristretto's log (records are named after the plugin).
pub mod log {
    use crate::wit::ristretto::plugin::log::{Level, write};

    /// Logs at debug level.
    pub fn debug(message: &str) {
        write(Level::Debug, message);
    }

    /// Logs at info level.
    pub fn info(message: &str) {
        write(Level::Info, message);
    }

    /// Logs a warning.
    pub fn warn(message: &str) {
        write(Level::Warn, message);
    }

    /// Logs an error.
    pub fn error(message: &str) {
        write(Level::Error, message);
    }
}

/// Secrets resolved by ristretto: only names in the plugin's `allow.secrets`
/// (`env:NAME`, `ssm:/path`, `secretsmanager:id`).
pub mod secrets {
    /// The secret's value, or why it is not available.
    pub fn get(name: &str) -> Result<String, String> {
        crate::wit::ristretto::plugin::secrets::get(name)
    }
}

/// Connects a [`Plugin`] to the generated exports. Used by [`#[plugin]`](plugin).
#[doc(hidden)]
pub struct Adapter<T>(std::marker::PhantomData<T>);

mod adapter;
