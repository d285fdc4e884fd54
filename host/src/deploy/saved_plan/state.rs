//! The AWS state a plan depends on, read from the described service (and, when the plan
//! changes auto scaling, its scalable targets), and the differences `apply` reports as drift.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::Service;
use serde_json::Value;

use super::Error;
use super::format::{AwsState, ScalableTarget};
use crate::app::App;
use crate::deploy::diff::{remote_service_json, service_for_diff};

/// The state of `remote` that a plan depends on. Scalable targets are read when `scaling`.
pub(super) async fn read(
    app: &App<'_>,
    remote: &Service,
    scaling: bool,
) -> Result<AwsState, Error> {
    let code_deploy = crate::deploy::strategy::is_code_deploy(remote);
    let mut definition = service_for_diff(remote_service_json(remote)?, &[], true, code_deploy);
    if let Value::Object(map) = &mut definition {
        map.remove("desiredCount");
        map.remove("tags");
    }
    if crate::deploy::express::is_express(remote) {
        definition = crate::deploy::express::managed::without_managed(definition);
    }
    let mut deployments: Vec<String> = remote
        .deployments()
        .iter()
        .filter_map(|d| d.id().map(str::to_owned))
        .collect();
    deployments.sort();
    let scalable_targets = if scaling {
        let resource = format!(
            "service/{}/{}",
            app.cluster(),
            remote.service_name().unwrap_or_default()
        );
        let output = crate::deploy::autoscaling::describe_targets(app, &resource).await?;
        Some(
            output
                .scalable_targets()
                .iter()
                .map(|t| {
                    let suspended = t.suspended_state();
                    ScalableTarget {
                        dimension: t.scalable_dimension().as_str().to_owned(),
                        min: Some(t.min_capacity()),
                        max: Some(t.max_capacity()),
                        suspended: [
                            suspended
                                .and_then(|s| s.dynamic_scaling_in_suspended())
                                .unwrap_or(false),
                            suspended
                                .and_then(|s| s.dynamic_scaling_out_suspended())
                                .unwrap_or(false),
                            suspended
                                .and_then(|s| s.scheduled_scaling_suspended())
                                .unwrap_or(false),
                        ],
                    }
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(AwsState {
        service_arn: remote.service_arn().unwrap_or_default().to_owned(),
        task_definition: crate::deploy::service::primary_task_definition(remote),
        deployments,
        desired_count: remote.desired_count(),
        tags: remote
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        service_definition: definition,
        scalable_targets,
    })
}

/// What changed from `planned` to `now`, one line each (empty: nothing).
pub(super) fn drift(planned: &AwsState, now: &AwsState) -> Vec<String> {
    let mut changes = Vec::new();
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
    if planned.service_arn != now.service_arn {
        changes.push(format!(
            "the service is another one: {} (planned against {})",
            now.service_arn, planned.service_arn
        ));
    }
    if planned.task_definition != now.task_definition {
        changes.push(format!(
            "task definition: {} now, planned against {}",
            text(&now.task_definition),
            text(&planned.task_definition)
        ));
    }
    if planned.deployments != now.deployments {
        changes.push(format!(
            "deployments: [{}] now, planned against [{}]",
            now.deployments.join(", "),
            planned.deployments.join(", ")
        ));
    }
    if planned.desired_count != now.desired_count {
        changes.push(format!(
            "desired count: {} now, planned against {}",
            now.desired_count, planned.desired_count
        ));
    }
    changes.extend(tag_drift(&planned.tags, &now.tags));
    if planned.service_definition != now.service_definition {
        changes.push(format!(
            "service attributes changed: {}",
            changed_keys(&planned.service_definition, &now.service_definition).join(", ")
        ));
    }
    if planned.scalable_targets != now.scalable_targets {
        changes.push(format!(
            "auto scaling targets: {} now, planned against {}",
            describe_targets(now.scalable_targets.as_deref()),
            describe_targets(planned.scalable_targets.as_deref())
        ));
    }
    changes
}

fn tag_drift(planned: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    let mut changes = Vec::new();
    for (key, value) in now {
        match planned.get(key) {
            None => changes.push(format!("tag {key}: added ({value:?})")),
            Some(before) if before != value => {
                changes.push(format!(
                    "tag {key}: {value:?} now, planned against {before:?}"
                ));
            }
            Some(_) => {}
        }
    }
    for key in planned.keys().filter(|k| !now.contains_key(*k)) {
        changes.push(format!("tag {key}: removed"));
    }
    changes
}

/// The top-level keys whose values differ.
fn changed_keys(a: &Value, b: &Value) -> Vec<String> {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return vec!["(the whole definition)".to_owned()];
    };
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn describe_targets(targets: Option<&[ScalableTarget]>) -> String {
    match targets {
        None => "not read".to_owned(),
        Some([]) => "none".to_owned(),
        Some(targets) => targets
            .iter()
            .map(|t| {
                format!(
                    "min {} max {}{}",
                    t.min.unwrap_or_default(),
                    t.max.unwrap_or_default(),
                    if t.suspended.iter().any(|s| *s) {
                        " (suspended)"
                    } else {
                        ""
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn state() -> AwsState {
        AwsState {
            service_arn: "arn:aws:ecs:us-east-1:123456789012:service/c/web".to_owned(),
            task_definition: Some("web:1".to_owned()),
            deployments: vec!["ecs-svc/1".to_owned()],
            desired_count: 1,
            tags: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
            service_definition: json!({"launchType": "FARGATE"}),
            scalable_targets: None,
        }
    }

    #[test]
    fn drift_names_each_change() {
        assert!(drift(&state(), &state()).is_empty());
        let mut now = state();
        now.desired_count = 3;
        now.tags.insert("env".to_owned(), "dev".to_owned());
        now.service_definition = json!({"launchType": "EC2"});
        let changes = drift(&state(), &now);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(changes[0].contains("desired count: 3 now, planned against 1"));
        assert!(changes[1].contains("tag env"));
        assert!(changes[2].contains("launchType"));
    }
}
