//! Organisation policy on task, service and express definitions (a transform). It adds what the policy
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
//!   max_cpu: 4096                                      # task-level (or express) cpu units
//!   max_memory: 8192                                   # task-level (or express) memory MiB
//!   require_readonly_root: true                        # readonlyRootFilesystem: true
//!   default_ulimits: [{name: nofile, softLimit: 65536, hardLimit: 65536}]
//!   default_labels: {com.example.owner: platform}
//! ```
//!
//! The config is checked first and a mistake fails closed: an unknown key or a value of the
//! wrong kind is an error, never a silently disabled rule. Flags and limits may be strings
//! (`"true"`, `"4096"`), as a templated config renders them.

use ristretto_plugin_sdk::{Context, DefinitionKind, Plugin, Value, json, plugin};

struct Policy;

const KEYS: [&str; 9] = [
    "required_tags",
    "default_tags",
    "forbid_latest",
    "require_awslogs",
    "max_cpu",
    "max_memory",
    "require_readonly_root",
    "default_ulimits",
    "default_labels",
];

/// A yes/no rule: absent is no; `true`/`false` or their strings.
fn flag(config: &Value, key: &str) -> Result<bool, String> {
    match &config[key] {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") || s.trim().is_empty() => {
            Ok(false)
        }
        other => Err(format!("`{key}` must be true or false, got {other}")),
    }
}

/// A limit: absent is none; a whole number or its string.
fn limit(config: &Value, key: &str) -> Result<Option<u64>, String> {
    match &config[key] {
        Value::Null => Ok(None),
        value => number(value)
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be a whole number, got {value}")),
    }
}

/// Fails on an unknown key (naming the nearest known one) or a value of the wrong kind.
fn check_config(config: &Value) -> Result<(), String> {
    if config.is_null() {
        return Ok(());
    }
    let Some(map) = config.as_object() else {
        return Err(format!("policy config must be a mapping, got {config}"));
    };
    if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        let near = KEYS.iter().find(|k| {
            k.len().abs_diff(key.len()) <= 2
                && k.chars().zip(key.chars()).filter(|(a, b)| a == b).count() + 2 >= k.len()
        });
        let hint = near.map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"));
        return Err(format!(
            "policy config: unknown key `{key}`{hint}; known: {}",
            KEYS.join(", ")
        ));
    }
    for key in ["forbid_latest", "require_awslogs", "require_readonly_root"] {
        flag(config, key).map_err(|e| format!("policy config: {e}"))?;
    }
    for key in ["max_cpu", "max_memory"] {
        limit(config, key).map_err(|e| format!("policy config: {e}"))?;
    }
    for (key, ok) in [
        (
            "required_tags",
            config["required_tags"].is_null()
                || config["required_tags"]
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string)),
        ),
        (
            "default_tags",
            config["default_tags"].is_null() || config["default_tags"].is_object(),
        ),
        (
            "default_ulimits",
            config["default_ulimits"].is_null() || config["default_ulimits"].is_array(),
        ),
        (
            "default_labels",
            config["default_labels"].is_null() || config["default_labels"].is_object(),
        ),
    ] {
        if !ok {
            return Err(format!(
                "policy config: `{key}` has the wrong kind of value: {}",
                config[key]
            ));
        }
    }
    Ok(())
}

fn apply_tags(definition: &mut Value, config: &Value, violations: &mut Vec<String>) {
    if !definition["tags"].is_array() {
        definition["tags"] = json!([]);
    }
    let Some(tags) = definition["tags"].as_array_mut() else {
        return;
    };
    if let Some(defaults) = config["default_tags"].as_object() {
        for (key, value) in defaults {
            if !tags.iter().any(|t| t["key"] == *key) {
                tags.push(
                    json!({"key": key, "value": value.as_str().map_or_else(|| value.to_string(), str::to_owned)}),
                );
            }
        }
    }
    for key in config["required_tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !tags.iter().any(|t| t["key"] == key) {
            violations.push(format!("tags: required tag `{key}` is missing"));
        }
    }
}

fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str()?.trim().parse().ok())
}

/// `forbid_latest` on the image of the container `who` names.
fn check_image(who: &str, container: &Value, config: &Value, violations: &mut Vec<String>) {
    let image = container["image"].as_str().unwrap_or_default();
    let tag = image
        .rsplit('/')
        .next()
        .and_then(|last| last.split_once(':'))
        .map(|(_, tag)| tag);
    if flag(config, "forbid_latest") == Ok(true)
        && !image.contains('@')
        && matches!(tag, None | Some("latest"))
    {
        violations.push(format!(
            "{who} image: `{image}` must be pinned to a tag other than latest"
        ));
    }
}

/// `cpu` and `memory` of a task or express definition against `max_cpu` and `max_memory`.
fn check_limits(definition: &Value, config: &Value, violations: &mut Vec<String>) {
    for (field, limit) in [("cpu", "max_cpu"), ("memory", "max_memory")] {
        if let (Some(value), Ok(Some(max))) =
            (number(&definition[field]), self::limit(config, limit))
            && value > max
        {
            violations.push(format!("{field}: {value} exceeds the limit of {max}"));
        }
    }
}

fn check_container(container: &mut Value, config: &Value, violations: &mut Vec<String>) {
    let name = container["name"].as_str().unwrap_or("(unnamed)").to_owned();
    check_image(
        &format!("container `{name}`"),
        container,
        config,
        violations,
    );
    if flag(config, "require_awslogs") == Ok(true)
        && container["logConfiguration"]["logDriver"] != "awslogs"
    {
        violations.push(format!(
            "container `{name}` logConfiguration.logDriver: must be awslogs"
        ));
    }
    if flag(config, "require_readonly_root") == Ok(true)
        && container["readonlyRootFilesystem"] != true
    {
        violations.push(format!(
            "container `{name}` readonlyRootFilesystem: must be true"
        ));
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

#[plugin(description = "organisation policy on definitions")]
impl Plugin for Policy {
    fn transform(
        ctx: &Context,
        kind: DefinitionKind,
        mut definition: Value,
    ) -> Result<Value, String> {
        let config = &ctx.config;
        check_config(config)?;
        let mut violations = Vec::new();
        apply_tags(&mut definition, config, &mut violations);
        match kind {
            DefinitionKind::TaskDefinition => {
                check_limits(&definition, config, &mut violations);
                if let Some(containers) = definition["containerDefinitions"].as_array_mut() {
                    for container in containers {
                        check_container(container, config, &mut violations);
                    }
                }
            }
            // An Express service's one container always logs with awslogs and has no
            // ulimits, labels or root file system setting: limits and the image apply.
            DefinitionKind::ExpressDefinition => {
                check_limits(&definition, config, &mut violations);
                check_image(
                    "primaryContainer",
                    &definition["primaryContainer"],
                    config,
                    &mut violations,
                );
            }
            DefinitionKind::ServiceDefinition => {}
        }
        if violations.is_empty() {
            Ok(definition)
        } else {
            let what = match kind {
                DefinitionKind::TaskDefinition => "task definition",
                DefinitionKind::ServiceDefinition => "service definition",
                DefinitionKind::ExpressDefinition => "express definition",
            };
            Err(format!(
                "{} policy violation(s) in the {what}: {}",
                violations.len(),
                violations.join("; ")
            ))
        }
    }
}
