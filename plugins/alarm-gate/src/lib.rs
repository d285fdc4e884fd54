//! A gate that passes only while the named CloudWatch alarms are OK. The plugin holds no AWS
//! credentials: ristretto reads the alarm states for it (host import `alarms`), limited to the
//! names in the entry's `allow.alarms`. An alarm in ALARM fails the gate (after a deploy: the
//! service rolls back); INSUFFICIENT_DATA answers `pending` (or what `insufficient_data` says);
//! an alarm that does not exist fails it. The config and the grants are checked at every
//! stage, pre-deploy included, so a mistake stops the deploy before anything changes.
//!
//! ```yaml
//! config:
//!   alarms: [web-5xx-rate, web-latency-p99]
//!   insufficient_data: pending     # pending (default), pass or fail
//!   interval_ms: 10000             # between polls while pending (default 10000)
//!   stages: [post-deploy, bake]    # default: before-traffic-shift, post-deploy, bake
//! allow:
//!   alarms: ["web-*"]
//! ```

use std::time::Duration;

use ristretto_plugin_sdk::{Context, Plugin, Stage, Value, Verdict, alarms, plugin};

struct AlarmGate;

#[plugin(description = "passes while CloudWatch alarms are OK")]
impl Plugin for AlarmGate {
    fn gate(ctx: &Context, stage: Stage, state: Option<String>) -> Result<Verdict, String> {
        let config = &ctx.config;
        // The config and the alarms' grants are checked at every stage, so a mistake shows at
        // pre-deploy, before anything changes, rather than after the deploy.
        let names: Vec<&str> = config["alarms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if names.is_empty() {
            return Err("config.alarms must name at least one alarm".to_owned());
        }
        const STAGES: [&str; 4] = ["pre-deploy", "before-traffic-shift", "post-deploy", "bake"];
        if let Some(bad) = config["stages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| !s.as_str().is_some_and(|s| STAGES.contains(&s)))
        {
            return Err(format!(
                "config.stages: {bad} is not one of {}",
                STAGES.join(", ")
            ));
        }
        let active = match config["stages"].as_array() {
            Some(stages) => stages.iter().any(|s| s == stage.as_str()),
            None => stage != Stage::PreDeploy,
        };
        // Reading the alarms is what needs the grants (allow.alarms): done at every stage.
        let states = alarms::states(&names)?;
        if !active {
            return Ok(Verdict::Pass);
        }
        let mut waiting = Vec::new();
        for name in &names {
            let Some(alarm) = states.iter().find(|s| s.name == *name) else {
                return Ok(Verdict::Fail(format!("alarm `{name}` does not exist")));
            };
            match alarm.state.as_str() {
                "OK" => {}
                "ALARM" => {
                    return Ok(Verdict::Fail(format!(
                        "alarm `{name}` is in ALARM: {}",
                        alarm.reason
                    )));
                }
                _ => match config["insufficient_data"].as_str().unwrap_or("pending") {
                    "pass" => {}
                    "fail" => {
                        return Ok(Verdict::Fail(format!(
                            "alarm `{name}` has insufficient data"
                        )));
                    }
                    _ => waiting.push(*name),
                },
            }
        }
        if waiting.is_empty() {
            return Ok(Verdict::Pass);
        }
        let polls: u64 = state.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        Ok(Verdict::Pending {
            retry_after: Duration::from_millis(config["interval_ms"].as_u64().unwrap_or(10_000)),
            state: (polls + 1).to_string(),
        })
    }
}
