//! The express definition (ecspresso's `express_definition`: a CreateExpressGatewayService input
//! without `cluster` and `serviceName`) as JSON: loading it, turning it into Create/Update
//! inputs, reading the same shape back from DescribeExpressGatewayService, and the diff
//! normalization. Everything but `load` is pure.

use aws_sdk_ecs::operation::create_express_gateway_service::CreateExpressGatewayServiceInput;
use aws_sdk_ecs::operation::update_express_gateway_service::UpdateExpressGatewayServiceInput;
use aws_sdk_ecs::types::EcsExpressGatewayService;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::definition::{Definition, drop_empty, from_json, to_json};
use crate::deploy::Error;
use crate::plugins::DefinitionKind;

/// The members an express definition holds, as CreateExpressGatewayService names them (minus
/// `cluster` and `serviceName`, which come from the config).
const MEMBERS: [&str; 12] = [
    "executionRoleArn",
    "infrastructureRoleArn",
    "taskRoleArn",
    "taskDefinitionArn",
    "cpu",
    "memory",
    "cpuArchitecture",
    "healthCheckPath",
    "networkConfiguration",
    "primaryContainer",
    "scalingTarget",
    "tags",
];

/// What AWS fills in when a member is not sent (ECS Developer Guide, "express-service-work"):
/// filled on both sides of a diff so an omitted member does not show as a change.
const DEFAULTS: [(&str, &str); 4] = [
    ("cpu", "1024"),
    ("memory", "2048"),
    ("cpuArchitecture", "X86_64"),
    ("healthCheckPath", "/ping"),
];

/// Loads the configured express definition and applies the plugins' transforms (plugins built
/// for contract 0.1.0, which has no express definitions, leave it as it is and say so). The
/// result must still hold only express definition members.
pub fn load(app: &App<'_>) -> Result<Definition, Error> {
    let path = app.config.express_definition_path().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: `express_definition` is not set",
            app.config.path.display()
        ))
    })?;
    app.config
        .check_file_exists("express_definition", &path)
        .map_err(Error::Invalid)?;
    let mut loaded = crate::definition::load_express_definition(&path, &app.renderer)?;
    for warning in &loaded.warnings {
        app.warn_once(warning);
    }
    loaded.value = app.plugins.transform(
        &app.context(),
        DefinitionKind::ExpressDefinition,
        loaded.value,
    )?;
    let Value::Object(map) = &loaded.value else {
        return Err(Error::Invalid(format!(
            "{}: an express definition must be a JSON object",
            path.display()
        )));
    };
    if let Some(key) = map.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        let hint = if matches!(key.as_str(), "cluster" | "serviceName") {
            " (it comes from the config)"
        } else {
            ""
        };
        return Err(Error::Invalid(format!(
            "{}: `{key}` is not a member of an express definition{hint}; members: {}",
            path.display(),
            MEMBERS.join(", ")
        )));
    }
    Ok(loaded)
}

/// The CreateExpressGatewayService input for `definition` in `cluster` as `service`.
pub fn create_input(
    definition: &Value,
    cluster: &str,
    service: &str,
    source: &str,
) -> Result<CreateExpressGatewayServiceInput, Error> {
    let mut input: CreateExpressGatewayServiceInput =
        from_json(definition, CreateExpressGatewayServiceInput::deserialize)
            .map_err(|e| invalid(source, &e))?;
    input.cluster = Some(cluster.to_owned());
    input.service_name = Some(service.to_owned());
    Ok(input)
}

/// The UpdateExpressGatewayService input for `definition` on the service `arn`. An empty
/// environment and secrets list is sent explicitly, so removing the last one removes it (as
/// ecspresso does); `infrastructureRoleArn` and `tags` are not updatable this way (tags go
/// through TagResource / UntagResource).
pub fn update_input(
    definition: &Value,
    arn: &str,
    source: &str,
) -> Result<UpdateExpressGatewayServiceInput, Error> {
    let mut value = definition.clone();
    if let Value::Object(map) = &mut value {
        map.remove("infrastructureRoleArn");
        map.remove("tags");
        if let Some(Value::Object(container)) = map.get_mut("primaryContainer") {
            container.entry("environment").or_insert_with(|| json!([]));
            container.entry("secrets").or_insert_with(|| json!([]));
        }
        map.insert("serviceArn".to_owned(), Value::from(arn));
    }
    from_json(&value, UpdateExpressGatewayServiceInput::deserialize)
        .map_err(|e| invalid(source, &e))
}

