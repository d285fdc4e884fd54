//! The plan file: a versioned JSON document (`kind: ristretto-plan`, `version: 1`) holding one
//! entry per service, in the order they apply, and an integrity hash (`integrity`, the sha256
//! of the document without it). Reading checks, in this order, that the text is JSON, that it
//! is a plan of a version this ristretto reads, and that it was not altered since it was
//! written; only then is it deserialized.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Error;

/// The `kind` of a plan file.
pub const KIND: &str = "ristretto-plan";
/// The plan file format this ristretto writes and reads.
pub const VERSION: u64 = 1;

/// A saved plan: what `deploy --plan-out` decided, for `apply`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanFile {
    /// Always `ristretto-plan`.
    pub kind: String,
    /// The format version ([`VERSION`]).
    pub version: u64,
    /// When the plan was made (RFC 3339, UTC).
    pub created_at: String,
    /// The ristretto that made it.
    pub ristretto_version: String,
    /// The services, in the order `apply` applies them (dependencies first).
    pub services: Vec<ServicePlan>,
}

/// The plan of one service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServicePlan {
    /// The config file, as given when planning (relative to the working directory).
    pub config: String,
    /// The cluster.
    pub cluster: String,
    /// The service.
    pub service: String,
    /// The AWS account the service is in.
    pub account: String,
    /// Its region.
    pub region: String,
    /// Env files the service's config was loaded with (fleet services), loaded again by
    /// `apply` before the command line's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub envfile: Vec<String>,
    /// Jsonnet external strings the config was loaded with (fleet services).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ext_str: BTreeMap<String, String>,
    /// Jsonnet external code the config was loaded with (fleet services).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ext_code: BTreeMap<String, String>,
    /// Services of the fleet that apply before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// What the plan was made from.
    pub inputs: Inputs,
    /// The AWS state it was computed against; `apply` refuses when it changed.
    pub aws_state: AwsState,
    /// The deploy's options (what to wait for, rollback events).
    pub options: SavedOptions,
    /// The decision: exactly what `apply` sends.
    pub plan: SavedPlan,
    /// The gate plugins that will decide (`pre-deploy` and the controller's stages).
    #[serde(default)]
    pub gates: Vec<String>,
    /// Secret values in the plan, by reference: replaced by `[ristretto-secret REFERENCE]`
    /// in the text and re-read by `apply`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretRef>,
    /// What `plan show` prints: the normalized definitions before and after.
    pub review: Review,
}

/// A secret value's reference and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    /// Where the value comes from, e.g. `ssm:/app/db-password`.
    pub reference: String,
    /// sha256 of the value (hex).
    pub sha256: String,
}

/// The inputs of a plan, by sha256 (hex).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// Files read (config, definitions), by path.
    pub files: BTreeMap<String, String>,
    /// WebAssembly plugins, by name.
    pub plugins: BTreeMap<String, String>,
}

/// The AWS state a plan depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwsState {
    /// The service's ARN.
    pub service_arn: String,
    /// The task definition the service is set to.
    pub task_definition: Option<String>,
    /// The ids of its deployments, sorted.
    pub deployments: Vec<String>,
    /// Its desired count.
    pub desired_count: i32,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// The service as a definition (normalized as `diff` does, without desired count and tags).
    pub service_definition: Value,
    /// Its scalable targets, when the plan changes auto scaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalable_targets: Option<Vec<ScalableTarget>>,
}

/// A scalable target of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalableTarget {
    /// The scalable dimension.
    pub dimension: String,
    /// Minimum capacity.
    pub min: Option<i32>,
    /// Maximum capacity.
    pub max: Option<i32>,
    /// Suspended: dynamic in, dynamic out, scheduled.
    pub suspended: [bool; 3],
}

/// `DeployOptions`, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    /// `register`, `revision:N`, `latest` or `current`.
    pub task_definition: String,
    /// `from-definition`, `unchanged` or a number.
    pub desired_count: String,
    /// `--force-new-deployment`.
    pub force_new_deployment: bool,
    /// Whether service attributes and tags are applied.
    pub update_service: bool,
    /// What to wait for (`None`: no wait).
    pub wait: Option<String>,
    /// CodeDeploy rollback events.
    #[serde(default)]
    pub rollback_events: Vec<String>,
}

/// `deploy::Plan`, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// `rolling`, `blue-green`, `linear`, `canary`, `codedeploy` or `external`.
    pub strategy: String,
    /// The service ARN.
    pub service_arn: Option<String>,
    /// The CodeDeploy deployment, for CODE_DEPLOY services.
    pub code_deploy: Option<SavedCodeDeploy>,
    /// The service definition (rendered, transformed).
    pub local_service: Option<Value>,
    /// The task definition to register or use.
    pub task_definition: SavedTaskDefinition,
    /// The task definition the service runs now.
    pub previous_task_definition: Option<String>,
    /// The desired count to set.
    pub desired_count: Option<i32>,
    /// The service's desired count when the plan was made (what `scale` reports a change from).
    pub previous_desired_count: i32,
    /// The UpdateService attributes, as AWS API JSON.
    pub attributes: Option<Value>,
    /// Tags to add or update.
    pub tags_set: BTreeMap<String, String>,
    /// Tag keys to remove.
    pub tags_remove: Vec<String>,
    /// Auto scaling: suspend (`true`), resume (`false`).
    pub auto_scaling_suspend: Option<bool>,
    /// Auto scaling minimum capacity.
    pub auto_scaling_min: Option<i32>,
    /// Auto scaling maximum capacity.
    pub auto_scaling_max: Option<i32>,
    /// UpdateService `forceNewDeployment`.
    pub force_new_deployment: bool,
}

