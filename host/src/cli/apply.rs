//! `ristretto apply PLAN`: carries out a saved plan (from `deploy --plan-out` or `fleet deploy
//! --plan-out`), service by service in the plan's order, each with the config it was planned
//! with. A plan of several services is checked whole before the first is applied.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::config::{Environment, Globals};
use crate::deploy::saved_plan::{self, ApplyLimits, PlanFile, ServicePlan};
use crate::output::Logger;

/// Flags of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Refuse a plan older than this, e.g. `30m`, `24h`
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub max_age: Duration,
}

/// Runs `apply`.
pub fn run(
    args: ApplyArgs,
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    let file = PlanFile::read(&args.plan)?;
    anyhow::ensure!(
        !file.services.is_empty(),
        "plan file {}: it plans no service",
        args.plan.display()
    );
    let limits = ApplyLimits {
        max_age: args.max_age,
    };
    if file.services.len() > 1 {
        for service in &file.services {
            super::with_app(
                &globals_of(globals, service),
                environment.clone(),
                logger,
                async |app| {
                    saved_plan::check_service(app, &file, service, limits).await?;
                    Ok(ExitCode::SUCCESS)
                },
            )?;
        }
    }
    for service in &file.services {
        super::with_app(
            &globals_of(globals, service),
            environment.clone(),
            logger,
            async |app| {
                saved_plan::apply_service(app, &file, service, limits).await?;
                Ok(ExitCode::SUCCESS)
            },
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The command line's settings with the service's config, env files and ext vars (the
/// command line's win).
fn globals_of(globals: &Globals, service: &ServicePlan) -> Globals {
    let mut globals = globals.clone();
    globals.config = Some(PathBuf::from(&service.config));
    let mut envfile: Vec<PathBuf> = service.envfile.iter().map(PathBuf::from).collect();
    envfile.append(&mut globals.envfile);
    globals.envfile = envfile;
    let mut ext_str = service.ext_str.clone();
    ext_str.append(&mut globals.ext_str);
    globals.ext_str = ext_str;
    let mut ext_code = service.ext_code.clone();
    ext_code.append(&mut globals.ext_code);
    globals.ext_code = ext_code;
    globals
}