fn invalid(source: &str, message: &str) -> Error {
    Error::Invalid(format!(
        "{source}: not a valid express definition: {message}"
    ))
}

/// The described service as an express definition: the infrastructure role, the newest active
/// configuration's members (as ecspresso's `init` reads them) and the tags. The configuration's
/// `taskDefinitionArn` is kept only when `keep_task_definition` (the local definition names
/// one); otherwise it is the task definition ECS registered for the configuration.
pub fn from_remote(
    service: &EcsExpressGatewayService,
    keep_task_definition: bool,
) -> Result<Value, Error> {
    let configuration = service.active_configurations().first().ok_or_else(|| {
        Error::Invalid(format!(
            "express service {} has no active configuration",
            service.service_name().unwrap_or_default()
        ))
    })?;
    let json = to_json(configuration)
        .map_err(|e| Error::Invalid(format!("cannot read the express configuration: {e}")))?;
    let mut out = Map::new();
    if let Some(role) = service.infrastructure_role_arn() {
        out.insert("infrastructureRoleArn".to_owned(), Value::from(role));
    }
    if let Value::Object(map) = json {
        for (key, value) in map {
            let wanted = MEMBERS.contains(&key.as_str())
                && (key != "taskDefinitionArn" || keep_task_definition);
            if wanted {
                out.insert(key, value);
            }
        }
    }
    if !service.tags().is_empty() {
        let tags = service
            .tags()
            .iter()
            .map(|t| json!({"key": t.key(), "value": t.value()}))
            .collect();
        out.insert("tags".to_owned(), Value::Array(tags));
    }
    Ok(drop_empty(Value::Object(out)))
}

/// Normalizes both sides of an express diff, as ecspresso's `diffExpressGatewayServices`:
/// lists sorted (subnets, security groups, tags by key, environment and secrets by name), AWS's
/// defaults filled, ignored tags removed, and `networkConfiguration`, `scalingTarget` and
/// `primaryContainer.awsLogsConfiguration` (which AWS fills in) left out of both sides when the
/// local definition does not set them. Returns `(remote, local)`.
pub fn for_diff(remote: Value, local: Value, ignored_tags: &[String]) -> (Value, Value) {
    let mut dropped = Vec::new();
    for key in ["networkConfiguration", "scalingTarget"] {
        if local.get(key).is_none() {
            dropped.push(vec![key]);
        }
    }
    if local.get("primaryContainer").is_some()
        && local["primaryContainer"]
            .get("awsLogsConfiguration")
            .is_none()
    {
        dropped.push(vec!["primaryContainer", "awsLogsConfiguration"]);
    }
    let normalize = |value: Value| {
        if value.is_null() {
            return value;
        }
        let mut value = drop_empty(value);
        for path in &dropped {
            remove_path(&mut value, path);
        }
        fill_and_sort(&mut value, ignored_tags);
        drop_empty(value)
    };
    (normalize(remote), normalize(local))
}

fn remove_path(value: &mut Value, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            if let Value::Object(map) = value {
                map.remove(*last);
            }
        }
        [first, rest @ ..] => {
            if let Some(inner) = value.get_mut(*first) {
                remove_path(inner, rest);
            }
        }
    }
}

