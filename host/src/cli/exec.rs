//! `ristretto exec`: ECS Exec into a task of the service (`run`, default) through ExecuteCommand,
//! or port forwarding to it (`portforward`) through SSM StartSession, both handing the session
//! to the AWS `session-manager-plugin`, which must be on PATH (checked before any AWS call).

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
    /// Task id (default: the only running task of the service, else one picked with
    /// --filter-command or asked for on the terminal)
    #[arg(long, global = true)]
    pub id: Option<String>,
    /// Container (default: the only one of the task, else one picked with --filter-command or
    /// asked for on the terminal)
    #[arg(long, global = true)]
    pub container: Option<String>,
    /// The command of the default `run`, as ecspresso's `exec --command` (same as `exec run
    /// --command`)
    #[arg(long = "command", value_name = "COMMAND")]
    pub run_command: Option<String>,
    /// ecspresso v2's `exec --port-forward` (now `exec portforward`)
    #[arg(long, hide = true)]
    pub port_forward: bool,
    /// With --port-forward: the remote port
    #[arg(long = "port", hide = true, requires = "port_forward")]
    pub forward_port: Option<u16>,
    /// With --port-forward: the local port
    #[arg(long = "local-port", hide = true, requires = "port_forward")]
    pub forward_local_port: Option<u16>,
    /// With --port-forward: the remote host
    #[arg(long = "host", hide = true, requires = "port_forward")]
    pub forward_host: Option<String>,
}

impl ExecArgs {
    /// The subcommand, with ecspresso's top-level forms (`exec --command`, v2's `exec
    /// --port-forward`) turned into theirs.
    fn resolved(&self) -> anyhow::Result<ExecCommand> {
        match (&self.command, &self.run_command, self.port_forward) {
            (Some(_), Some(_), _) | (Some(_), _, true) | (None, Some(_), true) => {
                anyhow::bail!(
                    "give the exec flags after the subcommand: `exec run --command CMD` or `exec portforward --port N`"
                )
            }
            (Some(command), None, false) => Ok(command.clone()),
            (None, command, false) => Ok(ExecCommand::Run {
                command: command.clone().unwrap_or_else(|| "sh".to_owned()),
            }),
            (None, None, true) => {
                let Some(port) = self.forward_port else {
                    anyhow::bail!("--port-forward needs --port (the remote port)");
                };
                Ok(ExecCommand::Portforward {
                    port: Some(port),
                    local_port: self.forward_local_port.unwrap_or(0),
                    host: self.forward_host.clone(),
                    forward: None,
                })
            }
        }
    }
}

/// `exec` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ExecCommand {
    /// Run an interactive command in the container
    Run {
        /// The command
        #[arg(long, default_value = "sh")]
        command: String,
    },
    /// Forward a local port to a port of the task (or, with --host, to a host the task reaches)
    Portforward {
        /// The remote port
        #[arg(long, required_unless_present = "forward")]
        port: Option<u16>,
        /// The local port (0: any free port)
        #[arg(long, default_value_t = 0)]
        local_port: u16,
        /// Remote host to reach through the task (e.g. a database endpoint)
        #[arg(long)]
        host: Option<String>,
        /// ssh-style `LOCAL_PORT:HOST:PORT` (instead of --local-port, --host and --port)
        #[arg(short = 'L', value_name = "LOCAL:HOST:PORT", value_parser = parse_forward, conflicts_with_all = ["port", "host"])]
        forward: Option<(u16, String, u16)>,
    },
}

/// Parses `-L LOCAL_PORT:HOST:PORT`.
fn parse_forward(text: &str) -> Result<(u16, String, u16), String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [local, host, port] = parts.as_slice() else {
        return Err(format!("`{text}` is not LOCAL_PORT:HOST:PORT"));
    };
    let number = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("`{s}` in `{text}` is not a port number"))
    };
    if host.is_empty() {
        return Err(format!("`{text}` has no host"));
    }
    Ok((number(local)?, (*host).to_owned(), number(port)?))
}

