//! The prologue every config-reading command shares: env files, the renderer with its lookups,
//! the config, the WebAssembly plugins, the AWS clients and the `App` a command runs with.

use std::process::ExitCode;

use crate::config::{Environment, Globals};
use crate::output::Logger;

pub(crate) use crate::app::{Loaded, hook_context};

/// Loads env files, builds the renderer, loads the config and its WebAssembly plugins (whose
/// template functions are registered in the renderer): the prologue of every command that
/// reads the config. Warnings are logged.
pub(crate) fn load_app(
    globals: &Globals,
    mut environment: Environment,
    logger: &Logger,
) -> anyhow::Result<Loaded> {
    environment.load_env_files(&globals.envfile)?;
    let path =
        crate::config::find_config_file(globals.config.as_deref(), std::path::Path::new(""))?;
    logger.debug(&format!("loading config {}", path.display()));
    let mut renderer = crate::render::Renderer::new(
        environment.clone(),
        globals.ext_str.clone(),
        globals.ext_code.clone(),
    );
    // ssm and secretsmanager lookups are always available, as in ecspresso (AWS is reached only
    // when one is called), with the caller's credentials even under --assume-role-arn.
    let lookups = crate::lookups::AwsLookups::new(environment.clone());
    crate::lookups::register(renderer.functions_mut(), &lookups, Some(""), Some(""), true)?;
    // Built-in plugin entries (tfstate, cloudformation, prefixed ssm/secretsmanager) are read
    // first, as in ecspresso v3, so their functions work in the config itself.
    let log = *logger;
    let warn: crate::lookups::Warn = std::sync::Arc::new(move |message: &str| log.warn(message));
    let prelude = crate::config::read_prelude(&path, &renderer).map_err(anyhow::Error::msg)?;
    if let Some(prelude) = &prelude {
        lookups.set_region(prelude.region.clone());
        let base = path.parent().unwrap_or(std::path::Path::new("."));
        let functions = renderer.functions_mut();
        crate::lookups::register_plugins(functions, &lookups, &prelude.plugins, base, &warn)?;
    }
    let config = crate::config::load_config(&path, &renderer, globals).map_err(|err| {
        let message = err.to_string();
        if prelude.is_none() && message.contains("function \"") && message.contains("\" not defined") {
            // Pass 1 could not read the plugins (YAML valid only after rendering), so their
            // functions did not exist when the config was rendered.
            anyhow::anyhow!(
                "{message}; the functions of built-in plugins (tfstate, cloudformation, …) can be used in the config only when it is valid YAML before rendering: quote template values, e.g. path: '{{{{ must_env `TFSTATE` }}}}'"
            )
        } else {
            anyhow::Error::new(err)
        }
    })?;
    lookups.set_region(config.file.region.clone());
    if prelude.is_none() {
        crate::lookups::register_plugins(
            renderer.functions_mut(),
            &lookups,
            &config.file.plugins,
            config.dir(),
            &warn,
        )?;
    }
    for warning in &config.warnings {
        logger.warn(&warning.message);
    }
    let plugins = load_plugins(&config, &environment, globals.locked, logger)?;
    if !plugins.is_empty() {
        plugins.register_functions(&hook_context(&config, true), renderer.functions_mut())?;
    }
    Ok(Loaded {
        config,
        renderer,
        plugins,
        environment,
    })
}

/// Loads the config's WebAssembly plugins (nothing is started when there are none); remote
/// ones are pinned by the `ristretto.lock` next to the config.
fn load_plugins(
    config: &crate::config::LoadedConfig,
    environment: &Environment,
    locked: bool,
    logger: &Logger,
) -> anyhow::Result<crate::plugins::PluginSet> {
    if config.file.plugins.is_empty() {
        return Ok(crate::plugins::PluginSet::default());
    }
    let log_logger = *logger;
    let factory = plugin_log_factory(log_logger);
    let warn = |message: &str| log_logger.warn(message);
    let sources = crate::plugins::Sources {
        cache_dir: plugin_cache_dir(environment),
        lock_dir: Some(config.dir().to_path_buf()),
        locked,
        warn: &warn,
    };
    Ok(crate::plugins::PluginSet::load(
        &config.file.plugins,
        config.dir(),
        environment,
        &sources,
        &factory,
    )?)
}

