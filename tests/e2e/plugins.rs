//! WebAssembly plugins through the binary: transforms in render and deploy, template functions
//! in Go templates and Jsonnet, gates that block then pass, fail before anything is written, or
//! roll back after the deploy, notifications to a local webhook sink, and a hostile plugin whose
//! every misbehaviour is contained with an error naming the plugin and the hook.

use crate::support::{
    HttpSink, Reply, TestContext, assert_failure, assert_success, tag_pairs, test_plugin, text,
};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str =
    r#"{"launchType": "EC2", "desiredCount": 1, "tags": [{"key": "owner", "value": "web"}]}"#;

fn config(plugins: &str) -> String {
    format!(
        "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\nplugins:\n{plugins}"
    )
}

async fn setup(plugins: &str) -> TestContext {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", &config(plugins));
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
    context.create_cluster().await;
    context
}

#[tokio::test]
async fn transform_adds_tags_and_a_gate_blocks_then_passes() {
    let plugins = format!(
        "  - path: {}\n    config:\n      tags:\n        cost-center: '{{{{ env `COST` `42` }}}}'\n  - path: {}\n    config:\n      pending_polls: 2\n",
        test_plugin("tag-transform").display(),
        test_plugin("scripted-gate").display()
    );
    let context = setup(&plugins).await;
    let render = context.run(&["render", "taskdef"], &[("TAG", "1"), ("COST", "7")]);
    assert_success(&render);
    assert!(
        text(&render.stdout).contains("\"cost-center\""),
        "{}",
        text(&render.stdout)
    );

    let output = context.run(&["deploy"], &[("TAG", "1"), ("COST", "7")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("pre-deploy gate of plugin `scripted-gate` passed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("post-deploy gate of plugin `scripted-gate` passed"),
        "{stderr}"
    );

    assert_eq!(
        context.task_definition_tags("web:1").await,
        vec![("cost-center".to_owned(), "7".to_owned())]
    );
    let service = context.service("web").await;
    assert_eq!(
        tag_pairs(service.tags()),
        vec![
            ("cost-center".to_owned(), "7".to_owned()),
            ("owner".to_owned(), "web".to_owned())
        ]
    );
}

#[tokio::test]
async fn failing_gates_stop_before_writing_or_roll_back_after() {
    let gate = test_plugin("scripted-gate");
    let context = setup(&format!(
        "  - path: {}\n    config:\n      fail_at: [pre-deploy]\n      fail: smoke tests are red\n",
        gate.display()
    ))
    .await;
    let output = context.run(&["deploy"], &[("TAG", "1")]);
    assert_failure(
        &output,
        "pre-deploy gate of plugin `scripted-gate` failed: smoke tests are red",
    );
    let ecs = context.ecs().await;
    let revisions = ecs.list_task_definitions().send().await.expect("list");
    assert!(
        revisions.task_definition_arns().is_empty(),
        "nothing registered"
    );
    let services = ecs
        .list_services()
        .cluster("e2e")
        .send()
        .await
        .expect("list services");
    assert!(services.service_arns().is_empty(), "nothing created");

    // Without plugins, deploy web:1; then a post-deploy failure rolls web:2 back to web:1.
    context.write(
        "ecspresso.yml",
        &config("  []\n").replace("plugins:\n  []\n", "plugins: []\n"),
    );
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "  - path: {}\n    config:\n      fail_at: [post-deploy]\n      fail: error rate 12%\n",
            gate.display()
        )),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "post-deploy gate of plugin `scripted-gate` failed: error rate 12% (after 0 polls); the service was rolled back to web:1",
    );
    let service = context.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1"),
        "{:?}",
        service.task_definition()
    );
}

