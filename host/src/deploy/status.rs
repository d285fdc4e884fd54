//! `status` as text: ecspresso's block (service, task definition, counts, deployment lines,
//! auto scaling, recent events) rendered from the `report::StatusReport` that `--output json`
//! prints, so both views show the same facts from the same reads.

use crate::report::StatusReport;

/// The status text of `report`.
pub fn to_text(report: &StatusReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("Service: {}\n", report.service));
    out.push_str(&format!("Cluster: {}\n", report.cluster));
    out.push_str(&format!("TaskDefinition: {}\n", report.task_definition));
    out.push_str(&format!("Status: {}\n", report.status));
    out.push_str(&format!(
        "Tasks: desired:{} running:{} pending:{}\n",
        report.desired_count, report.running_count, report.pending_count
    ));
    out.push_str("Deployments:\n");
    for d in &report.deployments {
        let reason = d
            .rollout_state_reason
            .as_deref()
            .filter(|r| !r.is_empty())
            .map_or_else(String::new, |r| format!("({r})"));
        out.push_str(&format!(
            "  {:>8} {} desired:{} pending:{} running:{} {}{reason}\n",
            d.status,
            d.task_definition,
            d.desired_count,
            d.pending_count,
            d.running_count,
            d.rollout_state.as_deref().unwrap_or_default()
        ));
    }
    if let Some(scaling) = &report.auto_scaling {
        out.push_str("AutoScaling:\n");
        for target in &scaling.targets {
            out.push_str(&format!(
                "  Capacity min:{} max:{}\n",
                target.min_capacity, target.max_capacity
            ));
            out.push_str(&format!(
                "  Suspended in:{} out:{} scheduled:{}\n",
                target.suspended.dynamic_scaling_in,
                target.suspended.dynamic_scaling_out,
                target.suspended.scheduled_scaling
            ));
        }
        for policy in &scaling.policies {
            out.push_str(&format!(
                "  Policy name:{} type:{}\n",
                policy.name, policy.policy_type
            ));
        }
    }
    out.push_str("Events:\n");
    for event in &report.events {
        out.push_str(&format!("  {} {}\n", event.created_at, event.message));
    }
    out
}
