//! `deploy` of an Express service, as ecspresso's `createExpressGatewayService` /
//! `DeployExpressGatewayService`: check the flags, load the express definition, pre-deploy
//! gates, then CreateExpressGatewayService (no service yet) or UpdateExpressGatewayService and
//! the tag changes; ECS registers the task definition and starts a canary deployment of the
//! service underneath. `deploy::run` then follows that deployment like any ECS service
//! deployment and waits here (`wait_active`) until the Express service is ACTIVE.

use aws_sdk_ecs::types::{ExpressGatewayServiceStatusCode, Service};
use serde_json::{Value, json};

use super::definition;
use super::remote::describe;
use crate::app::App;
use crate::deploy::options::{DeployOptions, DesiredCount, TaskDefinitionSource};
use crate::deploy::poll::sleep_or_timeout;
use crate::deploy::service::find_service;
use crate::deploy::service_input::describe_input;
use crate::deploy::tags::{apply_tags, compare, ignored_tags, local_tags, report_tag_changes};
use crate::deploy::wait_until::WaitUntil;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::{Event, Lifecycle};
use crate::plugins::EventKind;

/// What a deploy changed: the Express service, the task definition ECS registered for it and
/// what was applied (for errors of the wait that follows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// The Express service's ARN.
    pub arn: String,
    /// The task definition ECS registered for the new configuration.
    pub task_definition: String,
    /// What this deploy changed in AWS.
    pub applied: Vec<String>,
}

/// Deploys the configured express definition as `service`, creating the Express service when
/// it does not exist; `None` with `--dry-run`. Flags that do not apply to Express services
/// are refused before anything is read from AWS. The caller waits (see `deploy::run`).
pub async fn deploy(
    app: &App<'_>,
    service: &str,
    options: DeployOptions,
) -> Result<Option<Deployed>, Error> {
    check_options(service, options)?;
    app.update_context(|c| c.strategy = "canary".to_owned());
    let loaded = definition::load(app)?;
    let source = app
        .config
        .express_definition_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match find_service(app).await? {
        None => create(app, service, &loaded.value, &source, options).await,
        Some(remote) => update(app, service, &remote, &loaded.value, &source, options).await,
    }
}

/// The deploy flags an Express service cannot honour: ECS chooses its task definition,
/// desired count and deployment (canary, no PAUSE hooks, no CodeDeploy).
fn check_options(service: &str, options: DeployOptions) -> Result<(), Error> {
    let mut refused = Vec::new();
    match options.task_definition {
        TaskDefinitionSource::Register => {}
        TaskDefinitionSource::Revision(_) => refused.push("--revision"),
        TaskDefinitionSource::Latest => refused.push("--latest-task-definition"),
        TaskDefinitionSource::Current => {
            refused.push("--skip-task-definition (and `scale`, `refresh`)");
        }
    }
    if matches!(options.desired_count, DesiredCount::Exactly(_)) {
        refused.push("--tasks (set scalingTarget.minTaskCount/maxTaskCount)");
    }
    if options.force_new_deployment {
        refused.push("--force-new-deployment");
    }
    if !options.update_service {
        refused.push("--no-update-service");
    }
    if options.auto_scaling.is_requested() {
        refused.push("--suspend/--resume-auto-scaling and --auto-scaling-min/max (ECS scales Express services by scalingTarget)");
    }
    if options.rollback_events != Default::default() {
        refused.push("--rollback-events");
    }
    if matches!(
        options.wait,
        Some(WaitUntil::Paused | WaitUntil::CodeDeployEvent(_))
    ) {
        refused.push("--wait-until paused / codedeploy:<Event>");
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "service {service} is an Express service (`express_definition`), which does not take {}; nothing was changed",
        refused.join(", ")
    )))
}

async fn create(
    app: &App<'_>,
    service: &str,
    definition: &Value,
    source: &str,
    options: DeployOptions,
) -> Result<Option<Deployed>, Error> {
    let input = definition::create_input(definition, app.cluster(), service, source)?;
    crate::deploy::started::announce(app, service, options.dry_run);
    crate::deploy::gates::pre_deploy(app).await?;
    app.info(format!(
        "creating Express service {service} in cluster {}",
        app.cluster()
    ));
    if options.dry_run {
        app.emit(Event::WouldSend {
            operation: "CreateExpressGatewayService",
            input: describe_input(&input),
        });
        app.info("DRY RUN OK");
        return Ok(None);
    }
    let output = app
        .clients
        .ecs
        .create_express_gateway_service()
        .set_cluster(input.cluster)
        .set_service_name(input.service_name)
        .set_execution_role_arn(input.execution_role_arn)
        .set_infrastructure_role_arn(input.infrastructure_role_arn)
        .set_task_role_arn(input.task_role_arn)
        .set_task_definition_arn(input.task_definition_arn)
        .set_health_check_path(input.health_check_path)
        .set_primary_container(input.primary_container)
        .set_network_configuration(input.network_configuration)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_cpu_architecture(input.cpu_architecture)
        .set_scaling_target(input.scaling_target)
        .set_tags(input.tags)
        .send()
        .await
        .map_err(|err| aws_error("CreateExpressGatewayService", &err, &[]))?;
    let created = output.service();
    let arn = created
        .and_then(|s| s.service_arn())
        .ok_or_else(|| missing("CreateExpressGatewayService", "serviceArn"))?
        .to_owned();
    let task_definition = created
        .and_then(|s| s.active_configurations().first())
        .and_then(|c| c.task_definition_arn())
        .ok_or_else(|| missing("CreateExpressGatewayService", "taskDefinitionArn"))?
        .to_owned();
    announce(app, service, &task_definition, "created");
    Ok(Some(Deployed {
        arn,
        task_definition,
        applied: vec![format!("Express service {service} created")],
    }))
}

