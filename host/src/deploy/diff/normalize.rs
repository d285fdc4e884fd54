//! The normalization behind `diff` (ecspresso reference §11), applied identically to the local
//! and the remote side. Pure functions on JSON in AWS API shape.

use std::cmp::Ordering;

use crate::definition::drop_empty;
use serde_json::{Map, Value, json};

/// Fields of a service definition that UpdateService takes, plus tags: the only ones diffed.
const UPDATABLE_SERVICE_FIELDS: [&str; 19] = [
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "desiredCount",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
    "loadBalancers",
    "monitoring",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "propagateTags",
    "serviceConnectConfiguration",
    "serviceRegistries",
    "tags",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// Fields of a task definition that RegisterTaskDefinition takes (describe-only fields such as
/// `revision`, `status` or `compatibilities` are dropped).
const REGISTER_FIELDS: [&str; 17] = [
    "containerDefinitions",
    "cpu",
    "enableFaultInjection",
    "ephemeralStorage",
    "executionRoleArn",
    "family",
    "ipcMode",
    "memory",
    "networkMode",
    "pidMode",
    "placementConstraints",
    "proxyConfiguration",
    "requiresCompatibilities",
    "runtimePlatform",
    "tags",
    "taskRoleArn",
    "volumes",
];

/// Normalizes a service definition (or a described service) for comparison.
/// `keep_desired_count` is false when the local file has no `desiredCount` (then it is not
/// compared); `code_deploy` clears target groups, which CodeDeploy swaps.
pub fn service_for_diff(
    value: Value,
    ignored_tags: &[String],
    keep_desired_count: bool,
    code_deploy: bool,
) -> Value {
    let Value::Object(source) = drop_empty(value) else {
        return Value::Null;
    };
    let launch_type = source
        .get("launchType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let daemon = source.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON");
    let mut out: Map<String, Value> = source
        .into_iter()
        .filter(|(k, _)| UPDATABLE_SERVICE_FIELDS.contains(&k.as_str()))
        .collect();
    if !keep_desired_count || daemon {
        out.remove("desiredCount");
    }
    default(&mut out, "availabilityZoneRebalancing", json!("DISABLED"));
    default(&mut out, "enableECSManagedTags", json!(false));
    default(&mut out, "enableExecuteCommand", json!(false));
    default(&mut out, "propagateTags", json!("NONE"));
    default(&mut out, "healthCheckGracePeriodSeconds", json!(0));
    default(
        &mut out,
        "serviceConnectConfiguration",
        json!({"enabled": false}),
    );
    if launch_type.as_deref() == Some("FARGATE") {
        default(&mut out, "platformVersion", json!("LATEST"));
    }
    if let Value::Object(config) = out
        .entry("deploymentConfiguration")
        .or_insert_with(|| json!({}))
    {
        deployment_configuration_defaults(config, daemon);
    }
    if let Some(Value::Object(network)) = out.get_mut("networkConfiguration")
        && let Some(Value::Object(vpc)) = network.get_mut("awsvpcConfiguration")
    {
        default(vpc, "assignPublicIp", json!("DISABLED"));
        for key in ["subnets", "securityGroups"] {
            sort_array(vpc.get_mut(key), compare_json);
        }
    }
    if let Some(Value::Array(strategy)) = out.get_mut("capacityProviderStrategy") {
        for item in strategy.iter_mut().filter_map(Value::as_object_mut) {
            default(item, "base", json!(0));
            default(item, "weight", json!(0));
        }
    }
    if code_deploy && let Some(Value::Array(lbs)) = out.get_mut("loadBalancers") {
        for lb in lbs.iter_mut().filter_map(Value::as_object_mut) {
            lb.remove("targetGroupArn");
        }
    }
    for key in [
        "placementConstraints",
        "placementStrategy",
        "loadBalancers",
        "serviceRegistries",
    ] {
        sort_array(out.get_mut(key), compare_json);
    }
    sort_array(out.get_mut("volumeConfigurations"), by_key("name"));
    sort_array(out.get_mut("vpcLatticeConfigurations"), by_key("portName"));
    normalize_tags(&mut out, ignored_tags);
    drop_empty(Value::Object(out))
}

/// The defaults DescribeServices reports in `deploymentConfiguration` (see `service_for_diff`).
fn deployment_configuration_defaults(config: &mut Map<String, Value>, daemon: bool) {
    if daemon {
        default(config, "maximumPercent", json!(100));
        default(config, "minimumHealthyPercent", json!(0));
    } else {
        default(config, "maximumPercent", json!(200));
        default(config, "minimumHealthyPercent", json!(100));
        default(config, "strategy", json!("ROLLING"));
        default(config, "bakeTimeInMinutes", json!(0));
    }
    default(
        config,
        "deploymentCircuitBreaker",
        json!({"enable": false, "rollback": false}),
    );
    // DescribeServices returns these defaults whatever the definition said (ecspresso
    // v2.8.7, kayac/ecspresso#1082): filled on both sides, explicit values still differ.
    if let Some(Value::Object(breaker)) = config.get_mut("deploymentCircuitBreaker") {
        default(breaker, "resetOnHealthyTask", json!(true));
        default(
            breaker,
            "thresholdConfiguration",
            json!({"type": "BOUNDED_PERCENT", "value": 50}),
        );
    }
    if let Some(Value::Object(early)) = config.get_mut("earlySuccessCriteria") {
        default(early, "healthyPercent", json!(100));
        default(early, "sourceServiceRevisionCleanup", json!("BLOCKING"));
    }
    default(
        config,
        "alarms",
        json!({"enable": false, "rollback": false}),
    );
    if let Some(Value::Array(hooks)) = config.get_mut("lifecycleHooks") {
        for hook in hooks.iter_mut().filter_map(Value::as_object_mut) {
            default(hook, "targetType", json!("AWS_LAMBDA"));
            default(
                hook,
                "timeoutConfiguration",
                json!({"action": "ROLLBACK", "timeoutInMinutes": 1440}),
            );
        }
    }
}

/// Service fields whose default differs between CreateService and UpdateService, so that a
/// definition that omits them keeps whatever the service has (AWS API reference, CreateService
/// and UpdateService `availabilityZoneRebalancing`: ENABLED by default on create, the current
/// value on update).
const KEPT_WHEN_OMITTED: [&str; 1] = ["availabilityZoneRebalancing"];

/// `remote` without the fields that `local` omits and UpdateService would leave as they are
/// (`KEPT_WHEN_OMITTED`), so omitting them is no difference. Call before `service_for_diff`.
pub fn without_kept_when_omitted(local: &Value, mut remote: Value) -> Value {
    if let Value::Object(map) = &mut remote {
        for key in KEPT_WHEN_OMITTED {
            if local.get(key).is_none() {
                map.remove(key);
            }
        }
        // ServiceConnectConfiguration `namespace`: "if not specified, the cluster's default
        // namespace is used" (ECS API reference), and DescribeServices names it (corpus case
        // devguide-service-connect-create-service).
        let local_namespace = local
            .get("serviceConnectConfiguration")
            .and_then(|c| c.get("namespace"));
        if local_namespace.is_none()
            && let Some(Value::Object(connect)) = map.get_mut("serviceConnectConfiguration")
        {
            connect.remove("namespace");
        }
    }
    remote
}

/// Normalizes a task definition (or a described one) for comparison.
pub fn task_definition_for_diff(value: Value, ignored_tags: &[String]) -> Value {
    let Value::Object(source) = drop_empty(value) else {
        return Value::Null;
    };
    let mut out: Map<String, Value> = source
        .into_iter()
        .filter(|(k, _)| REGISTER_FIELDS.contains(&k.as_str()))
        .collect();
    default(&mut out, "networkMode", json!("bridge"));
    let awsvpc = out.get("networkMode").and_then(Value::as_str) == Some("awsvpc");
    if let Some(cpu) = out.get("cpu").and_then(Value::as_str).and_then(convert_cpu) {
        out.insert("cpu".to_owned(), json!(cpu));
    }
    if let Some(memory) = out
        .get("memory")
        .and_then(Value::as_str)
        .and_then(convert_memory)
    {
        out.insert("memory".to_owned(), json!(memory));
    }
    if let Some(Value::Array(containers)) = out.get_mut("containerDefinitions") {
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            default(container, "cpu", json!(0));
            default(container, "essential", json!(true));
            if let Some(Value::Array(ports)) = container.get_mut("portMappings") {
                for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                    default(port, "protocol", json!("tcp"));
                    if awsvpc && let Some(container_port) = port.get("containerPort").cloned() {
                        default(port, "hostPort", container_port);
                    }
                }
            }
        }
    }
    sort_lists(&mut out);
    normalize_tags(&mut out, ignored_tags);
    drop_empty(Value::Object(out))
}

