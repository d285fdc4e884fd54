//! The plugins of one command, in config order, and what the lifecycle asks of them:
//! transforms (chained) and template functions (registered under `func_prefix`); gates are in
//! `gates.rs` and notification delivery in `notifier.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::bindings::{DefinitionKind, DeployContext, EventKind, LifecycleEvent};
use super::host::LogSink;
use super::http::AllowRule;
use super::limits::{Hook, Limits};
use super::notifier::{Job, Notifier};
use super::plugin::{LoadedPlugin, PluginSpec};
use super::remote::{Resolver, Sources};
use super::runtime::Runtime;
use super::secrets::SecretStore;
use super::{Error, HookContext};
use crate::config::{Environment, PluginEntry};
use crate::render::{Function, FunctionRegistry};

/// ecspresso's built-in plugin names, which keep their ecspresso meaning.
pub const BUILTIN_NAMES: [&str; 5] = [
    "tfstate",
    "cloudformation",
    "ssm",
    "secretsmanager",
    "external",
];

/// Makes the log sink of a plugin, given its name.
pub type LogFactory<'a> = &'a dyn Fn(&str) -> LogSink;

/// The loaded WebAssembly plugins of a command.
#[derive(Default)]
pub struct PluginSet {
    pub(super) plugins: Vec<Arc<LoadedPlugin>>,
    /// The `plugins:` index of each loaded plugin.
    entry_indices: Vec<usize>,
    /// One delivery thread per notify plugin (by name), so a slow endpoint delays only its own
    /// plugin's events, which stay in order.
    notifier: Mutex<BTreeMap<String, Notifier>>,
    /// Gates (plugin, stage) whose last failure was a plugin error, not a verdict.
    pub(super) gate_faults: Mutex<std::collections::BTreeSet<(String, &'static str)>>,
}

impl PluginSet {
    /// Loads the `path:` entries of `entries` (paths relative to `base`) and the remote ones:
    /// `url:` (pinned by `sha256:`) and `oci:` (pinned by digest or `ristretto.lock`), fetched
    /// once into the cache of `sources` (see `remote`). Built-in names are left to the
    /// lookups; unknown names without a source are errors.
    pub fn load(
        entries: &[PluginEntry],
        base: &Path,
        environment: &Environment,
        sources: &Sources<'_>,
        log: LogFactory<'_>,
    ) -> Result<Self, Error> {
        let runtime = Arc::new(Runtime::new(sources.cache_dir.clone()));
        let mut resolver = Resolver::new(sources, environment);
        // Each entry's config first (in config order), then the files, all at once: a plugin
        // whose `info` is cached costs a read and a hash; the others compile in parallel.
        let prepared: Vec<_> = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                prepare_entry(entry, index, base, environment, &mut resolver, log)
            })
            .collect();
        let loaded = load_parallel(&runtime, prepared);
        let mut plugins = Vec::new();
        let mut entry_indices = Vec::new();
        for (index, loaded) in loaded.into_iter().enumerate() {
            let Some(mut plugin) = loaded? else {
                continue;
            };
            let entry = &entries[index];
            // Without `name:` in the entry the plugin goes by its own name (`webhook-notify`,
            // not the file's `webhook_notify`): its log lines too.
            let name = plugin.name.clone();
            if name != display_name(entry, index) {
                plugin.set_log_sink(log(&name));
            }
            if plugin.has(Hook::Gate)
                && let Some(url) = super::http::first_uncovered_url(&entry.config, plugin.rules())
            {
                // A gate whose probe its own allow.http refuses cannot decide anything: say
                // so before any AWS write instead of failing its stage mid-deploy.
                return Err(Error::Config {
                    plugin: name,
                    message: format!(
                        "its config names {url}, which its allow.http does not cover, so the gate's requests there would be refused; add the host to allow.http"
                    ),
                });
            }
            if plugin.has(Hook::Gate) {
                super::stages::watched_stages(&entry.config).map_err(|message| Error::Config {
                    plugin: name.clone(),
                    message,
                })?;
            }
            plugins.push(Arc::new(plugin));
            entry_indices.push(index);
        }
        resolver.finish().map_err(Error::Lock)?;
        Ok(Self {
            plugins,
            entry_indices,
            notifier: Mutex::new(BTreeMap::new()),
            gate_faults: Mutex::default(),
        })
    }

    /// Loads the components of the plugins `pick` chooses, in parallel, so that their calls
    /// (one plugin after another) do not load them one at a time. A plugin that fails to load
    /// says so when it is called.
    pub(super) fn prepare(&self, pick: impl Fn(&LoadedPlugin) -> bool) {
        let plugins: Vec<_> = self.plugins.iter().filter(|p| pick(p)).collect();
        if plugins.len() < 2 {
            return;
        }
        blocking(|| {
            std::thread::scope(|scope| {
                for plugin in plugins {
                    scope.spawn(move || plugin.prepare());
                }
            });
        });
    }

    /// Whether no WebAssembly plugin is loaded.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> impl Iterator<Item = &LoadedPlugin> {
        self.plugins.iter().map(AsRef::as_ref)
    }

    /// Resolves the `ssm:` and `secretsmanager:` secrets of every plugin and grants the
    /// `allow.alarms` reads (both need AWS access).
    pub async fn resolve_aws_secrets(
        &mut self,
        clients: &crate::aws::Clients,
        entries: &[PluginEntry],
        environment: &Environment,
    ) {
        for (plugin, index) in self.plugins.iter_mut().zip(&self.entry_indices) {
            let alarms = entries
                .get(*index)
                .and_then(|e| e.allow.as_ref())
                .map(|a| a.alarms.clone())
                .unwrap_or_default();
            if !alarms.is_empty()
                && let Some(plugin) = Arc::get_mut(plugin)
            {
                plugin.set_alarms(super::alarms::AlarmReader::new(
                    clients.cloudwatch.clone(),
                    alarms,
                    tokio::runtime::Handle::current(),
                ));
            }
            let allowed = entries
                .get(*index)
                .and_then(|e| e.allow.as_ref())
                .map(|a| a.secrets.clone())
                .unwrap_or_default();
            if !allowed
                .iter()
                .any(|s| s.starts_with("ssm:") || s.starts_with("secretsmanager:"))
            {
                continue;
            }
            let mut secrets = SecretStore::new(&allowed, environment);
            secrets.resolve_aws(clients).await;
            if let Some(plugin) = Arc::get_mut(plugin) {
                plugin.set_secrets(secrets);
            }
        }
    }

    /// Answers the `secrets` and `alarms` imports of every plugin from `fake` (`plugin test
    /// --fake`); alarm reads are limited to `allowed_alarms`. Call before any hook runs.
    pub fn fake_host(
        &mut self,
        fake: &super::fake::FakeHost,
        allowed_alarms: Vec<String>,
        allowed_secrets: &[String],
        environment: &Environment,
    ) {
        for plugin in &mut self.plugins {
            let Some(plugin) = Arc::get_mut(plugin) else {
                continue;
            };
            let mut secrets = SecretStore::new(allowed_secrets, environment);
            secrets.fake(&fake.secrets);
            plugin.set_secrets(secrets);
            plugin.set_alarms(super::alarms::AlarmReader::fixed(
                fake.alarm_states(),
                allowed_alarms.clone(),
            ));
        }
    }

    /// Runs every `transform` plugin over `definition`, in config order.
    pub fn transform(
        &self,
        ctx: &HookContext,
        kind: DefinitionKind,
        definition: Value,
    ) -> Result<Value, Error> {
        self.prepare(|p| p.has(Hook::Transform));
        let mut current = definition;
        for plugin in self.plugins.iter().filter(|p| p.has(Hook::Transform)) {
            let what = format!("transform, {}", kind.name());
            let input = current.to_string();
            let context = ctx.for_plugin(plugin);
            let output = blocking(|| {
                plugin.call(Hook::Transform, &what, async move |p, s| {
                    p.transform(s, &context, kind, &input).await
                })
            })?
            .map_err(|message| Error::Failed {
                plugin: plugin.name.clone(),
                hook: what.clone(),
                message,
            })?;
            current = checked_transform_output(plugin, &what, kind, &current, &output)?;
        }
        Ok(current)
    }

    /// Asks every `functions` plugin what it provides and registers those functions.
    pub fn register_functions(
        &self,
        ctx: &HookContext,
        registry: &mut FunctionRegistry,
    ) -> Result<(), Error> {
        self.prepare(|p| p.has(Hook::Functions));
        for plugin in self.plugins.iter().filter(|p| p.has(Hook::Functions)) {
            let context = ctx.for_plugin(plugin);
            let declare_context = context.clone();
            let declared = blocking(|| {
                plugin.call(Hook::Functions, "functions, declare", async move |p, s| {
                    p.declare(s, &declare_context).await
                })
            })?;
            for decl in declared {
                let plugin_for_call = plugin.clone();
                let context = context.clone();
                let function_name = decl.name.clone();
                let params: Vec<&str> = decl.params.iter().map(String::as_str).collect();
                let function = Function::new(decl.name.clone(), &params, move |args| {
                    call_function(&plugin_for_call, &context, &function_name, args)
                })
                .with_required(decl.required as usize)
                .with_origin(format!("plugin `{}`", plugin.name));
                registry
                    .register(&plugin.func_prefix, function)
                    .map_err(|e| Error::Config {
                        plugin: plugin.name.clone(),
                        message: e.to_string(),
                    })?;
            }
        }
        Ok(())
    }

    /// Bounds every plugin call from now on by the command's deadline (config `timeout`).
    pub fn set_command_deadline(&self, deadline: Instant) {
        for plugin in &self.plugins {
            plugin.runtime().set_command_deadline(deadline);
        }
    }

    /// Sends `event` to every `notify` plugin in the background.
    pub fn notify(
        &self,
        ctx: &HookContext,
        kind: EventKind,
        message: &str,
        task_definition: Option<String>,
        details: Value,
        started: Instant,
    ) {
        let notifiers: Vec<_> = self
            .plugins
            .iter()
            .filter(|p| p.has(Hook::Notify))
            .cloned()
            .collect();
        if notifiers.is_empty() {
            return;
        }
        let Ok(mut notifiers_by_plugin) = self.notifier.lock() else {
            return;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let event = LifecycleEvent {
            kind,
            message: message.to_owned(),
            task_definition,
            at_ms: u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            details: details.to_string(),
        };
        for plugin in notifiers {
            let context = ctx.for_plugin(&plugin);
            notifiers_by_plugin
                .entry(plugin.name.clone())
                .or_insert_with(Notifier::start)
                .send(Job {
                    plugin,
                    context,
                    event: event.clone(),
                });
        }
    }

    /// Identities (sha256 and config) of the notify plugins, to send fleet-wide events once.
    pub fn notify_identities(&self) -> Vec<String> {
        self.plugins
            .iter()
            .filter(|p| p.has(Hook::Notify))
            .map(|p| format!("{}:{}", p.sha256, p.config_json))
            .collect()
    }

    /// Waits up to `limit` for pending notifications; returns how many were not delivered.
    pub fn finish_notifications(&self, limit: Duration) -> usize {
        let Ok(mut guard) = self.notifier.lock() else {
            return 0;
        };
        let deadline = Instant::now() + limit;
        std::mem::take(&mut *guard)
            .into_values()
            .map(|notifier| notifier.finish(deadline.saturating_duration_since(Instant::now())))
            .sum()
    }
}

