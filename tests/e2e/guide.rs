//! The guides in docs/, run as written against the emulator: the `ristretto` command lines of
//! getting-started.md's "Your own first deploy" section (with its `export`s) on the files of
//! examples/hello, and the plugin guide's webhook-notify plugin (plugins/examples) on a deploy
//! that succeeds and one that fails. The docs tests (tests/docs) check that the guides quote
//! these files exactly; these tests check that what the guides say happens does happen.

#[path = "../docs/shell.rs"]
mod shell;

use crate::support::{HttpSink, TestContext, assert_success, first_party_plugin, repo_root, text};

/// Copies examples/hello into the test's directory and creates its cluster.
pub(crate) async fn hello(context: &TestContext) {
    for file in ["ecspresso.yml", "ecs-task-def.json", "ecs-service-def.json"] {
        let source = repo_root().join("examples/hello").join(file);
        let content = std::fs::read_to_string(&source).expect("examples/hello file");
        context.write(file, &content);
    }
    context
        .ecs()
        .await
        .create_cluster()
        .cluster_name("hello")
        .send()
        .await
        .expect("create cluster");
}

/// The text of the section of `markdown` that starts with `heading` (up to the next `## `).
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}`"));
    let rest = &markdown[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[tokio::test]
async fn getting_started_first_deploy_runs_as_written() {
    let context = TestContext::with_aws();
    hello(&context).await;
    let guide = std::fs::read_to_string(repo_root().join("docs/getting-started.md"))
        .expect("docs/getting-started.md");
    let steps = shell::shell_commands(section(&guide, "## 3. Your own first deploy"));
    let mut env: Vec<(String, String)> = Vec::new();
    let mut ran = Vec::new();
    for step in steps {
        match step.words.first().map(String::as_str) {
            Some("export") => {
                for assignment in &step.words[1..] {
                    if let Some((name, value)) = assignment.split_once('=')
                        && !name.starts_with("AWS_")
                    {
                        env.retain(|(n, _)| n != name);
                        env.push((name.to_owned(), value.to_owned()));
                    }
                }
            }
            Some("ristretto") => {
                let args: Vec<&str> = step.words[1..].iter().map(String::as_str).collect();
                let vars: Vec<(&str, &str)> =
                    env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                let output = context.run(&args, &vars);
                let code = output.status.code();
                let allowed = if args.contains(&"--exit-code") {
                    vec![Some(0), Some(2)]
                } else {
                    vec![Some(0)]
                };
                assert!(
                    allowed.contains(&code),
                    "docs/getting-started.md:{}: `{}` exited {code:?}\n--- stdout\n{}\n--- stderr\n{}",
                    step.line,
                    step.words.join(" "),
                    text(&output.stdout),
                    text(&output.stderr)
                );
                ran.push((step.words.join(" "), code, text(&output.stdout)));
            }
            // The emulator, the cluster, `cp` and `cd` are the test's own setup.
            _ => {}
        }
    }
    let commands: Vec<&str> = ran.iter().map(|(c, _, _)| c.as_str()).collect();
    for expected in [
        "ristretto deploy",
        "ristretto diff --exit-code",
        "ristretto rollback",
        "ristretto delete --force --terminate",
    ] {
        assert!(
            commands.contains(&expected),
            "the guide runs `{expected}`: {commands:?}"
        );
    }
    // What the guide says happened: the tag change was a difference, the second deploy's
    // revision was deregistered by the rollback, and the service is gone at the end.
    let diff = ran
        .iter()
        .find(|(c, _, _)| c == "ristretto diff --exit-code")
        .expect("diff ran");
    assert_eq!(diff.1, Some(2), "the tag change is a difference");
    assert!(
        diff.2.contains("+      \"image\": \"nginx:1.28\""),
        "{}",
        diff.2
    );
    let status = ran
        .iter()
        .find(|(c, _, _)| c == "ristretto status --output json")
        .expect("status --output json ran");
    let report: serde_json::Value = serde_json::from_str(&status.2).expect("status JSON");
    assert_eq!(
        report["taskDefinition"], "hello:1",
        "rolled back to hello:1"
    );
    assert_eq!(
        context.task_definition_status("hello:2").await.as_deref(),
        Some("INACTIVE")
    );
    let remaining = context
        .ecs()
        .await
        .describe_services()
        .cluster("hello")
        .services("hello")
        .send()
        .await
        .expect("describe services");
    assert!(
        remaining
            .services()
            .iter()
            .all(|s| s.status() == Some("INACTIVE")),
        "the service is deleted"
    );
}

fn webhook_config(sink: &HttpSink, events: &str) -> String {
    let base = std::fs::read_to_string(repo_root().join("examples/hello/ecspresso.yml"))
        .expect("examples/hello/ecspresso.yml");
    format!(
        "{base}plugins:\n  - path: {}\n{events}    allow:\n      http: ['{}']\n      secrets: [env:WEBHOOK_URL]\n",
        first_party_plugin("webhook-notify").display(),
        sink.url.trim_start_matches("http://")
    )
}

#[tokio::test]
async fn plugin_guide_webhook_notify_sends_outcomes() {
    let context = TestContext::with_aws();
    hello(&context).await;
    let sink = HttpSink::start();
    let url = format!("{}/hooks/deploys", sink.url);
    context.write("ecspresso.yml", &webhook_config(&sink, ""));
    let env = [("IMAGE_TAG", "1.27"), ("WEBHOOK_URL", url.as_str())];
    assert_success(&context.run(&["deploy"], &env));
    // Default events: outcomes only, so no "started" message.
    let texts: Vec<String> = sink
        .bodies()
        .iter()
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        texts,
        ["[hello/hello] service hello runs hello:1"],
        "{texts:?}"
    );

    // A failing rollout: the message carries the reason; with `events` set, the start too.
    context.write(
        "ecspresso.yml",
        &webhook_config(
            &sink,
            "    config:\n      events: [deploy-started, deploy-failed]\n",
        ),
    );
    context.control(
        "/_emulator/ecs/outcome",
        serde_json::json!({"cluster": "hello", "service": "hello", "outcome": "fail"}),
    );
    let failed = context.run(&["deploy"], &[("IMAGE_TAG", "1.28"), ("WEBHOOK_URL", &url)]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    let texts: Vec<String> = sink
        .bodies()
        .iter()
        .skip(1)
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("deploy of service hello to cluster hello started"),
        "{texts:?}"
    );
    assert!(
        texts[1].starts_with("[hello/hello] deploy of service hello failed")
            && texts[1].contains("\nreason: "),
        "{texts:?}"
    );

    // Without the secret granted the plugin cannot read the URL: a warning, not a failure.
    context.write(
        "ecspresso.yml",
        &webhook_config(&sink, "").replace("      secrets: [env:WEBHOOK_URL]\n", ""),
    );
    let output = context.run(
        &["deploy", "--skip-task-definition", "--force-new-deployment"],
        &[("IMAGE_TAG", "1.27"), ("WEBHOOK_URL", &url)],
    );
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("[WARNING]")
            && stderr.contains(
                "secret `env:WEBHOOK_URL` is not allowed; add it to the plugin's allow.secrets"
            ),
        "{stderr}"
    );
}
