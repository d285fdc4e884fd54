//! {{name}}: ristretto template functions. It provides `greet(name)`, called as
//! `{{ greet "world" }}` in Go templates (plus the entry's `func_prefix`).
use ristretto_plugin_sdk::{Context, FunctionDecl, Plugin, Value, plugin};

struct Functions;

#[plugin(description = "{{name}} template functions")]
impl Plugin for Functions {
    fn functions(_ctx: &Context) -> Vec<FunctionDecl> {
        vec![FunctionDecl::new("greet", &["name"])]
    }

    fn call(_ctx: &Context, name: &str, args: Vec<Value>) -> Result<Value, String> {
        match name {
            "greet" => {
                let who = args
                    .first()
                    .and_then(Value::as_str)
                    .ok_or("greet needs a name")?;
                Ok(Value::from(format!("hello, {who}")))
            }
            other => Err(format!("no function {other}")),
        }
    }
}
