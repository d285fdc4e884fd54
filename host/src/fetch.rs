//! The HTTP(S) requests ristretto makes itself (`url:` and `oci:` plugins, `tfstate` states
//! served over HTTP, registry checks): redirects of GET and HEAD followed, a size cap, 30 s
//! connect/read timeouts, certificates checked against the web PKI roots (and those in the file
//! `SSL_CERT_FILE` names, as Go's client and the AWS SDK trust them), `user:password@` in the URL
//! sent as basic auth (as Go's client does) and never shown in messages. Runs on a private
//! runtime in its own thread, so callers may be synchronous or inside another runtime.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::RequestOptions;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Connect, first-byte and between-bytes timeout.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a GET failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// The final HTTP status, when the server answered with an error status.
    pub status: Option<u16>,
    /// What went wrong, naming the URL.
    pub message: String,
}

impl FetchError {
    fn other(message: String) -> Self {
        Self {
            status: None,
            message,
        }
    }
}

/// What a server answered: any status (redirects followed), its headers and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The body, at most the requested number of bytes.
    pub body: Vec<u8>,
}

/// The body of `url` (`https://` or `http://`), at most `max_bytes` long; a status other than
/// 2xx is an error.
pub fn get(url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let answer = get_answer(url, &[], max_bytes, TIMEOUT)?;
    if !(200..300).contains(&answer.status) {
        return Err(FetchError {
            status: Some(answer.status),
            message: format!(
                "{} answered {}",
                redact(url),
                describe_status(answer.status)
            ),
        });
    }
    Ok(answer.body)
}

/// GETs `url` with extra `headers` and returns whatever status the server answered; `timeout`
/// bounds the connection, the first byte and each wait between bytes.
pub fn get_answer(
    url: &str,
    headers: &[(&str, &str)],
    max_bytes: usize,
    timeout: Duration,
) -> Result<Answer, FetchError> {
    send(
        &Request {
            method: http::Method::GET,
            url,
            headers,
            body: Bytes::new(),
        },
        max_bytes,
        timeout,
    )
}

/// POSTs `body` to `url` with extra `headers` (redirects are not followed) and returns whatever
/// status the server answered; `timeout` as for `get_answer`.
pub fn post_answer(
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Answer, FetchError> {
    send(
        &Request {
            method: http::Method::POST,
            url,
            headers,
            body: Bytes::from(body),
        },
        max_bytes,
        timeout,
    )
}

/// One request: method, URL, extra headers and body (empty for GET and HEAD).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The method; redirects are followed for GET and HEAD only.
    pub method: http::Method,
    /// `https://` or `http://` URL.
    pub url: &'a str,
    /// Extra headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: Bytes,
}

/// Sends `request` and returns whatever status the server answered (at most `max_bytes` of
/// body); `timeout` bounds the connection, the first byte and each wait between bytes.
pub fn send(
    request: &Request<'_>,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Answer, FetchError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| FetchError::other(format!("cannot start a runtime: {e}")))?
                    .block_on(follow(request, max_bytes, timeout))
            })
            .join()
            .map_err(|_| FetchError::other(format!("fetching {} panicked", redact(request.url))))?
    })
}

/// The web PKI roots, plus the certificates in `SSL_CERT_FILE` when it is set.
fn roots() -> Result<rustls::RootCertStore, FetchError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = crate::http_send::web_pki_roots();
    let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) else {
        return Ok(roots);
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        FetchError::other(format!(
            "cannot read the certificates in SSL_CERT_FILE ({}): {e}",
            Path::new(&file).display()
        ))
    };
    let pem = std::fs::read(&file).map_err(|e| unreadable(&e))?;
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(certificate.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    Ok(roots)
}

/// `404 Not Found` for 404.
fn describe_status(status: u16) -> String {
    http::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string())
}

/// Sends `request`, following redirects of GET and HEAD.
async fn follow(
    request: &Request<'_>,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Answer, FetchError> {
    let url = request.url;
    let redirectable = matches!(request.method, http::Method::GET | http::Method::HEAD);
    let roots = roots()?;
    let (mut current, credentials) = split_userinfo(url).map_err(FetchError::other)?;
    let first_host = current.host().map(str::to_owned);
    for _ in 0..=MAX_REDIRECTS {
        // Credentials go only to the host they were written for.
        let auth = credentials
            .as_deref()
            .filter(|_| current.host().map(str::to_owned) == first_host);
        let response = send_once(request, &current, auth, &roots, timeout).await?;
        let status = response.status();
        if redirectable && status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| {
                    FetchError::other(format!("{current} answered {status} without a Location"))
                })?;
            current = redirect_target(&current, location).map_err(FetchError::other)?;
            continue;
        }
        let response_headers = response.headers().clone();
        let body = Limited::new(response.into_body(), max_bytes)
            .collect()
            .await
            .map_err(|e| {
                FetchError::other(format!(
                    "reading {current}: {e} (at most {max_bytes} bytes)"
                ))
            })?;
        return Ok(Answer {
            status: status.as_u16(),
            headers: response_headers,
            body: body.to_bytes().to_vec(),
        });
    }
    Err(FetchError::other(format!(
        "{}: more than {MAX_REDIRECTS} redirects",
        redact(url)
    )))
}

