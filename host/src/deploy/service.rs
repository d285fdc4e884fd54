//! Reads the service as it is in AWS (DescribeServices with tags). A missing or INACTIVE
//! service is `None`; an unknown cluster is an error.

use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_sdk_ecs::types::{Service, ServiceField};
use serde_json::Value;

use crate::definition::to_json;

use crate::app::App;
use crate::deploy::{Error, aws_error};

/// The service, or `None` when it does not exist or is INACTIVE. DRAINING services are
/// returned (callers warn).
pub async fn find_service(app: &App<'_>) -> Result<Option<Service>, Error> {
    let service = app.service()?;
    describe_service(&app.clients.ecs, app.cluster(), service).await
}

/// The configured service; `ServiceNotFound` when it does not exist (or is INACTIVE).
pub async fn require_configured_service(app: &App<'_>) -> Result<Service, Error> {
    let service = app.service()?;
    find_service(app)
        .await?
        .ok_or_else(|| Error::ServiceNotFound {
            cluster: app.cluster().to_owned(),
            service: service.to_owned(),
        })
}

/// DescribeServices for one service with its tags.
pub async fn describe_service(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, Error> {
    let output = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(|err| match err.as_service_error() {
            Some(DescribeServicesError::ClusterNotFoundException(_)) => Error::ClusterNotFound {
                cluster: cluster.to_owned(),
            },
            _ => aws_error("DescribeServices", &err, &[]),
        })?;
    Ok(output
        .services()
        .iter()
        .find(|s| s.service_name() == Some(service) && s.status() != Some("INACTIVE"))
        .cloned())
}

/// The PRIMARY deployment's task definition ARN (falls back to the service's).
pub fn primary_task_definition(service: &Service) -> Option<String> {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.task_definition())
        .or(service.task_definition())
        .map(str::to_owned)
}

/// The service `service` of the configured cluster; `ServiceNotFound` when it does not exist.
pub async fn require_service(app: &App<'_>, service: &str) -> Result<Service, Error> {
    describe_service(&app.clients.ecs, app.cluster(), service)
        .await?
        .ok_or_else(|| Error::ServiceNotFound {
            cluster: app.cluster().to_owned(),
            service: service.to_owned(),
        })
}

/// The service `service` as the shared poller's next round reads it (`aws::poller`: one
/// DescribeServices for up to 10 services of the command); `ServiceNotFound` when it does not
/// exist. What waiters poll.
pub(crate) async fn poll_service(app: &App<'_>, service: &str) -> Result<Service, Error> {
    app.clients
        .poller
        .service(app.cluster(), service)
        .await
        .map_err(from_poll_error)?
        .ok_or_else(|| Error::ServiceNotFound {
            cluster: app.cluster().to_owned(),
            service: service.to_owned(),
        })
}

/// The service as read less than a second ago (by a poll, or UpdateService's answer), else as
/// `poll_service` reads it: for decisions on the state a wait just saw, without describing the
/// service again. Its tags may be missing.
pub(crate) async fn current_service(app: &App<'_>, service: &str) -> Result<Service, Error> {
    match app
        .clients
        .poller
        .recent(app.cluster(), service, std::time::Duration::from_secs(1))
    {
        Some(current) => Ok(current),
        None => poll_service(app, service).await,
    }
}

/// Keeps UpdateService's answer for the wait that follows (`current_service`).
pub(crate) fn remember_update(app: &App<'_>, updated: Option<&Service>) {
    if let Some(service) = updated {
        app.clients.poller.remember(app.cluster(), service);
    }
}

/// A poller error as the deploy reports AWS errors.
pub(crate) fn from_poll_error(err: crate::aws::poller::PollError) -> Error {
    match err {
        crate::aws::poller::PollError::ClusterNotFound { cluster } => {
            Error::ClusterNotFound { cluster }
        }
        crate::aws::poller::PollError::Aws { operation, message } => Error::Aws {
            operation,
            message,
            applied: Vec::new(),
        },
    }
}

/// The service as JSON, with the deployment-level configurations (Service Connect, volume and
/// VPC Lattice configurations) taken from the PRIMARY deployment, where ECS reports them.
pub fn remote_service_json(service: &Service) -> Result<Value, Error> {
    let mut json =
        to_json(service).map_err(|e| Error::Invalid(format!("cannot read the service: {e}")))?;
    if let Some(primary) = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
    {
        let deployment = to_json(primary)
            .map_err(|e| Error::Invalid(format!("cannot read the deployment: {e}")))?;
        for key in [
            "serviceConnectConfiguration",
            "volumeConfigurations",
            "vpcLatticeConfigurations",
        ] {
            if let (Some(value), Value::Object(map)) = (deployment.get(key), &mut json) {
                map.insert(key.to_owned(), value.clone());
            }
        }
    }
    Ok(json)
}

/// DescribeTasks for `arns`, 100 at a time (the API's limit).
pub async fn describe_tasks(
    app: &App<'_>,
    arns: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Task>, Error> {
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let output = app
            .clients
            .ecs
            .describe_tasks()
            .cluster(app.cluster())
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|err| aws_error("DescribeTasks", &err, &[]))?;
        tasks.extend(output.tasks().iter().cloned());
    }
    Ok(tasks)
}