/// Sorts the order-insensitive lists of a task definition (containers by name, their
/// environment and secrets by name, mount points, port mappings, volumes, …), as ecspresso's
/// `init --sort` and its diff do.
pub fn sort_task_definition(value: &mut Value) {
    if let Value::Object(map) = value {
        sort_lists(map);
        sort_array(map.get_mut("tags"), by_key("key"));
    }
}

fn sort_lists(out: &mut Map<String, Value>) {
    if let Some(Value::Array(containers)) = out.get_mut("containerDefinitions") {
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            sort_array(container.get_mut("environment"), by_key("name"));
            sort_array(container.get_mut("secrets"), by_key("name"));
            for key in ["mountPoints", "portMappings", "volumesFrom"] {
                sort_array(container.get_mut(key), compare_json);
            }
        }
    }
    sort_array(out.get_mut("containerDefinitions"), by_key("name"));
    for key in ["placementConstraints", "requiresCompatibilities", "volumes"] {
        sort_array(out.get_mut(key), compare_json);
    }
    if let Some(Value::Object(proxy)) = out.get_mut("proxyConfiguration") {
        sort_array(proxy.get_mut("properties"), by_key("name"));
    }
}

/// `0.25 vCPU` → `256`; numbers pass through.
fn convert_cpu(text: &str) -> Option<String> {
    let number = text
        .trim()
        .strip_suffix("vCPU")
        .or_else(|| text.trim().strip_suffix("vcpu"))?;
    let value: f64 = number.trim().parse().ok()?;
    Some(format!("{}", (value * 1024.0).round()))
}

