//! Checks a normalized definition against what the AWS SDK will send, when it is loaded, so a
//! wrong type or an unknown enum value deep inside is an error naming the field before anything
//! is written (ecspresso reads definitions into the SDK's input types the same way).
//!
//! The SDK's codec says only "type mismatch: expected integer"; the field is found by trying
//! the failing value's parts one at a time, each alone in an otherwise empty input.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{
    AssignPublicIp, AvailabilityZoneRebalancing, Compatibility, CpuArchitecture,
    DeploymentControllerType, DeploymentStrategy, IpcMode, LaunchType, LogDriver, NetworkMode,
    OsFamily, PidMode, PlacementConstraintType, PlacementStrategyType, PropagateTags,
    ProxyConfigurationType, SchedulingStrategy, TaskDefinitionPlacementConstraintType,
    TransportProtocol, UlimitName,
};
use serde_json::{Map, Value};

use super::codec::from_json;

/// A problem found: the field's path, its last key (to find its line) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkProblem {
    /// Field path, e.g. `deploymentConfiguration.maximumPercent`.
    pub path: String,
    /// The last key of the path.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Which input the definition becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// RegisterTaskDefinition.
    TaskDefinition,
    /// CreateService (a superset of what UpdateService takes from a definition).
    Service,
}

impl Input {
    fn converts(self, value: &Value) -> Result<(), String> {
        match self {
            Self::TaskDefinition => {
                from_json(value, RegisterTaskDefinitionInput::deserialize).map(drop)
            }
            Self::Service => from_json(value, CreateServiceInput::deserialize).map(drop),
        }
    }

    fn enums(self) -> &'static [EnumField] {
        match self {
            Self::TaskDefinition => TASK_DEFINITION_ENUMS,
            Self::Service => SERVICE_ENUMS,
        }
    }
}

