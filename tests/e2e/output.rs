//! Machine-readable output: `status --output json` against the emulator, checked field by field
//! against an independent DescribeServices, with `--log-format json` keeping stdout one JSON
//! document and stderr JSON lines.

use crate::support::{TestContext, assert_failure, assert_success, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 2}"#;

#[tokio::test]
async fn status_output_json_matches_aws() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;

    let missing = context.run(&["status", "--output", "json"], &[("TAG", "1")]);
    assert_failure(&missing, "service `web` not found in cluster `e2e`");
    assert!(missing.stdout.is_empty(), "{}", text(&missing.stdout));

    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    assert_success(&context.run(&["deploy"], &[("TAG", "2")]));
    context.boto3(
        "c = client('application-autoscaling')\n\
         c.register_scalable_target(ServiceNamespace='ecs', ScalableDimension='ecs:service:DesiredCount', ResourceId='service/e2e/web', MinCapacity=1, MaxCapacity=4, SuspendedState={'DynamicScalingInSuspended': True})\n\
         c.put_scaling_policy(PolicyName='cpu50', ServiceNamespace='ecs', ScalableDimension='ecs:service:DesiredCount', ResourceId='service/e2e/web', PolicyType='TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration={'TargetValue': 50.0, 'PredefinedMetricSpecification': {'PredefinedMetricType': 'ECSServiceAverageCPUUtilization'}})",
    );

    let output = context.run(
        &[
            "status",
            "--output",
            "json",
            "--events",
            "3",
            "--log-format",
            "json",
        ],
        &[("TAG", "2")],
    );
    assert_success(&output);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    for line in text(&output.stderr).lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line}"));
    }

    // The same facts, read independently (the deploy waited for its rollout to finish, so
    // further DescribeServices calls change none of them).
    let service = context.service("web").await;
    assert_eq!(report["service"], "web");
    assert_eq!(report["cluster"], "e2e");
    assert_eq!(report["status"], "ACTIVE");
    assert_eq!(report["taskDefinition"], "web:2");
    assert_eq!(
        report["taskDefinitionArn"].as_str(),
        service.task_definition()
    );
    assert_eq!(report["desiredCount"], 2);
    assert_eq!(report["deploymentController"], "ECS");
    assert_eq!(report["launchType"], "EC2");
    let ids: Vec<&str> = report["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    let aws_ids: Vec<&str> = service
        .deployments()
        .iter()
        .filter_map(|d| d.id())
        .collect();
    assert_eq!(ids, aws_ids);
    assert_eq!(report["deployments"][0]["status"], "PRIMARY");
    assert_eq!(report["deployments"][0]["taskDefinition"], "web:2");

    let scaling = &report["autoScaling"];
    assert_eq!(scaling["targets"][0]["minCapacity"], 1);
    assert_eq!(scaling["targets"][0]["maxCapacity"], 4);
    assert_eq!(scaling["targets"][0]["suspended"]["dynamicScalingIn"], true);
    assert_eq!(
        scaling["targets"][0]["suspended"]["dynamicScalingOut"],
        false
    );
    assert_eq!(scaling["policies"][0]["name"], "cpu50");
    assert_eq!(scaling["policies"][0]["type"], "TargetTrackingScaling");

    let events = report["events"].as_array().expect("events");
    assert_eq!(events.len(), 3, "{events:?}");
    let mut newest: Vec<_> = service.events().to_vec();
    newest.sort_by_key(|e| std::cmp::Reverse(e.created_at().map(|t| t.as_nanos())));
    assert_eq!(
        events[2]["message"].as_str(),
        newest.first().and_then(|e| e.message()),
        "the last event reported is the newest"
    );
    assert!(
        events
            .iter()
            .all(|e| e["createdAt"].as_str().is_some_and(|t| t.ends_with('Z'))),
        "{events:?}"
    );

    // The text form is unchanged and says the same.
    let text_output = context.run(&["status", "--events", "3"], &[("TAG", "2")]);
    assert_success(&text_output);
    let stdout = text(&text_output.stdout);
    assert!(stdout.contains("TaskDefinition: web:2"), "{stdout}");
    assert!(stdout.contains("Capacity min:1 max:4"), "{stdout}");
}

