//! Organisation policy on task and service definitions (a transform). It adds what the policy
//! supplies (default tags, ulimits, docker labels) and rejects what it forbids, reporting every
//! violation at once, each naming the container and field. A violation aborts the command
//! before anything is sent to AWS.
//!
//! ```yaml
//! config:
//!   required_tags: [team]                              # must be present
//!   default_tags: {cost-center: "1234"}                # added when missing
//!   forbid_latest: true                                # no image tagged :latest (or untagged)
//!   require_awslogs: true                              # every container logs with awslogs
//!   max_cpu: 4096                                      # task-level cpu units
//!   max_memory: 8192                                   # task-level memory MiB
//!   require_readonly_root: true                        # readonlyRootFilesystem: true
//!   default_ulimits: [{name: nofile, softLimit: 65536, hardLimit: 65536}]
//!   default_labels: {com.example.owner: platform}
//! ```

use ristretto_plugin_sdk::{Context, DefinitionKind, Plugin, Value, json, register_plugin};

struct Policy;

fn apply_tags(definition: &mut Value, config: &Value, violations: &mut Vec<String>) {
    if !definition["tags"].is_array() {
        definition["tags"] = json!([]);
    }
    let Some(tags) = definition["tags"].as_array_mut() else { return };
    if let Some(defaults) = config["default_tags"].as_object() {
        for (key, value) in defaults {
            if !tags.iter().any(|t| t["key"] == *key) {
                tags.push(
                    json!({"key": key, "value": value.as_str().map_or_else(|| value.to_string(), str::to_owned)}),
                );
            }
        }
    }
    for key in config["required_tags"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !tags.iter().any(|t| t["key"] == key) {
            violations.push(format!("tags: required tag `{key}` is missing"));
        }
    }
}

fn number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.trim().parse().ok())
}

fn check_container(container: &mut Value, config: &Value, violations: &mut Vec<String>) {
    let name = container["name"].as_str().unwrap_or("(unnamed)").to_owned();
    let image = container["image"].as_str().unwrap_or_default().to_owned();
    let tag = image.rsplit('/').next().and_then(|last| last.split_once(':')).map(|(_, tag)| tag);
    if config["forbid_latest"].as_bool() == Some(true) && !image.contains('@') && matches!(tag, None | Some("latest")) {
        violations.push(format!("container `{name}` image: `{image}` must be pinned to a tag other than latest"));
    }
    if config["require_awslogs"].as_bool() == Some(true) && container["logConfiguration"]["logDriver"] != "awslogs" {
        violations.push(format!("container `{name}` logConfiguration.logDriver: must be awslogs"));
    }
    if config["require_readonly_root"].as_bool() == Some(true) && container["readonlyRootFilesystem"] != true {
        violations.push(format!("container `{name}` readonlyRootFilesystem: must be true"));
    }
    if let Some(defaults) = config["default_ulimits"].as_array() {
        if !container["ulimits"].is_array() {
            container["ulimits"] = json!([]);
        }
        if let Some(ulimits) = container["ulimits"].as_array_mut() {
            for default in defaults {
                if !ulimits.iter().any(|u| u["name"] == default["name"]) {
                    ulimits.push(default.clone());
                }
            }
        }
    }
    if let Some(labels) = config["default_labels"].as_object() {
        if !container["dockerLabels"].is_object() {
            container["dockerLabels"] = json!({});
        }
        if let Some(existing) = container["dockerLabels"].as_object_mut() {
            for (key, value) in labels {
                existing.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
}

impl Plugin for Policy {
    fn transform(ctx: &Context, kind: DefinitionKind, mut definition: Value) -> Result<Value, String> {
        let config = &ctx.config;
        let mut violations = Vec::new();
        apply_tags(&mut definition, config, &mut violations);
        if kind == DefinitionKind::TaskDefinition {
            for (field, limit) in [("cpu", "max_cpu"), ("memory", "max_memory")] {
                if let (Some(value), Some(max)) = (number(&definition[field]), config[limit].as_u64())
                    && value > max
                {
                    violations.push(format!("{field}: {value} exceeds the limit of {max}"));
                }
            }
            if let Some(containers) = definition["containerDefinitions"].as_array_mut() {
                for container in containers {
                    check_container(container, config, &mut violations);
                }
            }
        }
        if violations.is_empty() {
            Ok(definition)
        } else {
            let what = if kind == DefinitionKind::TaskDefinition { "task definition" } else { "service definition" };
            Err(format!("{} policy violation(s) in the {what}: {}", violations.len(), violations.join("; ")))
        }
    }
}

register_plugin!(Policy, capabilities: [transform], description: "organisation policy on definitions");
