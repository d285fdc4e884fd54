//! `ristretto wait`: waits for the service to be stable or deployed.

use std::process::ExitCode;
use std::time::SystemTime;

use clap::Args;

use super::deploy::WaitUntilParser;
use crate::deploy;

/// Flags of `wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// What to wait for: stable, deployed, paused, ecs:<STAGE> or codedeploy:<Event>
    #[arg(long, default_value = "stable", alias = "until", value_name = "TARGET", value_parser = WaitUntilParser, hide_possible_values = true)]
    pub wait_until: deploy::WaitUntil,
}

/// Runs `wait`. With `deployed`, it follows the newest service deployment (started up to a
/// minute before the command).
pub async fn run(args: WaitArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let service = app.service()?;
    let since = SystemTime::now()
        .checked_sub(std::time::Duration::from_secs(60))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    // Waiting for a deployment in flight to the end finishes a deploy split into steps
    // (post-deploy gates, deploy-succeeded); waiting on an idle service does not.
    let finishes =
        !args.wait_until.is_intermediate() && deploy::split_deploy::in_flight(app, service).await?;
    match deploy::wait(app, service, args.wait_until, since).await? {
        Some(reason) => app.warn(format!("the deployment was rolled back: {reason}")),
        None if finishes => deploy::split_deploy::finish(app, service).await?,
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}
