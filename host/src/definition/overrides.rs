//! `run --overrides` / `--overrides-file`: a TaskOverride checked as strictly as a definition
//! and more: keys are normalized to camelCase (PascalCase works, as in ecspresso), but an
//! unknown key is an error rather than a warning, since a dropped override (a misspelt
//! `command`, say) would silently run the task's default command.

use serde_json::Value;

use super::normalize::normalize;
use super::schema::TASK_OVERRIDE;

/// Normalizes `value` (from `source`: the flag or the file) to a TaskOverride JSON object, or
/// says which field is wrong.
pub fn check_task_override(value: Value, source: &str) -> Result<Value, String> {
    check_task_override_in(value, source, None)
}

/// `check_task_override` for a file whose (rendered) `text` is known: errors name the line of
/// the offending key too.
pub fn check_task_override_in(
    value: Value,
    source: &str,
    text: Option<&str>,
) -> Result<Value, String> {
    let at = |key: &str| {
        text.and_then(|t| crate::config::find_key_line(t, key))
            .map_or_else(|| source.to_owned(), |line| format!("{source}:{line}"))
    };
    if !value.is_object() {
        return Err(format!(
            "{source}: a TaskOverride must be a JSON object (e.g. {{\"containerOverrides\": [{{\"name\": \"app\", \"command\": [\"migrate\"]}}]}})"
        ));
    }
    let mut unknown = Vec::new();
    let normalized = normalize(value, &TASK_OVERRIDE, &mut unknown).map_err(|problem| {
        format!(
            "{}: {}: {}",
            at(&problem.key),
            problem.path,
            problem.message
        )
    })?;
    if let Some(key) = unknown.first() {
        let hint = key
            .suggestion
            .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
        return Err(format!(
            "{}: {}: unknown key `{}`{hint}; nothing was run",
            at(&key.key),
            key.path,
            key.key
        ));
    }
    let normalized = normalized.unwrap_or_else(|| Value::Object(Default::default()));
    for (index, name) in overridden_containers(&normalized) {
        if name.is_empty() {
            return Err(format!(
                "{source}: containerOverrides[{index}].name is required (the container to override); nothing was run"
            ));
        }
    }
    Ok(normalized)
}

/// The container names a TaskOverride names (`containerOverrides[].name`).
pub fn overridden_containers(value: &Value) -> Vec<(usize, String)> {
    value
        .get("containerOverrides")
        .and_then(Value::as_array)
        .map(|overrides| {
            overrides
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    (
                        i,
                        o.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pascal_case_is_accepted_and_normalized() {
        let checked = check_task_override(
            json!({"ContainerOverrides": [{"Name": "app", "Command": ["migrate", "up"]}]}),
            "--overrides",
        )
        .unwrap();
        assert_eq!(
            checked,
            json!({"containerOverrides": [{"name": "app", "command": ["migrate", "up"]}]})
        );
        assert_eq!(overridden_containers(&checked), [(0, "app".to_owned())]);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_naming_the_field() {
        let err = check_task_override(
            json!({"containerOverides": [{"name": "app"}]}),
            "--overrides",
        )
        .unwrap_err();
        assert!(
            err.starts_with("--overrides: containerOverides: unknown key `containerOverides` (did you mean `containerOverrides`?)"),
            "{err}"
        );
        let err = check_task_override(
            json!({"containerOverrides": [{"name": "app", "comand": ["x"]}]}),
            "o.json",
        )
        .unwrap_err();
        assert!(err.contains("containerOverrides[0].comand"), "{err}");
        let err = check_task_override(
            json!({"containerOverrides": [{"name": "app", "environment": [{"name": "A", "value": 1}]}]}),
            "o.json",
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "o.json: containerOverrides[0].environment[0].value: expected a string"
            ),
            "{err}"
        );
        assert!(check_task_override(json!([1, 2]), "--overrides").is_err());
        let err = check_task_override(
            json!({"containerOverrides": [{"name": "app", "resourceRequirements": [{"tpye": "GPU", "value": "1"}]}]}),
            "o.json",
        )
        .unwrap_err();
        assert!(err.contains("resourceRequirements[0].tpye"), "{err}");
        let err = check_task_override(
            json!({"containerOverrides": [{"command": ["x"]}]}),
            "o.json",
        )
        .unwrap_err();
        assert!(
            err.contains("containerOverrides[0].name is required"),
            "{err}"
        );
    }
}
