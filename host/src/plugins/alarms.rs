//! The `alarms` host import: CloudWatch DescribeAlarms made by the host with its own
//! credentials, for alarm names the plugin's `allow.alarms` grants (exact or `prefix*`). Plugins
//! call it synchronously; the host runs the SDK call on the command's runtime (whose HTTP
//! connections it shares) and awaits it from the plugin call's own runtime. `plugin test` can
//! give fixed states instead (`--fake`), so a gate is testable without AWS.

use super::bindings::ristretto::plugin::alarms::AlarmState;

/// Where alarm states come from.
enum Source {
    /// CloudWatch DescribeAlarms, run on the command's runtime.
    Aws {
        client: aws_sdk_cloudwatch::Client,
        handle: tokio::runtime::Handle,
    },
    /// Fixed states (`plugin test --fake`).
    Fixed(Vec<AlarmState>),
}

/// Reads alarm states for one plugin.
pub struct AlarmReader {
    source: Source,
    allowed: Vec<String>,
}

impl AlarmReader {
    /// A reader limited to `allowed`.
    pub fn new(
        client: aws_sdk_cloudwatch::Client,
        allowed: Vec<String>,
        handle: tokio::runtime::Handle,
    ) -> Self {
        Self {
            source: Source::Aws { client, handle },
            allowed,
        }
    }

    /// A reader that answers `states` (alarms not among them do not exist), limited to
    /// `allowed`.
    pub fn fixed(states: Vec<AlarmState>, allowed: Vec<String>) -> Self {
        Self {
            source: Source::Fixed(states),
            allowed,
        }
    }

    fn allows(&self, name: &str) -> bool {
        self.allowed
            .iter()
            .any(|rule| match rule.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => rule == name,
            })
    }

    /// The states of `names`; every name must be allowed.
    pub async fn states(&self, names: &[String]) -> Result<Vec<AlarmState>, String> {
        if let Some(denied) = names.iter().find(|n| !self.allows(n)) {
            return Err(format!(
                "alarm `{denied}` is not allowed; add it to the plugin's allow.alarms"
            ));
        }
        let (client, handle) = match &self.source {
            Source::Aws { client, handle } => (client, handle),
            Source::Fixed(states) => {
                return Ok(states
                    .iter()
                    .filter(|s| names.contains(&s.name))
                    .cloned()
                    .collect());
            }
        };
        let request = client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send();
        let output = handle
            .spawn(request)
            .await
            .map_err(|err| format!("DescribeAlarms did not finish: {err}"))?
            .map_err(|err| {
                format!(
                    "DescribeAlarms failed: {}",
                    crate::aws::describe_error(&err)
                )
            })?;
        Ok(output
            .metric_alarms()
            .iter()
            .map(|alarm| AlarmState {
                name: alarm.alarm_name().unwrap_or_default().to_owned(),
                state: alarm
                    .state_value()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                reason: alarm.state_reason().unwrap_or_default().to_owned(),
            })
            .collect())
    }
}
