//! Test plugin (functions): `upper(text)`, `join(sep, a, b)` and `setting(key)` (from config).
use ristretto_plugin_sdk::{Context, FunctionDecl, Plugin, Value, plugin};

struct DemoFunctions;

#[plugin]
impl Plugin for DemoFunctions {
    fn functions(_ctx: &Context) -> Vec<FunctionDecl> {
        vec![
            FunctionDecl::new("upper", &["text"]),
            FunctionDecl {
                required: 2,
                ..FunctionDecl::new("join", &["sep", "a", "b"])
            },
            FunctionDecl::new("setting", &["key"]),
        ]
    }

    fn call(ctx: &Context, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let text = |i: usize| args.get(i).and_then(Value::as_str).map(str::to_owned);
        match name {
            "upper" => Ok(Value::from(
                text(0).ok_or("upper needs a string")?.to_uppercase(),
            )),
            "join" => {
                let sep = text(0).unwrap_or_default();
                let parts: Vec<String> = (1..args.len()).filter_map(text).collect();
                Ok(Value::from(parts.join(&sep)))
            }
            "setting" => {
                let key = text(0).ok_or("setting needs a key")?;
                ctx.config
                    .get(&key)
                    .cloned()
                    .ok_or(format!("no setting {key}"))
            }
            other => Err(format!("unknown function {other}")),
        }
    }
}