/// Where compiled plugins are cached: `RISTRETTO_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/ristretto/plugins`, else `~/.cache/ristretto/plugins`.
pub(crate) fn plugin_cache_dir(environment: &Environment) -> Option<std::path::PathBuf> {
    if let Some(dir) = environment
        .get("RISTRETTO_CACHE_DIR")
        .filter(|d| !d.is_empty())
    {
        return Some(dir.into());
    }
    let base = environment
        .get("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            environment
                .get("HOME")
                .map(|h| std::path::Path::new(h).join(".cache"))
        })?;
    Some(base.join("ristretto").join("plugins"))
}

/// Makes each plugin's log sink: records named after the plugin, at the level the plugin gave
/// (trace and debug show with `--debug`; errors are warnings, since they do not fail the command).
pub(crate) fn plugin_log_factory(logger: Logger) -> impl Fn(&str) -> crate::plugins::LogSink {
    move |name: &str| -> crate::plugins::LogSink {
        let name = name.to_owned();
        std::sync::Arc::new(move |level, message: &str| {
            use crate::plugins::LogLevel;
            let line = format!("plugin `{name}`: {message}");
            match level {
                LogLevel::Trace | LogLevel::Debug => logger.debug(&line),
                LogLevel::Info => logger.info(&line),
                LogLevel::Warn | LogLevel::Error => logger.warn(&line),
            }
        })
    }
}

/// What a command was doing when a signal stopped it, read before its future is dropped.
pub(crate) struct StoppedCommand<'a, 'b> {
    /// The command's app.
    pub app: &'a crate::app::App<'b>,
    /// The decision it owed a paused deployment.
    pub owed: Option<crate::interrupt::PendingDecision>,
    /// Whether a deploy was in flight.
    pub deploying: bool,
}

impl<'a, 'b> StoppedCommand<'a, 'b> {
    /// What `app` was doing now.
    pub(crate) fn of(app: &'a crate::app::App<'b>) -> Self {
        Self {
            app,
            owed: app.pending.current(),
            deploying: app.pending.deploying(),
        }
    }
}

/// What ristretto says (and does) when a signal stops a command: each deployment paused for
/// its gates is rolled back at once; anything else goes on in AWS without ristretto; notify
/// plugins of a deploy in flight hear that it was stopped. A second signal ends the process
/// without waiting for AWS.
pub(crate) async fn stopped_by(
    signal: crate::interrupt::Signal,
    stopped: Vec<StoppedCommand<'_, '_>>,
) -> anyhow::Error {
    let mut what = Vec::new();
    let owed: Vec<_> = stopped
        .iter()
        .filter_map(|s| s.owed.as_ref().map(|decision| (s.app, decision)))
        .collect();
    if !owed.is_empty() {
        let answers = futures::future::join_all(owed.iter().map(|(app, decision)| async move {
            app.warn(format!(
                "{}: rolling back the deployment paused for the gates",
                signal.name()
            ));
            let answer = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                crate::deploy::roll_back_undecided(app, decision),
            );
            match answer.await {
                Ok(Ok(said)) => said,
                Ok(Err(err)) => format!(
                    "the gates had not decided and the rollback could not be asked ({err}); the pause hook's timeout action applies when it expires"
                ),
                Err(_) => "the gates had not decided and AWS did not answer the rollback within 10 s; the pause hook's timeout action applies when it expires".to_owned(),
            }
        }));
        tokio::select! {
            said = answers => what.extend(said),
            again = crate::interrupt::received() => {
                std::process::exit(i32::from(again.exit_code()));
            }
        }
    }
    if what.is_empty() {
        what.push(crate::interrupt::GOES_ON_IN_AWS.to_owned());
    }
    let what = what.join("; ");
    for s in stopped.iter().filter(|s| s.deploying) {
        let service = s.app.service().unwrap_or_default().to_owned();
        s.app.lifecycle(
            crate::events::Lifecycle::new(
                crate::plugins::EventKind::DeployFailed,
                format!(
                    "deploy of service {service} was stopped by {}: {what}",
                    signal.name()
                ),
            )
            .task_definition(s.app.context().revision)
            .details(serde_json::json!({"reason": what, "signal": signal.name()})),
        );
        s.app
            .plugins
            .finish_notifications(std::time::Duration::from_secs(5));
    }
    anyhow::Error::new(crate::interrupt::Interrupted { signal, what })
}

