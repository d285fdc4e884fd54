//! Gates decide; they never act. `decide` asks every gate plugin at a stage and returns a
//! `GateOutcome` (pass, pending, or fail with the plugin and its reason), after reporting each
//! verdict (a log line and a `gate-passed` / `gate-failed` notification). The controller that
//! asked acts on the outcome: nothing written before `pre-deploy`, ContinueServiceDeployment
//! or StopDeployment at a pause, a rollback after `post-deploy` or `bake`. No AWS calls here.

pub(crate) mod bake;

use serde_json::json;

use crate::app::App;
use crate::deploy::Error;
use crate::events::Lifecycle;
use crate::plugins::{EventKind, Stage};

pub use crate::plugins::GateFailure;

/// What the gates at one stage decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOutcome {
    /// Every gate passed (or there are none): go on.
    Pass,
    /// A gate has not decided yet (bake gates, asked again later); nothing failed so far.
    Pending,
    /// A gate failed: the controller stops or rolls back.
    Fail(GateFailure),
}

impl GateFailure {
    /// The failure as the command's error, naming the revision the service was rolled back
    /// to when it was.
    pub fn into_error(self, rolled_back_to: Option<String>) -> Error {
        Error::GateFailed {
            plugin: self.plugin,
            stage: self.stage,
            reason: self.reason,
            rolled_back_to,
        }
    }
}

/// Asks the gates at `stage` and reports their verdicts. Gates answering `pending` are asked
/// again until their deadline (`limits.gate_timeout`, or a few seconds before the command's
/// timeout so the controller can still act), and fail after it: the outcome is never `Pending`.
pub async fn decide(app: &App<'_>, stage: Stage) -> GateOutcome {
    // Every gate is asked at pre-deploy (its config is checked there); elsewhere only the
    // gates that watch the stage.
    let watchers = app.plugins.gate_plugins_at(stage);
    if !app.plugins.has_gates() || (watchers.is_empty() && stage != Stage::PreDeploy) {
        return GateOutcome::Pass;
    }
    if !watchers.is_empty() {
        app.info(format!("running {} gates", stage.name()));
    }
    // Leave a few seconds of the command's timeout to act on the verdict (roll back).
    let margin = std::time::Duration::from_secs(3).min(app.remaining() / 2);
    let deadline = app.deadline.checked_sub(margin).unwrap_or(app.deadline);
    match app.plugins.run_gates(&app.context(), stage, deadline).await {
        Ok(passed) => {
            for (plugin, watched) in passed {
                if watched {
                    report_pass(app, &plugin, stage);
                } else {
                    app.emit(crate::events::Event::Debug(format!(
                        "gate of plugin `{plugin}` checked its config at {} (it does not watch that stage)",
                        stage.name()
                    )));
                }
            }
            GateOutcome::Pass
        }
        Err(failure) => {
            report_failure(app, &failure);
            GateOutcome::Fail(failure)
        }
    }
}

/// `decide` for a deployment paused until the gates decide: while they run, a signal that
/// stops ristretto answers `decision` with a rollback (see `crate::interrupt`).
pub async fn decide_paused(
    app: &App<'_>,
    stage: Stage,
    decision: crate::interrupt::PendingDecision,
) -> GateOutcome {
    let _owed = app.pending.owe(decision);
    decide(app, stage).await
}

/// Runs the pre-deploy gates: a failure is the deploy's error, before anything is written.
pub(crate) async fn pre_deploy(app: &App<'_>) -> Result<(), Error> {
    match decide(app, Stage::PreDeploy).await {
        GateOutcome::Fail(failure) => Err(failure.into_error(None)),
        GateOutcome::Pass | GateOutcome::Pending => Ok(()),
    }
}

/// Reports that `plugin`'s gate passed at `stage`.
fn report_pass(app: &App<'_>, plugin: &str, stage: Stage) {
    let message = format!("{} gate of plugin `{plugin}` passed", stage.name());
    app.lifecycle(
        Lifecycle::new(EventKind::GatePassed, message)
            .details(json!({"plugin": plugin, "stage": stage.name()})),
    );
}

/// Reports a gate failure (warning + `gate-failed` notification).
pub(crate) fn report_failure(app: &App<'_>, failure: &GateFailure) {
    let GateFailure {
        plugin,
        stage,
        reason,
    } = failure;
    let message = format!("{stage} gate of plugin `{plugin}` failed: {reason}");
    app.lifecycle(
        Lifecycle::new(EventKind::GateFailed, message)
            .warning()
            .task_definition(app.context().revision)
            .details(json!({"plugin": plugin, "stage": stage, "reason": reason})),
    );
}

/// Warns, when a deploy returns before the end (`--no-wait`, `--wait-until paused` or a stage),
/// that the before-traffic-shift gates still have to run: nobody answers ristretto's pause
/// unless `ristretto wait` or `continue` does, and it rolls back when the wait times out.
pub(crate) fn warn_unattended(
    app: &App<'_>,
    strategy: crate::deploy::Strategy,
    until: Option<crate::deploy::WaitUntil>,
) {
    use crate::deploy::wait_until::{CODEDEPLOY_EVENTS, stage_index};
    // Past production's traffic shift the gated pauses are behind.
    let past_the_gates = match until {
        Some(crate::deploy::WaitUntil::EcsStage(i)) => {
            stage_index("PRODUCTION_TRAFFIC_SHIFT").is_some_and(|p| i > p)
        }
        Some(crate::deploy::WaitUntil::CodeDeployEvent(i)) => CODEDEPLOY_EVENTS
            .iter()
            .position(|e| *e == "AllowTraffic")
            .is_some_and(|p| i >= p),
        _ => false,
    };
    if app.plugins.has_gates() && !past_the_gates && strategy.pauses_for_gates() {
        app.warn(
            "the deployment goes on without this process: where ristretto's before-traffic-shift gates decide, it waits for `ristretto wait` (which runs them) or `ristretto continue`, and rolls back when that wait times out",
        );
    }
}
