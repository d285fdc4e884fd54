//! `tfstate` states in Azure blobs (`azurerm://`), Google Cloud Storage (`gs://`) and Terraform
//! Cloud (`remote://`), read from real servers each test starts on loopback: Azurite's blob
//! service (npm, tests/servers/package.json), gcp-storage-emulator (PyPI, the emulator venv) and
//! tests/servers/tfc_server.py (the Terraform Cloud state-version API). States are uploaded with
//! independent clients (tests/servers/put_state.py); ristretto finds the servers only through
//! the settings the real tools read: `AZURE_STORAGE_CONNECTION_STRING`, `STORAGE_EMULATOR_HOST`,
//! and a `remote://HOST:PORT` URL with `SSL_CERT_FILE` trusting the server's CA. A server that
//! cannot start fails the test with its output.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{TestContext, assert_failure, assert_success, repo_root, text};

/// A state with the role each test looks up; `ARN` differs per backend.
fn state(arn: &str) -> String {
    format!(
        r#"{{"version": 4, "terraform_version": "1.9.0", "serial": 2, "lineage": "backends",
  "outputs": {{}},
  "resources": [{{"mode": "managed", "type": "aws_iam_role", "name": "x", "provider": "p",
    "instances": [{{"attributes": {{"arn": "{arn}"}}}}]}}]}}"#
    )
}

/// A server process, killed when dropped (also when the test panics).
struct Server {
    child: Child,
    /// What the server printed while starting.
    log: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `command` and waits (60 s at most) for an output line for which `ready` gives a
    /// value; panics with the server's output when it exits or never gets ready.
    fn start<T>(name: &str, mut command: Command, ready: impl Fn(&str) -> Option<T>) -> (Self, T) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (sender, lines) = mpsc::channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let sender = sender.clone();
            // Keeps draining after start-up so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        drop(sender);
        let mut server = Self {
            child,
            log: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    server.log.push_str(&line);
                    server.log.push('\n');
                    if let Some(value) = ready(&line) {
                        return (server, value);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait();
                    panic!(
                        "{name} exited ({status:?}) before it was ready:\n{}",
                        server.log
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("{name} was not ready within 60 s:\n{}", server.log)
                }
            }
        }
    }
}

/// Runs an idempotent setup script of the repository, once per test binary.
fn setup(script: &'static str) {
    static DONE: OnceLock<std::sync::Mutex<Vec<&'static str>>> = OnceLock::new();
    let done = DONE.get_or_init(Default::default);
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    if done.contains(&script) {
        return;
    }
    let output = Command::new(repo_root().join(script))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        text(&output.stderr)
    );
    done.push(script);
}

fn venv_python() -> PathBuf {
    setup("tests/emulator/setup-venv");
    std::env::var_os("RISTRETTO_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/emulator/.venv"))
        .join("bin/python")
}

/// Uploads `content` with tests/servers/put_state.py `KIND ARGS… FILE`.
fn put_state(context: &TestContext, kind: &str, args: &[&str], content: &str) -> String {
    let file = context.write(&format!("upload-{kind}.tfstate"), content);
    let output = Command::new(venv_python())
        .arg(repo_root().join("tests/servers/put_state.py"))
        .arg(kind)
        .args(args)
        .arg(&file)
        .output()
        .expect("run put_state.py");
    assert!(
        output.status.success(),
        "put_state.py {kind} failed:\n{}",
        text(&output.stderr)
    );
    text(&output.stdout).trim().to_owned()
}

/// A config whose task definition's role comes from the state at `url`.
fn write_config(context: &TestContext, url: &str) {
    context.write(
        "ecspresso.yml",
        &format!(
            "region: ap-northeast-1\ncluster: default\nservice: web\ntask_definition: td.json\n\
             plugins:\n  - name: tfstate\n    config:\n      url: {url}\n"
        ),
    );
    context.write(
        "td.json",
        "{\n  \"family\": \"web\",\n  \"taskRoleArn\": \"{{ tfstate `aws_iam_role.x.arn` }}\"\n}\n",
    );
}

