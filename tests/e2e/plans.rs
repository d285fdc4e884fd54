//! Saved plans (`deploy --plan-out`, `plan show`, `apply`) against the emulator: a plan writes
//! nothing and keeps secrets out of the file; applying it gives the AWS state `deploy` gives,
//! without rendering again; a change made meanwhile with an independent client (image,
//! desired count, tag, secret) is refused with exit status 3 and nothing written; a second
//! apply is refused; a fleet plan applies dependencies first; tampered, truncated, other-version,
//! expired and other-account plans are refused with clear errors.

use std::time::Instant;

use crate::support::{TestContext, assert_failure, assert_success, repo_root, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128, "essential": true,
  "environment": [{"name": "DB_PASSWORD", "value": "{{ ssm `/web/db-password` }}"}]}]}"#;
const SERVICE_DEFINITION: &str = r#"{
  "launchType": "EC2",
  "desiredCount": {{ env `COUNT` `1` }},
  "healthCheckGracePeriodSeconds": 30,
  "tags": [{"key": "team", "value": "{{ env `TEAM` `web` }}"}]
}"#;
const SECRET: &str = "s3cret-Value-42";

/// A service `web` deployed from TAG=1 in a fresh account, and the SecureString it reads.
async fn setup() -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    put_secret(&context, SECRET);
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context
}

fn put_secret(context: &TestContext, value: &str) {
    context.boto3(&format!(
        "client('ssm').put_parameter(Name='/web/db-password', Value='{value}', Type='SecureString', Overwrite=True)"
    ));
}

/// The AWS calls of the test's account that write.
fn writes(context: &TestContext) -> Vec<String> {
    context
        .calls("")
        .into_iter()
        .filter_map(|c| c["operation"].as_str().map(str::to_owned))
        .filter(|op| {
            !["Describe", "List", "Get"]
                .iter()
                .any(|read| op.starts_with(read))
        })
        .collect()
}

/// What a deploy leaves in AWS: task definition (family:revision), image, the secret env
/// value, desired count, tags.
async fn state(context: &TestContext) -> (String, String, String, i32, Vec<(String, String)>) {
    let service = context.service("web").await;
    let arn = service.task_definition().unwrap_or_default().to_owned();
    let described = context
        .ecs()
        .await
        .describe_task_definition()
        .task_definition(&arn)
        .send()
        .await
        .expect("describe task definition");
    let container = &described
        .task_definition()
        .expect("task definition")
        .container_definitions()[0];
    let env = container
        .environment()
        .iter()
        .find(|e| e.name() == Some("DB_PASSWORD"))
        .and_then(|e| e.value())
        .unwrap_or_default()
        .to_owned();
    let mut tags: Vec<(String, String)> = service
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
    (
        arn.rsplit('/').next().unwrap_or_default().to_owned(),
        container.image().unwrap_or_default().to_owned(),
        env,
        service.desired_count(),
        tags,
    )
}

const CHANGE: [(&str, &str); 3] = [("TAG", "2"), ("COUNT", "3"), ("TEAM", "platform")];

