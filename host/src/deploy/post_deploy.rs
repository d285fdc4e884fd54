//! Post-deploy gates, once the service is steady on the new revision: a failure is answered
//! by returning the service to the revision it ran before (the controller says how), marking
//! the rejected revision, and reporting the rollback.

use crate::app::App;
use crate::deploy::gates::{self, GateOutcome};
use crate::deploy::{Error, aws_error, short_task_definition};
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

/// Runs the post-deploy gates of an ECS-controller service; on failure rolls `service` back to
/// `previous` (if any) with UpdateService and waits for it to be stable.
pub async fn run(
    app: &App<'_>,
    service: &str,
    deployed: &str,
    previous: Option<&str>,
) -> Result<(), Error> {
    run_with(app, service, deployed, previous, async |previous| {
        let started = std::time::SystemTime::now();
        app.clients
            .ecs
            .update_service()
            .cluster(app.cluster())
            .service(service)
            .task_definition(previous)
            .send()
            .await
            .map_err(|err| {
                aws_error(
                    "UpdateService",
                    &err,
                    &[format!("deployed {}", short_task_definition(deployed))],
                )
            })?;
        crate::deploy::wait::wait_with(
            app,
            service,
            crate::deploy::WaitUntil::Stable,
            started,
            crate::deploy::ecs_native::follow::PausePolicy::Continue,
        )
        .await
        .map(|_| ())
    })
    .await
}
