//! Rendering of config and definition files, as ecspresso does it: Jsonnet files are evaluated
//! (ext vars, native functions) and their JSON output, like every other file, then goes through
//! Go-template syntax (`{{ must_env "X" }}`). One `FunctionRegistry` serves both languages, so
//! functions added at run time (AWS lookups, plugins, with `func_prefix`) appear in both.
//! Never prints and never calls AWS itself; errors name `file:line:column`.

mod builtins;
mod functions;
pub use ::gotemplate;
mod jsonnet;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use builtins::register_builtins;
pub use functions::{Callable, Function, FunctionRegistry, SecretValues};

use crate::environment::Environment;

/// Rendering errors; each names the file and, where known, line and column.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A Go-template syntax or execution error (its message starts with `file:line:column`).
    #[error(transparent)]
    Template(#[from] gotemplate::TemplateError),
    /// A Jsonnet syntax or evaluation error.
    #[error("{location}: {message}")]
    Jsonnet {
        /// `file:line:column`, or the file when no position is known.
        location: String,
        /// What went wrong, with the Jsonnet stack when useful.
        message: String,
    },
    /// An ext var could not be used (e.g. `--ext-code` that does not evaluate).
    #[error("invalid --ext-code `{name}`: {message}")]
    ExtCode {
        /// The variable name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// Two sources registered the same function name.
    #[error(
        "function `{name}` from {new_origin} clashes with the one from {existing_origin}; set `func_prefix` on one of them"
    )]
    FunctionClash {
        /// The clashing name (prefix included).
        name: String,
        /// Who registered it first.
        existing_origin: String,
        /// Who tried to register it again.
        new_origin: String,
    },
}

/// How a file is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Jsonnet first, then Go template over the JSON output.
    Jsonnet,
    /// Go template only.
    Template,
}

impl SourceKind {
    /// The kind ecspresso uses for a definition file: `.jsonnet`/`.libsonnet` are Jsonnet,
    /// anything else is a Go template.
    pub fn for_definition(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonnet" | "libsonnet") => Self::Jsonnet,
            _ => Self::Template,
        }
    }
}

/// Renders files with one set of functions, ext vars and environment.
pub struct Renderer {
    functions: FunctionRegistry,
    ext_str: BTreeMap<String, String>,
    ext_code: BTreeMap<String, String>,
}

impl Renderer {
    /// A renderer with the built-in functions (`env`, `must_env`, `json_escape`) reading
    /// `environment`, and the given Jsonnet ext vars.
    pub fn new(
        environment: Environment,
        ext_str: BTreeMap<String, String>,
        ext_code: BTreeMap<String, String>,
    ) -> Self {
        let mut functions = FunctionRegistry::default();
        register_builtins(&mut functions, environment);
        Self {
            functions,
            ext_str,
            ext_code,
        }
    }

    /// The function registry, to add functions at run time.
    pub fn functions_mut(&mut self) -> &mut FunctionRegistry {
        &mut self.functions
    }

    /// The function registry.
    pub fn functions(&self) -> &FunctionRegistry {
        &self.functions
    }

    /// Reads and renders `path` as `kind`, returning the rendered text.
    pub fn render_file(&self, path: &Path, kind: SourceKind) -> Result<String, Error> {
        match kind {
            SourceKind::Template => {
                let source = std::fs::read_to_string(path).map_err(|error| Error::Read {
                    path: path.to_path_buf(),
                    error,
                })?;
                self.render_template_text(path, crate::source_text::strip_bom(&source))
            }
            SourceKind::Jsonnet => {
                let json = jsonnet::evaluate(path, &self.functions, &self.ext_str, &self.ext_code)?;
                self.render_template_text(path, &json)
            }
        }
    }

    /// Evaluates only the top-level `fields` of the Jsonnet file at `path` (see
    /// `jsonnet::evaluate_fields`), then renders Go-template syntax in the result: a JSON object
    /// text holding the fields present.
    pub fn render_jsonnet_fields(&self, path: &Path, fields: &[&str]) -> Result<String, Error> {
        let json =
            jsonnet::evaluate_fields(path, &self.functions, &self.ext_str, &self.ext_code, fields)?;
        self.render_template_text(path, &json)
    }

    /// Renders Go-template syntax in `text`; `path` names the file in errors.
    pub fn render_template_text(&self, path: &Path, text: &str) -> Result<String, Error> {
        if !text.contains("{{") {
            return Ok(text.to_owned());
        }
        let name = path.display().to_string();
        Ok(gotemplate::render(
            &name,
            text,
            &serde_json::Value::Null,
            &self.functions,
        )?)
    }
}
