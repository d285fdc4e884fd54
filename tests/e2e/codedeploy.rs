//! CODE_DEPLOY services through the binary: deployment group discovery, CreateDeployment with
//! the AppSpec, before-traffic-shift gates at READY (ContinueDeployment on pass, StopDeployment
//! with rollback on fail or when pending past the deadline), bake gates during the termination
//! wait, `--wait-until codedeploy:<Event>`, `continue` and `rollback`.

use crate::support::{
    HttpSink, TestContext, assert_failure, assert_success, assert_success_saying, notified_kinds,
    notify_recorder, runs, scripted_gate, text, web_config,
};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128, "portMappings": [{"containerPort": 80}]}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1, "deploymentController": {"type": "CODE_DEPLOY"}, "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/blue/0123456789abcdef", "containerName": "app", "containerPort": 80}]}"#;

/// A CODE_DEPLOY service running web:1 and a deployment group for it (found by discovery).
pub(crate) async fn codedeploy_service(ready_wait: bool, termination_minutes: u32) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &web_config(" []"));
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let ready = if ready_wait {
        "{'actionOnTimeout': 'STOP_DEPLOYMENT', 'waitTimeInMinutes': 30}"
    } else {
        "{'actionOnTimeout': 'CONTINUE_DEPLOYMENT', 'waitTimeInMinutes': 0}"
    };
    context.boto3(&format!(
        "cd = client('codedeploy')
cd.create_application(applicationName='other', computePlatform='Server')
cd.create_application(applicationName='shop', computePlatform='ECS')
common = dict(applicationName='shop', serviceRoleArn='arn:aws:iam::123456789012:role/cd',
    deploymentStyle={{'deploymentType': 'BLUE_GREEN', 'deploymentOption': 'WITH_TRAFFIC_CONTROL'}},
    autoRollbackConfiguration={{'enabled': True, 'events': ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']}},
    loadBalancerInfo={{'targetGroupPairInfoList': [{{'targetGroups': [{{'name': 'blue'}}, {{'name': 'green'}}], 'prodTrafficRoute': {{'listenerArns': ['arn:l']}}}}]}})
cd.create_deployment_group(deploymentGroupName='api', ecsServices=[{{'serviceName': 'api', 'clusterName': 'e2e'}}],
    blueGreenDeploymentConfiguration={{'deploymentReadyOption': {ready}}}, **common)
cd.create_deployment_group(deploymentGroupName='web', ecsServices=[{{'serviceName': 'web', 'clusterName': 'e2e'}}],
    blueGreenDeploymentConfiguration={{'deploymentReadyOption': {ready},
        'terminateBlueInstancesOnDeploymentSuccess': {{'action': 'TERMINATE', 'terminationWaitTimeInMinutes': {termination_minutes}}}}}, **common)"
    ));
    context
}

#[tokio::test]
async fn a_passing_gate_continues_at_ready_and_traffic_shifts() {
    let context = codedeploy_service(true, 0).await;
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let before = context.calls("").len();
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    for expected in [
        "is ready: the new task set takes test traffic; running before-traffic-shift gates",
        "before-traffic-shift gate of plugin `scripted-gate` passed",
        "traffic on the new task set: 100%",
        "service web is deployed",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert!(runs(&context.service("web").await, "web:2"));
    let sequence = context.operations_since(before);
    eprintln!("AWS calls, CodeDeploy gate passes: {sequence:?}");
    for expected in ["CreateDeployment", "ContinueDeployment"] {
        assert!(sequence.contains(&expected.to_owned()), "{sequence:?}");
    }
    assert!(!sequence.contains(&"StopDeployment".to_owned()));
}

#[tokio::test]
async fn a_failing_gate_stops_the_deployment_with_rollback() {
    let context = codedeploy_service(true, 0).await;
    let sink = HttpSink::start();
    context.write(
        "ecspresso.yml",
        &web_config(&format!(
            "{}{}",
            scripted_gate("{fail_at: [before-traffic-shift], fail: 'checkout flow broken'}"),
            notify_recorder(&sink)
        )),
    );
    let before = context.calls("").len();
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "before-traffic-shift gate of plugin `scripted-gate` failed: checkout flow broken (after 0 polls); the service was rolled back to web:1",
    );
    assert!(
        !text(&output.stderr).contains("traffic on the new task set: 100%"),
        "{}",
        text(&output.stderr)
    );
    assert!(runs(&context.service("web").await, "web:1"));
    let sequence = context.operations_since(before);
    eprintln!("AWS calls, CodeDeploy gate fails: {sequence:?}");
    assert!(sequence.contains(&"StopDeployment".to_owned()));
    assert!(!sequence.contains(&"ContinueDeployment".to_owned()));
    let kinds = notified_kinds(&sink);
    for expected in ["gate-failed", "rolled-back", "deploy-failed"] {
        assert!(
            kinds.contains(&expected.to_owned()),
            "{expected}: {kinds:?}"
        );
    }
    assert!(!kinds.contains(&"traffic-shifted".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn a_gate_pending_past_its_deadline_rolls_back() {
    let context = codedeploy_service(true, 0).await;
    context.assert_pending_gate_rolls_back().await;
}

#[tokio::test]
async fn a_failing_bake_gate_during_the_termination_wait_rolls_back() {
    let context = codedeploy_service(true, 1).await;
    context.control(
        "/_emulator/config",
        serde_json::json!({"minute_seconds": 8}),
    );
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{fail_at: [bake], fail: 'error budget burned'}",
        )),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "bake gate of plugin `scripted-gate` failed: error budget burned (after 0 polls); the service was rolled back to web:1",
    );
    assert!(runs(&context.service("web").await, "web:1"));
}

#[tokio::test]
async fn gates_need_a_group_that_waits_at_ready_and_nothing_changes_otherwise() {
    let context = codedeploy_service(false, 0).await;
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    let before = context.calls("").len();
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "deployment group web of application shop shifts production traffic without waiting",
    );
    let sequence = context.operations_since(before);
    for changing in [
        "RegisterTaskDefinition",
        "UpdateService",
        "CreateDeployment",
    ] {
        assert!(!sequence.contains(&changing.to_owned()), "{sequence:?}");
    }
    let output = context.run(
        &["deploy", "--rollback-events", "DEPLOYMENT_FAILED"],
        &[("TAG", "2")],
    );
    assert_failure(
        &output,
        "--rollback-events: unknown rollback event `DEPLOYMENT_FAILED`",
    );
}

