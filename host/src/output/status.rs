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
    if let Some(rollout) = &report.rollout {
        out.push_str(&format!(
            "Rollout: {} {} {}",
            rollout.id, rollout.status, rollout.task_definition
        ));
        if let Some(stage) = &rollout.lifecycle_stage {
            out.push_str(&format!(" at {stage}"));
        }
        if let Some(production) = rollout.production_traffic_weight {
            out.push_str(&format!(
                " (production {production}%, test {}%)",
                rollout.test_traffic_weight.unwrap_or_default()
            ));
        }
        out.push('\n');
        if let Some(hook) = &rollout.paused_hook {
            out.push_str(&format!(
                "  Paused: hook {} awaits `ristretto continue` (or `ristretto rollback`); at {} it applies {}\n",
                hook.hook_id,
                hook.expires_at.as_deref().unwrap_or("its timeout"),
                hook.timeout_action
            ));
        }
    }
    if !report.task_sets.is_empty() {
        out.push_str("TaskSets:\n");
        for set in &report.task_sets {
            out.push_str(&format!(
                "  {:>8} {} scale:{}% running:{} pending:{}\n",
                set.status, set.task_definition, set.scale, set.running_count, set.pending_count
            ));
        }
    }
    if let Some(code_deploy) = &report.code_deploy {
        let waiting = if code_deploy.status == "Ready" {
            " (test traffic on the new task set; waiting for `ristretto continue`)"
        } else {
            ""
        };
        out.push_str(&format!(
            "CodeDeploy: {} {}{waiting}\n",
            code_deploy.deployment_id, code_deploy.status
        ));
    }
    out.push_str(
        &report
            .express
            .as_ref()
            .map_or_else(String::new, express_block),
    );
    if let Some(scaling) = &report.auto_scaling {
        out.push_str(&auto_scaling_block(scaling));
    }
    out.push_str("Events:\n");
    for event in &report.events {
        out.push_str(&format!("  {} {}\n", event.created_at, event.message));
    }
    out
}

/// The `AutoScaling:` block: each scalable target's capacity and suspended state, the policies.
fn auto_scaling_block(scaling: &crate::report::AutoScalingReport) -> String {
    let mut out = String::new();
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
    out
}

/// ecspresso's `Express:` block: the Express service's status and ingress paths.
fn express_block(express: &crate::deploy::express::ExpressReport) -> String {
    let reason = express
        .status_reason
        .as_deref()
        .map_or_else(String::new, |r| format!(" ({r})"));
    let mut out = format!(
        "Express:\n  Status: {}{reason}\n  IngressPaths:\n",
        express.status
    );
    for path in &express.ingress_paths {
        out.push_str(&format!("    {path}\n"));
    }
    out
}
