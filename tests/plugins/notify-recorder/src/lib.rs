//! Test plugin (notify): POSTs every event as JSON to `config.url`, with the secret
//! `config.secret` (read through the host) in the body.
use ristretto_plugin_sdk::{Context, Event, Plugin, Value, http, json, plugin, secrets};

struct NotifyRecorder;

#[plugin]
impl Plugin for NotifyRecorder {
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        let url = ctx
            .config
            .get("url")
            .and_then(Value::as_str)
            .ok_or("config.url is required")?;
        let secret = match ctx.config.get("secret").and_then(Value::as_str) {
            Some(name) => secrets::get(name).unwrap_or_else(|e| format!("error: {e}")),
            None => String::new(),
        };
        let body = json!({
            "kind": event.kind.as_str(),
            "message": event.message,
            "task_definition": event.task_definition,
            "service": ctx.service,
            "cluster": ctx.cluster,
            "dry_run": ctx.dry_run,
            "secret": secret,
            "details": event.details,
        });
        let response = http::post_json(url, &body)?;
        if !response.is_success() {
            return Err(format!("sink answered {}", response.status));
        }
        Ok(())
    }
}
