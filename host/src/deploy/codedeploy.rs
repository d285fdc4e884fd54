//! Services with the CODE_DEPLOY deployment controller: the deployment group (config or
//! discovery), the AppSpec, CreateDeployment (with `--rollback-events`), following the
//! deployment with gates at READY and during the termination wait, and rollback.

mod appspec;
pub(crate) mod deploy;
mod follow;
mod group;
pub(crate) mod in_flight;

use serde_json::{Value, json};

pub use appspec::appspec;
pub use follow::{
    continue_deployment, follow, follow_rollback_of, rollback_deployment_of, stop_with_rollback,
};
pub use group::{Group, find as find_group, find_with as find_group_with};
pub use in_flight::{InFlight, converge as converge_in_flight};

use aws_sdk_codedeploy::types::{
    AppSpecContent, DeploymentStatus, RevisionLocation, RevisionLocationType,
};

use crate::app::App;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::Event;

pub use crate::deploy::options::RollbackEvents;

/// With gate plugins, the group must hold deployments at READY (deploymentReadyOption
/// STOP_DEPLOYMENT) so the gates can run before production traffic shifts. Checked before
/// anything is changed.
pub fn check_gates(app: &App<'_>, group: &Group) -> Result<(), Error> {
    if !app.plugins.has_gates() || group.ready_wait_minutes.is_some() {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "gate plugins are configured, but deployment group {} of application {} shifts production traffic without waiting: set its blueGreenDeploymentConfiguration.deploymentReadyOption to {{actionOnTimeout: STOP_DEPLOYMENT, waitTimeInMinutes: N}} (N above the gates' gate_timeout) so ristretto can run before-traffic-shift gates at READY (nothing was changed)",
        group.name, group.application
    )))
}

/// Creates a deployment of `task_definition` with the AppSpec built from `service`. Returns
/// the deployment id (dry run: reports the request and returns an empty id).
pub async fn create_deployment(
    app: &App<'_>,
    group: &Group,
    service: &Value,
    task_definition: &str,
    rollback_events: RollbackEvents,
    dry_run: bool,
) -> Result<String, Error> {
    let spec = appspec(service, task_definition, app.config.file.appspec.as_ref())?;
    let content = serde_yaml_ng::to_string(&spec)
        .map_err(|e| Error::Invalid(format!("cannot write the AppSpec: {e}")))?;
    if dry_run {
        app.emit(Event::WouldSend {
            operation: "CreateDeployment",
            input: json!({
                "applicationName": group.application,
                "deploymentGroupName": group.name,
                "deploymentConfigName": group.config_name,
                "appSpec": spec,
            }),
        });
        return Ok(String::new());
    }
    let revision = RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(AppSpecContent::builder().content(content).build())
        .build();
    let output = app
        .clients
        .codedeploy
        .create_deployment()
        .application_name(&group.application)
        .deployment_group_name(&group.name)
        .set_deployment_config_name(group.config_name.clone())
        .revision(revision)
        .set_auto_rollback_configuration(rollback_events.configuration())
        .send()
        .await
        .map_err(|err| aws_error("CreateDeployment", &err, &[]))?;
    let id = output
        .deployment_id()
        .ok_or_else(|| Error::Aws {
            operation: "CreateDeployment",
            message: "the answer names no deployment id".to_owned(),
            applied: Vec::new(),
        })?
        .to_owned();
    let region = app.clients.region.clone().unwrap_or_default();
    app.info(format!(
        "CodeDeploy deployment {id} of {} created: https://{region}.console.aws.amazon.com/codesuite/codedeploy/deployments/{id}?region={region}",
        short_task_definition(task_definition)
    ));
    Ok(id)
}

/// The group's deployment in flight (Created, Queued, InProgress, Ready or Baking), if any.
pub async fn active_deployment(app: &App<'_>, group: &Group) -> Result<Option<String>, Error> {
    let output = app
        .clients
        .codedeploy
        .list_deployments()
        .application_name(&group.application)
        .deployment_group_name(&group.name)
        .set_include_only_statuses(Some(vec![
            DeploymentStatus::Created,
            DeploymentStatus::Queued,
            DeploymentStatus::InProgress,
            DeploymentStatus::Ready,
            DeploymentStatus::Baking,
        ]))
        .send()
        .await
        .map_err(|err| aws_error("ListDeployments", &err, &[]))?;
    Ok(output.deployments().first().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_events_parse_and_reject_unknown_names() {
        assert_eq!(
            RollbackEvents::parse("DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST"),
            Ok(RollbackEvents {
                failure: true,
                alarm: false,
                request: true
            })
        );
        assert!(RollbackEvents::parse("").unwrap().configuration().is_none());
        let err = RollbackEvents::parse("DEPLOYMENT_FAILED").unwrap_err();
        assert!(err.contains("DEPLOYMENT_FAILED"), "{err}");
    }
}
