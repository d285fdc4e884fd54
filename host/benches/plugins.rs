//! Plugin benchmark: cold compile of a component, load from the compile cache, and the cost of
//! one call of each hook (a fresh instance per call, as the host does). Builds tests/plugins
//! for wasm32-wasip2 first. `cargo bench -p ristretto --bench plugins` prints the figures.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ristretto::config::{Environment, PluginEntry};
use ristretto::plugins::tooling::{self, TestCall};
use ristretto::plugins::{
    DefinitionKind, EventKind, HookContext, LogSink, PluginSet, Sources, Stage,
};
use serde_json::json;

fn build_test_plugins() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target/plugins");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(root.join("tests/plugins/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "building the test plugins failed"
    );
    target.join("wasm32-wasip2/release")
}

fn load(path: &Path, config: serde_json::Value, cache: Option<&Path>) -> PluginSet {
    let mut entry = PluginEntry::default_for(path);
    entry.config = config;
    let quiet = |_: &str| -> LogSink { Arc::new(|_, _| {}) };
    let no_warnings = |_: &str| {};
    let sources = Sources {
        cache_dir: cache.map(Path::to_path_buf),
        lock_dir: None,
        locked: false,
        warn: &no_warnings,
    };
    match PluginSet::load(
        &[entry],
        Path::new(""),
        &Environment::default(),
        &sources,
        &quiet,
    ) {
        Ok(set) => set,
        Err(err) => panic!("{err}"),
    }
}

fn context() -> HookContext {
    HookContext {
        cluster: "bench".to_owned(),
        service: "web".to_owned(),
        strategy: "rolling".to_owned(),
        ..HookContext::default()
    }
}

fn call(set: &PluginSet, call: TestCall) {
    let Some(plugin) = set.plugins().next() else {
        panic!("no plugin")
    };
    let _ = tooling::run(plugin, &context(), call);
}

fn plugins(c: &mut Criterion) {
    let dir = build_test_plugins();
    let transform = dir.join("tag_transform.wasm");
    let cache = tempfile::tempdir()
        .map(|d| d.keep())
        .unwrap_or_else(|_| std::env::temp_dir());

    let mut group = c.benchmark_group("plugin load");
    group.sample_size(10);
    group.bench_function("cold compile (no cache), 137 KB component", |b| {
        b.iter(|| load(&transform, json!({"tags": {"a": "b"}}), None));
    });
    drop(load(&transform, json!({"tags": {"a": "b"}}), Some(&cache)));
    group.bench_function("load from the compile cache", |b| {
        b.iter(|| load(&transform, json!({"tags": {"a": "b"}}), Some(&cache)));
    });
    group.finish();

    let definition = json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128}]});
    let tags = load(&transform, json!({"tags": {"team": "web"}}), Some(&cache));
    let functions = load(&dir.join("demo_functions.wasm"), json!({}), Some(&cache));
    let gate = load(&dir.join("scripted_gate.wasm"), json!({}), Some(&cache));
    let notify = load(&dir.join("notify_recorder.wasm"), json!({}), Some(&cache));
    let mut group = c.benchmark_group("hook call (fresh instance)");
    group.bench_function("transform", |b| {
        b.iter(|| {
            call(
                &tags,
                TestCall::Transform(DefinitionKind::TaskDefinition, definition.clone()),
            )
        });
    });
    group.bench_function("functions: upper", |b| {
        b.iter(|| {
            call(
                &functions,
                TestCall::Functions(Some(("upper".to_owned(), vec![json!("text")]))),
            )
        });
    });
    group.bench_function("gate: pass", |b| {
        b.iter(|| call(&gate, TestCall::Gate(Stage::PostDeploy, None)));
    });
    group.bench_function("notify (returns at once: no url configured)", |b| {
        b.iter(|| {
            call(
                &notify,
                TestCall::Notify(EventKind::DeploySucceeded, "done".to_owned()),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, plugins);
criterion_main!(benches);
