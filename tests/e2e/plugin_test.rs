//! `ristretto plugin test` on every first-party plugin, offline: no config file and no AWS.
//! Host imports come from a `--fake` file (secrets, alarm states), outbound requests go to a
//! local sink, and the output says what the plugin did (requests sent, secrets and alarms
//! read), so a notify that sent nothing does not read as a notification. Plugin log records
//! keep their levels, and the help lists the stages and events.

use std::process::Output;

use crate::support::{
    HttpSink, TestContext, assert_failure, assert_success, first_party_plugin, text,
};

fn plugin_test(context: &TestContext, plugin: &str, args: &[&str]) -> Output {
    let path = first_party_plugin(plugin);
    let mut argv = vec!["plugin", "test", path.to_str().expect("utf-8 path")];
    argv.extend_from_slice(args);
    context.run(&argv, &[])
}

fn stdout_json(output: &Output) -> serde_json::Value {
    assert_success(output);
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&output.stdout)))
}

#[test]
fn slack_notify_reads_a_faked_ssm_secret_and_reports_the_post_it_sent() {
    let context = TestContext::offline();
    let sink = HttpSink::start();
    context.write(
        "fake.yml",
        &format!(
            "secrets:\n  ssm:/slack/webhook: {}/services/T0/B0\n  env:GIT_SHA: abc123\n",
            sink.url
        ),
    );
    let host = sink.url.trim_start_matches("http://").to_owned();
    let output = plugin_test(
        &context,
        "slack-notify",
        &[
            "--hook",
            "notify",
            "--event",
            "deploy-failed",
            "--plugin-config",
            r#"{"webhook_secret": "ssm:/slack/webhook", "trigger": ["env:GIT_SHA"]}"#,
            "--allow-http",
            &host,
            "--fake",
            "fake.yml",
        ],
    );
    let report = stdout_json(&output);
    assert_eq!(report["result"], "ok", "{report}");
    assert_eq!(
        report["did"]["requests"],
        serde_json::json!([format!("POST {}/services/T0/B0 → 200", sink.url)]),
        "{report}"
    );
    assert_eq!(
        report["did"]["secrets"],
        serde_json::json!(["ssm:/slack/webhook", "env:GIT_SHA"])
    );
    let bodies = sink.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["blocks"][0]["text"]["text"], "❌ deploy-failed");
    assert!(
        bodies[0]["blocks"][2]["elements"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("abc123 · ")),
        "{bodies:?}"
    );
    assert!(
        text(&output.stderr).contains(&format!("sent POST {}/services/T0/B0 → 200", sink.url)),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_notify_that_sends_nothing_says_so_and_log_levels_are_kept() {
    let context = TestContext::offline();
    let sink = HttpSink::start();
    context.write(
        "fake.json",
        &format!(
            r#"{{"secrets": {{"env:WEBHOOK_URL": "{}/hook"}}}}"#,
            sink.url
        ),
    );
    let host = sink.url.trim_start_matches("http://").to_owned();
    let args = |event: &'static str| {
        vec![
            "--hook",
            "notify",
            "--event",
            event,
            "--allow-http",
            host.as_str(),
            "--fake",
            "fake.json",
        ]
    };
    // deploy-started is not one of webhook-notify's default events: nothing is sent.
    let quiet = plugin_test(&context, "webhook-notify", &args("deploy-started"));
    let report = stdout_json(&quiet);
    assert_eq!(report["did"]["requests"], serde_json::json!([]), "{report}");
    let stderr = text(&quiet.stderr);
    assert!(
        stderr.contains("the plugin sent nothing for this event"),
        "{stderr}"
    );
    // Its debug record shows only with --debug.
    assert!(
        !stderr.contains("is not one of the events to send"),
        "{stderr}"
    );
    let mut debug = args("deploy-started");
    debug.push("--debug");
    let verbose = plugin_test(&context, "webhook-notify", &debug);
    assert_success(&verbose);
    assert!(
        text(&verbose.stderr).contains("deploy-started is not one of the events to send"),
        "{}",
        text(&verbose.stderr)
    );
    assert!(sink.bodies().is_empty());

    let sent = plugin_test(&context, "webhook-notify", &args("deploy-failed"));
    let report = stdout_json(&sent);
    assert_eq!(
        report["did"]["requests"],
        serde_json::json!([format!("POST {}/hook → 200", sink.url)])
    );
    assert!(
        text(&sent.stderr).contains(&format!("sent POST {}/hook → 200", sink.url))
            && !text(&sent.stderr).contains("the plugin sent nothing"),
        "{}",
        text(&sent.stderr)
    );
    assert_eq!(sink.bodies().len(), 1);
}

