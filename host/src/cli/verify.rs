//! `ristretto verify`: flags → `verify::VerifyOptions`; prints the report as a tree or JSON
//! lines and exits 1 when a check is NG.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::output::print_stdout;
use crate::verify::{self, VerifyOptions};

/// `--output` of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyOutput {
    /// An indented tree with `--> [OK|NG|WARN|SKIP]` under each check
    Text,
    /// One JSON object per check (`verify`, `result`, `error`, `cached`)
    Json,
}

/// Flags of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Do not read secrets (GetSecretValue, GetParameters): report them as SKIP
    #[arg(long = "no-get-secrets", action = clap::ArgAction::SetFalse, overrides_with = "get_secrets_flag")]
    pub get_secrets: bool,
    /// `--get-secrets`: the default, accepted as ecspresso (kong) accepts both forms
    #[arg(long = "get-secrets", hide = true, overrides_with = "get_secrets")]
    pub get_secrets_flag: bool,
    /// Do not write a test event to each awslogs log group: report them as SKIP
    #[arg(long = "no-put-logs", action = clap::ArgAction::SetFalse, overrides_with = "put_logs_flag")]
    pub put_logs: bool,
    /// `--put-logs`: the default, accepted as ecspresso (kong) accepts both forms
    #[arg(long = "put-logs", hide = true, overrides_with = "put_logs")]
    pub put_logs_flag: bool,
    /// Check every reference, even one checked before in this run (e.g. the same role twice)
    #[arg(long)]
    pub no_cache: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub output: VerifyOutput,
}

/// Runs `verify`.
pub async fn run(args: VerifyArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let report = verify::verify(
        app,
        VerifyOptions {
            get_secrets: args.get_secrets,
            put_logs: args.put_logs,
            no_cache: args.no_cache,
        },
    )
    .await?;
    match args.output {
        VerifyOutput::Text => print_stdout(&report.to_tree())?,
        VerifyOutput::Json => print_stdout(&report.to_json_lines())?,
    }
    match report.problems() {
        0 => {
            app.info("verify: everything referenced exists and is usable");
            Ok(ExitCode::SUCCESS)
        }
        n => anyhow::bail!("verify found {n} problem(s): see the NG lines above"),
    }
}