/// The SSM document and parameters of a port-forwarding session.
fn port_forwarding(
    port: u16,
    local_port: u16,
    host: Option<&str>,
) -> (&'static str, serde_json::Value) {
    let mut parameters = serde_json::json!({
        "portNumber": [port.to_string()],
        "localPortNumber": [local_port.to_string()],
    });
    match host {
        Some(host) => {
            parameters["host"] = serde_json::json!([host]);
            ("AWS-StartPortForwardingSessionToRemoteHost", parameters)
        }
        None => ("AWS-StartPortForwardingSession", parameters),
    }
}

/// The SSM target of a container of a task: `ecs:CLUSTER_TASKID_RUNTIMEID`.
fn session_target(cluster: &str, task_arn: &str, runtime_id: Option<&str>) -> String {
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
    match runtime_id {
        Some(runtime) => format!("ecs:{cluster}_{task_id}_{runtime}"),
        None => format!("ecs:{cluster}_{task_id}"),
    }
}

/// Runs `exec`.
pub async fn run(args: ExecArgs, app: &App<'_>) -> anyhow::Result<ExitCode> {
    let command = args.resolved()?;
    let plugin = find_on_path("session-manager-plugin").context(
        "ECS Exec needs the AWS session-manager-plugin on PATH; install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html) and retry",
    )?;
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
            let running = output.task_arns();
            if running.is_empty() {
                anyhow::bail!("service `{service}` has no running task");
            }
            let lines: Vec<String> = running
                .iter()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned())
                .collect();
            let filter = app.filter_command.as_deref();
            super::pick::choose(filter, &lines, super::pick::TASK, &app.environment)?
        }
    };
    let region = app.clients.region.clone().unwrap_or_default();
    let container = choose_container(app, &task, args.container.as_deref()).await?;
    let (session, parameters) = match command {
        ExecCommand::Run { command } => command_session(app, &task, &container, &command).await?,
        ExecCommand::Portforward {
            port,
            local_port,
            host,
            forward,
        } => {
            let (local_port, host, port) = match forward {
                Some((local, host, port)) => (local, Some(host), port),
                None => (local_port, host, port.unwrap_or_default()),
            };
            let forward = (local_port, host.as_deref(), port);
            forwarding_session(app, &task, &container, forward).await?
        }
    };
    let status = Command::new(plugin)
        .envs(app.environment.vars())
        .arg(session.to_string())
        .arg(&region)
        .arg("StartSession")
        .arg("")
        .arg(parameters.to_string())
        .arg(format!("https://ssm.{region}.amazonaws.com"))
        .status()
        .context("cannot start session-manager-plugin")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A container of the task: its name and runtime id.
struct Container {
    name: String,
    runtime_id: Option<String>,
}

/// ExecuteCommand `command` in `container` of `task`: the session and the plugin's parameters.
async fn command_session(
    app: &App<'_>,
    task: &str,
    container: &Container,
    command: &str,
) -> anyhow::Result<(serde_json::Value, serde_json::Value)> {
    let output = app
        .clients
        .ecs
        .execute_command()
        .cluster(app.cluster())
        .task(task)
        .container(&container.name)
        .interactive(true)
        .command(command)
        .send()
        .await
        .map_err(|err| crate::deploy::aws_error("ExecuteCommand", &err, &[]))?;
    let session = output
        .session()
        .context("ExecuteCommand returned no session")?;
    let target = session_target(app.cluster(), task, container.runtime_id.as_deref());
    let session = serde_json::json!({
        "SessionId": session.session_id(),
        "StreamUrl": session.stream_url(),
        "TokenValue": session.token_value(),
    });
    Ok((session, serde_json::json!({"Target": target})))
}

/// A port-forwarding session through `task` for `(local_port, host, port)`: the session and the
/// plugin's parameters.
async fn forwarding_session(
    app: &App<'_>,
    task: &str,
    container: &Container,
    (local_port, host, port): (u16, Option<&str>, u16),
) -> anyhow::Result<(serde_json::Value, serde_json::Value)> {
    let target = session_target(app.cluster(), task, container.runtime_id.as_deref());
    let (document, parameters) = port_forwarding(port, local_port, host);
    let mut request = app
        .clients
        .ssm
        .start_session()
        .target(&target)
        .document_name(document);
    for (key, values) in parameters.as_object().into_iter().flatten() {
        let values = values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        request = request.parameters(key, values);
    }
    let output = request.send().await.map_err(|err| {
        anyhow::anyhow!("StartSession failed: {}", crate::aws::describe_error(&err))
    })?;
    app.info(format!(
        "forwarding localhost:{local_port} to {}:{port} through task {}",
        host.unwrap_or("the task"),
        task.rsplit('/').next().unwrap_or(task)
    ));
    let session = serde_json::json!({
        "SessionId": output.session_id(),
        "StreamUrl": output.stream_url(),
        "TokenValue": output.token_value(),
    });
    Ok((
        session,
        serde_json::json!({"Target": target, "DocumentName": document, "Parameters": parameters}),
    ))
}

