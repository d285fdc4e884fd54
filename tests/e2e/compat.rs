//! ecspresso's own test suite, translated to the command line (#15): each directory under
//! tests/compat/<go_test>__<case>/ reproduces one assertion of a kayac/ecspresso Go test that is
//! visible from outside the binary. Its `case.json` names the Go test and the fixture it
//! reproduces, the arguments and environment, the setup (ristretto commands with their own
//! environment, AWS calls made with boto3, emulator control calls) and what must hold afterwards: exit status, text on
//! stdout/stderr, a JSON subset of stdout, files written, the AWS calls the emulator recorded
//! during the command, and AWS state read back with an independent client (boto3). The other
//! files of the directory (and of `tests/compat/_fixtures/<base>/` when `base` is set) are the
//! fixture, copied into the case's temp dir; `__SUBNET__` and `__SECURITY_GROUP__` in them
//! become the emulator account's default network (`__SUBNET2__` its second subnet); `__ENDPOINT__`,
//! `__ACCOUNT__`, `__ACCESS_KEY__` and `__DIR__` in fixtures, arguments and environment become
//! the emulator's endpoint, the case's account, its access key and its temp dir. One test runs every case and reports every
//! failing case by name; `RISTRETTO_COMPAT=NAME` runs only the cases whose name contains NAME.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde_json::Value;

use crate::support::{REGION, TestContext, repo_root, text};

/// One case.json.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The Go test function (and table entry) reproduced, e.g. `TestParseCLIv2`.
    go_test: String,
    /// The ecspresso fixture or table row this case stands for, e.g. `tests/td-plain.json`.
    fixture: String,
    /// Shared fixture files under tests/compat/_fixtures/ copied before the case's own.
    #[serde(default)]
    base: Option<String>,
    /// Arguments of the command under test.
    args: Vec<String>,
    /// Extra environment; `null` removes a variable the harness sets (e.g. AWS_REGION).
    #[serde(default)]
    env: BTreeMap<String, Option<String>>,
    /// Whether the case needs the AWS emulator (its own account).
    #[serde(default)]
    emulator: bool,
    /// Steps run before the command, in order.
    #[serde(default)]
    setup: Vec<Step>,
    /// What must hold.
    #[serde(default)]
    expect: Expect,
    /// AWS state after the command, read with boto3.
    #[serde(default)]
    aws: Vec<AwsCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    /// `ristretto ARGS`, which must succeed.
    #[serde(default)]
    ristretto: Option<Vec<String>>,
    /// Environment for that ristretto step.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// boto3 calls: `{"client": "ecs", "call": "create_cluster", "params": {...}}`.
    #[serde(default)]
    aws: Vec<AwsCall>,
    /// An emulator control call: `{"path": "/_emulator/...", "body": {...}}`.
    #[serde(default)]
    control: Option<Control>,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