#[tokio::test]
async fn wait_until_an_event_then_continue_then_rollback() {
    let context = codedeploy_service(true, 0).await;
    assert_success_saying(
        &context.run(
            &[
                "deploy",
                "--wait-until",
                "codedeploy:AfterAllowTestTraffic",
                "--rollback-events",
                "DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_REQUEST",
            ],
            &[("TAG", "2")],
        ),
        "AfterAllowTestTraffic done; not waiting for the rest",
    );
    assert!(
        runs(&context.service("web").await, "web:1"),
        "not shifted yet"
    );

    let output = context.run(&["wait", "--wait-until", "paused"], &[]);
    assert_success(&output);
    let status = context.run(&["status"], &[]);
    assert_success(&status);
    let status = text(&status.stdout);
    assert!(
        status.contains("TaskSets:")
            && status.contains(
                "Ready (test traffic on the new task set; waiting for `ristretto continue`)"
            ),
        "{status}"
    );
    assert_success_saying(&context.run(&["continue"], &[]), "service web is deployed");
    assert!(runs(&context.service("web").await, "web:2"));

    let output = context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "3")]);
    assert_success(&output);
    assert_success_saying(
        &context.run(&["continue", "--rollback"], &[]),
        "stopping it with rollback",
    );
    assert!(
        runs(&context.service("web").await, "web:2"),
        "web:3 never took production traffic"
    );

    context.write(
        "ecspresso.yml",
        &format!(
            "{}codedeploy:\n  application_name: shop\n  deployment_group_name: web\n",
            web_config(" []")
        ),
    );
    assert_success_saying(
        &context.run(&["rollback", "--no-deregister-task-definition"], &[]),
        "rolling back service web to web:1 through CodeDeploy",
    );
    assert!(runs(&context.service("web").await, "web:1"));
    let output = context.run(
        &["deploy", "--wait-until", "ecs:BAKE_TIME"],
        &[("TAG", "3")],
    );
    assert_failure(&output, "needs the ECS deployment controller");

    std::fs::create_dir_all(context.path("init")).expect("mkdir");
    let output = context.run(
        &[
            "--config",
            "init/ecspresso.yml",
            "init",
            "--cluster",
            "e2e",
            "--service",
            "web",
            // Relative to the config file, as every command reads them (ecspresso's init.go).
            "--task-definition-path",
            "td.json",
            "--service-definition-path",
            "sd.json",
        ],
        &[],
    );
    assert_success(&output);
    let config = std::fs::read_to_string(context.path("init/ecspresso.yml")).expect("config");
    assert!(
        config.contains("codedeploy:\n  application_name: shop\n  deployment_group_name: web\n"),
        "{config}"
    );
}

