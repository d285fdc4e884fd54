//! `plan show`: a saved plan as the unified diffs `diff` prints (text), or as a pull-request
//! comment (markdown: one collapsible section per service with what will be registered, the
//! attribute and count changes, and the gates that will decide).

use crate::deploy::saved_plan::format::{PlanFile, SavedTaskDefinition, ServicePlan};
use crate::output::{to_pretty_json, unified_diff};

/// The plan as text: a header, then per service its changes and unified diffs.
pub fn plan_text(file: &PlanFile, color: bool) -> String {
    let mut out = format!(
        "plan made {} by ristretto {} (format {}), {} service(s)\n",
        file.created_at,
        file.ristretto_version,
        file.version,
        file.services.len()
    );
    for service in &file.services {
        out.push('\n');
        out.push_str(&format!(
            "service {} (cluster {}, account {}, {}), {}\n",
            service.service,
            service.cluster,
            service.account,
            service.region,
            service.plan.strategy
        ));
        for line in changes(service) {
            out.push_str(&format!("  {line}\n"));
        }
        for (from, to, before, after) in diffs(service) {
            out.push_str(&unified_diff(&from, &to, &before, &after, color));
        }
    }
    out
}

/// The plan as a GitHub pull-request comment.
pub fn plan_markdown(file: &PlanFile) -> String {
    let mut out = format!(
        "### ristretto plan: {} service(s)\n\nMade {} by ristretto {}. `ristretto apply` carries out exactly this plan and refuses it if AWS changed meanwhile.\n\n",
        file.services.len(),
        file.created_at,
        file.ristretto_version
    );
    for service in &file.services {
        let summary = headline(service);
        out.push_str(&format!(
            "<details><summary><b>{}</b> (cluster {}, {}): {summary}</summary>\n\n",
            service.service, service.cluster, service.plan.strategy
        ));
        for line in changes(service) {
            out.push_str(&format!("- {line}\n"));
        }
        for (from, to, before, after) in diffs(service) {
            out.push_str("\n```diff\n");
            out.push_str(&unified_diff(&from, &to, &before, &after, false));
            out.push_str("```\n");
        }
        out.push_str("\n</details>\n\n");
    }
    out
}

/// A short summary of a service's plan.
fn headline(service: &ServicePlan) -> String {
    let plan = &service.plan;
    let mut parts = Vec::new();
    match &plan.task_definition {
        SavedTaskDefinition::Register { .. } => {
            parts.push("registers a new task definition".to_owned());
        }
        SavedTaskDefinition::Existing { arn } => parts.push(format!(
            "deploys {}",
            crate::deploy::short_task_definition(arn)
        )),
    }
    if plan.attributes.is_some() {
        parts.push("updates service attributes".to_owned());
    }
    if let Some(count) = plan.desired_count
        && count != service.aws_state.desired_count
    {
        parts.push(format!(
            "desired count {} → {count}",
            service.aws_state.desired_count
        ));
    }
    if !plan.tags_set.is_empty() || !plan.tags_remove.is_empty() {
        parts.push("changes tags".to_owned());
    }
    parts.join(", ")
}

/// One line per change the plan makes, then its gates, secrets and wait.
fn changes(service: &ServicePlan) -> Vec<String> {
    let plan = &service.plan;
    let mut lines = Vec::new();
    let current = service
        .aws_state
        .task_definition
        .as_deref()
        .map(crate::deploy::short_task_definition)
        .unwrap_or("none");
    match &plan.task_definition {
        SavedTaskDefinition::Register { path, definition } => lines.push(format!(
            "register {path} as a new revision of {} (the service runs {current})",
            definition
                .get("family")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("its family")
        )),
        SavedTaskDefinition::Existing { arn } => lines.push(format!(
            "deploy task definition {} (the service runs {current})",
            crate::deploy::short_task_definition(arn)
        )),
    }
    if plan.attributes.is_some() {
        lines.push("update the service attributes (diff below)".to_owned());
    }
    if let Some(count) = plan.desired_count {
        lines.push(format!(
            "desired count: {count} (now {})",
            service.aws_state.desired_count
        ));
    }
    for (key, value) in &plan.tags_set {
        lines.push(format!("tag {key} = {value:?}"));
    }
    for key in &plan.tags_remove {
        lines.push(format!("remove tag {key}"));
    }
    match plan.auto_scaling_suspend {
        Some(true) => lines.push("suspend auto scaling".to_owned()),
        Some(false) => lines.push("resume auto scaling".to_owned()),
        None => {}
    }
    if plan.auto_scaling_min.is_some() || plan.auto_scaling_max.is_some() {
        lines.push(format!(
            "auto scaling capacity: min {}, max {}",
            plan.auto_scaling_min
                .map_or("unchanged".to_owned(), |n| n.to_string()),
            plan.auto_scaling_max
                .map_or("unchanged".to_owned(), |n| n.to_string())
        ));
    }
    if plan.force_new_deployment {
        lines.push("force a new deployment".to_owned());
    }
    if let Some(code_deploy) = &plan.code_deploy {
        lines.push(format!(
            "CodeDeploy deployment in {}/{}",
            code_deploy.application, code_deploy.group
        ));
    }
    if service.gates.is_empty() {
        lines.push("gates: none".to_owned());
    } else {
        lines.push(format!("gates: {}", service.gates.join(", ")));
    }
    for secret in &service.secrets {
        lines.push(format!(
            "secret {} (sha256 {}…, read again at apply)",
            secret.reference,
            &secret.sha256[..secret.sha256.len().min(12)]
        ));
    }
    lines.push(match &service.options.wait {
        Some(until) => format!("then wait until {until}"),
        None => "then do not wait".to_owned(),
    });
    if !service.depends_on.is_empty() {
        lines.push(format!("after {}", service.depends_on.join(", ")));
    }
    lines
}

/// The unified diffs of a service's plan: (from name, to name, before, after).
fn diffs(service: &ServicePlan) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    if let Some([before, after]) = &service.review.task_definition {
        let to = match &service.plan.task_definition {
            SavedTaskDefinition::Register { path, .. } => path.clone(),
            SavedTaskDefinition::Existing { arn } => arn.clone(),
        };
        let from = service
            .review
            .current_task_definition
            .clone()
            .unwrap_or_else(|| "(none)".to_owned());
        out.push((from, to, to_pretty_json(before), to_pretty_json(after)));
    }
    if let Some([before, after]) = &service.review.service {
        out.push((
            service.aws_state.service_arn.clone(),
            format!("{} (planned)", service.service),
            to_pretty_json(before),
            to_pretty_json(after),
        ));
    }
    out
}
