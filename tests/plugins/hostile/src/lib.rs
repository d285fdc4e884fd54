//! Test plugin (transform) that misbehaves as `config.mode` says: loop, memory, recursion,
//! panic, garbage, oversized, not-object, http (to `config.url`), imds, env, files, secret,
//! sleep (ten minutes in a WASI clock wait, where epoch interruption cannot reach), rename
//! (changes the task family or the service's cluster and name), log-flood (logs without end).
//! Each must be contained by the host with an error naming the plugin and hook.
use ristretto_plugin_sdk::{Context, DefinitionKind, Plugin, Value, http, json, plugin, secrets};

struct Hostile;

fn recurse(depth: u64, buffer: &mut Vec<u64>) -> u64 {
    buffer.push(depth);
    if depth == u64::MAX {
        0
    } else {
        recurse(depth + 1, buffer) + buffer[buffer.len() / 2]
    }
}

#[plugin]
impl Plugin for Hostile {
    fn transform(ctx: &Context, _kind: DefinitionKind, definition: Value) -> Result<Value, String> {
        let mode = ctx.config.get("mode").and_then(Value::as_str).unwrap_or("");
        match mode {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
                    if n == 42 {
                        return Ok(definition);
                    }
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                }
            }
            "recursion" => {
                let mut buffer = Vec::new();
                Ok(json!(recurse(0, &mut buffer)))
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "rename" => {
                let mut definition = definition;
                if let Some(object) = definition.as_object_mut() {
                    if object.contains_key("containerDefinitions") {
                        object.insert("family".to_owned(), json!("victim"));
                    } else {
                        object.insert("cluster".to_owned(), json!("other"));
                        object.insert("serviceName".to_owned(), json!("victim"));
                    }
                }
                Ok(definition)
            }
            "log-flood" => loop {
                ristretto_plugin_sdk::log::info(&"flood ".repeat(1000));
            },
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(600));
                Ok(definition)
            }
            "garbage" => Err("\u{0}\u{1}garbage".to_owned())
                .or_else(|_: String| Ok(Value::String("{not json".to_owned()))),
            "oversized" => Ok(Value::String("x".repeat(8 << 20))),
            "not-object" => Ok(json!([1, 2, 3])),
            "http" | "imds" => {
                let url = if mode == "imds" {
                    "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
                } else {
                    ctx.config
                        .get("url")
                        .and_then(Value::as_str)
                        .unwrap_or("https://example.com/")
                };
                match http::get(url) {
                    Ok(response) => Err(format!(
                        "request to {url} was NOT denied: status {}",
                        response.status
                    )),
                    Err(e) => Err(format!("request to {url} failed as expected: {e}")),
                }
            }
            "env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                Err(format!(
                    "environment has {} variables: {vars:?}",
                    vars.len()
                ))
            }
            "files" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => Err(format!("read /etc/passwd: {} bytes", text.len())),
                Err(e) => Err(format!("cannot read files, as expected: {e}")),
            },
            "secret" => match secrets::get("env:NOT_ALLOWED") {
                Ok(value) => Err(format!("read a secret it was not granted: {value}")),
                Err(e) => Err(format!("secret refused, as expected: {e}")),
            },
            _ => Ok(definition),
        }
    }
}
