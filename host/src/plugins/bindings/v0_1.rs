//! The bindings of the frozen contract `ristretto:plugin@0.1.0` (`wit/since_v0.1.0/`), and the
//! conversions of the values a 0.1.0 plugin is given or returns to and from the current types
//! (its host imports answer through the current implementations, in `host.rs`).
//! 0.1.0 differs from 0.2.0 only in `definition-kind`, which has no `express-definition`.

use super::v0_2::ristretto::plugin as now;

wasmtime::component::bindgen!({
    path: "../wit/since_v0.1.0",
    world: "plugin",
    imports: { "ristretto:plugin/alarms.states": async },
    exports: { default: async },
});

use self::ristretto::plugin::types;

/// The 0.1.0 kind of a definition, if 0.1.0 has it (it has no express definitions).
pub fn definition_kind(kind: now::types::DefinitionKind) -> Option<types::DefinitionKind> {
    match kind {
        now::types::DefinitionKind::TaskDefinition => Some(types::DefinitionKind::TaskDefinition),
        now::types::DefinitionKind::ServiceDefinition => {
            Some(types::DefinitionKind::ServiceDefinition)
        }
        now::types::DefinitionKind::ExpressDefinition => None,
    }
}

impl From<&now::types::DeployContext> for types::DeployContext {
    fn from(ctx: &now::types::DeployContext) -> Self {
        Self {
            cluster: ctx.cluster.clone(),
            service: ctx.service.clone(),
            region: ctx.region.clone(),
            account: ctx.account.clone(),
            config_name: ctx.config_name.clone(),
            dry_run: ctx.dry_run,
            revision: ctx.revision.clone(),
            strategy: ctx.strategy.clone(),
            plugin_config: ctx.plugin_config.clone(),
        }
    }
}

impl From<now::types::Stage> for types::Stage {
    fn from(stage: now::types::Stage) -> Self {
        match stage {
            now::types::Stage::PreDeploy => Self::PreDeploy,
            now::types::Stage::BeforeTrafficShift => Self::BeforeTrafficShift,
            now::types::Stage::PostDeploy => Self::PostDeploy,
            now::types::Stage::Bake => Self::Bake,
        }
    }
}

impl From<now::types::EventKind> for types::EventKind {
    fn from(kind: now::types::EventKind) -> Self {
        use now::types::EventKind as Now;
        match kind {
            Now::DeployStarted => Self::DeployStarted,
            Now::TaskDefinitionRegistered => Self::TaskDefinitionRegistered,
            Now::ServiceUpdated => Self::ServiceUpdated,
            Now::GatePassed => Self::GatePassed,
            Now::GateFailed => Self::GateFailed,
            Now::TrafficShifted => Self::TrafficShifted,
            Now::WaitingAtPause => Self::WaitingAtPause,
            Now::DeploySucceeded => Self::DeploySucceeded,
            Now::DeployFailed => Self::DeployFailed,
            Now::RolledBack => Self::RolledBack,
            Now::FleetFinished => Self::FleetFinished,
        }
    }
}

impl From<&now::types::LifecycleEvent> for types::LifecycleEvent {
    fn from(event: &now::types::LifecycleEvent) -> Self {
        Self {
            kind: event.kind.into(),
            message: event.message.clone(),
            task_definition: event.task_definition.clone(),
            at_ms: event.at_ms,
            elapsed_ms: event.elapsed_ms,
            details: event.details.clone(),
        }
    }
}

impl From<types::Verdict> for now::types::Verdict {
    fn from(verdict: types::Verdict) -> Self {
        match verdict {
            types::Verdict::Pass => Self::Pass,
            types::Verdict::Fail(reason) => Self::Fail(reason),
            types::Verdict::Pending(p) => Self::Pending(now::types::PendingVerdict {
                retry_after_ms: p.retry_after_ms,
                state: p.state,
            }),
        }
    }
}

impl From<types::FunctionDecl> for now::types::FunctionDecl {
    fn from(decl: types::FunctionDecl) -> Self {
        Self {
            name: decl.name,
            params: decl.params,
            required: decl.required,
        }
    }
}

impl From<types::PluginInfo> for now::types::PluginInfo {
    fn from(info: types::PluginInfo) -> Self {
        Self {
            name: info.name,
            version: info.version,
            sdk_version: info.sdk_version,
            description: info.description,
            capabilities: info.capabilities,
        }
    }
}
