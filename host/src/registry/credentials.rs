//! Registry credentials found the way the docker CLI finds them, so `docker login` (or a CI
//! login action) is all a user does: `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`; for a registry, its `credHelpers` entry (a `docker-credential-NAME`
//! program) wins, then `credsStore` (a helper for every registry), then the `auths` entry.
//! No config file, or no entry, means anonymous access. Secrets are never put in messages.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::environment::Environment;

/// Docker Hub's key in `auths` and the server URL its helpers are asked for.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// What a registry is sent to prove who is asking.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or access token used as one).
    Basic {
        /// The user name.
        username: String,
        /// The password or token.
        password: String,
    },
    /// A registry token (`registrytoken` in `auths`), sent as a bearer token as it is.
    Bearer(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Self::Bearer(_) => write!(f, "Bearer(***)"),
        }
    }
}

impl Credential {
    /// The `Authorization: Basic …` value, for a basic credential.
    pub fn basic_header(&self) -> Option<String> {
        use base64::Engine;
        match self {
            Self::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Self::Bearer(_) => None,
        }
    }
}

/// The parts of docker's config.json that hold credentials.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

/// One `auths` entry.
#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    /// base64 of `user:password`.
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// What a credential helper prints for `get`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// The docker config file `environment` points at: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub fn config_path(environment: &Environment) -> Option<PathBuf> {
    if let Some(dir) = environment.get("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    environment
        .get("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// The credential for `registry` (host and port, as in a reference), or `None` for anonymous
/// access. Errors name the config file or the helper, never a secret.
pub fn find(environment: &Environment, registry: &str) -> Result<Option<Credential>, String> {
    let Some(path) = config_path(environment) else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let config: DockerConfig = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a docker config: {e}", path.display()))?;
    let hub = is_docker_hub(registry);
    let server = if hub { DOCKER_HUB_KEY } else { registry };
    let helper = config
        .cred_helpers
        .iter()
        .find(|(key, _)| same_registry(key, registry))
        .map(|(_, helper)| helper)
        .or(config.creds_store.as_ref())
        .filter(|h| !h.is_empty());
    if let Some(helper) = helper
        && let Some(credential) = ask_helper(helper, server)?
    {
        return Ok(Some(credential));
    }
    let Some(entry) = config
        .auths
        .iter()
        .find(|(key, _)| same_registry(key, registry))
        .map(|(_, entry)| entry)
    else {
        return Ok(None);
    };
    from_entry(entry, &path, registry)
}

/// The credential of an `auths` entry.
fn from_entry(
    entry: &AuthEntry,
    path: &std::path::Path,
    registry: &str,
) -> Result<Option<Credential>, String> {
    use base64::Engine;
    if let Some(token) = entry.registrytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credential::Bearer(token.to_owned())));
    }
    if entry
        .identitytoken
        .as_deref()
        .is_some_and(|t| !t.is_empty())
    {
        return Err(format!(
            "{}: the entry for {registry} holds an identity token (OAuth refresh token), which ristretto does not exchange; log in with a user name and password or access token",
            path.display()
        ));
    }
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                format!(
                    "{}: `auth` of {registry} is not base64 of user:password",
                    path.display()
                )
            })?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            format!(
                "{}: `auth` of {registry} is not base64 of user:password",
                path.display()
            )
        })?;
        return Ok(Some(Credential::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        }));
    }
    Ok(match (&entry.username, &entry.password) {
        (Some(username), Some(password)) => Some(Credential::Basic {
            username: username.clone(),
            password: password.clone(),
        }),
        _ => None,
    })
}

/// Runs `docker-credential-HELPER get` with `server` on stdin. "Not found" is `None`.
fn ask_helper(helper: &str, server: &str) -> Result<Option<Credential>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the docker credential helper {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| format!("cannot write to {program}: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{program} failed: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let said = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
        if said.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "{program} get {server} failed ({}): {}",
            output.status,
            said.trim()
        ));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout)
        .map_err(|e| format!("{program} get {server} printed no Username/Secret JSON: {e}"))?;
    if answer.username == "<token>" {
        return Err(format!(
            "{program} holds an identity token (OAuth refresh token) for {server}, which ristretto does not exchange; log in with a user name and password or access token"
        ));
    }
    Ok(Some(Credential::Basic {
        username: answer.username,
        password: answer.secret,
    }))
}

/// Whether `registry` is Docker Hub.
fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "registry-1.docker.io" | "index.docker.io" | "docker.io"
    )
}

/// Whether a config key (`ghcr.io`, `https://ghcr.io`, `https://index.docker.io/v1/`) names
/// `registry`, as docker compares them: scheme and path dropped.
fn same_registry(key: &str, registry: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    host == registry || (is_docker_hub(host) && is_docker_hub(registry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment_with(config: &str) -> (tempfile::TempDir, Environment) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        let environment =
            Environment::from_vars([("DOCKER_CONFIG", dir.path().to_str().unwrap().to_owned())]);
        (dir, environment)
    }

    #[test]
    fn auths_entries_match_by_host_and_decode() {
        // base64("ci:s3cret")
        let (_dir, env) = environment_with(
            r#"{"auths": {"https://ghcr.io": {"auth": "Y2k6czNjcmV0"}, "https://index.docker.io/v1/": {"username": "hub", "password": "pw"}}}"#,
        );
        assert_eq!(
            find(&env, "ghcr.io").unwrap(),
            Some(Credential::Basic {
                username: "ci".into(),
                password: "s3cret".into()
            })
        );
        assert_eq!(
            find(&env, "registry-1.docker.io").unwrap(),
            Some(Credential::Basic {
                username: "hub".into(),
                password: "pw".into()
            })
        );
        assert_eq!(find(&env, "quay.io").unwrap(), None);
    }

    #[test]
    fn no_config_file_is_anonymous_and_a_bad_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment::from_vars([("HOME", dir.path().to_str().unwrap().to_owned())]);
        assert_eq!(find(&env, "ghcr.io").unwrap(), None);
        let (_dir, env) = environment_with("{not json");
        assert!(
            find(&env, "ghcr.io")
                .unwrap_err()
                .contains("is not a docker config")
        );
        let (_dir, env) = environment_with(r#"{"auths": {"ghcr.io": {"identitytoken": "x"}}}"#);
        assert!(
            find(&env, "ghcr.io")
                .unwrap_err()
                .contains("identity token")
        );
    }

    #[test]
    fn a_missing_helper_is_named() {
        let (_dir, env) = environment_with(r#"{"credsStore": "ristretto-test-absent"}"#);
        let err = find(&env, "ghcr.io").unwrap_err();
        assert!(
            err.contains("docker-credential-ristretto-test-absent"),
            "{err}"
        );
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        let basic = Credential::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{basic:?}").contains("hunter2"));
    }
}
