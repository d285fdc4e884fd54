//! `ristretto fleet deploy|diff|status|rollback|render`: one command over the services of a
//! fleet file, dependency-ordered and parallel, ending with a per-service summary table (or,
//! with `--output json`, one JSON document with each service's result and output).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

mod service;
mod summary;

use super::{Loaded, load_app};
use crate::app::App;
use crate::config::{Environment, Globals};
use crate::deploy;
use crate::fleet::{self, Dependencies, FleetFile, Outcome, Progress, interrupted_results};
use crate::output::{Logger, PrefixSink, TerminalSink, print_stdout, to_pretty_json};
use service::run_one;
use summary::{json_summary, progress_lines, send_fleet_summary};

/// Flags of `fleet`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The fleet file
    #[arg(
        long,
        short = 'f',
        default_value = "ristretto-fleet.yml",
        global = true
    )]
    pub file: PathBuf,
    /// Only these services (their dependencies are assumed to be in place)
    #[arg(long, value_name = "SERVICE", value_delimiter = ',', global = true)]
    pub only: Vec<String>,
    /// How many services run at once (default: the fleet file's, else 4)
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,
    /// Output format of the per-service outputs and the summary
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub output: FleetFormat,
    /// What to run
    #[command(subcommand)]
    pub command: FleetCommand,
}

/// Parses fleet `--wait-until`: only `stable` and `deployed` make sense for many services.
/// `fleet --wait-until`: `stable` or `deployed` (the targets every service of a fleet reaches).
fn fleet_wait_parser() -> impl clap::builder::TypedValueParser<Value = deploy::WaitUntil> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["stable", "deployed"])
        .try_map(|s| s.parse::<deploy::WaitUntil>())
}

/// `--output` of `fleet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FleetFormat {
    /// Each service's output under `=== NAME`, then a summary table
    Text,
    /// `{"command", "results": [{"service", "result", "seconds", "revision", "detail", "output"}]}`
    Json,
}

/// Fleet commands.
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Deploy every service, dependencies first (--dry-run prints the plan and each diff)
    Deploy {
        /// Show the plan and what would change; change nothing
        #[arg(long)]
        dry_run: bool,
        /// What to wait for: stable or deployed
        #[arg(long, default_value = "deployed", value_name = "TARGET", value_parser = fleet_wait_parser())]
        wait_until: deploy::WaitUntil,
        /// Save every service's plan, dependencies first, in one plan file for
        /// `ristretto apply`; change nothing in AWS
        #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
        plan_out: Option<PathBuf>,
    },
    /// Diff every service (--exit-code: 2 when any differs)
    Diff {
        /// Exit 2 when any service differs
        #[arg(long)]
        exit_code: bool,
    },
    /// Status of every service
    Status {
        /// Recent events per service
        #[arg(long, default_value_t = 3)]
        events: usize,
    },
    /// Roll every service back (dependents first)
    Rollback {
        /// Show what would happen; change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Render every service's task definition
    Render,
}

