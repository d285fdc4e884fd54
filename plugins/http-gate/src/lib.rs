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

use ristretto_plugin_sdk::{Context, Plugin, Stage, Value, Verdict, http, json, log, register_plugin};

struct HttpGate;

/// Counters carried between polls.
#[derive(Default)]
struct Progress {
    successes: u64,
    failures: u64,
}

impl Progress {
    fn parse(state: Option<&str>) -> Self {
        let value: Value = state.and_then(|s| ristretto_plugin_sdk::serde_json::from_str(s).ok()).unwrap_or_default();
        Self { successes: value["successes"].as_u64().unwrap_or(0), failures: value["failures"].as_u64().unwrap_or(0) }
    }

    fn encode(&self) -> String {
        json!({"successes": self.successes, "failures": self.failures}).to_string()
    }
}

/// Probes one URL; `Err` says why it is not healthy.
fn probe(url: &str, config: &Value) -> Result<(), String> {
    let started = Instant::now();
    let response = http::get(url).map_err(|e| format!("{url}: {e}"))?;
    let latency = started.elapsed();
    let expected: Vec<u64> = config["expect_status"]
        .as_array()
        .map(|codes| codes.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_else(|| vec![200]);
    if !expected.contains(&u64::from(response.status)) {
        return Err(format!("{url} answered {} (expected {expected:?})", response.status));
    }
    if let Some(needle) = config["body_contains"].as_str()
        && !response.text().contains(needle)
    {
        return Err(format!("{url}: body does not contain {needle:?}"));
    }
    if let Some(limit) = config["max_latency_ms"].as_u64()
        && latency > Duration::from_millis(limit)
    {
        return Err(format!("{url} took {} ms (limit {limit} ms)", latency.as_millis()));
    }
    Ok(())
}

impl Plugin for HttpGate {
    fn gate(ctx: &Context, stage: Stage, state: Option<String>) -> Result<Verdict, String> {
        let config = &ctx.config;
        let stage_name = match stage {
            Stage::PreDeploy => "pre-deploy",
            Stage::BeforeTrafficShift => "before-traffic-shift",
            Stage::PostDeploy => "post-deploy",
            Stage::Bake => "bake",
        };
        // The config is checked at every stage, so a mistake shows at pre-deploy, before
        // anything changes, rather than when test traffic is already on the new revision.
        let urls: Vec<&str> = config["urls"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if urls.is_empty() {
            return Err("config.urls must list at least one URL".to_owned());
        }
        if let Some(bad) = urls.iter().find(|u| !u.starts_with("http://") && !u.starts_with("https://")) {
            return Err(format!("config.urls: `{bad}` is not an http:// or https:// URL"));
        }
        const STAGES: [&str; 4] = ["pre-deploy", "before-traffic-shift", "post-deploy", "bake"];
        if let Some(bad) =
            config["stages"].as_array().into_iter().flatten().find(|s| !s.as_str().is_some_and(|s| STAGES.contains(&s)))
        {
            return Err(format!("config.stages: {bad} is not one of {}", STAGES.join(", ")));
        }
        let active = match config["stages"].as_array() {
            Some(stages) => stages.iter().any(|s| s == stage_name),
            None => stage != Stage::PreDeploy,
        };
        if !active {
            return Ok(Verdict::Pass);
        }
        let needed = config["successes"].as_u64().unwrap_or(3).max(1);
        let interval = Duration::from_millis(config["interval_ms"].as_u64().unwrap_or(2000));
        let mut progress = Progress::parse(state.as_deref());
        match urls.iter().try_for_each(|url| probe(url, config)) {
            Ok(()) => {
                progress.successes += 1;
                progress.failures = 0;
                log::info(&format!("{stage_name}: round ok ({}/{needed})", progress.successes));
                if progress.successes >= needed {
                    return Ok(Verdict::Pass);
                }
            }
            // Retrying cannot help a request ristretto refuses: fail now, with the fix.
            Err(problem) if problem.contains("denied by ristretto") => {
                return Ok(Verdict::Fail(format!("{problem}: add the host to this plugin's allow.http")));
            }
            Err(problem) => {
                progress.successes = 0;
                progress.failures += 1;
                log::warn(&format!("{stage_name}: {problem}"));
                if config["max_failures"].as_u64().is_some_and(|max| progress.failures >= max) {
                    return Ok(Verdict::Fail(format!("{problem} ({} failed rounds in a row)", progress.failures)));
                }
            }
        }
        Ok(Verdict::Pending { retry_after: interval, state: progress.encode() })
    }
}

register_plugin!(HttpGate, capabilities: [gate], description: "HTTP verification gate");
