//! OCI registries, for WebAssembly plugins shared through them: references, the docker
//! credentials users already have, the distribution API (`client`) and the CNCF wasm OCI
//! artifact layout that wkg, Spin and runwasi use (`artifact`). Returns bytes and digests;
//! storing them (the plugin cache, `ristretto.lock`) is `plugins::remote`'s job.

pub mod artifact;
pub mod client;
pub mod credentials;
pub mod reference;

pub use client::Client;
pub use credentials::Credential;
pub use reference::Reference;

/// Why a registry operation failed; each names the registry or the reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The registry could not be reached (network, DNS, TLS, timeout).
    #[error("cannot reach the registry {registry}: {message}")]
    Unreachable {
        /// Registry host.
        registry: String,
        /// What went wrong.
        message: String,
    },
    /// No such tag, digest, repository or blob.
    #[error("{reference} is not in the registry{}", detail_suffix(.detail))]
    NotFound {
        /// What was asked for.
        reference: String,
        /// The registry's error code and message.
        detail: String,
    },
    /// The registry refused the request (HTTP 401 or 403).
    #[error(
        "{registry} refused access to {repository} (HTTP {status}){}{}",
        detail_suffix(.detail),
        if *.anonymous { "; no credentials for it were found in the docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json: `docker login` writes them)" } else { "" }
    )]
    Denied {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// HTTP status.
        status: u16,
        /// The registry's explanation.
        detail: String,
        /// Whether the request was anonymous.
        anonymous: bool,
    },
    /// What the registry sent does not have the digest it was asked for.
    #[error("{what} has digest {actual}, but {expected} was asked for; nothing was stored")]
    DigestMismatch {
        /// The manifest or blob, by reference.
        what: String,
        /// The pinned digest.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The manifest is not a WebAssembly artifact ristretto can run.
    #[error("{reference} is not a WebAssembly component artifact: {message}")]
    NotWasm {
        /// The reference.
        reference: String,
        /// What is wrong with it.
        message: String,
    },
    /// The registry answered something the distribution spec does not allow here.
    #[error("registry {registry}: {message}")]
    Protocol {
        /// Registry host.
        registry: String,
        /// What it answered.
        message: String,
    },
    /// The docker config or a credential helper failed.
    #[error("registry credentials: {0}")]
    Credentials(String),
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

/// `sha256:` and the hex sha256 of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}
