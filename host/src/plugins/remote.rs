//! Remote plugin entries, resolved to local component files before anything is compiled:
//! `url:` + `sha256:` (downloaded) and `oci:` (pulled from a registry as a wasm OCI artifact,
//! pinned by `@sha256:` or, for a bare tag, by `ristretto.lock`). Everything fetched is checked
//! against its digest and kept in the content-addressed store (`download::Store`), so a
//! pinned plugin loads offline once fetched. Each remote entry is recorded in the lock file
//! unless `--locked`, which instead refuses entries the lock does not list with that digest.
//! Never prints: warnings are handed to the caller's `warn`.

use std::path::{Path, PathBuf};

use super::download::{self, Store};
use super::lock::{LockFile, Locked};
use crate::environment::Environment;
use crate::registry::{self, Client, Reference, artifact};

/// Where remote plugins are stored and how they are pinned.
pub struct Sources<'a> {
    /// The plugin cache directory (compiled plugins, downloads, manifests).
    pub cache_dir: Option<PathBuf>,
    /// The directory whose `ristretto.lock` pins remote plugins (the config's); `None` for
    /// commands without a config.
    pub lock_dir: Option<PathBuf>,
    /// `--locked`: refuse remote entries that the lock does not list with the same digest.
    pub locked: bool,
    /// Where warnings go (a tag without a digest).
    pub warn: &'a dyn Fn(&str),
}

/// Resolves the remote entries of one `plugins:` list.
pub struct Resolver<'a> {
    sources: &'a Sources<'a>,
    environment: &'a Environment,
    store: Store,
    lock: Option<LockFile>,
}

/// Why a remote component could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The registry failed or refused.
    #[error(transparent)]
    Registry(#[from] registry::Error),
    /// What was fetched could not be stored.
    #[error("{0}")]
    Store(String),
}

/// A component on disk and the digests that pinned it.
pub struct Fetched {
    /// The manifest digest (`oci:`) or the component's (`url:`).
    pub digest: String,
    /// The component's digest.
    pub wasm: String,
    /// Its file in the store.
    pub path: PathBuf,
}

impl<'a> Resolver<'a> {
    /// A resolver; nothing is read until a remote entry asks.
    pub fn new(sources: &'a Sources<'a>, environment: &'a Environment) -> Self {
        Self {
            sources,
            environment,
            store: Store::new(sources.cache_dir.as_deref()),
            lock: None,
        }
    }

    /// The local file of `url:` + `sha256:`.
    pub fn url(&mut self, url: &str, sha256: &str) -> Result<PathBuf, String> {
        let source = format!("url:{}", crate::fetch::redact(url));
        let digest = format!("sha256:{}", download::check_sha256(sha256)?);
        self.check_locked(
            &source,
            Some(&digest),
            &format!("url: {}", crate::fetch::redact(url)),
        )?;
        let path = download::fetch(url, sha256, &self.store)?;
        self.record(Locked {
            source,
            digest: digest.clone(),
            wasm: digest,
        })?;
        Ok(path)
    }

    /// The local file of `oci: REFERENCE`, and the component's sha256 (hex).
    pub fn oci(&mut self, text: &str) -> Result<(PathBuf, String), String> {
        let reference = Reference::parse(text)?;
        let source = format!("oci:{}", reference.without_digest());
        let entry = format!("oci: {text}");
        self.check_locked(&source, reference.digest.as_deref(), &entry)?;
        let locked = self.lock()?.and_then(|l| l.get(&source)).cloned();
        let fetched = match (&reference.digest, locked) {
            (Some(_), _) => self.pinned(&reference),
            (None, Some(locked)) => self.pinned(&reference.with_digest(&locked.digest)),
            (None, None) => {
                let fetched = self.pinned(&reference).map_err(|e| e.to_string())?;
                let lock = self.lock_path();
                (self.sources.warn)(&format!(
                    "`{entry}` names a tag without a digest: it resolved to {} now{}; pin it as `oci: {}` so that the config itself says what runs",
                    fetched.digest,
                    lock.map_or_else(String::new, |p| format!(" and is recorded in {}", p.display())),
                    reference.with_digest(&fetched.digest)
                ));
                Ok(fetched)
            }
        }
        .map_err(|e| e.to_string())?;
        let hex = fetched.wasm.trim_start_matches("sha256:").to_owned();
        self.record(Locked {
            source,
            digest: fetched.digest,
            wasm: fetched.wasm,
        })?;
        Ok((fetched.path, hex))
    }

    /// Writes the lock file if an entry was added or changed.
    pub fn finish(&self) -> Result<(), String> {
        match &self.lock {
            Some(lock) if !self.sources.locked => lock.write_if_changed(),
            _ => Ok(()),
        }
    }

