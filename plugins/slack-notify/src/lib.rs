//! Posts lifecycle events to a Slack incoming webhook as Block Kit messages.
use ristretto_plugin_sdk::{Context, Event, Plugin, Value, http, json, register_plugin, secrets};

struct SlackNotify;

impl Plugin for SlackNotify {
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        let setting = |key: &str| ctx.config.get(key).and_then(Value::as_str);
        let url = match (setting("webhook_url"), setting("webhook_secret")) {
            (Some(url), _) => url.to_owned(),
            (None, Some(name)) => secrets::get(name)?,
            (None, None) => return Err("set config.webhook_url or config.webhook_secret".into()),
        };
        let trigger: Vec<String> = ctx
            .config
            .get("trigger")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|name| secrets::get(name.as_str()?).ok())
            .collect();
        let field = |label: &str, text: &str| json!({"type": "mrkdwn", "text": format!("*{label}*\n{text}")});
        let console = format!(
            "https://{0}.console.aws.amazon.com/ecs/v2/clusters/{1}/services/{2}?region={0}",
            ctx.region, ctx.cluster, ctx.service
        );
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": format!("{} {}", icon(event.kind.as_str()), event.kind.as_str())}},
            {"type": "section", "text": {"type": "mrkdwn", "text": event.message}, "fields": [
                field("Cluster", &ctx.cluster), field("Service", &ctx.service),
                field("Task definition", event.task_definition.as_deref().or(ctx.revision.as_deref()).unwrap_or("-")),
                field("Duration", &format!("{:.1}s", event.elapsed_ms as f64 / 1000.0))]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("{} · <{console}|ECS console>", if trigger.is_empty() { "ristretto".into() } else { trigger.join(" · ") })}]}
        ]);
        let body = json!({"text": format!("{}: {}", ctx.service, event.message), "blocks": blocks, "channel": setting("channel")});
        let response = http::post_json(&url, &body)?;
        match response.status {
            200..=299 => Ok(()),
            status => Err(format!("Slack answered {status}: {}", response.text())),
        }
    }
}

fn icon(kind: &str) -> &'static str {
    match kind {
        "deploy-succeeded" | "gate-passed" => "✅",
        "deploy-failed" | "gate-failed" => "❌",
        "rolled-back" => "↩️",
        "waiting-at-pause" => "⏸️",
        _ => "🚀",
    }
}

register_plugin!(SlackNotify, capabilities: [notify], description: "Slack Block Kit notifications");
