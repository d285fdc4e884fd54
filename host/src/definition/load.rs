//! Loads a definition file: render, parse, unwrap, normalize, type-check. Returns the JSON
//! value and warnings (unknown keys) for the caller to show. Makes no AWS calls.

use std::path::Path;

use serde_json::Value;

use super::Error;
use super::normalize::{UnknownKey, lower_first, normalize};
use super::schema::{SERVICE_DEFINITION, Shape, TASK_DEFINITION};
use super::sdk_check::{Input, check, drop_empty_enums};
use crate::render::{Renderer, SourceKind};

/// A loaded definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The normalized JSON, in AWS API shape (camelCase, sorted keys).
    pub value: Value,
    /// Non-fatal problems (unknown keys), each naming the file.
    pub warnings: Vec<String>,
}

/// Loads a task definition, bare or in describe-task-definition's `{"taskDefinition": …}`
/// wrapper (its sibling `tags` are kept), with camelCase or PascalCase keys.
pub fn load_task_definition(path: &Path, renderer: &Renderer) -> Result<Definition, Error> {
    let (value, text, kind) = render_json(path, renderer)?;
    let value = unwrap_task_definition(value);
    finish(
        path,
        &text,
        kind,
        value,
        &TASK_DEFINITION,
        "task definition",
        Some(Input::TaskDefinition),
    )
}

/// Loads a service definition. `service`, when given (the config's `service`), replaces the
/// file's `serviceName`, as ecspresso does.
pub fn load_service_definition(
    path: &Path,
    renderer: &Renderer,
    service: Option<&str>,
) -> Result<Definition, Error> {
    let (value, text, kind) = render_json(path, renderer)?;
    let mut definition = finish(
        path,
        &text,
        kind,
        value,
        &SERVICE_DEFINITION,
        "service definition",
        Some(Input::Service),
    )?;
    if let (Some(name), Value::Object(map)) = (service, &mut definition.value) {
        map.insert("serviceName".to_owned(), Value::from(name));
    }
    Ok(definition)
}

/// Loads an ECS Express mode definition (keys normalized, not type-checked).
pub fn load_express_definition(path: &Path, renderer: &Renderer) -> Result<Definition, Error> {
    let (value, text, kind) = render_json(path, renderer)?;
    finish(
        path,
        &text,
        kind,
        value,
        &Shape::AnyObject,
        "express definition",
        None,
    )
}

fn render_json(path: &Path, renderer: &Renderer) -> Result<(Value, String, SourceKind), Error> {
    let kind = SourceKind::for_definition(path);
    let text = renderer.render_file(path, kind)?;
    let value = serde_json::from_str(&text).map_err(|err| {
        Error::Syntax(crate::config::SyntaxError {
            path: path.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: match kind {
                SourceKind::Jsonnet => format!(
                    "invalid JSON in the rendered output: {}",
                    crate::config::strip_position(&err.to_string())
                ),
                SourceKind::Template => format!(
                    "invalid JSON: {}",
                    crate::config::strip_position(&err.to_string())
                ),
            },
        })
    })?;
    Ok((value, text, kind))
}

/// `{"taskDefinition": {...}, "tags": [...]}` → `{..., "tags": [...]}`.
fn unwrap_task_definition(value: Value) -> Value {
    let Value::Object(mut outer) = value else {
        return value;
    };
    let wrapper_key = outer
        .keys()
        .find(|k| lower_first(k) == "taskDefinition")
        .cloned();
    let Some(key) = wrapper_key else {
        return Value::Object(outer);
    };
    match outer.remove(&key) {
        Some(Value::Object(mut inner)) => {
            if let Some(tags_key) = outer.keys().find(|k| lower_first(k) == "tags").cloned()
                && let Some(tags) = outer.remove(&tags_key)
            {
                inner.insert("tags".to_owned(), tags);
            }
            Value::Object(inner)
        }
        Some(other) => {
            outer.insert(key, other);
            Value::Object(outer)
        }
        None => Value::Object(outer),
    }
}

fn finish(
    path: &Path,
    text: &str,
    kind: SourceKind,
    value: Value,
    shape: &Shape,
    what: &'static str,
    input: Option<Input>,
) -> Result<Definition, Error> {
    let found = match &value {
        Value::Object(_) => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("null"),
    };
    if let Some(found) = found {
        return Err(Error::NotAnObject {
            path: path.to_path_buf(),
            what,
            found,
        });
    }
    let mut unknown = Vec::new();
    let normalized = normalize(value, shape, &mut unknown).map_err(|problem| Error::Type {
        location: locate(path, text, kind, &problem.key),
        what,
        field: problem.path,
        message: problem.message,
    })?;
    let mut value = normalized.unwrap_or_else(|| Value::Object(Default::default()));
    if let Some(input) = input {
        drop_empty_enums(&mut value, input);
        check(&value, input).map_err(|problem| Error::Type {
            location: locate(path, text, kind, &problem.key),
            what,
            field: problem.path,
            message: problem.message,
        })?;
    }
    let warnings = unknown
        .iter()
        .map(|u| describe_unknown(path, text, kind, what, u))
        .collect();
    Ok(Definition { value, warnings })
}

fn describe_unknown(
    path: &Path,
    text: &str,
    kind: SourceKind,
    what: &str,
    unknown: &UnknownKey,
) -> String {
    let hint = unknown
        .suggestion
        .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
    format!(
        "{}: unknown {what} field `{}` is ignored{hint}",
        locate(path, text, kind, &unknown.key),
        unknown.path
    )
}

/// `file:line` for JSON sources (the rendered text keeps the source's lines); the file alone
/// for Jsonnet, whose output lines do not match the source.
fn locate(path: &Path, text: &str, kind: SourceKind, key: &str) -> String {
    match kind {
        SourceKind::Template => match crate::config::find_key_line(text, key) {
            Some(line) => format!("{}:{line}", path.display()),
            None => path.display().to_string(),
        },
        SourceKind::Jsonnet => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unwraps_describe_output_with_tags() {
        let value =
            json!({"taskDefinition": {"family": "web"}, "tags": [{"key": "a", "value": "b"}]});
        assert_eq!(
            unwrap_task_definition(value),
            json!({"family": "web", "tags": [{"key": "a", "value": "b"}]})
        );
        let value = json!({"TaskDefinition": {"Family": "web"}});
        assert_eq!(unwrap_task_definition(value), json!({"Family": "web"}));
        let bare = json!({"family": "web"});
        assert_eq!(unwrap_task_definition(bare.clone()), bare);
    }
}

/// Which definition a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    /// A task definition.
    Task,
    /// A service definition.
    Service,
}

/// Normalizes a definition read from AWS (describe output) into the shape of a definition file:
/// read-only fields dropped, nulls and empty lists dropped, keys sorted.
pub fn normalize_from_aws(value: Value, kind: DefinitionKind) -> Value {
    let shape = match kind {
        DefinitionKind::Task => &TASK_DEFINITION,
        DefinitionKind::Service => &SERVICE_DEFINITION,
    };
    let mut unknown = Vec::new();
    normalize(value.clone(), shape, &mut unknown)
        .ok()
        .flatten()
        .unwrap_or(value)
}
