//! The bindings of the current contract, `ristretto:plugin@0.2.0` (`wit/`). Exports are async,
//! so a call can be dropped at its deadline (`call.rs`); host imports are synchronous except
//! `alarms.states`, which waits on an AWS call.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { "ristretto:plugin/alarms.states": async },
    exports: { default: async },
});