/// Runs `fleet`.
pub fn run(
    args: FleetArgs,
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    let fleet = FleetFile::load(&args.file)?;
    let rollback = matches!(args.command, FleetCommand::Rollback { .. });
    let selection = fleet::Selection::new(&fleet, &args.file, &args.only, rollback)
        .map_err(anyhow::Error::msg)?;
    let dependencies = selection.dependencies;
    logger.info(&format!(
        "fleet {}: {} service(s) in {} level(s): {}",
        args.file.display(),
        dependencies.len(),
        selection.levels.len(),
        selection.levels.join(" | ")
    ));

    let loaded = load_services(
        &fleet,
        &args.file,
        &dependencies,
        globals,
        &environment,
        logger,
    )?;

    let concurrency = concurrency(&args, &fleet)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sink = TerminalSink::new(*logger);
    let json = args.output == FleetFormat::Json;
    runtime.block_on(async {
        crate::interrupt::watch();
        let prefixes = prefix_sinks(loaded.keys(), &sink, json);
        let sinks = prefixes.iter().map(|p| p as &dyn crate::events::EventSink);
        let apps = fleet::build_apps(loaded, sinks, globals.assume_role_arn.as_deref()).await?;
        let command = &args.command;
        let lines = progress_lines(&apps, logger);
        for (prefix, name) in prefixes.iter().zip(apps.keys()) {
            if let Some(line) = lines.get(name) {
                let _ = prefix.line.set(line.clone());
            }
        }
        if let FleetCommand::Deploy { plan_out, .. } = command {
            check_definitions(&apps, &dependencies, logger)?;
            if plan_out.is_some() {
                return plan_fleet(&apps, &dependencies, &args, &fleet, globals, logger).await;
            }
        }
        // Read-only commands look at every service, in any order, whatever another's result.
        let read_only = matches!(
            command,
            FleetCommand::Diff { .. } | FleetCommand::Status { .. } | FleetCommand::Render
        );
        let run_order: Dependencies = if read_only {
            dependencies
                .keys()
                .map(|n| (n.clone(), Vec::new()))
                .collect()
        } else {
            dependencies.clone()
        };
        let run = Run {
            apps: &apps,
            command,
            lines: &lines,
            color: globals.color && !json,
            json,
        };
        let (mut results, outputs, stopped) =
            run_services(&run, &run_order, concurrency, read_only).await;
        if matches!(command, FleetCommand::Rollback { .. }) {
            relabel_rollback_skips(&mut results);
        }
        finish_notifications(command, &apps, &results);
        log_request_usage(&apps, logger);
        report(command, &results, outputs, json, logger, stopped)
    })
}

/// Each service's sink: its events prefixed with `[name]`, forwarded to `sink`.
fn prefix_sinks<'n, 's>(
    names: impl Iterator<Item = &'n String>,
    sink: &'s TerminalSink,
    json: bool,
) -> Vec<PrefixSink<'s>> {
    names
        .map(|name| PrefixSink {
            prefix: format!("[{name}]"),
            inner: sink,
            line: std::sync::OnceLock::new(),
            requests_on_stdout: !json,
        })
        .collect()
}

/// Rollbacks run dependents first: what a skipped service waited for is its dependent.
fn relabel_rollback_skips(results: &mut [fleet::ServiceResult]) {
    for result in results {
        if let Outcome::Skipped(reason) = &mut result.outcome {
            *reason = reason.replace("its dependency", "its dependent (rolled back first)");
        }
    }
}

/// With `--debug`: the AWS requests of each set of shared clients (their request budget).
fn log_request_usage(apps: &BTreeMap<String, App<'_>>, logger: &Logger) {
    let mut budgets: Vec<&Arc<crate::aws::budget::Budget>> = Vec::new();
    for app in apps.values() {
        if !budgets.iter().any(|b| Arc::ptr_eq(b, &app.clients.budget)) {
            budgets.push(&app.clients.budget);
            logger.debug(&app.clients.usage());
        }
    }
}

/// `fleet deploy --plan-out`: every service's plan, dependencies first, in one file; AWS is
/// only read. Each service's env files and ext vars are saved for `apply`.
async fn plan_fleet(
    apps: &BTreeMap<String, App<'_>>,
    dependencies: &Dependencies,
    args: &FleetArgs,
    fleet_file: &FleetFile,
    globals: &Globals,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    let FleetCommand::Deploy {
        plan_out: Some(path),
        wait_until,
        ..
    } = &args.command
    else {
        anyhow::bail!("only `fleet deploy --plan-out` writes a plan");
    };
    let base = args
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let order: Vec<String> = fleet::levels(dependencies)
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .flatten()
        .collect();
    let mut services = Vec::new();
    for name in &order {
        let app = &apps[name];
        let options = service::deploy_options(false, *wait_until);
        let after = dependencies.get(name).cloned().unwrap_or_default();
        let mut planned = deploy::saved_plan::plan_service(app, options, after)
            .await
            .with_context(|| format!("fleet service `{name}`"))?;
        let settings = fleet::service_globals(fleet_file, name, globals, &base);
        planned.envfile = settings
            .envfile
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        planned.ext_str = settings.ext_str;
        planned.ext_code = settings.ext_code;
        services.push(planned);
    }
    deploy::saved_plan::plan_file(services).write(path)?;
    logger.info(&format!(
        "plan of {} service(s) written to {}: {}; nothing was changed in AWS",
        order.len(),
        path.display(),
        order.join(", ")
    ));
    Ok(ExitCode::SUCCESS)
}

