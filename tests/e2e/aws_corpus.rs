//! `diff` against answers real AWS gave (issue #16): every case in tests/fixtures/aws-corpus
//! replays a published DescribeServices / DescribeTaskDefinition answer (its source is in the
//! case's `case.json`) through the emulator's `/_emulator/replay`, so ristretto reads it through
//! the AWS SDK exactly as it would read AWS. `diff --exit-code` against the definition files a
//! user would write for that service must find nothing, and the case's `change.json` (a JSON
//! merge patch to one file) must still show as a difference. All failing cases are reported at
//! once.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TestContext, repo_root, text};

fn corpus() -> PathBuf {
    repo_root().join("tests/fixtures/aws-corpus")
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Copies the case's files into the test's directory and arms its replays; returns the case.
fn arm(context: &TestContext, case_dir: &Path) -> Value {
    let case = read_json(&case_dir.join("case.json"));
    for entry in std::fs::read_dir(case_dir).expect("case dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let content = std::fs::read_to_string(entry.path()).expect("case file");
        context.write(&name, &content);
    }
    let replays = case["replay"].as_array().cloned().unwrap_or_default();
    for replay in &replays {
        let response = read_json(&case_dir.join(replay["file"].as_str().expect("replay file")));
        // Without a service (or for one whose task sets hold the task definition, EXTERNAL),
        // `diff` compares with the family's latest revision, which it finds with
        // ListTaskDefinitions: answer that with the replayed task definition's ARN.
        if replay["operation"] == "DescribeTaskDefinition"
            && let Some(arn) = response["taskDefinition"]["taskDefinitionArn"].as_str()
        {
            context.control_any_region(
                "/_emulator/replay",
                serde_json::json!({
                    "operation": "ListTaskDefinitions",
                    "match": {},
                    "response": {"taskDefinitionArns": [arn]},
                }),
            );
        }
        context.control_any_region(
            "/_emulator/replay",
            serde_json::json!({
                "operation": replay["operation"],
                "match": replay["match"],
                "response": response,
            }),
        );
    }
    case
}

/// `diff --exit-code`: its exit code and output.
fn diff(context: &TestContext) -> (Option<i32>, String) {
    let output = context.run(&["diff", "--exit-code"], &[]);
    (
        output.status.code(),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

#[tokio::test]
async fn diff_finds_nothing_between_real_aws_answers_and_the_definitions_users_write() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/fixtures/aws-corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("ecspresso.yml").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "the corpus has {} diffable cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case_dir in &cases {
        let name = case_dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let context = TestContext::with_aws();
        let case = arm(&context, case_dir);
        let (code, output) = diff(&context);
        if code != Some(0) {
            failures.push(format!(
                "{name} ({}): diff of the unchanged definitions exited {code:?}:\n{output}",
                case["source"].as_str().unwrap_or("no source")
            ));
            continue;
        }
        let change = read_json(&case_dir.join("change.json"));
        let file = change["file"].as_str().expect("change.json file");
        let mut definition = read_json(&case_dir.join(file));
        merge_patch(&mut definition, &change["merge_patch"]);
        context.write(
            file,
            &serde_json::to_string_pretty(&definition).expect("json"),
        );
        let (code, output) = diff(&context);
        if code != Some(2) {
            failures.push(format!(
                "{name}: the change in change.json was not reported (exit {code:?}):\n{output}"
            ));
        }
    }
    println!(
        "{} corpus cases replayed, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn deploying_an_unchanged_service_sends_no_attributes_and_starts_no_deployment() {
    let context = TestContext::with_aws();
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\n",
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 128}]}"#,
    );
    context.write(
        "sd.json",
        r#"{"launchType": "EC2", "desiredCount": 1, "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}"#,
    );
    context.create_cluster().await;
    crate::support::assert_success(&context.run(&["deploy"], &[]));
    // The emulator answers with the defaults real ECS adds (kayac/ecspresso#1082).
    let service = context.service("web").await;
    let breaker = service
        .deployment_configuration()
        .and_then(|c| c.deployment_circuit_breaker())
        .expect("circuit breaker");
    assert_eq!(breaker.reset_on_healthy_task(), Some(true), "{breaker:?}");
    assert!(breaker.threshold_configuration().is_some(), "{breaker:?}");
    let deployments = service.deployments().len();
    let before = context.calls("").len();
    // The same definitions again (without desiredCount, which ecspresso always sends when a
    // definition sets it), keeping the task definition: nothing differs but defaults.
    context.write(
        "sd.json",
        r#"{"launchType": "EC2", "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}"#,
    );
    let output = context.run(&["deploy", "--skip-task-definition"], &[]);
    crate::support::assert_success(&output);
    let sequence = context.operations_since(before);
    assert!(
        !sequence.iter().any(|op| op == "UpdateService"),
        "an unchanged deploy sends no UpdateService: {sequence:?}\n{}",
        text(&output.stderr)
    );
    let service = context.service("web").await;
    assert_eq!(
        service.deployments().len(),
        deployments,
        "no new deployment"
    );
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1")
    );
}
