//! The plugin contract's bindings, one set per supported version (`bindings/`: 0.2.0, the
//! current `wit/`, and 0.1.0, frozen in `wit/since_v0.1.0/`), and the one face the rest of
//! `plugins` calls whatever version a plugin was built for: [`PluginPre`] and [`Plugin`], in the
//! current version's types. A component's version is read from its export names.

pub mod v0_1;
mod v0_2;

use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Store};

use self::v0_1::ristretto::plugin as old;
use self::v0_2::ristretto::plugin as now;

pub use self::v0_2::PluginInfo;
pub use self::v0_2::ristretto;
pub use self::v0_2::ristretto::plugin::types::{
    DefinitionKind, DeployContext, EventKind, FunctionDecl, LifecycleEvent, Stage, Verdict,
};

// `ALL` and `name()` of `Stage`, `EventKind` and `DefinitionKind`, written by build.rs from wit/.
include!(concat!(env!("OUT_DIR"), "/wit_names.rs"));

/// The contract versions this host loads, newest first.
pub const CONTRACT_VERSIONS: [&str; 2] = ["0.2.0", "0.1.0"];

/// The contract versions this host loads, for messages.
const SUPPORTED: &str = "ristretto:plugin@0.2.0 and @0.1.0";

/// What store data must implement: the host imports of every supported version.
pub trait HostImports:
    now::types::Host
    + now::log::Host
    + now::secrets::Host
    + now::alarms::Host
    + old::types::Host
    + old::log::Host
    + old::secrets::Host
    + old::alarms::Host
    + Send
    + 'static
{
}

impl<T> HostImports for T where
    T: now::types::Host
        + now::log::Host
        + now::secrets::Host
        + now::alarms::Host
        + old::types::Host
        + old::log::Host
        + old::secrets::Host
        + old::alarms::Host
        + Send
        + 'static
{
}

/// Adds the host imports of every supported version to `linker`.
pub fn add_to_linker<T: HostImports>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    v0_2::Plugin::add_to_linker::<T, HasSelf<T>>(linker, |state| state)?;
    v0_1::Plugin::add_to_linker::<T, HasSelf<T>>(linker, |state| state)?;
    Ok(())
}

/// The contract version a component was built for (`0.1.0`), read from the version of its
/// `ristretto:plugin/…` exports; `None` when it exports none.
pub fn contract_version(component: &Component, engine: &Engine) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| {
            let rest = name.strip_prefix("ristretto:plugin/")?;
            rest.split_once('@').map(|(_, version)| version.to_owned())
        })
}

/// A pre-instantiated plugin component, of the contract version it was built for.
pub enum PluginPre<T: 'static> {
    /// Built for `ristretto:plugin@0.1.0`.
    V0_1(v0_1::PluginPre<T>),
    /// Built for `ristretto:plugin@0.2.0`.
    V0_2(v0_2::PluginPre<T>),
}

impl<T: 'static> Clone for PluginPre<T> {
    fn clone(&self) -> Self {
        match self {
            Self::V0_1(pre) => Self::V0_1(pre.clone()),
            Self::V0_2(pre) => Self::V0_2(pre.clone()),
        }
    }
}

impl<T: HostImports> PluginPre<T> {
    /// Checks that `instance_pre`'s component implements the world of the version it says it
    /// was built for, or says why not.
    pub fn new(instance_pre: InstancePre<T>, engine: &Engine) -> Result<Self, String> {
        let version = contract_version(instance_pre.component(), engine);
        let world = |v: &str| format!("the ristretto:plugin@{v} world");
        let (pre, wanted) = match version.as_deref() {
            Some(v) if v.starts_with("0.2.") => {
                (v0_2::PluginPre::new(instance_pre).map(Self::V0_2), world(v))
            }
            Some(v) if v.starts_with("0.1.") => {
                (v0_1::PluginPre::new(instance_pre).map(Self::V0_1), world(v))
            }
            Some(v) => {
                return Err(format!(
                    "it was built for ristretto:plugin@{v}; this ristretto loads {SUPPORTED} \
                     (rebuild it with a matching SDK, or use a matching ristretto)"
                ));
            }
            None => {
                return Err(format!(
                    "it exports no ristretto:plugin interface: it is not a ristretto plugin \
                     (this ristretto loads {SUPPORTED})"
                ));
            }
        };
        pre.map_err(|e| format!("it does not implement {wanted}: {e:#}"))
    }

    /// The component.
    pub fn component(&self) -> &Component {
        match self {
            Self::V0_1(pre) => pre.instance_pre().component(),
            Self::V0_2(pre) => pre.instance_pre().component(),
        }
    }