fn fill_and_sort(value: &mut Value, ignored_tags: &[String]) {
    let Value::Object(map) = value else {
        return;
    };
    if !map.contains_key("taskDefinitionArn") {
        for (key, default) in DEFAULTS {
            map.entry(key).or_insert_with(|| Value::from(default));
        }
    }
    if let Some(Value::Object(network)) = map.get_mut("networkConfiguration") {
        for key in ["subnets", "securityGroups"] {
            if let Some(Value::Array(list)) = network.get_mut(key) {
                list.sort_by_key(Value::to_string);
            }
        }
    }
    if let Some(Value::Array(tags)) = map.get_mut("tags") {
        tags.retain(|t| {
            !t["key"]
                .as_str()
                .is_some_and(|k| ignored_tags.iter().any(|i| i == k))
        });
        sort_by_field(tags, "key");
    }
    if let Some(Value::Object(container)) = map.get_mut("primaryContainer") {
        container
            .entry("containerPort")
            .or_insert_with(|| Value::from(80));
        for key in ["environment", "secrets"] {
            if let Some(Value::Array(list)) = container.get_mut(key) {
                sort_by_field(list, "name");
            }
        }
    }
}

fn sort_by_field(list: &mut [Value], field: &str) {
    list.sort_by(|a, b| {
        a[field]
            .as_str()
            .unwrap_or_default()
            .cmp(b[field].as_str().unwrap_or_default())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_members_aws_fills_do_not_differ() {
        let local = json!({
            "executionRoleArn": "arn:aws:iam::1:role/exec",
            "primaryContainer": {"image": "nginx:1", "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]},
            "tags": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}, {"key": "skip", "value": "3"}]
        });
        let remote = json!({
            "executionRoleArn": "arn:aws:iam::1:role/exec",
            "cpu": "1024", "memory": "2048", "cpuArchitecture": "X86_64", "healthCheckPath": "/ping",
            "networkConfiguration": {"subnets": ["s-2", "s-1"], "securityGroups": ["sg-1"]},
            "scalingTarget": {"autoScalingMetric": "AVERAGE_CPU", "autoScalingTargetValue": 60},
            "primaryContainer": {"image": "nginx:1", "containerPort": 80,
                "awsLogsConfiguration": {"logGroup": "/aws/ecs/c/web", "logStreamPrefix": "ecs"},
                "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            "tags": [{"key": "a", "value": "2"}, {"key": "z", "value": "1"}]
        });
        let (remote, local) = for_diff(remote, local, &["skip".to_owned()]);
        assert_eq!(remote, local);
    }

    #[test]
    fn a_new_image_and_a_set_network_differ() {
        let local = json!({"primaryContainer": {"image": "nginx:2"},
            "networkConfiguration": {"subnets": ["s-1"]}});
        let remote = json!({"primaryContainer": {"image": "nginx:1"},
            "networkConfiguration": {"subnets": ["s-1"], "securityGroups": ["sg-1"]}});
        let (remote, local) = for_diff(remote, local, &[]);
        assert_eq!(remote["primaryContainer"]["image"], "nginx:1");
        assert_eq!(local["primaryContainer"]["image"], "nginx:2");
        assert_ne!(
            remote["networkConfiguration"],
            local["networkConfiguration"]
        );
    }

    #[test]
    fn update_input_resets_environment_and_leaves_out_create_only_members() {
        let definition = json!({"infrastructureRoleArn": "arn:aws:iam::1:role/infra",
            "executionRoleArn": "arn:aws:iam::1:role/exec",
            "primaryContainer": {"image": "nginx:2"}, "tags": [{"key": "a", "value": "b"}]});
        let input = update_input(&definition, "arn:aws:ecs:r:1:service/c/web", "x").unwrap();
        assert_eq!(input.service_arn(), Some("arn:aws:ecs:r:1:service/c/web"));
        let container = input.primary_container().unwrap();
        assert_eq!(container.image(), "nginx:2");
        assert_eq!(container.environment, Some(Vec::new()));
        assert_eq!(container.secrets, Some(Vec::new()));
    }

    #[test]
    fn create_input_takes_cluster_and_name_from_the_config() {
        let definition = json!({"primaryContainer": {"image": "nginx:1", "containerPort": 8080},
            "scalingTarget": {"minTaskCount": 1, "maxTaskCount": 3}});
        let input = create_input(&definition, "prod", "web", "x").unwrap();
        assert_eq!(input.cluster(), Some("prod"));
        assert_eq!(input.service_name(), Some("web"));
        assert_eq!(
            input.primary_container().unwrap().container_port(),
            Some(8080)
        );
        assert_eq!(input.scaling_target().unwrap().max_task_count(), Some(3));
    }
}