/// How many services run at once: `--concurrency`, else the fleet file's, else 4.
fn concurrency(args: &FleetArgs, fleet: &FleetFile) -> anyhow::Result<usize> {
    let concurrency = args
        .concurrency
        .map(usize::from)
        .or(fleet.concurrency)
        .unwrap_or(4);
    anyhow::ensure!(
        concurrency > 0,
        "{}: `concurrency` must be at least 1",
        args.file.display()
    );
    Ok(concurrency)
}

/// Loads every selected service's config and plugins before anything runs, so a mistake
/// stops the fleet early; refuses two entries for one ECS service.
fn load_services(
    fleet: &FleetFile,
    file: &Path,
    dependencies: &Dependencies,
    globals: &Globals,
    environment: &Environment,
    logger: &Logger,
) -> anyhow::Result<BTreeMap<String, Loaded>> {
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loaded: BTreeMap<String, Loaded> = BTreeMap::new();
    for name in dependencies.keys() {
        let service_globals = fleet::service_globals(fleet, name, globals, &base);
        let service_loaded =
            load_app(&service_globals, environment.clone(), logger).with_context(|| {
                format!(
                    "fleet service `{name}` ({})",
                    service_globals
                        .config
                        .as_deref()
                        .unwrap_or(Path::new(""))
                        .display()
                )
            })?;
        loaded.insert(name.clone(), service_loaded);
    }
    fleet::check_distinct(
        loaded.iter().map(|(n, l)| (n.as_str(), &l.config.file)),
        file,
    )
    .map_err(anyhow::Error::msg)?;

    Ok(loaded)
}

/// Every service's definitions are rendered and transformed (policy plugins included) before
/// the first one is deployed: a local mistake in a later service must not leave the earlier ones
/// deployed.
fn check_definitions(
    apps: &BTreeMap<String, App<'_>>,
    dependencies: &Dependencies,
    logger: &Logger,
) -> anyhow::Result<()> {
    let problems: Vec<String> = apps
        .iter()
        .filter(|(name, _)| dependencies.contains_key(*name))
        .filter_map(|(name, app)| service::definition_problem(app).map(|e| format!("{name}: {e}")))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    for problem in &problems {
        logger.error(&anyhow::anyhow!("{problem}"));
    }
    anyhow::bail!(
        "fleet: {} service(s) have errors in their definitions; nothing was deployed",
        problems.len()
    )
}

