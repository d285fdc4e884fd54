//! Fleets through the binary against the emulator: 8 services in 3 dependency levels deploy
//! in order (checked on the emulator's records: a service is created only after its
//! dependencies' deployments finished), a failing service stops its dependents and leaves the
//! independent ones deployed, and cycles are rejected before anything runs.

use std::collections::BTreeMap;

use crate::support::{TestContext, assert_failure, assert_success, text};

const SERVICE_CONFIG: &str = "{\n  region: 'ap-northeast-1',\n  cluster: 'e2e',\n  service: std.extVar('SERVICE'),\n  task_definition: 'td.jsonnet',\n  service_definition: 'sd.json',\n  timeout: '2m',\n}\n";
const TASK_DEFINITION: &str = "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 64 }] }\n";
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1}"#;

const FLEET: &str = "concurrency: 3\nservices:\n  db: {config: service.jsonnet, ext_str: {SERVICE: db}}\n  cache: {config: service.jsonnet, ext_str: {SERVICE: cache}}\n  api: {config: service.jsonnet, ext_str: {SERVICE: api}, depends_on: [db, cache]}\n  auth: {config: service.jsonnet, ext_str: {SERVICE: auth}, depends_on: [db]}\n  worker: {config: service.jsonnet, ext_str: {SERVICE: worker}, depends_on: [cache]}\n  web: {config: service.jsonnet, ext_str: {SERVICE: web}, depends_on: [api, auth]}\n  admin: {config: service.jsonnet, ext_str: {SERVICE: admin}, depends_on: [api]}\n  cron: {config: service.jsonnet, ext_str: {SERVICE: cron}, depends_on: [worker]}\n";

async fn setup() -> TestContext {
    let context = TestContext::with_aws();
    context.write("service.jsonnet", SERVICE_CONFIG);
    context.write("td.jsonnet", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.write("ristretto-fleet.yml", FLEET);
    context.create_cluster().await;
    context
}

fn dependencies() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("db", vec![]),
        ("cache", vec![]),
        ("api", vec!["db", "cache"]),
        ("auth", vec!["db"]),
        ("worker", vec!["cache"]),
        ("web", vec!["api", "auth"]),
        ("admin", vec!["api"]),
        ("cron", vec!["worker"]),
    ])
}

#[tokio::test]
async fn eight_services_in_three_levels_deploy_in_order() {
    let context = setup().await;
    let output = context.run(&["fleet", "deploy"], &[]);
    assert_success(&output);
    let table = text(&output.stdout);
    for service in dependencies().keys() {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(service) && l.contains("deployed")),
            "{service} in\n{table}"
        );
    }
    let ecs = context.ecs().await;
    let mut created = BTreeMap::new();
    let mut finished = BTreeMap::new();
    for service in dependencies().keys() {
        let described = ecs
            .describe_services()
            .cluster("e2e")
            .services(*service)
            .send()
            .await
            .expect("describe");
        let svc = &described.services()[0];
        created.insert(
            *service,
            svc.created_at().map(|t| t.as_nanos()).unwrap_or_default(),
        );
        let list = ecs
            .list_service_deployments()
            .cluster("e2e")
            .service(*service)
            .send()
            .await
            .expect("list");
        let arns: Vec<String> = list
            .service_deployments()
            .iter()
            .filter_map(|d| d.service_deployment_arn().map(str::to_owned))
            .collect();
        let deployments = ecs
            .describe_service_deployments()
            .set_service_deployment_arns(Some(arns))
            .send()
            .await
            .expect("describe deployments");
        let done = deployments
            .service_deployments()
            .iter()
            .filter_map(|d| d.finished_at().map(|t| t.as_nanos()))
            .max()
            .unwrap_or_default();
        finished.insert(*service, done);
    }
    for (service, needs) in dependencies() {
        for need in needs {
            assert!(finished[need] > 0, "{need} finished");
            assert!(
                created[service] >= finished[need],
                "{service} was created before its dependency {need} finished deploying"
            );
        }
    }
    // Status and diff over the whole fleet.
    let diff = context.run(&["fleet", "diff", "--exit-code"], &[]);
    assert_success(&diff);
    let status = context.run(&["fleet", "status"], &[]);
    assert_success(&status);
    assert!(
        text(&status.stdout).contains("=== web\nService: web"),
        "{}",
        text(&status.stdout)
    );
}

