//! Posts lifecycle events to a Slack incoming webhook as Block Kit messages.
use ristretto_plugin_sdk::{Context, Event, EventKind, Plugin, Value, http, json, plugin, secrets};
use serde::Deserialize;

struct SlackNotify;

/// The plugin's `config:`.
#[derive(Deserialize)]
struct Settings {
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    channel: Option<String>,
    /// Secrets shown in the footer (e.g. `env:GITHUB_SHA`).
    #[serde(default)]
    trigger: Vec<String>,
}

#[plugin(description = "Slack Block Kit notifications")]
impl Plugin for SlackNotify {
    fn notify(ctx: &Context, event: &Event) -> Result<(), String> {
        let settings: Settings = ctx.config()?;
        let url = webhook_url(&settings)?;
        send(&url, &message(ctx, event, &settings))
    }
}

/// The webhook: `webhook_url`, else the secret `webhook_secret` names.
fn webhook_url(settings: &Settings) -> Result<String, String> {
    match (&settings.webhook_url, &settings.webhook_secret) {
        (Some(url), _) => Ok(url.clone()),
        (None, Some(name)) => secrets::get(name),
        (None, None) => Err("set config.webhook_url or config.webhook_secret".into()),
    }
}

/// The Block Kit message for `event`: a header, the event's message with the service's
/// fields, and a footer with the trigger and a link to the ECS console.
fn message(ctx: &Context, event: &Event, settings: &Settings) -> Value {
    let revision = event.task_definition.as_deref().or(ctx.revision.as_deref());
    let duration = format!("{:.1}s", event.elapsed_ms as f64 / 1000.0);
    let fields = [
        ("Cluster", ctx.cluster.clone()),
        ("Service", ctx.service.clone()),
        ("Task definition", revision.unwrap_or("-").to_owned()),
        ("Duration", duration),
    ]
    .map(|(label, text)| json!({"type": "mrkdwn", "text": format!("*{label}*\n{text}")}));
    let header = format!("{} {}", icon(event.kind), event.kind);
    let context = format!("{} · <{}|ECS console>", footer(settings), console(ctx));
    let summary = json!({"type": "mrkdwn", "text": event.message});
    json!({
        "text": format!("{}: {}", ctx.service, event.message),
        "channel": settings.channel,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header}},
            {"type": "section", "text": summary, "fields": fields},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    })
}

/// The trigger secrets that resolve, joined with ` · `; `ristretto` when none does.
fn footer(settings: &Settings) -> String {
    let trigger: Vec<String> = settings
        .trigger
        .iter()
        .filter_map(|name| secrets::get(name).ok())
        .collect();
    if trigger.is_empty() {
        "ristretto".to_owned()
    } else {
        trigger.join(" · ")
    }
}

/// The service's page in the ECS console.
fn console(ctx: &Context) -> String {
    format!(
        "https://{0}.console.aws.amazon.com/ecs/v2/clusters/{1}/services/{2}?region={0}",
        ctx.region, ctx.cluster, ctx.service
    )
}

/// Posts `body` to `url`; any answer outside 2xx is the error.
fn send(url: &str, body: &Value) -> Result<(), String> {
    let response = http::post_json(url, body)?;
    match response.status {
        200..=299 => Ok(()),
        status => Err(format!("Slack answered {status}: {}", response.text())),
    }
}

fn icon(kind: EventKind) -> &'static str {
    match kind {
        EventKind::DeploySucceeded | EventKind::GatePassed => "✅",
        EventKind::DeployFailed | EventKind::GateFailed => "❌",
        EventKind::RolledBack => "↩️",
        EventKind::WaitingAtPause => "⏸️",
        _ => "🚀",
    }
}
