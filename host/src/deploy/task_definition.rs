//! Task definitions: registering the rendered file (RegisterTaskDefinition from the JSON through
//! the SDK's codec, so every field is sent), and finding revisions of a family. Empty `tags` are
//! left out, since RegisterTaskDefinition rejects an empty list.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{SortOrder, TaskDefinition, TaskDefinitionStatus};
use serde_json::Value;

use crate::definition::from_json;
use crate::deploy::{Error, aws_error};

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