#[tokio::test]
async fn plan_then_apply_is_deploy_and_a_second_apply_is_refused() {
    let context = setup().await;
    let before = writes(&context).len();
    let output = context.run(&["deploy", "--plan-out", "plan.json"], &CHANGE);
    assert_success(&output);
    assert_eq!(writes(&context).len(), before, "planning wrote to AWS");
    let plan = std::fs::read_to_string(context.path("plan.json")).expect("plan file");
    assert!(!plan.contains(SECRET), "the secret is in the plan:\n{plan}");
    assert!(
        plan.contains("[ristretto-secret ssm:/web/db-password]"),
        "{plan}"
    );
    println!("plan of the test service: {} bytes", plan.len());

    let shown = context.run(&["plan", "show", "plan.json"], &[]);
    assert_success(&shown);
    let shown = text(&shown.stdout);
    let line = |sign: char, needle: &str| {
        shown
            .lines()
            .any(|l| l.starts_with(sign) && l.contains(needle))
    };
    assert!(line('-', "\"image\": \"nginx:1\""), "{shown}");
    assert!(line('+', "\"image\": \"nginx:2\""), "{shown}");
    assert!(shown.contains("desired count: 3 (now 1)"), "{shown}");
    let markdown = context.run(&["plan", "show", "plan.json", "--output", "markdown"], &[]);
    assert_success(&markdown);
    let markdown = text(&markdown.stdout);
    assert!(
        markdown.contains("<details><summary><b>web</b>"),
        "{markdown}"
    );
    assert!(markdown.contains("```diff"), "{markdown}");

    // No TAG in the environment: apply does not render the templates again.
    let started = Instant::now();
    assert_success(&context.run(&["apply", "plan.json"], &[]));
    let apply_time = started.elapsed();
    let applied = state(&context).await;
    assert_eq!(
        applied,
        (
            "web:2".to_owned(),
            "nginx:2".to_owned(),
            SECRET.to_owned(),
            3,
            vec![("team".to_owned(), "platform".to_owned())]
        )
    );

    // The same change by `deploy`, in another account, leaves the same state.
    let other = setup().await;
    let started = Instant::now();
    assert_success(&other.run(&["deploy"], &CHANGE));
    let deploy_time = started.elapsed();
    assert_eq!(state(&other).await, applied);
    println!(
        "same change: apply {:.2} s, deploy {:.2} s",
        apply_time.as_secs_f64(),
        deploy_time.as_secs_f64()
    );

    let before = writes(&context).len();
    let again = context.run(&["apply", "plan.json"], &[]);
    assert_eq!(again.status.code(), Some(3), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("was this plan applied already?"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        writes(&context).len(),
        before,
        "a refused apply wrote to AWS"
    );
}

/// Plans the change, lets `change` alter AWS, and checks that apply refuses naming `drift`.
async fn refused_after(context: &TestContext, change: &str, drift: &str) {
    assert_success(&context.run(&["deploy", "--plan-out", "plan.json"], &CHANGE));
    context.boto3(change);
    let before = writes(context).len();
    let output = context.run(&["apply", "plan.json"], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("AWS changed since the plan was made"),
        "{stderr}"
    );
    assert!(stderr.contains(drift), "{drift:?} not in:\n{stderr}");
    assert_eq!(
        writes(context).len(),
        before,
        "a refused apply wrote to AWS"
    );
}

#[tokio::test]
async fn drift_is_refused_with_exit_3_and_nothing_written() {
    let context = setup().await;
    let service_arn = context
        .service("web")
        .await
        .service_arn()
        .unwrap_or_default()
        .to_owned();
    refused_after(
        &context,
        "client('ecs').update_service(cluster='e2e', service='web', desiredCount=5)",
        "desired count: 5 now, planned against 1",
    )
    .await;
    refused_after(
        &context,
        &format!("client('ecs').tag_resource(resourceArn='{service_arn}', tags=[{{'key': 'owner', 'value': 'someone'}}])"),
        "tag owner: added",
    )
    .await;
    refused_after(
        &context,
        "ecs = client('ecs')\n\
         td = ecs.register_task_definition(family='web', containerDefinitions=[{'name': 'app', 'image': 'nginx:hotfix', 'memory': 128}])\n\
         ecs.update_service(cluster='e2e', service='web', taskDefinition=td['taskDefinition']['taskDefinitionArn'])",
        "task definition: arn:aws:ecs:",
    )
    .await;
    refused_after(
        &context,
        "client('ssm').put_parameter(Name='/web/db-password', Value='rotated', Type='SecureString', Overwrite=True)",
        "secret ssm:/web/db-password: its value changed",
    )
    .await;
}

#[tokio::test]
async fn bad_plan_files_are_refused_clearly() {
    let context = setup().await;
    assert_success(&context.run(&["deploy", "--plan-out", "plan.json"], &CHANGE));
    let plan = std::fs::read_to_string(context.path("plan.json")).expect("plan file");

    context.write("tampered.json", &plan.replace("nginx:2", "nginx:evil"));
    assert_failure(
        &context.run(&["apply", "tampered.json"], &[]),
        "integrity check failed",
    );
    context.write("truncated.json", &plan[..plan.len() / 2]);
    assert_failure(
        &context.run(&["apply", "truncated.json"], &[]),
        "the file is truncated",
    );
    context.write(
        "v2.json",
        &plan.replacen("\"version\": 1", "\"version\": 2", 1),
    );
    assert_failure(
        &context.run(&["plan", "show", "v2.json"], &[]),
        "plan format version 2 is not supported",
    );
    context.write("other.json", "{\"kind\": \"something-else\"}");
    assert_failure(
        &context.run(&["apply", "other.json"], &[]),
        "not a ristretto plan",
    );

    // The same cluster and service in another account: refused before anything is compared.
    let other = setup().await;
    std::fs::write(other.path("plan.json"), &plan).expect("copy plan");
    let other_writes = writes(&other).len();
    assert_failure(
        &other.run(&["apply", "plan.json"], &[]),
        &format!("the plan is for account {}", context.account),
    );

    // More than a second later, a 1 s limit refuses the plan.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_failure(
        &context.run(&["apply", "plan.json", "--max-age", "1s"], &[]),
        "more than the limit of 1s",
    );
    assert_eq!(
        writes(&other).len(),
        other_writes,
        "a refused apply wrote to AWS"
    );
    assert_success(&context.run(&["apply", "plan.json"], &[]));
}

