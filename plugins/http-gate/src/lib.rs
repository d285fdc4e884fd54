//! A verification gate that probes HTTP endpoints (e.g. the test listener before traffic moves,
//! or the service after a deploy): every URL must answer an expected status, optionally with a
//! body containing a string, within a latency threshold, `successes` times in a row. Until then
//! it answers `pending` (the consecutive-success count travels in the state); after
//! `max_failures` consecutive failed rounds it fails. ristretto's `limits.gate_timeout` bounds
//! the whole wait.
//!
//! ```yaml
//! config:
//!   urls: ["http://test-listener.internal:8080/health"]
//!   expect_status: [200]        # default [200]
//!   body_contains: '"ok"'       # optional
//!   max_latency_ms: 1000        # optional
//!   successes: 3                # consecutive successful rounds needed (default 3)
//!   interval_ms: 2000           # between rounds (default 2000)
//!   max_failures: 10            # fail after this many failed rounds in a row (default: never)
//!   stages: [post-deploy]       # when to probe (default: before-traffic-shift, post-deploy, bake);
//!                               # at other stages the gate passes at once
//! allow:
//!   http: ["test-listener.internal:8080"]
//! ```

use std::time::{Duration, Instant};

use ristretto_plugin_sdk::{Context, Plugin, Stage, Verdict, http, log, plugin};
use serde::{Deserialize, Serialize};

struct HttpGate;

/// The entry's `config:` (numbers may be templated strings: `"3"`).
#[derive(Deserialize)]
struct Settings {
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default = "ok_status")]
    expect_status: Vec<u16>,
    body_contains: Option<String>,
    max_latency_ms: Option<u64>,
    #[serde(default = "three")]
    successes: u64,
    #[serde(default = "two_seconds")]
    interval_ms: u64,
    max_failures: Option<u64>,
    stages: Option<Vec<String>>,
}

fn ok_status() -> Vec<u16> {
    vec![200]
}

fn three() -> u64 {
    3
}

fn two_seconds() -> u64 {
    2000
}

/// Counters carried between polls.
#[derive(Default, Deserialize, Serialize)]
struct Progress {
    successes: u64,
    failures: u64,
}

impl Progress {
    fn parse(state: Option<&str>) -> Self {
        state
            .and_then(|s| ristretto_plugin_sdk::serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    fn encode(&self) -> String {
        ristretto_plugin_sdk::serde_json::to_string(self).unwrap_or_default()
    }
}

/// Probes one URL; `Err` says why it is not healthy.
fn probe(url: &str, settings: &Settings) -> Result<(), String> {
    let started = Instant::now();
    let response = http::get(url).map_err(|e| format!("{url}: {e}"))?;
    let latency = started.elapsed();
    let expected = &settings.expect_status;
    if !expected.contains(&response.status) {
        let status = response.status;
        return Err(format!("{url} answered {status} (expected {expected:?})"));
    }
    if let Some(needle) = &settings.body_contains
        && !response.text().contains(needle.as_str())
    {
        return Err(format!("{url}: body does not contain {needle:?}"));
    }
    if let Some(limit) = settings.max_latency_ms
        && latency > Duration::from_millis(limit)
    {
        let took = latency.as_millis();
        return Err(format!("{url} took {took} ms (limit {limit} ms)"));
    }
    Ok(())
}

#[plugin(description = "HTTP verification gate")]
impl Plugin for HttpGate {
    fn gate(ctx: &Context, stage: Stage, state: Option<String>) -> Result<Verdict, String> {
        let settings: Settings = ctx.config()?;
        let stage_name = stage.as_str();
        // The config is checked at every stage, so a mistake shows at pre-deploy, before
        // anything changes, rather than when test traffic is already on the new revision.
        if settings.urls.is_empty() {
            return Err("config.urls must list at least one URL".to_owned());
        }
        if let Some(bad) = settings
            .urls
            .iter()
            .find(|u| !u.starts_with("http://") && !u.starts_with("https://"))
        {
            return Err(format!(
                "config.urls: `{bad}` is not an http:// or https:// URL"
            ));
        }
        const STAGES: [&str; 4] = ["pre-deploy", "before-traffic-shift", "post-deploy", "bake"];
        let stages = settings.stages.as_deref().unwrap_or_default();
        if let Some(bad) = stages.iter().find(|s| !STAGES.contains(&s.as_str())) {
            return Err(format!(
                "config.stages: \"{bad}\" is not one of {}",
                STAGES.join(", ")
            ));
        }
        let active = match &settings.stages {
            Some(stages) => stages.iter().any(|s| s == stage_name),
            None => stage != Stage::PreDeploy,
        };
        if !active {
            return Ok(Verdict::Pass);
        }
        let needed = settings.successes.max(1);
        let interval = Duration::from_millis(settings.interval_ms);
        let mut progress = Progress::parse(state.as_deref());
        match settings
            .urls
            .iter()
            .try_for_each(|url| probe(url, &settings))
        {
            Ok(()) => {
                progress.successes += 1;
                progress.failures = 0;
                log::info(&format!(
                    "{stage_name}: round ok ({}/{needed})",
                    progress.successes
                ));
                if progress.successes >= needed {
                    return Ok(Verdict::Pass);
                }
            }
            // Retrying cannot help a request ristretto refuses: fail now, with the fix.
            Err(problem) if problem.contains("denied by ristretto") => {
                return Ok(Verdict::Fail(format!(
                    "{problem}: add the host to this plugin's allow.http"
                )));
            }
            Err(problem) => {
                progress.successes = 0;
                progress.failures += 1;
                log::warn(&format!("{stage_name}: {problem}"));
                if settings
                    .max_failures
                    .is_some_and(|max| progress.failures >= max)
                {
                    let failures = progress.failures;
                    return Ok(Verdict::Fail(format!(
                        "{problem} ({failures} failed rounds in a row)"
                    )));
                }
            }
        }
        Ok(Verdict::Pending {
            retry_after: interval,
            state: progress.encode(),
        })
    }
}
