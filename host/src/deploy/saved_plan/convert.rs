//! `deploy::Plan` and `DeployOptions` to their saved form and back. Only a representation
//! changes here; what a deploy does is decided by `Plan::decide` alone.

use std::path::PathBuf;

use aws_sdk_ecs::operation::update_service::UpdateServiceInput;

use super::Error;
use super::format::{SavedCodeDeploy, SavedOptions, SavedPlan, SavedTaskDefinition};
use crate::definition::{Definition, from_json, to_json};
use crate::deploy::autoscaling::AutoScaling;
use crate::deploy::codedeploy::Group;
use crate::deploy::options::{DeployOptions, DesiredCount, RollbackEvents, TaskDefinitionSource};
use crate::deploy::plan::{CodeDeployPlan, Plan, PlannedTaskDefinition};
use crate::deploy::strategy::Strategy;
use crate::deploy::tags::TagChanges;

const STRATEGIES: [Strategy; 6] = [
    Strategy::Rolling,
    Strategy::BlueGreen,
    Strategy::Linear,
    Strategy::Canary,
    Strategy::CodeDeploy,
    Strategy::External,
];

const ROLLBACK_EVENTS: [&str; 3] = [
    "DEPLOYMENT_FAILURE",
    "DEPLOYMENT_STOP_ON_ALARM",
    "DEPLOYMENT_STOP_ON_REQUEST",
];

/// The saved form of `options`.
pub(super) fn save_options(options: &DeployOptions) -> SavedOptions {
    let events = options.rollback_events;
    SavedOptions {
        task_definition: match options.task_definition {
            TaskDefinitionSource::Register => "register".to_owned(),
            TaskDefinitionSource::Revision(n) => format!("revision:{n}"),
            TaskDefinitionSource::Latest => "latest".to_owned(),
            TaskDefinitionSource::Current => "current".to_owned(),
        },
        desired_count: match options.desired_count {
            DesiredCount::FromDefinition => "from-definition".to_owned(),
            DesiredCount::Unchanged => "unchanged".to_owned(),
            DesiredCount::Exactly(n) => n.to_string(),
        },
        force_new_deployment: options.force_new_deployment,
        update_service: options.update_service,
        wait: options.wait.map(|w| w.to_string()),
        rollback_events: [events.failure, events.alarm, events.request]
            .iter()
            .zip(ROLLBACK_EVENTS)
            .filter(|(on, _)| **on)
            .map(|(_, name)| name.to_owned())
            .collect(),
    }
}

/// The options of a saved plan (never a dry run; auto scaling is in the plan).
pub(super) fn load_options(saved: &SavedOptions, plan: &SavedPlan) -> Result<DeployOptions, Error> {
    let bad =
        |what: &str, value: &str| Error::Format(format!("not a valid plan: {what} `{value}`"));
    let task_definition = match saved.task_definition.as_str() {
        "register" => TaskDefinitionSource::Register,
        "latest" => TaskDefinitionSource::Latest,
        "current" => TaskDefinitionSource::Current,
        other => other
            .strip_prefix("revision:")
            .and_then(|n| n.parse().ok())
            .map(TaskDefinitionSource::Revision)
            .ok_or_else(|| bad("task definition source", other))?,
    };
    let desired_count = match saved.desired_count.as_str() {
        "from-definition" => DesiredCount::FromDefinition,
        "unchanged" => DesiredCount::Unchanged,
        n => DesiredCount::Exactly(n.parse().map_err(|_| bad("desired count", n))?),
    };
    let wait = match &saved.wait {
        Some(text) => Some(text.parse().map_err(|e: String| bad("wait target", &e))?),
        None => None,
    };
    Ok(DeployOptions {
        dry_run: false,
        task_definition,
        desired_count,
        force_new_deployment: saved.force_new_deployment,
        update_service: saved.update_service,
        wait,
        auto_scaling: AutoScaling {
            suspend: plan.auto_scaling_suspend,
            min: plan.auto_scaling_min,
            max: plan.auto_scaling_max,
        },
        rollback_events: RollbackEvents::parse(&saved.rollback_events.join(","))
            .map_err(|e| bad("rollback events", &e))?,
    })
}

