//! `ristretto register`, `revisions` and `deregister`: task definition revisions of the family.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::deploy::diff::remote_task_definition_json;
use crate::deploy::revisions::{self, DeregisterSelection};
use crate::deploy::{register_task_definition, short_task_definition};
use crate::output::{print_stdout, to_pretty_json};

/// Flags of `register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Print the task definition that would be registered; register nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the registered task definition as JSON
    #[arg(long)]
    pub output: bool,
}

/// Runs `register`.
pub async fn run_register(
    args: RegisterArgs,
    app: &crate::app::App<'_>,
) -> anyhow::Result<ExitCode> {
    let path = app.config.task_definition_path().with_context(|| {
        format!(
            "{}: `task_definition` is not set",
            app.config.path.display()
        )
    })?;
    let definition = app.load_task_definition(&path)?;
    for warning in &definition.warnings {
        app.warn(warning.clone());
    }
    if args.dry_run {
        print_stdout(&to_pretty_json(&definition.value))?;
        app.info("DRY RUN OK");
        return Ok(ExitCode::SUCCESS);
    }
    let registered = register_task_definition(
        &app.clients.ecs,
        &definition.value,
        &path.display().to_string(),
    )
    .await?;
    let arn = registered
        .task_definition_arn()
        .context("RegisterTaskDefinition answered without the task definition ARN")?;
    app.info(format!(
        "task definition {} is registered",
        short_task_definition(arn)
    ));
    if args.output {
        print_stdout(&to_pretty_json(&crate::definition::drop_empty(
            remote_task_definition_json(app, arn).await?,
        )))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--output` of `revisions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RevisionsFormat {
    /// Aligned columns
    Table,
    /// A JSON array
    Json,
    /// Tab-separated values
    Tsv,
}

/// Flags of `revisions`.
#[derive(Debug, Args)]
pub struct RevisionsArgs {
    /// Print one revision as JSON: `current`, `latest` or a number
    #[arg(long, value_name = "REVISION")]
    pub revision: Option<String>,
    /// Output format of the list
    #[arg(long, value_enum, default_value = "table")]
    pub output: RevisionsFormat,
}

/// Runs `revisions`.
pub async fn run_revisions(
    args: RevisionsArgs,
    app: &crate::app::App<'_>,
) -> anyhow::Result<ExitCode> {
    let list = revisions::list(app).await?;
    if let Some(which) = args.revision {
        let arn = match which.as_str() {
            "current" => list
                .iter()
                .find(|r| r.in_use.contains("current"))
                .map(|r| r.arn.clone())
                .context("the service has no current revision")?,
            "latest" => list
                .first()
                .map(|r| r.arn.clone())
                .context("the family has no ACTIVE revision")?,
            number => {
                let n: u64 = number.parse().with_context(|| {
                    format!("--revision must be current, latest or a number, not `{number}`")
                })?;
                let family = revisions::family(app).await?;
                format!("{family}:{n}")
            }
        };
        // As ecspresso prints API shapes: without nulls and empty lists.
        print_stdout(&to_pretty_json(&crate::definition::drop_empty(
            remote_task_definition_json(app, &arn).await?,
        )))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut list = list;
    crate::deploy::rollback::target::mark_skipped(app, &mut list).await;
    let text = match args.output {
        RevisionsFormat::Json => to_pretty_json(&serde_json::Value::Array(
            list.iter()
                .map(|r| {
                    serde_json::json!({"name": r.name, "arn": r.arn, "in_use": r.in_use,
                        "skipped_by_rollback": r.skipped})
                })
                .collect(),
        )),
        RevisionsFormat::Tsv => list
            .iter()
            .map(|r| {
                let skipped = r.skipped.as_deref().unwrap_or("");
                format!("{}\t{}\t{skipped}\n", r.name, r.in_use)
            })
            .collect(),
        RevisionsFormat::Table => table(&list),
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The `revisions` table: name, in-use marks, and why `rollback` skips a revision.
fn table(list: &[revisions::Revision]) -> String {
    let width = list.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let in_use = list
        .iter()
        .map(|r| r.in_use.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut text = format!(
        "{:<width$}  {:<in_use$}  SKIPPED BY ROLLBACK\n",
        "NAME", "IN USE"
    );
    for r in list {
        let skipped = r.skipped.as_deref().unwrap_or("");
        let line = format!("{:<width$}  {:<in_use$}  {skipped}", r.name, r.in_use);
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Flags of `deregister`.
#[derive(Debug, Args)]
pub struct DeregisterArgs {
    /// Show what would be deregistered; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Keep the N newest unused revisions and deregister older unused ones
    #[arg(long, value_name = "N", required_unless_present = "revision")]
    pub keeps: Option<usize>,
    /// Deregister one revision: a number or `latest` (wins over `--keeps`, as in ecspresso)
    #[arg(long, value_name = "REVISION")]
    pub revision: Option<String>,
    /// Also delete the deregistered revisions
    #[arg(long)]
    pub delete: bool,
    /// Do not ask for confirmation
    #[arg(long)]
    pub force: bool,
}

/// Runs `deregister`.
pub async fn run_deregister(
    args: DeregisterArgs,
    app: &crate::app::App<'_>,
) -> anyhow::Result<ExitCode> {
    let selection = match (args.revision.as_deref(), args.keeps) {
        (Some("latest"), _) => DeregisterSelection::Latest,
        (Some(number), _) => {
            DeregisterSelection::Revision(number.parse().with_context(|| {
                format!("--revision must be a number or latest, not `{number}`")
            })?)
        }
        (None, Some(keep)) => DeregisterSelection::Keep(keep),
        (None, None) => anyhow::bail!("give --keeps N or --revision N|latest"),
    };
    let list = revisions::list(app).await?;
    let chosen = revisions::select(&list, selection)?;
    if chosen.is_empty() {
        app.info("no revision to deregister");
        return Ok(ExitCode::SUCCESS);
    }
    let names: Vec<_> = chosen.iter().map(|r| r.name.clone()).collect();
    let verb = if args.delete {
        "deregister and delete"
    } else {
        "deregister"
    };
    if args.dry_run {
        app.info(format!("would {verb}: {} (dry run)", names.join(", ")));
        return Ok(ExitCode::SUCCESS);
    }
    if !args.force && !confirm(&format!("{verb} {}?", names.join(", ")))? {
        anyhow::bail!("cancelled: nothing was deregistered");
    }
    revisions::deregister(app, &chosen, args.delete).await?;
    Ok(ExitCode::SUCCESS)
}

/// Asks a yes/no question on the terminal. Without a terminal it refuses (use --force).
pub(super) fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{question} needs confirmation, but stdin is not a terminal: pass --force");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
