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

// `ALL` and `name()` of `Stage`, `EventKind` and `DefinitionKind`, written by build.rs from wit/.
include!(concat!(env!("OUT_DIR"), "/wit_names.rs"));
