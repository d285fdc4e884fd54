//! The part of the OCI distribution API ristretto speaks (manifests and blobs: GET, HEAD,
//! upload by POST + PUT), with the registry's own authentication: a `Basic` challenge is
//! answered with the user's credential, a `Bearer` challenge with a token from the challenge's
//! realm (anonymous or with the credential), for the challenge's scope. Requests are sent
//! through `crate::fetch`; every answer is checked here, digests by the callers.

use bytes::Bytes;
use serde_json::Value;

use super::credentials::Credential;
use super::{Error, Reference};
use crate::fetch::{Answer, Request};

/// How long a registry gets, by default, to connect and to send each part of an answer.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Manifests, configs, tokens and error bodies are small.
const SMALL: usize = 4 * 1024 * 1024;

/// Query values: everything but unreserved characters percent-encoded.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A session with one repository of one registry.
pub struct Client {
    reference: Reference,
    credential: Option<Credential>,
    /// The `Authorization` value the last challenge earned.
    authorization: Option<String>,
    /// `pull` or `pull,push`: what a token is asked for when the challenge names no scope.
    actions: &'static str,
    /// How long the registry (and its token service) gets to connect and to answer.
    timeout: std::time::Duration,
}

impl Client {
    /// A session with `reference`'s repository; `push` asks tokens for `pull,push`.
    pub fn new(reference: &Reference, credential: Option<Credential>, push: bool) -> Self {
        Self {
            reference: reference.without_digest(),
            credential,
            authorization: None,
            actions: if push { "pull,push" } else { "pull" },
            timeout: TIMEOUT,
        }
    }

    /// The same session with another timeout (e.g. shorter, for a check that must not hang).
    pub fn with_timeout(self, timeout: std::time::Duration) -> Self {
        Self { timeout, ..self }
    }

    /// The manifest named by `name` (tag or digest), as the registry sent it.
    pub fn manifest(&mut self, name: &str, accept: &str) -> Result<Vec<u8>, Error> {
        let url = format!("{}/manifests/{name}", self.reference.api_base());
        let answer = self.send(
            http::Method::GET,
            &url,
            &[("Accept", accept)],
            Bytes::new(),
            SMALL,
        )?;
        match answer.status {
            200 => Ok(answer.body),
            404 => Err(Error::NotFound {
                reference: self.reference.with_name(name),
                detail: registry_error(&answer),
            }),
            _ => Err(self.unexpected("GET", &url, &answer)),
        }
    }

    /// The blob `digest`, at most `max_bytes` long.
    pub fn blob(&mut self, digest: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        let url = format!("{}/blobs/{digest}", self.reference.api_base());
        let answer = self.send(http::Method::GET, &url, &[], Bytes::new(), max_bytes)?;
        match answer.status {
            200 => Ok(answer.body),
            404 => Err(Error::NotFound {
                reference: format!("{} blob {digest}", self.reference.without_digest()),
                detail: registry_error(&answer),
            }),
            _ => Err(self.unexpected("GET", &url, &answer)),
        }
    }

