//! `ristretto tasks list|find|stop|logs`: the tasks of the service and the standalone tasks of
//! its family (e.g. `run` tasks), as ecspresso's `tasks`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::app::App;
use crate::definition::to_json;
use crate::output::{print_stdout, to_pretty_json};
use crate::task::list::{exit_codes, find, list, short, timeline};

/// Flags of `tasks`.
#[derive(Debug, Args)]
pub struct TasksArgs {
    /// What to do (default: list)
    #[command(subcommand)]
    pub command: Option<TasksCommand>,
    /// Output format
    #[arg(long, value_enum, default_value = "table", global = true)]
    pub output: TasksFormat,
    /// Task id (or ARN) for find, stop, logs and trace, before or after the subcommand;
    /// default: picked with --filter-command, else asked for on the terminal
    #[arg(long, global = true)]
    pub id: Option<String>,
    /// ecspresso v2's `tasks --find` (hidden): `tasks find`. With several of --find, --stop
    /// and --trace, the first of them in that order wins, as in ecspresso's tasks.go
    #[arg(long, hide = true)]
    pub find: bool,
    /// ecspresso v2's `tasks --stop` (hidden): `tasks stop`
    #[arg(long, hide = true)]
    pub stop: bool,
    /// ecspresso v2's `tasks --stop --force` (hidden): `tasks stop --force` (ignored without
    /// --stop)
    #[arg(long, hide = true)]
    pub force: bool,
    /// ecspresso v2's `tasks --trace` (hidden): `tasks trace`
    #[arg(long, hide = true)]
    pub trace: bool,
}

impl TasksArgs {
    /// The subcommand, from ecspresso v2's hidden flags when none was given.
    fn subcommand(&self) -> anyhow::Result<TasksCommand> {
        let legacy = self.find || self.stop || self.trace;
        match self.command.clone() {
            Some(command) if legacy => anyhow::bail!(
                "give either the `{}` subcommand or the --find/--stop/--trace flag, not both",
                command.name()
            ),
            Some(command) => Ok(command),
            None if self.find => Ok(TasksCommand::Find),
            None if self.stop => Ok(TasksCommand::Stop {
                reason: STOP_REASON.to_owned(),
                force: self.force,
            }),
            None if self.trace => Ok(TasksCommand::Trace { no_logs: false }),
            None => Ok(TasksCommand::List),
        }
    }
}

/// The reason recorded on tasks `tasks stop` stops, unless `--reason` says otherwise.
const STOP_REASON: &str = "stopped by ristretto";

/// `tasks` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum TasksCommand {
    /// List the tasks
    List,
    /// Print one task as JSON
    Find,
    /// Print a task's timeline (created, pulled, started, stopped, exit codes) and its logs
    Trace {
        /// Leave out the log lines
        #[arg(long)]
        no_logs: bool,
    },
    /// Stop a task
    Stop {
        /// Reason recorded on the task
        #[arg(long, default_value = STOP_REASON)]
        reason: String,
        /// Stop without asking (needed when stdin is not a terminal)
        #[arg(long)]
        force: bool,
    },
    /// Print a task's awslogs lines
    Logs {
        /// Container (default: the first with awslogs)
        #[arg(long)]
        container: Option<String>,
        /// Keep printing new lines until the task has stopped (Ctrl-C to leave earlier)
        #[arg(long, short = 'f')]
        follow: bool,
        /// Only lines from this long ago on (e.g. `10m`, `1h`), as ecspresso's default of the
        /// last minute
        #[arg(long, short = 'd', default_value = "1m", value_parser = parse_duration_arg)]
        duration: std::time::Duration,
        /// Only lines from this time on (RFC 3339, e.g. `2026-11-26T10:00:00Z`)
        #[arg(long, short = 's', value_parser = parse_time_arg)]
        start_time: Option<i64>,
    },
}

impl TasksCommand {
    /// The subcommand's name on the command line.
    fn name(&self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Find => "find",
            Self::Trace { .. } => "trace",
            Self::Stop { .. } => "stop",
            Self::Logs { .. } => "logs",
        }
    }
}

fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(text)
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn parse_time_arg(text: &str) -> Result<i64, String> {
    aws_smithy_types::DateTime::from_str(text, aws_smithy_types::date_time::Format::DateTime)
        .map(|t| t.to_millis().unwrap_or_default())
        .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
}

