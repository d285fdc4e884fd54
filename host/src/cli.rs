//! Command-line definitions (clap derive) and dispatch: one variant per command, one `match`.
//! This layer parses and translates flags into library options; it never decides behaviour.
//! clap types appear only here and in `cli/`.

mod appspec;
mod completion;
mod continue_cmd;
mod delete;
mod deploy;
mod diff;
mod exec;
mod fleet;
mod init;
mod pick;
mod plugin;
mod render;
mod revisions;
mod rollback;
mod run;
mod status;
mod tasks;
mod verify;
mod version;
mod wait;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Environment, GlobalFlags, Globals};
use crate::output::{LogFormat, Logger};

/// Deploy and manage AWS ECS services from files (ecspresso-compatible), extensible with
/// WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "ristretto", version, about, long_about = None, disable_help_subcommand = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// ecspresso's global flags. Each is also settable by `RISTRETTO_<NAME>` or `ECSPRESSO_<NAME>`
/// (flag > RISTRETTO_* > ECSPRESSO_* > default); the environment is resolved in `config`.
#[derive(Debug, Default, Clone, Args)]
pub struct GlobalArgs {
    /// Config file [env: RISTRETTO_CONFIG, ECSPRESSO_CONFIG] [default: ecspresso.yml, then
    /// ecspresso.yaml, ecspresso.json, ecspresso.jsonnet in the current directory]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Environment files (dotenv) loaded before the config is read; comma-separated or repeated
    /// [env: RISTRETTO_ENVFILE, ECSPRESSO_ENVFILE]
    #[arg(long, global = true, value_name = "FILE", value_delimiter = ',')]
    pub envfile: Vec<PathBuf>,
    /// Debug log level [env: RISTRETTO_DEBUG, ECSPRESSO_DEBUG]
    #[arg(long, global = true)]
    pub debug: bool,
    /// Jsonnet external string variables, `KEY=VALUE`; `;`-separated or repeated
    /// [env: RISTRETTO_EXT_STR, ECSPRESSO_EXT_STR]
    #[arg(
        long = "ext-str",
        global = true,
        value_name = "KEY=VALUE",
        value_delimiter = ';'
    )]
    pub ext_str: Vec<String>,
    /// Jsonnet external code variables, `KEY=CODE` (evaluated, e.g. `N=1+1`); `;`-separated or
    /// repeated [env: RISTRETTO_EXT_CODE, ECSPRESSO_EXT_CODE]
    #[arg(
        long = "ext-code",
        global = true,
        value_name = "KEY=CODE",
        value_delimiter = ';'
    )]
    pub ext_code: Vec<String>,
    /// IAM role to assume for all AWS calls [env: RISTRETTO_ASSUME_ROLE_ARN,
    /// ECSPRESSO_ASSUME_ROLE_ARN]
    #[arg(long, global = true, value_name = "ARN")]
    pub assume_role_arn: Option<String>,
    /// Overrides the config `timeout`, e.g. `5m`, `1h30m` [env: RISTRETTO_TIMEOUT,
    /// ECSPRESSO_TIMEOUT]
    #[arg(long, global = true, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Interactive filter command (e.g. peco, fzf) used to pick tasks
    /// [env: RISTRETTO_FILTER_COMMAND, ECSPRESSO_FILTER_COMMAND]
    #[arg(long, global = true, value_name = "COMMAND")]
    pub filter_command: Option<String>,
    /// Colorize output (default: when stdout is a terminal) [env: RISTRETTO_COLOR,
    /// ECSPRESSO_COLOR]
    #[arg(long, global = true, overrides_with = "no_color")]
    pub color: bool,
    /// Do not colorize output
    #[arg(long, global = true, overrides_with = "color")]
    pub no_color: bool,
    /// Log format [env: RISTRETTO_LOG_FORMAT, ECSPRESSO_LOG_FORMAT] [default: text]
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// `TIME [LEVEL] message` lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands. Commands of ecspresso that are not listed here are not implemented yet.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the CodeDeploy AppSpec for the service
    Appspec(appspec::AppspecArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(completion::CompletionArgs),
    /// Resume a deployment paused at a PAUSE lifecycle hook (or roll it back with --rollback)
    Continue(continue_cmd::ContinueArgs),
    /// Delete the service (asks for its name unless --force)
    Delete(delete::DeleteArgs),
    /// Create or update the service: register the task definition, apply the service definition, wait
    Deploy(deploy::DeployArgs),
    /// Deregister (and optionally delete) task definition revisions that are not in use
    Deregister(revisions::DeregisterArgs),
    /// Show differences between the local definitions and the service in AWS
    Diff(diff::DiffArgs),
    /// Run a command in a task of the service (ECS Exec; needs session-manager-plugin)
    Exec(exec::ExecArgs),
    /// Run a command over many services (a fleet file), dependencies first, in parallel
    Fleet(fleet::FleetArgs),
    /// Write a config and definition files from an existing service or task definition
    Init(init::InitArgs),
    /// Print the man page
    Man,
    /// Inspect, precompile or test a WebAssembly plugin
    Plugin(plugin::PluginArgs),
    /// Start a new deployment with the same task definition and settings
    Refresh(deploy::RefreshArgs),
    /// Register the task definition without deploying it
    Register(revisions::RegisterArgs),
    /// Print the rendered config, service definition or task definition
    Render(render::RenderArgs),
    /// List task definition revisions, or print one
    Revisions(revisions::RevisionsArgs),
    /// Roll the service back to the previous (or a chosen) task definition revision
    Rollback(rollback::RollbackArgs),
    /// Run a one-off task (e.g. a migration) and wait for its exit code
    Run(run::RunArgs),
    /// Change the desired count and auto scaling of the service
    Scale(deploy::ScaleArgs),
    /// Show the service, its deployments, auto scaling and recent events
    Status(status::StatusArgs),
    /// List, find, stop the service's tasks, or print a task's logs
    Tasks(tasks::TasksArgs),
    /// Check that the roles, images, secrets, log groups, target groups and cluster the
    /// definitions reference exist and are usable
    Verify(verify::VerifyArgs),
    /// Print the version
    Version(version::VersionArgs),
    /// Wait until the service is stable or its deployment has finished
    Wait(wait::WaitArgs),
}

