//! Task definitions: registering the rendered file (RegisterTaskDefinition from the JSON through
//! the SDK's codec, so every field is sent), and finding revisions of a family. Empty `tags` are
//! left out, since RegisterTaskDefinition rejects an empty list.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{SortOrder, TaskDefinition, TaskDefinitionStatus};
use serde_json::Value;

use aws_sdk_ecs::types::Service;

use crate::app::App;
use crate::definition::{Definition, from_json};
use crate::deploy::options::{DeployOptions, TaskDefinitionSource};
use crate::deploy::service::primary_task_definition;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::{Event, Lifecycle};
use crate::plugins::EventKind;
use serde_json::json;

/// Registers the task definition `definition` (normalized JSON) and returns what AWS stored.
pub async fn register_task_definition(
    ecs: &aws_sdk_ecs::Client,
    definition: &Value,
    source: &str,
) -> Result<TaskDefinition, Error> {
    let input: RegisterTaskDefinitionInput =
        from_json(definition, RegisterTaskDefinitionInput::deserialize).map_err(|message| {
            Error::Invalid(format!("{source}: not a valid task definition: {message}"))
        })?;
    let output = ecs
        .register_task_definition()
        .set_family(input.family)
        .set_task_role_arn(input.task_role_arn)
        .set_execution_role_arn(input.execution_role_arn)
        .set_network_mode(input.network_mode)
        .set_container_definitions(input.container_definitions)
        .set_volumes(input.volumes)
        .set_placement_constraints(input.placement_constraints)
        .set_requires_compatibilities(input.requires_compatibilities)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_tags(input.tags.filter(|t| !t.is_empty()))
        .set_pid_mode(input.pid_mode)
        .set_ipc_mode(input.ipc_mode)
        .set_proxy_configuration(input.proxy_configuration)
        .set_ephemeral_storage(input.ephemeral_storage)
        .set_runtime_platform(input.runtime_platform)
        .set_enable_fault_injection(input.enable_fault_injection)
        .send()
        .await
        .map_err(|err| aws_error("RegisterTaskDefinition", &err, &[]))?;
    output.task_definition.ok_or_else(|| {
        Error::Invalid("RegisterTaskDefinition returned no task definition".to_owned())
    })
}

/// The ARNs of the ACTIVE revisions of `family`, newest first (sorted by revision here, not
/// trusting the API's order).
pub async fn active_revisions(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
) -> Result<Vec<String>, Error> {
    let mut arns = Vec::new();
    let mut pages = ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| aws_error("ListTaskDefinitions", &err, &[]))?;
        arns.extend(
            page.task_definition_arns()
                .iter()
                .filter(|arn| family_of(arn) == family)
                .cloned(),
        );
    }
    arns.sort_by_key(|arn| std::cmp::Reverse(revision_of(arn)));
    Ok(arns)
}

/// The newest ACTIVE revision of `family`, as ecspresso's `--latest-task-definition`.
pub async fn latest_revision(ecs: &aws_sdk_ecs::Client, family: &str) -> Result<String, Error> {
    active_revisions(ecs, family)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::Invalid(format!(
                "task definition family `{family}` has no ACTIVE revision"
            ))
        })
}

/// `web` from `arn:…:task-definition/web:3` or `web:3`.
pub fn family_of(arn: &str) -> &str {
    let name = crate::deploy::short_task_definition(arn);
    name.rsplit_once(':').map_or(name, |(family, _)| family)
}

/// `3` from `arn:…:task-definition/web:3`.
pub fn revision_of(arn: &str) -> u64 {
    arn.rsplit_once(':')
        .and_then(|(_, r)| r.parse().ok())
        .unwrap_or(0)
}

