//! `ristretto rollback`: flags → `deploy::RollbackOptions`.

use std::process::ExitCode;

use clap::Args;

use super::deploy::WaitUntilParser;
use crate::deploy::{self, RollbackOptions, RollbackTarget};

/// Flags of `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Show what would happen; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Roll back to revision N of the family (default: stop the in-flight deployment, or the
    /// revision before the current one)
    #[arg(long, value_name = "N", conflicts_with = "previous_task_def")]
    pub revision: Option<u64>,
    /// Deploy the revision before the current one even when a deployment is in flight
    /// (ecspresso v3's flag, also spelled --with-previous-task-definition)
    #[arg(long, alias = "with-previous-task-definition")]
    pub previous_task_def: bool,
    /// Keep the rolled-back revision registered
    #[arg(long = "no-deregister-task-definition", action = clap::ArgAction::SetFalse, overrides_with = "deregister_task_definition_flag")]
    pub deregister_task_definition: bool,
    /// `--deregister-task-definition`: the default, accepted as ecspresso (kong) accepts both forms
    #[arg(
        long = "deregister-task-definition",
        hide = true,
        overrides_with = "deregister_task_definition"
    )]
    pub deregister_task_definition_flag: bool,
    /// `--no-wait` / `--wait`
    #[command(flatten)]
    pub wait: super::flags::WaitFlag,
    /// What to wait for
    #[arg(long, default_value = "stable", alias = "until", value_name = "TARGET", value_parser = WaitUntilParser, hide_possible_values = true)]
    pub wait_until: deploy::WaitUntil,
    /// CodeDeploy only: comma-separated events that roll the rollback deployment back
    /// (DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST)
    #[arg(long, value_name = "EVENTS")]
    pub rollback_events: Option<String>,
}

/// Runs `rollback`.
pub async fn run(args: RollbackArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    deploy::rollback(
        app,
        RollbackOptions {
            dry_run: args.dry_run,
            target: match (args.revision, args.previous_task_def) {
                (Some(n), _) => RollbackTarget::Revision(n),
                (None, true) => RollbackTarget::PreviousTaskDefinition,
                (None, false) => RollbackTarget::Previous,
            },
            deregister: args.deregister_task_definition,
            wait: args.wait.wait.then_some(args.wait_until),
            rollback_events: deploy::RollbackEvents::parse(
                args.rollback_events.as_deref().unwrap_or(""),
            )
            .map_err(|e| anyhow::anyhow!("--rollback-events: {e}"))?,
        },
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}
