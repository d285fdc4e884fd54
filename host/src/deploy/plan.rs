//! The decision of a deploy to an existing service, made before anything is written: the
//! service definition it applies, the strategy, the task definition it will register or use,
//! the desired count, the service attributes and tags that differ, auto scaling changes, and
//! the CodeDeploy group when CodeDeploy deploys. Building a `Plan` only reads (AWS describes,
//! definition files, plugin transforms); `apply` carries it out, or reports it with
//! `--dry-run`.

use std::path::PathBuf;

use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::{SchedulingStrategy, Service};
use serde_json::Value;

use crate::app::App;
use crate::definition::Definition;
use crate::deploy::Error;
use crate::deploy::autoscaling::AutoScaling;
use crate::deploy::codedeploy::{self, Group};
use crate::deploy::options::{DeployOptions, DesiredCount, TaskDefinitionSource};
use crate::deploy::service::primary_task_definition;
use crate::deploy::service_input::{remove_absent_hooks, update_input};
use crate::deploy::strategy::Strategy;
use crate::deploy::tags::{TagChanges, compare, ignored_tags, local_tags};

/// The task definition a plan deploys.
#[derive(Debug)]
pub enum PlannedTaskDefinition {
    /// Register the loaded file as a new revision (transforms applied).
    Register {
        /// The definition to register.
        definition: Box<Definition>,
        /// Its file.
        path: PathBuf,
    },
    /// An existing revision (its ARN): `--revision`, `--latest-task-definition` or
    /// `--skip-task-definition`.
    Existing(String),
}

/// How CodeDeploy deploys a CODE_DEPLOY service's new revision.
#[derive(Debug)]
pub struct CodeDeployPlan {
    /// The deployment group.
    pub group: Group,
    /// The service as the AppSpec describes it (the local definition, else the service).
    pub service_json: Value,
    /// Events that roll the deployment back (`--rollback-events`).
    pub rollback_events: codedeploy::RollbackEvents,
}

/// What a deploy to an existing service will do.
#[derive(Debug)]
pub struct Plan {
    /// The service.
    pub service: String,
    /// How its deployments run.
    pub strategy: Strategy,
    /// The service's ARN.
    pub service_arn: Option<String>,
    /// How CodeDeploy deploys it, for CODE_DEPLOY services.
    pub code_deploy: Option<CodeDeployPlan>,
    /// The service definition applied (or read for the desired count), when loaded.
    pub local_service: Option<Definition>,
    /// The task definition to deploy.
    pub task_definition: PlannedTaskDefinition,
    /// The task definition the PRIMARY deployment runs now (where a rollback returns).
    pub previous_task_definition: Option<String>,
    /// The desired count to set (`None`: unchanged).
    pub desired_count: Option<i32>,
    /// The service's desired count now (what `desired_count` changes).
    pub previous_desired_count: i32,
    /// The service attributes to send, when they differ from the service's.
    pub attributes: Option<UpdateServiceInput>,
    /// Tag changes on the service.
    pub tags: TagChanges,
    /// Auto scaling changes.
    pub auto_scaling: AutoScaling,
    /// UpdateService `forceNewDeployment`.
    pub force_new_deployment: bool,
}

impl Plan {
    /// Decides the deploy of `options` to `service` (`remote`, as described), without writing
    /// anything. Refuses wait targets and early success criteria the strategy cannot honour.
    pub async fn decide(
        app: &App<'_>,
        service: &str,
        remote: &Service,
        options: DeployOptions,
    ) -> Result<Self, Error> {
        let service = service.to_owned();
        let local_service =
            if options.update_service || options.desired_count == DesiredCount::FromDefinition {
                load_service_definition(app)?
            } else {
                None
            };
        let strategy = crate::deploy::strategy::check_wait_target(
            app,
            remote,
            local_service.as_ref(),
            options.wait,
        )?;
        let code_deploy = if crate::deploy::strategy::is_code_deploy(remote) {
            let group = codedeploy::find_group(app, &service).await?;
            codedeploy::check_gates(app, &group)?;
            Some(CodeDeployPlan {
                group,
                service_json: crate::deploy::strategy::service_json(
                    local_service.as_ref(),
                    remote,
                )?,
                rollback_events: options.rollback_events,
            })
        } else {
            None
        };
        app.update_context(|c| c.strategy = strategy.name().to_owned());
        announce_gates(app, strategy);
        let task_definition = match options.task_definition {
            TaskDefinitionSource::Register => {
                let path = app.config.task_definition_path().ok_or_else(|| {
                    Error::Invalid(format!(
                        "{}: `task_definition` is not set",
                        app.config.path.display()
                    ))
                })?;
                let definition = Box::new(app.load_task_definition(&path)?);
                PlannedTaskDefinition::Register { definition, path }
            }
            _ => PlannedTaskDefinition::Existing(
                crate::deploy::task_definition::resolve(app, remote, options, &mut Vec::new())
                    .await?,
            ),
        };
        let desired_count = match (options.desired_count, &local_service) {
            _ if remote.scheduling_strategy() == Some(&SchedulingStrategy::Daemon) => None,
            (DesiredCount::Exactly(n), _) => Some(n),
            (DesiredCount::FromDefinition, Some(def)) => def
                .value
                .get("desiredCount")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok()),
            _ => None,
        };
        let attributes = attributes_to_send(
            app,
            local_service.as_ref().filter(|_| options.update_service),
            remote,
            code_deploy.is_some(),
        )?;
        let tags = match (&local_service, options.update_service) {
            (Some(def), true) => {
                compare(remote.tags(), &local_tags(&def.value), &ignored_tags(app))
            }
            _ => TagChanges::default(),
        };
        Ok(Self {
            service_arn: remote.service_arn().map(str::to_owned),
            service,
            strategy,
            code_deploy,
            local_service,
            task_definition,
            previous_task_definition: primary_task_definition(remote),
            desired_count,
            previous_desired_count: remote.desired_count(),
            attributes,
            tags,
            auto_scaling: options.auto_scaling,
            force_new_deployment: options.force_new_deployment,
        })
    }
}

