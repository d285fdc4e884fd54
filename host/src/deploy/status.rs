//! `status`: the service, its deployments, auto scaling (targets and policies) and recent
//! events, as a text block (ecspresso's layout). Read-only.

use aws_sdk_applicationautoscaling::types::ServiceNamespace;

use super::autoscaling::describe_autoscaling_error;
use super::describe::find_service;
use super::wait::{deployment_lines, format_time};
use super::{Error, short_task_definition};
use crate::app::App;

/// Builds the status text with the `events` most recent service events.
pub async fn status(app: &App<'_>, events: usize) -> Result<String, Error> {
    let name = app.service()?.to_owned();
    let service = find_service(app)
        .await?
        .ok_or_else(|| Error::ServiceNotFound {
            cluster: app.cluster().to_owned(),
            service: name.clone(),
        })?;
    let mut out = String::new();
    out.push_str(&format!("Service: {name}\n"));
    out.push_str(&format!("Cluster: {}\n", app.cluster()));
    out.push_str(&format!(
        "TaskDefinition: {}\n",
        short_task_definition(service.task_definition().unwrap_or_default())
    ));
    out.push_str(&format!(
        "Status: {}\n",
        service.status().unwrap_or_default()
    ));
    out.push_str(&format!(
        "Tasks: desired:{} running:{} pending:{}\n",
        service.desired_count(),
        service.running_count(),
        service.pending_count()
    ));
    out.push_str("Deployments:\n");
    for line in deployment_lines(&service) {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&autoscaling_block(app, &name).await?);
    out.push_str("Events:\n");
    let mut recent: Vec<_> = service.events().iter().collect();
    recent.sort_by_key(|e| {
        std::cmp::Reverse(e.created_at().map(|t| t.as_nanos()).unwrap_or_default())
    });
    recent.truncate(events);
    recent.reverse();
    for event in recent {
        out.push_str(&format!(
            "  {} {}\n",
            event.created_at().map(format_time).unwrap_or_default(),
            event.message().unwrap_or_default()
        ));
    }
    Ok(out)
}

async fn autoscaling_block(app: &App<'_>, service: &str) -> Result<String, Error> {
    let resource = format!("service/{}/{service}", app.cluster());
    let client = &app.clients.autoscaling;
    let targets = super::autoscaling::describe_targets(app, &resource).await?;
    if targets.scalable_targets().is_empty() {
        return Ok(String::new());
    }
    let mut out = String::from("AutoScaling:\n");
    for target in targets.scalable_targets() {
        out.push_str(&format!(
            "  Capacity min:{} max:{}\n",
            target.min_capacity(),
            target.max_capacity()
        ));
        if let Some(state) = target.suspended_state() {
            out.push_str(&format!(
                "  Suspended in:{} out:{} scheduled:{}\n",
                state.dynamic_scaling_in_suspended().unwrap_or(false),
                state.dynamic_scaling_out_suspended().unwrap_or(false),
                state.scheduled_scaling_suspended().unwrap_or(false)
            ));
        }
    }
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&resource)
        .send()
        .await
        .map_err(|err| Error::Aws {
            operation: "DescribeScalingPolicies",
            message: describe_autoscaling_error(&err),
            applied: Vec::new(),
        })?;
    for policy in policies.scaling_policies() {
        out.push_str(&format!(
            "  Policy name:{} type:{}\n",
            policy.policy_name(),
            policy.policy_type().as_str()
        ));
    }
    Ok(out)
}
