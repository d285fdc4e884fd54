//! `ristretto version`: prints the version and the ecspresso version whose behaviour it follows.

use std::process::ExitCode;

use clap::Args;

use crate::output::{Logger, print_stdout};

/// Flags of `version` (none).
#[derive(Debug, Args)]
pub struct VersionArgs {}

/// Prints `ristretto vX.Y.Z (ecspresso-compatible A.B.C)`.
pub fn run(_args: VersionArgs, _logger: &Logger) -> anyhow::Result<ExitCode> {
    print_stdout(&format!(
        "ristretto v{} (ecspresso-compatible v{})\n",
        env!("CARGO_PKG_VERSION"),
        crate::ECSPRESSO_COMPAT_VERSION
    ))?;
    Ok(ExitCode::SUCCESS)
}
