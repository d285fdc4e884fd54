//! Normalizes a definition to the AWS API's JSON conventions, as ecspresso's
//! `MarshalJSONForAPI` does: keys camelCase (user keys inside `dockerLabels`, `options`,
//! `driverOpts` and `labels` kept verbatim), nulls and empty lists dropped, keys sorted (by
//! the map type). Checks types against `schema` and reports unknown keys as warnings.

use serde_json::{Map, Value};

use super::schema::{Field, Shape};

/// Keys whose object values hold user keys that must not be re-cased.
const VERBATIM_MAPS: [&str; 4] = ["dockerLabels", "options", "driverOpts", "labels"];

/// A value of the wrong type, with the JSON path of the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeProblem {
    /// Field path, e.g. `containerDefinitions[0].memory`.
    pub path: String,
    /// The last key of the path (for finding its line).
    pub key: String,
    /// What was expected and found.
    pub message: String,
}

/// An unknown key, dropped from the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// Field path of the key.
    pub path: String,
    /// The key as written.
    pub key: String,
    /// A known key it is probably a misspelling of.
    pub suggestion: Option<&'static str>,
}

/// Normalizes `value` against `shape`. Returns `None` when nothing is left (null, empty list).
pub fn normalize(
    value: Value,
    shape: &Shape,
    unknown: &mut Vec<UnknownKey>,
) -> Result<Option<Value>, TypeProblem> {
    normalize_at(value, shape, "", "", unknown)
}

fn normalize_at(
    value: Value,
    shape: &Shape,
    path: &str,
    key: &str,
    unknown: &mut Vec<UnknownKey>,
) -> Result<Option<Value>, TypeProblem> {
    if value.is_null() {
        return Ok(None);
    }
    let mismatch = |expected: &str, value: &Value| TypeProblem {
        path: display_path(path),
        key: key.to_owned(),
        message: format!("expected {expected}, found {}", describe(value)),
    };
    Ok(match shape {
        Shape::ReadOnly => None,
        Shape::String => match value {
            Value::String(_) => Some(value),
            other => return Err(mismatch("a string", &other)),
        },
        Shape::Integer => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(value),
            Value::Number(n)
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
            {
                #[allow(clippy::cast_possible_truncation)]
                Some(Value::from(n.as_f64().unwrap_or_default() as i64))
            }
            _ => return Err(mismatch("an integer", &value)),
        },
        Shape::Boolean => match value {
            Value::Bool(_) => Some(value),
            other => return Err(mismatch("true or false", &other)),
        },
        Shape::StringMap => match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    match v {
                        Value::Null => {}
                        Value::String(_) => {
                            out.insert(k, v);
                        }
                        other => {
                            return Err(TypeProblem {
                                path: display_path(&format!("{path}.{k}")),
                                key: k.clone(),
                                message: format!("expected a string, found {}", describe(&other)),
                            });
                        }
                    }
                }
                Some(Value::Object(out))
            }
            other => return Err(mismatch("an object of strings", &other)),
        },
        Shape::List(item) => match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.into_iter().enumerate() {
                    if let Some(v) = normalize_at(v, item, &format!("{path}[{i}]"), key, unknown)? {
                        out.push(v);
                    }
                }
                (!out.is_empty()).then_some(Value::Array(out))
            }
            other => return Err(mismatch("a list", &other)),
        },
        Shape::Object(fields) => match value {
            Value::Object(map) => {
                Some(Value::Object(normalize_object(map, fields, path, unknown)?))
            }
            other => return Err(mismatch("an object", &other)),
        },
        Shape::AnyObject => match value {
            Value::Object(_) => normalize_any(value, false),
            other => return Err(mismatch("an object", &other)),
        },
    })
}

fn normalize_object(
    map: Map<String, Value>,
    fields: &[Field],
    path: &str,
    unknown: &mut Vec<UnknownKey>,
) -> Result<Map<String, Value>, TypeProblem> {
    let mut out = Map::new();
    for (raw_key, v) in map {
        // Exact camelCase or PascalCase first; then any letter case, as Go's encoding/json
        // (and so ecspresso) matches keys (`healthcheck` is `healthCheck`).
        let field = fields
            .iter()
            .find(|f| f.name == lower_first(&raw_key))
            .or_else(|| {
                fields
                    .iter()
                    .find(|f| f.name.eq_ignore_ascii_case(&raw_key))
            });
        let key = field.map_or_else(|| lower_first(&raw_key), |f| f.name.to_owned());
        let child = format!("{path}.{key}");
        match field {
            Some(field) => {
                if let Some(v) = normalize_at(v, &field.shape, &child, &raw_key, unknown)? {
                    out.insert(key, v);
                }
            }
            None => unknown.push(UnknownKey {
                path: display_path(&child),
                key: raw_key,
                suggestion: suggest(&key, fields),
            }),
        }
    }
    Ok(out)
}

/// Normalizes an unchecked value: keys camelCased unless `verbatim`, nulls and empty lists
/// dropped.
fn normalize_any(value: Value, verbatim: bool) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) => {
            let out: Vec<Value> = items
                .into_iter()
                .filter_map(|v| normalize_any(v, false))
                .collect();
            (!out.is_empty()).then_some(Value::Array(out))
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = if verbatim { k } else { lower_first(&k) };
                let child_verbatim = VERBATIM_MAPS.contains(&key.as_str());
                if let Some(v) = normalize_any(v, child_verbatim) {
                    out.insert(key, v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other),
    }
}

