//! ECS Exec sessions into a task of the service: an interactive command through ExecuteCommand,
//! or port forwarding through SSM StartSession, each handed to the AWS
//! `session-manager-plugin` (found on the environment's PATH before any AWS call).

use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use crate::app::App;
use crate::deploy::{Error, aws_error};
use crate::environment::Environment;

/// A container of a task: its name and runtime id (part of the SSM target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The container's name.
    pub name: String,
    /// Its runtime id, when ECS reports one.
    pub runtime_id: Option<String>,
}

/// What `session-manager-plugin` is started with: the session from AWS and the request
/// parameters it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// `SessionId`, `StreamUrl` and `TokenValue`.
    pub session: serde_json::Value,
    /// The target (and, for port forwarding, the SSM document and its parameters).
    pub parameters: serde_json::Value,
}

/// Where a port-forwarding session leads: a local port to a port of the task, or through
/// the task to `host`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward<'a> {
    /// The local port (0: any free port).
    pub local_port: u16,
    /// The remote host reached through the task, if not the task itself.
    pub host: Option<&'a str>,
    /// The remote port.
    pub port: u16,
}

/// The path of `session-manager-plugin` on the environment's PATH, or an error saying how to
/// install it.
pub fn session_manager_plugin(environment: &Environment) -> Result<PathBuf, Error> {
    environment
        .get("PATH")
        .and_then(|paths| {
            std::env::split_paths(paths)
                .map(|dir| dir.join("session-manager-plugin"))
                .find(|candidate| candidate.is_file())
        })
        .ok_or_else(|| Error::Invalid(
            "ECS Exec needs the AWS session-manager-plugin on PATH; install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html) and retry".to_owned(),
        ))
}

/// The ids of the service's running tasks; an error when it has none.
pub async fn running_task_ids(app: &App<'_>) -> Result<Vec<String>, Error> {
    let service = app.service()?;
    let output = app
        .clients
        .ecs
        .list_tasks()
        .cluster(app.cluster())
        .service_name(service)
        .send()
        .await
        .map_err(|err| aws_error("ListTasks", &err, &[]))?;
    let running = output.task_arns();
    if running.is_empty() {
        return Err(Error::Invalid(format!(
            "service `{service}` has no running task"
        )));
    }
    Ok(running
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned())
        .collect())
}

/// `task` as DescribeTasks gives it; an error when it is not found.
async fn describe(app: &App<'_>, task: &str) -> Result<aws_sdk_ecs::types::Task, Error> {
    let output = app
        .clients
        .ecs
        .describe_tasks()
        .cluster(app.cluster())
        .tasks(task)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTasks", &err, &[]))?;
    output
        .tasks()
        .first()
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("task {task} not found")))
}

/// The containers of `task`.
pub async fn containers(app: &App<'_>, task: &str) -> Result<Vec<Container>, Error> {
    Ok(describe(app, task)
        .await?
        .containers()
        .iter()
        .filter_map(|c| {
            Some(Container {
                name: c.name()?.to_owned(),
                runtime_id: c.runtime_id().map(str::to_owned),
            })
        })
        .collect())
}

/// The CPU architecture of `task`: ECS's `ecs.cpu-architecture` attribute of the task
/// (`x86_64`, `arm64`), else its task definition's `runtimePlatform.cpuArchitecture`; `None`
/// when neither says.
pub async fn cpu_architecture(app: &App<'_>, task: &str) -> Result<Option<String>, Error> {
    let described = describe(app, task).await?;
    let attribute = described
        .attributes()
        .iter()
        .find(|a| a.name() == "ecs.cpu-architecture")
        .and_then(|a| a.value());
    if let Some(architecture) = attribute {
        return Ok(Some(architecture.to_owned()));
    }
    let Some(definition) = described.task_definition_arn() else {
        return Ok(None);
    };
    let output = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(definition)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))?;
    Ok(output
        .task_definition()
        .and_then(|d| d.runtime_platform())
        .and_then(|p| p.cpu_architecture())
        .map(|a| a.as_str().to_owned()))
}

/// The container named `name` among `containers` of `task`.
pub fn find_container(
    containers: &[Container],
    task: &str,
    name: &str,
) -> Result<Container, Error> {
    containers
        .iter()
        .find(|c| c.name == name)
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("task {task} has no container `{name}`")))
}