const FLEET_CONFIG: &str = "{\n  region: 'ap-northeast-1',\n  cluster: 'e2e',\n  service: std.extVar('SERVICE'),\n  task_definition: 'fleet-td.jsonnet',\n  service_definition: 'fleet-sd.json',\n  timeout: '2m',\n}\n";
const FLEET_TASK_DEFINITION: &str = "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:' + std.extVar('TAG'), memory: 64 }] }\n";
const FLEET: &str = "services:\n  db: {config: service.jsonnet, ext_str: {SERVICE: db}}\n  api: {config: service.jsonnet, ext_str: {SERVICE: api}, depends_on: [db]}\n";

#[tokio::test]
async fn a_fleet_plan_applies_dependencies_first() {
    let context = TestContext::with_aws();
    context.write("service.jsonnet", FLEET_CONFIG);
    context.write("fleet-td.jsonnet", FLEET_TASK_DEFINITION);
    context.write(
        "fleet-sd.json",
        r#"{"launchType": "EC2", "desiredCount": 1}"#,
    );
    context.write("ristretto-fleet.yml", FLEET);
    context.create_cluster().await;
    assert_success(&context.run(&["fleet", "deploy", "--ext-str", "TAG=1"], &[]));
    let output = context.run(
        &[
            "fleet",
            "deploy",
            "--ext-str",
            "TAG=2",
            "--plan-out",
            "fleet-plan.json",
        ],
        &[],
    );
    assert_success(&output);
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(context.path("fleet-plan.json")).expect("plan file"),
    )
    .expect("JSON");
    let order: Vec<&str> = plan["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["service"].as_str())
        .collect();
    assert_eq!(order, ["db", "api"]);

    assert_success(&context.run(&["apply", "fleet-plan.json"], &[]));
    let (db_created, db_finished) = newest_deployment(&context, "db").await;
    let (api_created, _) = newest_deployment(&context, "api").await;
    assert!(db_finished > db_created, "db's deployment finished");
    assert!(
        api_created >= db_finished,
        "api's deployment started before its dependency db's finished"
    );
    for name in ["db", "api"] {
        let service = context.service(name).await;
        assert!(
            service
                .task_definition()
                .unwrap_or_default()
                .ends_with(&format!("{name}:2")),
            "{name}: {:?}",
            service.task_definition()
        );
    }
}

/// When the newest deployment of `service` was created and finished (ns).
async fn newest_deployment(context: &TestContext, service: &str) -> (i128, i128) {
    let ecs = context.ecs().await;
    let list = ecs
        .list_service_deployments()
        .cluster("e2e")
        .service(service)
        .send()
        .await
        .expect("list deployments");
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
    described
        .service_deployments()
        .iter()
        .map(|d| {
            (
                d.created_at().map(|t| t.as_nanos()).unwrap_or_default(),
                d.finished_at().map(|t| t.as_nanos()).unwrap_or_default(),
            )
        })
        .max()
        .unwrap_or_default()
}

/// Prints the size of a plan of examples/web (one new image) and the time of `apply` versus
/// `deploy` for it (a benchmark: printed, not asserted).
#[tokio::test]
async fn examples_web_plan_size_and_apply_time() {
    let context = TestContext::with_aws();
    for file in [
        "ecspresso.yml",
        "ecs-task-def.jsonnet",
        "ecs-service-def.jsonnet",
        "common.libsonnet",
    ] {
        let content = std::fs::read_to_string(repo_root().join("examples/web").join(file))
            .expect("examples/web file");
        context.write(file, &content);
    }
    context.create_cluster().await;
    let (subnets, group) = context.default_network();
    let subnets = subnets.join(",");
    let env = [
        ("CLUSTER", "e2e"),
        ("APP_ENV", "production"),
        ("SUBNET_IDS", subnets.as_str()),
        ("SECURITY_GROUP_ID", group.as_str()),
    ];
    let deploy = |tag: &str| -> Vec<String> {
        [
            "--ext-str",
            &format!("IMAGE_TAG={tag}"),
            "--ext-code",
            "REPLICAS=2",
            "deploy",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let run = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        context.run(&args, &env)
    };
    assert_success(&run(&deploy("1")));
    let mut plan_args = deploy("2");
    plan_args.extend(["--plan-out".to_owned(), "plan.json".to_owned()]);
    assert_success(&run(&plan_args));
    let size = std::fs::metadata(context.path("plan.json"))
        .expect("plan file")
        .len();
    let started = Instant::now();
    assert_success(&context.run(&["apply", "plan.json"], &env));
    let apply_time = started.elapsed();
    let started = Instant::now();
    assert_success(&run(&deploy("3")));
    let deploy_time = started.elapsed();
    assert!(
        context
            .service("web")
            .await
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:3")
    );
    println!(
        "examples/web: plan {size} bytes; apply {:.2} s, deploy {:.2} s (one new image each)",
        apply_time.as_secs_f64(),
        deploy_time.as_secs_f64()
    );
}
