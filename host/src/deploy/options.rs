//! What a deploy is asked to do: which task definition, which desired count, what to wait for.
//! Built by `cli/deploy.rs` (and `scale`, `refresh`, fleets) from flags.

use aws_sdk_codedeploy::types::{AutoRollbackConfiguration, AutoRollbackEvent};

use crate::deploy::autoscaling::AutoScaling;
use crate::deploy::wait_until::WaitUntil;

/// Where the task definition to deploy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskDefinitionSource {
    /// Register the configured task definition file (the default).
    Register,
    /// `--revision N`: revision N of the family.
    Revision(u64),
    /// `--latest-task-definition`: the newest ACTIVE revision of the family.
    Latest,
    /// `--skip-task-definition`: keep the service's current task definition.
    Current,
}

impl TaskDefinitionSource {
    /// The source ecspresso picks when several flags are given (deploy.go
    /// `taskDefinitionArnForDeploy`, run.go `resolveTaskDefinitionForRun`): `--revision N`
    /// (N > 0) first, then `--latest-task-definition`, then `--skip-task-definition`, else
    /// register the file. `--revision 0` means "not given", as in ecspresso.
    pub fn by_priority(revision: Option<u64>, latest: bool, skip: bool) -> Self {
        match revision {
            Some(n) if n > 0 => Self::Revision(n),
            _ if latest => Self::Latest,
            _ if skip => Self::Current,
            _ => Self::Register,
        }
    }
}

/// How the desired count is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredCount {
    /// `desiredCount` from the service definition; unchanged when it has none.
    FromDefinition,
    /// `--tasks N`.
    Exactly(i32),
    /// Leave it as it is (scale/refresh without `--tasks`).
    Unchanged,
}

/// Options of one deploy (also used by `scale` and `refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployOptions {
    /// Render and report, change nothing.
    pub dry_run: bool,
    /// Which task definition to deploy.
    pub task_definition: TaskDefinitionSource,
    /// The desired count.
    pub desired_count: DesiredCount,
    /// UpdateService `forceNewDeployment`.
    pub force_new_deployment: bool,
    /// Apply the service definition's attributes and tags.
    pub update_service: bool,
    /// What to wait for after the update (`None`: do not wait).
    pub wait: Option<WaitUntil>,
    /// Auto scaling changes, applied before the update.
    pub auto_scaling: AutoScaling,
    /// CodeDeploy services: events that roll the deployment back (`--rollback-events`).
    pub rollback_events: RollbackEvents,
}

/// `--rollback-events`: which events make CodeDeploy roll the deployment back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollbackEvents {
    /// `DEPLOYMENT_FAILURE`
    pub failure: bool,
    /// `DEPLOYMENT_STOP_ON_ALARM`
    pub alarm: bool,
    /// `DEPLOYMENT_STOP_ON_REQUEST`
    pub request: bool,
}

impl RollbackEvents {
    /// Parses a comma-separated list of CodeDeploy auto-rollback events.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut events = Self::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "DEPLOYMENT_FAILURE" => events.failure = true,
                "DEPLOYMENT_STOP_ON_ALARM" => events.alarm = true,
                "DEPLOYMENT_STOP_ON_REQUEST" => events.request = true,
                other => {
                    return Err(format!(
                        "unknown rollback event `{other}`: use DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST"
                    ));
                }
            }
        }
        Ok(events)
    }

    pub(crate) fn configuration(self) -> Option<AutoRollbackConfiguration> {
        let events: Vec<_> = [
            (self.failure, AutoRollbackEvent::DeploymentFailure),
            (self.alarm, AutoRollbackEvent::DeploymentStopOnAlarm),
            (self.request, AutoRollbackEvent::DeploymentStopOnRequest),
        ]
        .into_iter()
        .filter_map(|(on, event)| on.then_some(event))
        .collect();
        (!events.is_empty()).then(|| {
            AutoRollbackConfiguration::builder()
                .enabled(true)
                .set_events(Some(events))
                .build()
        })
    }
}
