//! Support for `ristretto plugin inspect|compile|test`: the component's imports and exports,
//! running one hook of one plugin with measured time, peak memory and what it did through the
//! host, and the fake host imports (`--fake`) that let every hook be tested without AWS.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::bindings::{DefinitionKind, DeployContext, EventKind, LifecycleEvent, Stage, Verdict};
pub use super::fake::{FakeAlarm, FakeHost};
pub use super::host::Activity;
use super::limits::Hook;
use super::plugin::{CallReport, LoadedPlugin};
use super::{Error, HookContext};

/// The interfaces a component imports and exports (loading the component if no call did).
pub fn world(plugin: &LoadedPlugin) -> Result<(Vec<String>, Vec<String>), Error> {
    let (component, engine) = plugin.component()?;
    let ty = component.component_type();
    let imports = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let exports = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    Ok((imports, exports))
}

/// The definition kinds `plugin test --kind` takes.
pub const KIND_NAMES: [&str; 3] = [
    "task-definition",
    "service-definition",
    "express-definition",
];

/// The stages `plugin test --stage` takes, in lifecycle order.
pub const STAGE_NAMES: [&str; 4] = ["pre-deploy", "before-traffic-shift", "bake", "post-deploy"];

/// The events `plugin test --event` takes, in lifecycle order.
pub const EVENT_NAMES: [&str; 11] = [
    "deploy-started",
    "task-definition-registered",
    "service-updated",
    "gate-passed",
    "gate-failed",
    "traffic-shifted",
    "waiting-at-pause",
    "deploy-succeeded",
    "deploy-failed",
    "rolled-back",
    "fleet-finished",
];

/// What `plugin test` asks for.
#[derive(Debug, Clone)]
pub enum TestCall {
    /// `info`.
    Info,
    /// `transform` of `definition`.
    Transform(DefinitionKind, Value),
    /// `functions.declare`, then `functions.call(name, args)` when a name is given.
    Functions(Option<(String, Vec<Value>)>),
    /// One `gate.check`.
    Gate(Stage, Option<String>),
    /// One `notify`.
    Notify(EventKind, String),
}

/// The result of one test call.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// The hook's answer, as JSON.
    pub output: Value,
    /// Wall time of the call (a fresh instance each time).
    pub elapsed: Duration,
    /// The largest linear memory the instance had, in bytes.
    pub peak_memory: usize,
    /// What the call did through the host (requests, secrets, alarms).
    pub activity: Activity,
}

/// Runs `call` against `plugin` once.
pub fn run(
    plugin: &LoadedPlugin,
    context: &HookContext,
    call: TestCall,
) -> Result<TestOutcome, Error> {
    let ctx = context.for_plugin(plugin);
    let started = Instant::now();
    let fail = |hook: &str, message: String| failed(plugin, hook, message);
    let (output, report) = match call {
        TestCall::Info => {
            let (info, report) =
                plugin.call_reporting(Hook::Info, "info", async |p, s| p.info(s).await)?;
            (
                json!({"name": info.name, "version": info.version, "sdk_version": info.sdk_version,
                       "description": info.description, "capabilities": info.capabilities}),
                report,
            )
        }
        TestCall::Transform(kind, definition) => {
            let input = definition.to_string();
            let ctx = ctx.clone();
            let (result, report) =
                plugin.call_reporting(Hook::Transform, "transform", async move |p, s| {
                    p.transform(s, &ctx, kind, &input).await
                })?;
            let text = result.map_err(|m| fail("transform", m))?;
            let value = super::set::checked_transform_output(
                plugin,
                "transform",
                kind,
                &definition,
                &text,
            )?;
            (value, report)
        }
        TestCall::Functions(None) => {
            let (declared, report) = plugin.call_reporting(
                Hook::Functions,
                "functions, declare",
                async move |p, s| p.declare(s, &ctx).await,
            )?;
            let list: Vec<Value> = declared
                .into_iter()
                .map(|d| json!({"name": d.name, "params": d.params, "required": d.required}))
                .collect();
            (Value::Array(list), report)
        }
        TestCall::Functions(Some((name, args))) => {
            let args: Vec<String> = args.iter().map(Value::to_string).collect();
            let what = format!("functions, {name}");
            let function = name.clone();
            let (result, report) =
                plugin.call_reporting(Hook::Functions, &what, async move |p, s| {
                    p.call(s, &ctx, &function, &args).await
                })?;
            let text = result.map_err(|m| fail(&what, m))?;
            (
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
                report,
            )
        }
        TestCall::Gate(stage, state) => test_gate(plugin, ctx, stage, state)?,
        TestCall::Notify(kind, message) => {
            test_notify(plugin, ctx, kind, message, context.revision.clone())?
        }
    };
    Ok(TestOutcome {
        output,
        elapsed: started.elapsed(),
        peak_memory: report.peak,
        activity: report.activity,
    })
}

