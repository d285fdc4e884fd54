//! Command-line definitions (clap derive) and dispatch: one variant per command, one `match`.
//! This layer parses and translates flags into library options; it never decides behaviour.
//! clap types appear only here and in `cli/`.

mod apply;
mod appspec;
mod completion;
mod continue_cmd;
mod delete;
mod deploy;
mod diff;
mod docs;
mod exec;
mod flags;
mod fleet;
mod init;
mod loading;
mod pick;
mod plan;
mod plugin;
mod render;
mod revisions;
mod rollback;
mod run;
mod skills;
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

pub(crate) use loading::{Loaded, hook_context, load_app, plugin_cache_dir, with_app};

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
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Config file [env: RISTRETTO_CONFIG, ECSPRESSO_CONFIG] [default: ecspresso.yml, then
    /// ecspresso.yaml, ecspresso.json, ecspresso.jsonnet in the current directory]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Environment files (dotenv) loaded before the config is read, as if exported: templates,
    /// the AWS SDK (every AWS_* setting) and the commands ristretto starts see them;
    /// comma-separated or repeated [env: RISTRETTO_ENVFILE, ECSPRESSO_ENVFILE]
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
    /// IAM role to assume for the command's AWS calls; template lookups (ssm, secretsmanager,
    /// tfstate, cloudformation) keep the caller's credentials, as in ecspresso
    /// [env: RISTRETTO_ASSUME_ROLE_ARN, ECSPRESSO_ASSUME_ROLE_ARN]
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
    /// Refuse `oci:` and `url:` plugins that ristretto.lock does not pin with the same digest,
    /// and never write the lock file (for CI) [env: RISTRETTO_LOCKED]
    #[arg(long, global = true)]
    pub locked: bool,
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
    /// Carry out a saved plan (`deploy --plan-out`) exactly, refusing it when AWS changed
    /// since it was made (exit status 3)
    Apply(apply::ApplyArgs),
    /// Print the CodeDeploy AppSpec for the service
    Appspec(appspec::AppspecArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(completion::CompletionArgs),
    /// Resume a deployment paused at a PAUSE lifecycle hook or waiting at CodeDeploy's Ready
    /// (or roll it back with --rollback)
    Continue(continue_cmd::ContinueArgs),
    /// Delete the service (asks for its name unless --force)
    Delete(delete::DeleteArgs),
    /// Create or update the service: register the task definition, apply the service definition, wait
    Deploy(deploy::DeployArgs),
    /// Deregister (and optionally delete) task definition revisions that are not in use
    Deregister(revisions::DeregisterArgs),
    /// Show differences between the local definitions and the service in AWS
    Diff(diff::DiffArgs),
    /// Show the documentation of this version, embedded in the binary: the README and the
    /// guides (list, section index, search)
    Docs(docs::DocsArgs),
    /// Run a command in a task of the service (ECS Exec; needs session-manager-plugin)
    Exec(exec::ExecArgs),
    /// Run a command over many services (a fleet file), dependencies first, in parallel
    Fleet(fleet::FleetArgs),
    /// Write a config and definition files from an existing service or task definition
    Init(init::InitArgs),
    /// Print the man page
    Man,
    /// Show a saved plan (`deploy --plan-out`): unified diffs, or markdown for a pull request
    Plan(plan::PlanArgs),
    /// Inspect, precompile, test, push, pull or create a WebAssembly plugin
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
    /// Manage agent skills: install, list, update and remove the skill files that describe
    /// ristretto to coding assistants (~/.agents/skills, or the repository's with --scope repo)
    Skills(skills::SkillsArgs),
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
            locked: self.locked.then_some(true),
        }
    }
}

