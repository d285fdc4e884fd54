//! Turns a service definition (normalized JSON) into CreateService and UpdateService inputs,
//! as ecspresso does: UpdateService carries only updatable attributes; load balancers, volume
//! and VPC Lattice configurations absent locally are sent as explicit empty lists so they are
//! removed, an absent Service Connect configuration is sent as `enabled: false`, and lifecycle
//! hooks the service has but the definition lacks as an empty list.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::create_service::builders::CreateServiceFluentBuilder;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder;
use aws_sdk_ecs::types::{SchedulingStrategy, ServiceConnectConfiguration};
use serde_json::Value;

use crate::definition::{from_json, to_json};
use crate::deploy::Error;

/// Reads the service definition as a CreateService input.
pub fn create_input(definition: &Value, source: &str) -> Result<CreateServiceInput, Error> {
    from_json(definition, CreateServiceInput::deserialize).map_err(|message| {
        Error::Invalid(format!(
            "{source}: not a valid service definition: {message}"
        ))
    })
}

/// The updatable attributes of the service definition, with removals made explicit.
pub fn update_input(definition: &Value, source: &str) -> Result<UpdateServiceInput, Error> {
    let mut input: UpdateServiceInput = from_json(definition, UpdateServiceInput::deserialize)
        .map_err(|message| {
            Error::Invalid(format!(
                "{source}: not a valid service definition: {message}"
            ))
        })?;
    input.load_balancers.get_or_insert_with(Vec::new);
    input.volume_configurations.get_or_insert_with(Vec::new);
    input
        .vpc_lattice_configurations
        .get_or_insert_with(Vec::new);
    if input.service_connect_configuration.is_none() {
        input.service_connect_configuration = Some(
            ServiceConnectConfiguration::builder()
                .enabled(false)
                .build(),
        );
    }
    let daemon = definition.get("schedulingStrategy").and_then(Value::as_str)
        == Some(SchedulingStrategy::Daemon.as_str());
    if daemon {
        input.placement_strategy = None;
    }
    Ok(input)
}

/// Makes the removal of lifecycle hooks explicit: when the service has hooks and the
/// definition none (say, gate plugins were removed, and with them ristretto's PAUSE hook),
/// `deploymentConfiguration.lifecycleHooks` is sent as an empty list, since an absent list
/// leaves the service's hooks in place.
pub fn remove_absent_hooks(input: &mut UpdateServiceInput, remote: &aws_sdk_ecs::types::Service) {
    let remote_has_hooks = remote
        .deployment_configuration()
        .is_some_and(|c| !c.lifecycle_hooks().is_empty());
    if !remote_has_hooks {
        return;
    }
    let configuration = input
        .deployment_configuration
        .get_or_insert_with(|| aws_sdk_ecs::types::DeploymentConfiguration::builder().build());
    configuration.lifecycle_hooks.get_or_insert_with(Vec::new);
}

/// Puts every field of `input` on a CreateService call.
pub fn apply_create(
    builder: CreateServiceFluentBuilder,
    input: CreateServiceInput,
) -> CreateServiceFluentBuilder {
    builder
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
        .set_load_balancers(input.load_balancers)
        .set_service_registries(input.service_registries)
        .set_client_token(input.client_token)
        .set_launch_type(input.launch_type)
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_platform_version(input.platform_version)
        .set_role(input.role)
        .set_deployment_configuration(input.deployment_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_network_configuration(input.network_configuration)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_scheduling_strategy(input.scheduling_strategy)
        .set_deployment_controller(input.deployment_controller)
        .set_tags(input.tags.filter(|t| !t.is_empty()))
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_propagate_tags(input.propagate_tags)
        .set_enable_execute_command(input.enable_execute_command)
        .set_service_connect_configuration(input.service_connect_configuration)
        .set_volume_configurations(input.volume_configurations)
        .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
        .set_gateway_connectors(input.gateway_connectors)
        .set_monitoring(input.monitoring)
}

/// Puts the attributes of `input` on an UpdateService call (cluster, service, task
/// definition, desired count and force-new-deployment are set by the caller).
pub fn apply_update(
    builder: UpdateServiceFluentBuilder,
    input: UpdateServiceInput,
) -> UpdateServiceFluentBuilder {
    builder
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_deployment_configuration(input.deployment_configuration)
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
        .set_network_configuration(input.network_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_platform_version(input.platform_version)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_enable_execute_command(input.enable_execute_command)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_load_balancers(input.load_balancers)
        .set_propagate_tags(input.propagate_tags)
        .set_service_registries(input.service_registries)
        .set_service_connect_configuration(input.service_connect_configuration)
        .set_volume_configurations(input.volume_configurations)
        .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
        .set_gateway_connectors(input.gateway_connectors)
        .set_monitoring(input.monitoring)
}

/// The input as JSON, for dry runs.
pub fn describe_input<T: aws_smithy_schema::serde::SerializableStruct>(input: &T) -> Value {
    to_json(input).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn update_input_keeps_updatable_fields_and_makes_removals_explicit() {
        let definition = json!({
            "launchType": "FARGATE",
            "schedulingStrategy": "REPLICA",
            "desiredCount": 2,
            "deploymentConfiguration": {"maximumPercent": 200, "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": ["sg-1"]}},
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            "tags": [{"key": "a", "value": "b"}]
        });
        let input = update_input(&definition, "sd.json").unwrap();
        assert_eq!(input.desired_count, Some(2));
        assert_eq!(input.load_balancers, Some(vec![]));
        assert_eq!(input.volume_configurations, Some(vec![]));
        assert_eq!(input.vpc_lattice_configurations, Some(vec![]));
        assert_eq!(
            input
                .service_connect_configuration
                .as_ref()
                .map(|s| s.enabled()),
            Some(false)
        );
        assert_eq!(input.placement_strategy.as_ref().map(Vec::len), Some(1));
        let json = describe_input(&input);
        assert_eq!(
            json["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"],
            json!(true)
        );
        assert!(json.get("launchType").is_none(), "not updatable: {json}");
    }

    #[test]
    fn daemon_services_send_no_placement_strategy() {
        let definition =
            json!({"schedulingStrategy": "DAEMON", "placementStrategy": [{"type": "random"}]});
        assert_eq!(
            update_input(&definition, "sd.json")
                .unwrap()
                .placement_strategy,
            None
        );
    }
}