/// Prints each service's output and the summary (or the JSON document), logs what did not
/// succeed, and returns the exit code: 1 when a service failed, 2 for `diff --exit-code` when
/// one differs. `stopped` is the error of a signal that stopped the fleet.
fn report(
    command: &FleetCommand,
    results: &[fleet::ServiceResult],
    mut outputs: BTreeMap<String, serde_json::Value>,
    json: bool,
    logger: &Logger,
    stopped: Option<anyhow::Error>,
) -> anyhow::Result<ExitCode> {
    let ok = match command {
        FleetCommand::Deploy { dry_run: true, .. } => "planned",
        FleetCommand::Deploy { .. } => "deployed",
        FleetCommand::Rollback { .. } => "rolled back",
        _ => "ok",
    };
    if json {
        print_stdout(&to_pretty_json(&json_summary(
            command,
            results,
            ok,
            &mut outputs,
        )))?;
    } else {
        for (name, output) in &outputs {
            let text = match output {
                serde_json::Value::String(text) => text.clone(),
                value => to_pretty_json(value),
            };
            if !text.is_empty() {
                print_stdout(&format!("=== {name}\n{text}"))?;
            }
        }
        print_stdout(&fleet::table(results, ok))?;
    }
    let not_ok: Vec<String> = results
        .iter()
        .filter(|r| !r.outcome.succeeded())
        .map(|r| format!("{} ({})", r.name, r.outcome.label(ok)))
        .collect();
    if !not_ok.is_empty() {
        logger.error(&anyhow::anyhow!(
            "fleet: {} of {} service(s) did not succeed: {}",
            not_ok.len(),
            results.len(),
            not_ok.join(", ")
        ));
    }
    if let Some(error) = stopped {
        return Err(error);
    }
    let failed = !not_ok.is_empty();
    let differs = results
        .iter()
        .any(|r| matches!(&r.outcome, Outcome::Succeeded { detail, .. } if detail == "differs"));
    Ok(if failed {
        ExitCode::from(1)
    } else if differs && matches!(command, FleetCommand::Diff { exit_code: true }) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// What each service of a fleet run needs.
struct Run<'r, 'a> {
    apps: &'r BTreeMap<String, App<'a>>,
    command: &'r FleetCommand,
    lines: &'r BTreeMap<String, indicatif::ProgressBar>,
    color: bool,
    json: bool,
}

/// Runs the command on every service in `run_order` (up to `concurrency` at once) until all
/// finished or a signal stopped the fleet. Returns each service's result, the outputs they
/// printed, and the error of the signal if one stopped it.
async fn run_services(
    run: &Run<'_, '_>,
    run_order: &Dependencies,
    concurrency: usize,
    read_only: bool,
) -> (
    Vec<fleet::ServiceResult>,
    BTreeMap<String, serde_json::Value>,
    Option<anyhow::Error>,
) {
    let outputs: Mutex<BTreeMap<String, serde_json::Value>> = Mutex::new(BTreeMap::new());
    // Which services started and how each ended, for the summary when a signal stops the
    // fleet part-way.
    let progress: Mutex<BTreeMap<String, Progress>> = Mutex::new(BTreeMap::new());
    let mut stopped: Option<anyhow::Error> = None;
    let results = {
        let running = fleet::run(run_order, concurrency, read_only, |name| {
            let app = &run.apps[&name];
            let outputs = &outputs;
            let progress = &progress;
            let line = run.lines.get(&name).cloned();
            async move {
                let started = std::time::Instant::now();
                if let Ok(mut progress) = progress.lock() {
                    progress.insert(name.clone(), Progress::Running(started));
                }
                let (outcome, output) = run_one(app, run.command, run.color, run.json).await;
                if let Ok(mut progress) = progress.lock() {
                    progress.insert(
                        name.clone(),
                        Progress::Done(outcome.clone(), started.elapsed()),
                    );
                }
                if let Some(line) = line {
                    line.finish_with_message(outcome.label("done"));
                }
                if let Some(output) = output
                    && let Ok(mut outputs) = outputs.lock()
                {
                    outputs.insert(name, output);
                }
                outcome
            }
        });
        tokio::pin!(running);
        tokio::select! {
            biased;
            results = &mut running => results,
            signal = crate::interrupt::received() => {
                // Read what the services were doing before they are dropped (their guards
                // clear it).
                let running = run.apps.values().map(super::loading::StoppedCommand::of).collect();
                stopped = Some(super::loading::stopped_by(signal, running).await);
                let progress = progress.lock().map(|p| p.clone()).unwrap_or_default();
                interrupted_results(run.apps.keys(), &progress, signal)
            }
        }
    };
    (results, outputs.into_inner().unwrap_or_default(), stopped)
}

/// Waits for each service's own notifications, then sends the fleet's summary (read-only
/// commands and dry runs send none).
fn finish_notifications(
    command: &FleetCommand,
    apps: &BTreeMap<String, App<'_>>,
    results: &[fleet::ServiceResult],
) {
    // Each service's own events first, then the fleet's summary (read-only commands and
    // dry runs send none).
    for app in apps.values() {
        app.plugins
            .finish_notifications(std::time::Duration::from_secs(10));
    }
    if matches!(
        command,
        FleetCommand::Deploy { dry_run: false, .. } | FleetCommand::Rollback { dry_run: false, .. }
    ) {
        send_fleet_summary(apps, results);
        for app in apps.values() {
            app.plugins
                .finish_notifications(std::time::Duration::from_secs(10));
        }
    }
}