struct AwsCall {
    client: String,
    call: String,
    #[serde(default)]
    params: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Control {
    path: String,
    body: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AwsCheck {
    #[serde(flatten)]
    call: AwsCall,
    /// Dot path into the response (`services.0.tags`); empty for the whole response.
    #[serde(default)]
    path: String,
    /// The value found there must contain this (objects: these keys; arrays: these items,
    /// each matched as a subset of some item; scalars: equal).
    #[serde(default)]
    subset: Option<Value>,
    /// The value found there must not contain this.
    #[serde(default)]
    not_subset: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Exit status (default 0).
    #[serde(default)]
    exit: i32,
    #[serde(default)]
    stdout_contains: Vec<String>,
    #[serde(default)]
    stdout_not_contains: Vec<String>,
    #[serde(default)]
    stderr_contains: Vec<String>,
    #[serde(default)]
    stderr_not_contains: Vec<String>,
    /// stdout parsed as JSON (or YAML) must contain this subset.
    #[serde(default)]
    stdout_json_subset: Option<Value>,
    /// stdout parsed as JSON must not contain this subset.
    #[serde(default)]
    stdout_json_not_subset: Option<Value>,
    /// How many stdout lines start with each prefix (e.g. `-` for removed diff lines).
    #[serde(default)]
    stdout_lines_starting: BTreeMap<String, usize>,
    /// Files (relative to the case's temp dir) that must exist and contain these strings.
    #[serde(default)]
    files_contain: BTreeMap<String, Vec<String>>,
    /// Files that must not exist afterwards.
    #[serde(default)]
    files_absent: Vec<String>,
    /// How many times each AWS operation was called during the command (emulator log).
    #[serde(default)]
    calls: BTreeMap<String, usize>,
    /// Who signed every call of each operation during the command: `caller` (the case's own
    /// access key) or `other` (another key, e.g. one STS AssumeRole issued); at least one call.
    #[serde(default)]
    signed_by: BTreeMap<String, String>,
}

#[test]
fn ecspresso_test_suite() {
    let root = repo_root().join("tests/compat");
    let only = std::env::var("RISTRETTO_COMPAT").ok();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.json").is_file())
        .filter(|p| only.as_deref().is_none_or(|o| name(p).contains(o)))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", root.display());
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 6);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(index) else { break };
                    if let Err(problem) = run_case(case)
                        && let Ok(mut failures) = failures.lock()
                    {
                        failures.push(format!("=== {}\n{problem}", name(case)));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_default();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} ecspresso compatibility cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn name(case: &Path) -> String {
    case.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run_case(dir: &Path) -> Result<(), String> {
    let json = std::fs::read_to_string(dir.join("case.json")).map_err(|e| e.to_string())?;
    let case: Case = serde_json::from_str(&json).map_err(|e| format!("case.json: {e}"))?;
    if case.go_test.is_empty() || case.fixture.is_empty() {
        return Err("case.json must name go_test and fixture".to_owned());
    }
    let context = if case.emulator {
        TestContext::with_aws()
    } else {
        TestContext::offline()
    };
    let network = if case.emulator && needs_network(dir, case.base.as_deref()) {
        Some(context.default_network())
    } else {
        None
    };
    if let Some(base) = &case.base {
        copy_fixture(
            &repo_root().join("tests/compat/_fixtures").join(base),
            &context,
            network.as_ref(),
        )?;
    }
    copy_fixture(dir, &context, network.as_ref())?;

    for (index, step) in case.setup.iter().enumerate() {
        if let Some(args) = &step.ristretto {
            // Setup steps get only their own `env`, not the case's.
            let mut command = command(&context, &case, false);
            command.args(args);
            for (key, value) in &step.env {
                command.env(key, value);
            }
            let output = command.output().map_err(|e| e.to_string())?;
            if !output.status.success() {
                return Err(format!(
                    "setup step {index} `ristretto {}` failed:\n{}",
                    args.join(" "),
                    text(&output.stderr)
                ));
            }
        }
        if !step.aws.is_empty() {
            boto3(&context, &step.aws).map_err(|e| format!("setup step {index}: {e}"))?;
        }
        if let Some(control) = &step.control {
            context.control(&control.path, control.body.clone());
        }
    }

    let before = if case.emulator {
        operation_counts(&context)
    } else {
        BTreeMap::new()
    };
    let calls_before = if case.emulator {
        context.calls("").len()
    } else {
        0
    };
    let mut command = command(&context, &case, true);
    command.args(case.args.iter().map(|a| substitute(a, &context)));
    let output = command.output().map_err(|e| e.to_string())?;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    let mut problems = Vec::new();
    let code = output.status.code().unwrap_or(-1);
    if code != case.expect.exit {
        problems.push(format!("exit {code}, expected {}", case.expect.exit));
    }
    for needle in &case.expect.stdout_contains {
        if !stdout.contains(needle.as_str()) {
            problems.push(format!("stdout lacks {needle:?}"));
        }
    }
    for needle in &case.expect.stdout_not_contains {
        if stdout.contains(needle.as_str()) {
            problems.push(format!("stdout has {needle:?}"));
        }
    }
    for needle in &case.expect.stderr_contains {
        if !stderr.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    for needle in &case.expect.stderr_not_contains {
        if stderr.contains(needle.as_str()) {
            problems.push(format!("stderr has {needle:?}"));
        }
    }
    if case.expect.stdout_json_subset.is_some() || case.expect.stdout_json_not_subset.is_some() {
        match parse_document(&stdout) {
            Some(actual) => {
                if let Some(expected) = &case.expect.stdout_json_subset
                    && !contains(&actual, expected)
                {
                    problems.push(format!("stdout JSON lacks the subset {expected}"));
                }
                if let Some(unwanted) = &case.expect.stdout_json_not_subset
                    && contains(&actual, unwanted)
                {
                    problems.push(format!("stdout JSON has {unwanted}"));
                }
            }
            None => problems.push("stdout is not one JSON or YAML document".to_owned()),
        }
    }
    for (prefix, expected) in &case.expect.stdout_lines_starting {
        let count = stdout
            .lines()
            .filter(|l| l.starts_with(prefix.as_str()))
            .count();
        if count != *expected {
            problems.push(format!(
                "{count} stdout lines start with {prefix:?}, expected {expected}"
            ));
        }
    }
    for (file, needles) in &case.expect.files_contain {
        match std::fs::read_to_string(context.path(file)) {
            Ok(content) => {
                for needle in needles {
                    if !content.contains(needle.as_str()) {
                        problems.push(format!("{file} lacks {needle:?}:\n{content}"));
                    }
                }
            }
            Err(e) => problems.push(format!("{file}: {e}")),
        }
    }
    for file in &case.expect.files_absent {
        if context.path(file).exists() {
            problems.push(format!("{file} exists"));
        }
    }
    if !case.expect.calls.is_empty() {
        let after = operation_counts(&context);
        for (operation, expected) in &case.expect.calls {
            let made = after.get(operation).copied().unwrap_or(0)
                - before.get(operation).copied().unwrap_or(0);
            if made != *expected {
                problems.push(format!(
                    "{operation} called {made} times, expected {expected}"
                ));
            }
        }
    }
    if !case.expect.signed_by.is_empty() {
        let made: Vec<Value> = context.calls("").into_iter().skip(calls_before).collect();
        problems.extend(signers(
            &made,
            &case.expect.signed_by,
            &context.access_key_id(),
        ));
    }
    if !case.aws.is_empty() {
        let calls: Vec<AwsCall> = case.aws.iter().map(|c| c.call.clone()).collect();
        match boto3(&context, &calls) {
            Ok(responses) => {
                for (check, response) in case.aws.iter().zip(responses) {
                    let found = at_path(&response, &check.path);
                    let label = format!(
                        "{}.{}({}) at `{}`",
                        check.call.client, check.call.call, check.call.params, check.path
                    );
                    match (found, &check.subset) {
                        (Some(found), Some(expected)) if !contains(found, expected) => {
                            problems.push(format!("AWS {label} is {found}, lacks {expected}"))
                        }
                        (None, Some(_)) => {
                            problems.push(format!("AWS {label}: nothing there in {response}"))
                        }
                        _ => {}
                    }
                    if let (Some(found), Some(unwanted)) = (found, &check.not_subset)
                        && contains(found, unwanted)
                    {
                        problems.push(format!("AWS {label} is {found}, has {unwanted}"));
                    }
                }
            }
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} ({}; {})\n`ristretto {}`\n{}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            case.go_test,
            case.fixture,
            dir.display(),
            case.args.join(" "),
            problems.join("\n")
        ))
    }
}

/// `ristretto` in the case's temp dir, with the case's environment when `with_env`.
fn command(context: &TestContext, case: &Case, with_env: bool) -> Command {
    let mut command = context.ristretto();
    if !case.emulator {
        // Offline cases never reach AWS: a refused port instead of the real endpoints.
        command
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "AKIAOFFLINE000000000")
            .env("AWS_SECRET_ACCESS_KEY", "offline")
            .env("AWS_MAX_ATTEMPTS", "1");
    }
    for (key, value) in case.env.iter().filter(|_| with_env) {
        match value {
            Some(value) => command.env(key, substitute(value, context)),
            None => command.env_remove(key),
        };
    }
    command
}

/// Replaces `__ENDPOINT__`, `__ACCOUNT__` and `__ACCESS_KEY__` (the emulator and the case's
/// account) and `__DIR__` (the case's temp dir) in `text`.
fn substitute(text: &str, context: &TestContext) -> String {
    text.replace(
        "__ENDPOINT__",
        context.endpoint.as_deref().unwrap_or_default(),
    )
    .replace("__ACCESS_KEY__", &context.access_key_id())
    .replace("__ACCOUNT__", &context.account)
    .replace("__DIR__", &context.dir.path().display().to_string())
}

fn needs_network(dir: &Path, base: Option<&str>) -> bool {
    let mut dirs = vec![dir.to_path_buf()];
    if let Some(base) = base {
        dirs.push(repo_root().join("tests/compat/_fixtures").join(base));
    }
    dirs.iter().any(|d| {
        walk(d)
            .iter()
            .any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("__SUBNET")))
    })
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Copies the fixture files of `from` (all but case.json) into `to`.
fn copy_fixture(
    from: &Path,
    context: &TestContext,
    network: Option<&(Vec<String>, String)>,
) -> Result<(), String> {
    let to = context.dir.path();
    for file in walk(from) {
        let relative = file.strip_prefix(from).map_err(|e| e.to_string())?;
        if relative == Path::new("case.json") {
            continue;
        }
        let target = to.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut content = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        if let Ok(text) = String::from_utf8(content.clone()) {
            content = substitute(&text, context).into_bytes();
        }
        if let Some((subnets, group)) = network
            && let Ok(text) = String::from_utf8(content.clone())
        {
            content = text
                .replace("__SUBNET2__", subnets.get(1).map_or("", String::as_str))
                .replace("__SUBNET__", subnets.first().map_or("", String::as_str))
                .replace("__SECURITY_GROUP__", group)
                .into_bytes();
        }
        std::fs::write(&target, content).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs each call of argv[4] (JSON) with boto3 and prints the responses as one JSON list. The
/// pseudo call `describe_run_tasks` (params: `cluster`) describes every task of the cluster
/// that no service started, with tags: what `run` launched.
const BOTO3_SCRIPT: &str = r#"
import boto3, json, sys
out = []
for c in json.loads(sys.argv[4]):
    client = boto3.client(c['client'], endpoint_url=sys.argv[1], region_name=sys.argv[2],
                          aws_access_key_id=sys.argv[3], aws_secret_access_key='x')
    params = c.get('params') or {}
    if c['call'] == 'describe_run_tasks':
        arns = []
        for status in ('RUNNING', 'STOPPED'):
            arns += client.list_tasks(cluster=params['cluster'], desiredStatus=status)['taskArns']
        tasks = client.describe_tasks(cluster=params['cluster'], tasks=arns, include=['TAGS'])['tasks'] if arns else []
        r = {'tasks': [t for t in tasks if not t.get('group', '').startswith('service:')
                       and not t.get('startedBy', '').startswith('ecs-svc')]}
    else:
        r = getattr(client, c['call'])(**params)
    r.pop('ResponseMetadata', None)
    out.append(r)
print(json.dumps(out, default=str))
"#;

/// Runs boto3 calls as the case's account and returns their responses.
fn boto3(context: &TestContext, calls: &[AwsCall]) -> Result<Vec<Value>, String> {
    let endpoint = context
        .endpoint
        .clone()
        .ok_or("an AWS step in an offline case")?;
    let venv = std::env::var_os("RISTRETTO_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/emulator/.venv"));
    let script = BOTO3_SCRIPT;
    let calls_json = serde_json::to_string(calls).map_err(|e| e.to_string())?;
    let output = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            script,
            &endpoint,
            REGION,
            &context.access_key_id(),
            &calls_json,
        ])
        .output()
        .map_err(|e| format!("run the emulator's python: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "boto3 {calls_json} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("boto3 output: {e}"))
}