#[tokio::test]
async fn a_failure_stops_dependents_and_keeps_independent_services() {
    let context = setup().await;
    context.control(
        "/_emulator/ecs/outcome",
        serde_json::json!({"cluster": "e2e", "service": "api", "outcome": "fail"}),
    );
    let output = context.run(&["fleet", "deploy", "--concurrency", "8"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    // How many others were still to start when api failed depends on timing.
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("of 8 service(s) did not succeed: admin (skipped), api (failed)"),
        "{stderr}"
    );
    let table = text(&output.stdout);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row("api").contains("failed"), "{table}");
    assert!(
        row("web").contains("skipped") && row("admin").contains("skipped"),
        "{table}"
    );
    for independent in ["db", "cache", "auth", "worker"] {
        assert!(
            row(independent).contains("deployed"),
            "{independent}: {table}"
        );
    }
    let ecs = context.ecs().await;
    let services = ecs
        .list_services()
        .cluster("e2e")
        .send()
        .await
        .expect("list");
    let names: Vec<String> = services
        .service_arns()
        .iter()
        .map(|a| a.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    assert!(
        !names.contains(&"web".to_owned()) && !names.contains(&"admin".to_owned()),
        "dependents never created: {names:?}"
    );
    assert!(
        names.contains(&"db".to_owned()) && names.contains(&"auth".to_owned()),
        "{names:?}"
    );
    // Rolling the fleet back: services with nothing to undo (never created, or on their first
    // revision) do not hold back the others.
    let rollback = context.run(&["fleet", "rollback", "--dry-run"], &[]);
    assert_success(&rollback);
    let table = text(&rollback.stdout);
    assert!(!table.contains("skipped"), "{table}");
    assert!(table.contains("nothing to roll back"), "{table}");
}

#[tokio::test]
async fn cycles_and_unknown_names_are_rejected_before_anything_runs() {
    let context = setup().await;
    context.write("ristretto-fleet.yml", "services:\n  a: {config: service.jsonnet, ext_str: {SERVICE: a}, depends_on: [b]}\n  b: {config: service.jsonnet, ext_str: {SERVICE: b}, depends_on: [a]}\n");
    assert_failure(
        &context.run(&["fleet", "deploy"], &[]),
        "dependency cycle among: a -> b -> a",
    );
    context.write(
        "ristretto-fleet.yml",
        "services:\n  a: {config: service.jsonnet, ext_str: {SERVICE: a}, depends_on: [nope]}\n",
    );
    assert_failure(
        &context.run(&["fleet", "deploy"], &[]),
        "depends on `nope`, which is not in the fleet",
    );
    context.write(
        "ristretto-fleet.yml",
        "services:\n  a: {config: missing.yml}\n",
    );
    assert_failure(
        &context.run(&["fleet", "deploy"], &[]),
        "fleet service `a` (missing.yml)",
    );
    context.write("ristretto-fleet.yml", "servces: {}\n");
    assert_failure(
        &context.run(&["fleet", "deploy"], &[]),
        "ristretto-fleet.yml:1:1",
    );
    let ecs = context.ecs().await;
    assert!(
        ecs.list_task_definitions()
            .send()
            .await
            .expect("list")
            .task_definition_arns()
            .is_empty()
    );
}

#[tokio::test]
async fn notify_plugins_hear_each_service_and_one_fleet_summary() {
    let context = setup().await;
    let sink = crate::support::HttpSink::start();
    let host = sink.url.trim_start_matches("http://").to_owned();
    context.write(
        "notified.jsonnet",
        &format!(
            "{{ region: 'ap-northeast-1', cluster: 'e2e', service: std.extVar('SERVICE'), task_definition: 'td.jsonnet', service_definition: 'sd.json',\n  plugins: [{{ path: '{}', config: {{ url: '{}/hook' }}, allow: {{ http: ['{host}'] }} }}] }}\n",
            crate::support::test_plugin("notify-recorder").display(),
            sink.url
        ),
    );
    context.write(
        "ristretto-fleet.yml",
        "services:\n  one: {config: notified.jsonnet, ext_str: {SERVICE: one}}\n  two: {config: notified.jsonnet, ext_str: {SERVICE: two}, depends_on: [one]}\n",
    );
    assert_success(&context.run(&["fleet", "deploy"], &[]));
    let kinds: Vec<String> = sink
        .bodies()
        .iter()
        .filter_map(|b| b["kind"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "deploy-succeeded").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "fleet-finished").count(),
        1,
        "{kinds:?}"
    );
    let summary = sink
        .bodies()
        .into_iter()
        .find(|b| b["kind"] == "fleet-finished")
        .unwrap_or_default();
    assert_eq!(
        summary["details"]["results"].as_array().map(Vec::len),
        Some(2),
        "{summary}"
    );
}

