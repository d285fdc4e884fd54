//! Finds, reads and resolves configuration: global flags layered over `RISTRETTO_*`/`ECSPRESSO_*`
//! environment variables, env files, and the ecspresso config file (YAML, JSON or Jsonnet) with
//! defaults. Precedence (flag > environment > file > default) is resolved here, once, with
//! figment; commands receive plain values and never read the environment themselves.

mod duration;
mod globals;
mod load;
mod model;
mod prelude;
mod required_version;
mod source_position;
pub use source_position::{SyntaxError, find_key_line};

use std::path::PathBuf;

pub use crate::environment::Environment;
pub use duration::{format_duration, parse_duration};
pub use globals::{GlobalFlags, Globals, LogFormat};
pub use load::{
    LoadedConfig, Warning, did_you_mean, find_config_file, load_config, strip_position,
};
pub use model::{
    CodeDeployConfig, ConfigFile, IgnoreConfig, PluginAllow, PluginEntry, PluginLimits,
};
pub use prelude::{Prelude, read_prelude};
pub use required_version::check_required_version;

/// Configuration errors. Each names the file (and line/column or key where known) or the flag
/// or environment variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No config file was given and none of the default names exists.
    #[error(
        "no config file found in {dir}: looked for ecspresso.yml, ecspresso.yaml, ecspresso.json, ecspresso.jsonnet (use --config FILE)"
    )]
    NotFound {
        /// The directory that was searched.
        dir: PathBuf,
    },
    /// A default config name exists but is not a file (a directory, a symlink loop).
    #[error("{path} {why}; a config file must be a regular file (or use --config FILE)")]
    NotAFile {
        /// The default name found.
        path: PathBuf,
        /// What it is instead.
        why: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A syntax or type error inside a file, at a known position.
    #[error(transparent)]
    Syntax(#[from] crate::config::SyntaxError),
    /// A key holds a value of the wrong type or an invalid value.
    #[error("{location}: invalid value for `{key}`: {message}")]
    InvalidKey {
        /// `file:line` (or the file alone when the line is unknown).
        location: String,
        /// Dotted key path, e.g. `codedeploy.application_name`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A flag or environment variable holds an invalid value.
    #[error("invalid {origin}: {message}")]
    InvalidSetting {
        /// e.g. `--timeout flag` or `environment variable RISTRETTO_TIMEOUT`.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// An env file could not be parsed.
    #[error(transparent)]
    EnvFile(#[from] crate::environment::EnvFileError),
    /// `required_version` is not satisfied or cannot be parsed.
    #[error("{location}: {message}")]
    RequiredVersion {
        /// `file:line` of the key.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// Rendering the config file (Jsonnet or Go template) failed.
    #[error(transparent)]
    Render(#[from] crate::render::Error),
}
