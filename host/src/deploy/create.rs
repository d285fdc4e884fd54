//! The create path of `deploy`: the service does not exist (or is INACTIVE), so the task
//! definition is resolved (registered from the file unless `--revision` or
//! `--latest-task-definition`), and CreateService is called with every field of the service
//! definition; then it waits like an update.

use std::time::SystemTime;

use serde_json::Value;

use crate::app::App;
use crate::definition::Definition;
use crate::deploy::options::{DeployOptions, DesiredCount, TaskDefinitionSource};
use crate::deploy::plan::load_service_definition;
use crate::deploy::rolling::confirm_primary;
use crate::deploy::service_input::{apply_create, create_input, describe_input};
use crate::deploy::task_definition::latest_revision;
use crate::deploy::task_definition::register_definition;
use crate::deploy::wait::wait;
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::{Event, Lifecycle};

/// The definitions a new service is created from, loaded and transformed (policy plugins
/// included) before the pre-deploy gates and before anything is written.
pub struct Prepared {
    /// The service definition.
    service_definition: Definition,
    /// Where the service's task definition comes from.
    task_definition: StartWith,
}

/// The task definition a new service starts with.
enum StartWith {
    /// The file, registered.
    File(std::path::PathBuf, Definition),
    /// `--revision N` of the file's family.
    Revision(String),
    /// `--latest-task-definition`: the family's latest revision.
    Latest,
}

/// Loads what creating the service `name` needs; writes nothing.
pub fn prepare(app: &App<'_>, name: &str, options: DeployOptions) -> Result<Prepared, Error> {
    app.info(format!(
        "service {name} not found in cluster {}: creating it",
        app.cluster()
    ));
    let service_definition = load_service_definition(app)?.ok_or_else(|| {
        Error::Invalid(format!(
            "service {name} does not exist and {} has no `service_definition` to create it from",
            app.config.path.display()
        ))
    })?;
    let task_definition = match options.task_definition {
        TaskDefinitionSource::Register => {
            let path = app.config.task_definition_path().ok_or_else(|| {
                Error::Invalid(format!(
                    "{}: `task_definition` is not set",
                    app.config.path.display()
                ))
            })?;
            let definition = app.load_task_definition(&path)?;
            StartWith::File(path, definition)
        }
        TaskDefinitionSource::Revision(revision) => {
            StartWith::Revision(format!("{}:{revision}", definition_family(app)?))
        }
        TaskDefinitionSource::Latest => StartWith::Latest,
        TaskDefinitionSource::Current => {
            return Err(Error::Invalid(format!(
                "service {name} does not exist, so it has no current task definition to keep (--skip-task-definition)"
            )));
        }
    };
    Ok(Prepared {
        service_definition,
        task_definition,
    })
}

/// Creates the service `name` from `prepared` and waits as `options` say.
pub async fn create(
    app: &App<'_>,
    name: &str,
    prepared: Prepared,
    options: DeployOptions,
    started: SystemTime,
) -> Result<String, Error> {
    let definition = prepared.service_definition;
    let mut applied = Vec::new();
    let task_definition = match &prepared.task_definition {
        StartWith::File(path, file) => {
            register_definition(app, file, path, options.dry_run, &mut applied).await?
        }
        StartWith::Revision(name) => name.clone(),
        StartWith::Latest => latest_revision(&app.clients.ecs, &definition_family(app)?).await?,
    };

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
        app.emit(Event::WouldSend {
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
    app.lifecycle(
        Lifecycle::new(
            crate::plugins::EventKind::ServiceUpdated,
            format!(
                "service {name} created with task definition {}",
                short_task_definition(&task_definition)
            ),
        )
        .task_definition(Some(short_task_definition(&task_definition).to_owned()))
        .details(serde_json::json!({"created": true})),
    );

    finish(app, name, &task_definition, options, started).await?;
    Ok(task_definition)
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
