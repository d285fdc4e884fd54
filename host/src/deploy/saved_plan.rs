//! Saved plans: `deploy --plan-out` writes the `deploy::Plan` it decided (serialized, never
//! decided again) with a fingerprint of the AWS state it was computed against and of its
//! inputs; `apply` re-reads only that state and, when it still matches, carries out exactly
//! the saved plan through the same path as `deploy` (gates, apply, controller, notifications).
//! When AWS drifted it refuses (exit status 3) and writes nothing. Secret values (SSM
//! SecureString lookups) are stored as a reference and a hash and re-read by `apply`.

mod apply;
mod convert;
pub mod format;
mod make;
mod secrets;
mod state;

use std::time::Duration;

pub use apply::{ApplyLimits, apply_service, check_service};
pub use format::{PlanFile, ServicePlan};
pub use make::{plan_file, plan_service, write};

/// Why a plan could not be written, read or applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The plan file at `path` is not usable.
    #[error("plan file {path}: {problem}")]
    File {
        /// The file.
        path: String,
        /// Why.
        problem: Box<Error>,
    },
    /// The text is not a plan.
    #[error("{0}")]
    Format(String),
    /// The plan's format version is not this ristretto's.
    #[error(
        "plan format version {found} is not supported: this ristretto ({}) reads version {}; make the plan again with it",
        env!("CARGO_PKG_VERSION"),
        format::VERSION
    )]
    Version {
        /// The version found.
        found: String,
    },
    /// The plan was altered after it was written.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// The plan is older than the limit.
    #[error(
        "the plan was made {age} ago, more than the limit of {limit} (--max-age): make a new plan"
    )]
    Expired {
        /// Its age.
        age: String,
        /// The limit.
        limit: String,
    },
    /// The plan is for another account, region, cluster or service than the config's.
    #[error("{0}")]
    WrongTarget(String),
    /// AWS changed since the plan was made.
    #[error(
        "service {service}: AWS changed since the plan was made, so it was not applied (nothing was changed):\n{}\nmake a new plan (`deploy --plan-out`) and review it",
        .changes.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n")
    )]
    Drift {
        /// The service.
        service: String,
        /// What changed.
        changes: Vec<String>,
    },
    /// A plan cannot be made for this deploy.
    #[error("{0}")]
    NotPlannable(String),
    /// The deploy (planning or applying) failed.
    #[error(transparent)]
    Deploy(#[from] crate::deploy::Error),
}

impl Error {
    /// The exit status for this error: 3 when AWS drifted, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Drift { .. } => 3,
            Self::File { problem, .. } => problem.exit_code(),
            _ => 1,
        }
    }
}

/// `24h` by default: how old a plan `apply` accepts.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
