//! What a fleet run reports besides each service's own output: the `--output json` document,
//! the per-service progress lines on a terminal, and the `fleet-finished` notification.

use std::collections::BTreeMap;

use crate::app::App;
use crate::fleet::{self, Outcome};
use crate::output::Logger;

use super::FleetCommand;

/// The `--output json` document: the command and, per service (by name), its
/// result, duration, revision, detail and output (diff text, status report, rendered task
/// definition), taken out of `outputs`.
pub(super) fn json_summary(
    command: &FleetCommand,
    results: &[fleet::ServiceResult],
    ok: &str,
    outputs: &mut BTreeMap<String, serde_json::Value>,
) -> serde_json::Value {
    let name = match command {
        FleetCommand::Deploy { .. } => "deploy",
        FleetCommand::Diff { .. } => "diff",
        FleetCommand::Status { .. } => "status",
        FleetCommand::Rollback { .. } => "rollback",
        FleetCommand::Render => "render",
    };
    let results: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let (revision, detail) = match &r.outcome {
                Outcome::Succeeded { revision, detail } => (revision.clone(), detail.clone()),
                Outcome::Failed(m) | Outcome::RolledBack(m) | Outcome::Skipped(m) => {
                    (None, m.clone())
                }
            };
            serde_json::json!({
                "service": r.name,
                "result": r.outcome.label(ok),
                "seconds": r.duration.as_secs_f64(),
                "revision": revision,
                "detail": detail,
                "output": outputs.remove(&r.name),
            })
        })
        .collect();
    serde_json::json!({"command": name, "results": results})
}

/// One spinner line per service on a terminal (text logs only); each service's events update
/// its line instead of scrolling.
pub(super) fn progress_lines(
    apps: &BTreeMap<String, App<'_>>,
    logger: &Logger,
) -> BTreeMap<String, indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if logger.format() != crate::output::LogFormat::Text || !std::io::stderr().is_terminal() {
        return BTreeMap::new();
    }
    let multi = indicatif::MultiProgress::new();
    let width = apps.keys().map(String::len).max().unwrap_or(8);
    apps.keys()
        .map(|name| {
            let bar = multi.add(indicatif::ProgressBar::new_spinner());
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {{prefix:{width}}}  {{wide_msg}}"
            )) {
                bar.set_style(style);
            }
            bar.set_prefix(name.clone());
            bar.set_message("waiting");
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            (name.clone(), bar)
        })
        .collect()
}

/// Sends one `fleet-finished` event to each distinct notify plugin of the fleet.
pub(super) fn send_fleet_summary(
    apps: &BTreeMap<String, App<'_>>,
    results: &[fleet::ServiceResult],
) {
    let summary: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "service": r.name,
                "result": r.outcome.label("succeeded"),
                "seconds": r.duration.as_secs_f64(),
            })
        })
        .collect();
    let failed = results.iter().filter(|r| !r.outcome.succeeded()).count();
    let message = format!(
        "fleet finished: {} succeeded, {failed} did not",
        results.len() - failed
    );
    let mut seen = std::collections::BTreeSet::new();
    for app in apps.values() {
        let identities = app.plugins.notify_identities();
        if identities.is_empty() || identities.iter().all(|i| seen.contains(i)) {
            continue;
        }
        seen.extend(identities);
        app.lifecycle(
            crate::events::Lifecycle::new(crate::plugins::EventKind::FleetFinished, &message)
                .details(serde_json::json!({"results": summary})),
        );
    }
}
