//! The create path of `deploy`: the service does not exist (or is INACTIVE), so the task
//! definition is resolved (registered from the file unless `--revision` or
//! `--latest-task-definition`), and CreateService is called with every field of the service
//! definition; then it waits like an update.

use std::time::SystemTime;

use serde_json::Value;

use crate::app::App;
use crate::deploy::options::{DeployOptions, DesiredCount, TaskDefinitionSource};
use crate::deploy::plan::load_service_definition;
use crate::deploy::rolling::confirm_primary;
use crate::deploy::service_input::{apply_create, create_input, describe_input};
use crate::deploy::task_definition::latest_revision;
use crate::deploy::task_definition::register_from_file;
use crate::deploy::wait::wait;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::Event;

/// Creates the service `name` and waits as `options` say.
pub async fn create(
    app: &App<'_>,
    name: &str,
    options: DeployOptions,
    started: SystemTime,
) -> Result<String, Error> {
    app.info(format!(
        "service {name} not found in cluster {}: creating it",
        app.cluster()
    ));
    let definition = load_service_definition(app)?.ok_or_else(|| {
        Error::Invalid(format!(
            "service {name} does not exist and {} has no `service_definition` to create it from",
            app.config.path.display()
        ))
    })?;
    let mut applied = Vec::new();
    let task_definition = task_definition_to_create(app, name, options, &mut applied).await?;

    let strategy = crate::deploy::Strategy::of(Some(&definition.value), None);
    app.update_context(|c| {
        c.revision = Some(crate::deploy::short_task_definition(&task_definition).to_owned());
        c.strategy = strategy.name().to_owned();
    });
    let mut input = create_input(&definition.value, &definition_source(app))?;
    let daemon = input
        .scheduling_strategy
        .as_ref()
        .is_some_and(|s| s.as_str() == "DAEMON");
    input.desired_count = match options.desired_count {
        _ if daemon => None,
        DesiredCount::Exactly(n) => Some(n),
        _ => Some(input.desired_count.unwrap_or(0)),
    };
    let desired_count = input.desired_count;
    let builder = apply_create(
        app.clients
            .ecs
            .create_service()
            .cluster(app.cluster())
            .service_name(name)
            .task_definition(&task_definition)
            .set_desired_count(desired_count),
        input,
    );

    if options.dry_run {
        let input = builder
            .as_input()
            .clone()
            .build()
            .map(|i| describe_input(&i))
            .unwrap_or_default();
        app.events.emit(Event::WouldSend {
            operation: "CreateService",
            input,
        });
        app.info("DRY RUN OK");
        return Ok(task_definition);
    }
    // A client token makes a retried CreateService create the service once (see aws::retry).
    let builder = match builder.get_client_token() {
        Some(_) => builder,
        None => builder.client_token(crate::aws::retry::client_token()),
    };
    builder
        .send()
        .await
        .map_err(|err| aws_error("CreateService", &err, &applied))?;
    app.info(format!(
        "service {name} created with task definition {}",
        short_task_definition(&task_definition)
    ));
    app.notify(
        crate::plugins::EventKind::ServiceUpdated,
        &format!(
            "service {name} created with {}",
            short_task_definition(&task_definition)
        ),
        Some(short_task_definition(&task_definition).to_owned()),
        serde_json::json!({"created": true}),
    );

    finish(app, name, &task_definition, options, started).await?;
    Ok(task_definition)
}

/// The task definition a new service starts with: the file registered, or `--revision` /
/// `--latest-task-definition` of its family.
async fn task_definition_to_create(
    app: &App<'_>,
    name: &str,
    options: DeployOptions,
    applied: &mut Vec<String>,
) -> Result<String, Error> {
    match options.task_definition {
        TaskDefinitionSource::Register => register_from_file(app, options.dry_run, applied).await,
        TaskDefinitionSource::Latest | TaskDefinitionSource::Revision(_) => {
            let family = definition_family(app)?;
            match options.task_definition {
                TaskDefinitionSource::Revision(revision) => Ok(format!("{family}:{revision}")),
                _ => latest_revision(&app.clients.ecs, &family).await,
            }
        }
        TaskDefinitionSource::Current => Err(Error::Invalid(format!(
            "service {name} does not exist, so it has no current task definition to keep (--skip-task-definition)"
        ))),
    }
}

/// Waits for the new service as `options` say, confirms it runs `task_definition`, and runs the
/// post-deploy gates (a failure has nothing to roll back to).
async fn finish(
    app: &App<'_>,
    name: &str,
    task_definition: &str,
    options: DeployOptions,
    started: SystemTime,
) -> Result<(), Error> {
    match options.wait {
        None => app.info(format!(
            "service {name} is created; not waiting (--no-wait)"
        )),
        Some(until) => {
            let rollback = wait(app, name, until, started).await?;
            confirm_primary(app, name, task_definition, rollback).await?;
            crate::deploy::rolling::post_deploy(app, name, task_definition, None).await?;
        }
    }
    Ok(())
}

/// The `family` of the configured task definition file (transforms applied).
pub(crate) fn definition_family(app: &App<'_>) -> Result<String, Error> {
    let path = app.config.task_definition_path().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: `task_definition` is not set",
            app.config.path.display()
        ))
    })?;
    let definition = app.load_task_definition(&path)?;
    definition
        .value
        .get("family")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: the task definition has no `family`",
                path.display()
            ))
        })
}

fn definition_source(app: &App<'_>) -> String {
    app.config
        .service_definition_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}
