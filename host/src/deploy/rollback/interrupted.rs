//! Answers the decision a stopped ristretto owed a paused deployment: with nobody left to run
//! the gates, roll back now rather than leave production waiting for the hook's timeout.

use aws_sdk_ecs::types::DeploymentLifecycleHookAction;

use crate::app::App;
use crate::deploy::Error;
use crate::deploy::ecs_native::follow::continue_hook;
use crate::deploy::poll::short_id;
use crate::interrupt::PendingDecision;

/// Rolls back the deployment `decision` names (ContinueServiceDeployment ROLLBACK of the hook,
/// or CodeDeploy StopDeployment with rollback) and says what was asked.
pub async fn roll_back_undecided(
    app: &App<'_>,
    decision: &PendingDecision,
) -> Result<String, Error> {
    match decision {
        PendingDecision::EcsHook {
            deployment_arn,
            hook_id,
        } => {
            continue_hook(
                app,
                deployment_arn,
                hook_id,
                DeploymentLifecycleHookAction::Rollback,
            )
            .await?;
            Ok(format!(
                "the before-traffic-shift gates had not decided, so service deployment {} was told to ROLLBACK at its pause (`ristretto status` shows how it goes)",
                short_id(deployment_arn)
            ))
        }
        PendingDecision::CodeDeployReady { deployment_id } => {
            crate::deploy::codedeploy::stop_with_rollback(app, deployment_id).await?;
            Ok(format!(
                "the before-traffic-shift gates had not decided, so CodeDeploy deployment {deployment_id} was stopped with rollback (`ristretto status` shows how it goes)"
            ))
        }
    }
}
