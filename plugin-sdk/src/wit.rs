//! The generated bindings of `wit/` (the one `generate!` of the SDK). Plugin authors use the
//! types re-exported from the crate root instead.
#![allow(unsafe_code, missing_docs, clippy::all)]

wit_bindgen::generate!({
    path: "../wit",
    world: "plugin",
    pub_export_macro: true,
    export_macro_name: "export_plugin",
    default_bindings_module: "ristretto_plugin_sdk::wit",
});