/// Whether `--log-format json` (or its environment variables) was asked for, read without clap
/// (for reporting clap's own usage errors in that format).
fn json_logs_asked(argv: &[OsString]) -> bool {
    let args: Vec<&str> = argv.iter().filter_map(|a| a.to_str()).collect();
    let flag = args
        .windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || args.contains(&"--log-format=json");
    let env = ["RISTRETTO_LOG_FORMAT", "ECSPRESSO_LOG_FORMAT"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| v.eq_ignore_ascii_case("json")));
    flag || env
}

/// Parses `argv`; on a usage error (or `--help`, `--version`) prints what clap has to say
/// (as a JSON log line when JSON logs were asked for) and returns the exit code.
fn parse(argv: &[OsString]) -> Result<Cli, ExitCode> {
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(cli),
        Err(err) if err.use_stderr() && json_logs_asked(argv) => {
            // A usage error, reported as the JSON log line the caller asked for.
            // clap's message without its usage and help lines, on one line.
            let message = err.render().to_string();
            let detail: Vec<&str> = message
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:"))
                .filter(|l| !l.is_empty())
                .collect();
            let text = detail.join(" ");
            Logger::new(LogFormat::Json, false, false)
                .error(&anyhow::anyhow!("{}", text.trim_start_matches("error: ")));
            Err(ExitCode::from(1))
        }
        Err(err) => {
            let code = if err.use_stderr() { 1 } else { 0 };
            // clap prints help/version to stdout and usage errors to stderr.
            let _ = err.print();
            Err(ExitCode::from(code))
        }
    }
}

/// Runs `command`.
fn dispatch(
    command: Command,
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Render(args) => render::run(args, globals, environment, logger),
        Command::Version(args) => version::run(args, logger),
        Command::Deploy(args) => with_app(globals, environment, logger, async |app| {
            deploy::run(args, app).await
        }),
        Command::Scale(args) => with_app(globals, environment, logger, async |app| {
            deploy::run_scale(args, app).await
        }),
        Command::Refresh(args) => with_app(globals, environment, logger, async |app| {
            deploy::run_refresh(args, app).await
        }),
        Command::Diff(args) => {
            let color = globals.color;
            with_app(globals, environment, logger, async |app| {
                diff::run(args, app, color).await
            })
        }
        Command::Init(args) => init::run(args, globals, environment, logger),
        Command::Completion(args) => completion::run(args),
        Command::Docs(args) => docs::run(args, logger),
        Command::Skills(args) => skills::run(args, &environment),
        Command::Man => completion::run_man(),
        Command::Fleet(args) => fleet::run(args, globals, environment, logger),
        Command::Plugin(args) => plugin::run(args, environment, logger),
        Command::Apply(args) => apply::run(args, globals, environment, logger),
        Command::Plan(args) => plan::run(args, globals.color),
        Command::Delete(args) => with_app(globals, environment, logger, async |app| {
            delete::run(args, app).await
        }),
        Command::Register(args) => with_app(globals, environment, logger, async |app| {
            crate::deploy::express::refuse(app, "register")?;
            revisions::run_register(args, app).await
        }),
        Command::Revisions(args) => with_app(globals, environment, logger, async |app| {
            crate::deploy::express::refuse(app, "revisions")?;
            revisions::run_revisions(args, app).await
        }),
        Command::Deregister(args) => with_app(globals, environment, logger, async |app| {
            crate::deploy::express::refuse(app, "deregister")?;
            revisions::run_deregister(args, app).await
        }),
        Command::Rollback(args) => with_app(globals, environment, logger, async |app| {
            rollback::run(args, app).await
        }),
        Command::Appspec(args) => with_app(globals, environment, logger, async |app| {
            crate::deploy::express::refuse(app, "appspec")?;
            appspec::run(args, app).await
        }),
        Command::Exec(args) => {
            let unbounded = loading::Bound::None;
            loading::run_app(globals, environment, logger, unbounded, async |app| {
                exec::run(args, app).await
            })
        }
        Command::Tasks(args) => with_app(globals, environment, logger, async |app| {
            tasks::run(args, app).await
        }),
        Command::Run(args) => with_app(globals, environment, logger, async |app| {
            crate::deploy::express::refuse(app, "run")?;
            run::run(args, app).await
        }),
        Command::Status(args) => with_app(globals, environment, logger, async |app| {
            status::run(args, app).await
        }),
        Command::Wait(args) => with_app(globals, environment, logger, async |app| {
            wait::run(args, app).await
        }),
        Command::Verify(args) => with_app(globals, environment, logger, async |app| {
            verify::run(args, app).await
        }),
        Command::Continue(args) => with_app(globals, environment, logger, async |app| {
            continue_cmd::run(args, app).await
        }),
    }
}

