//! Rust-friendly forms of the contract's types (`serde_json::Value` for JSON, `Duration` for
//! delays) and their conversions from and to the generated bindings.

use std::time::Duration;

use serde_json::Value;

use crate::wit::ristretto::plugin::types as w;

/// What a hook is working on.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// ECS cluster.
    pub cluster: String,
    /// ECS service (empty when none).
    pub service: String,
    /// AWS region, when known.
    pub region: String,
    /// AWS account, when known.
    pub account: String,
    /// The config file, as given.
    pub config_name: String,
    /// True when nothing may change.
    pub dry_run: bool,
    /// The task definition being deployed (`family:revision`), when known.
    pub revision: Option<String>,
    /// `rolling`, `blue-green`, `linear`, `canary`, `codedeploy`.
    pub strategy: String,
    /// The plugin's `config:` from the config file (`{}` when none).
    pub config: Value,
}

impl From<w::DeployContext> for Context {
    fn from(c: w::DeployContext) -> Self {
        Self {
            cluster: c.cluster,
            service: c.service,
            region: c.region,
            account: c.account,
            config_name: c.config_name,
            dry_run: c.dry_run,
            revision: c.revision,
            strategy: c.strategy,
            config: serde_json::from_str(&c.plugin_config)
                .unwrap_or_else(|_| Value::Object(Default::default())),
        }
    }
}

/// Which definition a transform receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    /// A task definition (RegisterTaskDefinition shape).
    TaskDefinition,
    /// A service definition (CreateService shape).
    ServiceDefinition,
}

impl From<w::DefinitionKind> for DefinitionKind {
    fn from(k: w::DefinitionKind) -> Self {
        match k {
            w::DefinitionKind::TaskDefinition => Self::TaskDefinition,
            w::DefinitionKind::ServiceDefinition => Self::ServiceDefinition,
        }
    }
}

/// When a gate is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Before anything changes in AWS.
    PreDeploy,
    /// Blue/green: test traffic on the new tasks, production not moved yet.
    BeforeTrafficShift,
    /// The service is steady on the new task definition.
    PostDeploy,
    /// During a bake period.
    Bake,
}

impl Stage {
    /// The stage as spelled in the contract and in `plugin test --stage` (`pre-deploy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreDeploy => "pre-deploy",
            Self::BeforeTrafficShift => "before-traffic-shift",
            Self::PostDeploy => "post-deploy",
            Self::Bake => "bake",
        }
    }
}

impl From<w::Stage> for Stage {
    fn from(s: w::Stage) -> Self {
        match s {
            w::Stage::PreDeploy => Self::PreDeploy,
            w::Stage::BeforeTrafficShift => Self::BeforeTrafficShift,
            w::Stage::PostDeploy => Self::PostDeploy,
            w::Stage::Bake => Self::Bake,
        }
    }
}

/// A gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Pass,
    /// Stop; the reason is shown to users.
    Fail(String),
    /// Ask again after `retry_after`, passing `state` back.
    Pending {
        /// Delay before the next call.
        retry_after: Duration,
        /// Given back as `state` on the next call.
        state: String,
    },
}

impl From<Verdict> for w::Verdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Pass => Self::Pass,
            Verdict::Fail(reason) => Self::Fail(reason),
            Verdict::Pending { retry_after, state } => Self::Pending(w::PendingVerdict {
                retry_after_ms: u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX),
                state,
            }),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A deploy began.
    DeployStarted,
    /// A task definition was registered.
    TaskDefinitionRegistered,
    /// UpdateService/CreateService was called.
    ServiceUpdated,
    /// A gate passed.
    GatePassed,
    /// A gate failed.
    GateFailed,
    /// Production traffic moved.
    TrafficShifted,
    /// A deployment waits at a pause.
    WaitingAtPause,
    /// The deploy finished successfully.
    DeploySucceeded,
    /// The deploy failed.
    DeployFailed,
    /// The service was rolled back.
    RolledBack,
    /// A fleet command finished (`details.results` has one entry per service).
    FleetFinished,
}

impl EventKind {
    /// The event as spelled in the contract (`deploy-succeeded`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeployStarted => "deploy-started",
            Self::TaskDefinitionRegistered => "task-definition-registered",
            Self::ServiceUpdated => "service-updated",
            Self::GatePassed => "gate-passed",
            Self::GateFailed => "gate-failed",
            Self::TrafficShifted => "traffic-shifted",
            Self::WaitingAtPause => "waiting-at-pause",
            Self::DeploySucceeded => "deploy-succeeded",
            Self::DeployFailed => "deploy-failed",
            Self::RolledBack => "rolled-back",
            Self::FleetFinished => "fleet-finished",
        }
    }
}

impl From<w::EventKind> for EventKind {
    fn from(k: w::EventKind) -> Self {
        match k {
            w::EventKind::DeployStarted => Self::DeployStarted,
            w::EventKind::TaskDefinitionRegistered => Self::TaskDefinitionRegistered,
            w::EventKind::ServiceUpdated => Self::ServiceUpdated,
            w::EventKind::GatePassed => Self::GatePassed,
            w::EventKind::GateFailed => Self::GateFailed,
            w::EventKind::TrafficShifted => Self::TrafficShifted,
            w::EventKind::WaitingAtPause => Self::WaitingAtPause,
            w::EventKind::DeploySucceeded => Self::DeploySucceeded,
            w::EventKind::DeployFailed => Self::DeployFailed,
            w::EventKind::RolledBack => Self::RolledBack,
            w::EventKind::FleetFinished => Self::FleetFinished,
        }
    }
}

/// A lifecycle event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// One-line summary.
    pub message: String,
    /// The task definition involved (`family:revision`).
    pub task_definition: Option<String>,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Milliseconds since the deploy started.
    pub elapsed_ms: u64,
    /// Extra detail (e.g. `{"reason": "…"}`).
    pub details: Value,
}

impl From<w::LifecycleEvent> for Event {
    fn from(e: w::LifecycleEvent) -> Self {
        Self {
            kind: e.kind.into(),
            message: e.message,
            task_definition: e.task_definition,
            at_ms: e.at_ms,
            elapsed_ms: e.elapsed_ms,
            details: serde_json::from_str(&e.details).unwrap_or(Value::Null),
        }
    }
}

/// A template function the plugin provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDecl {
    /// Name (ristretto adds `func_prefix`).
    pub name: String,
    /// Parameter names.
    pub params: Vec<String>,
    /// How many parameters are required.
    pub required: u32,
}

impl FunctionDecl {
    /// A function whose parameters are all required.
    pub fn new(name: &str, params: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            required: u32::try_from(params.len()).unwrap_or(u32::MAX),
        }
    }
}

impl From<FunctionDecl> for w::FunctionDecl {
    fn from(d: FunctionDecl) -> Self {
        Self {
            name: d.name,
            params: d.params,
            required: d.required,
        }
    }
}
