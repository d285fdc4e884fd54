//! AWS lookups usable in configs and definitions, in Go templates and Jsonnet alike, as
//! ecspresso's built-in plugins: the implicit `ssm` (`ssm NAME [INDEX]`, `ssm_list NAME INDEX`;
//! SecureString decrypted, StringList items by index) and `secretsmanager`
//! (`secretsmanager_arn NAME`), and the configured `tfstate` (`tfstate`, `tfstatef`) and
//! `cloudformation` (`cfn_output`, `cfn_export`). Results are cached for the run. AWS is reached
//! lazily (only when a lookup is called) on a private runtime, so rendering without lookups
//! costs nothing. Never prints: warnings go to the caller's `Warn` sink.

mod cloudformation;
mod external;
mod external_rpc;
pub mod tfstate;
mod tfstate_source;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

pub use tfstate_source::{Location, TfstateSource};

use crate::aws::Clients;
use crate::config::PluginEntry;
use crate::render::{Function, FunctionRegistry};

/// Where lookups send warnings (e.g. an optional state that does not exist).
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;

/// Why the built-in plugin entries could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A built-in plugin entry with a bad `config`.
    #[error("plugin `{plugin}` (plugins[{index}]): {message}")]
    Config {
        /// The plugin name.
        plugin: String,
        /// Its position in `plugins:`.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// A function name clash (set `func_prefix`).
    #[error(transparent)]
    Render(#[from] crate::render::Error),
}

/// Shared state of the lookups of one command.
pub struct AwsLookups {
    region: Mutex<Option<String>>,
    environment: crate::environment::Environment,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    clients: Mutex<HashMap<Option<String>, Clients>>,
    cache: Mutex<HashMap<String, Result<Value, String>>>,
    secure: Mutex<std::collections::BTreeSet<String>>,
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
    /// Lookups using the SDK's default region until `set_region` is called. `environment` (the
    /// process environment with the env files applied) supplies the AWS settings env files
    /// change and is what `external` commands run with.
    ///
    /// Lookups always use the caller's own credentials, never `--assume-role-arn`'s role: as in
    /// ecspresso, whose ssm, secretsmanager, cloudformation and tfstate (S3) clients are built
    /// from the AWS config before it assumes the role for ECS (config.go `Restrict` sets up the
    /// plugins; `New` calls `AssumeRole` afterwards).
    pub fn new(environment: crate::environment::Environment) -> Arc<Self> {
        Arc::new(Self {
            region: Mutex::new(None),
            environment,
            runtime: OnceLock::new(),
            clients: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            secure: Mutex::new(std::collections::BTreeSet::new()),
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
                                let clients =
                                    Clients::load(region.as_deref(), None, &self.environment)
                                        .await
                                        .map_err(|e| e.to_string())?;
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
                if parameter.r#type().map(|t| t.as_str()) == Some("SecureString")
                    && let Ok(mut secure) = self.secure.lock()
                {
                    secure.insert(name.to_owned());
                }
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

    /// `ssm NAME [INDEX]`; a SecureString's value is recorded in `secrets` as `ssm:NAME`.
    fn ssm_value(
        &self,
        name: &str,
        index: Option<usize>,
        secrets: &crate::render::SecretValues,
    ) -> Result<Value, String> {
        let value = pick(self.ssm(name)?, index, name)?;
        let secure = self.secure.lock().is_ok_and(|s| s.contains(name));
        if secure && let Some(text) = value.as_str() {
            secrets.record(format!("ssm:{name}"), text.to_owned());
        }
        Ok(value)
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

/// Registers `ssm`, `ssm_list` (with `ssm_prefix`) and `secretsmanager_arn`,
/// `secretsmanager_arnf` (with `secretsmanager_prefix`). `implicit` registrations yield to existing names, as ecspresso's
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
        let secrets = registry.secret_values().clone();
        functions.push((
            prefix,
            Function::new("ssm", &["name", "index"], move |args| {
                let name = text_arg(args, 0, "ssm")?;
                l.ssm_value(&name, index_arg(args, 1)?, &secrets)
            })
            .with_required(1)
            .with_origin("plugin `ssm`"),
        ));
        let l = lookups.clone();
        let secrets = registry.secret_values().clone();
        functions.push((
            prefix,
            Function::new("ssm_list", &["name", "index"], move |args| {
                let name = text_arg(args, 0, "ssm_list")?;
                let index = index_arg(args, 1)?.ok_or("ssm_list: missing index")?;
                l.ssm_value(&name, Some(index), &secrets)
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
        let l = lookups.clone();
        functions.push((
            prefix,
            // ecspresso's `secretsmanager_arnf FORMAT ARGS...`: the ARN of the secret named
            // Sprintf(FORMAT, ARGS...); Jsonnet's takes one argument after the format, as
            // ecspresso's native function (params `format`, `args`).
            Function::new("secretsmanager_arnf", &["format", "args"], move |args| {
                let format = text_arg(args, 0, "secretsmanager_arnf")?;
                l.secretsmanager_arn(&crate::render::gotemplate::sprintf(
                    &format,
                    args.get(1..).unwrap_or_default(),
                ))
            })
            .with_required(1)
            .variadic()
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

/// Registers the functions of the config's built-in plugin entries (those without `path:`),
/// as ecspresso's plugin setup does: `tfstate` (one state per entry; `config.path` relative to
/// `base`, the config file's directory, or `config.url`; `config.optional`), `cloudformation`,
/// and `ssm`/`secretsmanager` with a `func_prefix` (the unprefixed ones are registered by
/// `register`). Other names are left to the plugin loader. Nothing is read until a function is
/// called.
pub fn register_plugins(
    registry: &mut FunctionRegistry,
    lookups: &Arc<AwsLookups>,
    entries: &[PluginEntry],
    base: &Path,
    warn: &Warn,
) -> Result<(), Error> {
    for (index, entry) in entries.iter().enumerate() {
        if entry.path.is_some() {
            continue;
        }
        let origin = format!("plugins[{index}] (`{}`)", entry.name);
        let before = registry.names();
        register_entry(registry, lookups, entry, index, base, warn).map_err(|err| match err {
            Error::Render(crate::render::Error::FunctionClash {
                name,
                existing_origin,
                ..
            }) => Error::Render(crate::render::Error::FunctionClash {
                name,
                existing_origin,
                new_origin: origin.clone(),
            }),
            other => other,
        })?;
        registry.relabel_since(&before, &origin);
    }
    Ok(())
}

/// Registers the functions of one built-in plugin entry.
fn register_entry(
    registry: &mut FunctionRegistry,
    lookups: &Arc<AwsLookups>,
    entry: &PluginEntry,
    index: usize,
    base: &Path,
    warn: &Warn,
) -> Result<(), Error> {
    let prefix = entry.func_prefix.as_str();
    warn_unknown_config_keys(entry, index, warn);
    match entry.name.as_str() {
        "tfstate" => {
            let config_error = |message: String| Error::Config {
                plugin: entry.name.clone(),
                index,
                message,
            };
            if entry.config.get("path").is_some() && entry.config.get("url").is_some() {
                return Err(config_error(
                    "give `config.path` (a local file) or `config.url`, not both".to_owned(),
                ));
            }
            let location = Location::from_config(&entry.config, base).map_err(config_error)?;
            let optional = match entry.config.get("optional") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(config_error(format!(
                        "`config.optional` must be true or false, got {other}"
                    )));
                }
            };
            let source = TfstateSource::new(location, optional, lookups.clone(), warn.clone());
            tfstate_source::register(registry, prefix, Arc::new(source))?;
        }
        "cloudformation" => cloudformation::register(registry, prefix, lookups)?,
        "external" => external::External::from_config(&entry.config)
            .map_err(|message| Error::Config {
                plugin: entry.name.clone(),
                index,
                message,
            })?
            .with_environment(&lookups.environment)
            .register(registry, prefix)?,
        "ssm" if !prefix.is_empty() => register(registry, lookups, Some(prefix), None, false)?,
        "secretsmanager" if !prefix.is_empty() => {
            register(registry, lookups, None, Some(prefix), false)?
        }
        _ => {}
    }
    Ok(())
}

/// Warns about `config:` keys a built-in plugin does not read (ecspresso ignores them
/// silently; a misspelt `optional` would otherwise go unnoticed).
fn warn_unknown_config_keys(entry: &PluginEntry, index: usize, warn: &Warn) {
    let known: &[&str] = match entry.name.as_str() {
        "tfstate" => &["path", "url", "optional"],
        "external" => &["name", "command", "num_args", "parser", "timeout", "mode"],
        "cloudformation" | "ssm" | "secretsmanager" => &[],
        _ => return,
    };
    let Some(config) = entry.config.as_object() else {
        return;
    };
    for key in config.keys().filter(|k| !known.contains(&k.as_str())) {
        let hint = match crate::config::did_you_mean(key, known) {
            _ if known.is_empty() => " (it takes no settings)".to_owned(),
            near if near.is_empty() => format!(" (it reads {})", known.join(", ")),
            near => near,
        };
        warn(&format!(
            "plugins[{index}] ({}): `config.{key}` is not a setting of this plugin and is ignored{hint}",
            entry.name
        ));
    }
}

/// The (at most five) candidates nearest to `target`, nearest first.
fn nearest<'a>(target: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut ranked: Vec<(usize, &str)> = candidates
        .map(|c| (strsim::levenshtein(c, target), c))
        .collect();
    ranked.sort();
    ranked.into_iter().take(5).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn suggestions() {
        assert_eq!(
            nearest("VpcID", ["SubnetIds", "VpcId", "Vpc"].into_iter()),
            vec!["VpcId", "Vpc", "SubnetIds"]
        );
    }

    #[test]
    fn built_in_entries_register_functions_with_prefixes() {
        let entry = |name: &str, config: Value, prefix: &str| -> PluginEntry {
            serde_json::from_value(json!({"name": name, "config": config, "func_prefix": prefix}))
                .unwrap()
        };
        let entries = vec![
            entry("tfstate", json!({"path": "a.tfstate"}), ""),
            entry(
                "tfstate",
                json!({"url": "s3://b/k", "optional": true}),
                "second_",
            ),
            entry("cloudformation", Value::Null, ""),
            entry("ssm", Value::Null, "other_"),
        ];
        let mut registry = FunctionRegistry::default();
        let warn: Warn = Arc::new(|_: &str| {});
        let lookups = AwsLookups::new(Default::default());
        register_plugins(&mut registry, &lookups, &entries, Path::new("."), &warn).unwrap();
        for name in [
            "tfstate",
            "tfstatef",
            "second_tfstate",
            "second_tfstatef",
            "cfn_output",
            "cfn_export",
            "other_ssm",
            "other_ssm_list",
        ] {
            assert!(registry.get(name).is_some(), "{name}");
        }
        let clash = vec![entries[0].clone(), entries[0].clone()];
        let err = register_plugins(
            &mut FunctionRegistry::default(),
            &lookups,
            &clash,
            Path::new("."),
            &warn,
        )
        .unwrap_err();
        assert!(err.to_string().contains("func_prefix"), "{err}");
        let bad = vec![entry(
            "tfstate",
            json!({"path": "a", "optional": "yes"}),
            "",
        )];
        let err = register_plugins(
            &mut FunctionRegistry::default(),
            &lookups,
            &bad,
            Path::new("."),
            &warn,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin `tfstate` (plugins[0]): `config.optional` must be true or false, got \"yes\""
        );
    }

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
