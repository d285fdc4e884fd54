//! `ristretto diff`: prints a unified diff of the normalized remote and local definitions, or
//! with `--output json` a summary per definition (for CI comments and bots). `--exit-code`
//! makes differences exit 2 (for CI gates), as `git diff --exit-code` does.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::deploy::diff::{Comparison, diff};
use crate::output::{print_stdout, to_jsonnet, to_pretty_json, unified_diff};

/// Flags of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Exit 2 when there are differences (0 when there are none)
    #[arg(long)]
    pub exit_code: bool,
    /// Compare Jsonnet renderings instead of JSON
    #[arg(long)]
    pub jsonnet: bool,
    /// Compare only the task definition
    #[arg(long, conflicts_with = "with_service")]
    pub without_service: bool,
    /// Compare the service definition too (the default)
    #[arg(long)]
    pub with_service: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub output: DiffFormat,
}

/// `--output` of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Unified diffs
    Text,
    /// `{"differs": …, "comparisons": [{"what", "remote", "local", "differs", "diff"}]}`
    Json,
}

/// Runs `diff`.
pub async fn run(
    args: DiffArgs,
    app: &crate::app::App<'_>,
    color: bool,
) -> anyhow::Result<ExitCode> {
    let comparisons = diff(app, !args.without_service).await?;
    let differs = comparisons.iter().any(Comparison::differs);
    match args.output {
        DiffFormat::Text => {
            for comparison in &comparisons {
                print_stdout(&render(comparison, args.jsonnet, color))?;
            }
        }
        DiffFormat::Json => {
            let summary: Vec<serde_json::Value> = comparisons
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "what": c.what,
                        "remote": c.remote_name,
                        "local": c.local_name,
                        "differs": c.differs(),
                        "diff": render(c, args.jsonnet, false),
                    })
                })
                .collect();
            print_stdout(&to_pretty_json(&serde_json::json!({
                "differs": differs,
                "comparisons": summary,
            })))?;
        }
    }
    Ok(if differs && args.exit_code {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn render(comparison: &Comparison, jsonnet: bool, color: bool) -> String {
    let format = |value: &serde_json::Value| {
        if value.is_null() {
            String::new()
        } else if jsonnet {
            to_jsonnet(value)
        } else {
            to_pretty_json(value)
        }
    };
    let remote_name = comparison.remote_name.clone().unwrap_or_else(|| {
        let action = if comparison.what == "service" {
            "created"
        } else {
            "registered"
        };
        format!("(no {} yet: it will be {action})", comparison.what)
    });
    unified_diff(
        &remote_name,
        &comparison.local_name,
        &format(&comparison.remote),
        &format(&comparison.local),
        color,
    )
}
