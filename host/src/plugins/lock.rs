//! `ristretto.lock`: the digests of the config's remote plugins (`oci:` and `url:` entries),
//! next to the config and meant to be checked in, as Cargo.lock and package-lock.json are. A
//! tag without a digest is resolved once and then read from here; `--locked` refuses an
//! entry that is not listed or whose digest differs. Entries are only added or updated, never
//! pruned: several configs in one directory (ecspresso-prod.yml, ecspresso-stg.yml) share the
//! file. Written atomically, and only when it changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The lock file's name, next to the config.
pub const FILE_NAME: &str = "ristretto.lock";

/// The comment at the top of the file.
const HEADER: &str = "# Written by ristretto: the digests of the remote plugins (oci:, url:) the configs in this\n# directory use. Check it in. `ristretto --locked` refuses any plugin not listed here.\n";

/// One locked plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locked {
    /// `oci:REGISTRY/REPOSITORY[:TAG]` or `url:URL`, as the config names it (without digest).
    pub source: String,
    /// The manifest digest (`oci:`) or the component's digest (`url:`), `sha256:…`.
    pub digest: String,
    /// The component's digest, `sha256:…`.
    pub wasm: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    #[serde(default, rename = "plugin")]
    plugins: Vec<Locked>,
}

/// The lock file of one config directory, read once.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
    entries: BTreeMap<String, Locked>,
    changed: bool,
}

impl LockFile {
    /// Reads `dir/ristretto.lock`; a missing file is an empty lock.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let path = dir.join(FILE_NAME);
        let entries = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: FileFormat = toml::from_str(&text)
                    .map_err(|e| format!("{} is not a ristretto lock file: {e}", path.display()))?;
                if file.version != 1 {
                    return Err(format!(
                        "{} has version {}; this ristretto reads version 1",
                        path.display(),
                        file.version
                    ));
                }
                file.plugins
                    .into_iter()
                    .map(|l| (l.source.clone(), l))
                    .collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(Self {
            path,
            entries,
            changed: false,
        })
    }

    /// The entry of `source`.
    pub fn get(&self, source: &str) -> Option<&Locked> {
        self.entries.get(source)
    }

    /// Records `locked`, replacing the entry of its source.
    pub fn record(&mut self, locked: Locked) {
        if self.entries.get(&locked.source) != Some(&locked) {
            self.entries.insert(locked.source.clone(), locked);
            self.changed = true;
        }
    }

    /// Writes the file if an entry was added or changed.
    pub fn write_if_changed(&self) -> Result<(), String> {
        if !self.changed {
            return Ok(());
        }
        let file = FileFormat {
            version: 1,
            plugins: self.entries.values().cloned().collect(),
        };
        let body = toml::to_string(&file)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", self.path.display());
        let temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
        std::fs::write(temp.path(), format!("{HEADER}{body}")).map_err(|e| fail(&e))?;
        temp.persist(&self.path).map_err(|e| fail(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_unchanged_files_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = LockFile::read(dir.path()).unwrap();
        lock.write_if_changed().unwrap();
        assert!(!dir.path().join(FILE_NAME).exists());
        let entry = Locked {
            source: "oci:127.0.0.1:5000/acme/policy:1".into(),
            digest: format!("sha256:{}", "a".repeat(64)),
            wasm: format!("sha256:{}", "b".repeat(64)),
        };
        lock.record(entry.clone());
        lock.write_if_changed().unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.starts_with("# Written by ristretto"), "{text}");
        assert!(text.contains("[[plugin]]"), "{text}");
        let mut again = LockFile::read(dir.path()).unwrap();
        assert_eq!(again.get(&entry.source), Some(&entry));
        again.record(entry);
        assert!(!again.changed);
    }

    #[test]
    fn a_damaged_lock_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "version = 7\n").unwrap();
        assert!(
            LockFile::read(dir.path())
                .unwrap_err()
                .contains("version 7")
        );
        std::fs::write(dir.path().join(FILE_NAME), "[[plugin]\n").unwrap();
        assert!(
            LockFile::read(dir.path())
                .unwrap_err()
                .contains("is not a ristretto lock file")
        );
    }
}
