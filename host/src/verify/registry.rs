//! Whether a container image outside Amazon ECR exists, through the registry's HTTP API (OCI
//! distribution / Docker Registry v2), anonymously, as ecspresso's verify checks Docker Hub and
//! other public registries: a manifest request for the tag or digest, answering a `Bearer`
//! challenge with an anonymous token when the registry asks for one. Registries on loopback
//! (`localhost:5000/app`) are spoken to over plain HTTP, as Docker does by default.

use serde_json::Value;

/// Manifest media types a registry may answer with.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// Query values: everything but unreserved characters percent-encoded.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How long a registry gets to connect and answer: verify must not hang on a registry a
/// closed network cannot reach.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Manifests and tokens are small; anything bigger is not what was asked for.
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// An image reference split into where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (and port) to speak to, e.g. `registry-1.docker.io`.
    pub registry: String,
    /// Repository path, e.g. `library/nginx`.
    pub repository: String,
    /// Tag or `sha256:…` digest.
    pub reference: String,
}

impl ImageRef {
    /// Parses `image` as Docker does: no registry means Docker Hub (`library/` for a single-part
    /// name), no tag means `latest`.
    pub fn parse(image: &str) -> Option<Self> {
        let (rest, digest) = match image.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (image, None),
        };
        let (first, remainder) = match rest.split_once('/') {
            Some((first, remainder)) if first.contains(['.', ':']) || first == "localhost" => {
                (Some(first), remainder)
            }
            _ => (None, rest),
        };
        // A tag is after the last ':' of the last path segment.
        let (repository, tag) = match remainder.rsplit_once(':') {
            Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag)),
            _ => (remainder, None),
        };
        if repository.is_empty() {
            return None;
        }
        let (registry, repository) = match first {
            None | Some("docker.io" | "index.docker.io") => {
                let repository = if repository.contains('/') {
                    repository.to_owned()
                } else {
                    format!("library/{repository}")
                };
                ("registry-1.docker.io".to_owned(), repository)
            }
            Some(host) => (host.to_owned(), repository.to_owned()),
        };
        let reference = digest.or(tag).unwrap_or("latest").to_owned();
        Some(Self {
            registry,
            repository,
            reference,
        })
    }

    fn scheme(&self) -> &'static str {
        let host = self
            .registry
            .rsplit_once(':')
            .map_or(self.registry.as_str(), |(host, _)| host);
        if matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            "http"
        } else {
            "https"
        }
    }

    fn manifest_url(&self) -> String {
        format!(
            "{}://{}/v2/{}/manifests/{}",
            self.scheme(),
            self.registry,
            self.repository,
            self.reference
        )
    }
}

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
pub fn find(image: &ImageRef) -> Found {
    let url = image.manifest_url();
    let headers = [("Accept", ACCEPT)];
    let first = match crate::fetch::get_answer(&url, &headers, MAX_BYTES, TIMEOUT) {
        Ok(answer) => answer,
        Err(err) => return Found::Unknown(format!("cannot reach {}: {err}", image.registry)),
    };
    let answer = if first.status == 401 {
        let Some(challenge) = first
            .headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
        else {
            return Found::Private(format!("{} wants credentials", image.registry));
        };
        let token = match anonymous_token(challenge, image) {
            Ok(token) => token,
            Err(message) => return Found::Unknown(message),
        };
        let bearer = format!("Bearer {token}");
        let headers = [("Accept", ACCEPT), ("Authorization", bearer.as_str())];
        match crate::fetch::get_answer(&url, &headers, MAX_BYTES, TIMEOUT) {
            Ok(answer) => answer,
            Err(err) => return Found::Unknown(format!("cannot reach {}: {err}", image.registry)),
        }
    } else {
        first
    };
    match answer.status {
        200..=299 => Found::Yes,
        404 => Found::No(format!(
            "{}/{} has no manifest {} (HTTP 404)",
            image.registry, image.repository, image.reference
        )),
        401 | 403 => Found::Private(format!(
            "{} refuses anonymous access to {} (HTTP {}): a private image, not checked",
            image.registry, image.repository, answer.status
        )),
        status => Found::Unknown(format!(
            "{} answered HTTP {status} for {}",
            image.registry, image.repository
        )),
    }
}

/// An anonymous token for `Bearer realm="…",service="…",scope="…"`.
fn anonymous_token(challenge: &str, image: &ImageRef) -> Result<String, String> {
    let Some(parameters) = challenge
        .strip_prefix("Bearer ")
        .or_else(|| challenge.strip_prefix("bearer "))
    else {
        return Err(format!(
            "{} asks for `{challenge}`, not a bearer token",
            image.registry
        ));
    };
    let field = |name: &str| {
        parameters.split(',').find_map(|part| {
            let (key, value) = part.trim().split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
        })
    };
    let realm =
        field("realm").ok_or_else(|| format!("{}: no realm in `{challenge}`", image.registry))?;
    let scope = field("scope").unwrap_or_else(|| format!("repository:{}:pull", image.repository));
    let mut url = format!(
        "{realm}{}scope={}",
        if realm.contains('?') { '&' } else { '?' },
        percent_encoding::utf8_percent_encode(&scope, QUERY)
    );
    if let Some(service) = field("service") {
        url.push_str(&format!(
            "&service={}",
            percent_encoding::utf8_percent_encode(&service, QUERY)
        ));
    }
    let answer = crate::fetch::get_answer(&url, &[], MAX_BYTES, TIMEOUT)
        .map_err(|err| format!("cannot get an anonymous token from {realm}: {err}"))?;
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "{realm} answered HTTP {} to an anonymous token request",
            answer.status
        ));
    }
    let body = answer.body;
    let token: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("{realm} answered a token that is not JSON: {e}"))?;
    token["token"]
        .as_str()
        .or_else(|| token["access_token"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{realm} answered no token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(image: &str) -> (String, String, String) {
        let r = ImageRef::parse(image).unwrap();
        (r.registry, r.repository, r.reference)
    }

    #[test]
    fn references_parse_as_docker_reads_them() {
        let hub = |repo: &str, reference: &str| {
            (
                "registry-1.docker.io".to_owned(),
                repo.to_owned(),
                reference.to_owned(),
            )
        };
        assert_eq!(parsed("nginx"), hub("library/nginx", "latest"));
        assert_eq!(parsed("nginx:1.27"), hub("library/nginx", "1.27"));
        assert_eq!(parsed("docker.io/grafana/loki:3"), hub("grafana/loki", "3"));
        assert_eq!(
            parsed("ghcr.io/org/app:v1"),
            ("ghcr.io".into(), "org/app".into(), "v1".into())
        );
        assert_eq!(
            parsed("localhost:5000/app"),
            ("localhost:5000".into(), "app".into(), "latest".into())
        );
        assert_eq!(
            parsed("public.ecr.aws/nginx/nginx@sha256:abc"),
            (
                "public.ecr.aws".into(),
                "nginx/nginx".into(),
                "sha256:abc".into()
            )
        );
        assert_eq!(ImageRef::parse(""), None);
        assert_eq!(
            ImageRef::parse("127.0.0.1:5000/app:v1")
                .unwrap()
                .manifest_url(),
            "http://127.0.0.1:5000/v2/app/manifests/v1"
        );
        assert_eq!(
            ImageRef::parse("nginx").unwrap().manifest_url(),
            "https://registry-1.docker.io/v2/library/nginx/manifests/latest"
        );
    }
}
