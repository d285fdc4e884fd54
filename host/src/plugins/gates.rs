//! Gates of the plugin set: asking one gate at a stage (a verdict, or a plugin error that is
//! no verdict on the release), polling `pending` answers until the gate's deadline, and
//! remembering which failures were plugin errors so the lifecycle does not mark a revision
//! rejected for them. Decides nothing about AWS: the deploy engine acts on the outcome.

use std::time::{Duration, Instant};

use super::bindings::{Stage, Verdict};
use super::limits::Hook;
use super::set::{PluginSet, blocking};
use super::stages::watched_stages;
use super::{Error, HookContext};

/// A gate that did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateFailure {
    /// The plugin.
    pub plugin: String,
    /// The stage.
    pub stage: &'static str,
    /// Its reason, or the fault.
    pub reason: String,
}

/// One answer of a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateCheck {
    /// Go on.
    Pass,
    /// Ask again after `retry_after` with `state`.
    Pending {
        /// When to ask again.
        retry_after: Duration,
        /// The plugin's state for the next call.
        state: String,
    },
    /// Stop; the reason (or the fault).
    Fail(String),
}

impl PluginSet {
    /// Whether any plugin gates deploys.
    pub fn has_gates(&self) -> bool {
        self.plugins.iter().any(|p| p.has(Hook::Gate))
    }

    /// With gate plugins, the longest `limits.gate_timeout` among them (what the PAUSE hook
    /// ristretto adds must outlast); `None` without gates.
    pub fn gate_hook_timeout(&self) -> Option<Duration> {
        self.has_gates().then(|| self.longest_gate_timeout())
    }

    /// The longest `limits.gate_timeout` of the gate plugins (zero when there are none).
    pub fn longest_gate_timeout(&self) -> Duration {
        self.plugins
            .iter()
            .filter(|p| p.has(Hook::Gate))
            .map(|p| p.limits.gate_timeout)
            .max()
            .unwrap_or_default()
    }

    /// Names and `limits.gate_timeout` of the gate plugins that watch `stage`, in config order.
    pub fn gate_plugins_at(&self, stage: Stage) -> Vec<(String, Duration)> {
        self.plugins
            .iter()
            .filter(|p| p.has(Hook::Gate) && watches(p, stage))
            .map(|p| (p.name.clone(), p.limits.gate_timeout))
            .collect()
    }

    /// The gates asked at `stage`, with whether each watches it: the gates that watch it, and
    /// at `pre-deploy` every gate, so a gate's config mistake stops the deploy before anything
    /// changes (a gate that does not watch `pre-deploy` passes there without being reported).
    fn gates_asked_at(&self, stage: Stage) -> Vec<(String, Duration, bool)> {
        self.plugins
            .iter()
            .filter(|p| p.has(Hook::Gate))
            .map(|p| (p, watches(p, stage)))
            .filter(|(_, watched)| *watched || stage == Stage::PreDeploy)
            .map(|(p, watched)| (p.name.clone(), p.limits.gate_timeout, watched))
            .collect()
    }

    /// Asks the gate of plugin `name` once at `stage`, with the state of its previous
    /// `pending` answer. A fault (trap, timeout, error) is a failure.
    pub async fn check_gate(
        &self,
        ctx: &HookContext,
        stage: Stage,
        name: &str,
        state: Option<String>,
    ) -> GateCheck {
        let Some(plugin) = self
            .plugins
            .iter()
            .find(|p| p.name == name && p.has(Hook::Gate))
        else {
            return GateCheck::Fail(format!("no gate plugin named `{name}`"));
        };
        let context = ctx.for_plugin(plugin);
        let what = format!("gate, {}", stage.name());
        let answer = blocking(|| {
            plugin.call_reporting(Hook::Gate, &what, async move |p, s| {
                p.check(s, &context, stage, state.as_deref()).await
            })
        });
        if let Err(Error::Interrupted { .. }) = answer {
            // A signal is no verdict: leave the answer to the command's signal handling (it
            // rolls back a deployment paused for the gates), which sees the signal as soon as
            // this future yields.
            return std::future::pending().await;
        }
        let denials = match &answer {
            Ok((_, report)) => report.denials.clone(),
            Err(_) => Vec::new(),
        };
        let check = match answer {
            Ok((Ok(Verdict::Pass), _)) => return GateCheck::Pass,
            Ok((Ok(Verdict::Pending(pending)), _)) if denials.is_empty() => {
                return GateCheck::Pending {
                    retry_after: Duration::from_millis(pending.retry_after_ms.clamp(100, 300_000)),
                    state: pending.state,
                };
            }
            Ok((Ok(Verdict::Fail(reason)), _)) if denials.is_empty() => {
                return GateCheck::Fail(reason);
            }
            Ok((Ok(Verdict::Fail(reason)), _)) => reason,
            Ok((Ok(Verdict::Pending(_)), _)) => "it answered pending".to_owned(),
            Ok((Err(message), _)) if denials.is_empty() => {
                return GateCheck::Fail(format!("the gate returned an error: {message}"));
            }
            Ok((Err(message), _)) => format!("the gate returned an error: {message}"),
            Err(fault) => fault.to_string(),
        };
        // The plugin could not do its check (it crashed, ran out of time, or was refused a
        // request by its own allow.http): that says nothing about the release, so the revision
        // is not marked rejected, but the gate did not pass either.
        if let Ok(mut faults) = self.gate_faults.lock() {
            faults.insert((name.to_owned(), stage.name()));
        }
        GateCheck::Fail(match denials.first() {
            Some(denial) => format!(
                "plugin error, not a verdict on the release: {check} (a request was refused: {denial}; fix the entry's allow.http)"
            ),
            None => format!("plugin error, not a verdict on the release: {check}"),
        })
    }

