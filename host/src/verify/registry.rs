//! Whether a container image outside Amazon ECR exists, asked of its registry anonymously, as
//! ecspresso's verify checks Docker Hub and other public registries. The reference is read and
//! the registry spoken to by `crate::registry` (the same parser and distribution client that
//! fetch plugins from OCI registries): a manifest request for the tag or digest, answering a
//! `Bearer` challenge with an anonymous token, plain HTTP only to registries on loopback.

use crate::registry::{self, Reference};

/// Manifest media types a registry may answer with.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// How long a registry gets to connect and answer: verify must not hang on a registry a
/// closed network cannot reach.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the registry said about an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The manifest exists.
    Yes,
    /// The registry has no such tag or repository.
    No(String),
    /// The registry wants credentials (a private image): not decided anonymously.
    Private(String),
    /// The registry could not be asked (network, TLS, an unexpected answer).
    Unknown(String),
}

/// Asks the registry whether `image` exists.
pub fn find(image: &Reference) -> Found {
    let name = image.manifest_reference();
    let mut client = registry::Client::new(image, None, false).with_timeout(TIMEOUT);
    match client.manifest(name, ACCEPT) {
        Ok(_) => Found::Yes,
        Err(registry::Error::NotFound { .. }) => Found::No(format!(
            "{}/{} has no manifest {name} (HTTP 404)",
            image.registry, image.repository
        )),
        Err(registry::Error::Denied { status, .. }) => Found::Private(format!(
            "{} refuses anonymous access to {} (HTTP {status}): a private image, not checked",
            image.registry, image.repository
        )),
        Err(err) => Found::Unknown(err.to_string()),
    }
}
