//! Reading an Express service as ECS reports it: whether a service is one
//! (`resourceManagementType` ECS), DescribeExpressGatewayService, and what `status` shows of it
//! (its status and the endpoints of its ingress paths). Read-only.

use aws_sdk_ecs::types::{
    EcsExpressGatewayService, ExpressGatewayServiceInclude, ResourceManagementType, Service,
};
use serde::Serialize;

use crate::deploy::{Error, aws_error};

/// Whether `service` is an Express service: ECS manages its resources
/// (`resourceManagementType` ECS, which only Express services report).
pub fn is_express(service: &Service) -> bool {
    service.resource_management_type() == Some(&ResourceManagementType::Ecs)
}

/// DescribeExpressGatewayService of the service `arn`, with its tags.
pub async fn describe(
    ecs: &aws_sdk_ecs::Client,
    arn: &str,
) -> Result<EcsExpressGatewayService, Error> {
    let output = ecs
        .describe_express_gateway_service()
        .service_arn(arn)
        .include(ExpressGatewayServiceInclude::Tags)
        .send()
        .await
        .map_err(|err| aws_error("DescribeExpressGatewayService", &err, &[]))?;
    output.service().cloned().ok_or_else(|| {
        Error::Invalid(format!(
            "DescribeExpressGatewayService returned no service for {arn}"
        ))
    })
}

/// What `status` adds for an Express service (ecspresso's `Express:` block).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpressReport {
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    /// Why, when ECS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The service deployment ECS runs for the newest configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_deployment: Option<String>,
    /// The ingress paths of the newest configuration: `PUBLIC <endpoint>`.
    pub ingress_paths: Vec<String>,
}

/// The `status` block of the Express service `arn`.
pub async fn report(ecs: &aws_sdk_ecs::Client, arn: &str) -> Result<ExpressReport, Error> {
    let express = describe(ecs, arn).await?;
    let status = express.status();
    Ok(ExpressReport {
        status: status
            .and_then(|s| s.status_code())
            .map_or("", |c| c.as_str())
            .to_owned(),
        status_reason: status
            .and_then(|s| s.status_reason())
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        current_deployment: express.current_deployment().map(str::to_owned),
        ingress_paths: express
            .active_configurations()
            .first()
            .map(|c| {
                c.ingress_paths()
                    .iter()
                    .map(|p| format!("{} {}", p.access_type().as_str(), p.endpoint()))
                    .collect()
            })
            .unwrap_or_default(),
    })
}
