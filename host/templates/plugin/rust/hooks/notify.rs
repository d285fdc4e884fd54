//! {{name}}: a ristretto notify plugin. It writes every lifecycle event to ristretto's log;
//! `ristretto_plugin_sdk::http::post_json` sends it elsewhere (grant the host in `allow.http`).
use ristretto_plugin_sdk::{Context, Event, Plugin, log, plugin};

struct Notify;

#[plugin(description = "{{name}} notifications")]
impl Plugin for Notify {
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        log::info(&format!(
            "{}/{} {}: {}",
            ctx.cluster,
            ctx.service,
            event.kind.as_str(),
            event.message
        ));
        Ok(())
    }
}