/// `ristretto render taskdef` with the state at `url`.
fn render(context: &TestContext, url: &str, env: &[(&str, &str)]) -> Output {
    write_config(context, url);
    context.run(&["render", "taskdef"], env)
}

fn assert_role(output: &Output, arn: &str) {
    assert_success(output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("\"taskRoleArn\": \"{arn}\"")),
        "{arn} in:\n{stdout}"
    );
}

#[test]
fn tfstate_from_azure_blobs_in_azurite() {
    setup("tests/servers/setup");
    let context = TestContext::offline();
    let account = "tfstates";
    // Base64 of 32 bytes: Azurite checks SharedKey signatures with this account key.
    let key = "dGZzdGF0ZS1iYWNrZW5kcy10ZXN0LWFjY291bnQta2V5";
    let mut azurite =
        Command::new(repo_root().join("tests/servers/node_modules/.bin/azurite-blob"));
    azurite
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "0",
            "--inMemoryPersistence",
        ])
        .args(["--skipApiVersionCheck", "--disableProductStyleUrl"])
        .current_dir(context.dir.path())
        .env("AZURITE_ACCOUNTS", format!("{account}:{key}"));
    let (_azurite, endpoint) = Server::start("Azurite", azurite, |line| {
        line.split_once("successfully listens on ")
            .map(|(_, url)| url.trim().to_owned())
    });
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};\
         BlobEndpoint={endpoint}/{account};"
    );
    let arn = "arn:aws:iam::123456789012:role/from-azure";
    put_state(
        &context,
        "azure",
        &[&connection, "states", "env/web.tfstate"],
        &state(arn),
    );
    let env = [("AZURE_STORAGE_CONNECTION_STRING", connection.as_str())];

    let url = format!("azurerm://rg/{account}/states/env/web.tfstate");
    assert_role(&render(&context, &url, &env), arn);
    // The same account key from AZURE_STORAGE_ACCESS_KEY, the endpoint from the connection
    // string without a key.
    let endpoint_only = format!("AccountName={account};BlobEndpoint={endpoint}/{account};");
    let output = render(
        &context,
        &url,
        &[
            ("AZURE_STORAGE_CONNECTION_STRING", endpoint_only.as_str()),
            ("AZURE_STORAGE_ACCESS_KEY", key),
        ],
    );
    assert_role(&output, arn);
    // A shared access signature instead of the key.
    let sas = put_state(
        &context,
        "azure-sas",
        &[&connection, "states", "env/web.tfstate"],
        "",
    );
    let with_sas = format!("{endpoint_only}SharedAccessSignature={sas};");
    let output = render(
        &context,
        &url,
        &[("AZURE_STORAGE_CONNECTION_STRING", with_sas.as_str())],
    );
    assert_role(&output, arn);

    let missing = format!("azurerm://rg/{account}/states/env/none.tfstate");
    assert_failure(
        &render(&context, &missing, &env),
        &format!(
            "cannot read state {missing}: {endpoint}/{account}/states/env/none.tfstate answered 404 Not Found (BlobNotFound: The specified blob does not exist.)"
        ),
    );
    let wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmc=";
    let output = render(
        &context,
        &url,
        &[
            ("AZURE_STORAGE_CONNECTION_STRING", endpoint_only.as_str()),
            ("AZURE_STORAGE_ACCESS_KEY", wrong_key),
        ],
    );
    // Azure says AuthenticationFailed; Azurite says AuthorizationFailure.
    assert_failure(
        &output,
        &format!(
            "cannot read state {url}: {endpoint}/{account}/states/env/web.tfstate answered 403 Forbidden (AuthorizationFailure: Server failed to authenticate the request."
        ),
    );
}

