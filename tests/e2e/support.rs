//! Test support: the emulator process (started lazily, once per test binary, stopped when the
//! binary exits), a per-test context with its own temp dir and AWS account, and helpers to run
//! the `ristretto` binary and build an independent AWS client.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

mod gates;
pub mod registry;
mod servers;
pub mod terminal;

pub use gates::{notified_kinds, notify_recorder, runs, scripted_gate, web_config};
pub use servers::{FaultProxy, HttpSink, Reply};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The region every test uses.
pub const REGION: &str = "ap-northeast-1";

/// A running emulator.
pub struct Emulator {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// Kept so the process is not dropped; it ends when this test binary exits (its stdin
    /// closes), see `start`.
    _child: Mutex<Child>,
}

static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();

/// The shared emulator, started on first use.
pub fn emulator() -> &'static Emulator {
    match EMULATOR.get_or_init(start) {
        Ok(emulator) => emulator,
        Err(message) => panic!("cannot start the AWS emulator: {message}"),
    }
}

/// Where the emulator writes the shape violations of its answers during this suite:
/// `RISTRETTO_E2E_SHAPE_LOG`, else target/e2e-shape-violations.jsonl.
pub fn shape_log() -> PathBuf {
    std::env::var_os("RISTRETTO_E2E_SHAPE_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/e2e-shape-violations.jsonl"))
}

/// Starts `tests/emulator/serve PORT` behind a shell that stops it when our stdin pipe closes,
/// which happens when this test process exits for any reason (a static is never dropped).
fn start() -> Result<Emulator, String> {
    let port = free_port()?;
    let serve = repo_root().join("tests/emulator/serve");
    let script = format!(
        "\"{}\" {port} & server=$!; cat >/dev/null; kill $server 2>/dev/null; wait $server 2>/dev/null",
        serve.display()
    );
    // Every answer the emulator gives during the suite is checked against botocore's output
    // shapes; violations are collected in one file that the emulator's own test suite reads
    // (tests/emulator/test_e2e_shapes.py, run after this one by scripts/test-all).
    let shape_log = shape_log();
    // An empty log is the proof that the check ran and found nothing.
    if let Some(parent) = shape_log.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(&shape_log, "");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("RISTRETTO_EMULATOR_SHAPE_CHECK", "1")
        .env("RISTRETTO_EMULATOR_SHAPE_LOG", &shape_log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", serve.display()))?;
    let stderr = child.stderr.take();
    let log = std::sync::Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = stderr {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut log) = log.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
    }
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "emulator exited with {status}: {}",
                log.lock().map(|l| l.clone()).unwrap_or_default()
            ));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("emulator did not answer within 120 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Emulator {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
    })
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

static NEXT_ACCOUNT: AtomicU64 = AtomicU64::new(0);

/// One test's world: a temp dir (also `HOME`), its own AWS account in the emulator.
pub struct TestContext {
    /// Temp dir, removed on drop.
    pub dir: tempfile::TempDir,
    /// 12-digit account id of this test.
    pub account: String,
    /// The emulator endpoint, if the test uses AWS.
    pub endpoint: Option<String>,
}

impl TestContext {
    /// A context without AWS (render tests).
    pub fn offline() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            account: "000000000000".to_owned(),
            endpoint: None,
        }
    }

    /// A context with the emulator and a fresh account.
    pub fn with_aws() -> Self {
        let emulator = emulator();
        let n = NEXT_ACCOUNT.fetch_add(1, Ordering::SeqCst);
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            account: format!(
                "{}",
                200_000_000_000u64 + u64::from(std::process::id()) * 1000 + n
            ),
            endpoint: Some(emulator.endpoint.clone()),
        }
    }

    /// The access key id that selects this test's account in the emulator.
    pub fn access_key_id(&self) -> String {
        format!("AKIA{}", self.account)
    }

    /// Path inside the temp dir.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file into the temp dir (creating parent dirs).
    pub fn write(&self, relative: &str, content: &str) -> PathBuf {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, content).expect("write fixture");
        path
    }

    /// A `ristretto` command run in the temp dir with a clean environment: `PATH`, `HOME` (the
    /// temp dir), and AWS settings pointing at the emulator when there is one.
    pub fn ristretto(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if let Some(endpoint) = &self.endpoint {
            command
                .env("AWS_ENDPOINT_URL", endpoint)
                .env("AWS_ACCESS_KEY_ID", self.access_key_id())
                .env("AWS_SECRET_ACCESS_KEY", "fake-secret-key");
        }
        command
    }

    /// An ECS client for this test's account, independent of the binary under test.
    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        let endpoint = self.endpoint.clone().expect("test context without AWS");
        let credentials = aws_sdk_ecs::config::Credentials::new(
            self.access_key_id(),
            "fake-secret-key",
            None,
            None,
            "e2e",
        );
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }
}

