//! Implements the generated export traits for [`Adapter<T>`](crate::Adapter) by delegating to
//! the plugin's [`Plugin`](crate::Plugin) hooks and converting types.

use crate::wit::exports::ristretto::plugin::{functions, gate, notify, transform};
use crate::wit::ristretto::plugin::types as w;
use crate::{Adapter, Plugin, Registered};

impl<T: Plugin + Registered> crate::wit::Guest for Adapter<T> {
    fn info() -> w::PluginInfo {
        w::PluginInfo {
            name: T::NAME.to_owned(),
            version: T::VERSION.to_owned(),
            sdk_version: crate::SDK_VERSION.to_owned(),
            description: T::DESCRIPTION.to_owned(),
            capabilities: T::CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
        }
    }
}

impl<T: Plugin + Registered> transform::Guest for Adapter<T> {
    fn transform(
        ctx: w::DeployContext,
        kind: w::DefinitionKind,
        definition: String,
    ) -> Result<String, String> {
        let value = serde_json::from_str(&definition)
            .map_err(|e| format!("the host sent invalid JSON: {e}"))?;
        let out = T::transform(&ctx.into(), kind, value)?;
        Ok(out.to_string())
    }
}

impl<T: Plugin + Registered> functions::Guest for Adapter<T> {
    fn declare(ctx: w::DeployContext) -> Vec<w::FunctionDecl> {
        T::functions(&ctx.into())
            .into_iter()
            .map(Into::into)
            .collect()
    }

    fn call(ctx: w::DeployContext, name: String, args: Vec<String>) -> Result<String, String> {
        let args = args
            .iter()
            .map(|a| {
                serde_json::from_str(a).map_err(|e| format!("the host sent invalid JSON: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(T::call(&ctx.into(), &name, args)?.to_string())
    }
}

impl<T: Plugin + Registered> gate::Guest for Adapter<T> {
    fn check(
        ctx: w::DeployContext,
        stage: w::Stage,
        state: Option<String>,
    ) -> Result<w::Verdict, String> {
        T::gate(&ctx.into(), stage, state).map(Into::into)
    }
}

impl<T: Plugin + Registered> notify::Guest for Adapter<T> {
    fn notify(ctx: w::DeployContext, event: w::LifecycleEvent) -> Result<(), String> {
        T::notify(&ctx.into(), &event.into())
    }
}
