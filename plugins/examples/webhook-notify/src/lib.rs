//! Posts deploy outcomes to a chat webhook as `{"text": "…"}`, the shape Slack, Mattermost and
//! Rocket.Chat incoming webhooks accept. The example of docs/plugin-guide.md, which quotes this
//! file whole (a docs test keeps the two equal).
use ristretto_plugin_sdk::{Context, Event, Plugin, Value, http, json, log, register_plugin, secrets};

/// The events sent when `config.events` is not set.
const DEFAULT_EVENTS: [&str; 3] = ["deploy-succeeded", "deploy-failed", "rolled-back"];

struct WebhookNotify;

impl Plugin for WebhookNotify {
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        let wanted: Vec<&str> = match ctx.config.get("events").and_then(Value::as_array) {
            Some(events) => events.iter().filter_map(Value::as_str).collect(),
            None => DEFAULT_EVENTS.to_vec(),
        };
        if !wanted.contains(&event.kind.as_str()) {
            return Ok(());
        }
        // The URL is a secret: ristretto resolves it only if `allow.secrets` lists it.
        let secret = ctx.config.get("url_secret").and_then(Value::as_str).unwrap_or("env:WEBHOOK_URL");
        let url = secrets::get(secret)?;
        let mut text = format!("[{}/{}] {}", ctx.cluster, ctx.service, event.message);
        if let Some(reason) = event.details.get("reason").and_then(Value::as_str) {
            text.push_str(&format!("\nreason: {reason}"));
        }
        let response = http::post_json(&url, &json!({ "text": text }))?;
        if !response.is_success() {
            return Err(format!("webhook answered {}: {}", response.status, response.text()));
        }
        log::debug(&format!("sent {} to the webhook", event.kind.as_str()));
        Ok(())
    }
}

register_plugin!(WebhookNotify, capabilities: [notify], description: "deploy outcomes to a chat webhook");