/// Runs `command` and returns its output, panicking only if it cannot be started.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("run ristretto")
}

/// Output as text, with log timestamps replaced by `<TIME>`.
pub fn text(bytes: &[u8]) -> String {
    filter_timestamps(&String::from_utf8_lossy(bytes))
}

/// Replaces RFC 3339 timestamps (`2026-11-26T06:08:21.123Z`) with `<TIME>`.
pub fn filter_timestamps(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if looks_like_timestamp(&bytes[i..]) {
            out.push_str("<TIME>");
            i += 24;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn looks_like_timestamp(b: &[u8]) -> bool {
    const PATTERN: &[u8] = b"dddd-dd-ddTdd:dd:dd.dddZ";
    b.len() >= PATTERN.len()
        && PATTERN.iter().zip(b).all(|(p, c)| match p {
            b'd' => c.is_ascii_digit(),
            other => other == c,
        })
}

/// POSTs a JSON body to the emulator's control API (`/_emulator/...`) and returns the status
/// code and body. Plain HTTP/1.1 over a loopback socket; the emulator answers and closes.
pub fn control(endpoint: &str, path: &str, body: &serde_json::Value) -> (u16, String) {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to emulator");
    let payload = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .expect("send control request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read control response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

impl TestContext {
    /// Calls the emulator's control API for this test's account and region.
    pub fn control(&self, path: &str, mut body: serde_json::Value) -> serde_json::Value {
        let endpoint = self.endpoint.clone().expect("test context without AWS");
        body["account"] = serde_json::Value::from(self.account.clone());
        body["region"] = serde_json::Value::from(REGION);
        let (status, text) = control(&endpoint, path, &body);
        assert_eq!(status, 200, "control {path} failed: {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Calls the emulator's control API for this test's account, in every region (a replayed
    /// answer recorded in another region than the tests').
    pub fn control_any_region(&self, path: &str, mut body: serde_json::Value) -> serde_json::Value {
        let endpoint = self.endpoint.clone().expect("test context without AWS");
        body["account"] = serde_json::Value::from(self.account.clone());
        let (status, text) = control(&endpoint, path, &body);
        assert_eq!(status, 200, "control {path} failed: {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Runs `ristretto ARGS` with extra environment variables and returns the output.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.ristretto();
        command.args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        run(&mut command)
    }

    /// The AWS calls this test's account made, as recorded by the emulator.
    pub fn calls(&self, operation: &str) -> Vec<serde_json::Value> {
        // An empty `operation` lists every call of this test's account.
        let endpoint = self.endpoint.clone().expect("test context without AWS");
        let address = endpoint.trim_start_matches("http://");
        let path = if operation.is_empty() {
            format!("/_emulator/calls?account={}", self.account)
        } else {
            format!(
                "/_emulator/calls?account={}&operation={operation}",
                self.account
            )
        };
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(address).expect("connect");
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        value
            .get("calls")
            .and_then(|c| c.as_array())
            .cloned()
            .or_else(|| value.as_array().cloned())
            .unwrap_or_default()
    }
}

/// Asserts a command succeeded, showing its output otherwise.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "expected success, got {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Asserts a command succeeded and that its stderr (the log) contains `needle`.
pub fn assert_success_saying(output: &Output, needle: &str) {
    assert_success(output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(needle),
        "stderr lacks {needle:?}:\n{stderr}"
    );
}

/// Asserts a command failed with exit code 1 and that stderr contains `needle`.
pub fn assert_failure(output: &Output, needle: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected exit 1\n--- stderr\n{stderr}"
    );
    assert!(
        stderr.contains(needle),
        "stderr lacks {needle:?}:\n{stderr}"
    );
}

impl TestContext {
    /// The default VPC's subnet ids and default security group of this test's account (the
    /// emulator validates them in CreateService), read with boto3 from the emulator's venv.
    pub fn default_network(&self) -> (Vec<String>, String) {
        let endpoint = self.endpoint.clone().expect("test context without AWS");
        let venv = std::env::var_os("RISTRETTO_EMULATOR_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("tests/emulator/.venv"));
        let script = "import boto3, json, sys\n\
            ec2 = boto3.client('ec2', endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id=sys.argv[3], aws_secret_access_key='x')\n\
            subnets = sorted(s['SubnetId'] for s in ec2.describe_subnets()['Subnets'])[:2]\n\
            group = ec2.describe_security_groups(GroupNames=['default'])['SecurityGroups'][0]['GroupId']\n\
            print(json.dumps([subnets, group]))\n";
        let output = Command::new(venv.join("bin/python"))
            .args(["-c", script, &endpoint, REGION, &self.access_key_id()])
            .output()
            .expect("run the emulator's python");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("network json")
    }
}

static TEST_PLUGINS: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// Builds the cargo workspace at `manifest` (relative to the repository) for wasm32-wasip2 in
/// release mode into `target/<target_dir>`, and returns the directory of the `.wasm` files.
fn build_wasm_workspace(manifest: &str, target_dir: &str) -> Result<PathBuf, String> {
    let root = repo_root();
    let target = root.join("target").join(target_dir);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(root.join(manifest))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building {manifest} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target.join("wasm32-wasip2/release"))
}

/// The directory with the test plugins (tests/plugins), built once per test binary.
pub fn test_plugins() -> &'static Path {
    match TEST_PLUGINS.get_or_init(|| build_wasm_workspace("tests/plugins/Cargo.toml", "plugins")) {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// The path of test plugin `name` (crate name with dashes).
pub fn test_plugin(name: &str) -> PathBuf {
    test_plugins().join(format!("{}.wasm", name.replace('-', "_")))
}

static FIRST_PARTY_PLUGINS: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The path of first-party plugin `name` (plugins/), built once per test binary.
pub fn first_party_plugin(name: &str) -> PathBuf {
    match FIRST_PARTY_PLUGINS.get_or_init(|| build_wasm_workspace("plugins/Cargo.toml", "plugins"))
    {
        Ok(dir) => dir.join(format!("{}.wasm", name.replace('-', "_"))),
        Err(message) => panic!("{message}"),
    }
}

impl TestContext {
    /// The service `name` in cluster `e2e` as this test's account sees it (with tags).
    pub async fn service(&self, name: &str) -> aws_sdk_ecs::types::Service {
        let output = self
            .ecs()
            .await
            .describe_services()
            .cluster("e2e")
            .services(name)
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .expect("describe services");
        output
            .services()
            .first()
            .cloned()
            .expect("the service exists")
    }
}

impl TestContext {
    /// Runs a boto3 snippet against the emulator as this test's account (`client(name)` makes a
    /// client), with the emulator's venv python; panics with its stderr on failure.
    pub fn boto3(&self, code: &str) {
        let endpoint = self.endpoint.clone().expect("test context without AWS");
        let venv = std::env::var_os("RISTRETTO_EMULATOR_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("tests/emulator/.venv"));
        let script = format!(
            "import boto3, sys\ndef client(name):\n    return boto3.client(name, endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id=sys.argv[3], aws_secret_access_key='x')\n{code}\n"
        );
        let output = Command::new(venv.join("bin/python"))
            .args(["-c", &script, &endpoint, REGION, &self.access_key_id()])
            .output()
            .expect("run the emulator's python");
        assert!(
            output.status.success(),
            "boto3 snippet failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// `tags` as (key, value) pairs, sorted.
pub fn tag_pairs(tags: &[aws_sdk_ecs::types::Tag]) -> Vec<(String, String)> {
    let mut out: Vec<_> = tags
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

impl TestContext {
    /// The tags of task definition `name` (`family:revision`), as sorted (key, value) pairs.
    pub async fn task_definition_tags(&self, name: &str) -> Vec<(String, String)> {
        let output = self
            .ecs()
            .await
            .describe_task_definition()
            .task_definition(name)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await
            .expect("describe task definition");
        tag_pairs(output.tags())
    }

    /// The status (`ACTIVE`, `INACTIVE`) of task definition `name` (`family:revision`).
    pub async fn task_definition_status(&self, name: &str) -> Option<String> {
        let output = self
            .ecs()
            .await
            .describe_task_definition()
            .task_definition(name)
            .send()
            .await
            .ok()?;
        output
            .task_definition()
            .and_then(|t| t.status())
            .map(|s| s.as_str().to_owned())
    }

    /// Creates ECS cluster `e2e` in this test's account.
    pub async fn create_cluster(&self) {
        self.ecs()
            .await
            .create_cluster()
            .cluster_name("e2e")
            .send()
            .await
            .expect("create cluster");
    }
}
