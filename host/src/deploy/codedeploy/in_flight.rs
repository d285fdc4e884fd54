//! A CodeDeploy deployment already in flight when `deploy` starts, usually left by a run that
//! was killed while its gates decided at READY. CodeDeploy allows one deployment per group at a
//! time (a second CreateDeployment fails with DeploymentLimitExceededException), so `deploy`
//! looks for one before it registers anything and converges, as it does for ECS-native
//! deployments:
//! - the in-flight deployment brings the task definition this deploy would register (same
//!   content after diff normalization): it is resumed — followed, with the gates, to its end;
//! - it brings something else: it is stopped with rollback, the rollback is followed, and the
//!   new deployment starts as usual.

use serde_json::Value;

use crate::app::App;
use crate::deploy::codedeploy::follow::get_deployment;
use crate::deploy::codedeploy::{Group, active_deployment, follow_rollback_of, stop_with_rollback};
use crate::deploy::diff::task_definition_for_diff;
use crate::deploy::tags::ignored_tags;
use crate::deploy::{Error, aws_error, short_task_definition};

/// What `deploy` found in flight and did about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InFlight {
    /// Nothing was in flight.
    Nothing,
    /// The deployment `id` brings the wanted task definition (`task_definition`, an ARN):
    /// follow it instead of starting another.
    Resume {
        /// The CodeDeploy deployment.
        id: String,
        /// Its task definition ARN.
        task_definition: String,
    },
    /// A deployment of something else was stopped with rollback and its rollback followed.
    Replaced,
}

/// Looks for the group's deployment in flight and converges (see the module doc). `wanted` is
/// the task definition this deploy would register, as rendered, when it registers one; with
/// `--skip-task-definition` or `--revision` (`None`), an in-flight deployment is always
/// replaced. With `dry_run`, says what it would do and does nothing.
pub async fn converge(
    app: &App<'_>,
    service: &str,
    group: &Group,
    wanted: Option<&Value>,
    dry_run: bool,
) -> Result<InFlight, Error> {
    let Some(id) = active_deployment(app, group).await? else {
        return Ok(InFlight::Nothing);
    };
    let info = get_deployment(app, &id).await?;
    let status = info
        .status()
        .map_or_else(|| "in flight".to_owned(), |s| s.as_str().to_owned());
    let in_flight = task_definition_of(&info);
    let same = match (wanted, &in_flight) {
        (Some(wanted), Some(arn)) => {
            let remote = crate::deploy::diff::remote_task_definition_json(app, arn).await?;
            let ignored = ignored_tags(app);
            task_definition_for_diff(remote, &ignored)
                == task_definition_for_diff(wanted.clone(), &ignored)
        }
        _ => false,
    };
    let shown = in_flight
        .as_deref()
        .map_or("an unknown task definition", short_task_definition)
        .to_owned();
    if same && let Some(task_definition) = in_flight {
        app.info(format!(
            "CodeDeploy deployment {id} of {shown} is already {status} (a run that was stopped started it) and brings this task definition: resuming it instead of starting another"
        ));
        return Ok(InFlight::Resume {
            id,
            task_definition,
        });
    }
    if dry_run {
        app.info(format!(
            "CodeDeploy deployment {id} of {shown} is {status}: deploy would stop it with rollback before starting its own"
        ));
        return Ok(InFlight::Nothing);
    }
    app.warn(format!(
        "CodeDeploy deployment {id} of {shown} is {status} (a run that was stopped started it) and brings another task definition: stopping it with rollback before starting this one"
    ));
    stop_with_rollback(app, &id).await?;
    follow_rollback_of(app, service, &id).await?;
    Ok(InFlight::Replaced)
}

/// The task definition CodeDeploy deployment `info` deploys, read from the AppSpec it carries;
/// `None` when it names none.
fn task_definition_of(info: &aws_sdk_codedeploy::types::DeploymentInfo) -> Option<String> {
    info.revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .and_then(task_definition_of_appspec)
}

/// The task definition deployment `id` brings, read as ecspresso's
/// `findTaskDefinitionOfDeployment` reads it: GetDeployment, then GetApplicationRevision of its
/// revision, then `Resources[0].TargetService.Properties.TaskDefinition` of that AppSpec.
pub(crate) async fn deployed_task_definition(app: &App<'_>, id: &str) -> Result<String, Error> {
    let info = get_deployment(app, id).await?;
    let revision = app
        .clients
        .codedeploy
        .get_application_revision()
        .set_application_name(info.application_name().map(str::to_owned))
        .set_revision(info.revision().cloned())
        .send()
        .await
        .map_err(|err| aws_error("GetApplicationRevision", &err, &[]))?;
    revision
        .revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .and_then(task_definition_of_appspec)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "CodeDeploy deployment {id}: its AppSpec names no task definition"
            ))
        })
}

/// The task definition an ECS AppSpec (YAML or JSON) deploys:
/// `Resources[0].TargetService.Properties.TaskDefinition`.
fn task_definition_of_appspec(content: &str) -> Option<String> {
    let spec: Value = serde_yaml_ng::from_str(content).ok()?;
    spec.get("Resources")?
        .as_array()?
        .iter()
        .find_map(|resource| {
            resource
                .as_object()?
                .values()
                .find_map(|target| target["Properties"]["TaskDefinition"].as_str())
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_definition_is_read_from_yaml_and_json_appspecs() {
        let yaml = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:r:1:task-definition/web:2\n";
        assert_eq!(
            task_definition_of_appspec(yaml).as_deref(),
            Some("arn:aws:ecs:r:1:task-definition/web:2")
        );
        let json = r#"{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "web:3"}}}]}"#;
        assert_eq!(task_definition_of_appspec(json).as_deref(), Some("web:3"));
        assert_eq!(task_definition_of_appspec("not: [an appspec"), None);
    }
}