#[tokio::test]
async fn notify_posts_events_to_an_allowed_sink_and_functions_render() {
    let sink = HttpSink::start();
    let host = sink.url.trim_start_matches("http://").to_owned();
    let plugins = format!(
        "  - path: {}\n    config:\n      url: {}/hook\n      secret: env:SINK_TOKEN\n    allow:\n      http: ['{host}']\n      secrets: [env:SINK_TOKEN]\n  - path: {}\n    func_prefix: demo_\n    config:\n      region_label: tokyo\n",
        test_plugin("notify-recorder").display(),
        sink.url,
        test_plugin("demo-functions").display()
    );
    let context = setup(&plugins).await;
    context.write(
        "td.json",
        r#"{"family": "{{ demo_upper `web` | printf `%s` }}-{{ demo_join `-` `a` `b` }}", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG` }}", "memory": 128, "environment": [{"name": "REGION", "value": "{{ demo_setting `region_label` }}"}]}]}"#,
    );
    let render = context.run(
        &["render", "taskdef"],
        &[("TAG", "1"), ("SINK_TOKEN", "s3cr3t")],
    );
    assert_success(&render);
    let rendered: serde_json::Value = serde_json::from_slice(&render.stdout).expect("json");
    assert_eq!(rendered["family"], "WEB-a-b");
    assert_eq!(
        rendered["containerDefinitions"][0]["environment"][0]["value"],
        "tokyo"
    );

    context.write("td.jsonnet", "{ family: std.native('demo_upper')('jsonnet'), containerDefinitions: [{ name: 'app', image: 'nginx', memory: 64 }] }\n");
    context.write(
        "ecspresso.yml",
        &config(&plugins).replace("td.json", "td.jsonnet"),
    );
    let render = context.run(&["render", "taskdef"], &[("SINK_TOKEN", "s3cr3t")]);
    assert_success(&render);
    assert!(
        text(&render.stdout).contains("\"family\": \"JSONNET\""),
        "{}",
        text(&render.stdout)
    );

    let output = context.run(&["deploy"], &[("SINK_TOKEN", "s3cr3t")]);
    assert_success(&output);
    let kinds: Vec<String> = sink
        .bodies()
        .iter()
        .filter_map(|b| b["kind"].as_str().map(str::to_owned))
        .collect();
    for expected in [
        "deploy-started",
        "task-definition-registered",
        "service-updated",
        "deploy-succeeded",
    ] {
        assert!(
            kinds.contains(&expected.to_owned()),
            "{expected} not in {kinds:?}"
        );
    }
    let last = sink.bodies().last().cloned().unwrap_or_default();
    assert_eq!(
        last["secret"], "s3cr3t",
        "the allowed secret reached the plugin: {last}"
    );
    assert_eq!(last["service"], "web");
}

#[tokio::test]
async fn hostile_plugins_are_contained_and_aws_is_untouched() {
    let hostile = test_plugin("hostile");
    let sink = HttpSink::start();
    let cases = [
        ("loop", "did not finish within 2s"),
        ("memory", "exceeded its memory limit of 64 MiB"),
        ("recursion", "stack overflow"),
        ("panic", "crashed: it panicked"),
        (
            "garbage",
            "bad output: the definition must stay a JSON object",
        ),
        ("oversized", "more than the 4 MiB allowed"),
        ("not-object", "the definition must stay a JSON object"),
        ("imds", "request denied by ristretto"),
        ("http", "request denied by ristretto"),
        ("env", "environment has 0 variables"),
        ("files", "cannot read files, as expected"),
        ("secret", "secret refused, as expected"),
    ];
    for (mode, needle) in cases {
        let plugins = format!(
            "  - path: {}\n    config:\n      mode: {mode}\n      url: {}/x\n    limits:\n      timeout: 2s\n      memory: 64MiB\n",
            hostile.display(),
            sink.url
        );
        let context = setup(&plugins).await;
        let output = context.run(&["deploy"], &[("TAG", "1")]);
        assert_failure(&output, "plugin `hostile` (transform, ");
        assert_failure(&output, needle);
        let ecs = context.ecs().await;
        let revisions = ecs.list_task_definitions().send().await.expect("list");
        assert!(
            revisions.task_definition_arns().is_empty(),
            "{mode}: a failing transform must leave AWS untouched"
        );
    }
    assert!(
        sink.bodies().is_empty(),
        "the non-allowed sink was never reached"
    );
}