#[tokio::test]
async fn continue_at_ready_runs_the_gates_first() {
    let context = codedeploy_service(true, 0).await;
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{fail_at: [before-traffic-shift], fail: 'smoke test: 500'}",
        )),
    );
    assert_success(&context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "2")]));
    assert_failure(
        &context.run(&["continue"], &[]),
        "before-traffic-shift gate of plugin `scripted-gate` failed: smoke test: 500 (after 0 polls); the service was rolled back to web:1",
    );
    assert!(runs(&context.service("web").await, "web:1"));
    assert!(!context.calls("StopDeployment").is_empty());
    assert!(context.calls("ContinueDeployment").is_empty());
}

#[tokio::test]
async fn rollback_skips_a_revision_a_gate_rejected() {
    let context = codedeploy_service(true, 0).await;
    context.write(
        "ecspresso.yml",
        &web_config(&scripted_gate(
            "{fail_at: [before-traffic-shift], fail: 'smoke test: 500'}",
        )),
    );
    assert_failure(
        &context.run(&["deploy"], &[("TAG", "2")]),
        "smoke test: 500",
    );
    context.write("ecspresso.yml", &web_config(&scripted_gate("{}")));
    assert_success(&context.run(&["deploy"], &[("TAG", "3")]));
    assert!(runs(&context.service("web").await, "web:3"));
    let output = context.run(
        &["rollback", "--no-deregister-task-definition"],
        &[("TAG", "3")],
    );
    assert_success(&output);
    assert!(
        text(&output.stderr).contains("skipping web:2: rejected by the before-traffic-shift gate"),
        "{}",
        text(&output.stderr)
    );
    assert!(runs(&context.service("web").await, "web:1"));
}

/// ecspresso #673/#679: `rollback` while a CodeDeploy deployment is in flight stops it with
/// rollback and deregisters the revision *that deployment* brought (read from its AppSpec with
/// GetApplicationRevision), not the one the service still runs; before traffic shifted the two
/// differ. `--dry-run` names it and changes nothing.
#[tokio::test]
async fn issue_15_rollback_in_flight_before_traffic_shift_deregisters_the_stopped_revision() {
    let context = codedeploy_service(true, 0).await;
    assert_success(&context.run(&["deploy", "--wait-until", "paused"], &[("TAG", "2")]));
    assert!(
        runs(&context.service("web").await, "web:1"),
        "traffic has not shifted"
    );

    let output = context.run(&["rollback", "--dry-run"], &[]);
    assert_success_saying(&output, "web:2 would be deregistered");
    assert!(context.calls("StopDeployment").is_empty());
    assert_eq!(
        context.task_definition_status("web:2").await.as_deref(),
        Some("ACTIVE")
    );

    let output = context.run(&["rollback"], &[]);
    assert_success_saying(&output, "is in progress: stopping it with rollback");
    assert!(!context.calls("GetApplicationRevision").is_empty());
    assert_eq!(context.calls("StopDeployment").len(), 1);
    assert!(runs(&context.service("web").await, "web:1"));
    assert_eq!(
        context.task_definition_status("web:2").await.as_deref(),
        Some("INACTIVE"),
        "the stopped deployment's revision is deregistered: {}",
        text(&output.stderr)
    );
    assert_eq!(
        context.task_definition_status("web:1").await.as_deref(),
        Some("ACTIVE"),
        "the revision the service runs stays"
    );
}

/// The same after production traffic shifted (the deployment waits out its termination time):
/// the stopped deployment's revision is the one the service ran, and it is deregistered once
/// CodeDeploy's rollback deployment put web:1 back.
#[tokio::test]
async fn issue_15_rollback_in_flight_after_traffic_shift_deregisters_the_stopped_revision() {
    let context = codedeploy_service(false, 30).await;
    assert_success(&context.run(
        &["deploy", "--wait-until", "codedeploy:AfterAllowTraffic"],
        &[("TAG", "2")],
    ));
    assert!(runs(&context.service("web").await, "web:2"), "shifted");
    assert_success_saying(
        &context.run(&["rollback"], &[]),
        "is in progress: stopping it with rollback",
    );
    assert!(runs(&context.service("web").await, "web:1"));
    assert_eq!(
        context.task_definition_status("web:2").await.as_deref(),
        Some("INACTIVE")
    );
    assert_eq!(
        context.task_definition_status("web:1").await.as_deref(),
        Some("ACTIVE")
    );
}
