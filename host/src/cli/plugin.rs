//! `ristretto plugin inspect|compile|test|push|pull|new`: look at, precompile, or exercise one
//! WebAssembly plugin without a config file or AWS, share it through an OCI registry, or start
//! a new one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use crate::config::{Environment, PluginAllow, PluginEntry, PluginLimits};
use crate::output::{Logger, print_stdout, to_pretty_json};
use crate::plugins::scaffold;
use crate::plugins::tooling::{self, TestCall};
use crate::plugins::{HookContext, Origin, PluginSet};
use crate::registry::Reference;
use crate::registry::artifact::ComponentInfo;

/// Flags of `plugin`.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// What to do
    #[command(subcommand)]
    pub command: PluginCommand,
}

/// `plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Show a plugin's info, capabilities, imports and exports
    Inspect {
        /// The component (.wasm)
        path: PathBuf,
    },
    /// Compile plugins into the cache (e.g. when building a CI image)
    Compile {
        /// The components (.wasm)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run one hook of a plugin and print its answer and what it did (requests sent, secrets
    /// and alarms read), its time and peak memory
    Test(Box<TestArgs>),
    /// Push a plugin to an OCI registry (wasm OCI artifact) and print the reference pinned by
    /// digest, ready for a config's `oci:`; credentials come from the docker config
    Push {
        /// The component (.wasm)
        path: PathBuf,
        /// Where to push it: REGISTRY/REPOSITORY:TAG
        reference: String,
    },
    /// Pull a plugin from an OCI registry into the plugin cache and print the reference pinned
    /// by digest
    Pull {
        /// REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST
        reference: String,
    },
    /// Create a plugin project (build script, README, test.sh) in Rust, Python or JavaScript
    New(NewArgs),
}

/// Flags of `plugin new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name (lowercase letters, digits and -)
    pub name: String,
    /// The language
    #[arg(long, value_enum)]
    pub lang: LangArg,
    /// The hook it implements
    #[arg(long, value_enum)]
    pub hook: NewHookArg,
    /// The directory to create (default: ./NAME)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Rust: use the SDK from this local checkout (ristretto's plugin-sdk/) instead of git
    #[arg(long = "sdk-path", value_name = "DIR")]
    pub sdk_path: Option<PathBuf>,
}

/// Languages of `plugin new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Rust with ristretto-plugin-sdk (cargo, wasm32-wasip2)
    Rust,
    /// Python (componentize-py)
    Python,
    /// JavaScript (componentize-js)
    Js,
}

/// Hooks of `plugin new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NewHookArg {
    /// Rewrites task and service definitions
    Transform,
    /// Template functions
    Functions,
    /// A deploy gate
    Gate,
    /// Lifecycle notifications
    Notify,
}

/// Hooks `plugin test` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookArg {
    /// plugin-info
    Info,
    /// transform (reads --input)
    Transform,
    /// functions: declare, or call with --call
    Functions,
    /// one gate check
    Gate,
    /// one notification
    Notify,
}

/// Flags of `plugin test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The component (.wasm)
    pub path: PathBuf,
    /// The hook to run
    #[arg(long, value_enum)]
    pub hook: HookArg,
    /// Definition JSON for transform
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Which definition the input is
    #[arg(long, default_value = "task-definition", value_parser = tooling::KIND_NAMES)]
    pub kind: String,
    /// The plugin's `config:` as JSON
    #[arg(long = "plugin-config", default_value = "{}", value_name = "JSON")]
    pub plugin_config: String,
    /// Gate stage
    #[arg(long, default_value = "pre-deploy", value_parser = tooling::STAGE_NAMES)]
    pub stage: String,
    /// Gate state from a previous `pending`
    #[arg(long)]
    pub state: Option<String>,
    /// Function to call (functions hook)
    #[arg(long, value_name = "NAME")]
    pub call: Option<String>,
    /// Function arguments as a JSON array
    #[arg(long, default_value = "[]", value_name = "JSON")]
    pub args: String,
    /// Event kind (notify hook)
    #[arg(long, default_value = "deploy-succeeded", value_parser = tooling::EVENT_NAMES)]
    pub event: String,
    /// Hosts outbound HTTP may reach (allow.http)
    #[arg(long = "allow-http", value_name = "HOST")]
    pub allow_http: Vec<String>,
    /// Secrets the plugin may read (allow.secrets)
    #[arg(long = "allow-secret", value_name = "NAME")]
    pub allow_secret: Vec<String>,
    /// Alarms the plugin may read (allow.alarms: names or `prefix*`; with --fake, default: all)
    #[arg(long = "allow-alarm", value_name = "NAME")]
    pub allow_alarm: Vec<String>,
    /// Answer the host imports from FILE instead of AWS (YAML or JSON): `secrets: {NAME:
    /// VALUE}` (granted) and `alarms: {NAME: STATE}` or `{NAME: {state, reason}}`
    #[arg(long, value_name = "FILE")]
    pub fake: Option<PathBuf>,
    /// limits.timeout
    #[arg(long = "limit-timeout", value_name = "DURATION")]
    pub limit_timeout: Option<String>,
    /// limits.memory
    #[arg(long = "limit-memory", value_name = "SIZE")]
    pub limit_memory: Option<String>,
}

