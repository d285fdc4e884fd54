//! The config file's shape: every key of ecspresso's config (reference §4), with its defaults.
//! Plain data; loading and validation live in `load`.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The keys a config file may hold, as ecspresso spells them.
pub const KNOWN_KEYS: [&str; 13] = [
    "required_version",
    "region",
    "cluster",
    "service",
    "service_definition",
    "task_definition",
    "express_definition",
    "timeout",
    "plugins",
    "appspec",
    "codedeploy",
    "ignore",
    "filter_command",
];

/// A resolved config file (defaults filled, paths still as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// Version constraint the binary must satisfy, e.g. `>= 2.0.0, < 3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_version: Option<String>,
    /// AWS region; falls back to the AWS SDK's region resolution (`AWS_REGION`, profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ECS cluster name.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// ECS service name; may be empty for task-definition-only use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Service definition file, relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_definition: Option<PathBuf>,
    /// Task definition file, relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<PathBuf>,
    /// ECS Express mode definition file, relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub express_definition: Option<PathBuf>,
    /// Deadline for a whole command and its waits.
    #[serde(default = "default_timeout", with = "duration_text")]
    pub timeout: Duration,
    /// Template/Jsonnet function plugins (ecspresso's list; WebAssembly entries come later).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginEntry>,
    /// CodeDeploy AppSpec hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appspec: Option<serde_json::Value>,
    /// CodeDeploy application and deployment group settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codedeploy: Option<CodeDeployConfig>,
    /// Things never diffed, added or removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<IgnoreConfig>,
    /// Deprecated in ecspresso v2 (use `--filter-command`); still honoured, with a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_command: Option<String>,
}

impl ConfigFile {
    /// The config as `render config` shows it, as ecspresso resolves it: a missing `region`
    /// comes from `AWS_REGION` (then `AWS_DEFAULT_REGION`) of `environment` (ecspresso's
    /// config loader), and `filter_command` is the `--filter-command` flag (or its variable)
    /// when given, else the deprecated key.
    pub fn resolved_for_display(
        &self,
        environment: &super::Environment,
        filter_command: Option<&str>,
    ) -> ConfigFile {
        let mut shown = self.clone();
        if shown.region.as_deref().is_none_or(str::is_empty) {
            shown.region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .find_map(|name| environment.get(name).filter(|v| !v.is_empty()))
                .map(str::to_owned);
        }
        if let Some(command) = filter_command.filter(|c| !c.is_empty()) {
            shown.filter_command = Some(command.to_owned());
        }
        shown
    }
}

fn default_cluster() -> String {
    "default".to_owned()
}

fn default_timeout() -> Duration {
    Duration::from_secs(600)
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self {
            required_version: None,
            region: None,
            cluster: default_cluster(),
            service: None,
            service_definition: None,
            task_definition: None,
            express_definition: None,
            timeout: default_timeout(),
            plugins: Vec::new(),
            appspec: None,
            codedeploy: None,
            ignore: None,
            filter_command: None,
        }
    }
}

/// One entry of `plugins:`: an ecspresso built-in (`name` only) or a WebAssembly plugin
/// (`path`, `url` with `sha256`, or `oci`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginEntry {
    /// Plugin name (`tfstate`, `cloudformation`, `ssm`, `secretsmanager`, `external`, or the
    /// name of a WebAssembly plugin; defaults to the file name without extension).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Plugin-specific settings (rendered like the rest of the config).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub config: serde_json::Value,
    /// Prefix added to every function name the plugin registers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub func_prefix: String,
    /// A WebAssembly component on disk, relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// A WebAssembly component to download over HTTPS (pinned by `sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A WebAssembly component in an OCI registry, `REGISTRY/REPOSITORY:TAG@sha256:DIGEST`
    /// (a tag alone is pinned by `ristretto.lock`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<String>,
    /// Expected sha256 of the component (hex); loading fails on a mismatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What the plugin may reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<PluginAllow>,
    /// Resource limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<PluginLimits>,
}

impl PluginEntry {
    /// A WebAssembly plugin entry for `path` with nothing granted.
    pub fn default_for(path: &std::path::Path) -> Self {
        Self {
            name: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("plugin")
                .to_owned(),
            config: serde_json::Value::Null,
            func_prefix: String::new(),
            path: Some(path.to_path_buf()),
            url: None,
            oci: None,
            sha256: None,
            allow: None,
            limits: None,
        }
    }
}

/// `allow:` grants of a WebAssembly plugin. Everything else is denied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PluginAllow {
    /// Hosts outbound HTTP may reach: `hooks.slack.com`, `*.example.com`, `127.0.0.1:8080`.
    /// Link-local addresses (instance metadata, ECS credentials) are never reachable; loopback
    /// and private addresses only when listed literally (IP or `localhost`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<String>,
    /// Secrets the plugin may read: `env:NAME`, `ssm:/path`, `secretsmanager:name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// CloudWatch alarms the plugin may read: exact names or `prefix*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<String>,
}

/// `limits:` of a WebAssembly plugin.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PluginLimits {
    /// Wall-clock limit of one hook call (defaults: transform and functions 10s, gate check
    /// 60s, notify 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// How long a gate may keep answering `pending` (default 10m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_timeout: Option<String>,
    /// Linear memory cap, e.g. `64MiB` (default 128MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// `codedeploy:` settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CodeDeployConfig {
    /// CodeDeploy application (skips discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_name: Option<String>,
    /// CodeDeploy deployment group (skips discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_group_name: Option<String>,
    /// Overrides the deployment group's deployment config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_config_name: Option<String>,
}

/// `ignore:` settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IgnoreConfig {
    /// Tag keys filtered out of local and remote tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Serializes durations as Go-style text and reads text or a number of seconds.
mod duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::config::{format_duration, parse_duration};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_duration(*value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Seconds(f64),
        }
        match Raw::deserialize(deserializer).map_err(|_| {
            D::Error::custom("expected a duration such as \"10m\" or a number of seconds")
        })? {
            Raw::Text(text) => parse_duration(&text).map_err(D::Error::custom),
            Raw::Seconds(seconds) => parse_duration(&seconds.to_string()).map_err(D::Error::custom),
        }
    }
}