/// Loads the config, builds the AWS clients and runs `command` on a Tokio runtime, bounded by
/// the config `timeout`. Pending plugin notifications get up to 10 s after the command.
pub(crate) fn with_app<F>(
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
    command: F,
) -> anyhow::Result<ExitCode>
where
    F: AsyncFnOnce(&crate::app::App<'_>) -> anyhow::Result<ExitCode>,
{
    run_app(globals, environment, logger, Bound::Timeout, command)
}

/// Whether the config `timeout` bounds a command. ecspresso does not bound `exec`: a session
/// or a copy lasts as long as it needs; a signal still stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The command ends with an error when the config `timeout` (plus 5 s) has passed.
    Timeout,
    /// Only a signal ends it early.
    None,
}

/// [`with_app`], or with `bound` [`Bound::None`] a command the config `timeout` does not bound.
pub(crate) fn run_app<F>(
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
    bound: Bound,
    command: F,
) -> anyhow::Result<ExitCode>
where
    F: AsyncFnOnce(&crate::app::App<'_>) -> anyhow::Result<ExitCode>,
{
    let loaded = load_app(globals, environment, logger)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let config = &loaded.config;
    let logger = &logger.with_context(
        config.file.service.as_deref().unwrap_or_default(),
        &config.file.cluster,
    );
    let sink = crate::output::TerminalSink::new(*logger);
    let timeout = config.file.timeout;
    let filter_command = globals
        .filter_command
        .clone()
        .or_else(|| config.file.filter_command.clone())
        .filter(|c| !c.trim().is_empty());
    runtime.block_on(async {
        crate::interrupt::watch();
        let deadline = std::time::Instant::now() + timeout;
        crate::aws::retry::set_deadline(deadline);
        let clients = crate::aws::Clients::load(
            loaded.config.file.region.as_deref(),
            globals.assume_role_arn.as_deref(),
            &loaded.environment,
        )
        .await?;
        let app = crate::app::App::start(loaded, clients, &sink, filter_command, deadline).await;
        // The waits report their own timeouts with what was pending; this bounds everything else.
        let grace = std::time::Duration::from_secs(5);
        let command = async {
            match bound {
                Bound::Timeout => tokio::time::timeout(timeout + grace, command(&app)).await,
                Bound::None => Ok(command(&app).await),
            }
        };
        tokio::pin!(command);
        let result = tokio::select! {
            biased;
            finished = &mut command => match finished {
                Ok(result) => result,
                Err(_) => Err(anyhow::anyhow!(
                    "timed out after {} (config `timeout` or --timeout); {}",
                    crate::config::format_duration(timeout),
                    crate::interrupt::GOES_ON_IN_AWS
                )),
            },
            signal = crate::interrupt::received() => {
                // Read what the command was doing before it is dropped (its guards clear it).
                Err(stopped_by(signal, vec![StoppedCommand::of(&app)]).await)
            }
        };
        let undelivered = app
            .plugins
            .finish_notifications(std::time::Duration::from_secs(10));
        if undelivered > 0 {
            logger.warn(&format!(
                "{undelivered} plugin notification(s) were still running at exit and were dropped"
            ));
        }
        result
    })
}
