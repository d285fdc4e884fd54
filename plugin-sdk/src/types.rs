//! Rust-friendly forms of the contract's types (`serde_json::Value` for JSON, `Duration` for
//! delays) and their conversions from and to the generated bindings. The contract's enums
//! (`Stage`, `EventKind`, `DefinitionKind`) are the generated ones, with their WIT names
//! (`as_str()`, `ALL`, `Display`) generated from wit/ by build.rs.

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

pub use w::{DefinitionKind, Stage};

include!(concat!(env!("OUT_DIR"), "/wit_names.rs"));

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

pub use w::EventKind;

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
            kind: e.kind,
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