/// Parses `argv`, runs the command and reports errors. Returns the process exit code.
pub fn main<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv = help_as_flag(argv.into_iter().map(Into::into).collect());
    let cli = match parse(&argv) {
        Ok(cli) => cli,
        Err(code) => return code,
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
    if globals.debug {
        crate::aws::call_log::observe(Box::new(move |call| logger.debug(&call.to_string())));
    }
    let result = dispatch(cli.command, &globals, environment, &logger);
    match result {
        Ok(code) => code,
        Err(err) => {
            logger.error(&err);
            let code = match stopped_by_signal(&err) {
                Some(signal) => signal.exit_code(),
                None => saved_plan_refusal(&err).unwrap_or(1),
            };
            ExitCode::from(code)
        }
    }
}

/// As ecspresso does: no arguments, or `help [COMMAND…]`, is `[COMMAND…] --help` (help on
/// stdout, exit 0).
fn help_as_flag(mut argv: Vec<OsString>) -> Vec<OsString> {
    match argv.get(1) {
        None => argv.push("--help".into()),
        Some(first) if first == "help" => {
            argv.remove(1);
            argv.push("--help".into());
        }
        Some(_) => {}
    }
    argv
}

/// The exit status of a saved plan's refusal (3 when AWS drifted), when the error is one.
fn saved_plan_refusal(err: &anyhow::Error) -> Option<u8> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<crate::deploy::saved_plan::Error>())
        .map(crate::deploy::saved_plan::Error::exit_code)
}

/// The signal that stopped the command, when one did (its exit status is 128 + the signal).
fn stopped_by_signal(err: &anyhow::Error) -> Option<crate::interrupt::Signal> {
    err.chain().find_map(|cause| {
        if let Some(interrupted) = cause.downcast_ref::<crate::interrupt::Interrupted>() {
            return Some(interrupted.signal);
        }
        if let Some(crate::plugins::Error::Interrupted { signal, .. }) =
            cause.downcast_ref::<crate::plugins::Error>()
        {
            return Some(*signal);
        }
        match cause.downcast_ref::<crate::deploy::Error>() {
            Some(crate::deploy::Error::TasksStillRunning { signal, .. }) => *signal,
            _ => None,
        }
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
    fn no_arguments_and_help_mean_help() {
        let args = |list: &[&str]| -> Vec<OsString> { list.iter().map(OsString::from).collect() };
        assert_eq!(
            help_as_flag(args(&["ristretto"])),
            args(&["ristretto", "--help"])
        );
        assert_eq!(
            help_as_flag(args(&["ristretto", "help", "deploy"])),
            args(&["ristretto", "deploy", "--help"])
        );
        assert_eq!(
            help_as_flag(args(&["ristretto", "deploy", "help"])),
            args(&["ristretto", "deploy", "help"])
        );
    }

    #[test]
    fn both_forms_of_negatable_flags_parse_and_the_last_wins() {
        let deploy = |args: &[&str]| match parse(args).command {
            Command::Deploy(d) => (d.wait.wait, d.update_service.update_service),
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
            Command::Rollback(r) => assert!(r.deregister_task_definition && r.wait.wait),
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
        assert!(deploy.skip_task_definition && !deploy.wait.wait);
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
