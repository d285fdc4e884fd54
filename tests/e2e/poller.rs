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

/// A plain rolling fleet's waits read each service deployment only when the service shows it
/// moved (tasks started, old tasks drained, the rollout completed), not on every poll: with
/// rollouts on the wall clock (three 5 s phases), the emulator sees far fewer
/// DescribeServiceDeployments than DescribeServices, and every wait still reports its
/// deployment's status and stages.
#[tokio::test]
async fn a_rolling_fleet_reads_service_deployments_only_when_a_service_moved() {
    const FLEET: usize = 3;
    let context = TestContext::with_aws();
    context.write("service.jsonnet", SERVICE_CONFIG);
    context.write(
        "td.jsonnet",
        "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:' + std.native('must_env')('TAG'), memory: 64 }] }\n",
    );
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    let mut fleet = format!("concurrency: {FLEET}\nservices:\n");
    for i in 1..=FLEET {
        fleet.push_str(&format!(
            "  svc{i}: {{config: service.jsonnet, ext_str: {{SERVICE: svc{i}}}}}\n"
        ));
    }
    context.write("ristretto-fleet.yml", &fleet);
    context.create_cluster().await;
    assert_success(&context.run(&["fleet", "deploy"], &[("TAG", "1")]));
    context.control(
        "/_emulator/config",
        serde_json::json!({
            "rollout_mode": "time",
            "phase_seconds": {"task_start": 5.0, "health_check": 5.0, "draining": 5.0, "bake": 0},
        }),
    );
    let (services_before, deployments_before) = (
        context.calls("DescribeServices").len(),
        context.calls("DescribeServiceDeployments").len(),
    );

    let output = context.run(&["fleet", "deploy"], &[("TAG", "2")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    let polls = context.calls("DescribeServices").len() - services_before;
    let looks = context.calls("DescribeServiceDeployments").len() - deployments_before;
    println!("{polls} DescribeServices, {looks} DescribeServiceDeployments");
    assert!(
        looks * 2 <= polls,
        "{looks} DescribeServiceDeployments for {polls} DescribeServices:\n{stderr}"
    );
    for line in ["stage SCALE_UP", "stage CLEAN_UP", "is SUCCESSFUL"] {
        assert_eq!(
            stderr.matches(line).count(),
            FLEET,
            "`{line}` once per service:\n{stderr}"
        );
    }
}
