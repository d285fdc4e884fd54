//! AWS lookups usable in configs and definitions, in Go templates and Jsonnet alike, as
//! ecspresso's implicit `ssm` and `secretsmanager` plugins: `ssm NAME [INDEX]`,
//! `ssm_list NAME INDEX` (SecureString decrypted; StringList items by index) and
//! `secretsmanager_arn NAME`. Results are cached for the run. AWS is reached lazily (only when a
//! lookup is called) on a private runtime, so rendering without lookups costs nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::aws::Clients;
use crate::render::{Function, FunctionRegistry};

/// Shared state of the lookups of one command.
pub struct AwsLookups {
    region: Mutex<Option<String>>,
    assume_role_arn: Option<String>,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    clients: Mutex<HashMap<Option<String>, Clients>>,
    cache: Mutex<HashMap<String, Result<Value, String>>>,
}

impl Drop for AwsLookups {
    /// The private runtime may be dropped from inside the command's async context (the
    /// renderer lives in the command's `App`); shut it down without blocking.
    fn drop(&mut self) {
        if let Some(Ok(runtime)) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl AwsLookups {
    /// Lookups using the SDK's default region until `set_region` is called.
    pub fn new(assume_role_arn: Option<String>) -> Arc<Self> {
        Arc::new(Self {
            region: Mutex::new(None),
            assume_role_arn,
            runtime: OnceLock::new(),
            clients: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Uses the config's region from now on.
    pub fn set_region(&self, region: Option<String>) {
        if let Ok(mut current) = self.region.lock() {
            *current = region;
        }
    }

    /// Runs `f` with clients for the current region, blocking on a private runtime in a
    /// separate thread (callers may be inside another runtime).
    fn call<T: Send>(
        &self,
        f: impl AsyncFnOnce(&Clients) -> Result<T, String> + Send,
    ) -> Result<T, String> {
        let runtime = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| format!("cannot start the AWS runtime: {e}"))?;
        let region = self.region.lock().map(|r| r.clone()).unwrap_or_default();
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    runtime.block_on(async {
                        let existing = self
                            .clients
                            .lock()
                            .ok()
                            .and_then(|c| c.get(&region).cloned());
                        let clients = match existing {
                            Some(clients) => clients,
                            None => {
                                let clients = Clients::load(
                                    region.as_deref(),
                                    self.assume_role_arn.as_deref(),
                                )
                                .await;
                                if let Ok(mut all) = self.clients.lock() {
                                    all.insert(region.clone(), clients.clone());
                                }
                                clients
                            }
                        };
                        f(&clients).await
                    })
                })
                .join()
                .map_err(|_| "the AWS lookup panicked".to_owned())?
        })
    }

    fn cached(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<Value, String>,
    ) -> Result<Value, String> {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return hit;
        }
        let value = compute();
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, value.clone());
        }
        value
    }

    fn ssm(&self, name: &str) -> Result<Value, String> {
        self.cached(format!("ssm:{name}"), || {
            self.call(async |clients: &Clients| {
                let output = clients
                    .ssm
                    .get_parameter()
                    .name(name)
                    .with_decryption(true)
                    .send()
                    .await
                    .map_err(|err| {
                        format!("parameter {name}: {}", crate::aws::describe_error(&err))
                    })?;
                let parameter = output
                    .parameter()
                    .ok_or_else(|| format!("parameter {name} not found"))?;
                let value = parameter.value().unwrap_or_default().to_owned();
                Ok(match parameter.r#type().map(|t| t.as_str()) {
                    Some("StringList") => Value::Array(
                        value
                            .split(',')
                            .map(|s| Value::from(s.to_owned()))
                            .collect(),
                    ),
                    _ => Value::from(value),
                })
            })
        })
    }

    fn secretsmanager_arn(&self, name: &str) -> Result<Value, String> {
        self.cached(format!("secretsmanager:{name}"), || {
            self.call(async |clients: &Clients| {
                let output = clients
                    .secretsmanager
                    .describe_secret()
                    .secret_id(name)
                    .send()
                    .await
                    .map_err(|err| {
                        format!("secret {name}: {}", crate::aws::describe_error(&err))
                    })?;
                output
                    .arn()
                    .map(|arn| Value::from(arn.to_owned()))
                    .ok_or_else(|| format!("secret {name} has no ARN"))
            })
        })
    }
}