/// `url` without its `user:password@`, and the basic-auth header value they make.
fn split_userinfo(url: &str) -> Result<(http::Uri, Option<String>), String> {
    use base64::Engine;
    let invalid = |e: &dyn std::fmt::Display| format!("`{}` is not a URL: {e}", redact(url));
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(&"no scheme"));
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    let uri: http::Uri = format!("{scheme}://{host}{path}")
        .parse()
        .map_err(|e| invalid(&e))?;
    let credentials = userinfo.map(|u| {
        let decoded = percent_encoding::percent_decode_str(u).decode_utf8_lossy();
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(decoded.as_bytes())
        )
    });
    Ok((uri, credentials))
}

/// `url` with the password of its userinfo (if any) replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// One request to `uri`: `request`'s method, headers and body.
async fn send_once(
    request: &Request<'_>,
    uri: &http::Uri,
    authorization: Option<&str>,
    roots: &rustls::RootCertStore,
    timeout: Duration,
) -> Result<http::Response<wasmtime_wasi_http::WasiBody>, FetchError> {
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(FetchError::other(format!(
                "`{uri}`: only https:// and http:// URLs can be fetched"
            )));
        }
    };
    let host = uri
        .host()
        .ok_or_else(|| FetchError::other(format!("`{uri}` has no host")))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses: Vec<SocketAddr> =
        tokio::time::timeout(timeout, tokio::net::lookup_host((bare.as_str(), port)))
            .await
            .map_err(|_| {
                FetchError::other(format!(
                    "{uri}: resolving {host} took longer than {}",
                    crate::config::format_duration(timeout)
                ))
            })?
            .map_err(|e| FetchError::other(format!("{uri}: cannot resolve {host}: {e}")))?
            .collect();
    let authority = uri
        .authority()
        .map_or_else(|| host.clone(), ToString::to_string);
    let mut builder = http::Request::builder()
        .method(request.method.clone())
        .uri(uri.clone())
        .header(http::header::HOST, authority);
    if let Some(value) = authorization {
        builder = builder.header(http::header::AUTHORIZATION, value);
    }
    for (name, value) in request.headers {
        builder = builder.header(*name, *value);
    }
    let outgoing = builder
        .header(
            http::header::USER_AGENT,
            concat!("ristretto/", env!("CARGO_PKG_VERSION")),
        )
        .body(
            Full::new(request.body.clone())
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .map_err(|e| FetchError::other(format!("`{uri}`: {e}")))?;
    let options = RequestOptions {
        connect_timeout: Some(timeout),
        first_byte_timeout: Some(timeout),
        between_bytes_timeout: Some(timeout),
    };
    let (response, connection) =
        crate::http_send::send_with_roots(outgoing, &host, &addresses, options, roots.clone())
            .await
            .map_err(|e| FetchError::other(format!("{uri}: {e}")))?;
    tokio::spawn(Box::into_pin(connection));
    Ok(response)
}

/// The absolute URI a `Location` header points at, relative to `base`.
fn redirect_target(base: &http::Uri, location: &str) -> Result<http::Uri, String> {
    let invalid = |e: String| format!("{base} redirected to `{location}`: {e}");
    let parsed: http::Uri = location.parse().map_err(|e| invalid(format!("{e}")))?;
    if parsed.scheme().is_some() {
        return Ok(parsed);
    }
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(location.parse().map_err(|e| invalid(format!("{e}")))?);
    http::Uri::from_parts(parts).map_err(|e| invalid(format!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_redirects() {
        let base: http::Uri = "https://github.com/o/r/releases/download/v1/p.wasm"
            .parse()
            .unwrap();
        assert_eq!(
            redirect_target(&base, "https://objects.example.com/x?sig=1")
                .unwrap()
                .to_string(),
            "https://objects.example.com/x?sig=1"
        );
        assert_eq!(
            redirect_target(&base, "/o/r/other.wasm")
                .unwrap()
                .to_string(),
            "https://github.com/o/r/other.wasm"
        );
    }

    #[test]
    fn userinfo_becomes_basic_auth_and_is_never_shown() {
        let (uri, auth) = split_userinfo("https://bob:s%40cret@tf.example.com/state?x=1").unwrap();
        assert_eq!(uri.to_string(), "https://tf.example.com/state?x=1");
        // base64("bob:s@cret")
        assert_eq!(auth.as_deref(), Some("Basic Ym9iOnNAY3JldA=="));
        assert_eq!(
            redact("https://bob:s%40cret@tf.example.com/state"),
            "https://bob:***@tf.example.com/state"
        );
        assert_eq!(
            redact("https://tf.example.com/a@b"),
            "https://tf.example.com/a@b"
        );
        let (_, none) = split_userinfo("http://127.0.0.1:8080/state").unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn only_http_and_https() {
        let err = get("ftp://example.invalid/p.wasm", 10).unwrap_err();
        assert!(err.message.contains("only https:// and http://"), "{err}");
        assert_eq!(err.status, None);
    }
}
