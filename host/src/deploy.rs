//! The lifecycle engine for one service with the ECS deployment controller: deploy (create or
//! update in one UpdateService call), wait (stable / deployed), rollback, scale, and the task
//! definition revisions they use. It calls AWS through `aws::Clients`, reports through
//! `events`, and never prints or reads flags.

pub(crate) mod apply;
pub(crate) mod autoscaling;
pub mod codedeploy;
pub(crate) mod continue_deployment;
pub(crate) mod create;
pub mod diff;
pub(crate) mod ecs_native;
pub mod express;
pub(crate) mod gates;
pub(crate) mod options;
pub mod plan;
pub mod poll;
pub(crate) mod post_deploy;
pub(crate) mod rejected;
pub mod revisions;
pub(crate) mod rollback;
pub(crate) mod rolling;
pub(crate) mod run;
pub mod saved_plan;
pub mod service;
pub(crate) mod service_input;
pub mod split_deploy;
pub(crate) mod started;
pub(crate) mod strategy;
pub(crate) mod tags;
pub(crate) mod task_definition;
pub(crate) mod wait;
pub(crate) mod wait_until;

pub use autoscaling::AutoScaling;
pub use codedeploy::{RollbackEvents, appspec};
pub use continue_deployment::{ContinueOptions, continue_deployment};
pub use options::{DeployOptions, DesiredCount, TaskDefinitionSource};
pub use plan::Plan;
pub use poll::format_time;
pub use rollback::interrupted::roll_back_undecided;
pub use rollback::{RollbackOptions, RollbackTarget, rollback};
pub use run::deploy;
pub use service::{describe_service, find_service, require_configured_service, require_service};
pub use strategy::{Strategy, early_success_problem};
pub use task_definition::{latest_revision, register_task_definition};
pub use wait::wait;
pub use wait_until::{CODEDEPLOY_EVENTS, ECS_STAGES, WaitUntil};

/// Lifecycle errors. Each says what was being done and, for AWS failures, what had already
/// been applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config names no service.
    #[error("{config}: `service` is not set")]
    NoService {
        /// The config file.
        config: String,
    },
    /// The cluster does not exist.
    #[error("cluster `{cluster}` not found")]
    ClusterNotFound {
        /// The cluster.
        cluster: String,
    },
    /// The service does not exist (or is INACTIVE).
    #[error("service `{service}` not found in cluster `{cluster}`")]
    ServiceNotFound {
        /// The cluster.
        cluster: String,
        /// The service.
        service: String,
    },
    /// An AWS call failed.
    #[error("{operation} failed: {message}{}", applied_note(.applied))]
    Aws {
        /// The operation, e.g. `UpdateService`.
        operation: &'static str,
        /// The service's error code and message, or the transport problem.
        message: String,
        /// What this command had already changed in AWS before the failure.
        applied: Vec<String>,
    },
    /// A definition could not be loaded.
    #[error(transparent)]
    Definition(#[from] crate::definition::Error),
    /// A plugin failed (transform, functions) or misbehaved.
    #[error(transparent)]
    Plugin(#[from] crate::plugins::Error),
    /// A gate did not pass.
    #[error("{stage} gate of plugin `{plugin}` failed: {reason}{}", rollback_note(.rolled_back_to))]
    GateFailed {
        /// The gate's plugin.
        plugin: String,
        /// The stage.
        stage: &'static str,
        /// Its reason.
        reason: String,
        /// The revision the service was rolled back to, if it was.
        rolled_back_to: Option<String>,
    },
    /// A flag combination or value is invalid.
    #[error("{0}")]
    Invalid(String),
    /// `rollback` found no earlier revision to return to.
    #[error("{0}")]
    NothingToRollBackTo(String),
    /// `exec cp` could not copy the file (the agent, the sessions or the transfer failed).
    #[error("exec cp: {0}")]
    Copy(String),
    /// The deadline passed while waiting.
    #[error(
        "timed out after {timeout} waiting for service `{service}` to be {until}: {pending}; {}",
        crate::interrupt::GOES_ON_IN_AWS
    )]
    Timeout {
        /// The service.
        service: String,
        /// `stable` or `deployed`.
        until: String,
        /// The configured timeout.
        timeout: String,
        /// What was still pending.
        pending: String,
    },
    /// `run` stopped waiting for its tasks (deadline or Ctrl-C); they keep running.
    #[error(
        "{why} waiting for task(s) to be {until}: {pending}; they keep running: `ristretto tasks stop --force --id ID` stops one, `ristretto tasks logs --follow --id ID` follows its logs"
    )]
    TasksStillRunning {
        /// `timed out after 2m` or `stopped by SIGINT`.
        why: String,
        /// The signal that stopped ristretto, if one did.
        signal: Option<crate::interrupt::Signal>,
        /// `running` or `stopped`.
        until: String,
        /// Each task's id and status.
        pending: String,
    },
    /// The deployment ended in a failed state.
    #[error("deployment {deployment} of service `{service}` ended {status}{}", reason_note(.reason))]
    DeploymentFailed {
        /// The service.
        service: String,
        /// The service deployment (ARN or id).
        deployment: String,
        /// Its final status.
        status: String,
        /// Why, as ECS reports it.
        reason: Option<String>,
    },
    /// After waiting, the service does not run the deployed task definition (e.g. the
    /// deployment circuit breaker rolled it back).
    #[error(
        "service `{service}` is not running the deployed task definition {expected}: its PRIMARY deployment runs {actual}{}",
        reason_note(.reason)
    )]
    NotDeployed {
        /// The service.
        service: String,
        /// The task definition that was deployed.
        expected: String,
        /// The one the PRIMARY deployment runs.
        actual: String,
        /// ECS's explanation (rollout state reason), when given.
        reason: Option<String>,
    },
}

impl From<crate::app::Error> for Error {
    fn from(err: crate::app::Error) -> Self {
        match err {
            crate::app::Error::NoService { config } => Self::NoService { config },
            crate::app::Error::Invalid(message) => Self::Invalid(message),
            crate::app::Error::Definition(err) => Self::Definition(err),
            crate::app::Error::Plugin(err) => Self::Plugin(err),
        }
    }
}

fn applied_note(applied: &[String]) -> String {
    if applied.is_empty() {
        "; nothing was changed".to_owned()
    } else {
        format!("; already applied: {}", applied.join(", "))
    }
}

fn rollback_note(rolled_back_to: &Option<String>) -> String {
    rolled_back_to.as_deref().map_or_else(String::new, |r| {
        format!("; the service was rolled back to {r}")
    })
}

fn reason_note(reason: &Option<String>) -> String {
    reason
        .as_deref()
        .map_or_else(String::new, |r| format!(" ({r})"))
}

/// Builds an `Error::Aws` from an SDK error.
pub fn aws_error<E, R>(
    operation: &'static str,
    err: &aws_sdk_ecs::error::SdkError<E, R>,
    applied: &[String],
) -> Error
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Error::Aws {
        operation,
        message: crate::aws::describe_error(err),
        applied: applied.to_vec(),
    }
}

/// The family and revision in a task definition ARN or `family:revision`:
/// `arn:aws:ecs:r:a:task-definition/web:3` → `web:3`.
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

/// An AWS failure of a later step, with what this deploy had already applied by then.
pub(crate) fn with_applied(err: Error, applied: &[String]) -> Error {
    match err {
        Error::Aws {
            operation,
            message,
            applied: earlier,
        } if earlier.is_empty() => Error::Aws {
            operation,
            message,
            applied: applied.to_vec(),
        },
        other => other,
    }
}