    /// Uploads `bytes` as blob `digest` unless the repository has it: HEAD, then POST to open
    /// an upload and one PUT with the whole blob (the spec's monolithic upload).
    pub fn push_blob(&mut self, digest: &str, bytes: Bytes) -> Result<(), Error> {
        let url = format!("{}/blobs/{digest}", self.reference.api_base());
        let head = self.send(http::Method::HEAD, &url, &[], Bytes::new(), SMALL)?;
        if head.status == 200 {
            return Ok(());
        }
        let uploads = format!("{}/blobs/uploads/", self.reference.api_base());
        let opened = self.send(
            http::Method::POST,
            &uploads,
            &[("Content-Length", "0")],
            Bytes::new(),
            SMALL,
        )?;
        if opened.status != 202 {
            return Err(self.unexpected("POST", &uploads, &opened));
        }
        let location = opened
            .headers
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| Error::Protocol {
                registry: self.reference.registry.clone(),
                message: format!("POST {uploads} answered 202 without a Location"),
            })?;
        let mut target = self.absolute(location);
        target.push(if target.contains('?') { '&' } else { '?' });
        target.push_str("digest=");
        target.push_str(&percent_encoding::utf8_percent_encode(digest, QUERY).to_string());
        let put = self.send(
            http::Method::PUT,
            &target,
            &[("Content-Type", "application/octet-stream")],
            bytes,
            SMALL,
        )?;
        if put.status != 201 {
            return Err(self.unexpected("PUT", &redact_query(&target), &put));
        }
        Ok(())
    }

    /// Stores `manifest` (of `media_type`) under `tag`.
    pub fn push_manifest(
        &mut self,
        tag: &str,
        manifest: Bytes,
        media_type: &str,
    ) -> Result<(), Error> {
        let url = format!("{}/manifests/{tag}", self.reference.api_base());
        let put = self.send(
            http::Method::PUT,
            &url,
            &[("Content-Type", media_type)],
            manifest,
            SMALL,
        )?;
        if put.status != 201 {
            return Err(self.unexpected("PUT", &url, &put));
        }
        Ok(())
    }

    /// Sends one request; on `401` answers the challenge and sends it once more.
    fn send(
        &mut self,
        method: http::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        max_bytes: usize,
    ) -> Result<Answer, Error> {
        let mut answer = self.send_once(&method, url, headers, body.clone(), max_bytes)?;
        if answer.status == 401 {
            let challenge = answer
                .headers
                .get(http::header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            self.authorization = Some(self.answer_challenge(&challenge)?);
            answer = self.send_once(&method, url, headers, body, max_bytes)?;
        }
        match answer.status {
            401 | 403 => Err(Error::Denied {
                registry: self.reference.registry.clone(),
                repository: self.reference.repository.clone(),
                status: answer.status,
                detail: registry_error(&answer),
                anonymous: self.credential.is_none(),
            }),
            _ => Ok(answer),
        }
    }

    fn send_once(
        &self,
        method: &http::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        max_bytes: usize,
    ) -> Result<Answer, Error> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(authorization) = &self.authorization {
            all.push(("Authorization", authorization));
        }
        crate::fetch::send(
            &Request {
                method: method.clone(),
                url,
                headers: &all,
                body,
            },
            max_bytes,
            self.timeout,
        )
        .map_err(|e| Error::Unreachable {
            registry: self.reference.registry.clone(),
            message: e.message,
        })
    }

    /// The `Authorization` value for `challenge` (`Basic realm=…` or `Bearer realm=…`).
    fn answer_challenge(&self, challenge: &str) -> Result<String, Error> {
        let (scheme, parameters) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return self
                .credential
                .as_ref()
                .and_then(Credential::basic_header)
                .ok_or_else(|| Error::Denied {
                    registry: self.reference.registry.clone(),
                    repository: self.reference.repository.clone(),
                    status: 401,
                    detail: "it asks for a user name and password".to_owned(),
                    anonymous: true,
                });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(Error::Protocol {
                registry: self.reference.registry.clone(),
                message: format!("answered 401 with an unsupported challenge `{challenge}`"),
            });
        }
        if let Some(Credential::Bearer(token)) = &self.credential {
            return Ok(format!("Bearer {token}"));
        }
        let field = |name: &str| {
            parameters.split(',').find_map(|part| {
                let (key, value) = part.trim().split_once('=')?;
                (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
            })
        };
        let protocol = |message: String| Error::Protocol {
            registry: self.reference.registry.clone(),
            message,
        };
        let realm = field("realm").ok_or_else(|| protocol(format!("no realm in `{challenge}`")))?;
        let scope = field("scope").unwrap_or_else(|| {
            format!("repository:{}:{}", self.reference.repository, self.actions)
        });
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
        let basic = self.credential.as_ref().and_then(Credential::basic_header);
        let headers: Vec<(&str, &str)> = basic
            .as_deref()
            .map(|b| vec![("Authorization", b)])
            .unwrap_or_default();
        let answer =
            crate::fetch::get_answer(&url, &headers, SMALL, self.timeout).map_err(|e| {
                Error::Unreachable {
                    registry: self.reference.registry.clone(),
                    message: format!("token service {realm}: {}", e.message),
                }
            })?;
        if !(200..300).contains(&answer.status) {
            return Err(Error::Denied {
                registry: self.reference.registry.clone(),
                repository: self.reference.repository.clone(),
                status: answer.status,
                detail: format!("its token service {realm} refused a token for `{scope}`"),
                anonymous: self.credential.is_none(),
            });
        }
        let token: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| protocol(format!("{realm} answered a token that is not JSON: {e}")))?;
        token["token"]
            .as_str()
            .or_else(|| token["access_token"].as_str())
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| protocol(format!("{realm} answered no token")))
    }

    /// `location` (absolute, or a path on this registry) as an absolute URL.
    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!(
                "{}://{}{location}",
                self.reference.scheme(),
                self.reference.registry
            )
        }
    }

    fn unexpected(&self, method: &str, url: &str, answer: &Answer) -> Error {
        Error::Protocol {
            registry: self.reference.registry.clone(),
            message: format!(
                "{method} {url} answered HTTP {}{}",
                answer.status,
                match registry_error(answer) {
                    detail if detail.is_empty() => String::new(),
                    detail => format!(": {detail}"),
                }
            ),
        }
    }
}

impl Reference {
    /// This repository with `name` (a tag or a digest) written out, for messages.
    fn with_name(&self, name: &str) -> String {
        let base = self.without_digest();
        if name.starts_with("sha256:") {
            base.with_digest(name).to_string()
        } else {
            Reference {
                tag: Some(name.to_owned()),
                ..base
            }
            .to_string()
        }
    }
}

/// The first `errors[]` entry of a registry's error body (`MANIFEST_UNKNOWN: manifest
/// unknown`), or nothing.
fn registry_error(answer: &Answer) -> String {
    let Ok(body) = serde_json::from_slice::<Value>(&answer.body) else {
        return String::new();
    };
    let Some(first) = body["errors"].get(0) else {
        return String::new();
    };
    match (first["code"].as_str(), first["message"].as_str()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        (None, Some(message)) => message.to_owned(),
        (None, None) => String::new(),
    }
}

/// An upload URL without its query (registries put upload state, sometimes signed, there).
fn redact_query(url: &str) -> String {
    url.split('?').next().unwrap_or_default().to_owned()
}