/// The saved form of `plan`.
pub(super) fn save_plan(plan: &Plan) -> Result<SavedPlan, Error> {
    let attributes = match &plan.attributes {
        Some(input) => Some(to_json(input).map_err(|e| {
            Error::NotPlannable(format!("cannot save the service attributes: {e}"))
        })?),
        None => None,
    };
    Ok(SavedPlan {
        strategy: plan.strategy.name().to_owned(),
        service_arn: plan.service_arn.clone(),
        code_deploy: plan.code_deploy.as_ref().map(|c| SavedCodeDeploy {
            application: c.group.application.clone(),
            group: c.group.name.clone(),
            config_name: c.group.config_name.clone(),
            ready_wait_minutes: c.group.ready_wait_minutes,
            service_json: c.service_json.clone(),
        }),
        local_service: plan.local_service.as_ref().map(|d| d.value.clone()),
        task_definition: match &plan.task_definition {
            PlannedTaskDefinition::Register { definition, path } => SavedTaskDefinition::Register {
                path: path.display().to_string(),
                definition: definition.value.clone(),
            },
            PlannedTaskDefinition::Existing(arn) => {
                SavedTaskDefinition::Existing { arn: arn.clone() }
            }
        },
        previous_task_definition: plan.previous_task_definition.clone(),
        desired_count: plan.desired_count,
        previous_desired_count: plan.previous_desired_count,
        attributes,
        tags_set: plan.tags.set.clone(),
        tags_remove: plan.tags.remove.clone(),
        auto_scaling_suspend: plan.auto_scaling.suspend,
        auto_scaling_min: plan.auto_scaling.min,
        auto_scaling_max: plan.auto_scaling.max,
        force_new_deployment: plan.force_new_deployment,
    })
}

/// The `Plan` a saved plan holds, for `service`. Secrets must already be substituted.
pub(super) fn load_plan(
    saved: &SavedPlan,
    service: &str,
    rollback_events: RollbackEvents,
) -> Result<Plan, Error> {
    let strategy = STRATEGIES
        .into_iter()
        .find(|s| s.name() == saved.strategy)
        .ok_or_else(|| Error::Format(format!("not a valid plan: strategy `{}`", saved.strategy)))?;
    let attributes = match &saved.attributes {
        Some(json) => Some(
            from_json(json, UpdateServiceInput::deserialize)
                .map_err(|e| Error::Format(format!("not a valid plan: attributes: {e}")))?,
        ),
        None => None,
    };
    let definition = |value: &serde_json::Value| Definition {
        value: value.clone(),
        warnings: Vec::new(),
    };
    Ok(Plan {
        service: service.to_owned(),
        strategy,
        service_arn: saved.service_arn.clone(),
        code_deploy: saved.code_deploy.as_ref().map(|c| CodeDeployPlan {
            group: Group {
                application: c.application.clone(),
                name: c.group.clone(),
                config_name: c.config_name.clone(),
                ready_wait_minutes: c.ready_wait_minutes,
            },
            service_json: c.service_json.clone(),
            rollback_events,
        }),
        local_service: saved.local_service.as_ref().map(definition),
        task_definition: match &saved.task_definition {
            SavedTaskDefinition::Register {
                path,
                definition: d,
            } => PlannedTaskDefinition::Register {
                definition: Box::new(definition(d)),
                path: PathBuf::from(path),
            },
            SavedTaskDefinition::Existing { arn } => PlannedTaskDefinition::Existing(arn.clone()),
        },
        previous_task_definition: saved.previous_task_definition.clone(),
        desired_count: saved.desired_count,
        previous_desired_count: saved.previous_desired_count,
        attributes,
        tags: TagChanges {
            set: saved.tags_set.clone(),
            remove: saved.tags_remove.clone(),
        },
        auto_scaling: AutoScaling {
            suspend: saved.auto_scaling_suspend,
            min: saved.auto_scaling_min,
            max: saved.auto_scaling_max,
        },
        force_new_deployment: saved.force_new_deployment,
    })
}
