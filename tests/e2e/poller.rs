//! The shared poller and the ECS request budget (issue #18), through the binary against the
//! emulator with ECS's documented request throttling on: a fleet's waiters share poll rounds,
//! so one DescribeServices names several services, and the whole fleet stays within the
//! quotas (no request of the fleet is throttled).

use crate::support::{TestContext, assert_success, text};

const SERVICE_CONFIG: &str = "{ region: 'ap-northeast-1', cluster: 'e2e', service: std.extVar('SERVICE'), task_definition: 'td.jsonnet', service_definition: 'sd.json', timeout: '2m' }\n";
const TASK_DEFINITION: &str = "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 64 }] }\n";
const SERVICES: usize = 12;

/// The number after `label` in `line` (`… 7 DescribeServices naming 30 services …`).
fn number_before(line: &str, label: &str) -> u64 {
    let head = line
        .split(label)
        .next()
        .unwrap_or_default()
        .trim_end()
        .rsplit(' ')
        .next()
        .unwrap_or_default();
    head.parse()
        .unwrap_or_else(|_| panic!("no number before `{label}` in {line}"))
}

#[tokio::test]
async fn a_fleet_polls_in_shared_batched_rounds_within_the_quotas() {
    let context = TestContext::with_aws();
    context.write("service.jsonnet", SERVICE_CONFIG);
    context.write("td.jsonnet", TASK_DEFINITION);
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    let mut fleet = format!("concurrency: {SERVICES}\nservices:\n");
    for i in 1..=SERVICES {
        fleet.push_str(&format!(
            "  svc{i}: {{config: service.jsonnet, ext_str: {{SERVICE: svc{i}}}}}\n"
        ));
    }
    context.write("ristretto-fleet.yml", &fleet);
    context.create_cluster().await;
    context.control_any_region(
        "/_emulator/throttling",
        serde_json::json!({"enabled": true, "reset": true}),
    );

    let output = context.run(&["--debug", "fleet", "deploy"], &[]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    let usage = stderr
        .lines()
        .find(|l| l.contains("DescribeServices naming"))
        .unwrap_or_else(|| panic!("no usage line in {stderr}"));
    let calls = number_before(usage, "DescribeServices naming");
    let named = number_before(usage, "services,");
    assert!(calls > 0, "{usage}");
    assert!(
        named > calls,
        "a poll round names several services per DescribeServices: {usage}"
    );
    let deployments = number_before(usage, "DescribeServiceDeployments naming");
    let followed = number_before(usage, "deployments");
    assert!(followed > deployments, "{usage}");

    let throttled: Vec<_> = context
        .calls("")
        .into_iter()
        .filter(|c| c["throttled"] == serde_json::Value::Bool(true))
        .collect();
    assert!(throttled.is_empty(), "throttled: {throttled:?}\n{stderr}");
    let ecs = context.ecs().await;
    for i in 1..=SERVICES {
        let described = ecs
            .describe_services()
            .cluster("e2e")
            .services(format!("svc{i}"))
            .send()
            .await
            .expect("describe");
        let service = described.services().first().expect("service");
        assert_eq!(service.running_count(), 1, "svc{i}");
        assert_eq!(service.deployments().len(), 1, "svc{i}");
    }
}
