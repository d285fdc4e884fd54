//! Host imports answered from a file instead of AWS (`plugin test --fake FILE`): secret values
//! and CloudWatch alarm states, so every hook can be tested offline. `PluginSet::fake_host`
//! installs them; nothing else reads them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::bindings::ristretto::plugin::alarms::AlarmState;

/// Host imports answered from a file instead of AWS (`plugin test --fake FILE`, YAML or JSON):
/// `secrets` maps names (`ssm:/path`, `env:NAME`, …) to values, which count as granted;
/// `alarms` maps alarm names to a state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) or to
/// `{state, reason}`. Alarms missing from the file do not exist.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeHost {
    /// Secret values by name.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Alarm states by name.
    #[serde(default)]
    pub alarms: BTreeMap<String, FakeAlarm>,
}

/// One faked alarm: its state, or its state and reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FakeAlarm {
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    State(String),
    /// A state with the reason CloudWatch would give.
    Detailed {
        /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
        state: String,
        /// Why it is in that state.
        #[serde(default)]
        reason: String,
    },
}

impl FakeHost {
    /// The alarm states, as the `alarms` import returns them.
    pub fn alarm_states(&self) -> Vec<AlarmState> {
        self.alarms
            .iter()
            .map(|(name, alarm)| {
                let (state, reason) = match alarm {
                    FakeAlarm::State(state) => (state.clone(), String::new()),
                    FakeAlarm::Detailed { state, reason } => (state.clone(), reason.clone()),
                };
                AlarmState {
                    name: name.clone(),
                    state,
                    reason,
                }
            })
            .collect()
    }
}
