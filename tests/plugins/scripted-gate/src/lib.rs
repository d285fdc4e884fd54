//! Test plugin (gate): answers `pending` `config.pending_polls` times (state counts polls) at
//! the stages in `config.pending_at` (default: every stage), then passes; fails with
//! `config.fail` at the stages listed in `config.fail_at`. With `config.sleep_ms` it first
//! sleeps that long at the stages in `config.sleep_at` (default: every stage), a WASI clock
//! wait the host must cut off at the call's deadline; with
//! `config.probe_url` it GETs that URL at the stages in `fail_at` and returns the request's
//! error as its own.
use std::time::Duration;

use ristretto_plugin_sdk::{Context, Plugin, Stage, Value, Verdict, http, plugin};

struct ScriptedGate;

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::PreDeploy => "pre-deploy",
        Stage::BeforeTrafficShift => "before-traffic-shift",
        Stage::PostDeploy => "post-deploy",
        Stage::Bake => "bake",
    }
}

#[plugin]
impl Plugin for ScriptedGate {
    fn gate(ctx: &Context, stage: Stage, state: Option<String>) -> Result<Verdict, String> {
        let sleep_here = ctx
            .config
            .get("sleep_at")
            .and_then(Value::as_array)
            .is_none_or(|stages| stages.iter().any(|s| s == stage_name(stage)));
        if let Some(ms) = ctx.config.get("sleep_ms").and_then(Value::as_u64)
            && sleep_here
        {
            std::thread::sleep(Duration::from_millis(ms));
        }
        let fail_here = ctx
            .config
            .get("fail_at")
            .and_then(Value::as_array)
            .is_some_and(|stages| stages.iter().any(|s| s == stage_name(stage)));
        let polls: u64 = state.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        let pending_here = ctx
            .config
            .get("pending_at")
            .and_then(Value::as_array)
            .is_none_or(|stages| stages.iter().any(|s| s == stage_name(stage)));
        let wanted = match ctx.config.get("pending_polls").and_then(Value::as_u64) {
            Some(n) if pending_here => n,
            _ => 0,
        };
        if polls < wanted {
            return Ok(Verdict::Pending {
                retry_after: Duration::from_millis(100),
                state: (polls + 1).to_string(),
            });
        }
        if fail_here && let Some(url) = ctx.config.get("probe_url").and_then(Value::as_str) {
            http::get(url)?;
            return Ok(Verdict::Pass);
        }
        if fail_here {
            let reason = ctx
                .config
                .get("fail")
                .and_then(Value::as_str)
                .unwrap_or("scripted failure");
            return Ok(Verdict::Fail(format!("{reason} (after {polls} polls)")));
        }
        Ok(Verdict::Pass)
    }
}
