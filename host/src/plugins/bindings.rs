//! The one `bindgen!` of the plugin contract (`wit/`), and the conversions between its types and
//! ristretto's own. Exports are async, so a call can be dropped at its deadline (`call.rs`);
//! host imports are synchronous except `alarms.states`, which waits on an AWS call.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { "ristretto:plugin/alarms.states": async },
    exports: { default: async },
});

pub use self::ristretto::plugin::types::{
    DefinitionKind, DeployContext, EventKind, LifecycleEvent, Stage, Verdict,
};

impl Stage {
    /// The stage as spelled in WIT and the docs (`pre-deploy`).
    pub fn name(self) -> &'static str {
        match self {
            Self::PreDeploy => "pre-deploy",
            Self::BeforeTrafficShift => "before-traffic-shift",
            Self::PostDeploy => "post-deploy",
            Self::Bake => "bake",
        }
    }
}

impl EventKind {
    /// The event as spelled in WIT (`deploy-succeeded`).
    pub fn name(self) -> &'static str {
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

impl DefinitionKind {
    /// `task-definition` / `service-definition`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TaskDefinition => "task-definition",
            Self::ServiceDefinition => "service-definition",
        }
    }
}