#[tokio::test]
async fn a_dry_run_of_some_services_labels_each_request() {
    let context = setup().await;
    let output = context.run(&["fleet", "deploy", "--dry-run", "--only", "api,web"], &[]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("2 service(s) in 2 level(s): api | web"),
        "only the named services: {stderr}"
    );
    assert!(
        stderr.contains("[api] dry run: CreateService would be called")
            || stderr.contains("[api] dry run: RegisterTaskDefinition would be called"),
        "{stderr}"
    );
    let stdout = text(&output.stdout);
    for service in ["api", "web"] {
        assert!(
            stdout.contains(&format!("\"service\": \"{service}\"")),
            "each request names its service: {stdout}"
        );
    }
    assert!(!stdout.contains("\"service\": \"db\""), "{stdout}");
    assert!(context.calls("RegisterTaskDefinition").is_empty());

    let json = context.run(
        &[
            "fleet",
            "deploy",
            "--dry-run",
            "--only",
            "api,web",
            "--output",
            "json",
        ],
        &[],
    );
    assert_success(&json);
    let document: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("stdout is one JSON document");
    assert_eq!(document["command"], "deploy");
    assert!(
        text(&json.stderr).contains("[api] dry run: "),
        "the requests go to the log: {}",
        text(&json.stderr)
    );
}

#[tokio::test]
async fn two_entries_for_one_service_are_refused() {
    let context = setup().await;
    context.write(
        "ristretto-fleet.yml",
        "services:\n  db: {config: service.jsonnet, ext_str: {SERVICE: db}}\n  db2: {config: service.jsonnet, ext_str: {SERVICE: db}}\n",
    );
    assert_failure(
        &context.run(&["fleet", "deploy"], &[]),
        "`db` and `db2` are the same service (db in cluster e2e); nothing was run",
    );
    assert!(context.calls("RegisterTaskDefinition").is_empty());
}

#[tokio::test]
async fn a_definition_error_in_a_later_service_stops_the_fleet_before_anything_is_deployed() {
    let context = setup().await;
    context.write(
        "td.jsonnet",
        "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: if std.extVar('SERVICE') == 'web' then 'lots' else 64 }] }\n",
    );
    let output = context.run(&["fleet", "deploy"], &[]);
    assert_failure(
        &output,
        "fleet: 1 service(s) have errors in their definitions; nothing was deployed",
    );
    assert!(
        text(&output.stderr)
            .contains("web: td.jsonnet: task definition `containerDefinitions[0].memory`"),
        "{}",
        text(&output.stderr)
    );
    assert!(context.calls("RegisterTaskDefinition").is_empty());
    assert!(context.calls("CreateService").is_empty());
}

#[tokio::test]
async fn read_only_commands_look_at_every_service_whatever_another_found() {
    let context = setup().await;
    let output = context.run(&["fleet", "status"], &[]);
    assert!(!output.status.success());
    let table = text(&output.stdout);
    for service in dependencies().keys() {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(service) && l.contains("failed") && l.contains("not found")),
            "{service} was looked at, not skipped:\n{table}"
        );
    }
}

#[tokio::test]
async fn a_circuit_breaker_rollback_shows_as_rolled_back() {
    let context = setup().await;
    context.write(
        "ristretto-fleet.yml",
        "services:\n  db: {config: service.jsonnet, ext_str: {SERVICE: db}}\n",
    );
    context.write(
        "sd.json",
        r#"{"launchType": "EC2", "desiredCount": 1, "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}"#,
    );
    assert_success(&context.run(&["fleet", "deploy"], &[]));
    context.write(
        "td.jsonnet",
        &TASK_DEFINITION.replace("nginx:1.27", "nginx:1.28"),
    );
    context.control(
        "/_emulator/ecs/outcome",
        serde_json::json!({"cluster": "e2e", "service": "db", "outcome": "fail", "reason": "tasks failed to start"}),
    );
    let output = context.run(&["fleet", "deploy"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("db ") && l.contains("rolled back")),
        "{table}"
    );
}
