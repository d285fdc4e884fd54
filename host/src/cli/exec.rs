//! `ristretto exec`: ECS Exec into a task of the service (`run`, default) through ExecuteCommand,
//! port forwarding to it (`portforward`) through SSM StartSession, or copying a file to or from
//! it (`cp`, both), each handing the session to the AWS `session-manager-plugin`, which must be
//! on PATH (checked before any AWS call).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::app::App;
use crate::task::copy::{CopySpec, Direction, Local};
use crate::task::{exec, transfer};

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
    /// Copy a file to or from a task (TASK_ID:PATH, or _:PATH for the task of --id or the one
    /// picked), through an agent started by ECS Exec and SSM port forwarding
    Cp {
        /// Source: a local file (`-`: stdin) or TASK_ID:PATH
        source: String,
        /// Destination: a local file or directory (`-`: stdout) or TASK_ID:PATH (a trailing
        /// `/` or a directory keeps the source's name)
        destination: String,
        /// The port the agent listens on in the container
        #[arg(long, default_value_t = 12345)]
        port: u16,
        /// Show a progress bar on a terminal (the default)
        #[arg(long, overrides_with = "no_progress")]
        progress: bool,
        /// No progress bar
        #[arg(long, overrides_with = "progress")]
        no_progress: bool,
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

/// Runs `exec`.
pub async fn run(args: ExecArgs, app: &App<'_>) -> anyhow::Result<ExitCode> {
    let command = args.resolved()?;
    let copy = match &command {
        ExecCommand::Cp {
            source,
            destination,
            ..
        } => Some(CopySpec::parse(source, destination)?),
        _ => None,
    };
    let plugin = exec::session_manager_plugin(&app.environment)?;
    let filter = app.filter_command.as_deref();
    let named = copy.as_ref().and_then(|spec| spec.task.clone());
    if let (Some(named), Some(id)) = (&named, &args.id)
        && named != id
    {
        app.warn(format!(
            "exec cp: the task in the path ({named}) is used, not --id {id}"
        ));
    }
    let task = match named.or(args.id) {
        Some(id) => id,
        None => {
            let running = exec::running_task_ids(app).await?;
            super::pick::choose(filter, &running, super::pick::TASK, &app.environment)?
        }
    };
    let containers = exec::containers(app, &task).await?;
    let name = match args.container {
        Some(name) => name,
        None => {
            let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
            super::pick::choose(filter, &names, super::pick::CONTAINER, &app.environment)?
        }
    };
    let container = exec::find_container(&containers, &task, &name)?;
    let session = match command {
        ExecCommand::Run { command } => {
            exec::command_session(app, &task, &container, &command).await?
        }
        ExecCommand::Cp {
            port, no_progress, ..
        } => {
            let Some(spec) = copy else {
                anyhow::bail!("exec cp without a source and destination");
            };
            let options = CopyOptions {
                plugin: &plugin,
                task: &task,
                container: &container,
                port,
                progress: !no_progress,
            };
            return copy_file(app, &spec, options).await;
        }
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
            let forward = exec::Forward {
                local_port,
                host: host.as_deref(),
                port,
            };
            let session = exec::forwarding_session(app, &task, &container, forward).await?;
            app.info(format!(
                "forwarding localhost:{local_port} to {}:{port} through task {}",
                host.as_deref().unwrap_or("the task"),
                task.rsplit('/').next().unwrap_or(&task)
            ));
            session
        }
    };
    let region = app.clients.region.clone().unwrap_or_default();
    let status = exec::attach(&plugin, &session, &region, &app.environment)?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What `exec cp` copies through besides the copy itself.
struct CopyOptions<'a> {
    plugin: &'a std::path::Path,
    task: &'a str,
    container: &'a exec::Container,
    port: u16,
    progress: bool,
}

/// `exec cp`: starts the agent for the task's CPU architecture and copies; says what it copied.
async fn copy_file(
    app: &App<'_>,
    spec: &CopySpec,
    options: CopyOptions<'_>,
) -> anyhow::Result<ExitCode> {
    let architecture = exec::cpu_architecture(app, options.task).await?;
    let agent = match architecture.as_deref() {
        Some(reported) => crate::task::copy::agent_for(reported).ok_or_else(|| {
            anyhow::anyhow!(
                "exec cp: task {} runs on {reported}; the agent exists for x86_64 and arm64",
                options.task
            )
        })?,
        None => {
            app.emit(crate::events::Event::Debug(format!(
                "exec cp: neither task {} nor its task definition names a CPU architecture; using the x86_64 agent",
                options.task
            )));
            crate::task::copy::agent_for("x86_64")
                .ok_or_else(|| anyhow::anyhow!("exec cp: no x86_64 agent in this build"))?
        }
    };
    let region = app.clients.region.clone().unwrap_or_default();
    let transfer = transfer::Transfer {
        plugin: options.plugin,
        region: &region,
        task: options.task,
        container: options.container,
        agent,
        port: options.port,
        progress: options.progress,
    };
    let copied = transfer::copy(app, spec, transfer).await?;
    let local = match &spec.local {
        Local::File(path) => path.display().to_string(),
        Local::Stdio => "-".to_owned(),
    };
    let task_id = options.task.rsplit('/').next().unwrap_or(options.task);
    let remote = format!("{task_id}:{}", spec.remote);
    let (from, to) = match spec.direction {
        Direction::Upload => (local, remote),
        Direction::Download => (remote, local),
    };
    app.info(format!(
        "copied {from} to {to} ({copied} bytes, container {})",
        options.container.name
    ));
    Ok(ExitCode::SUCCESS)
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
    fn forward_flags_parse_as_ssh_does() {
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
