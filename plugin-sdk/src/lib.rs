//! The SDK for writing ristretto WebAssembly plugins. It is filled in by the plugin-platform
//! work: the WIT contract (`wit/`), the `Plugin` trait and `register_plugin!`. Until then this
//! crate deliberately exports nothing, so no plugin can be written against a contract that does
//! not exist yet.
#![deny(missing_docs)]
