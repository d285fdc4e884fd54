//! The sha256 of a plugin file without hashing it on every command: the cache dir remembers
//! the hash of each plugin file (`file-<hash of its path>.sha256`) under the file's identity (device, inode, size, modification
//! and change times in nanoseconds). Any write to the file changes its change time, which no
//! one can set back, so an identity that still matches means the same content. A hash is
//! remembered only for files left untouched for `SETTLED`, so that a write in the same clock
//! tick as the hashing cannot go unnoticed (git's "racy" entries).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::cache::sha256_hex;

/// How long a file must have been left untouched before its hash is remembered.
const SETTLED: Duration = Duration::from_secs(2);

/// The sha256 (hex) of the file at `path`, and its bytes when they had to be read.
pub fn sha256_of(
    path: &Path,
    cache_dir: Option<&Path>,
) -> std::io::Result<(String, Option<Vec<u8>>)> {
    let memo = cache_dir.and_then(|dir| Memo::of(dir, path));
    if let Some(memo) = &memo
        && let Some(sha256) = memo.recall()
    {
        return Ok((sha256, None));
    }
    let bytes = std::fs::read(path)?;
    let sha256 = sha256_hex(&bytes);
    if let Some(memo) = memo {
        memo.remember(&sha256);
    }
    Ok((sha256, Some(bytes)))
}

/// Where the hash of one file is remembered, and the file's identity now.
struct Memo {
    file: PathBuf,
    identity: Option<String>,
    settled: bool,
}

impl Memo {
    fn of(cache_dir: &Path, path: &Path) -> Option<Self> {
        let absolute = std::path::absolute(path).ok()?;
        let key = sha256_hex(absolute.as_os_str().as_encoded_bytes());
        let metadata = std::fs::metadata(path).ok()?;
        let (identity, settled) = identity(&metadata);
        Some(Self {
            file: cache_dir.join(format!("file-{}.sha256", &key[..32])),
            identity,
            settled,
        })
    }

    /// The remembered hash, if the file still has the identity it had then.
    fn recall(&self) -> Option<String> {
        let identity = self.identity.as_deref()?;
        let text = std::fs::read_to_string(&self.file).ok()?;
        let (remembered, sha256) = text.trim_end().rsplit_once(' ')?;
        (remembered == identity && sha256.len() == 64).then(|| sha256.to_owned())
    }

    /// Remembers `sha256` for the file's identity, if the file is settled.
    fn remember(&self, sha256: &str) {
        let (Some(identity), true) = (&self.identity, self.settled) else {
            return;
        };
        if let Some(dir) = self.file.parent() {
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&self.file, format!("{identity} {sha256}\n")));
        }
    }
}

/// The file's identity, and whether it was last changed more than `SETTLED` ago.
#[cfg(unix)]
fn identity(metadata: &std::fs::Metadata) -> (Option<String>, bool) {
    use std::os::unix::fs::MetadataExt;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let settled = [metadata.mtime(), metadata.ctime()]
        .iter()
        .all(|t| *t + (SETTLED.as_secs() as i64) < now);
    let identity = format!(
        "{} {} {} {}.{:09} {}.{:09}",
        metadata.dev(),
        metadata.ino(),
        metadata.len(),
        metadata.mtime(),
        metadata.mtime_nsec(),
        metadata.ctime(),
        metadata.ctime_nsec()
    );
    (Some(identity), settled)
}

/// Without a change time that cannot be set back, every file is hashed.
#[cfg(not(unix))]
fn identity(_metadata: &std::fs::Metadata) -> (Option<String>, bool) {
    (None, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settled_file_is_hashed_once_and_a_changed_one_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = dir.path().join("cache");
        let file = dir.path().join("plugin.wasm");
        std::fs::write(&file, b"one").expect("write");
        let (sha, bytes) = sha256_of(&file, Some(&cache)).expect("hash");
        assert_eq!(sha, sha256_hex(b"one"));
        assert!(bytes.is_some());
        let (_, again) = sha256_of(&file, Some(&cache)).expect("hash");
        assert!(
            again.is_some(),
            "a file changed just now is hashed every time"
        );

        // As if it had been left untouched for a while.
        let memo = Memo::of(&cache, &file).expect("memo");
        let settled = Memo {
            settled: true,
            ..memo
        };
        settled.remember(&sha);
        assert_eq!(
            sha256_of(&file, Some(&cache)).expect("hash"),
            (sha.clone(), None)
        );

        std::fs::write(&file, b"changed").expect("write");
        let (changed, bytes) = sha256_of(&file, Some(&cache)).expect("hash");
        assert_eq!(
            changed,
            sha256_hex(b"changed"),
            "a write changes the identity"
        );
        assert!(bytes.is_some());
    }
}
