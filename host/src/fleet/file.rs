//! The fleet file (`ristretto-fleet.yml`): services named by their ecspresso config paths, with
//! `depends_on`, fleet-wide `ext_str`/`ext_code`/`envfile`, per-service overrides, and a default
//! concurrency. Paths are relative to the fleet file.
//!
//! ```yaml
//! concurrency: 4
//! ext_str: {ENV: prod}
//! envfile: [common.env]
//! services:
//!   db: {config: db/ecspresso.yml}
//!   api: {config: api/ecspresso.yml, depends_on: [db], ext_str: {IMAGE_TAG: v42}}
//!   web: {config: web/ecspresso.yml, depends_on: [api]}
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A parsed fleet file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetFile {
    /// How many services run at once (default 4).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Jsonnet ext strings for every service.
    #[serde(default)]
    pub ext_str: BTreeMap<String, String>,
    /// Jsonnet ext code for every service.
    #[serde(default)]
    pub ext_code: BTreeMap<String, String>,
    /// Env files for every service (relative to the fleet file).
    #[serde(default)]
    pub envfile: Vec<PathBuf>,
    /// The services, by name.
    pub services: BTreeMap<String, FleetService>,
}

/// One service of the fleet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetService {
    /// Its ecspresso config (relative to the fleet file).
    pub config: PathBuf,
    /// Services that must be deployed (and pass their gates) first.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Extra or overriding ext strings.
    #[serde(default)]
    pub ext_str: BTreeMap<String, String>,
    /// Extra or overriding ext code.
    #[serde(default)]
    pub ext_code: BTreeMap<String, String>,
    /// Extra env files (loaded after the fleet's).
    #[serde(default)]
    pub envfile: Vec<PathBuf>,
}

/// Fleet file errors, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Unreadable file.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Invalid YAML or shape.
    #[error(transparent)]
    Syntax(#[from] crate::config::SyntaxError),
    /// A dependency problem.
    #[error("{path}: {message}")]
    Graph {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl FleetFile {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|error| Error::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let fleet: Self = serde_yaml_ng::from_str(&text).map_err(|err| {
            let (line, column) = err.location().map_or((1, 1), |l| (l.line(), l.column()));
            Error::Syntax(crate::config::SyntaxError {
                path: path.to_path_buf(),
                line,
                column,
                message: crate::config::strip_position(&err.to_string()),
            })
        })?;
        if fleet.services.is_empty() {
            return Err(Error::Graph {
                path: path.to_path_buf(),
                message: "`services` is empty".to_owned(),
            });
        }
        Ok(fleet)
    }
}
