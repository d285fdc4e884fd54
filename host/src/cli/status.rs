//! `ristretto status`: prints the service, deployments, auto scaling and recent events, as
//! ecspresso's text block or, with `--output json`, as one JSON document (`report::status`).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::output::{print_stdout, to_pretty_json};

/// `--output` of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// ecspresso's text block
    Text,
    /// One JSON document (camelCase keys, as AWS names the fields)
    Json,
}

/// Flags of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many recent service events to show
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub events: usize,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub output: StatusFormat,
}

/// Runs `status`.
pub async fn run(args: StatusArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let report = crate::report::status(app, args.events).await?;
    let text = match args.output {
        StatusFormat::Text => crate::output::status::to_text(&report),
        StatusFormat::Json => to_pretty_json(&serde_json::to_value(report)?),
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
