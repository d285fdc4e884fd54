//! The function registry shared by Go templates and Jsonnet (`std.native('name')`). Functions
//! are registered by name at run time (built-ins first, then AWS lookups and plugin functions,
//! each with an optional `func_prefix`); a clash is an error unless the newcomer is a default
//! that yields, as ecspresso's implicit plugins do.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::Error;
use super::gotemplate::FunctionSource;

/// The implementation of a function: evaluated arguments in, a value or a message out.
pub type Callable = Arc<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// A named function with its parameter list.
#[derive(Clone)]
pub struct Function {
    name: String,
    params: Vec<String>,
    required: usize,
    variadic: bool,
    json_in_templates: bool,
    origin: String,
    call: Callable,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("params", &self.params)
            .field("required", &self.required)
            .field("variadic", &self.variadic)
            .field("json_in_templates", &self.json_in_templates)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Function {
    /// A function whose parameters (named for Jsonnet) are all required.
    pub fn new(
        name: impl Into<String>,
        params: &[&str],
        call: impl Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            required: params.len(),
            variadic: false,
            json_in_templates: false,
            origin: "built-in functions".to_owned(),
            call: Arc::new(call),
        }
    }

    /// Makes only the first `required` parameters mandatory.
    pub fn with_required(mut self, required: usize) -> Self {
        self.required = required.min(self.params.len());
        self
    }

    /// Accepts extra arguments after the declared parameters (Go templates only; Jsonnet
    /// callers can pass up to the declared count).
    pub fn variadic(mut self) -> Self {
        self.variadic = true;
        self
    }

    /// In Go templates, gives non-string results as JSON text (numbers, booleans, lists and
    /// objects), as ecspresso's `tfstate` does; Jsonnet callers still get the value.
    pub fn json_in_templates(mut self) -> Self {
        self.json_in_templates = true;
        self
    }

    /// Names who provides the function (e.g. "plugin `tfstate`"), for clash messages.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The function's name (prefix included once registered).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parameter names.
    pub fn params(&self) -> &[String] {
        &self.params
    }

    /// Number of mandatory parameters.
    pub fn required(&self) -> usize {
        self.required
    }

    /// Calls the function after checking the argument count.
    pub fn call(&self, args: &[Value]) -> Result<Value, String> {
        let max = self.params.len();
        if args.len() < self.required || (!self.variadic && args.len() > max) {
            let expected = match (self.required == max, self.variadic) {
                (_, true) => format!("at least {}", self.required),
                (true, false) => max.to_string(),
                (false, false) => format!("{} to {max}", self.required),
            };
            let plural = if expected == "1" { "" } else { "s" };
            return Err(format!(
                "{} takes {expected} argument{plural} ({}), got {}",
                self.name,
                self.params.join(", "),
                args.len()
            ));
        }
        (self.call)(args)
    }
}

/// Functions by name.
#[derive(Debug, Clone, Default)]
pub struct FunctionRegistry {
    functions: BTreeMap<String, Function>,
    secrets: SecretValues,
}

/// The secret values functions returned during a command (an SSM SecureString, say), by
/// reference (`ssm:NAME`): what a saved plan stores as reference and hash, never in clear.
#[derive(Debug, Clone, Default)]
pub struct SecretValues(Arc<std::sync::Mutex<BTreeMap<String, String>>>);

impl SecretValues {
    /// Records that `reference` resolved to the secret `value`.
    pub fn record(&self, reference: String, value: String) {
        if let Ok(mut values) = self.0.lock() {
            values.insert(reference, value);
        }
    }

    /// The secret values read so far, by reference.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl FunctionRegistry {
    /// Registers `function` as `prefix + name`. Fails if the name is taken.
    pub fn register(&mut self, prefix: &str, mut function: Function) -> Result<(), Error> {
        function.name = format!("{prefix}{}", function.name);
        if let Some(existing) = self.functions.get(&function.name) {
            return Err(Error::FunctionClash {
                name: function.name,
                existing_origin: existing.origin.clone(),
                new_origin: function.origin,
            });
        }
        self.functions.insert(function.name.clone(), function);
        Ok(())
    }

    /// Registers `function` unless the name is taken, in which case the existing one wins
    /// (ecspresso's implicit `ssm`/`secretsmanager` plugins yield this way).
    pub fn register_default(&mut self, prefix: &str, mut function: Function) {
        function.name = format!("{prefix}{}", function.name);
        self.functions
            .entry(function.name.clone())
            .or_insert(function);
    }