/// Runs `plugin`.
pub fn run(
    args: PluginArgs,
    environment: Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    match args.command {
        PluginCommand::Inspect { path } => {
            let set = load(&path, PluginEntry::default_for(&path), &environment, logger)?;
            let Some(plugin) = set.plugins().next() else {
                anyhow::bail!("no plugin loaded")
            };
            let (imports, exports) = tooling::world(plugin)?;
            let (origin, load_time) = plugin.load_report()?;
            let report = serde_json::json!({
                "path": path.display().to_string(),
                "sha256": plugin.sha256,
                "size": std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                "name": plugin.info.name,
                "version": plugin.info.version,
                "sdk_version": plugin.info.sdk_version,
                "description": plugin.info.description,
                "capabilities": plugin.info.capabilities,
                "contract": plugin.contract()?,
                "imports": imports,
                "exports": exports,
                "loaded_from_cache": origin == Origin::Cached,
                "load_ms": load_time.as_secs_f64() * 1000.0,
            });
            print_stdout(&to_pretty_json(&report))?;
        }
        PluginCommand::Compile { paths } => {
            for path in paths {
                let started = Instant::now();
                let set = load(&path, PluginEntry::default_for(&path), &environment, logger)?;
                let origin = match set.plugins().next() {
                    Some(plugin) => Some(plugin.load_report()?.0),
                    None => None,
                };
                let state = if origin == Some(Origin::Cached) {
                    "already cached"
                } else {
                    "compiled"
                };
                logger.info(&format!(
                    "{}: {state} in {:.1} ms",
                    path.display(),
                    started.elapsed().as_secs_f64() * 1000.0
                ));
            }
        }
        PluginCommand::Test(test) => run_test(*test, &environment, logger)?,
        PluginCommand::Push { path, reference } => push(&path, &reference, &environment, logger)?,
        PluginCommand::Pull { reference } => pull(&reference, &environment, logger)?,
        PluginCommand::New(new) => create(new, logger)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `plugin test`: loads the plugin with the flags' grants and limits (and `--fake` host
/// imports), runs one hook and prints its answer and what it did.
fn run_test(test: TestArgs, environment: &Environment, logger: &Logger) -> anyhow::Result<()> {
    let mut entry = PluginEntry::default_for(&test.path);
    entry.config =
        serde_json::from_str(&test.plugin_config).context("--plugin-config is not JSON")?;
    entry.allow = Some(PluginAllow {
        http: test.allow_http.clone(),
        secrets: test.allow_secret.clone(),
        alarms: test.allow_alarm.clone(),
    });
    entry.limits = Some(PluginLimits {
        timeout: test.limit_timeout.clone(),
        gate_timeout: None,
        memory: test.limit_memory.clone(),
    });
    let mut set = load(&test.path, entry, environment, logger)?;
    if let Some(path) = &test.fake {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let fake: tooling::FakeHost = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("{}: not a --fake file", path.display()))?;
        let alarms = if test.allow_alarm.is_empty() {
            vec!["*".to_owned()]
        } else {
            test.allow_alarm.clone()
        };
        set.fake_host(&fake, alarms, &test.allow_secret, environment);
    }
    let Some(plugin) = set.plugins().next() else {
        anyhow::bail!("no plugin loaded")
    };
    let call = test_call(&test)?;
    let context = HookContext {
        cluster: "test-cluster".to_owned(),
        service: "test-service".to_owned(),
        config_name: "(plugin test)".to_owned(),
        strategy: "rolling".to_owned(),
        ..HookContext::default()
    };
    let outcome = tooling::run(plugin, &context, call)?;
    print_stdout(&to_pretty_json(&outcome.output))?;
    report_activity(&outcome.activity, test.hook, logger);
    logger.info(&format!(
        "{} took {:.3} ms (fresh instance), peak memory {} KiB",
        test.hook
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default(),
        outcome.elapsed.as_secs_f64() * 1000.0,
        outcome.peak_memory >> 10
    ));
    Ok(())
}

/// `plugin push`: loads the plugin (so only a component ristretto runs is published), pushes
/// it and prints the reference pinned by digest.
fn push(
    path: &std::path::Path,
    reference: &str,
    environment: &Environment,
    logger: &Logger,
) -> anyhow::Result<()> {
    let reference = Reference::parse(reference).map_err(anyhow::Error::msg)?;
    let set = load(path, PluginEntry::default_for(path), environment, logger)?;
    let Some(plugin) = set.plugins().next() else {
        anyhow::bail!("no plugin loaded")
    };
    let (imports, exports) = tooling::world(plugin)?;
    let wasm = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = wasm.len();
    let component = ComponentInfo { imports, exports };
    let pinned = crate::plugins::remote::push(&reference, wasm, &component, environment)
        .with_context(|| format!("cannot push {} to {reference}", path.display()))?;
    logger.info(&format!(
        "pushed {} ({size} bytes) as {pinned}",
        path.display()
    ));
    print_stdout(&format!("{pinned}\n"))?;
    Ok(())
}

/// `plugin pull`: fetches the artifact into the plugin cache and prints the reference pinned
/// by digest.
fn pull(reference: &str, environment: &Environment, logger: &Logger) -> anyhow::Result<()> {
    let reference = Reference::parse(reference).map_err(anyhow::Error::msg)?;
    let cache = super::plugin_cache_dir(environment);
    let pulled = crate::plugins::remote::pull(&reference, cache.as_deref(), environment)
        .with_context(|| format!("cannot pull {reference}"))?;
    logger.info(&format!(
        "{reference}: component {} in {}",
        pulled.wasm,
        pulled.path.display()
    ));
    print_stdout(&format!("{}\n", reference.with_digest(&pulled.digest)))?;
    Ok(())
}

/// Says on stderr what the call did through the host, and that a notify sent nothing when it
/// did not (the JSON on stdout has the same lists).
fn report_activity(activity: &tooling::Activity, hook: HookArg, logger: &Logger) {
    for request in &activity.requests {
        logger.info(&format!("sent {request}"));
    }
    for secret in &activity.secrets {
        logger.info(&format!("read secret {secret}"));
    }
    for alarm in &activity.alarms {
        logger.info(&format!("read alarm {alarm}"));
    }
    if hook == HookArg::Notify && activity.requests.is_empty() {
        logger.info("the plugin sent nothing for this event");
    }
}

/// `plugin new`: writes the project and says how to build and test it.
fn create(args: NewArgs, logger: &Logger) -> anyhow::Result<()> {
    let new = scaffold::NewPlugin {
        dir: args.dir.unwrap_or_else(|| PathBuf::from(&args.name)),
        name: args.name,
        language: match args.lang {
            LangArg::Rust => scaffold::Language::Rust,
            LangArg::Python => scaffold::Language::Python,
            LangArg::Js => scaffold::Language::JavaScript,
        },
        hook: match args.hook {
            NewHookArg::Transform => scaffold::HookKind::Transform,
            NewHookArg::Functions => scaffold::HookKind::Functions,
            NewHookArg::Gate => scaffold::HookKind::Gate,
            NewHookArg::Notify => scaffold::HookKind::Notify,
        },
        sdk: match args.sdk_path {
            Some(path) => scaffold::SdkSource::Path(std::path::absolute(&path)?),
            None => scaffold::SdkSource::Git,
        },
    };
    let written = scaffold::create(&new)?;
    logger.info(&format!(
        "created {} ({} files): cd {} && ./build.sh && ./test.sh",
        new.dir.display(),
        written.len(),
        new.dir.display()
    ));
    Ok(())
}

fn test_call(test: &TestArgs) -> anyhow::Result<TestCall> {
    Ok(match test.hook {
        HookArg::Info => TestCall::Info,
        HookArg::Transform => {
            let path = test
                .input
                .as_ref()
                .context("--hook transform needs --input FILE")?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            let kind = tooling::parse_kind(&test.kind)
                .with_context(|| format!("unknown definition kind `{}`", test.kind))?;
            TestCall::Transform(kind, value)
        }
        HookArg::Functions => match &test.call {
            Some(name) => TestCall::Functions(Some((
                name.clone(),
                serde_json::from_str(&test.args).context("--args is not a JSON array")?,
            ))),
            None => TestCall::Functions(None),
        },
        HookArg::Gate => TestCall::Gate(
            tooling::parse_stage(&test.stage)
                .with_context(|| format!("unknown stage `{}`", test.stage))?,
            test.state.clone(),
        ),
        HookArg::Notify => TestCall::Notify(
            tooling::parse_event(&test.event)
                .with_context(|| format!("unknown event `{}`", test.event))?,
            format!("test event {}", test.event),
        ),
    })
}

fn load(
    path: &std::path::Path,
    entry: PluginEntry,
    environment: &Environment,
    logger: &Logger,
) -> anyhow::Result<PluginSet> {
    let log_logger = *logger;
    let factory = super::loading::plugin_log_factory(log_logger);
    let base = path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut entry = entry;
    entry.path = path.file_name().map(PathBuf::from);
    let warn = |message: &str| log_logger.warn(message);
    let sources = crate::plugins::Sources {
        cache_dir: super::plugin_cache_dir(environment),
        lock_dir: None,
        locked: false,
        warn: &warn,
    };
    Ok(PluginSet::load(
        &[entry],
        &base,
        environment,
        &sources,
        &factory,
    )?)
}
