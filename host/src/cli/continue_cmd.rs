//! `ristretto continue`: flags → `deploy::ContinueOptions`.

use std::process::ExitCode;

use clap::Args;

use super::deploy::WaitUntilParser;
use crate::deploy::{self, ContinueOptions, WaitUntil};

/// Flags of `continue`.
#[derive(Debug, Args)]
pub struct ContinueArgs {
    /// Roll the paused deployment back instead of continuing it
    #[arg(long)]
    pub rollback: bool,
    /// At the pause where ristretto's before-traffic-shift gates decide, continue without
    /// running them (they run by default)
    #[arg(long, conflicts_with = "rollback")]
    pub skip_gates: bool,
    /// `--no-wait` / `--wait`
    #[command(flatten)]
    pub wait: super::flags::WaitFlag,
    /// What to wait for: deployed, stable, paused (the next pause, e.g. the next linear step)
    /// or ecs:<STAGE>
    #[arg(long, default_value = "deployed", alias = "until", value_name = "TARGET", value_parser = WaitUntilParser, hide_possible_values = true)]
    pub wait_until: WaitUntil,
}

/// Runs `continue`. Exit 1 when a continued deployment ends rolled back (unless `--rollback`
/// asked for it).
pub async fn run(args: ContinueArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let rolled_back = deploy::continue_deployment(
        app,
        ContinueOptions {
            rollback: args.rollback,
            wait: args.wait.wait.then_some(args.wait_until),
            skip_gates: args.skip_gates,
        },
    )
    .await?;
    match rolled_back {
        Some(reason) if !args.rollback => {
            anyhow::bail!("the deployment was rolled back: {reason}")
        }
        Some(_) => app.info("the deployment was rolled back"),
        // Continued to the end: the deploy split into steps finishes here.
        None if !args.rollback && args.wait.wait && !args.wait_until.is_intermediate() => {
            deploy::split_deploy::finish(app, app.service()?).await?
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}
