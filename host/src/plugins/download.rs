//! `url:` plugin entries: the component is downloaded (HTTPS or HTTP, redirects followed, at
//! most 64 MiB), must match the entry's `sha256:` (required: what runs is pinned by the config,
//! not by whoever serves the URL), and is kept in the cache directory under its hash, so later
//! runs — and CI jobs that cache the directory — load it without the network.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use wasmtime_wasi_http::RequestOptions;

/// The largest component ristretto downloads.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Connect, first-byte and between-bytes timeout of a download.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The local file of the component at `url` whose sha256 must be `sha256` (hex): the cached
/// copy when there is one, else a fresh download stored in `cache_dir/downloads/` (or the
/// system temporary directory when there is no cache directory).
pub fn fetch(url: &str, sha256: &str, cache_dir: Option<&Path>) -> Result<PathBuf, String> {
    let expected = sha256.trim().to_ascii_lowercase();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`sha256: {sha256}` is not a SHA-256 (64 hex digits)"
        ));
    }
    let dir = cache_dir.map_or_else(
        || std::env::temp_dir().join("ristretto-plugin-downloads"),
        |d| d.join("downloads"),
    );
    let file = dir.join(format!("{expected}.wasm"));
    if let Ok(cached) = std::fs::read(&file) {
        if super::cache::sha256_hex(&cached) == expected {
            return Ok(file);
        }
        // A damaged cache entry is replaced by a fresh download.
        let _ = std::fs::remove_file(&file);
    }
    let bytes = download(url).map_err(|e| format!("cannot download the component: {e}"))?;
    let actual = super::cache::sha256_hex(&bytes);
    if actual != expected {
        return Err(format!(
            "the download from {url} has sha256 {actual}, but the config pins {expected}; nothing was run"
        ));
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the download cache {}: {e}", dir.display()))?;
    let partial = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    std::fs::write(partial.path(), &bytes)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
    partial
        .persist(&file)
        .map_err(|e| format!("cannot store {}: {e}", file.display()))?;
    Ok(file)
}

/// Downloads `url` on a private runtime in its own thread (the caller may be inside a runtime).
fn download(url: &str) -> Result<Vec<u8>, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the download runtime: {e}"))?
                    .block_on(follow(url))
            })
            .join()
            .map_err(|_| "the download panicked".to_owned())?
    })
}

/// GETs `url`, following redirects.
async fn follow(url: &str) -> Result<Vec<u8>, String> {
    let mut current: http::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    for _ in 0..=MAX_REDIRECTS {
        let response = get(&current).await?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| format!("{current} answered {status} without a Location"))?;
            current = redirect_target(&current, location)?;
            continue;
        }
        if !status.is_success() {
            return Err(format!("{current} answered {status}"));
        }
        let body = Limited::new(response.into_body(), MAX_BYTES)
            .collect()
            .await
            .map_err(|e| format!("reading {current}: {e} (at most {MAX_BYTES} bytes)"))?;
        return Ok(body.to_bytes().to_vec());
    }
    Err(format!("{url}: more than {MAX_REDIRECTS} redirects"))
}

/// One GET of `uri` (HTTP or HTTPS).
async fn get(uri: &http::Uri) -> Result<http::Response<wasmtime_wasi_http::WasiBody>, String> {
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(format!(
                "`{uri}`: plugins download over https:// or http://"
            ));
        }
    };
    let host = uri
        .host()
        .ok_or_else(|| format!("`{uri}` has no host"))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let authority = uri
        .authority()
        .map_or_else(|| host.clone(), ToString::to_string);
    let request = http::Request::get(uri.clone())
        .header(http::header::HOST, authority)
        .header(
            http::header::USER_AGENT,
            concat!("ristretto/", env!("CARGO_PKG_VERSION")),
        )
        .body(
            Empty::<Bytes>::new()
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .map_err(|e| format!("`{uri}`: {e}"))?;
    let options = RequestOptions {
        connect_timeout: Some(TIMEOUT),
        first_byte_timeout: Some(TIMEOUT),
        between_bytes_timeout: Some(TIMEOUT),
    };
    let (response, connection) = super::http_send::send_to(request, &host, &addresses, options)
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
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
    fn a_malformed_hash_is_refused_before_any_download() {
        let err = fetch("https://example.invalid/p.wasm", "abc", None).unwrap_err();
        assert!(err.contains("is not a SHA-256"), "{err}");
    }

    #[test]
    fn unsupported_schemes_are_refused() {
        let hash = "0".repeat(64);
        let dir = tempfile::tempdir().unwrap();
        let err = fetch("ftp://example.invalid/p.wasm", &hash, Some(dir.path())).unwrap_err();
        assert!(err.contains("https:// or http://"), "{err}");
    }
}
