//! The ECS Express Mode controller, as ecspresso v2.7 drives it: a config with
//! `express_definition` (instead of task and service definitions) deploys an Express service
//! with CreateExpressGatewayService / UpdateExpressGatewayService (ECS registers the task
//! definition and runs a canary deployment of the service underneath), and `diff`, `init`,
//! `status`, `rollback`, `verify` and `delete` act on it. What ECS does not allow for Express
//! services (choosing a task definition or a desired count, auto scaling flags, PAUSE waits,
//! rolling back to a revision) is refused before any AWS write. Never prints.

pub mod definition;
mod deploy;
pub mod managed;
mod remote;

use aws_sdk_ecs::types::Service;
use serde_json::Value;

pub use deploy::{Deployed, deploy, wait_active};
pub use remote::{ExpressReport, describe, is_express, report};

use crate::app::App;
use crate::deploy::service::find_service;
use crate::deploy::tags::ignored_tags;
use crate::deploy::{Error, aws_error};

/// Whether the config deploys an Express service (`express_definition` is set), as
/// ecspresso's `config.isExpressMode`.
pub fn is_configured(app: &App<'_>) -> bool {
    app.config.file.express_definition.is_some()
}

/// Warns when a service definition (read from `source`) deployed as a plain service to the
/// Express service `service` sets what ECS manages there; it is ignored, as ecspresso ignores it.
pub fn warn_managed_fields_set(app: &App<'_>, service: &str, definition: &Value, source: &str) {
    let set = managed::managed_fields_set(definition);
    if !set.is_empty() {
        app.warn_once(&managed::ignored_warning(source, service, &set));
    }
}

/// Refuses, before any AWS call, what `command` cannot do on an Express service.
pub fn refuse(app: &App<'_>, command: &str) -> Result<(), Error> {
    if is_configured(app) {
        return Err(Error::Invalid(format!(
            "`{command}` does not work with Express services ({}: `express_definition` is set); ECS manages their task definitions and task counts",
            app.config.path.display()
        )));
    }
    Ok(())
}

/// Both sides of the `diff` of an Express service, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpressDiff {
    /// The Express service's ARN, or `None` when it does not exist yet.
    pub remote_name: Option<String>,
    /// The express definition file.
    pub local_name: String,
    /// The service's newest active configuration as an express definition (`Null` when
    /// missing).
    pub remote: Value,
    /// The local express definition.
    pub local: Value,
}

/// The `diff` of an Express service: the local express definition against the service's
/// newest active configuration, normalized by `definition::for_diff`.
pub async fn diff(app: &App<'_>) -> Result<ExpressDiff, Error> {
    let local = definition::load(app)?;
    let local_name = app
        .config
        .express_definition_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let remote = match find_service(app).await? {
        Some(service) => Some(express_of(app, &service).await?),
        None => None,
    };
    let keep_task_definition = local.value.get("taskDefinitionArn").is_some();
    let remote_json = match &remote {
        Some(express) => definition::from_remote(express, keep_task_definition)?,
        None => Value::Null,
    };
    let (remote_json, local_json) =
        definition::for_diff(remote_json, local.value, &ignored_tags(app));
    Ok(ExpressDiff {
        remote_name: remote
            .as_ref()
            .and_then(|e| e.service_arn())
            .map(str::to_owned),
        local_name,
        remote: remote_json,
        local: local_json,
    })
}

/// DescribeExpressGatewayService of `service`, which must be an Express service.
async fn express_of(
    app: &App<'_>,
    service: &Service,
) -> Result<aws_sdk_ecs::types::EcsExpressGatewayService, Error> {
    let arn = arn_of(service)?;
    describe(&app.clients.ecs, arn).await
}

/// The ARN of `service`, which must be an Express service.
fn arn_of(service: &Service) -> Result<&str, Error> {
    let name = service.service_name().unwrap_or_default();
    if !is_express(service) {
        return Err(not_express(name));
    }
    service.service_arn().ok_or_else(|| {
        Error::Invalid(format!(
            "DescribeServices returned service {name} without an ARN"
        ))
    })
}

fn not_express(service: &str) -> Error {
    Error::Invalid(format!(
        "service {service} is not an Express service (its resourceManagementType is not ECS); `express_definition` manages Express services only"
    ))
}

/// Express rollback, as ecspresso's `RollbackExpressService`: only the service deployment in
/// flight can be rolled back (StopServiceDeployment ROLLBACK, by the caller). Errors, before
/// any write, when a revision was asked for (`to_revision`: `--revision`,
/// `--previous-task-def`) and when no deployment is in flight (`active` false).
pub(crate) fn check_rollback(service: &str, to_revision: bool, active: bool) -> Result<(), Error> {
    if to_revision {
        return Err(Error::Invalid(format!(
            "service {service} is an Express service: only its deployment in progress can be rolled back (--revision and --previous-task-def choose task definitions, which ECS manages for Express services)"
        )));
    }
    if !active {
        return Err(Error::NothingToRollBackTo(format!(
            "no service deployment of Express service {service} is in progress; an Express service rolls back only a deployment in progress (deploy the previous image to go back)"
        )));
    }
    Ok(())
}

/// `delete` of an Express service: DeleteExpressGatewayService (ECS then drains the service
/// and removes what it created for it). Returns the status ECS reports (`DRAINING`).
pub async fn delete(app: &App<'_>, service: &Service) -> Result<String, Error> {
    let arn = arn_of(service)?;
    let output = app
        .clients
        .ecs
        .delete_express_gateway_service()
        .service_arn(arn)
        .send()
        .await
        .map_err(|err| aws_error("DeleteExpressGatewayService", &err, &[]))?;
    Ok(output
        .service()
        .and_then(|s| s.status())
        .and_then(|s| s.status_code())
        .map_or("DRAINING", |c| c.as_str())
        .to_owned())
}

/// The express definition `init` writes for an existing Express service (`cluster` and
/// `serviceName` left to the config).
pub async fn import(ecs: &aws_sdk_ecs::Client, service: &Service) -> Result<Value, Error> {
    let arn = arn_of(service)?;
    definition::from_remote(&describe(ecs, arn).await?, false)
}