impl GlobalArgs {
    /// Translates the typed flags into `config::GlobalFlags` (unset flags stay `None`).
    fn into_flags(self) -> GlobalFlags {
        GlobalFlags {
            config: self.config,
            envfile: (!self.envfile.is_empty()).then_some(self.envfile),
            debug: self.debug.then_some(true),
            ext_str: (!self.ext_str.is_empty()).then_some(self.ext_str),
            ext_code: (!self.ext_code.is_empty()).then_some(self.ext_code),
            assume_role_arn: self.assume_role_arn,
            timeout: self.timeout,
            filter_command: self.filter_command,
            color: match (self.color, self.no_color) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            log_format: self.log_format.map(|f| match f {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
        }
    }
}

/// Parses `argv`, runs the command and reports errors. Returns the process exit code.
pub fn main<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 1 } else { 0 };
            // clap prints help/version to stdout and usage errors to stderr.
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let environment = Environment::from_process();
    let flags = cli.global.into_flags();
    let globals = match Globals::resolve(flags, &environment) {
        Ok(globals) => globals,
        Err(err) => {
            Logger::fallback().error(&anyhow::Error::from(err));
            return ExitCode::from(1);
        }
    };
    let logger = Logger::new(globals.log_format, globals.debug, globals.color);
    let result = match cli.command {
        Command::Render(args) => render::run(args, &globals, environment, &logger),
        Command::Version(args) => version::run(args, &logger),
        Command::Deploy(args) => with_app(&globals, environment, &logger, async |app| {
            deploy::run(args, app).await
        }),
        Command::Scale(args) => with_app(&globals, environment, &logger, async |app| {
            deploy::run_scale(args, app).await
        }),
        Command::Refresh(args) => with_app(&globals, environment, &logger, async |app| {
            deploy::run_refresh(args, app).await
        }),
        Command::Diff(args) => {
            let color = globals.color;
            with_app(&globals, environment, &logger, async |app| {
                diff::run(args, app, color).await
            })
        }
        Command::Init(args) => init::run(args, &globals, &logger),
        Command::Completion(args) => completion::run(args),
        Command::Man => completion::run_man(),
        Command::Fleet(args) => fleet::run(args, &globals, environment, &logger),
        Command::Plugin(args) => plugin::run(args, environment, &logger),
        Command::Delete(args) => with_app(&globals, environment, &logger, async |app| {
            delete::run(args, app).await
        }),
        Command::Register(args) => with_app(&globals, environment, &logger, async |app| {
            revisions::run_register(args, app).await
        }),
        Command::Revisions(args) => with_app(&globals, environment, &logger, async |app| {
            revisions::run_revisions(args, app).await
        }),
        Command::Deregister(args) => with_app(&globals, environment, &logger, async |app| {
            revisions::run_deregister(args, app).await
        }),
        Command::Rollback(args) => with_app(&globals, environment, &logger, async |app| {
            rollback::run(args, app).await
        }),
        Command::Appspec(args) => with_app(&globals, environment, &logger, async |app| {
            appspec::run(args, app).await
        }),
        Command::Exec(args) => with_app(&globals, environment, &logger, async |app| {
            exec::run(args, app).await
        }),
        Command::Tasks(args) => with_app(&globals, environment, &logger, async |app| {
            tasks::run(args, app).await
        }),
        Command::Run(args) => with_app(&globals, environment, &logger, async |app| {
            run::run(args, app).await
        }),
        Command::Status(args) => with_app(&globals, environment, &logger, async |app| {
            status::run(args, app).await
        }),
        Command::Wait(args) => with_app(&globals, environment, &logger, async |app| {
            wait::run(args, app).await
        }),
        Command::Verify(args) => with_app(&globals, environment, &logger, async |app| {
            verify::run(args, app).await
        }),
        Command::Continue(args) => with_app(&globals, environment, &logger, async |app| {
            continue_cmd::run(args, app).await
        }),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            logger.error(&err);
            ExitCode::from(1)
        }
    }
}