#[test]
fn tfstate_from_google_cloud_storage_in_gcp_storage_emulator() {
    let context = TestContext::offline();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bin = venv_python().with_file_name("gcp-storage-emulator");
    let mut emulator = Command::new(bin);
    emulator
        .args(["start", "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--in-memory"])
        .current_dir(context.dir.path());
    let (_emulator, ()) = Server::start("gcp-storage-emulator", emulator, |line| {
        line.contains("All services started").then_some(())
    });
    let host = format!("127.0.0.1:{port}");
    let arn = "arn:aws:iam::123456789012:role/from-gcs";
    put_state(
        &context,
        "gcs",
        &[&format!("http://{host}"), "states", "env/web.tfstate"],
        &state(arn),
    );
    let env = [("STORAGE_EMULATOR_HOST", host.as_str())];

    assert_role(&render(&context, "gs://states/env/web.tfstate", &env), arn);
    assert_failure(
        &render(&context, "gs://states/env/none.tfstate", &env),
        &format!(
            "cannot read state gs://states/env/none.tfstate: http://{host}/storage/v1/b/states/o/env%2Fnone.tfstate?alt=media answered 404 Not Found"
        ),
    );
    // `optional: true`: a missing object is an empty state, with a warning.
    write_config(
        &context,
        "gs://states/env/none.tfstate\n      optional: true",
    );
    let output = context.run(&["render", "taskdef"], &env);
    assert_failure(
        &output,
        "`aws_iam_role.x.arn` not found in gs://states/env/none.tfstate: the state is empty",
    );
    assert!(
        text(&output.stderr).contains(
            "tfstate: gs://states/env/none.tfstate does not exist; `optional: true`, so it is read as an empty state"
        ),
        "{}",
        text(&output.stderr)
    );
    // Without the emulator, credentials come first; a credentials file that is not there is
    // the error, before any request.
    let output = render(
        &context,
        "gs://states/env/web.tfstate",
        &[("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json")],
    );
    assert_failure(
        &output,
        "cannot read state gs://states/env/web.tfstate: cannot read Google credentials /nonexistent/key.json",
    );
}

#[test]
fn tfstate_from_terraform_cloud_state_versions() {
    let context = TestContext::offline();
    let token = "tfc-test-token";
    std::fs::create_dir_all(context.path("tfc")).expect("create dir");
    let mut server = Command::new(venv_python());
    server
        .arg(repo_root().join("tests/servers/tfc_server.py"))
        .args(["--token", token, "--dir"])
        .arg(context.path("tfc"));
    let (_server, base) = Server::start("tfc_server.py", server, |line| {
        line.strip_prefix("listening on ").map(str::to_owned)
    });
    let ca = context.path("tfc/ca.pem");
    let ca = ca.to_str().expect("utf-8 temp path");
    let arn = "arn:aws:iam::123456789012:role/from-tfc";
    put_state(
        &context,
        "tfc",
        &[&base, ca, token, "acme", "web"],
        &state(arn),
    );
    let host = base.trim_start_matches("https://");
    let env = [("TFE_TOKEN", token), ("SSL_CERT_FILE", ca)];

    let url = format!("remote://{host}/acme/web");
    assert_role(&render(&context, &url, &env), arn);

    let missing = format!("remote://{host}/acme/none");
    assert_failure(
        &render(&context, &missing, &env),
        &format!(
            "cannot read state {missing}: {base}/api/v2/organizations/acme/workspaces/none answered 404 Not Found (not found): the workspace or its state does not exist, or the token cannot read it"
        ),
    );
    assert_failure(
        &render(
            &context,
            &url,
            &[("TFE_TOKEN", "wrong"), ("SSL_CERT_FILE", ca)],
        ),
        &format!(
            "cannot read state {url}: {base}/api/v2/organizations/acme/workspaces/web answered 401 Unauthorized (unauthorized): TFE_TOKEN was refused"
        ),
    );
    assert_failure(
        &render(&context, &url, &[("SSL_CERT_FILE", ca)]),
        &format!("cannot read state {url}: TFE_TOKEN is not set"),
    );
    // The server's certificate is checked: without its CA the connection is refused.
    let output = render(&context, &url, &[("TFE_TOKEN", token)]);
    assert_failure(&output, &format!("cannot read state {url}: {base}/api/v2/"));
    assert!(
        text(&output.stderr).contains("UnknownIssuer"),
        "{}",
        text(&output.stderr)
    );
}
