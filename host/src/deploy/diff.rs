//! `diff`: the local service and task definitions against what runs in AWS, both normalized
//! the same way (ecspresso reference §11) so that only real differences show: defaults AWS
//! fills are filled on both sides, order-insensitive lists are sorted, units are converted, and
//! only fields UpdateService / RegisterTaskDefinition take are compared. The normalization is
//! idempotent, so `init` followed by `diff` shows nothing.

mod normalize;

use aws_sdk_ecs::types::TaskDefinitionField;
use serde_json::Value;

pub use crate::deploy::service::remote_service_json;
pub use normalize::{
    service_for_diff, sort_task_definition, task_definition_for_diff, without_kept_when_omitted,
};

use crate::app::App;
use crate::definition::to_json;
use crate::deploy::service::{find_service, primary_task_definition};
use crate::deploy::task_definition::latest_revision;
use crate::deploy::{Error, aws_error};

/// One side-by-side comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What is compared: `service`, `task definition` or `express service`.
    pub what: &'static str,
    /// The remote name (ARN), or `None` when it does not exist yet.
    pub remote_name: Option<String>,
    /// The local file.
    pub local_name: String,
    /// Normalized remote JSON (`Null` when missing).
    pub remote: Value,
    /// Normalized local JSON.
    pub local: Value,
}

impl Comparison {
    /// Whether the two sides differ.
    pub fn differs(&self) -> bool {
        self.remote != self.local
    }
}

/// Compares the service (unless `with_service` is false or no service/definition is
/// configured) and the task definition; with `express_definition`, the Express service
/// (`express::diff`).
pub async fn diff(app: &App<'_>, with_service: bool) -> Result<Vec<Comparison>, Error> {
    if crate::deploy::express::is_configured(app) {
        let express = crate::deploy::express::diff(app).await?;
        return Ok(vec![Comparison {
            what: "express service",
            remote_name: express.remote_name,
            local_name: express.local_name,
            remote: express.remote,
            local: express.local,
        }]);
    }
    let mut comparisons = Vec::new();
    let remote_service = match app.config.file.service.as_deref().filter(|s| !s.is_empty()) {
        Some(_) => find_service(app).await?,
        None => None,
    };
    let ignored = app
        .config
        .file
        .ignore
        .as_ref()
        .map(|i| i.tags.clone())
        .unwrap_or_default();
    if with_service && let Some(path) = app.config.service_definition_path() {
        comparisons.push(compare_service(
            app,
            &path,
            remote_service.as_ref(),
            &ignored,
        )?);
    }
    if let Some(path) = app.config.task_definition_path() {
        let local = app.load_task_definition(&path)?;
        for warning in &local.warnings {
            app.warn_once(warning);
        }
        let remote_arn = match remote_service.as_ref().and_then(primary_task_definition) {
            Some(arn) => Some(arn),
            None => match local.value.get("family").and_then(Value::as_str) {
                Some(family) => latest_revision(&app.clients.ecs, family).await.ok(),
                None => None,
            },
        };
        let remote = match &remote_arn {
            Some(arn) => remote_task_definition_json(app, arn).await?,
            None => Value::Null,
        };
        comparisons.push(Comparison {
            what: "task definition",
            remote_name: remote_arn,
            local_name: path.display().to_string(),
            remote: if remote.is_null() {
                remote
            } else {
                task_definition_for_diff(remote, &ignored)
            },
            local: task_definition_for_diff(local.value, &ignored),
        });
    }
    Ok(comparisons)
}

/// The service definition at `path` against `remote` (the service, when it exists), both
/// normalized; for an Express service, without what ECS manages.
fn compare_service(
    app: &App<'_>,
    path: &std::path::Path,
    remote_service: Option<&aws_sdk_ecs::types::Service>,
    ignored: &[String],
) -> Result<Comparison, Error> {
    let local = app.load_service_definition(path)?;
    for warning in &local.warnings {
        app.warn_once(warning);
    }
    let remote = remote_service.map(remote_service_json).transpose()?;
    let local_has_count = local.value.get("desiredCount").is_some();
    let code_deploy = remote_service.is_some_and(crate::deploy::strategy::is_code_deploy);
    let express_managed = remote_service.is_some_and(crate::deploy::express::is_express);
    let managed = |value: Value| {
        if express_managed {
            crate::deploy::express::managed::without_managed(value)
        } else {
            value
        }
    };
    if express_managed {
        crate::deploy::express::warn_managed_fields_set(
            app,
            app.service()?,
            &local.value,
            &path.display().to_string(),
        );
    }
    Ok(Comparison {
        what: "service",
        remote_name: remote_service
            .and_then(|s| s.service_arn())
            .map(str::to_owned),
        local_name: path.display().to_string(),
        remote: remote
            .map(|r| {
                let r = without_kept_when_omitted(&local.value, r);
                managed(service_for_diff(r, ignored, local_has_count, code_deploy))
            })
            .unwrap_or(Value::Null),
        local: managed(service_for_diff(local.value, ignored, true, code_deploy)),
    })
}

/// The task definition `arn` as JSON, with its tags.
pub async fn remote_task_definition_json(app: &App<'_>, arn: &str) -> Result<Value, Error> {
    let output = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))?;
    let mut json = match output.task_definition() {
        Some(td) => to_json(td)
            .map_err(|e| Error::Invalid(format!("cannot read the task definition: {e}")))?,
        None => return Ok(Value::Null),
    };
    if !output.tags().is_empty()
        && let Value::Object(map) = &mut json
    {
        let tags = output
            .tags()
            .iter()
            .map(|t| serde_json::json!({"key": t.key(), "value": t.value()}))
            .collect();
        map.insert("tags".to_owned(), Value::Array(tags));
    }
    Ok(json)
}
