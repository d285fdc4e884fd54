//! Plugins cost only when used (issue #18): a command loads the components of the plugins
//! whose hooks it calls; what the others can do (and their names) comes from the compile
//! cache, so they are neither compiled nor instantiated, yet their config is checked as
//! before. `--debug` names each component a command loads.

use crate::support::{TestContext, assert_failure, assert_success, first_party_plugin, text};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "memory": 128}]}"#;

/// The demo's first-party plugins: a transform, two gates and a notifier. `gate_stages` is
/// the HTTP gate's `config.stages`.
fn config(gate_stages: &str) -> String {
    let path = |name: &str| first_party_plugin(name).display().to_string();
    format!(
        "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nplugins:
  - path: {policy}
    name: policy
    config: {{default_tags: {{managed-by: ristretto}}}}
  - path: {http_gate}
    name: http-gate
    config: {{urls: ['http://127.0.0.1:9/health'], stages: {gate_stages}}}
    allow: {{http: ['127.0.0.1:9']}}
  - path: {slack}
    name: slack-notify
    config: {{webhook_secret: env:SLACK_WEBHOOK_URL}}
    allow: {{secrets: [env:SLACK_WEBHOOK_URL]}}
  - path: {alarm_gate}
    name: alarm-gate
    config: {{alarms: [web-5xx]}}
    allow: {{alarms: [web-5xx]}}
",
        policy = path("policy"),
        http_gate = path("http-gate"),
        slack = path("slack-notify"),
        alarm_gate = path("alarm-gate"),
    )
}

/// The plugins whose component the command's `--debug` output says it loaded or compiled.
fn loaded(stderr: &str) -> Vec<&'static str> {
    ["policy", "http-gate", "slack-notify", "alarm-gate"]
        .into_iter()
        .filter(|name| stderr.contains(&format!("plugin `{name}`: component ")))
        .collect()
}

#[test]
fn render_loads_only_the_plugins_whose_hooks_it_calls() {
    let context = TestContext::offline();
    context.write("ecspresso.yml", &config("[post-deploy]"));
    context.write("td.json", TASK_DEFINITION);

    // Nothing is known about the plugins yet: each is compiled (in parallel) and asked.
    let cold = context.run(&["--debug", "render", "taskdef"], &[]);
    assert_success(&cold);
    let stderr = text(&cold.stderr);
    assert_eq!(
        loaded(&stderr),
        ["policy", "http-gate", "slack-notify", "alarm-gate"],
        "{stderr}"
    );
    assert!(
        text(&cold.stdout).contains("managed-by"),
        "the transform ran"
    );

    // Now the cache knows them: render calls only the transform.
    let warm = context.run(&["--debug", "render", "taskdef"], &[]);
    assert_success(&warm);
    let stderr = text(&warm.stderr);
    assert_eq!(loaded(&stderr), ["policy"], "{stderr}");
    assert!(
        stderr.contains("plugin `policy`: component loaded from the cache"),
        "{stderr}"
    );
    assert_eq!(text(&warm.stdout), text(&cold.stdout));

    // `render config` calls no hook at all.
    let config_only = context.run(&["--debug", "render", "config"], &[]);
    assert_success(&config_only);
    assert_eq!(
        loaded(&text(&config_only.stderr)),
        Vec::<&str>::new(),
        "{}",
        text(&config_only.stderr)
    );

    // A gate's config mistake is still reported, though render does not load the gate.
    context.write("ecspresso.yml", &config("[post-deply]"));
    let mistaken = context.run(&["--debug", "render", "taskdef"], &[]);
    assert_failure(&mistaken, "\"post-deply\" is not one of");
    assert!(
        text(&mistaken.stderr).contains("http-gate"),
        "{}",
        text(&mistaken.stderr)
    );
}