fn text_arg(args: &[Value], index: usize, function: &str) -> Result<String, String> {
    match args.get(index) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "{function}: argument {} must be a string, got {other}",
            index + 1
        )),
        None => Err(format!("{function}: missing argument {}", index + 1)),
    }
}

fn index_arg(args: &[Value], index: usize) -> Result<Option<usize>, String> {
    match args.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| format!("index {n} is not a non-negative integer")),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("index `{s}` is not a number")),
        Some(other) => Err(format!("index {other} is not a number")),
    }
}

fn pick(value: Value, index: Option<usize>, name: &str) -> Result<Value, String> {
    match (value, index) {
        (Value::Array(items), Some(i)) => items.get(i).cloned().ok_or_else(|| {
            format!(
                "parameter {name} has {} items; index {i} is out of range",
                items.len()
            )
        }),
        (Value::Array(_), None) => Err(format!(
            "parameter {name} is a StringList: give an index (ssm \"{name}\" 0)"
        )),
        (value, None) => Ok(value),
        (_, Some(_)) => Err(format!(
            "parameter {name} is not a StringList; it takes no index"
        )),
    }
}

/// Registers `ssm`, `ssm_list` (with `ssm_prefix`) and `secretsmanager_arn` (with
/// `secretsmanager_prefix`). `implicit` registrations yield to existing names, as ecspresso's
/// implicit plugins do.
pub fn register(
    registry: &mut FunctionRegistry,
    lookups: &Arc<AwsLookups>,
    ssm_prefix: Option<&str>,
    secretsmanager_prefix: Option<&str>,
    implicit: bool,
) -> Result<(), crate::render::Error> {
    let mut functions = Vec::new();
    if let Some(prefix) = ssm_prefix {
        let l = lookups.clone();
        functions.push((
            prefix,
            Function::new("ssm", &["name", "index"], move |args| {
                let name = text_arg(args, 0, "ssm")?;
                pick(l.ssm(&name)?, index_arg(args, 1)?, &name)
            })
            .with_required(1)
            .with_origin("plugin `ssm`"),
        ));
        let l = lookups.clone();
        functions.push((
            prefix,
            Function::new("ssm_list", &["name", "index"], move |args| {
                let name = text_arg(args, 0, "ssm_list")?;
                let index = index_arg(args, 1)?.ok_or("ssm_list: missing index")?;
                pick(l.ssm(&name)?, Some(index), &name)
            })
            .with_origin("plugin `ssm`"),
        ));
    }
    if let Some(prefix) = secretsmanager_prefix {
        let l = lookups.clone();
        functions.push((
            prefix,
            Function::new("secretsmanager_arn", &["name"], move |args| {
                let name = text_arg(args, 0, "secretsmanager_arn")?;
                l.secretsmanager_arn(&name)
            })
            .with_origin("plugin `secretsmanager`"),
        ));
    }
    for (prefix, function) in functions {
        if implicit {
            registry.register_default(prefix, function);
        } else {
            registry.register(prefix, function)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_lists_need_an_index() {
        let list = json!(["a", "b"]);
        assert_eq!(pick(list.clone(), Some(1), "/p"), Ok(json!("b")));
        assert!(
            pick(list.clone(), None, "/p")
                .unwrap_err()
                .contains("give an index")
        );
        assert!(
            pick(list, Some(5), "/p")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            pick(json!("x"), Some(0), "/p")
                .unwrap_err()
                .contains("not a StringList")
        );
        assert_eq!(index_arg(&[json!("x"), json!("2")], 1), Ok(Some(2)));
    }
}
