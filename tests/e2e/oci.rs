//! Plugins shared through OCI registries and HTTPS, against a real registry the tests start
//! (`docker-registry`, support/registry.rs): `plugin push` and `plugin pull`, configs pinning
//! the artifact by digest (three "repositories" of one organisation, one of which deploys),
//! htpasswd auth with the docker config and a credential helper, a wrong digest, a missing
//! tag, the registry down with and without a cache, a tag recorded in `ristretto.lock`, and
//! `--locked`. What the registry holds is read back without ristretto.

use std::process::Output;

use sha2::Digest;

use crate::support::registry::{Registry, get};
use crate::support::{
    HttpSink, Reply, TestContext, assert_failure, assert_success, test_plugin, text,
};

const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1}"#;

/// `sha256:` + hex of `bytes`.
fn digest(bytes: &[u8]) -> String {
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Writes `DIR/ecspresso.yml` using the tag-transform plugin from `source` (`oci: …` or
/// `url: …` plus `sha256: …` lines) and its definitions.
fn write_repo(context: &TestContext, dir: &str, source: &str) {
    context.write(
        &format!("{dir}/ecspresso.yml"),
        &format!(
            "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\nplugins:\n  - {source}\n    config:\n      tags:\n        team: payments\n"
        ),
    );
    context.write(&format!("{dir}/td.json"), TASK_DEFINITION);
    context.write(&format!("{dir}/sd.json"), SERVICE_DEFINITION);
}

/// Runs `ristretto --config DIR/ecspresso.yml ARGS` with the plugin cache in `cache`.
fn in_repo(
    context: &TestContext,
    dir: &str,
    cache: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let config = format!("{dir}/ecspresso.yml");
    let mut all = vec!["--config", config.as_str()];
    all.extend_from_slice(args);
    let cache = context.path(cache);
    let mut env = env.to_vec();
    env.push(("RISTRETTO_CACHE_DIR", cache.to_str().unwrap_or_default()));
    context.run(&all, &env)
}

/// Asserts a rendered task definition carries the plugin's tag.
fn assert_transformed(output: &Output) {
    assert_success(output);
    assert!(
        text(&output.stdout).contains("\"payments\""),
        "{}",
        text(&output.stdout)
    );
}

/// Pushes the tag-transform test plugin as `reference`; returns the pinned reference.
fn push(context: &TestContext, reference: &str, env: &[(&str, &str)]) -> String {
    let plugin = test_plugin("tag-transform");
    let output = context.run(
        &[
            "plugin",
            "push",
            plugin.to_str().unwrap_or_default(),
            reference,
        ],
        env,
    );
    assert_success(&output);
    text(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn an_org_publishes_a_plugin_and_three_repositories_pin_it_by_digest() {
    let mut registry = Registry::start(&[]);
    let context = TestContext::with_aws();
    context.create_cluster().await;
    let wasm = std::fs::read(test_plugin("tag-transform")).expect("test plugin");
    let tag = format!("{}/acme/tag-transform:1.0.0", registry.address);
    let pinned = push(&context, &tag, &[]);
    let (_, manifest_digest) = pinned.split_once('@').expect("pinned by digest");
    assert_eq!(pinned, format!("{tag}@{manifest_digest}"));

    // The CNCF wasm artifact layout, read from the registry without ristretto.
    let accept = [("Accept", "application/vnd.oci.image.manifest.v1+json")];
    let (status, _, manifest) = get(
        &registry.address,
        "/v2/acme/tag-transform/manifests/1.0.0",
        &accept,
    )
    .expect("GET manifest");
    assert_eq!(status, 200);
    assert_eq!(digest(&manifest), manifest_digest);
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("manifest JSON");
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(manifest["layers"][0]["digest"], digest(&wasm).as_str());
    let config_path = format!(
        "/v2/acme/tag-transform/blobs/{}",
        manifest["config"]["digest"].as_str().unwrap_or_default()
    );
    let (status, _, config) = get(&registry.address, &config_path, &[]).expect("GET config");
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_slice(&config).expect("config JSON");
    assert_eq!(config["architecture"], "wasm");
    assert_eq!(config["os"], "wasip2");
    assert_eq!(config["layerDigests"][0], digest(&wasm).as_str());
    let exports = config["component"]["exports"].to_string();
    assert!(
        exports.contains("ristretto:plugin/transform@0.2.0"),
        "{exports}"
    );

    // `plugin pull` by tag resolves to the same digest and fills the cache.
    let pulled_cache = context.path("pulled");
    let pull = context.run(
        &["plugin", "pull", &tag],
        &[(
            "RISTRETTO_CACHE_DIR",
            pulled_cache.to_str().unwrap_or_default(),
        )],
    );
    assert_success(&pull);
    assert_eq!(text(&pull.stdout).trim(), pinned);
    let hex = digest(&wasm).replace("sha256:", "");
    assert!(
        pulled_cache
            .join("downloads")
            .join(format!("{hex}.wasm"))
            .is_file()
    );

    // Three repositories pin it by digest; each gets a lock entry.
    for repo in ["repo-a", "repo-b", "repo-c"] {
        write_repo(&context, repo, &format!("oci: {pinned}"));
        assert_transformed(&in_repo(
            &context,
            repo,
            "cache",
            &["render", "taskdef"],
            &[],
        ));
        let lock = std::fs::read_to_string(context.path(&format!("{repo}/ristretto.lock")))
            .expect("lock file");
        assert!(lock.contains(&format!("source = \"oci:{tag}\"")), "{lock}");
        assert!(
            lock.contains(&format!("digest = \"{manifest_digest}\"")),
            "{lock}"
        );
        assert!(
            lock.contains(&format!("wasm = \"{}\"", digest(&wasm))),
            "{lock}"
        );
    }
    // One of them deploys: AWS has the task definition the pulled plugin transformed.
    assert_success(&in_repo(&context, "repo-c", "cache", &["deploy"], &[]));
    let td = context
        .ecs()
        .await
        .describe_task_definition()
        .task_definition("web:1")
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .expect("describe task definition");
    assert!(
        td.tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("payments")),
        "{:?}",
        td.tags()
    );

    // The registry goes down: the cached plugin still loads; without a cache it is an error.
    registry.stop();
    assert_transformed(&in_repo(
        &context,
        "repo-a",
        "cache",
        &["render", "taskdef"],
        &[],
    ));
    assert_failure(
        &in_repo(
            &context,
            "repo-a",
            "empty-cache",
            &["render", "taskdef"],
            &[],
        ),
        &format!(
            "plugin `tag-transform`: cannot reach the registry {}",
            registry.address
        ),
    );
}

#[test]
fn a_registry_with_htpasswd_is_reached_with_the_docker_credentials() {
    let registry = Registry::start(&[("ci", "s3cret")]);
    let context = TestContext::offline();
    let tag = format!("{}/acme/tag-transform:2", registry.address);
    let plugin = test_plugin("tag-transform");
    let plugin = plugin.to_str().unwrap_or_default();

    // No credentials: refused, and the message says where credentials are read from.
    let denied = context.run(&["plugin", "push", plugin, &tag], &[]);
    assert_failure(
        &denied,
        &format!(
            "{} refused access to acme/tag-transform (HTTP 401)",
            registry.address
        ),
    );
    assert_failure(
        &denied,
        "no credentials for it were found in the docker config",
    );

    // `auths` in $DOCKER_CONFIG/config.json, as `docker login` writes it (base64 "ci:s3cret").
    context.write(
        "docker/config.json",
        &format!(
            r#"{{"auths": {{"{}": {{"auth": "Y2k6czNjcmV0"}}}}}}"#,
            registry.address
        ),
    );
    let docker_config = context.path("docker");
    let docker_config = docker_config.to_str().unwrap_or_default();
    let pinned = push(&context, &tag, &[("DOCKER_CONFIG", docker_config)]);
    write_repo(&context, "repo", &format!("oci: {pinned}"));
    assert_transformed(&in_repo(
        &context,
        "repo",
        "cache",
        &["render", "taskdef"],
        &[("DOCKER_CONFIG", docker_config)],
    ));

    // A credential helper named by `credHelpers` (a script on PATH speaking the helper protocol).
    let helper = context.write(
        "bin/docker-credential-e2e",
        "#!/bin/sh\nread server\necho \"{\\\"ServerURL\\\": \\\"$server\\\", \\\"Username\\\": \\\"ci\\\", \\\"Secret\\\": \\\"s3cret\\\"}\"\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    context.write(
        "helper/config.json",
        &format!(r#"{{"credHelpers": {{"{}": "e2e"}}}}"#, registry.address),
    );
    let path = format!(
        "{}:{}",
        context.path("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let helper_config = context.path("helper");
    let helped = context.run(
        &["plugin", "pull", &pinned],
        &[
            ("DOCKER_CONFIG", helper_config.to_str().unwrap_or_default()),
            ("PATH", path.as_str()),
            (
                "RISTRETTO_CACHE_DIR",
                context.path("helper-cache").to_str().unwrap_or_default(),
            ),
        ],
    );
    assert_success(&helped);
    assert_eq!(text(&helped.stdout).trim(), pinned);

    // A wrong password is refused with the registry's answer.
    context.write(
        "wrong/config.json",
        &format!(
            r#"{{"auths": {{"{}": {{"username": "ci", "password": "nope"}}}}}}"#,
            registry.address
        ),
    );
    let wrong = context.path("wrong");
    assert_failure(
        &in_repo(
            &context,
            "repo",
            "wrong-cache",
            &["render", "taskdef"],
            &[("DOCKER_CONFIG", wrong.to_str().unwrap_or_default())],
        ),
        &format!(
            "{} refused access to acme/tag-transform (HTTP 401)",
            registry.address
        ),
    );
}

#[test]
fn a_wrong_digest_or_a_missing_tag_is_refused_naming_the_reference() {
    let registry = Registry::start(&[]);
    let context = TestContext::offline();
    let tag = format!("{}/acme/tag-transform:1.0.0", registry.address);
    push(&context, &tag, &[]);

    // A digest the registry has no manifest for (another component's).
    let other = std::fs::read(test_plugin("scripted-gate")).expect("test plugin");
    let wrong = format!("{tag}@{}", digest(&other));
    write_repo(&context, "repo", &format!("oci: {wrong}"));
    assert_failure(
        &in_repo(&context, "repo", "cache", &["render", "taskdef"], &[]),
        &format!("plugin `tag-transform`: {wrong} is not in the registry (MANIFEST_UNKNOWN"),
    );
    let cache = context.path("cache");
    assert!(
        !cache.join("downloads").exists() && !cache.join("manifests").exists(),
        "nothing was cached"
    );
    assert!(!context.path("repo/ristretto.lock").exists());

    let missing = format!("{}/acme/tag-transform:9.9.9", registry.address);
    write_repo(&context, "repo", &format!("oci: {missing}"));
    assert_failure(
        &in_repo(&context, "repo", "cache", &["render", "taskdef"], &[]),
        &format!("plugin `tag-transform`: {missing} is not in the registry (MANIFEST_UNKNOWN"),
    );
    assert_failure(
        &context.run(
            &[
                "plugin",
                "pull",
                &format!("{}/acme/absent:1", registry.address),
            ],
            &[],
        ),
        &format!("cannot pull {}/acme/absent:1", registry.address),
    );
    write_repo(&context, "repo", &format!("oci: {tag}@sha256:abc"));
    assert_failure(
        &in_repo(&context, "repo", "cache", &["render", "taskdef"], &[]),
        "is not `sha256:` followed by 64 hex digits",
    );
}

#[test]
fn a_tag_is_locked_with_a_warning_and_locked_refuses_what_the_lock_lacks() {
    let registry = Registry::start(&[]);
    let context = TestContext::offline();
    let tag = format!("{}/acme/tag-transform:stable", registry.address);
    let pinned = push(&context, &tag, &[]);
    let (_, manifest_digest) = pinned.split_once('@').expect("pinned");

    // Before anything is locked, --locked refuses the entry and writes nothing.
    write_repo(&context, "repo", &format!("oci: {tag}"));
    assert_failure(
        &in_repo(
            &context,
            "repo",
            "cache",
            &["--locked", "render", "taskdef"],
            &[],
        ),
        &format!(
            "`oci: {tag}` is not in repo/ristretto.lock, and --locked refuses plugins that are not"
        ),
    );
    assert!(!context.path("repo/ristretto.lock").exists());

    // A tag without a digest: a warning, and the digest goes into the lock.
    let first = in_repo(&context, "repo", "cache", &["render", "taskdef"], &[]);
    assert_transformed(&first);
    let stderr = text(&first.stderr);
    assert!(
        stderr.contains(&format!(
            "`oci: {tag}` names a tag without a digest: it resolved to {manifest_digest} now"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pin it as `oci: {pinned}`")),
        "{stderr}"
    );
    let lock = std::fs::read_to_string(context.path("repo/ristretto.lock")).expect("lock");
    assert!(
        lock.contains(&format!("digest = \"{manifest_digest}\"")),
        "{lock}"
    );

    // The tag moves to another component; the lock keeps the repository on what it locked.
    let other = test_plugin("scripted-gate");
    let moved = context.run(
        &["plugin", "push", other.to_str().unwrap_or_default(), &tag],
        &[],
    );
    assert_success(&moved);
    assert_ne!(text(&moved.stdout).trim(), pinned);
    let locked = in_repo(
        &context,
        "repo",
        "cache",
        &["--locked", "render", "taskdef"],
        &[],
    );
    assert_transformed(&locked);
    assert!(
        !text(&locked.stderr).contains("without a digest"),
        "{}",
        text(&locked.stderr)
    );

    // --locked refuses a digest that differs from the lock, and an entry the lock lacks.
    let moved_pin = text(&moved.stdout).trim().to_owned();
    write_repo(&context, "repo", &format!("oci: {moved_pin}"));
    assert_failure(
        &in_repo(
            &context,
            "repo",
            "cache",
            &["--locked", "render", "taskdef"],
            &[],
        ),
        "--locked refuses a digest that differs from the lock",
    );
    assert_eq!(
        std::fs::read_to_string(context.path("repo/ristretto.lock")).expect("lock"),
        lock
    );
    let elsewhere = format!("{}/acme/other:1", registry.address);
    write_repo(&context, "repo", &format!("oci: {elsewhere}"));
    assert_failure(
        &in_repo(
            &context,
            "repo",
            "cache",
            &["render", "taskdef"],
            &[("RISTRETTO_LOCKED", "true")],
        ),
        &format!("`oci: {elsewhere}` is not in"),
    );
}

#[test]
fn url_plugins_share_the_cache_and_the_lock() {
    let wasm = std::fs::read(test_plugin("tag-transform")).expect("test plugin");
    let body = wasm.clone();
    let server = HttpSink::serve(move |_, head| match head.split(' ').nth(1) {
        Some("/v1/tag-transform.wasm") => Reply {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/wasm".to_owned())],
            body: body.clone(),
        },
        _ => Reply {
            status: 404,
            headers: Vec::new(),
            body: b"not found".to_vec(),
        },
    });
    let context = TestContext::offline();
    let url = format!("{}/v1/tag-transform.wasm", server.url);
    let sha256 = digest(&wasm).replace("sha256:", "");
    write_repo(
        &context,
        "repo",
        &format!("url: {url}\n    sha256: {sha256}"),
    );
    assert_failure(
        &in_repo(
            &context,
            "repo",
            "cache",
            &["--locked", "render", "taskdef"],
            &[],
        ),
        &format!("`url: {url}` is not in"),
    );
    assert_transformed(&in_repo(
        &context,
        "repo",
        "cache",
        &["render", "taskdef"],
        &[],
    ));
    let lock = std::fs::read_to_string(context.path("repo/ristretto.lock")).expect("lock");
    assert!(lock.contains(&format!("source = \"url:{url}\"")), "{lock}");
    assert!(
        lock.contains(&format!("digest = \"sha256:{sha256}\"")),
        "{lock}"
    );
    assert_transformed(&in_repo(
        &context,
        "repo",
        "cache",
        &["--locked", "render", "taskdef"],
        &[],
    ));
    assert_eq!(
        server.request_lines().len(),
        1,
        "later runs load the cached download"
    );
    // The same component over oci: would share the download: it is stored by its digest.
    assert!(
        context
            .path("cache/downloads")
            .join(format!("{sha256}.wasm"))
            .is_file()
    );
}
