//! `ristretto diff`: prints a unified diff of the normalized remote and local definitions, or
//! with `--output json` a summary per definition (for CI comments and bots). `--exit-code`
//! makes differences exit 2 (for CI gates), as `git diff --exit-code` does.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::deploy::diff::{Comparison, diff};
use crate::output::{full_diff, print_stdout, to_jsonnet, to_pretty_json, unified_diff};

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
    /// Show differences with an external command instead (e.g. `difft`, `delta`): it runs as
    /// `sh -c 'CMD "$@"' sh REMOTE_FILE LOCAL_FILE` for each definition that differs
    /// [env: RISTRETTO_DIFF_COMMAND, ECSPRESSO_DIFF_COMMAND]
    #[arg(long, value_name = "CMD", conflicts_with = "output")]
    pub external: Option<String>,
    /// Show the whole definitions with the changed lines marked, instead of a unified diff
    #[arg(long = "no-unified", action = clap::ArgAction::SetFalse, overrides_with = "unified_flag")]
    pub unified: bool,
    /// `--unified`: the default
    #[arg(long = "unified", hide = true, overrides_with = "unified")]
    pub unified_flag: bool,
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
    let external = args.external.clone().or_else(|| {
        ["RISTRETTO_DIFF_COMMAND", "ECSPRESSO_DIFF_COMMAND"]
            .iter()
            .find_map(|name| app.environment.get(name))
            .filter(|c| !c.trim().is_empty())
            .map(str::to_owned)
    });
    match (args.output, external) {
        (DiffFormat::Text, Some(command)) => {
            for comparison in comparisons.iter().filter(|c| c.differs()) {
                external_diff(&command, comparison, args.jsonnet, &app.environment)?;
            }
        }
        (DiffFormat::Text, None) => {
            for comparison in &comparisons {
                print_stdout(&render(comparison, args.jsonnet, args.unified, color))?;
            }
        }
        (DiffFormat::Json, _) => {
            let summary: Vec<serde_json::Value> = comparisons
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "what": c.what,
                        "remote": c.remote_name,
                        "local": c.local_name,
                        "differs": c.differs(),
                        "diff": render(c, args.jsonnet, args.unified, false),
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

fn format(value: &serde_json::Value, jsonnet: bool) -> String {
    if value.is_null() {
        String::new()
    } else if jsonnet {
        to_jsonnet(value)
    } else {
        to_pretty_json(value)
    }
}

/// Writes both sides of `comparison` to temporary files and runs `command` on them (its
/// output goes to the terminal; its exit status, usually 1 for "differs", is not an error).
/// The command sees `environment` (the process environment with the env files applied).
fn external_diff(
    command: &str,
    comparison: &Comparison,
    jsonnet: bool,
    environment: &crate::environment::Environment,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = tempfile::tempdir().context("cannot create a temporary directory for the diff")?;
    let extension = if jsonnet { "jsonnet" } else { "json" };
    let what = comparison.what.replace(" ", "-");
    let remote = dir.path().join(format!("remote-{what}.{extension}"));
    let local = dir.path().join(format!("local-{what}.{extension}"));
    std::fs::write(&remote, format(&comparison.remote, jsonnet))?;
    std::fs::write(&local, format(&comparison.local, jsonnet))?;
    let status = std::process::Command::new("sh")
        .envs(environment.vars())
        .arg("-c")
        .arg(format!("{command} \"$@\""))
        .arg("sh")
        .arg(&remote)
        .arg(&local)
        .status()
        .with_context(|| format!("cannot run the diff command `{command}`"))?;
    if status.code().is_none_or(|code| code > 1) {
        anyhow::bail!("the diff command `{command}` failed ({status})");
    }
    Ok(())
}

fn render(comparison: &Comparison, jsonnet: bool, unified: bool, color: bool) -> String {
    let format = |value: &serde_json::Value| format(value, jsonnet);
    let remote_name = comparison.remote_name.clone().unwrap_or_else(|| {
        let action = if comparison.what == "task definition" {
            "registered"
        } else {
            "created"
        };
        format!("(no {} yet: it will be {action})", comparison.what)
    });
    let show = if unified { unified_diff } else { full_diff };
    show(
        &remote_name,
        &comparison.local_name,
        &format(&comparison.remote),
        &format(&comparison.local),
        color,
    )
}