/// The task definition of a saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum SavedTaskDefinition {
    /// Register this definition (rendered and transformed at plan time).
    Register {
        /// The file it was rendered from.
        path: String,
        /// The definition, in AWS API shape.
        definition: Value,
    },
    /// Use this revision.
    Existing {
        /// Its ARN.
        arn: String,
    },
}

/// The CodeDeploy part of a saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCodeDeploy {
    /// The CodeDeploy application.
    pub application: String,
    /// The deployment group.
    pub group: String,
    /// The deployment config.
    pub config_name: Option<String>,
    /// Minutes the deployment waits at READY.
    pub ready_wait_minutes: Option<i32>,
    /// The service as the AppSpec describes it.
    pub service_json: Value,
}

/// The normalized definitions `plan show` compares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The service: AWS's, then the plan's (when the plan applies the service definition).
    pub service: Option<[Value; 2]>,
    /// The task definition the service runs (its ARN).
    pub current_task_definition: Option<String>,
    /// The task definition: the current one's, then the one to register.
    pub task_definition: Option<[Value; 2]>,
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The integrity hash of a plan document (without its `integrity` field).
fn integrity(document: &serde_json::Map<String, Value>) -> Result<String, Error> {
    let bytes = serde_json::to_vec(document).map_err(|e| Error::Format(e.to_string()))?;
    Ok(format!("sha256:{}", sha256_hex(&bytes)))
}

impl PlanFile {
    /// The plan as the file's text (pretty JSON, with its integrity hash).
    pub fn to_text(&self) -> Result<String, Error> {
        let Value::Object(mut document) =
            serde_json::to_value(self).map_err(|e| Error::Format(e.to_string()))?
        else {
            return Err(Error::Format("a plan serializes to an object".to_owned()));
        };
        let hash = integrity(&document)?;
        document.insert("integrity".to_owned(), Value::String(hash));
        let mut text = serde_json::to_string_pretty(&Value::Object(document))
            .map_err(|e| Error::Format(e.to_string()))?;
        text.push('\n');
        Ok(text)
    }

    /// Writes the plan to `path`.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let text = self.to_text()?;
        std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads and checks the plan file at `path`.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|err| Error::File {
            path: path.display().to_string(),
            problem: Box::new(err),
        })
    }

    /// Parses and checks plan text: JSON, kind, version, integrity, then the structure.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                Error::Format(format!("the file is truncated ({e})"))
            } else {
                Error::Format(format!("not JSON: {e}"))
            }
        })?;
        let Value::Object(mut document) = value else {
            return Err(Error::Format(
                "not a ristretto plan (not an object)".to_owned(),
            ));
        };
        if document.get("kind").and_then(Value::as_str) != Some(KIND) {
            return Err(Error::Format(format!(
                "not a ristretto plan (no `kind: {KIND}`)"
            )));
        }
        match document.get("version").and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(other) => {
                return Err(Error::Version {
                    found: other.to_string(),
                });
            }
            None => {
                return Err(Error::Version {
                    found: "none".to_owned(),
                });
            }
        }
        let Some(Value::String(recorded)) = document.remove("integrity") else {
            return Err(Error::Integrity("it has no `integrity` hash".to_owned()));
        };
        let actual = integrity(&document)?;
        if recorded != actual {
            return Err(Error::Integrity(format!(
                "its content does not match its integrity hash (recorded {recorded}, content {actual}): it was changed after `deploy --plan-out` wrote it"
            )));
        }
        serde_json::from_value(Value::Object(document))
            .map_err(|e| Error::Format(format!("not a valid plan: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PlanFile {
        PlanFile {
            kind: KIND.to_owned(),
            version: VERSION,
            created_at: "2026-01-01T00:00:00Z".to_owned(),
            ristretto_version: "0.0.0".to_owned(),
            services: Vec::new(),
        }
    }

    #[test]
    fn a_written_plan_reads_back_and_any_change_is_refused() {
        let text = sample().to_text().unwrap();
        assert_eq!(
            PlanFile::parse(&text).unwrap().created_at,
            "2026-01-01T00:00:00Z"
        );
        let tampered = text.replace("2026-01-01", "2026-01-02");
        let err = PlanFile::parse(&tampered).unwrap_err().to_string();
        assert!(err.contains("integrity"), "{err}");
        let truncated = &text[..text.len() / 2];
        let err = PlanFile::parse(truncated).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let other = text.replace("\"version\": 1", "\"version\": 2");
        let err = PlanFile::parse(&other).unwrap_err().to_string();
        assert!(err.contains("version 2"), "{err}");
    }
}