/// `2 GB` → `2048`, `512 MB` → `512`; numbers pass through.
fn convert_memory(text: &str) -> Option<String> {
    let text = text.trim();
    let (number, scale) =
        if let Some(n) = text.strip_suffix("GB").or_else(|| text.strip_suffix("GiB")) {
            (n, 1024.0)
        } else if let Some(n) = text.strip_suffix("MB").or_else(|| text.strip_suffix("MiB")) {
            (n, 1.0)
        } else {
            return None;
        };
    let value: f64 = number.trim().parse().ok()?;
    Some(format!("{}", (value * scale).round()))
}

fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    map.entry(key.to_owned()).or_insert(value);
}

fn normalize_tags(map: &mut Map<String, Value>, ignored: &[String]) {
    if let Some(Value::Array(tags)) = map.get_mut("tags") {
        tags.retain(|t| {
            t.get("key")
                .and_then(Value::as_str)
                .is_none_or(|k| !ignored.iter().any(|i| i == k))
        });
    }
    sort_array(map.get_mut("tags"), by_key("key"));
}

fn sort_array(value: Option<&mut Value>, compare: impl Fn(&Value, &Value) -> Ordering) {
    if let Some(Value::Array(items)) = value {
        items.sort_by(compare);
    }
}

fn by_key(key: &'static str) -> impl Fn(&Value, &Value) -> Ordering {
    move |a, b| {
        let a = a.get(key).map(Value::to_string).unwrap_or_default();
        let b = b.get(key).map(Value::to_string).unwrap_or_default();
        a.cmp(&b)
    }
}

