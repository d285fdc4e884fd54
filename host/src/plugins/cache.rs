//! The on-disk cache of compiled plugins: `<cache dir>/<wasm sha256>-<engine hash>.cwasm`,
//! written atomically (temp file + rename, mode 0600). A corrupt or stale entry fails to
//! deserialize and is recompiled and replaced. Loading a cached plugin takes well under a
//! millisecond; compiling one takes tens of milliseconds or more.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

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

/// Loads the component from the cache, or compiles and caches it. Without a cache dir it
/// compiles. Cache write failures are ignored (the component is still returned).
pub fn load(
    engine: &Engine,
    wasm: &[u8],
    wasm_sha256: &str,
    cache_dir: Option<&Path>,
) -> wasmtime::Result<(Component, Origin)> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, wasm)?, Origin::Compiled));
    };
    let path = artifact_path(dir, engine, wasm_sha256);
    if path.is_file()
        && let Ok(component) = deserialize(engine, &path)
    {
        return Ok((component, Origin::Cached));
    }
    let artifact = engine.precompile_component(wasm)?;
    let _ = write_atomically(dir, &path, &artifact);
    let component = match deserialize(engine, &path) {
        Ok(component) => component,
        Err(_) => Component::new(engine, wasm)?,
    };
    Ok((component, Origin::Compiled))
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
