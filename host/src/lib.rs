//! ristretto: deploys and manages AWS ECS services from files, the way kayac/ecspresso does
//! (same config keys, same definition files), extensible with WebAssembly plugins.
//!
//! Data flows `cli → config → render → definition (+ plugin transforms) → deploy::Plan → gates
//! → apply → controller (wait) → verdict`; docs/architecture.md is the map (one line per module,
//! where each controller runs the gates). The modules, leaves first (a module only uses modules
//! listed before it; `scripts/architecture --check` keeps it so):
//!
//! - `environment`, `source_text`, `interrupt`, `http_send`: the process environment snapshot,
//!   raw-text checks, signals, one HTTP exchange.
//! - `render` (Go templates from the `gotemplate` crate, Jsonnet), `config`, `fetch`
//!   (downloads), `registry` (OCI), `aws` (clients, `aws::retry`), `plugins` (the wasmtime host;
//!   every call on its own thread under a deadline), `definition` (load, check, normalize;
//!   `gate_hook`), `events`, `app` (the context of a command on one service).
//! - `deploy`: the lifecycle engine. `deploy::Plan` decides without writing; `deploy::apply`
//!   carries it out; `deploy::gates` decides (`GateOutcome`) and never acts; the controllers
//!   (`deploy::rolling`, `deploy::ecs_native`, `deploy::codedeploy`) act and wait, polling
//!   through `deploy::poll`.
//! - `task` (one-off tasks, task listing, ECS Exec sessions), `report` (what `status` reads),
//!   `verify`, `fleet`, `lookups`, `skills`, `choose`.
//! - `output` renders results and logs; `cli` turns flags into options, calls the library and
//!   prints. Library modules never print.

pub mod app;
pub mod aws;
pub mod choose;
pub mod cli;
pub mod config;
pub mod definition;
pub mod deploy;
pub mod environment;
pub mod events;
pub mod fetch;
pub mod fleet;
pub mod http_send;
pub mod interrupt;
pub mod lookups;
pub mod output;
pub mod plugins;
pub mod registry;
pub mod render;
pub mod report;
pub mod skills;
pub mod source_text;
pub mod task;
pub mod verify;

use std::ffi::OsString;
use std::process::ExitCode;

/// The version of ecspresso whose behaviour and configuration ristretto follows.
pub const ECSPRESSO_COMPAT_VERSION: &str = "2.8.8";

/// Runs the command line `argv` (including the program name) and returns the process exit code:
/// 0 on success, 1 on any error (usage errors included, as ecspresso does).
pub fn run<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // The AWS SDK and the plugins' HTTP client both use rustls; pick one crypto provider for
    // the process (aws-lc, the SDK's) so that neither panics on first use.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    cli::main(argv)
}
