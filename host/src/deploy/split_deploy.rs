//! The end of a deploy split into steps — `deploy --no-wait` or `--wait-until paused`, then
//! `wait` or `continue` — once the deployment has finished on the new revision: the post-deploy
//! gates run (a failure rolls back, as in `deploy`) and notify plugins hear `deploy-succeeded`,
//! so splitting a deploy skips neither.

use crate::app::App;
use crate::deploy::service::{find_service, primary_task_definition};
use crate::deploy::task_definition::family_of;
use crate::deploy::{Error, short_task_definition};
use crate::events::Lifecycle;
use crate::plugins::EventKind;

/// Whether `service` has a deployment in flight (ECS service deployment or CodeDeploy
/// deployment), i.e. whether waiting for it finishes a deploy.
pub async fn in_flight(app: &App<'_>, service: &str) -> Result<bool, Error> {
    let Some(remote) = find_service(app).await? else {
        return Ok(false);
    };
    if crate::deploy::strategy::is_code_deploy(&remote) {
        let group = crate::deploy::codedeploy::find_group(app, service).await?;
        Ok(crate::deploy::codedeploy::active_deployment(app, &group)
            .await?
            .is_some())
    } else {
        Ok(crate::deploy::rollback::active_deployment(app, service)
            .await?
            .is_some())
    }
}

/// Finishes the deploy of `service`, which now runs its new revision.
pub async fn finish(app: &App<'_>, service: &str) -> Result<(), Error> {
    let remote = crate::deploy::service::require_service(app, service).await?;
    let code_deploy = crate::deploy::strategy::is_code_deploy(&remote);
    let current = if code_deploy {
        remote.task_definition().map(str::to_owned)
    } else {
        primary_task_definition(&remote)
    }
    .unwrap_or_default();
    let name = short_task_definition(&current).to_owned();
    app.update_context(|c| c.revision = Some(name.clone()));
    if app.plugins.has_gates() {
        let previous = crate::deploy::rollback::target::previous_revision(
            app,
            family_of(&current),
            &current,
            (!code_deploy).then_some(service),
        )
        .await
        .ok();
        if code_deploy {
            let group = crate::deploy::codedeploy::find_group(app, service).await?;
            let service_json = crate::deploy::strategy::service_json(None, &remote)?;
            crate::deploy::codedeploy::deploy::post_deploy(
                app,
                service,
                &group,
                &service_json,
                &current,
                previous.as_deref(),
            )
            .await?;
        } else {
            crate::deploy::rolling::post_deploy(app, service, &current, previous.as_deref())
                .await?;
        }
    }
    app.lifecycle(
        Lifecycle::new(
            EventKind::DeploySucceeded,
            format!("service {service} runs {name}"),
        )
        .task_definition(Some(name.clone())),
    );
    Ok(())
}