#[test]
fn alarm_gate_answers_from_faked_alarm_states() {
    let context = TestContext::offline();
    context.write(
        "fake.yml",
        "alarms:\n  web-5xx: {state: ALARM, reason: Threshold Crossed}\n  web-latency: OK\n  web-new: INSUFFICIENT_DATA\n",
    );
    let gate = |alarms: &str| {
        plugin_test(
            &context,
            "alarm-gate",
            &[
                "--hook",
                "gate",
                "--stage",
                "post-deploy",
                "--plugin-config",
                &format!(r#"{{"alarms": {alarms}}}"#),
                "--fake",
                "fake.yml",
            ],
        )
    };
    let report = stdout_json(&gate(r#"["web-latency"]"#));
    assert_eq!(report["verdict"], "pass", "{report}");
    assert_eq!(
        report["did"]["alarms"],
        serde_json::json!(["web-latency: OK"])
    );

    let report = stdout_json(&gate(r#"["web-latency", "web-5xx"]"#));
    assert_eq!(report["verdict"], "fail", "{report}");
    assert_eq!(
        report["reason"],
        "alarm `web-5xx` is in ALARM: Threshold Crossed"
    );

    let report = stdout_json(&gate(r#"["web-new"]"#));
    assert_eq!(report["verdict"], "pending", "{report}");

    let report = stdout_json(&gate(r#"["web-gone"]"#));
    assert_eq!(
        report["reason"], "alarm `web-gone` does not exist",
        "{report}"
    );

    // --allow-alarm limits the reads as allow.alarms does.
    let denied = plugin_test(
        &context,
        "alarm-gate",
        &[
            "--hook",
            "gate",
            "--stage",
            "post-deploy",
            "--plugin-config",
            r#"{"alarms": ["web-5xx"]}"#,
            "--fake",
            "fake.yml",
            "--allow-alarm",
            "api-*",
        ],
    );
    assert_failure(&denied, "alarm `web-5xx` is not allowed");
}

#[test]
fn http_gate_and_policy_run_offline() {
    let context = TestContext::offline();
    let sink = HttpSink::start();
    let host = sink.url.trim_start_matches("http://").to_owned();
    // Templated numbers arrive as strings; the gate reads them as numbers.
    let output = plugin_test(
        &context,
        "http-gate",
        &[
            "--hook",
            "gate",
            "--stage",
            "post-deploy",
            "--plugin-config",
            &format!(r#"{{"urls": ["{}/health"], "successes": "1"}}"#, sink.url),
            "--allow-http",
            &host,
        ],
    );
    let report = stdout_json(&output);
    assert_eq!(report["verdict"], "pass", "{report}");
    assert_eq!(
        report["did"]["requests"],
        serde_json::json!([format!("GET {}/health → 200", sink.url)])
    );

    // Without max_failures a URL that keeps failing leaves the gate pending (until
    // gate_timeout); with it the gate fails (docs/blue-green.md).
    let broken = HttpSink::start_with(vec![(500, "down".to_owned())]);
    let broken_host = broken.url.trim_start_matches("http://").to_owned();
    let probe = |extra: &str| {
        let config = format!(r#"{{"urls": ["{}/health"]{extra}}}"#, broken.url);
        let args = [
            "--hook",
            "gate",
            "--stage",
            "post-deploy",
            "--plugin-config",
            config.as_str(),
            "--allow-http",
            broken_host.as_str(),
        ];
        stdout_json(&plugin_test(&context, "http-gate", &args))
    };
    assert_eq!(probe("")["verdict"], "pending");
    let failed = probe(r#", "max_failures": "1""#);
    assert_eq!(failed["verdict"], "fail", "{failed}");
    assert!(
        failed["reason"].as_str().is_some_and(
            |r| r.contains("answered 500") && r.ends_with("(1 failed rounds in a row)")
        ),
        "{failed}"
    );

    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}"#,
    );
    let output = plugin_test(
        &context,
        "policy",
        &[
            "--hook",
            "transform",
            "--input",
            "td.json",
            "--plugin-config",
            r#"{"default_tags": {"managed-by": "ristretto"}}"#,
        ],
    );
    let definition = stdout_json(&output);
    assert!(
        definition["tags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|t| t["key"] == "managed-by")),
        "{definition}"
    );
}

#[test]
fn plugin_test_help_lists_stages_and_events() {
    let context = TestContext::offline();
    let output = context.run(&["plugin", "test", "--help"], &[]);
    assert_success(&output);
    let help = text(&output.stdout);
    for value in [
        "pre-deploy",
        "before-traffic-shift",
        "bake",
        "post-deploy",
        "deploy-started",
        "gate-failed",
        "rolled-back",
        "fleet-finished",
        "--fake",
    ] {
        assert!(help.contains(value), "{value} missing from:\n{help}");
    }
    let wrong = context.run(
        &[
            "plugin",
            "test",
            "x.wasm",
            "--hook",
            "gate",
            "--stage",
            "predeploy",
        ],
        &[],
    );
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stderr));
    assert!(
        text(&wrong.stderr).contains("predeploy"),
        "{}",
        text(&wrong.stderr)
    );
}

#[test]
fn capabilities_are_the_hooks_each_plugin_implements() {
    let context = TestContext::offline();
    for (plugin, capabilities) in [
        ("slack-notify", vec!["notify"]),
        ("webhook-notify", vec!["notify"]),
        ("http-gate", vec!["gate"]),
        ("alarm-gate", vec!["gate"]),
        ("policy", vec!["transform"]),
    ] {
        let info = stdout_json(&plugin_test(&context, plugin, &["--hook", "info"]));
        assert_eq!(
            info["capabilities"],
            serde_json::json!(capabilities),
            "{plugin}: {info}"
        );
    }
}