/// What a transform returned, as deploy and render take it: at most `MAX_OUTPUT` bytes of JSON,
/// still an object, with the fields that say *what* is deployed unchanged (a transform that
/// renamed the family deployed another service's family; cluster and service name changes
/// were dropped without a word). Used by `plugin test` too, so it passes only what deploys.
pub fn checked_transform_output(
    plugin: &LoadedPlugin,
    what: &str,
    kind: DefinitionKind,
    input: &Value,
    output: &str,
) -> Result<Value, Error> {
    let bad = |message: String| Error::BadOutput {
        plugin: plugin.name.clone(),
        hook: what.to_owned(),
        message,
    };
    plugin.check_output(what, output)?;
    let value: Value = serde_json::from_str(output).map_err(|e| bad(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(bad("the definition must stay a JSON object".to_owned()));
    }
    let identity: &[&str] = match kind {
        DefinitionKind::TaskDefinition => &["family"],
        DefinitionKind::ServiceDefinition => &["serviceName", "cluster"],
        // Both come from the config; the definition holds neither.
        DefinitionKind::ExpressDefinition => &["serviceName", "cluster"],
    };
    for field in identity {
        let (before, after) = (input.get(field), value.get(field));
        if before != after {
            let show = |v: Option<&Value>| v.map_or_else(|| "nothing".to_owned(), Value::to_string);
            return Err(bad(format!(
                "it changed `{field}` from {} to {}; a transform may not change which family, cluster or service is deployed (set those in the config and definition files)",
                show(before),
                show(after)
            )));
        }
    }
    Ok(value)
}

fn call_function(
    plugin: &LoadedPlugin,
    context: &DeployContext,
    name: &str,
    args: &[Value],
) -> Result<Value, String> {
    let args: Vec<String> = args.iter().map(Value::to_string).collect();
    let what = format!("functions, {name}");
    let context = context.clone();
    let function = name.to_owned();
    let output = blocking(|| {
        plugin.call(Hook::Functions, &what, async move |p, s| {
            p.call(s, &context, &function, &args).await
        })
    })
    .map_err(|e| e.to_string())?
    .map_err(|message| format!("plugin `{}`: {message}", plugin.name))?;
    plugin
        .check_output(&what, &output)
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&output).map_err(|e| {
        format!(
            "plugin `{}` returned a value that is not JSON: {e}",
            plugin.name
        )
    })
}

