//! `ristretto exec`: ECS Exec into a task of the service (`run`, default) through ExecuteCommand
//! and the AWS `session-manager-plugin`, which must be on PATH (checked before any AWS call).

use std::process::{Command, ExitCode};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::app::App;

/// Flags of `exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// What to do (default: run)
    #[command(subcommand)]
    pub command: Option<ExecCommand>,
    /// Task id (default: the first running task of the service)
    #[arg(long, global = true)]
    pub id: Option<String>,
    /// Container (default: the first)
    #[arg(long, global = true)]
    pub container: Option<String>,
}

/// `exec` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExecCommand {
    /// Run an interactive command in the container
    Run {
        /// The command
        #[arg(long, default_value = "sh")]
        command: String,
    },
}

/// Runs `exec`.
pub async fn run(args: ExecArgs, app: &App<'_>) -> anyhow::Result<ExitCode> {
    let plugin = find_on_path("session-manager-plugin").context(
        "ECS Exec needs the AWS session-manager-plugin on PATH; install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html) and retry",
    )?;
    let command = match args.command.unwrap_or(ExecCommand::Run {
        command: "sh".to_owned(),
    }) {
        ExecCommand::Run { command } => command,
    };
    let service = app.service()?;
    let task = match args.id {
        Some(id) => id,
        None => {
            let output = app
                .clients
                .ecs
                .list_tasks()
                .cluster(app.cluster())
                .service_name(service)
                .send()
                .await
                .map_err(|err| crate::deploy::aws_error("ListTasks", &err, &[]))?;
            output
                .task_arns()
                .first()
                .cloned()
                .with_context(|| format!("service `{service}` has no running task"))?
        }
    };
    let output = app
        .clients
        .ecs
        .execute_command()
        .cluster(app.cluster())
        .task(&task)
        .set_container(args.container)
        .interactive(true)
        .command(&command)
        .send()
        .await
        .map_err(|err| crate::deploy::aws_error("ExecuteCommand", &err, &[]))?;
    let session = output
        .session()
        .context("ExecuteCommand returned no session")?;
    let session_json = serde_json::json!({
        "SessionId": session.session_id(),
        "StreamUrl": session.stream_url(),
        "TokenValue": session.token_value(),
    });
    let region = app.clients.region.clone().unwrap_or_default();
    let status = Command::new(plugin)
        .arg(session_json.to_string())
        .arg(&region)
        .arg("StartSession")
        .arg("")
        .arg(serde_json::json!({"Target": format!("ecs:{}_{}", app.cluster(), task.rsplit('/').next().unwrap_or(&task))}).to_string())
        .arg(format!("https://ssm.{region}.amazonaws.com"))
        .status()
        .context("cannot start session-manager-plugin")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}
