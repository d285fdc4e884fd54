//! The deployment in flight, for `status`: an ECS service deployment (its lifecycle stage,
//! traffic weights and a PAUSE hook awaiting action, with when it times out and how), or a
//! CodeDeploy deployment (its status, with Ready meaning it waits for ContinueDeployment) and
//! the service's task sets. Read-only.

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType, Service,
    ServiceDeploymentStatus,
};
use serde::Serialize;

use crate::app::App;
use crate::deploy::{Error, aws_error, short_task_definition};

/// An ECS service deployment in progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutReport {
    /// The service deployment's id (the last part of its ARN).
    pub id: String,
    /// `PENDING`, `IN_PROGRESS`, `ROLLBACK_IN_PROGRESS`, ….
    pub status: String,
    /// Its lifecycle stage, when it reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    /// The task definition it rolls out, `family:revision`.
    pub task_definition: String,
    /// Production traffic on the new revision, in percent (traffic-shifting strategies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_traffic_weight: Option<f64>,
    /// Test traffic on the new revision, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_traffic_weight: Option<f64>,
    /// A PAUSE hook waiting for `continue` (or `rollback`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_hook: Option<PausedHookReport>,
}

/// A PAUSE hook awaiting action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PausedHookReport {
    /// For ContinueServiceDeployment.
    pub hook_id: String,
    /// RFC 3339: when the timeout action applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `ROLLBACK` or `CONTINUE`.
    pub timeout_action: String,
}

/// One task set of a CODE_DEPLOY service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSetReport {
    /// `PRIMARY` or `ACTIVE`.
    pub status: String,
    /// Its task definition, `family:revision`.
    pub task_definition: String,
    /// Its scale, in percent of the desired count.
    pub scale: f64,
    /// Running tasks.
    pub running_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
}

/// The CodeDeploy deployment in flight.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDeployReport {
    /// `d-…`.
    pub deployment_id: String,
    /// `Created`, `InProgress`, `Ready` (waiting for ContinueDeployment), `Baking`, ….
    pub status: String,
}

/// The ECS service deployment in flight, if any.
pub async fn ecs_rollout(app: &App<'_>, service: &str) -> Result<Option<RolloutReport>, Error> {
    let listed = app
        .clients
        .ecs
        .list_service_deployments()
        .cluster(app.cluster())
        .service(service)
        .status(ServiceDeploymentStatus::InProgress)
        .status(ServiceDeploymentStatus::Pending)
        .status(ServiceDeploymentStatus::RollbackRequested)
        .status(ServiceDeploymentStatus::RollbackInProgress)
        .send()
        .await
        .map_err(|err| aws_error("ListServiceDeployments", &err, &[]))?;
    let Some(arn) = listed
        .service_deployments()
        .iter()
        .find_map(|d| d.service_deployment_arn())
    else {
        return Ok(None);
    };
    let described = app
        .clients
        .ecs
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .map_err(|err| aws_error("DescribeServiceDeployments", &err, &[]))?;
    let Some(deployment) = described.service_deployments().first() else {
        return Ok(None);
    };
    let target = deployment.target_service_revision();
    let task_definition = match target.and_then(|t| t.arn()) {
        Some(revision) => revision_task_definition(app, revision).await,
        None => String::new(),
    };
    let paused_hook = deployment
        .lifecycle_hook_details()
        .iter()
        .find(|h| {
            h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause)
                && h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction)
        })
        .map(|h| PausedHookReport {
            hook_id: h.hook_id().unwrap_or_default().to_owned(),
            expires_at: h.expires_at().map(crate::deploy::format_time),
            timeout_action: h
                .timeout_action()
                .map_or("ROLLBACK", |a| a.as_str())
                .to_owned(),
        });
    Ok(Some(RolloutReport {
        id: arn.rsplit('/').next().unwrap_or(arn).to_owned(),
        status: deployment
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        lifecycle_stage: deployment.lifecycle_stage().map(|s| s.as_str().to_owned()),
        task_definition,
        production_traffic_weight: target.and_then(|t| t.requested_production_traffic_weight()),
        test_traffic_weight: target.and_then(|t| t.requested_test_traffic_weight()),
        paused_hook,
    }))
}

/// The task definition of a service revision (`family:revision`; empty when unreadable).
async fn revision_task_definition(app: &App<'_>, revision: &str) -> String {
    app.clients
        .ecs
        .describe_service_revisions()
        .service_revision_arns(revision)
        .send()
        .await
        .ok()
        .and_then(|o| {
            o.service_revisions()
                .first()
                .and_then(|r| r.task_definition())
                .map(|t| short_task_definition(t).to_owned())
        })
        .unwrap_or_default()
}

/// The task sets of a CODE_DEPLOY service.
pub fn task_sets(service: &Service) -> Vec<TaskSetReport> {
    service
        .task_sets()
        .iter()
        .map(|t| TaskSetReport {
            status: t.status().unwrap_or_default().to_owned(),
            task_definition: short_task_definition(t.task_definition().unwrap_or_default())
                .to_owned(),
            scale: t.scale().map(|s| s.value()).unwrap_or_default(),
            running_count: t.running_count(),
            pending_count: t.pending_count(),
        })
        .collect()
}

/// The CodeDeploy deployment in flight for `service`, if its deployment group can be found.
pub async fn codedeploy_rollout(app: &App<'_>, service: &str) -> Option<CodeDeployReport> {
    let group = crate::deploy::codedeploy::find_group(app, service)
        .await
        .ok()?;
    let id = crate::deploy::codedeploy::active_deployment(app, &group)
        .await
        .ok()??;
    let status = app
        .clients
        .codedeploy
        .get_deployment()
        .deployment_id(&id)
        .send()
        .await
        .ok()
        .and_then(|o| {
            o.deployment_info()
                .and_then(|i| i.status())
                .map(|s| s.as_str().to_owned())
        })
        .unwrap_or_default();
    Some(CodeDeployReport {
        deployment_id: id,
        status,
    })
}
