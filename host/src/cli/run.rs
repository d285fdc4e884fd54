//! `ristretto run`: flags → `task::RunOptions` (overrides files are rendered like definitions).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::deploy::TaskDefinitionSource;
use crate::render::SourceKind;
use crate::task::{self, PropagateTags, RunOptions, RunWait};

/// `--wait-until` of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunUntil {
    /// The tasks are running
    Running,
    /// The tasks stopped (their exit codes decide)
    Stopped,
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Print the RunTask request; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Register and run this task definition file instead of the config's
    #[arg(long, value_name = "FILE")]
    pub task_def: Option<PathBuf>,
    /// Run the service's current task definition (with no service in the config, the newest
    /// revision of the family); register nothing
    #[arg(long)]
    pub skip_task_definition: bool,
    /// Run revision N of the family; register nothing (wins over `--skip-task-definition` and
    /// `--task-def`, as in ecspresso)
    #[arg(long, value_name = "N", conflicts_with = "latest_task_definition")]
    pub revision: Option<u64>,
    /// Run the newest revision of the family; register nothing (wins over
    /// `--skip-task-definition` and `--task-def`)
    #[arg(long)]
    pub latest_task_definition: bool,
    /// TaskOverride JSON (e.g. containerOverrides with a command); wins over `--overrides-file`
    #[arg(long, value_name = "JSON")]
    pub overrides: Option<String>,
    /// TaskOverride file (JSON or Jsonnet, rendered like definitions)
    #[arg(long, value_name = "FILE")]
    pub overrides_file: Option<PathBuf>,
    /// How many tasks (1 to 10)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=10))]
    pub count: i32,
    /// Task tags, KEY=VALUE,… (empty entries are skipped)
    #[arg(long, value_delimiter = ',', value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// SERVICE copies the service's tags onto the tasks, TASK_DEFINITION has ECS propagate the
    /// task definition's tags, NONE propagates nothing
    #[arg(long, value_parser = ["SERVICE", "TASK_DEFINITION", "NONE"])]
    pub propagate_tags: Option<String>,
    /// RunTask idempotency token
    #[arg(long)]
    pub client_token: Option<String>,
    /// Container whose logs are shown and whose exit code decides (default: the first
    /// essential container)
    #[arg(long, value_name = "NAME")]
    pub watch_container: Option<String>,
    /// What to wait for
    #[arg(long, value_enum, default_value = "stopped", conflicts_with = "wait")]
    pub wait_until: RunUntil,
    /// `--no-wait` / `--wait`
    #[command(flatten)]
    pub wait: super::flags::WaitFlag,
    /// Keep the EBS volumes configured at launch (the service definition's
    /// volumeConfigurations) after the task stops
    #[arg(long = "no-ebs-delete-on-termination", action = clap::ArgAction::SetFalse, overrides_with = "ebs_delete_flag")]
    pub ebs_delete_on_termination: bool,
    /// `--ebs-delete-on-termination`: the default (the volumes are deleted with the task)
    #[arg(
        long = "ebs-delete-on-termination",
        hide = true,
        overrides_with = "ebs_delete_on_termination"
    )]
    pub ebs_delete_flag: bool,
}

/// Runs `run`.
pub async fn run(args: RunArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    if args.overrides.is_some() && args.overrides_file.is_some() {
        app.warn("--overrides-file is ignored: --overrides wins, as in ecspresso");
    }
    let overrides = match (&args.overrides, &args.overrides_file) {
        (Some(json), _) => Some((
            serde_json::from_str(json).context("--overrides is not JSON")?,
            "--overrides".to_owned(),
        )),
        (None, Some(path)) => {
            let text = app
                .renderer
                .render_file(path, SourceKind::for_definition(path))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON after rendering", path.display()))?;
            let source = path.display().to_string();
            // Checked here too, where the text is at hand, so errors name the line.
            let located =
                (SourceKind::for_definition(path) == SourceKind::Template).then_some(text.as_str());
            crate::definition::check_task_override_in(value.clone(), &source, located)
                .map_err(anyhow::Error::msg)?;
            Some((value, source))
        }
        (None, None) => None,
    };
    let tags = args
        .tags
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .with_context(|| format!("--tags: `{t}` is not KEY=VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let task_definition = TaskDefinitionSource::by_priority(
        args.revision,
        args.latest_task_definition,
        args.skip_task_definition,
    );
    let propagate_tags = match args.propagate_tags.as_deref() {
        Some("SERVICE") => PropagateTags::Service,
        Some("TASK_DEFINITION") => PropagateTags::TaskDefinition,
        _ => PropagateTags::None,
    };
    let options = RunOptions {
        dry_run: args.dry_run,
        task_definition,
        task_definition_file: args.task_def,
        overrides,
        count: args.count,
        tags,
        propagate_tags,
        client_token: args.client_token,
        watch_container: args.watch_container,
        wait: match (args.wait.wait, args.wait_until) {
            (false, _) => RunWait::No,
            (true, RunUntil::Running) => RunWait::Running,
            (true, RunUntil::Stopped) => RunWait::Stopped,
        },
        ebs_delete_on_termination: args.ebs_delete_on_termination,
    };
    task::run(app, options).await?;
    Ok(ExitCode::SUCCESS)
}
