//! `gs://BUCKET/KEY` states: one JSON API media download (`GET /storage/v1/b/BUCKET/o/KEY
//! ?alt=media`), as fujiwara/tfstate-lookup reads them through Google's Go client. Like that
//! client, `STORAGE_EMULATOR_HOST` (`host:port` or a URL) replaces `storage.googleapis.com` and
//! turns authentication off; otherwise the request carries an OAuth token from Application
//! Default Credentials (`google_auth`). `GOOGLE_ENCRYPTION_KEY` (base64 AES-256 key) reads an
//! object encrypted with a customer-supplied key, as tfstate-lookup does.

use sha2::Digest;

use super::{Fetched, MAX_REMOTE_STATE_BYTES, REMOTE_TIMEOUT, env, status_text};

/// The JSON API's public endpoint.
const ENDPOINT: &str = "https://storage.googleapis.com";

/// Reads `key` from `bucket`; a missing bucket or object is `Fetched::Missing`.
pub(super) fn read(bucket: &str, key: &str) -> Result<Fetched, String> {
    let (endpoint, token) = match env("STORAGE_EMULATOR_HOST") {
        Some(host) if host.contains("://") => (host, None),
        Some(host) => (format!("http://{host}"), None),
        None => (
            ENDPOINT.to_owned(),
            Some(super::google_auth::access_token()?),
        ),
    };
    let url = format!(
        "{}/storage/v1/b/{}/o/{}?alt=media",
        endpoint.trim_end_matches('/'),
        encode(bucket),
        encode(key)
    );
    let mut headers: Vec<(&str, String)> = Vec::new();
    if let Some(token) = token {
        headers.push(("authorization", format!("Bearer {token}")));
    }
    if let Some(key) = env("GOOGLE_ENCRYPTION_KEY") {
        headers.extend(encryption_headers(&key)?);
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = crate::fetch::get_answer(&url, &headers, MAX_REMOTE_STATE_BYTES, REMOTE_TIMEOUT)
        .map_err(|err| err.message)?;
    if (200..300).contains(&answer.status) {
        return Ok(Fetched::Bytes(answer.body));
    }
    let reason = format!(
        "{url} answered {}{}",
        status_text(answer.status),
        service_error(&answer.body)
    );
    if answer.status == 404 {
        Ok(Fetched::Missing(reason))
    } else {
        Err(reason)
    }
}

/// The customer-supplied encryption key headers for base64 `key`.
fn encryption_headers(key: &str) -> Result<[(&'static str, String); 3], String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let raw = engine
        .decode(key.trim())
        .map_err(|err| format!("GOOGLE_ENCRYPTION_KEY is not base64: {err}"))?;
    Ok([
        ("x-goog-encryption-algorithm", "AES256".to_owned()),
        ("x-goog-encryption-key", engine.encode(&raw)),
        (
            "x-goog-encryption-key-sha256",
            engine.encode(sha2::Sha256::digest(&raw)),
        ),
    ])
}

/// `name` percent-encoded as one path segment (an object name's `/` too).
fn encode(name: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(name, SET).to_string()
}

/// ` (message)` from the JSON API's error body (`{"error": {"message": …}}`), if it has one.
fn service_error(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
        .map_or_else(String::new, |message| format!(" ({message})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_one_segment() {
        assert_eq!(encode("env/prod app.tfstate"), "env%2Fprod%20app.tfstate");
    }

    #[test]
    fn customer_supplied_keys() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let key = engine.encode([7u8; 32]);
        let headers = encryption_headers(&key).unwrap();
        assert_eq!(headers[1].1, key);
        assert_eq!(headers[2].1, engine.encode(sha2::Sha256::digest([7u8; 32])));
        assert!(encryption_headers("%%%").is_err());
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            service_error(br#"{"error": {"code": 403, "message": "no access"}}"#),
            " (no access)"
        );
        assert_eq!(service_error(b""), "");
    }
}
