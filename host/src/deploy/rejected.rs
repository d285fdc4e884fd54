//! The mark a gate's rejection leaves on a task definition revision (a `ristretto:rejected`
//! tag, so `rollback` never returns production to it), and the report of a rollback a gate
//! asked for. Controllers call these after acting on a failed `GateOutcome`.

use serde_json::json;

use crate::app::App;
use crate::deploy::Error;
use crate::deploy::gates::GateFailure;
use crate::events::Lifecycle;
use crate::plugins::EventKind;

/// The tag ristretto puts on a task definition revision a gate rejected; `rollback` skips
/// revisions that carry it.
pub const REJECTED_TAG: &str = "ristretto:rejected";

/// Tags the revision being deployed (the hook context's) as rejected by `plugin`'s `stage`
/// gate, so a later `rollback` does not return production to it. Failures only warn.
async fn mark_rejected(app: &App<'_>, stage: &str, plugin: &str) {
    let Some(revision) = app.context().revision else {
        return;
    };
    if app.plugins.gate_faulted(plugin, stage) {
        app.info(format!(
            "{revision} is not marked {REJECTED_TAG}: the {stage} gate of plugin `{plugin}` failed with a plugin error, not a verdict on the release"
        ));
        return;
    }
    let arn = match app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(&revision)
        .send()
        .await
    {
        Ok(output) => output
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .map(str::to_owned),
        Err(err) => {
            app.warn(format!(
                "cannot mark {revision} as rejected: {}",
                crate::aws::describe_error(&err)
            ));
            return;
        }
    };
    let Some(arn) = arn else {
        return;
    };
    // Tag values take letters, digits, spaces and + - = . _ : / @ only.
    let value: String = format!("{stage} gate of plugin {plugin}")
        .chars()
        .filter(|c| c.is_alphanumeric() || " +-=._:/@".contains(*c))
        .take(256)
        .collect();
    let tag = aws_sdk_ecs::types::Tag::builder()
        .key(REJECTED_TAG)
        .value(value)
        .build();
    match app
        .clients
        .ecs
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag)
        .send()
        .await
    {
        Ok(_) => app.info(format!(
            "{revision} is tagged {REJECTED_TAG}: `rollback` will not return to it"
        )),
        Err(err) => app.warn(format!(
            "cannot mark {revision} as rejected: {}",
            crate::aws::describe_error(&err)
        )),
    }
}

/// Removes the rejected mark from `task_definition` (it has now served successfully).
pub(crate) async fn clear_rejected(app: &App<'_>, task_definition: &str) {
    let _ = app
        .clients
        .ecs
        .untag_resource()
        .resource_arn(task_definition)
        .tag_keys(REJECTED_TAG)
        .send()
        .await;
}

/// A gate failed and the deployment was rolled back: marks the rejected revision, reports it
/// (info and a `rolled-back` notification) and returns the `GateFailed` error naming the
/// revision now running.
pub(crate) async fn rolled_back(
    app: &App<'_>,
    service: &str,
    failure: GateFailure,
    now_running: Option<String>,
) -> Error {
    let GateFailure {
        plugin,
        stage,
        reason,
    } = failure;
    mark_rejected(app, stage, &plugin).await;
    let message = format!(
        "service {service} rolled back{} after the {stage} gate of plugin `{plugin}` failed",
        now_running
            .as_deref()
            .map_or_else(String::new, |t| format!(" to {t}"))
    );
    app.lifecycle(
        Lifecycle::new(EventKind::RolledBack, message)
        .task_definition(now_running.clone())
        .details(json!({"reason": reason, "plugin": plugin, "stage": stage, "from": app.context().revision})),
    );
    GateFailure {
        plugin,
        stage,
        reason,
    }
    .into_error(now_running.or_else(|| Some("the previous revision".to_owned())))
}
