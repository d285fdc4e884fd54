//! `url:` plugin entries: the component is downloaded (HTTPS or HTTP, redirects followed, at
//! most 64 MiB), must match the entry's `sha256:` (required: what runs is pinned by the config,
//! not by whoever serves the URL), and is kept in the cache directory under its hash, so later
//! runs — and CI jobs that cache the directory — load it without the network.

use std::path::{Path, PathBuf};

/// The largest component ristretto downloads.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The local file of the component at `url` whose sha256 must be `sha256` (hex): the cached
/// copy when there is one, else a fresh download stored in `cache_dir/downloads/` (or the
/// system temporary directory when there is no cache directory).
pub fn fetch(url: &str, sha256: &str, cache_dir: Option<&Path>) -> Result<PathBuf, String> {
    let expected = sha256.trim().to_ascii_lowercase();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`sha256: {sha256}` is not a SHA-256 (64 hex digits)"
        ));
    }
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(format!(
            "`{}`: plugins are downloaded over https:// or http:// only",
            crate::fetch::redact(url)
        ));
    }
    let dir = cache_dir.map_or_else(
        || std::env::temp_dir().join("ristretto-plugin-downloads"),
        |d| d.join("downloads"),
    );
    let file = dir.join(format!("{expected}.wasm"));
    if let Ok(cached) = std::fs::read(&file) {
        if super::cache::sha256_hex(&cached) == expected {
            return Ok(file);
        }
        // A damaged cache entry is replaced by a fresh download.
        let _ = std::fs::remove_file(&file);
    }
    let bytes = crate::fetch::get(url, MAX_BYTES)
        .map_err(|e| format!("cannot download the component: {e}"))?;
    let actual = super::cache::sha256_hex(&bytes);
    if actual != expected {
        return Err(format!(
            "the download from {} has sha256 {actual}, but the config pins {expected}; nothing was run",
            crate::fetch::redact(url)
        ));
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the download cache {}: {e}", dir.display()))?;
    let partial = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    std::fs::write(partial.path(), &bytes)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    partial
        .persist(&file)
        .map_err(|e| format!("cannot store {}: {e}", file.display()))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_hash_is_refused_before_any_download() {
        let err = fetch("https://example.invalid/p.wasm", "abc", None).unwrap_err();
        assert!(err.contains("is not a SHA-256"), "{err}");
    }

    #[test]
    fn unsupported_schemes_are_refused() {
        let hash = "0".repeat(64);
        let dir = tempfile::tempdir().unwrap();
        let err = fetch("ftp://example.invalid/p.wasm", &hash, Some(dir.path())).unwrap_err();
        assert!(err.contains("https:// or http:// only"), "{err}");
    }
}
