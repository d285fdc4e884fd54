//! Registry references as the docker CLI reads them (`ghcr.io/acme/policy:1.4.0@sha256:…`,
//! `localhost:5000/app`, `nginx`): no registry means Docker Hub, a one-part Hub name gets
//! `library/`. Parsing only; nothing here talks to a registry.

use std::fmt;

/// Docker Hub's registry API host.
const DOCKER_HUB: &str = "registry-1.docker.io";

/// A parsed reference: where (registry, repository) and which (tag, digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host and port, e.g. `ghcr.io`, `127.0.0.1:5000`, `registry-1.docker.io`.
    pub registry: String,
    /// Repository path, e.g. `acme/policy`.
    pub repository: String,
    /// The tag, when one is written.
    pub tag: Option<String>,
    /// The `sha256:…` digest, when one is written.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `text` (an optional `oci://` prefix is ignored). Errors say what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let bare = trimmed.strip_prefix("oci://").unwrap_or(trimmed);
        let invalid = |why: &str| format!("`{text}` is not a registry reference: {why}");
        let (rest, digest) = match bare.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (bare, None),
        };
        if let Some(digest) = digest {
            check_digest(digest).map_err(|why| invalid(&why))?;
        }
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
        if repository.is_empty() || repository.split('/').any(str::is_empty) {
            return Err(invalid("no repository"));
        }
        if repository
            .bytes()
            .any(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b)))
        {
            return Err(invalid(
                "a repository has only lowercase letters, digits and . _ - /",
            ));
        }
        if tag.is_some_and(|t| {
            t.is_empty()
                || t.len() > 128
                || t.bytes()
                    .any(|b| !(b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        }) {
            return Err(invalid(
                "a tag has 1 to 128 letters, digits and . _ - characters",
            ));
        }
        let (registry, repository) = match first {
            None | Some("docker.io" | "index.docker.io") => {
                let repository = if repository.contains('/') {
                    repository.to_owned()
                } else {
                    format!("library/{repository}")
                };
                (DOCKER_HUB.to_owned(), repository)
            }
            Some(host) => (host.to_owned(), repository.to_owned()),
        };
        Ok(Self {
            registry,
            repository,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_ascii_lowercase),
        })
    }

    /// The digest if written, else the tag, else `latest`: what a manifest request names.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The same reference without its digest (the key of a lock entry).
    pub fn without_digest(&self) -> Self {
        Self {
            digest: None,
            ..self.clone()
        }
    }

    /// The same reference pinned to `digest`.
    pub fn with_digest(&self, digest: &str) -> Self {
        Self {
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }

    /// `http` for a registry on loopback (`localhost`, `127.0.0.0/8`, `[::1]`), as docker
    /// treats them; `https` for every other registry.
    pub fn scheme(&self) -> &'static str {
        let host = match self.registry.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => self.registry.as_str(),
        };
        let loopback = host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback { "http" } else { "https" }
    }

    /// `SCHEME://REGISTRY/v2/REPOSITORY`: the base of every API path of this repository.
    pub fn api_base(&self) -> String {
        format!(
            "{}://{}/v2/{}",
            self.scheme(),
            self.registry,
            self.repository
        )
    }
}

impl fmt::Display for Reference {
    /// `REGISTRY/REPOSITORY[:TAG][@DIGEST]`, Docker Hub written as `docker.io`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registry = if self.registry == DOCKER_HUB {
            "docker.io"
        } else {
            self.registry.as_str()
        };
        write!(f, "{registry}/{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Checks that `digest` is `sha256:` and 64 hex digits.
pub fn check_digest(digest: &str) -> Result<(), String> {
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return Err(format!(
            "digest `{digest}` is not `sha256:` followed by 64 hex digits (only sha256 is supported)"
        ));
    };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "digest `{digest}` is not `sha256:` followed by 64 hex digits"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(text).unwrap();
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn references_parse_as_docker_reads_them() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            parts(&format!("ghcr.io/acme/policy:1.4.0@{digest}")),
            (
                "ghcr.io".into(),
                "acme/policy".into(),
                Some("1.4.0".into()),
                Some(digest.clone())
            )
        );
        assert_eq!(
            parts("oci://localhost:5000/app"),
            ("localhost:5000".into(), "app".into(), None, None)
        );
        assert_eq!(
            parts("nginx:1.27"),
            (
                DOCKER_HUB.into(),
                "library/nginx".into(),
                Some("1.27".into()),
                None
            )
        );
        assert_eq!(
            Reference::parse("docker.io/grafana/loki:3")
                .unwrap()
                .to_string(),
            "docker.io/grafana/loki:3"
        );
    }

    #[test]
    fn malformed_references_say_why() {
        for (text, why) in [
            ("ghcr.io/", "no repository"),
            ("ghcr.io/Acme/x:1", "lowercase"),
            ("ghcr.io/acme/x:", "1 to 128"),
            ("ghcr.io/acme/x@sha256:abc", "64 hex digits"),
            ("ghcr.io/acme/x@md5:abc", "only sha256"),
        ] {
            let err = Reference::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn only_loopback_registries_are_spoken_to_over_http() {
        let scheme = |text: &str| Reference::parse(text).unwrap().scheme();
        assert_eq!(scheme("127.0.0.1:5000/a"), "http");
        assert_eq!(scheme("127.3.2.1/a"), "http");
        assert_eq!(scheme("localhost:5000/a"), "http");
        assert_eq!(scheme("[::1]:5000/a"), "http");
        assert_eq!(scheme("10.0.0.1:5000/a"), "https");
        assert_eq!(scheme("ghcr.io/a"), "https");
        assert_eq!(scheme("localhost.example.com/a"), "https");
    }
}
