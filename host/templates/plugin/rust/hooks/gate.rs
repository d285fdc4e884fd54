//! {{name}}: a ristretto gate. It passes every stage unless the entry's config says
//! `block: REASON`, which fails the gate with that reason.
use ristretto_plugin_sdk::{Context, Plugin, Stage, Value, Verdict, log, plugin};

struct Gate;

#[plugin(description = "{{name}} gate")]
impl Plugin for Gate {
    fn gate(ctx: &Context, stage: Stage, _state: Option<String>) -> Result<Verdict, String> {
        if let Some(reason) = ctx.config.get("block").and_then(Value::as_str) {
            return Ok(Verdict::Fail(reason.to_owned()));
        }
        log::info(&format!("{}: pass", stage.as_str()));
        Ok(Verdict::Pass)
    }
}
