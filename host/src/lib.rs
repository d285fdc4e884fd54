//! ristretto: deploys and manages AWS ECS services from files, the way kayac/ecspresso does
//! (same config keys, same definition files), extensible with WebAssembly plugins.
//!
//! Data flows `cli → config → render → definition → (later: plan/diff → gates → apply → wait)`.
//! Library modules never print; `output` renders results and logs. `source_text` checks raw
//! file text before any parser sees it (byte order marks, absurd nesting); `aws::retry` decides
//! which failed AWS calls are tried again; `plugins` runs every plugin call on its own thread
//! under a deadline that host calls cannot escape; `interrupt` records signals for them.

pub mod app;
pub mod aws;
pub mod choose;
pub mod cli;
pub mod config;
pub mod definition;
pub mod deploy;
pub mod events;
pub mod fetch;
pub mod fleet;
pub mod http_send;
pub mod interrupt;
pub mod lookups;
pub mod output;
pub mod plugins;
pub mod render;
pub mod report;
pub mod skills;
pub mod source_text;
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
