//! Task and service definitions as JSON in AWS API shape: rendered from files (JSON or
//! Jsonnet with Go templates), unwrapped (`{"taskDefinition": …}`), normalized to camelCase with
//! nulls and empty lists dropped, and type-checked against the API's shapes. Later: conversion to
//! SDK inputs, diff normalization.

mod codec;
pub mod gate_hook;
mod load;
mod normalize;
mod overrides;
mod schema;
mod sdk_check;

use std::path::PathBuf;

pub use codec::{from_json, to_json};
pub use load::{
    Definition, DefinitionKind, load_express_definition, load_service_definition,
    load_task_definition, normalize_from_aws,
};
pub use normalize::{drop_empty, lower_first};
pub use overrides::{check_task_override, check_task_override_in, overridden_containers};

/// Definition errors; each names the file and the line or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Rendering (Jsonnet, Go template, reading the file) failed.
    #[error(transparent)]
    Render(#[from] crate::render::Error),
    /// The rendered text is not valid JSON.
    #[error(transparent)]
    Syntax(#[from] crate::config::SyntaxError),
    /// The document is not a JSON object.
    #[error("{path}: a {what} must be a JSON object, found {found}")]
    NotAnObject {
        /// The definition file.
        path: PathBuf,
        /// "task definition" or "service definition".
        what: &'static str,
        /// What was found instead.
        found: &'static str,
    },
    /// A field has the wrong type.
    #[error("{location}: {what} `{field}`: {message}")]
    Type {
        /// `file:line`, or the file when the line is unknown.
        location: String,
        /// "task definition" or "service definition".
        what: &'static str,
        /// Field path, e.g. `containerDefinitions[0].memory`.
        field: String,
        /// What was expected and found.
        message: String,
    },
}