#[tokio::test]
async fn bad_plugin_entries_are_clear_errors() {
    let context = setup("  - path: missing.wasm\n").await;
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "plugin `missing` (missing.wasm): cannot read it",
    );
    context.write("not-a-component.wasm", "this is not wasm");
    context.write("ecspresso.yml", &config("  - path: not-a-component.wasm\n"));
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "not a valid WebAssembly component",
    );
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "  - path: {}\n    sha256: 0000\n",
            test_plugin("tag-transform").display()
        )),
    );
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "but the config pins 0000",
    );
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "  - path: {}\n    allow:\n      http: ['a.com/path']\n",
            test_plugin("tag-transform").display()
        )),
    );
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "allow.http entry `a.com/path`",
    );
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "  - path: {}\n    limits:\n      memory: lots\n",
            test_plugin("tag-transform").display()
        )),
    );
    assert_failure(&context.run(&["render", "config"], &[]), "limits.memory");
    context.write("ecspresso.yml", &config("  - name: nosuchplugin\n"));
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "unknown built-in plugin",
    );
    context.write(
        "ecspresso.yml",
        &config("  - name: external\n    config:\n      name: x\n      command: [echo]\n      parser: yaml\n"),
    );
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "plugin `external` (plugins[0]): `config.parser` is json or string, not `yaml`",
    );
}

#[tokio::test]
async fn compiled_plugins_are_cached() {
    let context = TestContext::offline();
    let plugin = test_plugin("demo-functions");
    let cache = context.path("cache");
    let inspect = |context: &TestContext| {
        let output = context.run(
            &["plugin", "inspect", plugin.to_str().unwrap_or_default()],
            &[("RISTRETTO_CACHE_DIR", cache.to_str().unwrap_or_default())],
        );
        assert_success(&output);
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("json")
    };
    let first = inspect(&context);
    assert_eq!(first["loaded_from_cache"], false);
    assert_eq!(first["capabilities"], serde_json::json!(["functions"]));
    let second = inspect(&context);
    assert_eq!(second["loaded_from_cache"], true);
    // A corrupted cache entry is recompiled.
    for entry in std::fs::read_dir(&cache).expect("cache dir").flatten() {
        std::fs::write(entry.path(), b"corrupt").expect("corrupt");
    }
    let third = inspect(&context);
    assert_eq!(third["loaded_from_cache"], false);
    assert_eq!(inspect(&context)["loaded_from_cache"], true);
}

#[tokio::test]
async fn url_plugins_are_downloaded_once_and_pinned_by_sha256() {
    use sha2::Digest;
    let wasm = std::fs::read(test_plugin("tag-transform")).expect("test plugin");
    let sha256: String = sha2::Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // A release URL that redirects to the file, as GitHub's do; anything else is a 404.
    let server = HttpSink::serve(move |_, line| match line.split(' ').nth(1) {
        Some("/releases/latest/tag-transform.wasm") => Reply {
            status: 302,
            headers: vec![(
                "location".to_owned(),
                "/objects/v1/tag-transform.wasm".to_owned(),
            )],
            body: Vec::new(),
        },
        Some("/objects/v1/tag-transform.wasm") => Reply {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/wasm".to_owned())],
            body: wasm.clone(),
        },
        _ => Reply {
            status: 404,
            headers: Vec::new(),
            body: b"not found".to_vec(),
        },
    });
    let context = setup("").await;
    let cache = context.path("cache");
    let env = [
        ("RISTRETTO_CACHE_DIR", cache.to_str().unwrap_or_default()),
        ("TAG", "1"),
    ];
    let entry = |path: &str, pin: &str| {
        config(&format!(
            "  - url: {}{path}\n{pin}    config:\n      tags:\n        team: payments\n",
            server.url
        ))
    };
    context.write(
        "ecspresso.yml",
        &entry(
            "/releases/latest/tag-transform.wasm",
            &format!("    sha256: {sha256}\n"),
        ),
    );
    let render = context.run(&["render", "taskdef"], &env);
    assert_success(&render);
    assert!(
        text(&render.stdout).contains("\"team\""),
        "{}",
        text(&render.stdout)
    );
    assert_eq!(
        server.request_lines(),
        [
            "GET /releases/latest/tag-transform.wasm HTTP/1.1",
            "GET /objects/v1/tag-transform.wasm HTTP/1.1"
        ]
    );
    assert!(
        cache
            .join("downloads")
            .join(format!("{sha256}.wasm"))
            .is_file()
    );
    assert_success(&context.run(&["render", "taskdef"], &env));
    assert_eq!(
        server.request_lines().len(),
        2,
        "the second run used the cache"
    );

    let other = "0".repeat(64);
    context.write(
        "ecspresso.yml",
        &entry(
            "/releases/latest/tag-transform.wasm",
            &format!("    sha256: {other}\n"),
        ),
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &env),
        &format!(
            "plugin `tag-transform`: the download from {}/releases/latest/tag-transform.wasm has sha256 {sha256}, but the config pins {other}; nothing was run",
            server.url
        ),
    );
    assert!(
        !cache
            .join("downloads")
            .join(format!("{other}.wasm"))
            .exists()
    );
    context.write(
        "ecspresso.yml",
        &entry("/releases/latest/tag-transform.wasm", ""),
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &env),
        "needs `sha256:` (the component's SHA-256)",
    );
    context.write(
        "ecspresso.yml",
        &entry(
            "/releases/v9/missing.wasm",
            &format!("    sha256: {other}\n"),
        ),
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &env),
        "plugin `missing`: cannot download the component: ",
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &env),
        "answered 404 Not Found",
    );
}

