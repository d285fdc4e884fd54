//! The store of downloaded components and `url:` plugin entries. The store is
//! content-addressed: `<cache dir>/downloads/<sha256>.wasm` for components (from `url:` and
//! `oci:` entries alike) and `<cache dir>/manifests/<sha256>.json` for OCI manifests, each
//! checked against its name when read, so later runs — and CI jobs that cache the directory —
//! load them without the network. A `url:` component is downloaded (HTTPS or HTTP, redirects
//! followed, at most 64 MiB) and must match the entry's `sha256:` (required: what runs is
//! pinned by the config, not by whoever serves the URL).

use std::path::{Path, PathBuf};

/// The largest component ristretto downloads.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Downloaded components and manifests, by digest.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store in `cache_dir` (or in the system temporary directory without one).
    pub fn new(cache_dir: Option<&Path>) -> Self {
        Self {
            root: cache_dir.map_or_else(
                || std::env::temp_dir().join("ristretto-plugin-cache"),
                Path::to_path_buf,
            ),
        }
    }

    /// The stored component whose sha256 is `hex`; a damaged file is removed.
    pub fn component(&self, hex: &str) -> Option<PathBuf> {
        let file = self.root.join("downloads").join(format!("{hex}.wasm"));
        self.verified(&file, hex).map(|_| file)
    }

    /// Stores component `bytes` (whose sha256 is `hex`) and returns its file.
    pub fn put_component(&self, hex: &str, bytes: &[u8]) -> Result<PathBuf, String> {
        let file = self.root.join("downloads").join(format!("{hex}.wasm"));
        write_atomically(&file, bytes)?;
        Ok(file)
    }

    /// The stored manifest of `digest` (`sha256:…`).
    pub fn manifest(&self, digest: &str) -> Option<Vec<u8>> {
        let hex = digest.strip_prefix("sha256:")?;
        self.verified(&self.manifest_file(hex), hex)
    }

    /// Stores manifest `bytes` under `digest` (`sha256:…`).
    pub fn put_manifest(&self, digest: &str, bytes: &[u8]) -> Result<(), String> {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        write_atomically(&self.manifest_file(hex), bytes)
    }

    fn manifest_file(&self, hex: &str) -> PathBuf {
        self.root.join("manifests").join(format!("{hex}.json"))
    }

    fn verified(&self, file: &Path, hex: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(file).ok()?;
        if super::cache::sha256_hex(&bytes) == hex {
            return Some(bytes);
        }
        // A damaged entry is fetched again.
        let _ = std::fs::remove_file(file);
        None
    }
}

/// Writes `bytes` to `file` through a temporary file in the same directory.
fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the download cache {}: {e}", dir.display()))?;
    let partial = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    std::fs::write(partial.path(), bytes)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    partial
        .persist(file)
        .map_err(|e| format!("cannot store {}: {e}", file.display()))?;
    Ok(())
}

/// Checks that `sha256` is 64 hex digits and returns it in lowercase.
pub fn check_sha256(sha256: &str) -> Result<String, String> {
    let expected = sha256.trim().to_ascii_lowercase();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`sha256: {sha256}` is not a SHA-256 (64 hex digits)"
        ));
    }
    Ok(expected)
}

/// The local file of the component at `url` whose sha256 must be `sha256` (hex): the stored
/// copy when there is one, else a fresh download, stored.
pub fn fetch(url: &str, sha256: &str, store: &Store) -> Result<PathBuf, String> {
    let expected = check_sha256(sha256)?;
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(format!(
            "`{}`: plugins are downloaded over https:// or http:// only",
            crate::fetch::redact(url)
        ));
    }
    if let Some(file) = store.component(&expected) {
        return Ok(file);
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
    store.put_component(&expected, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_hash_is_refused_before_any_download() {
        let err = fetch("https://example.invalid/p.wasm", "abc", &Store::new(None)).unwrap_err();
        assert!(err.contains("is not a SHA-256"), "{err}");
    }

    #[test]
    fn unsupported_schemes_are_refused() {
        let hash = "0".repeat(64);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Some(dir.path()));
        let err = fetch("ftp://example.invalid/p.wasm", &hash, &store).unwrap_err();
        assert!(err.contains("https:// or http:// only"), "{err}");
    }

    #[test]
    fn stored_entries_are_checked_against_their_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Some(dir.path()));
        let bytes = b"component";
        let hex = super::super::cache::sha256_hex(bytes);
        let file = store.put_component(&hex, bytes).unwrap();
        assert_eq!(store.component(&hex), Some(file.clone()));
        std::fs::write(&file, b"damaged").unwrap();
        assert_eq!(store.component(&hex), None);
        assert!(!file.exists(), "a damaged entry is removed");
        let digest = format!("sha256:{hex}");
        store.put_manifest(&digest, bytes).unwrap();
        assert_eq!(store.manifest(&digest).as_deref(), Some(&bytes[..]));
    }
}
