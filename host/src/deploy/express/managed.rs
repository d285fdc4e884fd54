//! An Express service deployed as a plain service (`init --no-express`, then
//! `service_definition` and `task_definition`): ECS keeps managing its deployment
//! configuration (a canary) and its load balancers, so, as ecspresso (init.go
//! `treatmentServiceDefinition`, deploy.go `svToUpdateServiceInput`, PR #902: "An ECS service
//! created as express mode cannot update loadBalancers and deploymentConfiguration"), these
//! are not imported, not compared and not sent in UpdateService. Pure.

use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use serde_json::Value;

/// The members of a service definition ECS manages for an Express service.
pub const MANAGED_FIELDS: [&str; 2] = ["deploymentConfiguration", "loadBalancers"];

/// `definition` without the members ECS manages.
pub fn without_managed(mut definition: Value) -> Value {
    if let Value::Object(map) = &mut definition {
        for field in MANAGED_FIELDS {
            map.remove(field);
        }
    }
    definition
}

/// The members ECS manages that `definition` sets anyway (they are ignored).
pub fn managed_fields_set(definition: &Value) -> Vec<&'static str> {
    MANAGED_FIELDS
        .into_iter()
        .filter(|field| definition.get(*field).is_some_and(|v| !v.is_null()))
        .collect()
}

/// The warning for a definition at `source` that sets `fields` of Express service `service`.
pub fn ignored_warning(source: &str, service: &str, fields: &[&str]) -> String {
    format!(
        "{source}: {} ignored: service {service} is an Express service, whose deployment configuration and load balancers ECS manages (ristretto neither compares nor sends them, as ecspresso)",
        fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(" and ")
    )
}

/// An UpdateService input that leaves what ECS manages alone: without these members the
/// service keeps them (an explicit empty `loadBalancers` would detach its load balancer).
pub fn leave_managed(input: &mut UpdateServiceInput) {
    input.deployment_configuration = None;
    input.load_balancers = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn managed_members_are_left_out() {
        let definition = json!({
            "desiredCount": 1,
            "deploymentConfiguration": {"strategy": "CANARY"},
            "loadBalancers": [{"targetGroupArn": "tg"}]
        });
        assert_eq!(
            managed_fields_set(&definition),
            vec!["deploymentConfiguration", "loadBalancers"]
        );
        assert_eq!(without_managed(definition), json!({"desiredCount": 1}));
        assert!(managed_fields_set(&json!({"loadBalancers": null})).is_empty());
        let mut input = crate::deploy::service_input::update_input(
            &json!({"loadBalancers": [], "deploymentConfiguration": {"maximumPercent": 200}}),
            "sd.json",
        )
        .expect("input");
        leave_managed(&mut input);
        assert!(input.load_balancers.is_none() && input.deployment_configuration.is_none());
    }
}
