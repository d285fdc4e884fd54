//! `ristretto version`: the version, the commit it was built from, the ecspresso version whose
//! behaviour it follows, and the plugin runtime and contract versions (`--output json` for
//! machines).

use std::process::ExitCode;

use clap::Args;

use crate::output::{Logger, print_stdout, to_pretty_json};

/// The wasmtime version ristretto embeds (pinned exactly in Cargo.toml).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// The plugin contract (WIT package) version: the current one, which the SDK builds for.
pub const PLUGIN_CONTRACT: &str = "ristretto:plugin@0.2.0";

/// Flags of `version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print JSON
    #[arg(long, value_parser = ["text", "json"], default_value = "text")]
    pub output: String,
}

/// Prints the versions.
pub fn run(args: VersionArgs, _logger: &Logger) -> anyhow::Result<ExitCode> {
    let version = env!("CARGO_PKG_VERSION");
    let commit = env!("RISTRETTO_COMMIT");
    if args.output == "json" {
        print_stdout(&to_pretty_json(&serde_json::json!({
            "version": version,
            "commit": commit,
            "ecspresso_compatible": crate::ECSPRESSO_COMPAT_VERSION,
            "wasmtime": WASMTIME_VERSION,
            "plugin_contract": PLUGIN_CONTRACT,
            "plugin_contracts_loaded": crate::plugins::CONTRACT_VERSIONS,
            "plugin_sdk": version,
        })))?;
    } else {
        print_stdout(&format!(
            "ristretto v{version} (commit {commit}, ecspresso-compatible v{}, wasmtime {WASMTIME_VERSION}, plugins {PLUGIN_CONTRACT} (loads {}), SDK v{version})\n",
            crate::ECSPRESSO_COMPAT_VERSION,
            crate::plugins::CONTRACT_VERSIONS.join(", ")
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_versions_match_the_manifests() {
        let workspace = include_str!("../../../Cargo.toml");
        assert!(
            workspace.contains(&format!("wasmtime = {{ version = \"={WASMTIME_VERSION}\"")),
            "update WASMTIME_VERSION"
        );
        let world = include_str!("../../../wit/world.wit");
        assert!(
            world.contains(&format!("package {PLUGIN_CONTRACT};")),
            "update PLUGIN_CONTRACT"
        );
        assert!(PLUGIN_CONTRACT.ends_with(&format!("@{}", crate::plugins::CONTRACT_VERSIONS[0])));
    }
}
