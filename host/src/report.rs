//! Machine-readable reports of what is in AWS, for `--output json`: the facts `status` prints
//! as text (the service, its task definition and counts, deployments, auto scaling, recent
//! events, the deployment in flight) as serializable data with AWS's camelCase field names.
//! Read-only (DescribeServices, DescribeScalableTargets, DescribeScalingPolicies, the service
//! deployment APIs, CodeDeploy's); never prints — `cli` renders the report.

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::{Deployment, Service};
use serde::Serialize;

mod rollout;

pub use rollout::{CodeDeployReport, PausedHookReport, RolloutReport, TaskSetReport};

use crate::app::App;
use crate::deploy::{Error, aws_error, short_task_definition};

/// The service as `status --output json` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The service name.
    pub service: String,
    /// The cluster name.
    pub cluster: String,
    /// `ACTIVE` or `DRAINING`.
    pub status: String,
    /// The service's task definition, `family:revision`.
    pub task_definition: String,
    /// Its full ARN.
    pub task_definition_arn: String,
    /// Desired task count.
    pub desired_count: i32,
    /// Running tasks.
    pub running_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    pub deployment_controller: String,
    /// The launch type, when the service has one (not with capacity providers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
    /// The service's deployments (PRIMARY first, as DescribeServices lists them).
    pub deployments: Vec<DeploymentReport>,
    /// The ECS service deployment in flight (stage, traffic, a PAUSE hook awaiting action).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutReport>,
    /// CODE_DEPLOY services: their task sets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub task_sets: Vec<TaskSetReport>,
    /// CODE_DEPLOY services: the CodeDeploy deployment in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_deploy: Option<CodeDeployReport>,
    /// Application Auto Scaling of the desired count; `null` when the service has no scalable
    /// target.
    pub auto_scaling: Option<AutoScalingReport>,
    /// Express services: the Express service's status and endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub express: Option<crate::deploy::express::ExpressReport>,
    /// The most recent service events, oldest first (as many as `status --events` asks for).
    pub events: Vec<EventReport>,
}

/// One deployment of the service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentReport {
    /// Deployment id (`ecs-svc/…`).
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Its task definition, `family:revision`.
    pub task_definition: String,
    /// Desired task count.
    pub desired_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
    /// Running tasks.
    pub running_count: i32,
    /// Tasks that failed to start (the circuit breaker counts these).
    pub failed_tasks: i32,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`, when ECS reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the rollout is in that state, when ECS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// Scalable targets and scaling policies of the service's desired count.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingReport {
    /// The scalable targets (one per service in practice).
    pub targets: Vec<ScalableTargetReport>,
    /// The scaling policies.
    pub policies: Vec<ScalingPolicyReport>,
}

/// One scalable target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalableTargetReport {
    /// Minimum capacity.
    pub min_capacity: i32,
    /// Maximum capacity.
    pub max_capacity: i32,
    /// Suspended scaling activities.
    pub suspended: SuspendedReport,
}

/// Which scaling activities are suspended (`deploy --suspend-auto-scaling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedReport {
    /// Scale-in by policies.
    pub dynamic_scaling_in: bool,
    /// Scale-out by policies.
    pub dynamic_scaling_out: bool,
    /// Scheduled actions.
    pub scheduled_scaling: bool,
}

/// One scaling policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicyReport {
    /// The policy's name.
    pub name: String,
    /// `TargetTrackingScaling`, `StepScaling`, ….
    #[serde(rename = "type")]
    pub policy_type: String,
}

/// One service event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventReport {
    /// RFC 3339.
    pub created_at: String,
    /// ECS's message.
    pub message: String,
}

/// Reads the configured service with its `events` most recent events. Errors when the service
/// does not exist, or an AWS call fails (naming the operation).
pub async fn status(app: &App<'_>, events: usize) -> Result<StatusReport, Error> {
    let name = app.service()?.to_owned();
    let service = crate::deploy::require_configured_service(app).await?;
    let auto_scaling = auto_scaling(app, &name).await?;
    let mut report = report(app.cluster(), &name, &service, auto_scaling, events);
    if report.deployment_controller == "CODE_DEPLOY" {
        report.task_sets = rollout::task_sets(&service);
        report.code_deploy = rollout::codedeploy_rollout(app, &name).await;
    } else {
        report.rollout = rollout::ecs_rollout(app, &name).await?;
    }
    if crate::deploy::express::is_express(&service)
        && let Some(arn) = service.service_arn()
    {
        report.express = Some(crate::deploy::express::report(&app.clients.ecs, arn).await?);
    }
    Ok(report)
}