/// A field holding an enum: its path (`[]` = every item of a list) and the SDK's known values.
type EnumField = (&'static str, fn() -> &'static [&'static str]);

/// Enum-valued fields of a service definition.
const SERVICE_ENUMS: &[EnumField] = &[
    ("launchType", LaunchType::values),
    ("schedulingStrategy", SchedulingStrategy::values),
    ("propagateTags", PropagateTags::values),
    (
        "deploymentController.type",
        DeploymentControllerType::values,
    ),
    (
        "networkConfiguration.awsvpcConfiguration.assignPublicIp",
        AssignPublicIp::values,
    ),
    ("placementStrategy[].type", PlacementStrategyType::values),
    (
        "placementConstraints[].type",
        PlacementConstraintType::values,
    ),
    (
        "availabilityZoneRebalancing",
        AvailabilityZoneRebalancing::values,
    ),
    (
        "deploymentConfiguration.strategy",
        DeploymentStrategy::values,
    ),
];

/// Enum-valued fields of a task definition.
const TASK_DEFINITION_ENUMS: &[EnumField] = &[
    ("networkMode", NetworkMode::values),
    ("requiresCompatibilities[]", Compatibility::values),
    ("pidMode", PidMode::values),
    ("ipcMode", IpcMode::values),
    (
        "placementConstraints[].type",
        TaskDefinitionPlacementConstraintType::values,
    ),
    ("proxyConfiguration.type", ProxyConfigurationType::values),
    ("runtimePlatform.cpuArchitecture", CpuArchitecture::values),
    ("runtimePlatform.operatingSystemFamily", OsFamily::values),
    (
        "containerDefinitions[].portMappings[].protocol",
        TransportProtocol::values,
    ),
    (
        "containerDefinitions[].logConfiguration.logDriver",
        LogDriver::values,
    ),
    ("containerDefinitions[].ulimits[].name", UlimitName::values),
];

/// Removes enum fields set to `""` (a template choosing "none" in some environments): the Go
/// SDK ecspresso uses leaves empty enums out of the request, while AWS refuses `""`.
pub fn drop_empty_enums(value: &mut Value, input: Input) {
    for (pattern, _) in input.enums() {
        let steps: Vec<&str> = pattern.split('.').collect();
        remove_empty(value, &steps);
    }
}

fn remove_empty(value: &mut Value, steps: &[&str]) {
    let Some((first, rest)) = steps.split_first() else {
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (*first, false),
    };
    let Some(map) = value.as_object_mut() else {
        return;
    };
    match (rest.is_empty(), each) {
        (true, false) => {
            if map.get(key).and_then(Value::as_str) == Some("") {
                map.remove(key);
            }
        }
        (true, true) => {
            if let Some(Value::Array(items)) = map.get_mut(key) {
                items.retain(|item| item.as_str() != Some(""));
                if items.is_empty() {
                    map.remove(key);
                }
            }
        }
        (false, false) => {
            if let Some(child) = map.get_mut(key) {
                remove_empty(child, rest);
            }
        }
        (false, true) => {
            if let Some(Value::Array(items)) = map.get_mut(key) {
                for item in items {
                    remove_empty(item, rest);
                }
            }
        }
    }
}

/// Checks that `value` converts to `input` and that its enum fields hold known values.
pub fn check(value: &Value, input: Input) -> Result<(), SdkProblem> {
    if let Err(message) = input.converts(value) {
        let (path, key, leaf) = find_failing_field(value, input, &message);
        let found = leaf.map_or_else(String::new, |leaf| {
            format!(", found {}", super::normalize::describe(leaf))
        });
        return Err(SdkProblem {
            path: display(&path),
            key,
            message: format!("{message}{found}"),
        });
    }
    for (pattern, values) in input.enums() {
        let mut found = Vec::new();
        collect(
            value,
            &pattern.split('.').collect::<Vec<_>>(),
            String::new(),
            &mut found,
        );
        for (path, text) in found {
            let known = values();
            if !known.contains(&text.as_str()) {
                let key = pattern
                    .rsplit('.')
                    .next()
                    .unwrap_or(pattern)
                    .trim_end_matches("[]")
                    .to_owned();
                let hint = known
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(&text))
                    .map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"));
                return Err(SdkProblem {
                    path,
                    key,
                    message: format!("\"{text}\" is not one of {}{hint}", known.join(", ")),
                });
            }
        }
    }
    Ok(())
}

/// The string values at `pattern` (keys, `key[]` for each item of a list) with their paths.
fn collect(value: &Value, pattern: &[&str], path: String, found: &mut Vec<(String, String)>) {
    let Some((first, rest)) = pattern.split_first() else {
        if let Value::String(text) = value {
            found.push((path, text.clone()));
        }
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (*first, false),
    };
    let Some(child) = value.get(key) else {
        return;
    };
    let path = if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    };
    if each {
        if let Value::Array(items) = child {
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{index}]");
                if rest.is_empty() {
                    if let Value::String(text) = item {
                        found.push((item_path, text.clone()));
                    }
                } else {
                    collect(item, rest, item_path, found);
                }
            }
        }
    } else {
        collect(child, rest, path, found);
    }
}

/// One step into a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The deepest part of `value` that fails to convert on its own with the same `message`, as a
/// path, its last key and the value there (when the path is not empty). (Alone, a part may
/// also fail for another reason: a sibling it needs is missing.)
fn find_failing_field<'v>(
    value: &'v Value,
    input: Input,
    message: &str,
) -> (Vec<Step>, String, Option<&'v Value>) {
    let mut path: Vec<Step> = Vec::new();
    let mut current = value;
    loop {
        let next = match current {
            Value::Object(map) => map.iter().find_map(|(key, child)| {
                let mut candidate = path.clone();
                candidate.push(Step::Key(key.clone()));
                fails_alone(&candidate, child, input, message)
                    .then_some((Step::Key(key.clone()), child))
            }),
            Value::Array(items) => items.iter().enumerate().find_map(|(index, child)| {
                let mut candidate = path.clone();
                candidate.push(Step::Index(index));
                fails_alone(&candidate, child, input, message)
                    .then_some((Step::Index(index), child))
            }),
            _ => None,
        };
        match next {
            Some((step, child)) => {
                path.push(step);
                current = child;
            }
            None => break,
        }
    }
    let key = path
        .iter()
        .rev()
        .find_map(|step| match step {
            Step::Key(key) => Some(key.clone()),
            Step::Index(_) => None,
        })
        .unwrap_or_default();
    let leaf = (!path.is_empty()).then_some(current);
    (path, key, leaf)
}

