//! The PAUSE lifecycle hook that lets ristretto's `before-traffic-shift` gates run between
//! "new tasks take test traffic" and "production traffic shifts" in ECS-native blue/green,
//! linear and canary deployments. When gate plugins are configured, the service definition
//! gets a PAUSE hook at POST_TEST_TRAFFIC_SHIFT — and, for linear and canary deployments, at
//! PRE_PRODUCTION_TRAFFIC_SHIFT, which ECS enters before every production traffic step —
//! unless it has one there, whose timeout action is ROLLBACK, so a deploying process that
//! vanishes cannot leave production half-shifted.

use std::time::Duration;

use serde_json::{Value, json};

/// The stage at which ristretto pauses the deployment to run its gates: test traffic is on the
/// new revision, production traffic has not moved.
pub const GATED_STAGE: &str = "POST_TEST_TRAFFIC_SHIFT";

/// The stage ECS enters before production traffic shifts, and in linear and canary
/// deployments before every production traffic step.
pub const STEP_STAGE: &str = "PRE_PRODUCTION_TRAFFIC_SHIFT";

/// Stages whose PAUSE hooks ristretto answers with its `before-traffic-shift` gates.
pub const GATED_STAGES: [&str; 2] = [GATED_STAGE, STEP_STAGE];

/// The hook stage of a PAUSE hook awaiting action while DescribeServiceDeployments reports
/// `stage`. The deployment's `lifecycleStage` has no PRE_PRODUCTION_TRAFFIC_SHIFT (it is not in
/// ServiceDeploymentLifecycleStage, botocore's ECS model), so a pause there is reported as
/// PRODUCTION_TRAFFIC_SHIFT; and PAUSE hooks cannot sit at PRODUCTION_TRAFFIC_SHIFT itself
/// (`LAMBDA_ONLY_STAGES`), so such a pause is always the step stage's.
pub fn paused_hook_stage(stage: &str) -> &str {
    if stage == "PRODUCTION_TRAFFIC_SHIFT" {
        STEP_STAGE
    } else {
        stage
    }
}

/// Stages at which AWS accepts only AWS_LAMBDA hooks.
const LAMBDA_ONLY_STAGES: [&str; 2] = ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"];

/// The stages ristretto's PAUSE hook covers for a native `strategy`: POST_TEST_TRAFFIC_SHIFT,
/// plus PRE_PRODUCTION_TRAFFIC_SHIFT (before every step) for LINEAR and CANARY.
pub fn gated_stages(strategy: &str) -> &'static [&'static str] {
    match strategy {
        "LINEAR" | "CANARY" => &GATED_STAGES,
        _ => &GATED_STAGES[..1],
    }
}

/// Minutes added to the longest gate timeout for the hook's own timeout (polling, slow CI).
const MARGIN_MINUTES: u64 = 5;

/// Whether the service definition uses an ECS-native strategy with traffic shifting
/// (BLUE_GREEN, LINEAR or CANARY) under the ECS deployment controller.
pub fn native_traffic_shift(definition: &Value) -> Option<&str> {
    let controller = definition
        .pointer("/deploymentController/type")
        .and_then(Value::as_str)
        .unwrap_or("ECS");
    let strategy = definition
        .pointer("/deploymentConfiguration/strategy")
        .and_then(Value::as_str)?;
    (controller == "ECS" && matches!(strategy, "BLUE_GREEN" | "LINEAR" | "CANARY"))
        .then_some(strategy)
}

/// With gate plugins (`gate_timeout`: the longest time one of them may stay pending), adds
/// their PAUSE hook to a service definition (see `ensure_gate_hook`); every command that loads
/// a service definition goes through this, so `render`, `diff` and `deploy` agree. Refuses PAUSE
/// hooks at stages AWS does not allow them, with or without gates.
pub fn apply_gate_hook(
    gate_timeout: Option<Duration>,
    definition: &mut Value,
    source: &str,
) -> Result<(), String> {
    check_pause_stages(definition, source)?;
    if let Some(timeout) = gate_timeout {
        ensure_gate_hook(definition, timeout, source)?;
    }
    Ok(())
}

