//! Helpers of the gate tests (ECS blue/green and CodeDeploy): the web service's config, the
//! scripted gate plugin entry, and the shared pending-gate contract.

use super::{HttpSink, TestContext, assert_failure, test_plugin};

/// A config for service `web` of cluster `e2e` (td.json, sd.json, 2m timeout) with `plugins`:
/// YAML list items (each starting with a newline) or ` []`.
pub fn web_config(plugins: &str) -> String {
    format!(
        "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\nplugins:{plugins}\n"
    )
}

/// A `plugins:` item for the scripted-gate test plugin with `config` (a YAML flow mapping).
pub fn scripted_gate(config: &str) -> String {
    format!(
        "\n  - path: {}\n    config: {config}",
        test_plugin("scripted-gate").display()
    )
}

/// Whether the service's task definition is `revision` (`family:N`).
pub fn runs(service: &aws_sdk_ecs::types::Service, revision: &str) -> bool {
    service
        .task_definition()
        .unwrap_or_default()
        .ends_with(revision)
}

impl TestContext {
    /// The operations this test's account called, from the `from`-th call on.
    pub fn operations_since(&self, from: usize) -> Vec<String> {
        self.calls("")
            .iter()
            .skip(from)
            .filter_map(|c| c["operation"].as_str().map(str::to_owned))
            .collect()
    }
}

impl TestContext {
    /// Configures a gate that stays pending before traffic shifts (limits.gate_timeout 1s),
    /// deploys web:2 and checks that the deploy fails and the service is back on web:1 — the
    /// same contract for every deployment controller.
    pub async fn assert_pending_gate_rolls_back(&self) {
        self.write(
            "ecspresso.yml",
            &web_config(&format!(
                "{}\n    limits:\n      gate_timeout: 1s",
                scripted_gate("{pending_polls: 1000, pending_at: [before-traffic-shift]}")
            )),
        );
        let output = self.run(&["deploy"], &[("TAG", "2")]);
        assert_failure(
            &output,
            "before-traffic-shift gate of plugin `scripted-gate` failed: still pending after 1s (limits.gate_timeout); the service was rolled back to web:1",
        );
        assert!(runs(&self.service("web").await, "web:1"));
    }
}

/// A `plugins:` item for the notify-recorder test plugin posting every event to `sink`.
pub fn notify_recorder(sink: &HttpSink) -> String {
    let host = sink.url.trim_start_matches("http://").to_owned();
    format!(
        "\n  - path: {}\n    config:\n      url: {}/hook\n    allow:\n      http: ['{host}']",
        test_plugin("notify-recorder").display(),
        sink.url
    )
}

/// The `kind` of every event the recorder posted to `sink`, in order.
pub fn notified_kinds(sink: &HttpSink) -> Vec<String> {
    sink.bodies()
        .iter()
        .filter_map(|b| b["kind"].as_str().map(str::to_owned))
        .collect()
}
