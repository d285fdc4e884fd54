//! Auto scaling through `deploy`/`scale` flags and its display in `status`, and the timeout
//! message naming what was still pending.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use crate::support::{REGION, TestContext, assert_failure, assert_success, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1}"#;

async fn setup() -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    context
}

async fn autoscaling(context: &TestContext) -> aws_sdk_applicationautoscaling::Client {
    let credentials = aws_sdk_applicationautoscaling::config::Credentials::new(
        context.access_key_id(),
        "fake-secret-key",
        None,
        None,
        "e2e",
    );
    let config = aws_sdk_applicationautoscaling::Config::builder()
        .behavior_version(aws_sdk_applicationautoscaling::config::BehaviorVersion::latest())
        .region(aws_sdk_applicationautoscaling::config::Region::new(REGION))
        .endpoint_url(context.endpoint.clone().unwrap_or_default())
        .credentials_provider(credentials)
        .build();
    aws_sdk_applicationautoscaling::Client::from_conf(config)
}

#[tokio::test]
async fn suspend_resume_min_max_and_status() {
    let context = setup().await;
    assert_success(&context.run(&["deploy"], &[]));
    let client = autoscaling(&context).await;
    client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id("service/e2e/web")
        .min_capacity(1)
        .max_capacity(2)
        .send()
        .await
        .expect("register target");
    client
        .put_scaling_policy()
        .policy_name("cpu50")
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id("service/e2e/web")
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(50.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                        .build()
                        .expect("metric"),
                )
                .build()
                .expect("policy"),
        )
        .send()
        .await
        .expect("policy");

    assert_success(&context.run(
        &[
            "deploy",
            "--skip-task-definition",
            "--suspend-auto-scaling",
            "--auto-scaling-min",
            "2",
            "--auto-scaling-max",
            "6",
        ],
        &[],
    ));
    let targets = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids("service/e2e/web")
        .send()
        .await
        .expect("describe");
    let target = &targets.scalable_targets()[0];
    assert_eq!((target.min_capacity(), target.max_capacity()), (2, 6));
    assert_eq!(
        target
            .suspended_state()
            .and_then(|s| s.dynamic_scaling_in_suspended()),
        Some(true)
    );

    let status = context.run(&["status"], &[]);
    assert_success(&status);
    let status = text(&status.stdout);
    assert!(status.contains("Capacity min:2 max:6"), "{status}");
    assert!(
        status.contains("Suspended in:true out:true scheduled:true"),
        "{status}"
    );
    assert!(
        status.contains("Policy name:cpu50 type:TargetTrackingScaling"),
        "{status}"
    );

    assert_success(&context.run(&["scale", "--resume-auto-scaling"], &[]));
    let targets = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids("service/e2e/web")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        targets.scalable_targets()[0]
            .suspended_state()
            .and_then(|s| s.scheduled_scaling_suspended()),
        Some(false)
    );
}

#[tokio::test]
async fn timeout_says_what_is_pending() {
    let context = setup().await;
    context.control("/_emulator/config", serde_json::json!({"ecs_steps": 1000}));
    let output = context.run(&["deploy", "--timeout", "3s"], &[]);
    assert_failure(
        &output,
        "timed out after 3s waiting for service `web` to be deployed: deployment",
    );
    assert_failure(&output, "IN_PROGRESS");
    // The same guidance as a Ctrl-C: what goes on in AWS, and how to follow or undo it.
    assert_failure(
        &output,
        "what ristretto had already asked of AWS goes on without it: `ristretto status` shows the service, `ristretto wait` follows a deployment, `ristretto rollback` undoes one",
    );
    let output = context.run(&["scale", "--tasks", "5", "--timeout", "3s"], &[]);
    assert_failure(&output, "to be stable: 1 deployment(s),");
    assert_failure(&output, "`ristretto wait` follows a deployment");
}