    /// The artifact `reference` names (by digest when it has one, else by tag): from the
    /// store when its manifest and component are there, else from the registry.
    fn pinned(&self, reference: &Reference) -> Result<Fetched, Error> {
        let mut client: Option<Client> = None;
        let connect = || -> Result<Client, registry::Error> {
            let credential = registry::credentials::find(self.environment, &reference.registry)
                .map_err(registry::Error::Credentials)?;
            Ok(Client::new(reference, credential, false))
        };
        let cached = reference
            .digest
            .as_deref()
            .and_then(|digest| self.store.manifest(digest).map(|m| (digest.to_owned(), m)));
        let (digest, manifest, layer) = match cached {
            Some((digest, manifest)) => {
                let layer = artifact::wasm_layer(&reference.to_string(), &manifest)?;
                (digest, manifest, layer)
            }
            None => {
                let resolved = artifact::resolve(client.insert(connect()?), reference)?;
                (resolved.digest, resolved.manifest, resolved.layer)
            }
        };
        let hex = layer.digest.trim_start_matches("sha256:");
        let path = match self.store.component(hex) {
            Some(path) => path,
            None => {
                let client = match client.as_mut() {
                    Some(client) => client,
                    None => client.insert(connect()?),
                };
                let pinned = reference.with_digest(&digest);
                let wasm = artifact::fetch_wasm(client, &pinned, &layer)?;
                self.store.put_component(hex, &wasm).map_err(Error::Store)?
            }
        };
        self.store
            .put_manifest(&digest, &manifest)
            .map_err(Error::Store)?;
        Ok(Fetched {
            digest,
            wasm: layer.digest,
            path,
        })
    }

    /// Under `--locked`, refuses `source` unless the lock lists it (with `digest`, if given).
    fn check_locked(
        &mut self,
        source: &str,
        digest: Option<&str>,
        entry: &str,
    ) -> Result<(), String> {
        if !self.sources.locked {
            return Ok(());
        }
        let path = self.lock_path().map_or_else(
            || super::lock::FILE_NAME.to_owned(),
            |p| p.display().to_string(),
        );
        match (self.lock()?.and_then(|l| l.get(source)), digest) {
            (None, _) => Err(format!(
                "`{entry}` is not in {path}, and --locked refuses plugins that are not; run once without --locked to record it, and check the lock file in"
            )),
            (Some(locked), Some(digest)) if locked.digest != digest => Err(format!(
                "`{entry}` pins {digest}, but {path} has {}; --locked refuses a digest that differs from the lock",
                locked.digest
            )),
            _ => Ok(()),
        }
    }

    fn record(&mut self, locked: Locked) -> Result<(), String> {
        if self.sources.locked {
            return Ok(());
        }
        if let Some(lock) = self.lock_mut()? {
            lock.record(locked);
        }
        Ok(())
    }

    fn lock_path(&self) -> Option<PathBuf> {
        self.sources
            .lock_dir
            .as_deref()
            .map(|d| d.join(super::lock::FILE_NAME))
    }

    fn lock(&mut self) -> Result<Option<&LockFile>, String> {
        Ok(self.lock_mut()?.map(|l| &*l))
    }

    fn lock_mut(&mut self) -> Result<Option<&mut LockFile>, String> {
        let Some(dir) = self.sources.lock_dir.as_deref() else {
            return Ok(None);
        };
        if self.lock.is_none() {
            self.lock = Some(LockFile::read(dir)?);
        }
        Ok(self.lock.as_mut())
    }
}

/// The artifact `reference` names, from the store or the registry, without a lock file
/// (`plugin pull`).
pub fn pull(
    reference: &Reference,
    cache_dir: Option<&Path>,
    environment: &Environment,
) -> Result<Fetched, Error> {
    let quiet = |_: &str| {};
    let sources = Sources {
        cache_dir: cache_dir.map(Path::to_path_buf),
        lock_dir: None,
        locked: false,
        warn: &quiet,
    };
    Resolver::new(&sources, environment).pinned(reference)
}

/// Pushes component `wasm` (with its interfaces) to `reference`'s tag as a wasm OCI artifact
/// and returns the reference pinned to the new manifest's digest. The config blob's `created`
/// is `SOURCE_DATE_EPOCH` when set, so that pushing the same component gives the same digest.
pub fn push(
    reference: &Reference,
    wasm: Vec<u8>,
    component: &artifact::ComponentInfo,
    environment: &Environment,
) -> Result<Reference, Error> {
    if reference.digest.is_some() {
        return Err(Error::Store(format!(
            "`{reference}`: push to a tag (`REGISTRY/REPOSITORY:TAG`); the digest is what the push makes"
        )));
    }
    let created = match environment.get("SOURCE_DATE_EPOCH") {
        Some(epoch) => {
            let seconds: u64 = epoch.trim().parse().map_err(|_| {
                Error::Store(format!(
                    "SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds"
                ))
            })?;
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds)
        }
        None => std::time::SystemTime::now(),
    };
    let created = humantime::format_rfc3339_seconds(created).to_string();
    let credential = registry::credentials::find(environment, &reference.registry)
        .map_err(registry::Error::Credentials)?;
    let mut client = Client::new(reference, credential, true);
    let digest = artifact::push(&mut client, reference, wasm.into(), component, &created)?;
    Ok(reference.with_digest(&digest))
}
