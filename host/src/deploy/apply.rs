//! Carrying out a `Plan`, in the order ecspresso does: register the task definition, apply
//! auto scaling changes, tag the service, then the service attributes, task definition, desired
//! count and force-new-deployment in ONE UpdateService call. With `--dry-run` each step reports
//! what it would send instead.

use aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder;

use crate::app::App;
use crate::deploy::plan::{Plan, PlannedTaskDefinition};
use crate::deploy::service_input::{apply_update, describe_input};
use crate::deploy::tags::{apply_tags, report_tag_changes};
use crate::deploy::{Error, autoscaling, aws_error, short_task_definition};
use crate::events::{Event, Lifecycle};
use crate::plugins::EventKind;

/// How far applying a plan went.
#[derive(Debug)]
pub enum Applied {
    /// Nothing is left to follow: a dry run, or a service that needed no update. Holds the
    /// task definition deployed (or that would be).
    Done(String),
    /// The service was updated (or, for CodeDeploy, its attributes were) to `task_definition`;
    /// the controller follows the deployment.
    Updated {
        /// The task definition ARN deployed.
        task_definition: String,
        /// What this deploy changed in AWS so far (for error messages).
        changes: Vec<String>,
    },
}

/// Applies `plan` (or reports it with `dry_run`) up to and including UpdateService.
pub async fn apply(app: &App<'_>, plan: &Plan, dry_run: bool) -> Result<Applied, Error> {
    let service = plan.service.as_str();
    let mut applied: Vec<String> = Vec::new();
    let task_definition = match &plan.task_definition {
        PlannedTaskDefinition::Register { definition, path } => {
            crate::deploy::task_definition::register_definition(
                app,
                definition,
                path,
                dry_run,
                &mut applied,
            )
            .await?
        }
        PlannedTaskDefinition::Existing(arn) => arn.clone(),
    };
    app.update_context(|c| c.revision = Some(short_task_definition(&task_definition).to_owned()));
    applied.extend(autoscaling::apply(app, service, plan.auto_scaling, dry_run).await?);

    let code_deploy = plan.code_deploy.is_some();
    let task_definition_changes =
        plan.previous_task_definition.as_deref() != Some(task_definition.as_str());
    let needs_update = plan.attributes.is_some()
        || plan.desired_count.is_some()
        || (!code_deploy && (plan.force_new_deployment || task_definition_changes));
    let builder = update_service_call(app, plan, &task_definition);

    if dry_run {
        if needs_update {
            app.emit(Event::WouldSend {
                operation: "UpdateService",
                input: builder
                    .as_input()
                    .clone()
                    .build()
                    .map(|i| describe_input(&i))
                    .unwrap_or_default(),
            });
        }
        report_tag_changes(app, &plan.tags, true);
        if let Some(code_deploy) = &plan.code_deploy {
            crate::deploy::codedeploy::create_deployment(
                app,
                &code_deploy.group,
                &code_deploy.service_json,
                &task_definition,
                code_deploy.rollback_events,
                true,
            )
            .await?;
        }
        app.info("DRY RUN OK");
        return Ok(Applied::Done(task_definition));
    }
    let Some(service_arn) = &plan.service_arn else {
        return Err(Error::Invalid(format!(
            "service {service} was described without its ARN"
        )));
    };
    apply_tags(app, service_arn, &plan.tags, &mut applied).await?;

    if needs_update {
        app.info(format!(
            "updating service {service}: {}",
            describe_update(plan, &task_definition)
        ));
        let output = builder
            .send()
            .await
            .map_err(|err| aws_error("UpdateService", &err, &applied))?;
        crate::deploy::service::remember_update(app, output.service());
        applied.push(format!(
            "service {service} updated to {}",
            short_task_definition(&task_definition)
        ));
        app.lifecycle(
            Lifecycle::new(
                EventKind::ServiceUpdated,
                format!(
                    "service {service} updated to {}",
                    short_task_definition(&task_definition)
                ),
            )
            .task_definition(Some(short_task_definition(&task_definition).to_owned())),
        );
    } else if !code_deploy {
        app.info(format!("service {service} needs no update"));
        return Ok(Applied::Done(task_definition));
    }
    Ok(Applied::Updated {
        task_definition,
        changes: applied,
    })
}

/// What the UpdateService call of `plan` changes, for people: `task definition web:1 → web:2`,
/// `desired count 2 → 4`, `service attributes`, `a new deployment of web:2`.
fn describe_update(plan: &Plan, task_definition: &str) -> String {
    let new = short_task_definition(task_definition);
    let mut changes = Vec::new();
    if plan.code_deploy.is_none()
        && plan.previous_task_definition.as_deref() != Some(task_definition)
    {
        changes.push(match plan.previous_task_definition.as_deref() {
            Some(previous) => format!(
                "task definition {} → {new}",
                short_task_definition(previous)
            ),
            None => format!("task definition {new}"),
        });
    }
    if let Some(count) = plan.desired_count {
        let previous = plan.previous_desired_count;
        changes.push(if count == previous {
            format!("desired count {count} (unchanged)")
        } else {
            format!("desired count {previous} → {count}")
        });
    }
    if plan.attributes.is_some() {
        changes.push("service attributes".to_owned());
    }
    if plan.force_new_deployment && plan.code_deploy.is_none() {
        changes.push(format!("a new deployment of {new}"));
    }
    if changes.is_empty() {
        changes.push(format!("task definition {new}"));
    }
    changes.join(", ")
}

/// The UpdateService call of `plan` deploying `task_definition`. CodeDeploy services get the
/// task definition through a CodeDeploy deployment, not UpdateService.
fn update_service_call(
    app: &App<'_>,
    plan: &Plan,
    task_definition: &str,
) -> UpdateServiceFluentBuilder {
    let mut builder = app
        .clients
        .ecs
        .update_service()
        .cluster(app.cluster())
        .service(&plan.service)
        .set_desired_count(plan.desired_count);
    if plan.code_deploy.is_none() {
        builder = builder
            .task_definition(task_definition)
            .set_force_new_deployment(plan.force_new_deployment.then_some(true));
    }
    if let Some(attributes) = plan.attributes.clone() {
        builder = apply_update(builder, attributes);
    }
    builder
}
