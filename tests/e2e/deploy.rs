//! `deploy`, `wait`, `scale`, `refresh` against the emulator: create, update in one
//! UpdateService call, dry runs that write nothing, a circuit-breaker rollback that fails the
//! deploy, tags added/updated/removed, and clear errors for an unknown cluster.

use crate::support::{TestContext, assert_failure, assert_success};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128, "essential": true}]}"#;
const SERVICE_DEFINITION: &str = r#"{
  "launchType": "EC2",
  "desiredCount": {{ env `COUNT` `2` }},
  "enableExecuteCommand": true,
  "healthCheckGracePeriodSeconds": 30,
  "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}, "maximumPercent": 200, "minimumHealthyPercent": 100},
  "tags": [{"key": "team", "value": "{{ env `TEAM` `web` }}"}{{ if env `EXTRA_TAG` `` }}, {"key": "extra", "value": "yes"}{{ end }}]
}"#;

async fn setup() -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    context
}

async fn service(context: &TestContext) -> aws_sdk_ecs::types::Service {
    let output = context
        .ecs()
        .await
        .describe_services()
        .cluster("e2e")
        .services("web")
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .expect("describe");
    output.services()[0].clone()
}

fn tags(service: &aws_sdk_ecs::types::Service) -> Vec<(String, String)> {
    let mut tags: Vec<_> = service
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    tags
}

#[tokio::test]
async fn create_update_dry_run_and_tags() {
    let context = setup().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let created = service(&context).await;
    assert!(
        created
            .task_definition()
            .unwrap_or_default()
            .ends_with("task-definition/web:1")
    );
    assert_eq!(created.desired_count(), 2);
    assert_eq!(created.health_check_grace_period_seconds(), Some(30));
    assert!(created.enable_execute_command());
    assert_eq!(tags(&created), vec![("team".to_owned(), "web".to_owned())]);

    // An update registers revision 2 and applies everything in one UpdateService call.
    let before = context.calls("UpdateService").len();
    assert_success(&context.run(
        &["deploy", "--wait-until", "stable"],
        &[
            ("TAG", "2"),
            ("COUNT", "3"),
            ("TEAM", "platform"),
            ("EXTRA_TAG", "1"),
        ],
    ));
    assert_eq!(
        context.calls("UpdateService").len() - before,
        1,
        "exactly one UpdateService per deploy"
    );
    let updated = service(&context).await;
    assert!(
        updated
            .task_definition()
            .unwrap_or_default()
            .ends_with("task-definition/web:2")
    );
    assert_eq!(updated.desired_count(), 3);
    assert_eq!(updated.deployments().len(), 1);
    assert_eq!(
        tags(&updated),
        vec![
            ("extra".to_owned(), "yes".to_owned()),
            ("team".to_owned(), "platform".to_owned())
        ]
    );

    // Removing a tag locally removes it remotely.
    assert_success(&context.run(
        &["deploy", "--skip-task-definition"],
        &[("TAG", "2"), ("COUNT", "3"), ("TEAM", "platform")],
    ));
    assert_eq!(
        tags(&service(&context).await),
        vec![("team".to_owned(), "platform".to_owned())]
    );

    // A dry run prints what it would do and writes nothing.
    let calls_before = context.calls("").len();
    let output = context.run(&["deploy", "--dry-run"], &[("TAG", "3"), ("COUNT", "5")]);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\"image\": \"nginx:3\""), "{stdout}");
    assert!(stdout.contains("\"desiredCount\": 5"), "{stdout}");
    let writes: Vec<_> = context
        .calls("")
        .into_iter()
        .skip(calls_before)
        .filter_map(|c| c["operation"].as_str().map(str::to_owned))
        .filter(|op| !op.starts_with("Describe") && !op.starts_with("List"))
        .collect();
    assert!(writes.is_empty(), "dry run wrote: {writes:?}");
    let revisions = context
        .ecs()
        .await
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .expect("list");
    assert_eq!(revisions.task_definition_arns().len(), 2);
    assert_eq!(service(&context).await.desired_count(), 3);

    // --revision deploys an existing revision without registering.
    assert_success(&context.run(
        &["deploy", "--revision", "1", "--no-update-service"],
        &[("TAG", "9")],
    ));
    assert!(
        service(&context)
            .await
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1")
    );
    let revisions = context
        .ecs()
        .await
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .expect("list");
    assert_eq!(revisions.task_definition_arns().len(), 2);
}

