//! `ristretto plan show PLAN`: a saved plan as unified diffs, or as markdown for a
//! pull-request comment.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::deploy::saved_plan::PlanFile;
use crate::output::{plan_markdown, plan_text, print_stdout};

/// Flags of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// What to do with the plan.
    #[command(subcommand)]
    pub command: PlanCommand,
}

/// `plan` commands.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Print a saved plan (checked: version and integrity)
    Show {
        /// The plan file
        #[arg(value_name = "PLAN")]
        file: PathBuf,
        /// text (unified diffs) or markdown (a pull-request comment)
        #[arg(long, value_enum, default_value = "text")]
        output: PlanFormat,
    },
}

/// `--output` of `plan show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Unified diffs
    Text,
    /// Markdown with a collapsible section per service
    Markdown,
}

/// Runs `plan`.
pub fn run(args: PlanArgs, color: bool) -> anyhow::Result<ExitCode> {
    match args.command {
        PlanCommand::Show { file, output } => {
            let plan = PlanFile::read(&file)?;
            let text = match output {
                PlanFormat::Text => plan_text(&plan, color),
                PlanFormat::Markdown => plan_markdown(&plan),
            };
            print_stdout(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