/// `ContainerDefinitions` → `containerDefinitions`.
pub fn lower_first(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn display_path(path: &str) -> String {
    path.strip_prefix('.').unwrap_or(path).to_owned()
}

pub(super) fn describe(value: &Value) -> String {
    let mut text = value.to_string();
    if text.len() > 40 {
        let cut = (0..=40)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    format!("{kind} ({text})")
}

/// The known field closest to `key` by edit distance, if close enough to be a typo.
fn suggest(key: &str, fields: &[Field]) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    fields
        .iter()
        .filter(|f| !matches!(f.shape, Shape::ReadOnly))
        .map(|f| {
            (
                strsim::levenshtein(&lower, &f.name.to_ascii_lowercase()),
                f.name,
            )
        })
        .filter(|(d, name)| *d <= 2.max(name.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Drops nulls, empty lists and empty objects everywhere: none of them carries information
/// AWS keeps.
pub fn drop_empty(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| match drop_empty(v) {
                    Value::Null => None,
                    Value::Array(a) if a.is_empty() => None,
                    Value::Object(o) if o.is_empty() => None,
                    v => Some((k, v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(drop_empty)
                .filter(|v| !v.is_null())
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::definition::schema::{SERVICE_DEFINITION, TASK_DEFINITION};

    fn run(value: Value, shape: &Shape) -> (Result<Option<Value>, TypeProblem>, Vec<UnknownKey>) {
        let mut unknown = Vec::new();
        (normalize(value, shape, &mut unknown), unknown)
    }

    #[test]
    fn keys_match_in_any_letter_case_as_go_does() {
        let input = json!({
            "family": "web",
            "containerdefinitions": [{"NAME": "app", "healthcheck": {"command": ["CMD", "true"]}}]
        });
        let (result, unknown) = run(input, &TASK_DEFINITION);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(
            result.unwrap().unwrap(),
            json!({"family": "web", "containerDefinitions": [{"name": "app", "healthCheck": {"command": ["CMD", "true"]}}]})
        );
    }

    #[test]
    fn pascal_case_is_camel_cased_except_user_maps() {
        let input = json!({
            "Family": "web",
            "ContainerDefinitions": [{
                "Name": "app", "Image": "nginx", "Memory": 128,
                "DockerLabels": {"Com.Example": "x"},
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "g", "Mode": "x"}},
                "Environment": [], "Secrets": null
            }],
            "Volumes": [{"Name": "v", "DockerVolumeConfiguration": {"DriverOpts": {"Type": "nfs"}, "Labels": {"A": "b"}}}],
            "Cpu": "256",
            "Tags": [{"Key": "k", "Value": "v"}],
            "Revision": 3,
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX"}
        });
        let (result, unknown) = run(input, &TASK_DEFINITION);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(
            result.unwrap().unwrap(),
            json!({
                "family": "web",
                "containerDefinitions": [{
                    "name": "app", "image": "nginx", "memory": 128,
                    "dockerLabels": {"Com.Example": "x"},
                    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "Mode": "x"}}
                }],
                "volumes": [{"name": "v", "dockerVolumeConfiguration": {"driverOpts": {"Type": "nfs"}, "labels": {"A": "b"}}}],
                "cpu": "256",
                "tags": [{"key": "k", "value": "v"}],
                "runtimePlatform": {"operatingSystemFamily": "LINUX"}
            })
        );
    }

    #[test]
    fn wrong_types_name_the_field_path() {
        let input = json!({"family": "web", "containerDefinitions": [{"name": "a"}, {"name": "b", "memory": "lots"}]});
        let (result, _) = run(input, &TASK_DEFINITION);
        let problem = result.unwrap_err();
        assert_eq!(problem.path, "containerDefinitions[1].memory");
        assert_eq!(
            problem.message,
            "expected an integer, found a string (\"lots\")"
        );

        let (result, _) = run(
            json!({"containerDefinitions": [{"environment": [{"name": "N", "value": 1}]}]}),
            &TASK_DEFINITION,
        );
        assert_eq!(
            result.unwrap_err().path,
            "containerDefinitions[0].environment[0].value"
        );
        let (result, _) = run(json!({"desiredCount": "2"}), &SERVICE_DEFINITION);
        assert_eq!(result.unwrap_err().path, "desiredCount");
        let (result, _) = run(
            json!({"containerDefinitions": {"name": "x"}}),
            &TASK_DEFINITION,
        );
        assert_eq!(
            result.unwrap_err().message,
            "expected a list, found an object ({\"name\":\"x\"})"
        );
    }

    #[test]
    fn unknown_keys_are_reported_with_suggestions() {
        let (result, unknown) = run(
            json!({"family": "web", "contianerDefinitions": [], "zzz": 1}),
            &TASK_DEFINITION,
        );
        assert_eq!(result.unwrap().unwrap(), json!({"family": "web"}));
        assert_eq!(unknown.len(), 2);
        assert_eq!(unknown[0].key, "contianerDefinitions");
        assert_eq!(unknown[0].suggestion, Some("containerDefinitions"));
        assert_eq!(unknown[1].suggestion, None);
    }

    #[test]
    fn nulls_and_empty_lists_drop_everywhere() {
        let input = json!({"deploymentConfiguration": {"alarms": {"alarmNames": [], "enable": false}, "x": null}, "loadBalancers": []});
        let (result, _) = run(input, &SERVICE_DEFINITION);
        assert_eq!(
            result.unwrap().unwrap(),
            json!({"deploymentConfiguration": {"alarms": {"enable": false}}})
        );
    }

    #[test]
    fn normalization_is_idempotent() {
        let input = json!({"Family": "web", "ContainerDefinitions": [{"Name": "a", "PortMappings": [{"ContainerPort": 80}]}]});
        let (once, _) = run(input, &TASK_DEFINITION);
        let once = once.unwrap().unwrap();
        let (twice, _) = run(once.clone(), &TASK_DEFINITION);
        assert_eq!(twice.unwrap().unwrap(), once);
    }
}