#[tokio::test]
async fn circuit_breaker_rollback_fails_the_deploy() {
    let context = setup().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.control(
        "/_emulator/ecs/outcome",
        serde_json::json!({"cluster": "e2e", "service": "web", "outcome": "fail"}),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(&output, "is not running the deployed task definition web:2");
    assert!(
        service(&context)
            .await
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1"),
        "rolled back to web:1"
    );

    // The same with --wait-until stable.
    context.control(
        "/_emulator/ecs/outcome",
        serde_json::json!({"cluster": "e2e", "service": "web", "outcome": "fail"}),
    );
    let output = context.run(&["deploy", "--wait-until", "stable"], &[("TAG", "3")]);
    assert_failure(&output, "web:3");
}

#[tokio::test]
async fn no_wait_scale_refresh_and_wait() {
    let context = setup().await;
    assert_success(&context.run(&["deploy", "--no-wait"], &[("TAG", "1")]));
    assert_success(&context.run(&["wait"], &[]));
    let before = service(&context).await.desired_count();
    let scaled = context.run(&["scale", "--tasks", "4"], &[]);
    assert_success(&scaled);
    // It states the change, not the task definition it keeps.
    let stderr = String::from_utf8_lossy(&scaled.stderr);
    let updating = stderr.lines().find(|l| l.contains("updating service web"));
    assert!(
        updating.is_some_and(
            |l| l.ends_with(&format!("updating service web: desired count {before} → 4"))
        ),
        "{stderr}"
    );
    assert_eq!(service(&context).await.desired_count(), 4);
    let before = service(&context).await;
    assert_success(&context.run(&["refresh"], &[]));
    let after = service(&context).await;
    assert_eq!(after.task_definition(), before.task_definition());
    assert_eq!(after.desired_count(), 4);
    assert_success(&context.run(&["wait", "--wait-until", "deployed"], &[]));
}

#[tokio::test]
async fn a_service_definition_aws_would_refuse_is_an_error_before_anything_is_registered() {
    let context = setup().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    for (definition, error) in [
        (
            SERVICE_DEFINITION.replace(r#""maximumPercent": 200"#, r#""maximumPercent": "200""#),
            "sd.json:6: service definition `deploymentConfiguration.maximumPercent`: type mismatch: expected integer",
        ),
        (
            SERVICE_DEFINITION.replace(r#""launchType": "EC2""#, r#""launchType": "FARGATEX""#),
            "sd.json:2: service definition `launchType`: \"FARGATEX\" is not one of ",
        ),
    ] {
        context.write("sd.json", &definition);
        for command in [&["deploy"][..], &["diff"], &["verify"]] {
            assert_failure(&context.run(command, &[("TAG", "2")]), error);
        }
    }
    let revisions = context
        .ecs()
        .await
        .list_task_definitions()
        .send()
        .await
        .expect("list");
    assert_eq!(
        revisions.task_definition_arns().len(),
        1,
        "only the first deploy registered a revision"
    );
    assert!(context.calls("UpdateService").is_empty());
}

#[tokio::test]
async fn unknown_cluster_and_missing_service_are_clear_errors() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    assert_failure(
        &context.run(&["deploy"], &[("TAG", "1")]),
        "cluster `e2e` not found",
    );
    context.create_cluster().await;
    assert_failure(
        &context.run(&["wait"], &[]),
        "service `web` not found in cluster `e2e`",
    );
    assert_failure(
        &context.run(&["scale", "--tasks", "1"], &[]),
        "no current task definition",
    );
    // Nothing was registered by the failed attempts.
    let revisions = context
        .ecs()
        .await
        .list_task_definitions()
        .send()
        .await
        .expect("list");
    assert!(revisions.task_definition_arns().is_empty());
}

#[tokio::test]
async fn aws_settings_in_env_files_reach_the_sdk() {
    let context = setup().await;
    let other = TestContext::with_aws();
    other.create_cluster().await;
    context.write(
        "deploy.env",
        &format!(
            "TAG=7\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY=from-the-env-file\n",
            other.access_key_id()
        ),
    );
    let output = context.run(&["--envfile", "deploy.env", "deploy"], &[]);
    assert_success(&output);
    let deployed = other.service("web").await;
    assert!(
        deployed
            .task_definition()
            .unwrap_or_default()
            .contains(&format!(":{}:task-definition/web:1", other.account)),
        "the service was created with the env file's credentials, in their account: {:?}",
        deployed.task_definition()
    );
    let mine = context
        .ecs()
        .await
        .list_services()
        .cluster("e2e")
        .send()
        .await
        .expect("list services");
    assert!(
        mine.service_arns().is_empty(),
        "nothing in the process credentials' account"
    );
}
