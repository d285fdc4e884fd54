//! The CodeDeploy AppSpec of an ECS service, as ecspresso builds it: the target service with
//! the task definition, the first load balancer's container and port, platform version, awsvpc
//! network configuration and capacity provider strategy, and the `appspec:` hooks of the config.

use serde_json::{Map, Value, json};

use crate::deploy::Error;

/// Builds the AppSpec document for `service` (a service definition or a described service,
/// camelCase) running `task_definition`.
pub fn appspec(
    service: &Value,
    task_definition: &str,
    hooks: Option<&Value>,
) -> Result<Value, Error> {
    let lb = service["loadBalancers"]
        .as_array()
        .and_then(|l| l.first())
        .ok_or_else(|| {
            Error::Invalid(
                "CodeDeploy needs a load balancer (loadBalancers[0]) in the service definition"
                    .to_owned(),
            )
        })?;
    let mut properties = Map::new();
    properties.insert("TaskDefinition".to_owned(), json!(task_definition));
    properties.insert(
        "LoadBalancerInfo".to_owned(),
        json!({"ContainerName": lb["containerName"], "ContainerPort": lb["containerPort"]}),
    );
    if let Some(version) = service["platformVersion"].as_str() {
        properties.insert("PlatformVersion".to_owned(), json!(version));
    }
    let vpc = &service["networkConfiguration"]["awsvpcConfiguration"];
    if vpc.is_object() {
        let mut awsvpc = Map::new();
        awsvpc.insert("Subnets".to_owned(), vpc["subnets"].clone());
        if !vpc["securityGroups"].is_null() {
            awsvpc.insert("SecurityGroups".to_owned(), vpc["securityGroups"].clone());
        }
        if let Some(public) = vpc["assignPublicIp"].as_str() {
            awsvpc.insert("AssignPublicIp".to_owned(), json!(public));
        }
        properties.insert(
            "NetworkConfiguration".to_owned(),
            json!({"AwsvpcConfiguration": awsvpc}),
        );
    }
    if let Some(strategy) = service["capacityProviderStrategy"].as_array() {
        let items: Vec<Value> = strategy
            .iter()
            .map(|s| json!({"CapacityProvider": s["capacityProvider"], "Base": s["base"].as_i64().unwrap_or(0), "Weight": s["weight"].as_i64().unwrap_or(0)}))
            .collect();
        properties.insert("CapacityProviderStrategy".to_owned(), Value::Array(items));
    }
    let mut spec = Map::new();
    spec.insert("version".to_owned(), json!(0.0));
    spec.insert(
        "Resources".to_owned(),
        json!([{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}]),
    );
    if let Some(hooks) = hooks.and_then(|h| h.get("Hooks").or_else(|| h.get("hooks"))) {
        spec.insert("Hooks".to_owned(), hooks.clone());
    }
    Ok(Value::Object(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_target_service() {
        let service = json!({
            "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 80}],
            "platformVersion": "1.4.0",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
        });
        let hooks = json!({"Hooks": [{"BeforeInstall": "LambdaFunctionToValidateBeforeInstall"}]});
        let spec = appspec(
            &service,
            "arn:aws:ecs:r:1:task-definition/web:3",
            Some(&hooks),
        )
        .unwrap();
        let properties = &spec["Resources"][0]["TargetService"]["Properties"];
        assert_eq!(
            properties["LoadBalancerInfo"],
            json!({"ContainerName": "web", "ContainerPort": 80})
        );
        assert_eq!(
            properties["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
            json!(["s-1"])
        );
        assert_eq!(
            spec["Hooks"][0]["BeforeInstall"],
            "LambdaFunctionToValidateBeforeInstall"
        );
        assert!(
            appspec(&json!({}), "x", None).is_err(),
            "a load balancer is required"
        );
    }
}
