//! `ristretto wait`: waits for the service to be stable or deployed.

use std::process::ExitCode;
use std::time::SystemTime;

use clap::Args;

use super::deploy::WaitUntilArg;
use crate::deploy;

/// Flags of `wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// What to wait for
    #[arg(long, value_enum, default_value = "stable", alias = "until")]
    pub wait_until: WaitUntilArg,
}

/// Runs `wait`. With `deployed`, it follows the newest service deployment (started up to a
/// minute before the command).
pub async fn run(args: WaitArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let service = app.service()?;
    let since = SystemTime::now()
        .checked_sub(std::time::Duration::from_secs(60))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if let Some(reason) = deploy::wait(app, service, args.wait_until.into(), since).await? {
        app.warn(format!("the deployment was rolled back: {reason}"));
    }
    Ok(ExitCode::SUCCESS)
}