/// The container of `task` to enter: `--container` when given, else as ecsta's
/// `findContainerName` does for ecspresso: the only one, else one picked with the filter
/// command or asked for on the terminal (title `container name`).
async fn choose_container(
    app: &App<'_>,
    task: &str,
    container: Option<&str>,
) -> anyhow::Result<Container> {
    let output = app
        .clients
        .ecs
        .describe_tasks()
        .cluster(app.cluster())
        .tasks(task)
        .send()
        .await
        .map_err(|err| crate::deploy::aws_error("DescribeTasks", &err, &[]))?;
    let containers = output
        .tasks()
        .first()
        .map(|t| t.containers().to_vec())
        .with_context(|| format!("task {task} not found"))?;
    let name = match container {
        Some(name) => name.to_owned(),
        None => {
            let names: Vec<String> = containers
                .iter()
                .filter_map(|c| c.name().map(str::to_owned))
                .collect();
            let filter = app.filter_command.as_deref();
            super::pick::choose(filter, &names, super::pick::CONTAINER, &app.environment)?
        }
    };
    let chosen = containers
        .iter()
        .find(|c| c.name() == Some(name.as_str()))
        .with_context(|| format!("task {task} has no container `{name}`"))?;
    Ok(Container {
        runtime_id: chosen.runtime_id().map(str::to_owned),
        name,
    })
}

fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        exec: ExecArgs,
    }

    fn resolved(args: &[&str]) -> anyhow::Result<ExecCommand> {
        Cli::try_parse_from(std::iter::once("exec").chain(args.iter().copied()))?
            .exec
            .resolved()
    }

    #[test]
    fn ecspresso_forms_of_exec_resolve_to_the_subcommands() {
        let run = |args: &[&str]| match resolved(args) {
            Ok(ExecCommand::Run { command }) => command,
            other => panic!("{other:?}"),
        };
        assert_eq!(run(&[]), "sh");
        assert_eq!(run(&["--command", "ls -l"]), "ls -l");
        assert_eq!(run(&["run", "--command", "bash"]), "bash");
        match resolved(&["--port-forward", "--port", "80", "--local-port", "8080"]) {
            Ok(ExecCommand::Portforward {
                port: Some(80),
                local_port: 8080,
                host: None,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        assert!(resolved(&["--port-forward"]).is_err());
        assert!(resolved(&["--command", "ls", "run", "--command", "sh"]).is_err());
        assert!(
            resolved(&["--port", "80"]).is_err(),
            "--port needs --port-forward"
        );
    }

    #[test]
    fn port_forwarding_documents_and_targets() {
        let (document, parameters) = port_forwarding(5432, 15432, Some("db.internal"));
        assert_eq!(document, "AWS-StartPortForwardingSessionToRemoteHost");
        assert_eq!(
            parameters,
            serde_json::json!({"portNumber": ["5432"], "localPortNumber": ["15432"], "host": ["db.internal"]})
        );
        let (document, parameters) = port_forwarding(80, 0, None);
        assert_eq!(document, "AWS-StartPortForwardingSession");
        assert!(parameters.get("host").is_none());
        assert_eq!(
            session_target(
                "prod",
                "arn:aws:ecs:r:1:task/prod/abc123",
                Some("abc123-265927825")
            ),
            "ecs:prod_abc123_abc123-265927825"
        );
        assert_eq!(session_target("prod", "abc123", None), "ecs:prod_abc123");
        assert_eq!(
            parse_forward("15432:db.internal:5432"),
            Ok((15432, "db.internal".to_owned(), 5432))
        );
        assert!(parse_forward("15432:5432").is_err());
        assert!(
            parse_forward("x:db:5432")
                .unwrap_err()
                .contains("not a port number")
        );
        assert!(parse_forward("1::2").is_err());
    }
}