async fn update(
    app: &App<'_>,
    service: &str,
    remote: &Service,
    definition: &Value,
    source: &str,
    options: DeployOptions,
) -> Result<Option<Deployed>, Error> {
    let arn = super::arn_of(remote)?.to_owned();
    if remote.status() != Some("ACTIVE") {
        return Err(Error::Invalid(format!(
            "Express service {service} is {} (being deleted); it cannot be updated",
            remote.status().unwrap_or("not active")
        )));
    }
    let input = definition::update_input(definition, &arn, source)?;
    let tags = compare(remote.tags(), &local_tags(definition), &ignored_tags(app));
    crate::deploy::started::announce(app, service, options.dry_run);
    crate::deploy::gates::pre_deploy(app).await?;
    app.info(format!("updating Express service {service}"));
    if options.dry_run {
        app.emit(Event::WouldSend {
            operation: "UpdateExpressGatewayService",
            input: describe_input(&input),
        });
        report_tag_changes(app, &tags, true);
        app.info("DRY RUN OK");
        return Ok(None);
    }
    let output = app
        .clients
        .ecs
        .update_express_gateway_service()
        .service_arn(&arn)
        .set_execution_role_arn(input.execution_role_arn)
        .set_task_role_arn(input.task_role_arn)
        .set_task_definition_arn(input.task_definition_arn)
        .set_health_check_path(input.health_check_path)
        .set_primary_container(input.primary_container)
        .set_network_configuration(input.network_configuration)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_cpu_architecture(input.cpu_architecture)
        .set_scaling_target(input.scaling_target)
        .send()
        .await
        .map_err(|err| aws_error("UpdateExpressGatewayService", &err, &[]))?;
    let task_definition = output
        .service()
        .and_then(|s| s.target_configuration())
        .and_then(|c| c.task_definition_arn())
        .ok_or_else(|| missing("UpdateExpressGatewayService", "taskDefinitionArn"))?
        .to_owned();
    let mut applied = vec![format!(
        "Express service {service} updated to {}",
        short_task_definition(&task_definition)
    )];
    announce(app, service, &task_definition, "updated");
    apply_tags(app, &arn, &tags, &mut applied).await?;
    Ok(Some(Deployed {
        arn,
        task_definition,
        applied,
    }))
}

fn missing(operation: &str, member: &str) -> Error {
    Error::Invalid(format!("{operation} answered without `{member}`"))
}

/// Logs the change and tells notify plugins (`service-updated`).
fn announce(app: &App<'_>, service: &str, task_definition: &str, what: &str) {
    let short = short_task_definition(task_definition).to_owned();
    app.update_context(|c| c.revision = Some(short.clone()));
    let message = format!("Express service {service} {what}: ECS registered {short}");
    app.lifecycle(
        Lifecycle::new(EventKind::ServiceUpdated, message)
            .task_definition(Some(short))
            .details(json!({"express": true})),
    );
}

/// Polls DescribeExpressGatewayService until the Express service is ACTIVE.
pub async fn wait_active(
    app: &App<'_>,
    service: &str,
    arn: &str,
    until: WaitUntil,
) -> Result<(), Error> {
    loop {
        let express = describe(&app.clients.ecs, arn).await?;
        let status = express.status().and_then(|s| s.status_code()).cloned();
        if status == Some(ExpressGatewayServiceStatusCode::Active) {
            let endpoints: Vec<&str> = express
                .active_configurations()
                .first()
                .map(|c| c.ingress_paths().iter().map(|p| p.endpoint()).collect())
                .unwrap_or_default();
            app.info(format!(
                "Express service {service} is ACTIVE{}",
                if endpoints.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", endpoints.join(", "))
                }
            ));
            return Ok(());
        }
        sleep_or_timeout(app, service, until, || {
            format!(
                "the Express service is {}",
                status.as_ref().map_or("without a status", |s| s.as_str())
            )
        })
        .await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::AutoScaling;

    fn options() -> DeployOptions {
        DeployOptions {
            dry_run: false,
            task_definition: TaskDefinitionSource::Register,
            desired_count: DesiredCount::FromDefinition,
            force_new_deployment: false,
            update_service: true,
            wait: Some(WaitUntil::Deployed),
            auto_scaling: AutoScaling::default(),
            rollback_events: Default::default(),
        }
    }

    #[test]
    fn a_plain_deploy_is_accepted_and_task_definition_flags_are_refused() {
        assert!(check_options("web", options()).is_ok());
        let skip = DeployOptions {
            task_definition: TaskDefinitionSource::Current,
            desired_count: DesiredCount::Exactly(2),
            ..options()
        };
        let message = check_options("web", skip).unwrap_err().to_string();
        assert!(message.contains("--skip-task-definition"), "{message}");
        assert!(message.contains("--tasks"), "{message}");
        assert!(message.contains("nothing was changed"), "{message}");
        let paused = DeployOptions {
            wait: Some(WaitUntil::Paused),
            ..options()
        };
        assert!(check_options("web", paused).is_err());
    }
}