/// `--output` of `tasks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TasksFormat {
    /// Aligned columns
    Table,
    /// JSON
    Json,
    /// Tab-separated values
    Tsv,
}

/// Runs `tasks`.
pub async fn run(args: TasksArgs, app: &App<'_>) -> anyhow::Result<ExitCode> {
    let command = args.subcommand()?;
    let tasks = list(app).await?;
    match command {
        TasksCommand::List => print_stdout(&format_list(&tasks, args.output))?,
        TasksCommand::Find => {
            let task = choose(app, &tasks, args.id.clone())?;
            print_stdout(&to_pretty_json(&to_json(task).map_err(anyhow::Error::msg)?))?;
        }
        TasksCommand::Trace { no_logs } => {
            let task = choose(app, &tasks, args.id.clone())?;
            print_stdout(&timeline(task))?;
            if !no_logs {
                crate::task::logs::follow_logs(app, task, None, false, None).await?;
            }
        }
        TasksCommand::Stop { reason, force } => {
            let task = choose(app, &tasks, args.id.clone())?;
            let name = short(task.task_arn().unwrap_or_default()).to_owned();
            if task.last_status() == Some("STOPPED") {
                app.info(format!("task {name} has already stopped"));
                return Ok(ExitCode::SUCCESS);
            }
            if !force && !super::revisions::confirm(&format!("stop task {name}"))? {
                anyhow::bail!("cancelled: task {name} keeps running");
            }
            crate::task::list::stop(app, task, &reason).await?;
        }
        TasksCommand::Logs {
            container,
            follow,
            duration,
            start_time,
        } => {
            // --start-time wins over --duration (whose default is the last minute).
            let since = start_time.or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                Some(i64::try_from(now.saturating_sub(duration).as_millis()).unwrap_or_default())
            });
            let task = choose(app, &tasks, args.id.clone())?;
            crate::task::logs::follow_logs(app, task, container.as_deref(), follow, since).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The task named by `--id`, or the one picked with `--filter-command` or on the terminal.
fn choose<'t>(
    app: &App<'_>,
    tasks: &'t [aws_sdk_ecs::types::Task],
    id: Option<String>,
) -> anyhow::Result<&'t aws_sdk_ecs::types::Task> {
    let id = match id {
        Some(id) => id,
        None => {
            let listing = format_list(tasks, TasksFormat::Tsv);
            let lines: Vec<String> = listing.lines().map(str::to_owned).collect();
            let filter = app.filter_command.as_deref();
            super::pick::choose(filter, &lines, super::pick::TASK, &app.environment)?
        }
    };
    Ok(find(tasks, &id)?)
}

fn format_list(tasks: &[aws_sdk_ecs::types::Task], format: TasksFormat) -> String {
    let rows: Vec<BTreeMap<&str, String>> = tasks
        .iter()
        .map(|t| {
            BTreeMap::from([
                ("id", short(t.task_arn().unwrap_or_default()).to_owned()),
                (
                    "taskDefinition",
                    crate::deploy::short_task_definition(
                        t.task_definition_arn().unwrap_or_default(),
                    )
                    .to_owned(),
                ),
                ("lastStatus", t.last_status().unwrap_or_default().to_owned()),
                (
                    "desiredStatus",
                    t.desired_status().unwrap_or_default().to_owned(),
                ),
                ("group", t.group().unwrap_or_default().to_owned()),
                (
                    "createdAt",
                    t.created_at()
                        .map(crate::deploy::format_time)
                        .unwrap_or_default(),
                ),
                ("exitCodes", exit_codes(t)),
            ])
        })
        .collect();
    let columns = [
        "id",
        "taskDefinition",
        "lastStatus",
        "desiredStatus",
        "group",
        "createdAt",
        "exitCodes",
    ];
    match format {
        TasksFormat::Json => to_pretty_json(&Value::Array(rows.iter().map(|r| json!(r)).collect())),
        TasksFormat::Tsv => rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| r[c].as_str())
                    .collect::<Vec<_>>()
                    .join("\t")
                    + "\n"
            })
            .collect(),
        TasksFormat::Table => {
            let widths: Vec<usize> = columns
                .iter()
                .map(|c| {
                    rows.iter()
                        .map(|r| r[c].len())
                        .chain([c.len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
                    + "\n"
            };
            let mut out = line(columns.to_vec());
            for r in &rows {
                out.push_str(&line(columns.iter().map(|c| r[c].as_str()).collect()));
            }
            out
        }
    }
}