/// ExecuteCommand `command` in `container` of `task`, interactive.
pub async fn command_session(
    app: &App<'_>,
    task: &str,
    container: &Container,
    command: &str,
) -> Result<Session, Error> {
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
        .map_err(|err| aws_error("ExecuteCommand", &err, &[]))?;
    let session = output.session().ok_or_else(|| Error::Aws {
        operation: "ExecuteCommand",
        message: "the answer has no session".to_owned(),
        applied: Vec::new(),
    })?;
    let target = session_target(app.cluster(), task, container.runtime_id.as_deref());
    Ok(Session {
        session: serde_json::json!({
            "SessionId": session.session_id(),
            "StreamUrl": session.stream_url(),
            "TokenValue": session.token_value(),
        }),
        parameters: serde_json::json!({"Target": target}),
    })
}

/// A port-forwarding session through `container` of `task` (SSM StartSession).
pub async fn forwarding_session(
    app: &App<'_>,
    task: &str,
    container: &Container,
    forward: Forward<'_>,
) -> Result<Session, Error> {
    let target = session_target(app.cluster(), task, container.runtime_id.as_deref());
    let (document, parameters) = port_forwarding(forward);
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
    let output = request
        .send()
        .await
        .map_err(|err| aws_error("StartSession", &err, &[]))?;
    Ok(Session {
        session: serde_json::json!({
            "SessionId": output.session_id(),
            "StreamUrl": output.stream_url(),
            "TokenValue": output.token_value(),
        }),
        parameters: serde_json::json!({"Target": target, "DocumentName": document, "Parameters": parameters}),
    })
}

/// Runs `session-manager-plugin` on `session` in the foreground, with the command's
/// environment, until the user ends the session.
pub fn attach(
    plugin: &std::path::Path,
    session: &Session,
    region: &str,
    environment: &Environment,
) -> Result<ExitStatus, Error> {
    plugin_command(plugin, session, region, environment)
        .status()
        .map_err(|err| Error::Invalid(format!("cannot start {}: {err}", plugin.display())))
}

/// The `session-manager-plugin` command line for `session`, as the AWS CLI (and ecspresso)
/// start it: the session, the region, `StartSession`, no profile, the request parameters and
/// the SSM endpoint, with the command's environment.
pub fn plugin_command(
    plugin: &std::path::Path,
    session: &Session,
    region: &str,
    environment: &Environment,
) -> Command {
    let mut command = Command::new(plugin);
    command
        .envs(environment.vars())
        .arg(session.session.to_string())
        .arg(region)
        .arg("StartSession")
        .arg("")
        .arg(session.parameters.to_string())
        .arg(format!("https://ssm.{region}.amazonaws.com"));
    command
}

/// The SSM document and parameters of a port-forwarding session.
fn port_forwarding(forward: Forward<'_>) -> (&'static str, serde_json::Value) {
    let mut parameters = serde_json::json!({
        "portNumber": [forward.port.to_string()],
        "localPortNumber": [forward.local_port.to_string()],
    });
    match forward.host {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_forwarding_documents_and_targets() {
        let (document, parameters) = port_forwarding(Forward {
            local_port: 15432,
            host: Some("db.internal"),
            port: 5432,
        });
        assert_eq!(document, "AWS-StartPortForwardingSessionToRemoteHost");
        assert_eq!(
            parameters,
            serde_json::json!({"portNumber": ["5432"], "localPortNumber": ["15432"], "host": ["db.internal"]})
        );
        let (document, parameters) = port_forwarding(Forward {
            local_port: 0,
            host: None,
            port: 80,
        });
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
    }

    #[test]
    fn the_plugin_is_found_on_the_environments_path_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let plugin = dir.path().join("session-manager-plugin");
        std::fs::write(&plugin, "").expect("write");
        let with = Environment::from_vars([("PATH".to_owned(), dir.path().display().to_string())]);
        assert_eq!(session_manager_plugin(&with).ok(), Some(plugin));
        let without = Environment::from_vars([("PATH".to_owned(), "/nonexistent".to_owned())]);
        let err = session_manager_plugin(&without).expect_err("not on PATH");
        assert!(err.to_string().contains("session-manager-plugin on PATH"));
    }
}
