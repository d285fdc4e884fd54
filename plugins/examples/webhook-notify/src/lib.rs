//! Posts deploy outcomes to a chat webhook as `{"text": "…"}`, the shape Slack, Mattermost and
//! Rocket.Chat incoming webhooks accept. The example of docs/plugin-guide.md, which quotes this
//! file whole (a docs test keeps the two equal).
use ristretto_plugin_sdk::{
    Context, Event, EventKind, Plugin, Value, http, json, log, plugin, secrets,
};
use serde::Deserialize;

struct WebhookNotify;

/// The entry's `config:`.
#[derive(Deserialize)]
struct Settings {
    /// The event kinds to send (default: succeeded, failed, rolled back).
    events: Option<Vec<String>>,
    /// The secret that holds the URL (default: `env:WEBHOOK_URL`).
    url_secret: Option<String>,
}

#[plugin(description = "deploy outcomes to a chat webhook")]
impl Plugin for WebhookNotify {
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        let settings: Settings = ctx.config()?;
        let wanted = match &settings.events {
            Some(events) => events.iter().any(|e| e == event.kind.as_str()),
            None => matches!(
                event.kind,
                EventKind::DeploySucceeded | EventKind::DeployFailed | EventKind::RolledBack
            ),
        };
        if !wanted {
            log::debug(&format!("{} is not one of the events to send", event.kind));
            return Ok(());
        }
        // The URL is a secret: ristretto resolves it only if `allow.secrets` lists it.
        let secret = settings.url_secret.as_deref().unwrap_or("env:WEBHOOK_URL");
        let url = secrets::get(secret)?;
        let mut text = format!("[{}/{}] {}", ctx.cluster, ctx.service, event.message);
        if let Some(reason) = event.details.get("reason").and_then(Value::as_str) {
            text.push_str(&format!("\nreason: {reason}"));
        }
        let response = http::post_json(&url, &json!({ "text": text }))?;
        if !response.is_success() {
            let status = response.status;
            return Err(format!("webhook answered {status}: {}", response.text()));
        }
        log::debug(&format!("sent {} to the webhook", event.kind));
        Ok(())
    }
}
