//! Runs one fleet command for one service and returns its outcome and its output.

use crate::app::App;
use crate::deploy::{
    self, DeployOptions, DesiredCount, RollbackOptions, RollbackTarget, TaskDefinitionSource,
};
use crate::fleet::Outcome;
use crate::output::{to_pretty_json, unified_diff};

use super::FleetCommand;

/// Runs the command for one service; returns its outcome and its output for stdout (text, or
/// with `json` a JSON value where there is one: the status report).
pub(super) async fn run_one(
    app: &App<'_>,
    command: &FleetCommand,
    color: bool,
    json: bool,
) -> (Outcome, Option<serde_json::Value>) {
    match command {
        FleetCommand::Deploy {
            dry_run,
            wait_until,
            ..
        } => deploy_one(app, *dry_run, *wait_until, color).await,
        FleetCommand::Diff { .. } => diff_one(app, color).await,
        FleetCommand::Status { events } => status_one(app, *events, json).await,
        FleetCommand::Rollback { dry_run } => rollback_one(app, *dry_run).await,
        FleetCommand::Render => render_one(app),
    }
}

/// A service that succeeded, with its revision and a note for the summary.
fn succeeded(revision: Option<String>, detail: String) -> Outcome {
    Outcome::Succeeded { revision, detail }
}

/// What `fleet deploy` does to each service.
pub(super) fn deploy_options(dry_run: bool, wait_until: deploy::WaitUntil) -> DeployOptions {
    DeployOptions {
        dry_run,
        task_definition: TaskDefinitionSource::Register,
        desired_count: DesiredCount::FromDefinition,
        force_new_deployment: false,
        update_service: true,
        wait: Some(wait_until),
        auto_scaling: deploy::AutoScaling::default(),
        rollback_events: deploy::RollbackEvents::default(),
    }
}

/// `fleet deploy` of one service (with `--dry-run`, its diff is the output).
async fn deploy_one(
    app: &App<'_>,
    dry_run: bool,
    wait_until: deploy::WaitUntil,
    color: bool,
) -> (Outcome, Option<serde_json::Value>) {
    let mut text = None;
    if dry_run {
        text = Some(serde_json::Value::String(
            diff_text(app, color)
                .await
                .map(|(t, _)| t)
                .unwrap_or_else(|e| format!("diff failed: {e}\n")),
        ));
    }
    let outcome = match deploy::deploy(app, deploy_options(dry_run, wait_until)).await {
        Ok(td) => succeeded(
            Some(deploy::short_task_definition(&td).to_owned()),
            String::new(),
        ),
        Err(
            err @ deploy::Error::GateFailed {
                rolled_back_to: Some(_),
                ..
            },
        ) => Outcome::RolledBack(err.to_string()),
        // ECS put the service back on its previous revision (circuit breaker).
        Err(err @ deploy::Error::NotDeployed { .. }) => Outcome::RolledBack(err.to_string()),
        Err(err @ deploy::Error::DeploymentFailed { .. })
            if err.to_string().contains("ROLLBACK_SUCCESSFUL") =>
        {
            Outcome::RolledBack(err.to_string())
        }
        Err(err) => Outcome::Failed(err.to_string()),
    };
    (outcome, text)
}

/// `fleet diff` of one service: the diff is the output; the summary says whether it differs.
async fn diff_one(app: &App<'_>, color: bool) -> (Outcome, Option<serde_json::Value>) {
    match diff_text(app, color).await {
        Ok((text, differs)) => (
            succeeded(
                None,
                if differs { "differs" } else { "no changes" }.to_owned(),
            ),
            Some(serde_json::Value::String(text)),
        ),
        Err(err) => (Outcome::Failed(err.to_string()), None),
    }
}

/// `fleet status` of one service: the status text, or with `json` the status report.
async fn status_one(
    app: &App<'_>,
    events: usize,
    json: bool,
) -> (Outcome, Option<serde_json::Value>) {
    let output = if json {
        crate::report::status(app, events).await.and_then(|report| {
            serde_json::to_value(report).map_err(|e| deploy::Error::Invalid(e.to_string()))
        })
    } else {
        crate::report::status(app, events)
            .await
            .map(|report| serde_json::Value::String(crate::output::status::to_text(&report)))
    };
    match output {
        Ok(output) => (succeeded(None, String::new()), Some(output)),
        Err(err) => (Outcome::Failed(err.to_string()), None),
    }
}

/// `fleet rollback` of one service. A service a failed deploy never changed (skipped, or never
/// created) has nothing to undo; that must not hold back the services it depends on.
async fn rollback_one(app: &App<'_>, dry_run: bool) -> (Outcome, Option<serde_json::Value>) {
    let options = RollbackOptions {
        dry_run,
        target: RollbackTarget::Previous,
        deregister: !dry_run,
        wait: Some(deploy::WaitUntil::Stable),
        rollback_events: deploy::RollbackEvents::default(),
    };
    let outcome = match deploy::rollback(app, options).await {
        Ok(td) => succeeded(
            Some(deploy::short_task_definition(&td).to_owned()),
            String::new(),
        ),
        Err(deploy::Error::NothingToRollBackTo(reason)) => {
            succeeded(None, format!("nothing to roll back: {reason}"))
        }
        Err(err @ deploy::Error::ServiceNotFound { .. }) => {
            succeeded(None, format!("nothing to roll back: {err}"))
        }
        Err(err) => Outcome::Failed(err.to_string()),
    };
    (outcome, None)
}

/// `fleet render` of one service: its task definition, transforms applied.
fn render_one(app: &App<'_>) -> (Outcome, Option<serde_json::Value>) {
    let Some(path) = app.config.task_definition_path() else {
        return (
            Outcome::Failed("`task_definition` is not set".to_owned()),
            None,
        );
    };
    match app.load_task_definition(&path) {
        Ok(definition) => (succeeded(None, String::new()), Some(definition.value)),
        Err(err) => (Outcome::Failed(err.to_string()), None),
    }
}

/// The unified diff of the service and its task definition against AWS, and whether they differ.
async fn diff_text(app: &App<'_>, color: bool) -> Result<(String, bool), deploy::Error> {
    let comparisons = deploy::diff::diff(app, true).await?;
    let mut text = String::new();
    let mut differs = false;
    for c in &comparisons {
        differs |= c.differs();
        let format = |v: &serde_json::Value| {
            if v.is_null() {
                String::new()
            } else {
                to_pretty_json(v)
            }
        };
        let remote = c
            .remote_name
            .clone()
            .unwrap_or_else(|| format!("(no {} yet)", c.what));
        text.push_str(&unified_diff(
            &remote,
            &c.local_name,
            &format(&c.remote),
            &format(&c.local),
            color,
        ));
    }
    Ok((text, differs))
}

/// The first error loading `app`'s task and service definitions (rendered, transformed by its
/// plugins and checked), if any.
pub(super) fn definition_problem(app: &App<'_>) -> Option<String> {
    if let Some(path) = app.config.task_definition_path()
        && let Err(err) = app.load_task_definition(&path)
    {
        return Some(err.to_string());
    }
    if let Some(path) = app.config.service_definition_path()
        && let Err(err) = app.load_service_definition(&path)
    {
        return Some(err.to_string());
    }
    None
}
