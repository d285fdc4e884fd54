//! The on-disk cache of compiled plugins: `<cache dir>/<wasm sha256>-<engine hash>.cwasm`,
//! written atomically (temp file + rename, mode 0600). A corrupt or stale entry fails to
//! deserialize and is recompiled and replaced. Loading a cached plugin takes well under a
//! millisecond; compiling one takes tens of milliseconds or more. Beside each artifact the cache
//! keeps what the component said in `info` (`<wasm sha256>-<build hash>.info.json`), so that a
//! command learns a plugin's name and capabilities without loading a plugin it does not call.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::bindings::PluginInfo;

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where a compiled artifact of `wasm_sha256` lives for this engine.
pub fn artifact_path(cache_dir: &Path, engine: &Engine, wasm_sha256: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    cache_dir.join(format!("{wasm_sha256}-{:016x}.cwasm", hasher.finish()))
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Loaded from the cache.
    Cached,
    /// Compiled now (and cached when a cache dir is set).
    Compiled,
}

/// The component of `wasm_sha256` from the cache, if it holds a usable one (a corrupt or
/// stale entry is `None`, and is replaced by the next `compile`).
pub fn cached(engine: &Engine, wasm_sha256: &str, cache_dir: Option<&Path>) -> Option<Component> {
    let path = artifact_path(cache_dir?, engine, wasm_sha256);
    if path.is_file() {
        deserialize(engine, &path).ok()
    } else {
        None
    }
}

/// Compiles `wasm` and caches the result when a cache dir is set. Cache write failures are
/// ignored (the component is still returned).
pub fn compile(
    engine: &Engine,
    wasm: &[u8],
    wasm_sha256: &str,
    cache_dir: Option<&Path>,
) -> wasmtime::Result<Component> {
    let Some(dir) = cache_dir else {
        return Component::new(engine, wasm);
    };
    let path = artifact_path(dir, engine, wasm_sha256);
    let artifact = engine.precompile_component(wasm)?;
    let _ = write_atomically(dir, &path, &artifact);
    match deserialize(engine, &path) {
        Ok(component) => Ok(component),
        Err(_) => Component::new(engine, wasm),
    }
}

/// Where the `info` of the component `wasm_sha256` is kept for this build of ristretto (the
/// build is in the name: a component this build compiled, linked and asked before).
fn info_path(cache_dir: &Path, wasm_sha256: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (env!("CARGO_PKG_VERSION"), env!("RISTRETTO_COMMIT")).hash(&mut hasher);
    cache_dir.join(format!("{wasm_sha256}-{:016x}.info.json", hasher.finish()))
}

/// The `info` this build of ristretto got from the component `wasm_sha256` before (see
/// `remember_info`), if the cache holds it.
pub fn cached_info(cache_dir: Option<&Path>, wasm_sha256: &str) -> Option<PluginInfo> {
    let text = std::fs::read(info_path(cache_dir?, wasm_sha256)).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let text_of = |key: &str| value.get(key)?.as_str().map(str::to_owned);
    Some(PluginInfo {
        name: text_of("name")?,
        version: text_of("version")?,
        sdk_version: text_of("sdk_version")?,
        description: text_of("description")?,
        capabilities: value
            .get("capabilities")?
            .as_array()?
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<_>>()?,
    })
}

/// Keeps the `info` a component answered, so that later commands know its name and
/// capabilities without compiling or instantiating it. Write failures are ignored.
pub fn remember_info(cache_dir: Option<&Path>, wasm_sha256: &str, info: &PluginInfo) {
    let Some(dir) = cache_dir else {
        return;
    };
    let text = serde_json::json!({
        "name": info.name,
        "version": info.version,
        "sdk_version": info.sdk_version,
        "description": info.description,
        "capabilities": info.capabilities,
    })
    .to_string();
    let _ = write_atomically(dir, &info_path(dir, wasm_sha256), text.as_bytes());
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the file was written by `write_atomically` from `Engine::precompile_component`
    // into ristretto's own cache directory (mode 0600); wasmtime checks its header, version and
    // engine compatibility and rejects anything else.
    unsafe { Component::deserialize_file(engine, path) }
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("artifact")
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}
