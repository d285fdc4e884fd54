//! Post-deploy gates, once the service is steady on the new revision: a failure is answered
//! by returning the service to the revision it ran before (the controller says how), marking
//! the rejected revision, and reporting the rollback.

use crate::app::App;
use crate::deploy::gates::{self, GateOutcome};
use crate::deploy::{Error, short_task_definition};
use crate::plugins::Stage;

/// Runs the post-deploy gates; on failure runs `roll_back(previous)` (when there is a
/// previous task definition) and reports the rollback.
pub(crate) async fn run_with(
    app: &App<'_>,
    service: &str,
    deployed: &str,
    previous: Option<&str>,
    roll_back: impl AsyncFnOnce(&str) -> Result<(), Error>,
) -> Result<(), Error> {
    let GateOutcome::Fail(mut failure) = gates::decide(app, Stage::PostDeploy).await else {
        return Ok(());
    };
    let Some(previous) = previous.filter(|p| *p != deployed) else {
        failure.reason = format!(
            "{} (there is no previous task definition to roll back to)",
            failure.reason
        );
        return Err(failure.into_error(None));
    };
    app.warn(format!(
        "rolling service {service} back from {} to {}",
        short_task_definition(deployed),
        short_task_definition(previous)
    ));
    roll_back(previous).await?;
    Err(crate::deploy::rejected::rolled_back(
        app,
        service,
        failure,
        Some(short_task_definition(previous).to_owned()),
    )
    .await)
}
