//! Finding the CodeDeploy application and deployment group of an ECS service: the `codedeploy:`
//! config keys when set, else discovery (ListApplications → BatchGetApplications (ECS) →
//! ListDeploymentGroups → GetDeploymentGroup, the first group whose ECS services include the
//! cluster and service), as ecspresso does.

use aws_sdk_codedeploy::types::{ComputePlatform, DeploymentGroupInfo, DeploymentReadyAction};

use crate::app::App;
use crate::config::CodeDeployConfig;
use crate::deploy::{Error, aws_error};

/// A deployment group and what ristretto needs to know about it.
#[derive(Debug, Clone)]
pub struct Group {
    /// The CodeDeploy application.
    pub application: String,
    /// The deployment group.
    pub name: String,
    /// The deployment config to use (the config's override, else the group's).
    pub config_name: Option<String>,
    /// Whether deployments wait at READY for ContinueDeployment (STOP_DEPLOYMENT), and how
    /// many minutes.
    pub ready_wait_minutes: Option<i32>,
}

impl Group {
    fn from_info(info: &DeploymentGroupInfo, config_override: Option<&str>) -> Self {
        let ready = info
            .blue_green_deployment_configuration()
            .and_then(|b| b.deployment_ready_option());
        let ready_wait_minutes = ready
            .filter(|r| r.action_on_timeout() == Some(&DeploymentReadyAction::StopDeployment))
            .map(|r| r.wait_time_in_minutes());
        Self {
            application: info.application_name().unwrap_or_default().to_owned(),
            name: info.deployment_group_name().unwrap_or_default().to_owned(),
            config_name: config_override
                .map(str::to_owned)
                .or_else(|| info.deployment_config_name().map(str::to_owned)),
            ready_wait_minutes,
        }
    }
}

/// The deployment group of the configured service.
pub async fn find(app: &App<'_>, service: &str) -> Result<Group, Error> {
    let settings = app.config.file.codedeploy.clone().unwrap_or_default();
    find_with(
        &app.clients.codedeploy,
        app.cluster(),
        service,
        &settings,
        &app.config.path.display().to_string(),
    )
    .await
}

/// The deployment group of `service` in `cluster`, from `settings` (the `codedeploy:` keys)
/// or discovery; `config` names the config file in the error.
pub async fn find_with(
    client: &aws_sdk_codedeploy::Client,
    cluster: &str,
    service: &str,
    settings: &CodeDeployConfig,
    config: &str,
) -> Result<Group, Error> {
    let config_override = settings.deployment_config_name.as_deref();
    let applications = match &settings.application_name {
        Some(name) => vec![name.clone()],
        None => ecs_applications(client).await?,
    };
    for application in &applications {
        let groups = match &settings.deployment_group_name {
            Some(name) => vec![name.clone()],
            None => group_names(client, application).await?,
        };
        for group in groups {
            let output = client
                .get_deployment_group()
                .application_name(application)
                .deployment_group_name(&group)
                .send()
                .await
                .map_err(|err| aws_error("GetDeploymentGroup", &err, &[]))?;
            let Some(info) = output.deployment_group_info() else {
                continue;
            };
            let explicit = settings.deployment_group_name.is_some();
            let serves = info
                .ecs_services()
                .iter()
                .any(|s| s.service_name() == Some(service) && s.cluster_name() == Some(cluster));
            if serves || explicit {
                return Ok(Group::from_info(info, config_override));
            }
        }
    }
    Err(Error::Invalid(format!(
        "no CodeDeploy deployment group deploys service {service} of cluster {cluster} (searched {}); set codedeploy.application_name and codedeploy.deployment_group_name in {config}",
        if applications.is_empty() {
            "no ECS applications found".to_owned()
        } else {
            format!("applications {}", applications.join(", "))
        },
    )))
}

async fn ecs_applications(client: &aws_sdk_codedeploy::Client) -> Result<Vec<String>, Error> {
    let names: Vec<String> = client
        .list_applications()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|err| aws_error("ListApplications", &err, &[]))?;
    let mut ecs = Vec::new();
    for chunk in names.chunks(100) {
        let output = client
            .batch_get_applications()
            .set_application_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|err| aws_error("BatchGetApplications", &err, &[]))?;
        ecs.extend(
            output
                .applications_info()
                .iter()
                .filter(|a| a.compute_platform() == Some(&ComputePlatform::Ecs))
                .filter_map(|a| a.application_name().map(str::to_owned)),
        );
    }
    Ok(ecs)
}

async fn group_names(
    client: &aws_sdk_codedeploy::Client,
    application: &str,
) -> Result<Vec<String>, Error> {
    client
        .list_deployment_groups()
        .application_name(application)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|err| aws_error("ListDeploymentGroups", &err, &[]))
}