#[tokio::test]
async fn diff_output_json_summarizes_each_definition() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;

    // Nothing exists yet: both definitions would be created.
    let output = context.run(&["diff", "--output", "json"], &[("TAG", "1")]);
    assert_success(&output);
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary["differs"], true);
    assert_eq!(summary["comparisons"][0]["what"], "service");
    assert_eq!(summary["comparisons"][0]["remote"], serde_json::Value::Null);

    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let output = context.run(
        &["diff", "--output", "json", "--exit-code"],
        &[("TAG", "2")],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary["differs"], true);
    let comparisons = summary["comparisons"].as_array().expect("comparisons");
    let by_what = |what: &str| {
        comparisons
            .iter()
            .find(|c| c["what"] == what)
            .cloned()
            .unwrap_or_else(|| panic!("no {what} in {summary}"))
    };
    let service = by_what("service");
    assert_eq!(service["differs"], false);
    assert_eq!(service["diff"], "");
    let task_definition = by_what("task definition");
    assert_eq!(task_definition["differs"], true);
    assert_eq!(task_definition["local"], "td.json");
    assert!(
        task_definition["remote"]
            .as_str()
            .is_some_and(|r| r.ends_with("task-definition/web:1")),
        "{task_definition}"
    );
    let diff = task_definition["diff"].as_str().unwrap_or_default();
    assert!(
        diff.contains("-      \"image\": \"nginx:1\"")
            && diff.contains("+      \"image\": \"nginx:2\""),
        "{diff}"
    );
    assert!(!diff.contains('\u{1b}'), "no colors in JSON: {diff:?}");

    let same = context.run(
        &["diff", "--output", "json", "--exit-code"],
        &[("TAG", "1")],
    );
    assert_success(&same);
    let summary: serde_json::Value = serde_json::from_slice(&same.stdout).expect("JSON");
    assert_eq!(summary["differs"], false);
}

#[tokio::test]
async fn fleet_output_json_has_each_services_result_and_output() {
    let context = TestContext::with_aws();
    context.write(
        "service.jsonnet",
        "{ region: 'ap-northeast-1', cluster: 'e2e', service: std.extVar('SERVICE'), task_definition: 'td.jsonnet', service_definition: 'sd.json', timeout: '2m' }\n",
    );
    context.write(
        "td.jsonnet",
        "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 64 }] }\n",
    );
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    context.write(
        "ristretto-fleet.yml",
        "services:\n  api: {config: service.jsonnet, ext_str: {SERVICE: api}}\n  web: {config: service.jsonnet, ext_str: {SERVICE: web}, depends_on: [api]}\n",
    );
    context.create_cluster().await;

    let fleet = |args: &[&str]| {
        let mut all = vec!["fleet", "--output", "json"];
        all.extend_from_slice(args);
        let output = context.run(&all, &[]);
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&output.stdout)));
        (output.status.code(), summary)
    };
    let (code, deployed) = fleet(&["deploy"]);
    assert_eq!(code, Some(0), "{deployed}");
    assert_eq!(deployed["command"], "deploy");
    let services: Vec<&str> = deployed["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["service"].as_str())
        .collect();
    assert_eq!(services, ["api", "web"]);
    for result in deployed["results"].as_array().expect("results") {
        assert_eq!(result["result"], "deployed", "{result}");
        let service = result["service"].as_str().unwrap_or_default();
        assert_eq!(result["revision"], format!("{service}:1"));
        assert!(result["seconds"].as_f64().is_some(), "{result}");
    }

    let (code, status) = fleet(&["status", "--events", "1"]);
    assert_eq!(code, Some(0), "{status}");
    let web = &status["results"][1];
    assert_eq!(web["service"], "web");
    assert_eq!(web["output"]["taskDefinition"], "web:1");
    assert_eq!(web["output"]["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        context
            .service("web")
            .await
            .task_definition()
            .map(|t| t.ends_with("web:1")),
        Some(true)
    );

    let (code, diff) = fleet(&["diff", "--exit-code"]);
    assert_eq!(code, Some(0), "{diff}");
    assert_eq!(diff["results"][0]["detail"], "no changes");
    assert_eq!(diff["results"][0]["output"], "");
}

#[tokio::test]
async fn diff_external_runs_the_command_on_each_differing_definition() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    let output = context.run(
        &["diff", "--external", "diff -u", "--exit-code"],
        &[("TAG", "2")],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("remote-task-definition.json"), "{stdout}");
    assert!(stdout.contains("+") && stdout.contains(":2"), "{stdout}");
    assert!(
        !stdout.contains("remote-service.json"),
        "the service does not differ: {stdout}"
    );
    let output = context.run(
        &["diff"],
        &[("TAG", "2"), ("ECSPRESSO_DIFF_COMMAND", "exit 3;")],
    );
    assert_failure(&output, "the diff command `exit 3;` failed");
}

#[tokio::test]
async fn usage_errors_honour_json_logs() {
    let context = TestContext::offline();
    for (args, env) in [
        (vec!["--log-format", "json", "deploy", "--bogus"], vec![]),
        (
            vec!["deploy", "--bogus"],
            vec![("RISTRETTO_LOG_FORMAT", "json")],
        ),
    ] {
        let output = context.run(&args, &env);
        assert_eq!(output.status.code(), Some(1));
        let stderr = text(&output.stderr);
        let record: serde_json::Value =
            serde_json::from_str(stderr.trim()).expect("one JSON object on stderr");
        assert_eq!(record["level"], "ERROR");
        assert_eq!(record["msg"], "unexpected argument '--bogus' found");
    }
    let plain = context.run(&["deploy", "--bogus"], &[]);
    assert!(text(&plain.stderr).starts_with("error: unexpected argument '--bogus' found"));
}