    /// Sets `origin` on every function not named in `before` (those registered since), so a
    /// later clash names precisely who registered them.
    pub fn relabel_since(&mut self, before: &std::collections::BTreeSet<String>, origin: &str) {
        for (name, function) in &mut self.functions {
            if !before.contains(name) {
                function.origin = origin.to_owned();
            }
        }
    }

    /// The names registered so far.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        self.functions.keys().cloned().collect()
    }

    /// The function named `name`.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.functions.get(name)
    }

    /// All functions, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Function> {
        self.functions.values()
    }

    /// Where functions record the secret values they return.
    pub fn secret_values(&self) -> &SecretValues {
        &self.secrets
    }
}

impl FunctionSource for FunctionRegistry {
    fn contains(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match self.functions.get(name) {
            Some(function) => match function.call(args)? {
                Value::String(text) => Ok(Value::String(text)),
                other if function.json_in_templates => Ok(Value::String(other.to_string())),
                other => Ok(other),
            },
            None => Err(format!("function {name:?} not defined")),
        }
    }

    /// Plugin functions (`external`, WebAssembly) return JSON values: a template that outputs
    /// one whole gets JSON text, which is what a definition file can embed.
    fn composites_print_as_json(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(name: &str, value: &'static str) -> Function {
        Function::new(name, &[], move |_| Ok(Value::from(value)))
    }

    #[test]
    fn prefix_and_clash() {
        let mut registry = FunctionRegistry::default();
        registry
            .register("", constant("tfstate", "a").with_origin("plugin `first`"))
            .unwrap();
        let err = registry
            .register("", constant("tfstate", "b").with_origin("plugin `second`"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("plugin `first`")
                && msg.contains("plugin `second`")
                && msg.contains("func_prefix"),
            "{msg}"
        );
        registry
            .register("second_", constant("tfstate", "b"))
            .unwrap();
        assert_eq!(
            FunctionSource::call(&registry, "second_tfstate", &[]),
            Ok(Value::from("b"))
        );
        assert_eq!(
            FunctionSource::call(&registry, "tfstate", &[]),
            Ok(Value::from("a"))
        );
    }

    #[test]
    fn defaults_yield() {
        let mut registry = FunctionRegistry::default();
        registry.register("", constant("ssm", "user")).unwrap();
        registry.register_default("", constant("ssm", "default"));
        registry.register_default("", constant("other", "default"));
        assert_eq!(
            FunctionSource::call(&registry, "ssm", &[]),
            Ok(Value::from("user"))
        );
        assert_eq!(
            FunctionSource::call(&registry, "other", &[]),
            Ok(Value::from("default"))
        );
    }

    #[test]
    fn json_in_templates_only() {
        let mut registry = FunctionRegistry::default();
        let object = |_: &[Value]| Ok(serde_json::json!({"b": 1, "a": [true]}));
        registry
            .register("", Function::new("obj", &[], object).json_in_templates())
            .unwrap();
        registry
            .register("", Function::new("raw", &[], object))
            .unwrap();
        assert_eq!(
            FunctionSource::call(&registry, "obj", &[]),
            Ok(Value::from(r#"{"a":[true],"b":1}"#))
        );
        assert!(
            FunctionSource::call(&registry, "raw", &[])
                .unwrap()
                .is_object()
        );
        let jsonnet_side = registry.get("obj").unwrap().call(&[]).unwrap();
        assert!(jsonnet_side.is_object());
    }

    #[test]
    fn argument_counts_are_checked() {
        let f = Function::new("env", &["name", "default"], |_| Ok(Value::Null)).with_required(1);
        assert!(f.call(&[Value::from("A")]).is_ok());
        assert!(f.call(&[Value::from("A"), Value::from("B")]).is_ok());
        let err = f.call(&[]).unwrap_err();
        assert!(err.contains("env takes 1 to 2 arguments"), "{err}");
        let err = f
            .call(&[Value::Null, Value::Null, Value::Null])
            .unwrap_err();
        assert!(err.contains("got 3"), "{err}");
        let g = Function::new("join", &["sep"], |_| Ok(Value::Null)).variadic();
        assert!(g.call(&[Value::Null, Value::Null, Value::Null]).is_ok());
    }
}
