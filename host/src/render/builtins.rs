//! The built-in functions every config and definition can call, in Go templates and as Jsonnet
//! natives: `env NAME [DEFAULT]`, `must_env NAME`, `json_escape VALUE` (kayac/go-config's).

use serde_json::Value;

use super::{Function, FunctionRegistry};
use crate::environment::Environment;

/// Registers `env`, `must_env` and `json_escape` over `environment`. Built-ins are registered
/// before anything else, so they cannot clash.
pub fn register_builtins(registry: &mut FunctionRegistry, environment: Environment) {
    let env_for_env = environment.clone();
    registry.register_default(
        "",
        Function::new("env", &["name", "default"], move |args| {
            let name = string_arg("env", args, 0)?;
            let default = match args.get(1) {
                Some(value) => to_text(value),
                None => String::new(),
            };
            Ok(Value::from(
                env_for_env
                    .get(&name)
                    .filter(|v| !v.is_empty())
                    .map_or(default, str::to_owned),
            ))
        })
        .with_required(1),
    );
    registry.register_default(
        "",
        Function::new("must_env", &["name"], move |args| {
            let name = string_arg("must_env", args, 0)?;
            environment
                .get(&name)
                .map(|v| Value::from(v.to_owned()))
                .ok_or_else(|| format!("environment variable {name} is not defined"))
        }),
    );
    registry.register_default(
        "",
        Function::new("json_escape", &["value"], |args| {
            let text = args.first().map(to_text).unwrap_or_default();
            let quoted = serde_json::to_string(&text).map_err(|e| e.to_string())?;
            Ok(Value::from(quoted[1..quoted.len() - 1].to_owned()))
        }),
    );
}

/// Argument `index` as a string (numbers and booleans are formatted).
fn string_arg(function: &str, args: &[Value], index: usize) -> Result<String, String> {
    match args.get(index) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(other) => Err(format!(
            "{function}: argument {} must be a string, got {other}",
            index + 1
        )),
        None => Err(format!("{function}: missing argument {}", index + 1)),
    }
}

/// A value as text: strings raw, everything else as JSON.
fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::gotemplate::FunctionSource;

    fn registry(vars: &[(&str, &str)]) -> FunctionRegistry {
        let mut registry = FunctionRegistry::default();
        register_builtins(&mut registry, Environment::from_vars(vars.iter().copied()));
        registry
    }

    #[test]
    fn env_uses_default_when_unset_or_empty() {
        let r = registry(&[("SET", "value"), ("EMPTY", "")]);
        assert_eq!(
            r.call("env", &["SET".into(), "d".into()]),
            Ok("value".into())
        );
        assert_eq!(r.call("env", &["EMPTY".into(), "d".into()]), Ok("d".into()));
        assert_eq!(r.call("env", &["UNSET".into(), "d".into()]), Ok("d".into()));
        assert_eq!(r.call("env", &["UNSET".into()]), Ok("".into()));
    }

    #[test]
    fn must_env_fails_only_when_unset() {
        let r = registry(&[("EMPTY", "")]);
        assert_eq!(r.call("must_env", &["EMPTY".into()]), Ok("".into()));
        let err = r.call("must_env", &["NOPE".into()]).unwrap_err();
        assert_eq!(err, "environment variable NOPE is not defined");
    }

    #[test]
    fn json_escape_escapes_for_embedding() {
        let r = registry(&[]);
        assert_eq!(
            r.call("json_escape", &["a\"b\\c\nd".into()]),
            Ok("a\\\"b\\\\c\\nd".into())
        );
    }
}