/// What differs from `expected` (operation → `caller`/`other`) in who signed the `made` calls.
fn signers(made: &[Value], expected: &BTreeMap<String, String>, caller: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (operation, who) in expected {
        let keys: Vec<&str> = made
            .iter()
            .filter(|c| c["operation"].as_str() == Some(operation.as_str()))
            .map(|c| c["access_key"].as_str().unwrap_or_default())
            .collect();
        let wrong = keys.iter().any(|key| match who.as_str() {
            "caller" => *key != caller,
            _ => *key == caller || key.is_empty(),
        });
        if keys.is_empty() || wrong {
            problems.push(format!(
                "{operation} should be signed by the {who} key ({caller} is the caller's): {keys:?}"
            ));
        }
    }
    problems
}

/// How many times each operation was called in the case's account so far.
fn operation_counts(context: &TestContext) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in context.calls("") {
        if let Some(operation) = call.get("operation").and_then(Value::as_str) {
            *counts.entry(operation.to_owned()).or_default() += 1;
        }
    }
    counts
}

/// stdout as one JSON document, else as YAML (render config, appspec).
fn parse_document(stdout: &str) -> Option<Value> {
    serde_json::from_str(stdout)
        .ok()
        .or_else(|| serde_yaml_ng::from_str::<Value>(stdout).ok())
}

fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(value, |v, key| match v {
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(map) => map.get(key),
            _ => None,
        })
}

/// `actual` contains `expected`: objects by key (recursively), arrays when every expected item
/// is contained in some actual item, scalars by equality; an expected string `~TEXT` matches a
/// string containing TEXT (for ARNs with the account id).
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v))),
        (Value::Array(a), Value::Array(e)) => {
            e.iter().all(|ev| a.iter().any(|av| contains(av, ev)))
        }
        (Value::String(a), Value::String(e)) if e.starts_with('~') => a.contains(&e[1..]),
        (a, e) => a == e,
    }
}