/// Says where the before-traffic-shift gates run for an ECS-native traffic shift.
fn announce_gates(app: &App<'_>, strategy: Strategy) {
    if !app.plugins.has_gates() || !strategy.shifts_traffic_natively() {
        return;
    }
    let steps = if strategy == Strategy::BlueGreen {
        String::new()
    } else {
        format!(
            " and before every production traffic step at {}",
            crate::definition::gate_hook::STEP_STAGE
        )
    };
    app.info(format!(
        "before-traffic-shift gates run when the deployment pauses at {}{steps} (PAUSE hook)",
        crate::definition::gate_hook::GATED_STAGE
    ));
}

/// The service attributes to send with the deploy: only when `local` (the definition, when the
/// service is updated) differs from the service's (as ecspresso does), so an unchanged
/// definition never starts a deployment by itself. What CodeDeploy or, for an Express service,
/// ECS manages is left out.
fn attributes_to_send(
    app: &App<'_>,
    local: Option<&Definition>,
    remote: &Service,
    code_deploy: bool,
) -> Result<Option<UpdateServiceInput>, Error> {
    let Some(local) = local else {
        return Ok(None);
    };
    let express = crate::deploy::express::is_express(remote);
    if express {
        crate::deploy::express::warn_managed_fields_set(
            app,
            app.service()?,
            &local.value,
            &source(app),
        );
    }
    if !attributes_differ(&local.value, remote, &ignored_tags(app))? {
        app.info("service attributes are up to date");
        return Ok(None);
    }
    let mut input = update_input(&local.value, &source(app))?;
    remove_absent_hooks(&mut input, remote);
    if code_deploy {
        crate::deploy::strategy::without_codedeploy_managed_fields(&mut input);
    }
    if express {
        crate::deploy::express::managed::leave_managed(&mut input);
    }
    Ok(Some(input))
}

/// Whether the definition's updatable attributes (desired count and tags aside, and what ECS
/// manages for an Express service) differ from the service's, after diff normalization.
fn attributes_differ(local: &Value, remote: &Service, ignored: &[String]) -> Result<bool, Error> {
    let code_deploy = crate::deploy::strategy::is_code_deploy(remote);
    let express = crate::deploy::express::is_express(remote);
    let strip = |mut value: Value| {
        if let Value::Object(map) = &mut value {
            map.remove("desiredCount");
            map.remove("tags");
        }
        if express {
            value = crate::deploy::express::managed::without_managed(value);
        }
        value
    };
    let remote = crate::deploy::diff::without_kept_when_omitted(
        local,
        crate::deploy::diff::remote_service_json(remote)?,
    );
    let remote = strip(crate::deploy::diff::service_for_diff(
        remote,
        ignored,
        false,
        code_deploy,
    ));
    let local = strip(crate::deploy::diff::service_for_diff(
        local.clone(),
        ignored,
        false,
        code_deploy,
    ));
    Ok(local != remote)
}

/// Loads the configured service definition, if any, reporting its warnings.
pub(crate) fn load_service_definition(app: &App<'_>) -> Result<Option<Definition>, Error> {
    let Some(path) = app.config.service_definition_path() else {
        return Ok(None);
    };
    let definition = app.load_service_definition(&path)?;
    crate::deploy::task_definition::warn_all(app, &definition);
    Ok(Some(definition))
}

fn source(app: &App<'_>) -> String {
    app.config
        .service_definition_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}