    /// Whether the last failure of `plugin`'s gate at `stage` was a plugin error (a crash, a
    /// timeout, a refused request) rather than a verdict: such a failure does not mark the
    /// revision rejected.
    pub fn gate_faulted(&self, plugin: &str, stage: &str) -> bool {
        self.gate_faults
            .lock()
            .is_ok_and(|faults| faults.iter().any(|(p, s)| p == plugin && *s == stage))
    }

    /// Runs every gate at `stage`, polling `pending` verdicts until each gate's deadline
    /// (`limits.gate_timeout`, or `command_deadline` when that comes first: a gate still pending
    /// then fails, so the caller can roll back before its own timeout cuts it off).
    /// Returns the gates that passed (with whether each watches `stage`, see
    /// [`PluginSet::gates_asked_at`]), or the first failure (a fault is a failure).
    pub async fn run_gates(
        &self,
        ctx: &HookContext,
        stage: Stage,
        command_deadline: Instant,
    ) -> Result<Vec<(String, bool)>, GateFailure> {
        let mut passed = Vec::new();
        let asked = self.gates_asked_at(stage);
        self.prepare(|p| asked.iter().any(|(name, ..)| *name == p.name));
        for (name, gate_timeout, watched) in asked {
            let own_deadline = Instant::now() + gate_timeout;
            let deadline = own_deadline.min(command_deadline);
            let mut state: Option<String> = None;
            let fail = |reason: String| GateFailure {
                plugin: name.clone(),
                stage: stage.name(),
                reason,
            };
            loop {
                match self.check_gate(ctx, stage, &name, state.take()).await {
                    GateCheck::Pass => {
                        passed.push((name.clone(), watched));
                        break;
                    }
                    GateCheck::Fail(reason) => return Err(fail(reason)),
                    GateCheck::Pending {
                        retry_after,
                        state: next,
                    } => {
                        if Instant::now() + retry_after > deadline {
                            return Err(fail(if deadline < own_deadline {
                                "still pending when the command's timeout ran out (config `timeout` or --timeout)".to_owned()
                            } else {
                                format!(
                                    "still pending after {} (limits.gate_timeout)",
                                    crate::config::format_duration(gate_timeout)
                                )
                            }));
                        }
                        state = Some(next);
                        tokio::time::sleep(retry_after).await;
                    }
                }
            }
        }
        Ok(passed)
    }
}

/// Whether `plugin` (a gate) watches `stage` (its config was checked when it was loaded).
fn watches(plugin: &super::plugin::LoadedPlugin, stage: Stage) -> bool {
    serde_json::from_str(&plugin.config_json)
        .ok()
        .and_then(|config| watched_stages(&config).ok())
        .is_none_or(|stages| stages.contains(&stage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_gate_watches_its_config_stages_or_every_stage() {
        assert_eq!(watched_stages(&json!({})), Ok(Stage::ALL.to_vec()));
        assert_eq!(
            watched_stages(&json!({"stages": ["post-deploy", "bake"]})),
            Ok(vec![Stage::PostDeploy, Stage::Bake])
        );
        assert_eq!(
            watched_stages(&json!({"stages": ["post-deply"]})),
            Err("config.stages: \"post-deply\" is not one of pre-deploy, before-traffic-shift, post-deploy, bake".to_owned())
        );
        assert!(
            watched_stages(&json!({"stages": "bake"}))
                .is_err_and(|e| e.starts_with("config.stages must be a list"))
        );
    }

    #[test]
    fn stage_and_event_names_are_the_contracts() {
        assert_eq!(Stage::BeforeTrafficShift.name(), "before-traffic-shift");
        assert_eq!(
            crate::plugins::EventKind::ALL.map(crate::plugins::EventKind::name)[0],
            "deploy-started"
        );
        let wit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/types.wit"))
            .expect("read wit/types.wit");
        for kind in crate::plugins::EventKind::ALL {
            assert!(
                wit.contains(&format!("        {},", kind.name())),
                "{}",
                kind.name()
            );
        }
    }
}