/// Builds the report from a described service (pure; see `status`).
fn report(
    cluster: &str,
    name: &str,
    service: &Service,
    auto_scaling: Option<AutoScalingReport>,
    events: usize,
) -> StatusReport {
    // An Express service reports its task definition on its deployments only.
    let arn = crate::deploy::service::primary_task_definition(service).unwrap_or_default();
    let mut recent: Vec<_> = service.events().iter().collect();
    recent.sort_by_key(|e| {
        std::cmp::Reverse(e.created_at().map(|t| t.as_nanos()).unwrap_or_default())
    });
    recent.truncate(events);
    recent.reverse();
    StatusReport {
        service: name.to_owned(),
        cluster: cluster.to_owned(),
        status: service.status().unwrap_or_default().to_owned(),
        task_definition: short_task_definition(&arn).to_owned(),
        task_definition_arn: arn,
        desired_count: service.desired_count(),
        running_count: service.running_count(),
        pending_count: service.pending_count(),
        deployment_controller: service
            .deployment_controller()
            .map_or("ECS", |c| c.r#type().as_str())
            .to_owned(),
        launch_type: service.launch_type().map(|t| t.as_str().to_owned()),
        deployments: service.deployments().iter().map(deployment).collect(),
        rollout: None,
        task_sets: Vec::new(),
        code_deploy: None,
        auto_scaling,
        express: None,
        events: recent
            .into_iter()
            .map(|e| EventReport {
                created_at: e.created_at().map(format_time).unwrap_or_default(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}

fn deployment(d: &Deployment) -> DeploymentReport {
    DeploymentReport {
        id: d.id().unwrap_or_default().to_owned(),
        status: d.status().unwrap_or_default().to_owned(),
        task_definition: short_task_definition(d.task_definition().unwrap_or_default()).to_owned(),
        desired_count: d.desired_count(),
        pending_count: d.pending_count(),
        running_count: d.running_count(),
        failed_tasks: d.failed_tasks(),
        rollout_state: d.rollout_state().map(|s| s.as_str().to_owned()),
        rollout_state_reason: d
            .rollout_state_reason()
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        created_at: d.created_at().map(format_time),
        updated_at: d.updated_at().map(format_time),
    }
}

/// DescribeScalableTargets and DescribeScalingPolicies for `service/<cluster>/<service>`.
async fn auto_scaling(app: &App<'_>, service: &str) -> Result<Option<AutoScalingReport>, Error> {
    let resource = format!("service/{}/{service}", app.cluster());
    let client = &app.clients.autoscaling;
    let targets = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(&resource)
        .send()
        .await
        .map_err(|err| aws_error("DescribeScalableTargets", &err, &[]))?;
    if targets.scalable_targets().is_empty() {
        return Ok(None);
    }
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&resource)
        .send()
        .await
        .map_err(|err| aws_error("DescribeScalingPolicies", &err, &[]))?;
    Ok(Some(AutoScalingReport {
        targets: targets
            .scalable_targets()
            .iter()
            .map(|t| {
                let state = t.suspended_state();
                ScalableTargetReport {
                    min_capacity: t.min_capacity(),
                    max_capacity: t.max_capacity(),
                    suspended: SuspendedReport {
                        dynamic_scaling_in: state
                            .and_then(|s| s.dynamic_scaling_in_suspended())
                            .unwrap_or(false),
                        dynamic_scaling_out: state
                            .and_then(|s| s.dynamic_scaling_out_suspended())
                            .unwrap_or(false),
                        scheduled_scaling: state
                            .and_then(|s| s.scheduled_scaling_suspended())
                            .unwrap_or(false),
                    },
                }
            })
            .collect(),
        policies: policies
            .scaling_policies()
            .iter()
            .map(|p| ScalingPolicyReport {
                name: p.policy_name().to_owned(),
                policy_type: p.policy_type().as_str().to_owned(),
            })
            .collect(),
    }))
}

/// RFC 3339 text of an AWS timestamp.
fn format_time(time: &aws_smithy_types::DateTime) -> String {
    time.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{DeploymentController, DeploymentControllerType, ServiceEvent};
    use aws_smithy_types::DateTime;

    use super::*;

    fn event(seconds: i64, message: &str) -> ServiceEvent {
        ServiceEvent::builder()
            .created_at(DateTime::from_secs(seconds))
            .message(message)
            .build()
    }

    #[test]
    fn reports_the_service_with_its_most_recent_events_oldest_first() {
        let service = Service::builder()
            .service_name("web")
            .status("ACTIVE")
            .task_definition("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:3")
            .desired_count(2)
            .running_count(1)
            .pending_count(1)
            .deployment_controller(
                DeploymentController::builder()
                    .r#type(DeploymentControllerType::Ecs)
                    .build()
                    .expect("type is set"),
            )
            .deployments(
                Deployment::builder()
                    .id("ecs-svc/1")
                    .status("PRIMARY")
                    .task_definition(
                        "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:3",
                    )
                    .desired_count(2)
                    .running_count(1)
                    .pending_count(1)
                    .rollout_state_reason("")
                    .build(),
            )
            .events(event(30, "third"))
            .events(event(10, "first"))
            .events(event(20, "second"))
            .build();
        let report = report("prod", "web", &service, None, 2);
        let json = serde_json::to_value(&report).expect("serializable");
        assert_eq!(json["taskDefinition"], "web:3");
        assert_eq!(json["deploymentController"], "ECS");
        assert_eq!(json["desiredCount"], 2);
        assert_eq!(json["autoScaling"], serde_json::Value::Null);
        assert_eq!(json["deployments"][0]["taskDefinition"], "web:3");
        assert!(json["deployments"][0].get("rolloutStateReason").is_none());
        let messages: Vec<&str> = report.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["second", "third"]);
        assert_eq!(report.events[1].created_at, "1970-01-01T00:00:30Z");
    }
}