/// The lifecycle stages of `hook` when it is a PAUSE hook.
fn pause_stages(hook: &Value) -> Option<&[Value]> {
    (hook.get("targetType").and_then(Value::as_str) == Some("PAUSE")).then(|| {
        hook.get("lifecycleStages")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    })
}

/// Refuses PAUSE hooks at the stages where AWS accepts only AWS_LAMBDA hooks, before
/// anything is sent, naming the file and the field.
pub fn check_pause_stages(definition: &Value, source: &str) -> Result<(), String> {
    let hooks = definition
        .pointer("/deploymentConfiguration/lifecycleHooks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (index, hook) in hooks.iter().enumerate() {
        let Some(stages) = pause_stages(hook) else {
            continue;
        };
        if let Some(stage) = stages
            .iter()
            .filter_map(Value::as_str)
            .find(|s| LAMBDA_ONLY_STAGES.contains(s))
        {
            return Err(format!(
                "{source}: deploymentConfiguration.lifecycleHooks[{index}].lifecycleStages: a PAUSE hook \
                 cannot be at {stage} (AWS accepts only AWS_LAMBDA hooks there); {STEP_STAGE} pauses \
                 before production traffic shifts, and before every step of a linear or canary deployment"
            ));
        }
    }
    Ok(())
}

