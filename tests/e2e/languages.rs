//! Plugins in other languages, built with their own toolchains (pinned; tests/toolchains/setup
//! installs componentize-py into a venv and componentize-js with npm): the Python gate and the
//! JavaScript notify examples (plugins/examples, built by plugins/examples/build) in deploys
//! against the emulator, each using HTTP through ristretto; and `ristretto plugin new` projects
//! in Rust, Python and JavaScript, built and tested (their own test.sh) as generated.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::guide::hello;
use crate::support::{HttpSink, TestContext, assert_failure, assert_success, repo_root, text};

static EXAMPLES: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The directory with python_gate.wasm and js_notify.wasm, built once per test binary.
fn examples() -> &'static Path {
    let built = EXAMPLES.get_or_init(|| {
        let output = Command::new(repo_root().join("plugins/examples/build"))
            .output()
            .map_err(|e| format!("cannot run plugins/examples/build: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "plugins/examples/build failed:\n{}",
                text(&output.stderr)
            ));
        }
        Ok(PathBuf::from(text(&output.stdout).trim()))
    });
    match built {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// `PATH` with the pinned toolchains (and the `ristretto` under test) first.
fn toolchain_path() -> String {
    let root = repo_root();
    let setup = Command::new(root.join("tests/toolchains/setup"))
        .output()
        .expect("run tests/toolchains/setup");
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    let ristretto = Path::new(env!("CARGO_BIN_EXE_ristretto"));
    format!(
        "{}:{}:{}:{}",
        ristretto.parent().unwrap_or(Path::new(".")).display(),
        root.join("tests/toolchains/.venv/bin").display(),
        root.join("tests/toolchains/node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `ristretto deploy` with `IMAGE_TAG`, and the examples' compile cache shared by the tests of
/// this file (a first compile of these components takes seconds, more in a debug build).
fn deploy(context: &TestContext, image_tag: &str) -> std::process::Output {
    let cache = examples().join("compile-cache").display().to_string();
    context.run(
        &["deploy"],
        &[
            ("IMAGE_TAG", image_tag),
            ("RISTRETTO_CACHE_DIR", cache.as_str()),
        ],
    )
}

/// examples/hello's config with `plugins` appended.
fn hello_config(plugins: &str) -> String {
    let base = std::fs::read_to_string(repo_root().join("examples/hello/ecspresso.yml"))
        .expect("examples/hello/ecspresso.yml");
    format!("{base}plugins:\n{plugins}")
}

#[tokio::test]
async fn python_gate_asks_its_endpoint_and_stops_a_frozen_deploy() {
    let context = TestContext::with_aws();
    hello(&context).await;
    let freeze = HttpSink::start_with(vec![
        (200, r#"{"allow": true}"#.to_owned()),
        (
            200,
            r#"{"allow": false, "reason": "release freeze until Monday"}"#.to_owned(),
        ),
    ]);
    let host = freeze.url.trim_start_matches("http://");
    context.write(
        "ecspresso.yml",
        &hello_config(&format!(
            "  - path: {}\n    config:\n      url: {}/freeze\n      stages: [pre-deploy]\n    allow:\n      http: ['{host}']\n",
            examples().join("python_gate.wasm").display(),
            freeze.url
        )),
    );
    let output = deploy(&context, "1.27");
    assert_success(&output);
    assert!(
        text(&output.stderr).contains("pre-deploy: ")
            && text(&output.stderr).contains("allows the deploy"),
        "the plugin's log reaches ristretto's: {}",
        text(&output.stderr)
    );
    let asked = freeze.request_lines();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].starts_with("GET /freeze?cluster=hello&service=hello&stage=pre-deploy&revision="),
        "{asked:?}"
    );

    // The endpoint now refuses: the gate fails before anything changes in AWS.
    let refused = deploy(&context, "1.28");
    assert_failure(&refused, "release freeze until Monday");
    assert_eq!(freeze.request_lines().len(), 2);
    assert_eq!(context.task_definition_status("hello:2").await, None);
    let service = context
        .ecs()
        .await
        .describe_services()
        .cluster("hello")
        .services("hello")
        .send()
        .await
        .expect("describe services");
    let running = service
        .services()
        .first()
        .and_then(|s| s.task_definition())
        .unwrap_or_default()
        .to_owned();
    assert!(running.ends_with("task-definition/hello:1"), "{running}");
}

#[tokio::test]
async fn python_gate_is_refused_a_host_it_was_not_granted() {
    let context = TestContext::with_aws();
    hello(&context).await;
    let freeze = HttpSink::start_with(vec![(200, r#"{"allow": true}"#.to_owned())]);
    // allow.http names another port: ristretto refuses the entry before any AWS write.
    context.write(
        "ecspresso.yml",
        &hello_config(&format!(
            "  - path: {}\n    config:\n      url: {}/freeze\n    allow:\n      http: ['127.0.0.1:1']\n",
            examples().join("python_gate.wasm").display(),
            freeze.url
        )),
    );
    let output = deploy(&context, "1.27");
    assert_failure(&output, "which its allow.http does not cover");
    assert!(freeze.request_lines().is_empty());
    assert_eq!(context.task_definition_status("hello:1").await, None);
}

#[tokio::test]
async fn js_notify_posts_lifecycle_events_with_fetch() {
    let context = TestContext::with_aws();
    hello(&context).await;
    let sink = HttpSink::start();
    let host = sink.url.trim_start_matches("http://").to_owned();
    let entry = |allowed: &str| {
        format!(
            "  - path: {}\n    config:\n      url: {}/events\n      events: [deploy-started, deploy-succeeded]\n    allow:\n      http: ['{allowed}']\n",
            examples().join("js_notify.wasm").display(),
            sink.url
        )
    };
    context.write("ecspresso.yml", &hello_config(&entry(&host)));
    assert_success(&deploy(&context, "1.27"));
    let bodies = sink.bodies();
    let events: Vec<&str> = bodies.iter().filter_map(|b| b["event"].as_str()).collect();
    assert_eq!(events, ["deploy-started", "deploy-succeeded"], "{bodies:?}");
    let succeeded = &bodies[1];
    assert_eq!(succeeded["cluster"], "hello");
    assert_eq!(succeeded["service"], "hello");
    assert_eq!(succeeded["taskDefinition"], "hello:1");
    assert!(
        succeeded["message"]
            .as_str()
            .is_some_and(|m| m.contains("hello:1")),
        "{succeeded}"
    );

    // A webhook on a host the entry does not grant: fetch fails inside the plugin, which is a
    // warning; the deploy succeeds and nothing reaches the sink.
    context.write("ecspresso.yml", &hello_config(&entry("hooks.example.com")));
    let output = deploy(&context, "1.28");
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("[WARNING]") && stderr.contains("js-notify"),
        "{stderr}"
    );
    assert_eq!(sink.bodies().len(), 2);
}

/// Runs `ristretto plugin new NAME --lang LANG --hook HOOK` in `dir`, then the project's
/// `build.sh` and `test.sh`; returns test.sh's output.
fn new_project(dir: &Path, lang: &str, hook: &str, path: &str) -> String {
    let name = format!("acme-{lang}-{hook}");
    let root = repo_root();
    let run = |command: &mut Command, what: &str| {
        let output = command
            .env("PATH", path)
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            output.status.success(),
            "{what} failed\n--- stdout\n{}\n--- stderr\n{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        format!("{}{}", text(&output.stdout), text(&output.stderr))
    };
    let sdk = root.join("plugin-sdk");
    let created = run(
        Command::new(env!("CARGO_BIN_EXE_ristretto"))
            .current_dir(dir)
            .args([
                "plugin",
                "new",
                &name,
                "--lang",
                lang,
                "--hook",
                hook,
                "--sdk-path",
            ])
            .arg(&sdk),
        &format!("plugin new {name}"),
    );
    assert!(created.contains(&format!("created {name}")), "{created}");
    let project = dir.join(&name);
    run(
        Command::new(project.join("build.sh"))
            .env("CARGO_TARGET_DIR", root.join("target/plugin-new"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
        &format!("{name}/build.sh"),
    );
    let wasm = project.join(format!("{}.wasm", name.replace('-', "_")));
    assert!(wasm.is_file(), "{} was built", wasm.display());
    run(
        Command::new(project.join("test.sh")).env("RISTRETTO_CACHE_DIR", dir.join("cache")),
        &format!("{name}/test.sh"),
    )
}

/// `plugin new` in `lang` with each of `hooks`, each project built and tested as generated.
fn projects_build_and_pass(lang: &str, hooks: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = toolchain_path();
    for &hook in hooks {
        let tested = new_project(dir.path(), lang, hook, &path);
        assert!(tested.contains("passed"), "{lang} {hook}: {tested}");
        let answer = match hook {
            "transform" => "\"managed-by\"",
            "functions" => "\"hello, world\"",
            "gate" => "\"reason\": \"release freeze\"",
            _ => "\"result\": \"ok\"",
        };
        assert!(tested.contains(answer), "{lang} {hook}: {tested}");
    }
}

// Every hook in Rust (a build takes seconds once the SDK is built); in Python and JavaScript,
// whose components take tens of seconds to build and compile in a debug build, two hooks each,
// together all four (the examples above cover the other hook of each language's HTTP use).
// Every language and hook generates (the unit tests of plugins::scaffold).

#[test]
fn plugin_new_rust_projects_build_and_pass_their_tests() {
    projects_build_and_pass("rust", &["transform", "functions", "gate", "notify"]);
}

#[test]
fn plugin_new_python_projects_build_and_pass_their_tests() {
    projects_build_and_pass("python", &["transform", "functions"]);
}

#[test]
fn plugin_new_js_projects_build_and_pass_their_tests() {
    projects_build_and_pass("js", &["gate", "notify"]);
}

#[test]
fn plugin_new_refuses_a_bad_name_and_an_occupied_directory() {
    let context = TestContext::offline();
    let bad = context.run(
        &[
            "plugin",
            "new",
            "Acme_Gate",
            "--lang",
            "rust",
            "--hook",
            "gate",
        ],
        &[],
    );
    assert_failure(&bad, "`Acme_Gate` cannot name a plugin");
    context.write("taken/file", "x");
    let taken = context.run(
        &[
            "plugin", "new", "acme", "--lang", "python", "--hook", "gate", "--dir", "taken",
        ],
        &[],
    );
    assert_failure(&taken, "is not empty");
    assert_eq!(
        std::fs::read_to_string(context.path("taken/file"))
            .ok()
            .as_deref(),
        Some("x")
    );
}