/// Resolves the task definition ARN to deploy, registering the file when asked.
pub(crate) async fn resolve(
    app: &App<'_>,
    remote: &Service,
    options: DeployOptions,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    let current = primary_task_definition(remote);
    match options.task_definition {
        TaskDefinitionSource::Current => {
            current.ok_or_else(|| Error::Invalid("the service has no task definition".to_owned()))
        }
        TaskDefinitionSource::Latest => {
            latest_revision(&app.clients.ecs, &family_for(app, current.as_deref())?).await
        }
        TaskDefinitionSource::Revision(revision) => {
            let name = format!("{}:{revision}", family_for(app, current.as_deref())?);
            describe_revision(app, &name).await
        }
        TaskDefinitionSource::Register => register_from_file(app, options.dry_run, applied).await,
    }
}

/// Loads the configured task definition file and registers it (dry run: reports it).
pub(crate) async fn register_from_file(
    app: &App<'_>,
    dry_run: bool,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    let path = app.config.task_definition_path().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: `task_definition` is not set",
            app.config.path.display()
        ))
    })?;
    register_path(app, &path, dry_run, applied).await
}

/// Loads the task definition file `path` and registers it (dry run: reports it).
pub(crate) async fn register_path(
    app: &App<'_>,
    path: &std::path::Path,
    dry_run: bool,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    let definition = app.load_task_definition(path)?;
    register_definition(app, &definition, path, dry_run, applied).await
}

/// Registers the loaded task definition `definition` of file `path` (dry run: reports it).
pub(crate) async fn register_definition(
    app: &App<'_>,
    definition: &Definition,
    path: &std::path::Path,
    dry_run: bool,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    warn_all(app, definition);
    if dry_run {
        app.emit(Event::WouldSend {
            operation: "RegisterTaskDefinition",
            input: definition.value.clone(),
        });
        let family = definition
            .value
            .get("family")
            .and_then(Value::as_str)
            .unwrap_or("(family)");
        return Ok(format!("{family} (new revision)"));
    }
    app.info("registering a new task definition");
    let registered = register_task_definition(
        &app.clients.ecs,
        &definition.value,
        &path.display().to_string(),
    )
    .await?;
    let arn = registered
        .task_definition_arn()
        .ok_or_else(|| Error::Aws {
            operation: "RegisterTaskDefinition",
            message: "the answer names no task definition ARN".to_owned(),
            applied: applied.clone(),
        })?
        .to_owned();
    app.lifecycle(
        Lifecycle::new(
            EventKind::TaskDefinitionRegistered,
            format!(
                "task definition {} is registered",
                short_task_definition(&arn)
            ),
        )
        .task_definition(Some(short_task_definition(&arn).to_owned()))
        .details(json!({"arn": arn})),
    );
    applied.push(format!(
        "registered task definition {}",
        short_task_definition(&arn)
    ));
    Ok(arn)
}

/// The ARN of the task definition `name` (`family:revision`), or an error saying it does not
/// exist.
pub(crate) async fn describe_revision(app: &App<'_>, name: &str) -> Result<String, Error> {
    let output = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(name)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))
        .map_err(|err| match err {
            Error::Aws { message, .. } => {
                Error::Invalid(format!("task definition {name} not found ({message})"))
            }
            other => other,
        })?;
    output
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| Error::Invalid(format!("task definition {name} not found")))
}

/// The family: from the local task definition file when configured, else from `current`.
pub(crate) fn family_for(app: &App<'_>, current: Option<&str>) -> Result<String, Error> {
    if let Some(path) = app.config.task_definition_path() {
        let definition = app.load_task_definition(&path)?;
        if let Some(family) = definition.value.get("family").and_then(Value::as_str) {
            return Ok(family.to_owned());
        }
    }
    current.map(|arn| family_of(arn).to_owned()).ok_or_else(|| {
        Error::Invalid(
            "cannot tell the task definition family: no task_definition and no service".to_owned(),
        )
    })
}

/// Reports a loaded definition's warnings (once per command).
pub(crate) fn warn_all(app: &App<'_>, definition: &Definition) {
    for warning in &definition.warnings {
        app.warn_once(warning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_family_and_revision() {
        let arn = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web-app:12";
        assert_eq!(family_of(arn), "web-app");
        assert_eq!(revision_of(arn), 12);
        assert_eq!(family_of("web:3"), "web");
        assert_eq!(revision_of("web"), 0);
    }
}
