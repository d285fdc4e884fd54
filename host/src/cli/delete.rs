//! `ristretto delete`: deletes the service after the user types its name (or `--force`;
//! without a terminal and without input it asks for `--force`); an Express service with
//! DeleteExpressGatewayService.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::Args;

/// Flags of `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Show what would be deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for the service name
    #[arg(long)]
    pub force: bool,
    /// Delete even if tasks are running (DeleteService force)
    #[arg(long)]
    pub terminate: bool,
}

/// Runs `delete`.
pub async fn run(args: DeleteArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let name = app.service()?.to_owned();
    let service = crate::deploy::require_configured_service(app).await?;
    if args.dry_run {
        app.info(format!(
            "would delete service {name} (desired {}, running {}) in cluster {} (dry run)",
            service.desired_count(),
            service.running_count(),
            app.cluster()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if !args.force {
        // A name piped in confirms as one typed would; no input at all (CI, cron) asks for
        // --force rather than reading as a wrong name.
        let terminal = std::io::stdin().is_terminal();
        if terminal {
            eprint!("Enter the service name to delete it ({name}): ");
        }
        let mut answer = String::new();
        let read = std::io::stdin().lock().read_line(&mut answer)?;
        if read == 0 || (!terminal && answer.trim().is_empty()) {
            anyhow::bail!(
                "deleting service {name} needs its name typed on a terminal, and there is none: pass --force to delete without asking (nothing was deleted)"
            );
        }
        if answer.trim() != name {
            anyhow::bail!("cancelled: the name did not match, nothing was deleted");
        }
    }
    if crate::deploy::express::is_configured(app) || crate::deploy::express::is_express(&service) {
        let status = crate::deploy::express::delete(app, &service).await?;
        app.info(format!("Express service {name} is deleted ({status})"));
        return Ok(ExitCode::SUCCESS);
    }
    app.clients
        .ecs
        .delete_service()
        .cluster(app.cluster())
        .service(&name)
        .force(args.terminate)
        .send()
        .await
        .map_err(|err| crate::deploy::aws_error("DeleteService", &err, &[]))?;
    app.info(format!("service {name} is deleted"));
    Ok(ExitCode::SUCCESS)
}
