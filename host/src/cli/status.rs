//! `ristretto status`: prints the service, deployments, auto scaling and recent events.

use std::process::ExitCode;

use clap::Args;

use crate::deploy::status::status;
use crate::output::print_stdout;

/// Flags of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many recent service events to show
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub events: usize,
}

/// Runs `status`.
pub async fn run(args: StatusArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    print_stdout(&status(app, args.events).await?)?;
    Ok(ExitCode::SUCCESS)
}
