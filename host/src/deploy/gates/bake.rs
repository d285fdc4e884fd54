//! `bake` gates: while production traffic runs on the new revision but the deployment is not
//! over yet (ECS BAKE_TIME or a linear/canary step, CodeDeploy's termination wait), every gate
//! plugin is asked again and again. `pass` means "fine so far" (asked again a few seconds
//! later), `pending` is asked again after its delay with its state, and `fail` (or staying
//! pending past `limits.gate_timeout`) stops the deployment with rollback.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::App;
use crate::deploy::gates::{GateFailure, GateOutcome, report_failure};
use crate::events::Lifecycle;
use crate::plugins::{EventKind, GateCheck, Stage};

/// How soon a bake gate that passed is asked again.
const RECHECK_AFTER: Duration = Duration::from_secs(5);

struct BakeGate {
    plugin: String,
    gate_timeout: Duration,
    state: Option<String>,
    next_check: Instant,
    pending_since: Option<Instant>,
    passed_once: bool,
}

/// Asks the bake gates whenever they are due.
pub(crate) struct BakeMonitor {
    gates: Vec<BakeGate>,
}

impl BakeMonitor {
    /// A monitor over the configured gate plugins; `None` when there are none.
    pub(crate) fn new(app: &App<'_>) -> Option<Self> {
        let now = Instant::now();
        let gates: Vec<_> = app
            .plugins
            .gate_plugins_at(Stage::Bake)
            .into_iter()
            .map(|(plugin, gate_timeout)| BakeGate {
                plugin,
                gate_timeout,
                state: None,
                next_check: now,
                pending_since: None,
                passed_once: false,
            })
            .collect();
        (!gates.is_empty()).then_some(Self { gates })
    }

    /// Asks every gate that is due. Returns the first failure (already reported and notified;
    /// the caller rolls back), else `Pending` while a gate has not decided, else `Pass`.
    pub(crate) async fn check(&mut self, app: &App<'_>) -> GateOutcome {
        let stage = Stage::Bake;
        let mut outcome = GateOutcome::Pass;
        for gate in &mut self.gates {
            let now = Instant::now();
            if now < gate.next_check {
                continue;
            }
            let answer = app
                .plugins
                .check_gate(&app.context(), stage, &gate.plugin, gate.state.take())
                .await;
            match answer {
                GateCheck::Pass => {
                    gate.pending_since = None;
                    gate.next_check = now + RECHECK_AFTER;
                    if !gate.passed_once {
                        gate.passed_once = true;
                        let message = format!(
                            "bake gate of plugin `{}` passed (asked again while baking)",
                            gate.plugin
                        );
                        app.lifecycle(
                            Lifecycle::new(EventKind::GatePassed, message)
                                .task_definition(app.context().revision)
                                .details(json!({"plugin": gate.plugin, "stage": stage.name()})),
                        );
                    }
                }
                GateCheck::Pending { retry_after, state } => {
                    let since = *gate.pending_since.get_or_insert(now);
                    if now.duration_since(since) + retry_after > gate.gate_timeout {
                        return fail(
                            app,
                            &gate.plugin,
                            format!(
                                "still pending after {} (limits.gate_timeout)",
                                crate::config::format_duration(gate.gate_timeout)
                            ),
                        );
                    }
                    gate.state = Some(state);
                    gate.next_check = now + retry_after;
                    outcome = GateOutcome::Pending;
                }
                GateCheck::Fail(reason) => {
                    return fail(app, &gate.plugin, reason);
                }
            }
        }
        outcome
    }
}

/// Reports the bake gate of `plugin` failed with `reason` and returns that outcome.
fn fail(app: &App<'_>, plugin: &str, reason: String) -> GateOutcome {
    let failure = GateFailure {
        plugin: plugin.to_owned(),
        stage: Stage::Bake.name(),
        reason,
    };
    report_failure(app, &failure);
    GateOutcome::Fail(failure)
}