fn compare_json(a: &Value, b: &Value) -> Ordering {
    a.to_string().cmp(&b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_defaults_and_ordering_make_equivalent_definitions_equal() {
        let local = json!({
            "launchType": "FARGATE",
            "desiredCount": 2,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["b", "a"], "securityGroups": ["sg"]}},
            "tags": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}, {"key": "terraform", "value": "x"}],
            "loadBalancers": []
        });
        let remote = json!({
            "serviceName": "web", "status": "ACTIVE", "runningCount": 2, "launchType": "FARGATE",
            "platformVersion": "LATEST", "desiredCount": 2, "schedulingStrategy": "REPLICA",
            "availabilityZoneRebalancing": "DISABLED", "propagateTags": "NONE", "enableECSManagedTags": false,
            "enableExecuteCommand": false, "healthCheckGracePeriodSeconds": 0,
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": false, "rollback": false}, "strategy": "ROLLING", "bakeTimeInMinutes": 0},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a", "b"], "securityGroups": ["sg"], "assignPublicIp": "DISABLED"}},
            "tags": [{"key": "a", "value": "2"}, {"key": "z", "value": "1"}],
            "events": [{"message": "x"}], "deployments": []
        });
        let ignored = vec!["terraform".to_owned()];
        let l = service_for_diff(local, &ignored, true, false);
        let r = service_for_diff(remote, &ignored, true, false);
        assert_eq!(l, r);
        assert_eq!(
            service_for_diff(l.clone(), &ignored, true, false),
            l,
            "idempotent"
        );
    }

    #[test]
    fn availability_zone_rebalancing_left_out_keeps_the_services() {
        let remote = json!({"availabilityZoneRebalancing": "ENABLED"});
        let omitted = json!({});
        assert_eq!(
            service_for_diff(
                without_kept_when_omitted(&omitted, remote.clone()),
                &[],
                true,
                false
            ),
            service_for_diff(omitted, &[], true, false)
        );
        let disabled = json!({"availabilityZoneRebalancing": "DISABLED"});
        assert_ne!(
            service_for_diff(
                without_kept_when_omitted(&disabled, remote),
                &[],
                true,
                false
            ),
            service_for_diff(disabled, &[], true, false)
        );
    }

    /// kayac/ecspresso#1082: the deployment-configuration defaults DescribeServices returns.
    #[test]
    fn deployment_configuration_defaults_of_ecspresso_1082_are_no_difference() {
        let local = json!({"deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "earlySuccessCriteria": {"enable": false},
            "lifecycleHooks": [{"hookTargetArn": "arn:aws:lambda:r:1:function:f", "roleArn": "arn:aws:iam::1:role/r", "lifecycleStages": ["POST_SCALE_UP"]},
                               {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]
        }});
        let remote = json!({"deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true, "resetOnHealthyTask": true,
                "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50}},
            "earlySuccessCriteria": {"enable": false, "healthyPercent": 100, "sourceServiceRevisionCleanup": "BLOCKING"},
            "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING", "bakeTimeInMinutes": 0,
            "lifecycleHooks": [{"hookTargetArn": "arn:aws:lambda:r:1:function:f", "roleArn": "arn:aws:iam::1:role/r", "lifecycleStages": ["POST_SCALE_UP"],
                                "targetType": "AWS_LAMBDA", "timeoutConfiguration": {"action": "ROLLBACK", "timeoutInMinutes": 1440}},
                               {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                                "timeoutConfiguration": {"action": "ROLLBACK", "timeoutInMinutes": 1440}}]
        }});
        assert_eq!(
            service_for_diff(local.clone(), &[], true, false),
            service_for_diff(remote.clone(), &[], true, false)
        );
        // Explicit values other than the defaults still differ.
        let mut changed = local;
        changed["deploymentConfiguration"]["deploymentCircuitBreaker"]["resetOnHealthyTask"] =
            json!(false);
        assert_ne!(
            service_for_diff(changed, &[], true, false),
            service_for_diff(remote, &[], true, false)
        );
    }

    #[test]
    fn desired_count_is_ignored_when_the_local_file_has_none() {
        let remote = service_for_diff(json!({"desiredCount": 5}), &[], false, false);
        let local = service_for_diff(json!({}), &[], true, false);
        assert_eq!(remote, local);
        let changed = service_for_diff(json!({"desiredCount": 3}), &[], true, false);
        assert_ne!(
            service_for_diff(json!({"desiredCount": 5}), &[], true, false),
            changed
        );
    }

    #[test]
    fn task_definition_units_defaults_and_order() {
        let local = json!({
            "family": "web", "cpu": "0.25 vCPU", "memory": "0.5 GB", "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [
                {"name": "b", "image": "x", "portMappings": [{"containerPort": 80}],
                 "environment": [{"name": "Z", "value": "1"}, {"name": "A", "value": "2"}]},
                {"name": "a", "image": "y"}
            ]
        });
        let remote = json!({
            "taskDefinitionArn": "arn:aws:ecs:r:1:task-definition/web:3", "revision": 3, "status": "ACTIVE",
            "compatibilities": ["EC2", "FARGATE"], "family": "web", "cpu": "256", "memory": "512",
            "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "placementConstraints": [],
            "containerDefinitions": [
                {"name": "a", "image": "y", "cpu": 0, "essential": true, "portMappings": [], "environment": [], "mountPoints": [], "volumesFrom": []},
                {"name": "b", "image": "x", "cpu": 0, "essential": true,
                 "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                 "environment": [{"name": "A", "value": "2"}, {"name": "Z", "value": "1"}]}
            ]
        });
        let l = task_definition_for_diff(local, &[]);
        assert_eq!(l, task_definition_for_diff(remote, &[]));
        assert_eq!(task_definition_for_diff(l.clone(), &[]), l, "idempotent");
    }

    #[test]
    fn sort_task_definition_orders_lists_without_filling_defaults() {
        let mut td = json!({
            "containerDefinitions": [
                {"name": "b", "environment": [{"name": "Z", "value": "1"}, {"name": "A", "value": "2"}]},
                {"name": "a", "secrets": [{"name": "S2", "valueFrom": "x"}, {"name": "S1", "valueFrom": "y"}]},
            ],
            "tags": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}],
        });
        sort_task_definition(&mut td);
        assert_eq!(td["containerDefinitions"][0]["name"], "a");
        assert_eq!(td["containerDefinitions"][0]["secrets"][0]["name"], "S1");
        assert_eq!(td["containerDefinitions"][1]["environment"][0]["name"], "A");
        assert_eq!(td["tags"][0]["key"], "a");
        assert!(td.get("networkMode").is_none(), "no defaults are added");
        assert!(td["containerDefinitions"][0].get("essential").is_none());
    }

    #[test]
    fn real_differences_remain() {
        let a = task_definition_for_diff(
            json!({"family": "web", "containerDefinitions": [{"name": "a", "image": "nginx:1"}]}),
            &[],
        );
        let b = task_definition_for_diff(
            json!({"family": "web", "containerDefinitions": [{"name": "a", "image": "nginx:2"}]}),
            &[],
        );
        assert_ne!(a, b);
        let bridge = task_definition_for_diff(
            json!({"family": "web", "networkMode": "bridge",
            "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80}]}]}),
            &[],
        );
        assert_eq!(
            bridge["containerDefinitions"][0]["portMappings"][0],
            json!({"containerPort": 80, "protocol": "tcp"})
        );
    }
}
