//! `exec cp`, as ecspresso v2.8's (ecsta's `cp`): an agent started in the container through
//! ECS Exec, reached through SSM port forwarding. The emulator answers ExecuteCommand and
//! StartSession; tests/fixtures/session-manager-plugin stands in for AWS's plugin and the SSM
//! agent (it runs the logged command on this host and relays the forwarded port), so the boot
//! command really runs in `sh` and the agent built by host/build.rs really moves the bytes. The
//! "container" is this machine: remote paths are in the test's directory.

use std::process::Output;

use crate::choose::{TASK_DEFINITION, deployed};
use crate::support::terminal::on_a_terminal_of_width;
use crate::support::{TestContext, assert_failure, assert_success, repo_root, text};

const SERVICE_DEFINITION: &str =
    r#"{"launchType": "EC2", "desiredCount": 1, "enableExecuteCommand": true}"#;

/// A deployed one-task service, and PATH with the stand-in session-manager-plugin first.
async fn setup() -> (TestContext, String) {
    let context = deployed(TASK_DEFINITION, SERVICE_DEFINITION).await;
    let path = format!(
        "{}:{}",
        repo_root().join("tests/fixtures").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (context, path)
}

/// `ristretto exec cp --port P SOURCE DESTINATION` with `env`, P a free port.
fn copy(context: &TestContext, source: &str, destination: &str, env: &[(&str, &str)]) -> Output {
    copy_on(context, &free_port(), source, destination, env)
}

/// `ristretto exec cp --port PORT SOURCE DESTINATION` with `env`.
fn copy_on(
    context: &TestContext,
    port: &str,
    source: &str,
    destination: &str,
    env: &[(&str, &str)],
) -> Output {
    context.run(&["exec", "cp", "--port", port, source, destination], env)
}

/// A port nothing listens on now, for the agent (tests run in parallel).
fn free_port() -> String {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port().to_string())
        .expect("a free port")
}