    /// The contract version, as in its package name (`0.1.0`).
    pub fn version(&self) -> &'static str {
        match self {
            Self::V0_1(_) => "0.1.0",
            Self::V0_2(_) => "0.2.0",
        }
    }

    /// A fresh instance in `store`.
    pub async fn instantiate_async(&self, store: &mut Store<T>) -> wasmtime::Result<Plugin> {
        Ok(match self {
            Self::V0_1(pre) => Plugin::V0_1(pre.instantiate_async(store).await?),
            Self::V0_2(pre) => Plugin::V0_2(pre.instantiate_async(store).await?),
        })
    }
}

/// An instance of a plugin, of the contract version it was built for. Its hooks take and
/// return the current version's types.
pub enum Plugin {
    /// Built for `ristretto:plugin@0.1.0`.
    V0_1(v0_1::Plugin),
    /// Built for `ristretto:plugin@0.2.0`.
    V0_2(v0_2::Plugin),
}

/// The answer of a hook that returns `result<T, string>`: the guest's own error stays a value.
type Answer<T> = wasmtime::Result<Result<T, String>>;

impl Plugin {
    /// `info`.
    pub async fn info(&self, s: &mut Store<impl HostImports>) -> wasmtime::Result<PluginInfo> {
        match self {
            Self::V0_1(p) => p.call_info(s).await.map(Into::into),
            Self::V0_2(p) => p.call_info(s).await,
        }
    }

    /// `transform.transform`. A plugin built for a version without `kind` (0.1.0 has no
    /// express definitions) is not given the definition: it comes back unchanged, and a warning
    /// in the plugin's log says so.
    pub async fn transform(
        &self,
        s: &mut Store<impl HostImports>,
        ctx: &DeployContext,
        kind: DefinitionKind,
        definition: &str,
    ) -> Answer<String> {
        match self {
            Self::V0_1(p) => {
                let Some(old_kind) = v0_1::definition_kind(kind) else {
                    let message = format!(
                        "built for ristretto:plugin@0.1.0, which has no {}: it is not given this \
                         one (rebuild it with ristretto-plugin-sdk 0.2 to transform it)",
                        kind.name()
                    );
                    now::log::Host::write(s.data_mut(), now::log::Level::Warn, message);
                    return Ok(Ok(definition.to_owned()));
                };
                p.ristretto_plugin_transform()
                    .call_transform(s, &ctx.into(), old_kind, definition)
                    .await
            }
            Self::V0_2(p) => {
                p.ristretto_plugin_transform()
                    .call_transform(s, ctx, kind, definition)
                    .await
            }
        }
    }

    /// `functions.declare`.
    pub async fn declare(
        &self,
        s: &mut Store<impl HostImports>,
        ctx: &DeployContext,
    ) -> wasmtime::Result<Vec<FunctionDecl>> {
        match self {
            Self::V0_1(p) => {
                let declared = p
                    .ristretto_plugin_functions()
                    .call_declare(s, &ctx.into())
                    .await?;
                Ok(declared.into_iter().map(Into::into).collect())
            }
            Self::V0_2(p) => p.ristretto_plugin_functions().call_declare(s, ctx).await,
        }
    }

    /// `functions.call`.
    pub async fn call(
        &self,
        s: &mut Store<impl HostImports>,
        ctx: &DeployContext,
        name: &str,
        args: &[String],
    ) -> Answer<String> {
        match self {
            Self::V0_1(p) => {
                p.ristretto_plugin_functions()
                    .call_call(s, &ctx.into(), name, args)
                    .await
            }
            Self::V0_2(p) => {
                p.ristretto_plugin_functions()
                    .call_call(s, ctx, name, args)
                    .await
            }
        }
    }

    /// `gate.check`.
    pub async fn check(
        &self,
        s: &mut Store<impl HostImports>,
        ctx: &DeployContext,
        stage: Stage,
        state: Option<&str>,
    ) -> Answer<Verdict> {
        match self {
            Self::V0_1(p) => Ok(p
                .ristretto_plugin_gate()
                .call_check(s, &ctx.into(), stage.into(), state)
                .await?
                .map(Into::into)),
            Self::V0_2(p) => {
                p.ristretto_plugin_gate()
                    .call_check(s, ctx, stage, state)
                    .await
            }
        }
    }

    /// `notify.notify`.
    pub async fn notify(
        &self,
        s: &mut Store<impl HostImports>,
        ctx: &DeployContext,
        event: &LifecycleEvent,
    ) -> Answer<()> {
        match self {
            Self::V0_1(p) => {
                p.ristretto_plugin_notify()
                    .call_notify(s, &ctx.into(), &event.into())
                    .await
            }
            Self::V0_2(p) => p.ristretto_plugin_notify().call_notify(s, ctx, event).await,
        }
    }
}