#[tokio::test]
async fn debug_shows_each_aws_call() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));

    let output = context.run(&["status", "--debug"], &[("TAG", "1")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    let endpoint = format!(
        "endpoint={}",
        context
            .endpoint
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/')
    );
    let call = stderr
        .lines()
        .find(|l| l.contains("AWS ECS.DescribeServices"))
        .unwrap_or_else(|| panic!("no DescribeServices record:\n{stderr}"));
    assert!(
        call.contains("region=ap-northeast-1")
            && call.contains(&endpoint)
            && call.contains("status=200")
            && call.contains("duration=")
            && call.contains("retries=0"),
        "{call}"
    );

    // Without --debug there are no call records.
    let quiet = context.run(&["status"], &[("TAG", "1")]);
    assert_success(&quiet);
    assert!(
        !text(&quiet.stderr).contains("AWS ECS."),
        "{}",
        text(&quiet.stderr)
    );
}

/// The clients a single command builds for itself (S3 for a tfstate lookup, IAM and ECR for
/// `verify`) log their calls under `--debug` as the command's own clients do.
#[tokio::test]
async fn debug_shows_the_calls_of_lookups_and_verify() {
    let context = TestContext::with_aws();
    let account = context.account.clone();
    let bucket = format!("tfstate-debug-{account}");
    context.boto3(&format!(
        "client('s3').create_bucket(Bucket='{bucket}', CreateBucketConfiguration={{'LocationConstraint': 'ap-northeast-1'}})
client('s3').put_object(Bucket='{bucket}', Key='terraform.tfstate', Body='{{\"version\": 4, \"outputs\": {{\"tag\": {{\"value\": \"v1\", \"type\": \"string\"}}}}, \"resources\": []}}')
client('iam').create_role(RoleName='exec', AssumeRolePolicyDocument='{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Principal\": {{\"Service\": \"ecs-tasks.amazonaws.com\"}}, \"Action\": \"sts:AssumeRole\"}}]}}')
client('ecr').create_repository(repositoryName='web')
client('ecr').put_image(repositoryName='web', imageManifest='{{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\"}}', imageTag='v1')"
    ));
    context.write(
        "ecspresso.yml",
        &format!("{CONFIG}plugins:\n  - name: tfstate\n    config:\n      url: s3://{bucket}/terraform.tfstate\n"),
    );
    context.write(
        "td.json",
        &format!(
            r#"{{"family": "web", "executionRoleArn": "arn:aws:iam::{account}:role/exec",
  "containerDefinitions": [{{"name": "app", "memory": 128,
    "image": "{account}.dkr.ecr.ap-northeast-1.amazonaws.com/web:{{{{ tfstate `output.tag` }}}}"}}]}}"#
        ),
    );
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;

    let output = context.run(&["verify", "--debug"], &[]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    for operation in ["S3.GetObject", "IAM.GetRole", "ECR.DescribeImages"] {
        let call = stderr
            .lines()
            .find(|l| l.contains(&format!("AWS {operation} ")))
            .unwrap_or_else(|| panic!("no {operation} record:\n{stderr}"));
        assert!(
            call.contains("region=ap-northeast-1") && call.contains("status=200"),
            "{call}"
        );
    }
}

#[test]
fn help_man_page_and_completions_are_specific() {
    let context = TestContext::offline();
    let appspec = context.run(&["appspec", "--help"], &[]);
    assert_success(&appspec);
    let help = text(&appspec.stdout);
    assert!(
        help.contains("--no-update-service")
            && help.contains("Build the AppSpec from the service as it is in AWS"),
        "{help}"
    );
    let deploy = text(&context.run(&["deploy", "--help"], &[]).stdout);
    assert!(
        deploy.contains("--no-update-service") && !deploy.contains("AppSpec"),
        "{deploy}"
    );

    let man = context.run(&["man"], &[]);
    assert_success(&man);
    let page = text(&man.stdout);
    assert!(
        !page.contains("(1)"),
        "the man page points to pages that do not exist"
    );
    assert!(page.contains(".SH \"RISTRETTO PLUGIN TEST\""), "{page}");

    for shell in ["bash", "zsh", "fish"] {
        let completion = context.run(&["completion", shell], &[]);
        assert_success(&completion);
        let script = text(&completion.stdout);
        for value in [
            "PRE_SCALE_UP",
            "AfterAllowTestTraffic",
            "tsv",
            "inspect",
            "before-traffic-shift",
        ] {
            assert!(
                script.contains(value),
                "{value} missing from the {shell} completion"
            );
        }
    }
}
