//! Test plugin built for the frozen contract `ristretto:plugin@0.1.0` (`wit/since_v0.1.0/`), as
//! a plugin published before 0.2.0 was: a current host must still load and call it.
//! - transform: adds the tag `contract` = `0.1.0/<kind>` and logs a line;
//! - functions: `legacy_contract()` returns `"0.1.0"`;
//! - gate: `pending` once (state `"1"`), then `pass`, or `fail` when its config has `"fail": true`;
//! - notify: logs the event's kind and message.

wit_bindgen::generate!({
    path: "../../../wit/since_v0.1.0",
    world: "plugin",
});

use exports::ristretto::plugin::{functions, gate, notify, transform};
use ristretto::plugin::log::{Level, write};
use ristretto::plugin::types::{
    DefinitionKind, DeployContext, EventKind, FunctionDecl, LifecycleEvent, PendingVerdict, Stage,
    Verdict,
};
use serde_json::{Value, json};

struct Legacy;

impl Guest for Legacy {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "legacy-v0-1".to_owned(),
            version: "0.1.0".to_owned(),
            sdk_version: String::new(),
            description: "built for ristretto:plugin@0.1.0".to_owned(),
            capabilities: ["transform", "functions", "gate", "notify"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

impl transform::Guest for Legacy {
    fn transform(
        _ctx: DeployContext,
        kind: DefinitionKind,
        definition: String,
    ) -> Result<String, String> {
        let kind = match kind {
            DefinitionKind::TaskDefinition => "task-definition",
            DefinitionKind::ServiceDefinition => "service-definition",
        };
        let mut value: Value = serde_json::from_str(&definition).map_err(|e| e.to_string())?;
        let tags = value
            .as_object_mut()
            .ok_or("the definition is not an object")?
            .entry("tags")
            .or_insert_with(|| json!([]));
        tags.as_array_mut()
            .ok_or("tags is not a list")?
            .push(json!({"key": "contract", "value": format!("0.1.0/{kind}")}));
        write(Level::Info, &format!("tagged the {kind}"));
        Ok(value.to_string())
    }
}

impl functions::Guest for Legacy {
    fn declare(_ctx: DeployContext) -> Vec<FunctionDecl> {
        vec![FunctionDecl {
            name: "legacy_contract".to_owned(),
            params: Vec::new(),
            required: 0,
        }]
    }

    fn call(_ctx: DeployContext, name: String, _args: Vec<String>) -> Result<String, String> {
        match name.as_str() {
            "legacy_contract" => Ok("\"0.1.0\"".to_owned()),
            other => Err(format!("no function `{other}`")),
        }
    }
}

impl gate::Guest for Legacy {
    fn check(ctx: DeployContext, stage: Stage, state: Option<String>) -> Result<Verdict, String> {
        let config: Value = serde_json::from_str(&ctx.plugin_config).unwrap_or(Value::Null);
        let stage = match stage {
            Stage::PreDeploy => "pre-deploy",
            Stage::BeforeTrafficShift => "before-traffic-shift",
            Stage::PostDeploy => "post-deploy",
            Stage::Bake => "bake",
        };
        if config["fail"] == json!(true) {
            return Ok(Verdict::Fail(format!("legacy gate refuses at {stage}")));
        }
        Ok(match state {
            None => Verdict::Pending(PendingVerdict {
                retry_after_ms: 10,
                state: "1".to_owned(),
            }),
            Some(_) => Verdict::Pass,
        })
    }
}

impl notify::Guest for Legacy {
    fn notify(_ctx: DeployContext, event: LifecycleEvent) -> Result<(), String> {
        let kind = match event.kind {
            EventKind::DeploySucceeded => "deploy-succeeded",
            EventKind::DeployFailed => "deploy-failed",
            _ => "other",
        };
        write(Level::Info, &format!("heard {kind}: {}", event.message));
        Ok(())
    }
}

export!(Legacy);