#[tokio::test]
async fn rollback_skips_a_revision_a_post_deploy_gate_rejected() {
    let gate = |config: &str| {
        format!(
            "  - path: {}\n    config: {config}\n",
            test_plugin("scripted-gate").display()
        )
    };
    let context = setup(&gate("{}")).await;
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.write(
        "ecspresso.yml",
        &config(&gate("{fail_at: [post-deploy], fail: 'error rate 9%'}")),
    );
    let output = context.run(&["deploy"], &[("TAG", "2")]);
    assert_failure(&output, "the service was rolled back to web:1");
    assert!(
        text(&output.stderr).contains("web:2 is tagged ristretto:rejected"),
        "{}",
        text(&output.stderr)
    );
    context.write("ecspresso.yml", &config(&gate("{}")));
    assert_success(&context.run(&["deploy"], &[("TAG", "3")]));

    // `revisions` says which revision `rollback` skips, and why.
    let output = context.run(&["revisions"], &[("TAG", "3")]);
    assert_success(&output);
    let table = text(&output.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines
            .first()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["NAME", "IN", "USE", "SKIPPED", "BY", "ROLLBACK"]),
        "{table}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("web:2")
            && l.ends_with("rejected by the post-deploy gate of plugin scripted-gate")),
        "{table}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("web:3") && l.contains("current")),
        "{table}"
    );

    let output = context.run(&["rollback", "--dry-run"], &[("TAG", "3")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("skipping web:2: rejected by the post-deploy gate of plugin scripted-gate")
            && stderr.contains("from web:3 to web:1"),
        "{stderr}"
    );

    // Deployed again on purpose and now serving, it is no longer skipped.
    assert_success(&context.run(&["deploy", "--revision", "2"], &[("TAG", "3")]));
    assert_success(&context.run(&["deploy", "--revision", "3"], &[("TAG", "3")]));
    let output = context.run(&["rollback", "--dry-run"], &[("TAG", "3")]);
    assert!(
        text(&output.stderr).contains("from web:3 to web:2"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test]
async fn a_deploy_split_by_no_wait_still_runs_its_post_deploy_gates() {
    let context = setup("").await;
    context.write(
        "ecspresso.yml",
        &config("  []\n").replace("plugins:\n  []\n", "plugins: []\n"),
    );
    assert_success(&context.run(&["deploy"], &[("TAG", "1")]));
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "  - path: {}\n    config: {{fail_at: [post-deploy], fail: 'error rate 9%'}}\n",
            test_plugin("scripted-gate").display()
        )),
    );
    assert_success(&context.run(&["deploy", "--no-wait"], &[("TAG", "2")]));
    let output = context.run(&["wait"], &[("TAG", "2")]);
    assert_failure(
        &output,
        "post-deploy gate of plugin `scripted-gate` failed: error rate 9%",
    );
    assert_failure(&output, "the service was rolled back to web:1");
    let service = context.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .ends_with("web:1")
    );

    // Waiting on a service with nothing in flight finishes nothing.
    let idle = context.run(&["wait"], &[("TAG", "2")]);
    assert_success(&idle);
    assert!(
        !text(&idle.stderr).contains("post-deploy gate"),
        "{}",
        text(&idle.stderr)
    );
}
