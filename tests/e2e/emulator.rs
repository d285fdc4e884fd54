//! The emulator as the Rust SDK sees it: rollouts that progress over polls and can fail with a
//! circuit-breaker rollback, and ECS's service-deployment APIs (which stock moto lacks), so that
//! later lifecycle tests stand on verified ground.

use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration, ServiceDeploymentStatus,
};

use crate::support::{TestContext, control};

async fn register(ecs: &aws_sdk_ecs::Client, image: &str) -> String {
    let output = ecs
        .register_task_definition()
        .family("web")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .memory(128)
                .build(),
        )
        .send()
        .await
        .expect("register");
    output
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("arn")
        .to_owned()
}

/// Polls DescribeServices until the PRIMARY deployment is COMPLETED or FAILED and alone, and
/// returns (its task definition, rollout state).
async fn wait_settled(ecs: &aws_sdk_ecs::Client) -> (String, String) {
    for _ in 0..50 {
        let output = ecs
            .describe_services()
            .cluster("e2e")
            .services("web")
            .send()
            .await
            .expect("describe");
        let service = &output.services()[0];
        let deployments = service.deployments();
        let primary = deployments
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .expect("primary");
        let state = primary
            .rollout_state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if deployments.len() == 1 && (state == "COMPLETED" || state == "FAILED") {
            return (
                primary.task_definition().unwrap_or_default().to_owned(),
                state,
            );
        }
    }
    panic!("rollout did not settle within 50 polls");
}

#[tokio::test]
async fn rollouts_progress_and_fail_with_rollback() {
    let context = TestContext::with_aws();
    let ecs = context.ecs().await;
    ecs.create_cluster()
        .cluster_name("e2e")
        .send()
        .await
        .expect("cluster");
    let first = register(&ecs, "nginx:1").await;
    ecs.create_service()
        .cluster("e2e")
        .service_name("web")
        .task_definition(&first)
        .desired_count(2)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create service");
    assert_eq!(
        wait_settled(&ecs).await,
        (first.clone(), "COMPLETED".to_owned())
    );

    // A new task definition rolls out: PRIMARY (in progress) + ACTIVE, then PRIMARY alone.
    let second = register(&ecs, "nginx:2").await;
    ecs.update_service()
        .cluster("e2e")
        .service("web")
        .task_definition(&second)
        .send()
        .await
        .expect("update");
    let output = ecs
        .describe_services()
        .cluster("e2e")
        .services("web")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        output.services()[0].deployments().len(),
        2,
        "old deployment kept while rolling"
    );
    assert_eq!(
        wait_settled(&ecs).await,
        (second.clone(), "COMPLETED".to_owned())
    );
    let service = context.service("web").await;
    assert!(
        service.events().iter().any(|e| e
            .message()
            .is_some_and(|m| m.contains("has reached a steady state"))),
        "steady-state event expected"
    );
    let deployments = ecs
        .list_service_deployments()
        .cluster("e2e")
        .service("web")
        .send()
        .await
        .expect("list deployments");
    assert!(!deployments.service_deployments().is_empty());

    // The next rollout fails; the circuit breaker rolls back to the second revision.
    let (status, body) = control(
        context.endpoint.as_deref().unwrap_or_default(),
        "/_emulator/ecs/outcome",
        &serde_json::json!({"account": context.account, "region": crate::support::REGION, "cluster": "e2e", "service": "web", "outcome": "fail"}),
    );
    assert_eq!(status, 200, "{body}");
    let third = register(&ecs, "nginx:broken").await;
    ecs.update_service()
        .cluster("e2e")
        .service("web")
        .task_definition(&third)
        .send()
        .await
        .expect("update");
    let mut final_status = None;
    for _ in 0..50 {
        let _ = ecs
            .describe_services()
            .cluster("e2e")
            .services("web")
            .send()
            .await
            .expect("describe");
        let list = ecs
            .list_service_deployments()
            .cluster("e2e")
            .service("web")
            .send()
            .await
            .expect("list");
        let arns: Vec<String> = list
            .service_deployments()
            .iter()
            .filter_map(|d| d.service_deployment_arn().map(str::to_owned))
            .collect();
        let described = ecs
            .describe_service_deployments()
            .set_service_deployment_arns(Some(arns))
            .send()
            .await
            .expect("describe deployments");
        let newest = described
            .service_deployments()
            .iter()
            .max_by_key(|d| d.created_at().map(|t| t.as_nanos()).unwrap_or_default())
            .and_then(|d| d.status().cloned());
        if matches!(newest, Some(ServiceDeploymentStatus::RollbackSuccessful)) {
            final_status = newest;
            break;
        }
    }
    assert_eq!(
        final_status,
        Some(ServiceDeploymentStatus::RollbackSuccessful)
    );
    let service = context.service("web").await;
    assert_eq!(
        service.task_definition(),
        Some(second.as_str()),
        "rolled back to the previous revision"
    );
}