/// Bytes that are not text: every byte value, and more than one read's worth.
fn binary_content() -> Vec<u8> {
    (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// `content` as NAME here, and the "container" directory holding an older NAME (`the old
/// version`); the local file, the directory and the file in it.
fn old_and_new(
    context: &TestContext,
    name: &str,
    content: &[u8],
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let local = context.path(name);
    std::fs::write(&local, content).expect("write");
    let remote_dir = context.path("container");
    std::fs::create_dir_all(&remote_dir).expect("mkdir");
    let remote = remote_dir.join(name);
    std::fs::write(&remote, "the old version\n").expect("write");
    (local, remote_dir, remote)
}

/// The files in `dir`, by name.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_file_goes_into_the_task_and_comes_back_byte_for_byte() {
    let (context, path) = setup().await;
    let content = binary_content();
    let local = context.path("blob.bin");
    std::fs::write(&local, &content).expect("write");
    let remote_dir = context.path("container");
    std::fs::create_dir_all(&remote_dir).expect("mkdir");
    let port = free_port();

    // Upload into a directory (`_:DIR/` keeps the file's name).
    let up = copy_on(
        &context,
        &port,
        local.to_str().expect("utf-8"),
        &format!("_:{}/", remote_dir.display()),
        &[("PATH", path.as_str())],
    );
    assert_success(&up);
    assert!(up.stdout.is_empty(), "{}", text(&up.stdout));
    assert!(
        text(&up.stderr).contains("(200000 bytes, container app)"),
        "{}",
        text(&up.stderr)
    );
    assert_eq!(
        std::fs::read(remote_dir.join("blob.bin")).expect("uploaded"),
        content
    );
    assert_eq!(names_in(&remote_dir), ["blob.bin"], "no partial file left");

    // What AWS was asked: ECS Exec into the container, then port forwarding to the agent's port.
    let exec = context.calls("ExecuteCommand");
    let request = &exec.last().expect("ExecuteCommand")["request"];
    assert_eq!(request["interactive"], true);
    assert_eq!(request["container"], "app");
    assert!(
        request["command"]
            .as_str()
            .is_some_and(|c| c.starts_with("sh -c 'set -e\n")),
        "{request}"
    );
    let sessions = context.calls("StartSession");
    let request = &sessions.last().expect("StartSession")["request"];
    assert_eq!(request["DocumentName"], "AWS-StartPortForwardingSession");
    assert_eq!(request["Parameters"]["portNumber"][0], port.as_str());
    let target = request["Target"].as_str().expect("target");
    assert!(target.starts_with("ecs:e2e_"), "{target}");

    // Download it again, naming the task by its id, into a directory.
    let task_id = target.split('_').nth(1).expect("task id").to_owned();
    let back_dir = context.path("back");
    std::fs::create_dir_all(&back_dir).expect("mkdir");
    let down = copy(
        &context,
        &format!("{task_id}:{}/blob.bin", remote_dir.display()),
        back_dir.to_str().expect("utf-8"),
        &[("PATH", path.as_str())],
    );
    assert_success(&down);
    assert_eq!(
        std::fs::read(back_dir.join("blob.bin")).expect("downloaded"),
        content
    );
    assert_eq!(names_in(&back_dir), ["blob.bin"], "no temporary file left");

    // `-` is stdout.
    std::fs::write(remote_dir.join("motd"), "hello from the task\n").expect("write");
    let shown = copy(
        &context,
        &format!("_:{}/motd", remote_dir.display()),
        "-",
        &[("PATH", path.as_str())],
    );
    assert_success(&shown);
    assert_eq!(text(&shown.stdout), "hello from the task\n");

    // `-` as the source is stdin (its size unknown: the agent takes what arrives).
    let mut piped = context
        .ristretto()
        .args(["exec", "cp", "--port", &free_port(), "-"])
        .arg(format!("_:{}/from-stdin.txt", remote_dir.display()))
        .env("PATH", &path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start ristretto");
    {
        use std::io::Write;
        let mut stdin = piped.stdin.take().expect("stdin");
        stdin
            .write_all(b"line one\nline two\n")
            .expect("write stdin");
    }
    let piped = piped.wait_with_output().expect("wait");
    assert_success(&piped);
    assert_eq!(
        std::fs::read_to_string(remote_dir.join("from-stdin.txt")).expect("uploaded"),
        "line one\nline two\n"
    );
}

#[tokio::test]
async fn a_broken_transfer_changes_nothing_on_either_side() {
    let (context, path) = setup().await;
    let content = binary_content();
    let (local, remote_dir, remote) = old_and_new(&context, "blob.bin", &content);
    let cut = [
        ("PATH", path.as_str()),
        ("RISTRETTO_TEST_FORWARD_LIMIT", "70000"),
    ];

    // Upload cut short: the agent counts 70000 of 200000 bytes and fails; the old file stays.
    let up = copy(
        &context,
        local.to_str().expect("utf-8"),
        &format!("_:{}", remote.display()),
        &cut,
    );
    assert_failure(&up, "expected 200000 bytes");
    assert_eq!(
        std::fs::read_to_string(&remote).expect("old file"),
        "the old version\n"
    );
    assert_eq!(names_in(&remote_dir), ["blob.bin"], "no partial file left");

    // Download cut short: the counts differ, and nothing is written here.
    std::fs::write(&remote, &content).expect("write");
    let back_dir = context.path("back");
    std::fs::create_dir_all(&back_dir).expect("mkdir");
    let down = copy(
        &context,
        &format!("_:{}", remote.display()),
        &format!("{}/", back_dir.display()),
        &cut,
    );
    assert!(!down.status.success(), "{}", text(&down.stderr));
    assert!(
        text(&down.stderr).contains("exec cp:"),
        "{}",
        text(&down.stderr)
    );
    assert!(names_in(&back_dir).is_empty(), "{:?}", names_in(&back_dir));

    // A file that is not there: the shell's own message, at once.
    let missing = copy(
        &context,
        &format!("_:{}/nope.txt", remote_dir.display()),
        back_dir.join("nope.txt").to_str().expect("utf-8"),
        &[("PATH", path.as_str())],
    );
    assert_failure(
        &missing,
        "the ECS Exec session ended before the agent listened",
    );
    assert!(
        text(&missing.stderr).contains("nope.txt"),
        "{}",
        text(&missing.stderr)
    );
    assert!(names_in(&back_dir).is_empty());

    // The agent's port is taken in the container: its own error, and no partial file.
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let busy = copy_on(
        &context,
        &port,
        local.to_str().expect("utf-8"),
        &format!("_:{}", remote.display()),
        &[("PATH", path.as_str())],
    );
    assert_failure(&busy, "bind failed, errno 98");
    assert_eq!(std::fs::read(&remote).expect("unchanged"), content);
    assert_eq!(names_in(&remote_dir), ["blob.bin"], "no partial file left");
}

/// `ristretto exec cp --no-progress --port P SOURCE DESTINATION` (P a free port) in the
/// background with `env`; its stderr lines arrive on the channel.
fn spawn(
    context: &TestContext,
    source: &str,
    destination: &str,
    env: &[(&str, &str)],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let port = free_port();
    let mut command = context.ristretto();
    command
        .args([
            "exec",
            "cp",
            "--no-progress",
            "--port",
            &port,
            source,
            destination,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start ristretto");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Waits up to `seconds` for `done`; false when it never held.
fn eventually(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    done()
}

/// SIGTERM to `child`; its exit code and stderr.
fn terminate(
    mut child: std::process::Child,
    lines: &std::sync::mpsc::Receiver<String>,
) -> (Option<i32>, String) {
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    (status.code(), lines.iter().collect::<Vec<_>>().join("\n"))
}

/// The stand-in session-manager-plugin processes recorded in `pids` that still run.
fn running_plugins(pids: &std::path::Path) -> Vec<String> {
    names_in(pids)
        .into_iter()
        .filter(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
        .collect()
}

/// SIGTERM mid-copy: ristretto exits 143, its session-manager-plugin processes are stopped (and
/// with them the sessions), the agent in the container removes what it had received (the old
/// file stays), and a download's temporary file here is removed.
#[tokio::test]
async fn a_copy_stopped_by_a_signal_leaves_nothing_behind() {
    let (context, path) = setup().await;
    let pids = context.path("pids");
    std::fs::create_dir_all(&pids).expect("mkdir");
    let content: Vec<u8> = binary_content().repeat(10);
    let (local, remote_dir, remote) = old_and_new(&context, "big.bin", &content);
    let slow = [
        ("PATH", path.as_str()),
        ("RISTRETTO_TEST_FORWARD_PACE_MS", "50"),
        ("RISTRETTO_TEST_PLUGIN_PIDS", pids.to_str().expect("utf-8")),
    ];

    let (child, lines) = spawn(
        &context,
        local.to_str().expect("utf-8"),
        &format!("_:{}", remote.display()),
        &slow,
    );
    assert!(
        eventually(60, || {
            names_in(&pids).len() == 2
                && names_in(&remote_dir).iter().any(|name| {
                    name != "big.bin"
                        && std::fs::metadata(remote_dir.join(name)).is_ok_and(|m| m.len() > 0)
                })
        }),
        "the upload started: {:?}",
        names_in(&remote_dir)
    );
    let (code, stderr) = terminate(child, &lines);
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert!(
        eventually(10, || running_plugins(&pids).is_empty()),
        "plugins still running: {:?}",
        running_plugins(&pids)
    );
    assert!(
        eventually(10, || names_in(&remote_dir) == ["big.bin"]),
        "the partial upload was removed: {:?}",
        names_in(&remote_dir)
    );
    assert_eq!(
        std::fs::read_to_string(&remote).expect("old file"),
        "the old version\n"
    );

    std::fs::write(&remote, &content).expect("write");
    let back_dir = context.path("back");
    std::fs::create_dir_all(&back_dir).expect("mkdir");
    let (child, lines) = spawn(
        &context,
        &format!("_:{}", remote.display()),
        &format!("{}/", back_dir.display()),
        &slow,
    );
    assert!(
        eventually(60, || !names_in(&back_dir).is_empty()),
        "the download started"
    );
    let (code, stderr) = terminate(child, &lines);
    assert_eq!(code, Some(143), "{stderr}");
    assert!(names_in(&back_dir).is_empty(), "{:?}", names_in(&back_dir));
    assert!(
        eventually(10, || running_plugins(&pids).is_empty()),
        "plugins still running: {:?}",
        running_plugins(&pids)
    );
}

#[tokio::test]
async fn bad_copies_are_refused_before_any_aws_call() {
    let (context, path) = setup().await;
    let before = context.calls("ExecuteCommand").len();
    let env = [("PATH", path.as_str())];
    let refused = [
        (
            "a.txt",
            "b.txt",
            "one side must be in the task, written TASK_ID:PATH",
        ),
        ("_:/a", "abc:/b", "one side must be local"),
        ("missing.txt", "_:/tmp/x", "missing.txt is not a file here"),
        ("_:/tmp/it's", "out", "has a quote or a line break"),
    ];
    for (source, destination, why) in refused {
        assert_failure(&copy(&context, source, destination, &env), why);
    }
    assert_failure(
        &copy(&context, "_:/tmp/x", "out", &[("PATH", "/usr/bin:/bin")]),
        "ECS Exec needs the AWS session-manager-plugin on PATH",
    );
    assert_eq!(context.calls("ExecuteCommand").len(), before);
    assert!(context.calls("StartSession").is_empty());
}

/// Runs an agent build (under `runner`, e.g. qemu-aarch64, when given) on this machine in both
/// modes, as the boot command does, and checks the bytes and its reports: `recv SIZE PARTIAL
/// DEST` moves what it received into place and removes it when the connection ends short (and
/// its own executable in any case); `send` sends its stdin and closes.
fn exercise_agent(agent: &[u8], runner: Option<&str>) {
    use std::io::{BufRead, Read, Write};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("agent");
    let start = |args: &[&str], stdin: Stdio| {
        std::fs::write(&path, agent).expect("write agent");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("chmod");
        let mut command = match runner {
            Some(runner) => {
                let mut c = Command::new(runner);
                c.arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let mut child = command
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the agent");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("read");
        assert!(
            first.starts_with("ristretto-cp-agent: listening on port "),
            "{first}"
        );
        assert!(!path.exists(), "the agent removed its executable");
        (child, stderr)
    };
    let content = binary_content();
    let size = content.len().to_string();
    let partial = dir.path().join("dest.partial");
    let dest = dir.path().join("dest");
    let (partial_arg, dest_arg) = (
        partial.to_str().expect("utf-8"),
        dest.to_str().expect("utf-8"),
    );

    // `recv SIZE PARTIAL DEST`, sent `bytes`: its exit status and what it said after listening.
    let receive = |bytes: &[u8]| {
        let port = free_port();
        let (mut child, mut stderr) = start(
            &[&port, "recv", &size, partial_arg, dest_arg],
            Stdio::null(),
        );
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port.parse().expect("port")))
            .expect("connect");
        stream.write_all(bytes).expect("send");
        drop(stream);
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).expect("read");
        (child.wait().expect("wait"), rest)
    };

    // Everything arrives and is moved into place.
    let (status, rest) = receive(&content);
    assert!(status.success(), "{rest}");
    assert_eq!(rest, "ristretto-cp-agent: received 200000 bytes\n");
    assert_eq!(std::fs::read(&dest).expect("read"), content);
    assert!(!partial.exists());

    // Cut short: exit status 1, the old file stays, nothing partial is left.
    std::fs::write(&dest, "old").expect("write");
    let (status, rest) = receive(&content[..1000]);
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(rest.contains("error: expected 200000 bytes"), "{rest}");
    assert_eq!(std::fs::read_to_string(&dest).expect("read"), "old");
    assert!(!partial.exists());

    // send: stdin goes out, then the connection closes.
    let port = free_port();
    std::fs::write(&dest, &content).expect("write");
    let source = std::fs::File::open(&dest).expect("open");
    let (mut child, mut stderr) = start(&[&port, "send"], source.into());
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port.parse().expect("port"))).expect("connect");
    let mut back = Vec::new();
    stream.read_to_end(&mut back).expect("receive");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("read");
    assert!(child.wait().expect("wait").success(), "{rest}");
    assert_eq!(rest, "ristretto-cp-agent: sent 200000 bytes\n");
    assert_eq!(back, content);
}

#[test]
fn the_x86_64_agent_moves_bytes_both_ways() {
    let agent = ristretto::task::copy::agent_for("x86_64").expect("x86_64 agent");
    exercise_agent(agent, None);
}

/// The aarch64 build, under Debian's qemu-user (.ci/run installs it; without it, and outside
/// CI, the test says so and passes).
#[test]
fn the_aarch64_agent_moves_bytes_both_ways() {
    let agent = ristretto::task::copy::agent_for("arm64").expect("arm64 agent");
    let found = std::process::Command::new("qemu-aarch64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs qemu-user (.ci/run) to run the aarch64 agent"
        );
        eprintln!("qemu-aarch64 is not installed: the aarch64 agent was not run");
        return;
    }
    exercise_agent(agent, Some("qemu-aarch64"));
}

/// The agent follows the task's CPU: a task definition with `runtimePlatform.cpuArchitecture`
/// ARM64 (the emulator's tasks carry no `ecs.cpu-architecture` attribute) gets the aarch64
/// build, which this x86_64 "container" cannot run: the error says why.
#[tokio::test]
async fn an_arm64_task_gets_the_arm64_agent() {
    use base64::Engine;
    let (context, path) = setup().await;
    context.write(
        "td.json",
        r#"{"family": "web", "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}, "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 64}]}"#,
    );
    assert_success(&context.run(&["deploy"], &[]));
    let local = context.write("note.txt", "hi\n");
    let out = copy(
        &context,
        local.to_str().expect("utf-8"),
        &format!("_:{}", context.path("remote.txt").display()),
        &[("PATH", path.as_str())],
    );
    let command = context
        .calls("ExecuteCommand")
        .last()
        .and_then(|c| c["request"]["command"].as_str().map(str::to_owned))
        .expect("ExecuteCommand logged");
    let encoded: String = command
        .split("<<RISTRETTO_CP_AGENT\n")
        .nth(1)
        .and_then(|rest| rest.split("\nRISTRETTO_CP_AGENT\n").next())
        .expect("the agent in the command")
        .lines()
        .collect();
    let agent = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    assert_eq!(
        agent,
        ristretto::task::copy::agent_for("arm64").expect("arm64 agent")
    );
    if !cfg!(target_arch = "aarch64") {
        assert_failure(&out, "set runtimePlatform.cpuArchitecture");
    }
}

/// On a terminal, a copy shows a progress bar on stderr (as ecsta's `--progress`, the
/// default); `--no-progress` shows none. A real pseudo-terminal, the bytes paced so that the bar
/// is drawn.
#[tokio::test]
async fn a_progress_bar_on_a_terminal_unless_asked_not_to() {
    let (context, path) = setup().await;
    let content: Vec<u8> = binary_content().repeat(5);
    let (local, remote_dir, remote) = old_and_new(&context, "big.bin", &content);
    let env = [
        ("PATH", path.as_str()),
        ("RISTRETTO_TEST_FORWARD_PACE_MS", "20"),
    ];
    let args = format!(
        "exec cp --port {} {} _:{}",
        free_port(),
        local.display(),
        remote.display()
    );
    let (ok, shown) = on_a_terminal_of_width(&context, 120, &args, &env);
    assert!(ok, "{shown}");
    assert!(shown.contains("sending"), "{shown}");
    assert!(shown.contains("MiB"), "{shown}");
    assert!(shown.contains("(1000000 bytes, container app)"), "{shown}");
    assert_eq!(std::fs::read(&remote).expect("uploaded"), content);

    let args = format!(
        "exec cp --no-progress --port {} {} _:{}/again.bin",
        free_port(),
        local.display(),
        remote_dir.display()
    );
    let (ok, shown) = on_a_terminal_of_width(&context, 120, &args, &env);
    assert!(ok, "{shown}");
    assert!(!shown.contains("sending"), "{shown}");
    assert_eq!(
        std::fs::read(remote_dir.join("again.bin")).expect("uploaded"),
        content
    );
}