/// What loading one entry needs: the component file and the plugin's spec (`None` for a
/// built-in name).
type Prepared = Result<Option<(std::path::PathBuf, PluginSpec)>, Error>;

/// Checks the config of `entry` (its source, limits and `allow.http`) and makes its spec.
fn prepare_entry(
    entry: &PluginEntry,
    index: usize,
    base: &Path,
    environment: &Environment,
    resolver: &mut Resolver<'_>,
    log: LogFactory<'_>,
) -> Prepared {
    let Some((resolved, sha256)) = resolve_entry(entry, index, base, resolver)? else {
        return Ok(None);
    };
    let name = display_name(entry, index);
    let config_error = |message: String| Error::Config {
        plugin: name.clone(),
        message,
    };
    let limits = Limits::parse(entry.limits.as_ref()).map_err(config_error)?;
    let allow = entry.allow.clone().unwrap_or_default();
    let rules = allow
        .http
        .iter()
        .map(|e| AllowRule::parse(e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(config_error)?;
    let spec = PluginSpec {
        name: name.clone(),
        sha256,
        config_json: if entry.config.is_null() {
            "{}".to_owned()
        } else {
            entry.config.to_string()
        },
        func_prefix: entry.func_prefix.clone(),
        limits,
        rules,
        secrets: SecretStore::new(&allow.secrets, environment),
        log: log(&name),
    };
    Ok(Some((resolved, spec)))
}

/// Loads the prepared entries, each on its own thread when there are several; the results
/// stay in config order.
fn load_parallel(
    runtime: &Arc<Runtime>,
    prepared: Vec<Prepared>,
) -> Vec<Result<Option<LoadedPlugin>, Error>> {
    let load = |prepared: Prepared| -> Result<Option<LoadedPlugin>, Error> {
        match prepared? {
            Some((path, spec)) => LoadedPlugin::load(runtime.clone(), &path, spec).map(Some),
            None => Ok(None),
        }
    };
    let files = prepared.iter().filter(|p| matches!(p, Ok(Some(_)))).count();
    if files < 2 {
        return prepared.into_iter().map(load).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = prepared
            .into_iter()
            .map(|p| scope.spawn(move || load(p)))
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// The component file of `entry` and the sha256 it must have, or `None` for a built-in name.
fn resolve_entry(
    entry: &PluginEntry,
    index: usize,
    base: &Path,
    resolver: &mut Resolver<'_>,
) -> Result<Option<(std::path::PathBuf, Option<String>)>, Error> {
    let config_error = |message: String| Error::Config {
        plugin: display_name(entry, index),
        message,
    };
    match (&entry.path, &entry.url, &entry.oci) {
        (Some(path), None, None) => Ok(Some((base.join(path), entry.sha256.clone()))),
        (None, Some(url), None) => {
            let Some(sha256) = &entry.sha256 else {
                return Err(config_error(format!(
                    "`url: {url}` needs `sha256:` (the component's SHA-256), so that what runs is pinned by the config"
                )));
            };
            let path = resolver.url(url, sha256).map_err(config_error)?;
            Ok(Some((path, Some(sha256.clone()))))
        }
        (None, None, Some(_)) if entry.sha256.is_some() => Err(config_error(
            "`oci:` is pinned by the digest in its reference (`REGISTRY/REPOSITORY:TAG@sha256:…`), not by `sha256:`".to_owned(),
        )),
        (None, None, Some(reference)) => {
            let (path, sha256) = resolver.oci(reference).map_err(config_error)?;
            Ok(Some((path, Some(sha256))))
        }
        (None, None, None) if BUILTIN_NAMES.contains(&entry.name.as_str()) => {
            // Built-in names are provided by ristretto's lookups (see
            // `lookups::register_plugins`).
            Ok(None)
        }
        (None, None, None) => Err(config_error(format!(
            "unknown built-in plugin (known: {}); a WebAssembly plugin needs `path:`, `url:` or `oci:`",
            BUILTIN_NAMES.join(", ")
        ))),
        _ => Err(config_error(
            "give one of `path:`, `url:` and `oci:`, not several".to_owned(),
        )),
    }
}

fn display_name(entry: &PluginEntry, index: usize) -> String {
    if !entry.name.is_empty() {
        return entry.name.clone();
    }
    let from_url = entry.url.as_deref().map(|url| {
        let path = url.split(['?', '#']).next().unwrap_or_default();
        Path::new(path.rsplit('/').next().unwrap_or_default()).to_path_buf()
    });
    if let Some(reference) = &entry.oci {
        // The repository's last segment: `ghcr.io/acme/policy:1@sha256:…` is `policy`.
        let last = reference
            .split('@')
            .next()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|r| r.split(':').next())
            .unwrap_or_default();
        if !last.is_empty() {
            return last.to_owned();
        }
    }
    entry
        .path
        .clone()
        .or(from_url)
        .as_deref()
        .and_then(Path::file_stem)
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("plugins[{index}]"), str::to_owned)
}

/// Runs a synchronous plugin call without stalling the async runtime: on a multi-threaded
/// runtime the worker steps aside while the call runs.
pub(super) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