/// Whether an input holding only `leaf` at `path` (lists of one item on the way) fails with
/// `message`.
fn fails_alone(path: &[Step], leaf: &Value, input: Input, message: &str) -> bool {
    let mut value = leaf.clone();
    for step in path.iter().rev() {
        value = match step {
            Step::Key(key) => {
                let mut map = Map::new();
                map.insert(key.clone(), value);
                Value::Object(map)
            }
            Step::Index(_) => Value::Array(vec![value]),
        };
    }
    input.converts(&value).err().as_deref() == Some(message)
}

fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problem(value: Value, input: Input) -> SdkProblem {
        check(&value, input).unwrap_err()
    }

    #[test]
    fn a_wrong_type_deep_inside_is_found_by_path() {
        let found = problem(
            json!({"desiredCount": 1, "deploymentConfiguration": {"maximumPercent": "x", "minimumHealthyPercent": 50}}),
            Input::Service,
        );
        assert_eq!(found.path, "deploymentConfiguration.maximumPercent");
        assert_eq!(found.key, "maximumPercent");
        assert!(
            found.message.contains("expected integer")
                && found.message.ends_with("found a string (\"x\")"),
            "{found:?}"
        );

        let found = problem(
            json!({"loadBalancers": [{"containerPort": 80}, {"containerPort": "80"}]}),
            Input::Service,
        );
        assert_eq!(found.path, "loadBalancers[1].containerPort");

        let found = problem(
            json!({"family": "web", "containerDefinitions": [{"name": "app", "ulimits": [{"name": "nofile", "softLimit": "x", "hardLimit": 1}]}]}),
            Input::TaskDefinition,
        );
        assert_eq!(found.path, "containerDefinitions[0].ulimits[0].softLimit");
    }

    #[test]
    fn unknown_enum_values_name_the_known_ones() {
        let found = problem(json!({"launchType": "FARGATEX"}), Input::Service);
        assert_eq!(found.path, "launchType");
        assert!(
            found.message.starts_with("\"FARGATEX\" is not one of ")
                && found.message.contains("FARGATE"),
            "{found:?}"
        );
        let found = problem(
            json!({"family": "web", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "protocol": "tcp"}, {"containerPort": 81, "protocol": "sctp"}]}]}),
            Input::TaskDefinition,
        );
        assert_eq!(
            found.path,
            "containerDefinitions[0].portMappings[1].protocol"
        );
        assert_eq!(found.key, "protocol");
        let found = problem(
            json!({"family": "web", "requiresCompatibilities": ["FARGATE", "LAMBDA"]}),
            Input::TaskDefinition,
        );
        assert_eq!(found.path, "requiresCompatibilities[1]");
        let found = problem(json!({"launchType": "fargate"}), Input::Service);
        assert!(
            found.message.ends_with("(did you mean `FARGATE`?)"),
            "{found:?}"
        );
    }

    #[test]
    fn empty_enum_values_are_left_out_as_the_go_sdk_does() {
        let mut service = json!({"launchType": "", "desiredCount": 1, "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "", "subnets": ["s"]}}});
        drop_empty_enums(&mut service, Input::Service);
        assert_eq!(
            service,
            json!({"desiredCount": 1, "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}}})
        );
        assert_eq!(check(&service, Input::Service), Ok(()));
        let mut task = json!({"family": "web", "networkMode": "", "requiresCompatibilities": [""], "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "protocol": ""}]}]});
        drop_empty_enums(&mut task, Input::TaskDefinition);
        assert_eq!(
            task,
            json!({"family": "web", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80}]}]})
        );
    }

    #[test]
    fn valid_definitions_pass() {
        assert_eq!(
            check(
                &json!({"launchType": "FARGATE", "desiredCount": 2, "deploymentConfiguration": {"maximumPercent": 200, "strategy": "BLUE_GREEN"}, "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}]}),
                Input::Service
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &json!({"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "containerDefinitions": [{"name": "app", "image": "nginx", "portMappings": [{"containerPort": 80, "protocol": "tcp"}], "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}}]}),
                Input::TaskDefinition
            ),
            Ok(())
        );
    }
}