/// What every config-reading command starts from.
pub(crate) struct Loaded {
    pub(crate) config: crate::config::LoadedConfig,
    pub(crate) renderer: crate::render::Renderer,
    pub(crate) plugins: crate::plugins::PluginSet,
    pub(crate) environment: Environment,
}

/// Loads env files, builds the renderer, loads the config and its WebAssembly plugins (whose
/// template functions are registered in the renderer): the prologue of every command that
/// reads the config. Warnings are logged.
fn load_app(
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
    // when one is called).
    let lookups = crate::lookups::AwsLookups::new(globals.assume_role_arn.clone());
    crate::lookups::register(renderer.functions_mut(), &lookups, Some(""), Some(""), true)?;
    // Built-in plugin entries (tfstate, cloudformation, prefixed ssm/secretsmanager) are read
    // first, as in ecspresso v3, so their functions work in the config itself.
    let log = *logger;
    let warn: crate::lookups::Warn = std::sync::Arc::new(move |message: &str| log.warn(message));
    let prelude = crate::config::read_prelude(&path, &renderer);
    if let Some(prelude) = &prelude {
        lookups.set_region(prelude.region.clone());
        let base = path.parent().unwrap_or(std::path::Path::new("."));
        let functions = renderer.functions_mut();
        crate::lookups::register_plugins(functions, &lookups, &prelude.plugins, base, &warn)?;
    }
    let config = crate::config::load_config(&path, &renderer, globals)?;
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
    let plugins = load_plugins(&config, &environment, logger)?;
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

/// Loads the config's WebAssembly plugins (nothing is started when there are none).
fn load_plugins(
    config: &crate::config::LoadedConfig,
    environment: &Environment,
    logger: &Logger,
) -> anyhow::Result<crate::plugins::PluginSet> {
    if config.file.plugins.is_empty() {
        return Ok(crate::plugins::PluginSet::default());
    }
    let log_logger = *logger;
    let factory = move |name: &str| -> crate::plugins::LogSink {
        let name = name.to_owned();
        std::sync::Arc::new(move |level, message: &str| {
            use crate::plugins::LogLevel;
            let line = format!("plugin `{name}`: {message}");
            match level {
                LogLevel::Trace | LogLevel::Debug => log_logger.debug(&line),
                LogLevel::Info => log_logger.info(&line),
                LogLevel::Warn | LogLevel::Error => log_logger.warn(&line),
            }
        })
    };
    Ok(crate::plugins::PluginSet::load(
        &config.file.plugins,
        config.dir(),
        environment,
        plugin_cache_dir(environment).as_deref(),
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

/// The hook context of a command before it has talked to AWS.
fn hook_context(
    config: &crate::config::LoadedConfig,
    dry_run: bool,
) -> crate::plugins::HookContext {
    crate::plugins::HookContext {
        cluster: config.file.cluster.clone(),
        service: config.file.service.clone().unwrap_or_default(),
        region: config.file.region.clone().unwrap_or_default(),
        account: String::new(),
        config_name: config.path.display().to_string(),
        dry_run,
        revision: None,
        strategy: "rolling".to_owned(),
    }
}

/// Loads the config, builds the AWS clients and runs `command` on a Tokio runtime, bounded by
/// the config `timeout`. Pending plugin notifications get up to 10 s after the command.
fn with_app<F>(
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
    command: F,
) -> anyhow::Result<ExitCode>
where
    F: AsyncFnOnce(&crate::app::App<'_>) -> anyhow::Result<ExitCode>,
{
    let Loaded {
        config,
        renderer,
        mut plugins,
        environment,
    } = load_app(globals, environment, logger)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sink = crate::output::TerminalSink::new(*logger);
    let timeout = config.file.timeout;
    runtime.block_on(async {
        let clients = crate::aws::Clients::load_with(
            config.file.region.as_deref(),
            globals.assume_role_arn.as_deref(),
            false,
            Some(&environment),
        )
        .await;
        if !plugins.is_empty() {
            plugins
                .resolve_aws_secrets(&clients, &config.file.plugins, &environment)
                .await;
        }
        let mut context = hook_context(&config, false);
        if context.region.is_empty() {
            context.region = clients.region.clone().unwrap_or_default();
        }
        let filter_command = globals
            .filter_command
            .clone()
            .or_else(|| config.file.filter_command.clone())
            .filter(|c| !c.trim().is_empty());
        let app = crate::app::App {
            filter_command,
            config,
            renderer,
            clients,
            events: &sink,
            deadline: std::time::Instant::now() + timeout,
            plugins: std::sync::Arc::new(plugins),
            hook_context: std::sync::Mutex::new(context),
            started: std::time::Instant::now(),
        };
        // The waits report their own timeouts with what was pending; this bounds everything else.
        let grace = std::time::Duration::from_secs(5);
        let result = match tokio::time::timeout(timeout + grace, command(&app)).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!(
                "timed out after {} (config `timeout` or --timeout)",
                crate::config::format_duration(timeout)
            )),
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("ristretto").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn both_forms_of_negatable_flags_parse_and_the_last_wins() {
        let deploy = |args: &[&str]| match parse(args).command {
            Command::Deploy(d) => (d.wait, d.update_service),
            other => panic!("{other:?}"),
        };
        assert_eq!(deploy(&["deploy"]), (true, true));
        assert_eq!(
            deploy(&["deploy", "--no-wait", "--no-update-service"]),
            (false, false)
        );
        assert_eq!(
            deploy(&["deploy", "--wait", "--update-service"]),
            (true, true)
        );
        assert_eq!(deploy(&["deploy", "--wait", "--no-wait"]), (false, true));
        assert_eq!(deploy(&["deploy", "--no-wait", "--wait"]), (true, true));
        match parse(&["rollback", "--deregister-task-definition", "--wait"]).command {
            Command::Rollback(r) => assert!(r.deregister_task_definition && r.wait),
            other => panic!("{other:?}"),
        }
        match parse(&["verify", "--get-secrets", "--no-put-logs"]).command {
            Command::Verify(v) => assert!(v.get_secrets && !v.put_logs),
            other => panic!("{other:?}"),
        }
        let mut command = Cli::command();
        let help = command
            .find_subcommand_mut("deploy")
            .map(|d| d.render_long_help().to_string())
            .unwrap_or_default();
        assert!(help.contains("--no-update-service"), "{help}");
        assert!(
            !help.contains("  --update-service"),
            "positive forms stay hidden: {help}"
        );
    }

    #[test]
    fn ecspresso_flags_parse() {
        let cli = parse(&[
            "--config",
            "x.yml",
            "--envfile",
            "a.env,b.env",
            "--ext-str",
            "A=1;B=2",
            "--no-color",
            "deploy",
            "--tasks",
            "3",
            "--skip-task-definition",
            "--no-wait",
        ]);
        assert_eq!(cli.global.config, Some(PathBuf::from("x.yml")));
        assert_eq!(cli.global.envfile.len(), 2);
        assert_eq!(cli.global.ext_str, vec!["A=1".to_owned(), "B=2".to_owned()]);
        assert!(cli.global.no_color);
        let Command::Deploy(deploy) = cli.command else {
            panic!("deploy expected")
        };
        assert_eq!(deploy.tasks, Some(3));
        assert!(deploy.skip_task_definition && !deploy.wait);
        assert!(
            Cli::try_parse_from([
                "ristretto",
                "deploy",
                "--revision",
                "3",
                "--latest-task-definition"
            ])
            .is_err()
        );
        let cli = parse(&["render", "servicedef", "taskdef", "--jsonnet"]);
        assert!(matches!(cli.command, Command::Render(_)));
        let cli = parse(&[
            "rollback",
            "--revision",
            "2",
            "--no-deregister-task-definition",
        ]);
        assert!(matches!(cli.command, Command::Rollback(_)));
        let cli = parse(&["deregister", "--keeps", "3", "--force"]);
        assert!(matches!(cli.command, Command::Deregister(_)));
        assert!(
            Cli::try_parse_from(["ristretto", "deregister"]).is_err(),
            "--keeps or --revision is required"
        );
    }
}