/// Adds ristretto's PAUSE hook to `definition` when it uses a native traffic-shifting
/// strategy, at the stages of `gated_stages` that no PAUSE hook of the definition covers yet.
/// `gate_timeout` is the longest time a gate may stay pending; the hook times out (with
/// ROLLBACK) a few minutes after it. Returns whether a hook was added. A PAUSE hook the
/// definition already has at one of those stages is kept, but its timeout action must be
/// ROLLBACK.
pub fn ensure_gate_hook(
    definition: &mut Value,
    gate_timeout: Duration,
    source: &str,
) -> Result<bool, String> {
    let Some(required) = native_traffic_shift(definition).map(gated_stages) else {
        return Ok(false);
    };
    let Some(configuration) = definition
        .get_mut("deploymentConfiguration")
        .and_then(Value::as_object_mut)
    else {
        return Ok(false);
    };
    let hooks = configuration
        .entry("lifecycleHooks")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(hooks) = hooks.as_array_mut() else {
        return Err(format!(
            "{source}: deploymentConfiguration.lifecycleHooks must be a list"
        ));
    };
    let mut missing = required.to_vec();
    for (index, hook) in hooks.iter().enumerate() {
        let Some(stages) = pause_stages(hook) else {
            continue;
        };
        let Some(stage) = required.iter().find(|r| stages.iter().any(|s| s == **r)) else {
            continue;
        };
        let action = hook
            .pointer("/timeoutConfiguration/action")
            .and_then(Value::as_str)
            .unwrap_or("ROLLBACK");
        if action != "ROLLBACK" {
            return Err(format!(
                "{source}: deploymentConfiguration.lifecycleHooks[{index}].timeoutConfiguration.action is {action}: \
                 the PAUSE hook at {stage} is where ristretto's gates run, and it must time out \
                 with ROLLBACK so that an interrupted deploy never shifts production traffic unverified"
            ));
        }
        missing.retain(|m| !stages.iter().any(|s| s == *m));
    }
    if missing.is_empty() {
        return Ok(false);
    }
    let minutes = gate_timeout.as_secs().div_ceil(60) + MARGIN_MINUTES;
    hooks.push(json!({
        "targetType": "PAUSE",
        "lifecycleStages": missing,
        "timeoutConfiguration": {
            "timeoutInMinutes": minutes.clamp(1, 20_160),
            "action": "ROLLBACK",
        },
    }));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blue_green(hooks: Value) -> Value {
        json!({
            "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "lifecycleHooks": hooks},
        })
    }

    #[test]
    fn adds_a_rollback_pause_hook_for_native_strategies() {
        let mut def = blue_green(json!([]));
        assert_eq!(
            ensure_gate_hook(&mut def, Duration::from_secs(600), "svc.json"),
            Ok(true)
        );
        assert_eq!(
            def["deploymentConfiguration"]["lifecycleHooks"],
            json!([{
                "targetType": "PAUSE",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                "timeoutConfiguration": {"timeoutInMinutes": 15, "action": "ROLLBACK"},
            }])
        );
        let mut canary = json!({"deploymentConfiguration": {"strategy": "CANARY"}});
        assert_eq!(
            ensure_gate_hook(&mut canary, Duration::from_secs(30), "svc.json"),
            Ok(true)
        );
        assert_eq!(
            canary["deploymentConfiguration"]["lifecycleHooks"],
            json!([{
                "targetType": "PAUSE",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT"],
                "timeoutConfiguration": {"timeoutInMinutes": 6, "action": "ROLLBACK"},
            }]),
            "linear and canary deployments pause before every production step too"
        );
    }

    #[test]
    fn completes_a_linear_definition_that_pauses_only_after_test_traffic() {
        let mut linear = json!({"deploymentConfiguration": {"strategy": "LINEAR", "lifecycleHooks": [
            {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]},
        ]}});
        assert_eq!(
            ensure_gate_hook(&mut linear, Duration::from_secs(60), "s"),
            Ok(true)
        );
        assert_eq!(
            linear.pointer("/deploymentConfiguration/lifecycleHooks/1/lifecycleStages"),
            Some(&json!(["PRE_PRODUCTION_TRAFFIC_SHIFT"]))
        );
        assert_eq!(
            ensure_gate_hook(&mut linear, Duration::from_secs(60), "s"),
            Ok(false),
            "idempotent"
        );
    }

    #[test]
    fn refuses_pause_hooks_where_aws_takes_only_lambdas() {
        let def = blue_green(json!([
            {"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:x", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]},
            {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT"]},
        ]));
        let err = check_pause_stages(&def, "sd.json").unwrap_err();
        assert!(
            err.starts_with("sd.json: deploymentConfiguration.lifecycleHooks[1].lifecycleStages: a PAUSE hook cannot be at PRODUCTION_TRAFFIC_SHIFT"),
            "{err}"
        );
        assert!(err.contains("PRE_PRODUCTION_TRAFFIC_SHIFT"), "{err}");
        assert_eq!(check_pause_stages(&blue_green(json!([])), "s"), Ok(()));
        assert_eq!(check_pause_stages(&json!({}), "s"), Ok(()));
    }

    #[test]
    fn leaves_rolling_codedeploy_and_existing_hooks_alone() {
        for mut def in [
            json!({"deploymentConfiguration": {"strategy": "ROLLING"}}),
            json!({"deploymentConfiguration": {"minimumHealthyPercent": 100}}),
            json!({"deploymentController": {"type": "CODE_DEPLOY"}, "deploymentConfiguration": {"strategy": "BLUE_GREEN"}}),
        ] {
            let before = def.clone();
            assert_eq!(
                ensure_gate_hook(&mut def, Duration::from_secs(60), "s"),
                Ok(false)
            );
            assert_eq!(def, before);
        }
        let existing = json!([
            {"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:x", "lifecycleStages": ["PRE_SCALE_UP"]},
            {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]},
        ]);
        let mut def = blue_green(existing.clone());
        assert_eq!(
            ensure_gate_hook(&mut def, Duration::from_secs(60), "s"),
            Ok(false)
        );
        assert_eq!(def["deploymentConfiguration"]["lifecycleHooks"], existing);
    }

    #[test]
    fn refuses_a_pause_hook_that_continues_on_timeout() {
        let mut def = blue_green(json!([
            {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
             "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "CONTINUE"}},
        ]));
        let err = ensure_gate_hook(&mut def, Duration::from_secs(60), "ecs-service-def.json")
            .unwrap_err();
        assert!(
            err.starts_with("ecs-service-def.json: deploymentConfiguration.lifecycleHooks[0].timeoutConfiguration.action is CONTINUE"),
            "{err}"
        );
        let mut bad = blue_green(json!({"not": "a list"}));
        assert!(ensure_gate_hook(&mut bad, Duration::from_secs(60), "s").is_err());
    }
}