/// The failure of `hook` of `plugin` with the guest's `message`.
fn failed(plugin: &LoadedPlugin, hook: &str, message: String) -> Error {
    Error::Failed {
        plugin: plugin.name.clone(),
        hook: hook.to_owned(),
        message,
    }
}

/// One `gate` call at `stage` with `state`: the verdict as JSON and the peak memory.
fn test_gate(
    plugin: &LoadedPlugin,
    ctx: DeployContext,
    stage: Stage,
    state: Option<String>,
) -> Result<(Value, CallReport), Error> {
    let fail = |hook: &str, message: String| failed(plugin, hook, message);
    let what = format!("gate, {}", stage.name());
    let (result, report) = plugin.call_reporting(Hook::Gate, &what, async move |p, s| {
        p.check(s, &ctx, stage, state.as_deref()).await
    })?;
    let mut verdict = match result.map_err(|m| fail(&what, m))? {
        Verdict::Pass => json!({"verdict": "pass"}),
        Verdict::Fail(reason) => json!({"verdict": "fail", "reason": reason}),
        Verdict::Pending(p) => {
            json!({"verdict": "pending", "retry_after_ms": p.retry_after_ms, "state": p.state})
        }
    };
    verdict["did"] = did(&report.activity);
    Ok((verdict, report))
}

/// One `notify` call of `kind` with `message` about `revision`.
fn test_notify(
    plugin: &LoadedPlugin,
    ctx: DeployContext,
    kind: EventKind,
    message: String,
    revision: Option<String>,
) -> Result<(Value, CallReport), Error> {
    let fail = |hook: &str, message: String| failed(plugin, hook, message);
    let event = LifecycleEvent {
        kind,
        message,
        task_definition: revision,
        at_ms: 0,
        elapsed_ms: 0,
        details: "{}".to_owned(),
    };
    let what = format!("notify, {}", kind.name());
    let (result, report) = plugin.call_reporting(Hook::Notify, &what, async move |p, s| {
        p.notify(s, &ctx, &event).await
    })?;
    result.map_err(|m| fail(&what, m))?;
    Ok((
        json!({"result": "ok", "did": did(&report.activity)}),
        report,
    ))
}

/// What a call did through the host, as `plugin test` prints it: the requests it sent, the
/// secrets and alarms it read (empty lists when it did nothing outside).
fn did(activity: &Activity) -> Value {
    json!({
        "requests": activity.requests,
        "secrets": activity.secrets,
        "alarms": activity.alarms,
    })
}

/// Parses a definition kind (`task-definition`, …).
pub fn parse_kind(text: &str) -> Option<DefinitionKind> {
    DefinitionKind::ALL.into_iter().find(|k| k.name() == text)
}

/// Parses a stage name (`pre-deploy`, …).
pub fn parse_stage(text: &str) -> Option<Stage> {
    Stage::ALL.into_iter().find(|s| s.name() == text)
}

/// Parses an event name (`deploy-succeeded`, …).
pub fn parse_event(text: &str) -> Option<EventKind> {
    EventKind::ALL.into_iter().find(|k| k.name() == text)
}
