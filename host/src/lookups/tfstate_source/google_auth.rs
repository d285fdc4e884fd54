//! An OAuth access token for Cloud Storage from Application Default Credentials, looked up as
//! Google's client libraries do: the JSON file `GOOGLE_APPLICATION_CREDENTIALS` names, else
//! gcloud's `application_default_credentials.json` (in `CLOUDSDK_CONFIG` or
//! `~/.config/gcloud`), else the metadata server of the Google Cloud machine we run on
//! (`GCE_METADATA_HOST`, default 169.254.169.254). Files of type `service_account` (a signed
//! JWT exchanged at its `token_uri`) and `authorized_user` (a refresh token, what
//! `gcloud auth application-default login` writes) are read; other types are errors.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::{MAX_API_BYTES, REMOTE_TIMEOUT, env, status_text};

/// Read access to Cloud Storage objects is all a state read needs.
const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_only";

/// Where tokens are issued when a credentials file does not say.
const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// How long to wait for a metadata server that is only there on Google Cloud.
const METADATA_TIMEOUT: Duration = Duration::from_secs(3);

/// A credentials file.
#[derive(Deserialize)]
struct CredentialsFile {
    #[serde(rename = "type")]
    kind: String,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    token_uri: Option<String>,
}

/// A token endpoint's answer.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// An access token, or why there is none.
pub(super) fn access_token() -> Result<String, String> {
    if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
        return from_file(Path::new(&path));
    }
    if let Some(path) = gcloud_file().filter(|path| path.is_file()) {
        return from_file(&path);
    }
    from_metadata_server().map_err(|err| {
        format!(
            "no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, there is no \
             application_default_credentials.json from `gcloud auth application-default login`, \
             and the metadata server did not give a token ({err})"
        )
    })
}

/// gcloud's application default credentials file.
fn gcloud_file() -> Option<PathBuf> {
    let config = env("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".config/gcloud")))?;
    Some(config.join("application_default_credentials.json"))
}

fn from_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let text = std::fs::read(path)
        .map_err(|err| format!("cannot read Google credentials {shown}: {err}"))?;
    let file: CredentialsFile = serde_json::from_slice(&text)
        .map_err(|err| format!("Google credentials {shown} are not valid JSON: {err}"))?;
    let missing = |field: &str| format!("Google credentials {shown} have no `{field}`");
    let token_uri = file.token_uri.as_deref().unwrap_or(TOKEN_URI);
    let form = match file.kind.as_str() {
        "service_account" => {
            let email = file.client_email.ok_or_else(|| missing("client_email"))?;
            let key = file.private_key.ok_or_else(|| missing("private_key"))?;
            let assertion = jwt(&email, &key, file.private_key_id.as_deref(), token_uri)
                .map_err(|err| format!("Google credentials {shown}: {err}"))?;
            form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ])
        }
        "authorized_user" => form(&[
            ("grant_type", "refresh_token"),
            (
                "client_id",
                &file.client_id.ok_or_else(|| missing("client_id"))?,
            ),
            (
                "client_secret",
                &file.client_secret.ok_or_else(|| missing("client_secret"))?,
            ),
            (
                "refresh_token",
                &file.refresh_token.ok_or_else(|| missing("refresh_token"))?,
            ),
        ]),
        other => {
            return Err(format!(
                "Google credentials {shown} are of type `{other}`; ristretto reads \
                 `service_account` and `authorized_user` credentials"
            ));
        }
    };
    let answer = crate::fetch::post_answer(
        token_uri,
        &[("content-type", "application/x-www-form-urlencoded")],
        form.into_bytes(),
        MAX_API_BYTES,
        REMOTE_TIMEOUT,
    )
    .map_err(|err| format!("getting a token for {shown}: {err}"))?;
    token(&answer, token_uri).map_err(|err| format!("getting a token for {shown}: {err}"))
}

fn from_metadata_server() -> Result<String, String> {
    let host = env("GCE_METADATA_HOST").unwrap_or_else(|| "169.254.169.254".to_owned());
    let url = format!(
        "http://{host}/computeMetadata/v1/instance/service-accounts/default/token?scopes={}",
        percent_encoding::utf8_percent_encode(SCOPE, percent_encoding::NON_ALPHANUMERIC)
    );
    let answer = crate::fetch::get_answer(
        &url,
        &[("metadata-flavor", "Google")],
        MAX_API_BYTES,
        METADATA_TIMEOUT,
    )
    .map_err(|err| err.message)?;
    token(&answer, &url)
}

/// The access token in a token endpoint's answer.
fn token(answer: &crate::fetch::Answer, url: &str) -> Result<String, String> {
    let parsed: Option<TokenAnswer> = serde_json::from_slice(&answer.body).ok();
    match parsed {
        Some(TokenAnswer {
            access_token: Some(token),
            ..
        }) if (200..300).contains(&answer.status) => Ok(token),
        Some(TokenAnswer {
            error: Some(error),
            error_description,
            ..
        }) => Err(format!(
            "{url} answered {}: {error}{}",
            status_text(answer.status),
            error_description.map_or_else(String::new, |d| format!(" ({d})"))
        )),
        _ => Err(format!(
            "{url} answered {} without an access token",
            status_text(answer.status)
        )),
    }
}

/// `application/x-www-form-urlencoded` text of `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    fn encode(s: &str) -> percent_encoding::PercentEncode<'_> {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
    }
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A JWT signed with RS256 by the service account's PKCS#8 PEM `key`, asking `audience` (the
/// token URI) for a token with `SCOPE` for an hour ("Using OAuth 2.0 for Server to Server
/// Applications").
fn jwt(email: &str, key: &str, key_id: Option<&str>, audience: &str) -> Result<String, String> {
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    use base64::Engine;
    use rustls::pki_types::{PrivatePkcs8KeyDer, pem::PemObject};
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|err| format!("the clock is before 1970: {err}"))?
        .as_secs();
    let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    if let Some(id) = key_id {
        header["kid"] = id.into();
    }
    let claims = serde_json::json!({
        "iss": email, "scope": SCOPE, "aud": audience, "iat": now, "exp": now + 3600,
    });
    let input = format!(
        "{}.{}",
        engine.encode(header.to_string()),
        engine.encode(claims.to_string())
    );
    let der = PrivatePkcs8KeyDer::from_pem_slice(key.as_bytes())
        .map_err(|err| format!("`private_key` is not a PKCS#8 PEM key: {err}"))?;
    let pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
        .map_err(|err| format!("`private_key` is not an RSA key: {err}"))?;
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .map_err(|err| format!("cannot sign with `private_key`: {err}"))?;
    Ok(format!("{input}.{}", engine.encode(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use base64::Engine;

    /// A fresh RSA key as the PEM a service account's JSON holds, and its public key.
    fn service_account_key() -> (String, Vec<u8>) {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der = pair.as_der().unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        );
        (pem, pair.public_key().as_ref().to_vec())
    }

    #[test]
    fn service_account_assertions_verify_with_the_public_key() {
        let (pem, public) = service_account_key();
        let token = jwt("sa@p.iam.gserviceaccount.com", &pem, Some("k1"), TOKEN_URI).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let signature = engine.decode(parts[2]).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], "k1");
        let claims: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], TOKEN_URI);
        assert_eq!(claims["scope"], SCOPE);
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            3600
        );
        assert!(jwt("sa@x", "not a key", None, TOKEN_URI).is_err());
    }

    #[test]
    fn token_answers() {
        let answer = |status: u16, body: &str| crate::fetch::Answer {
            status,
            headers: http::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            token(&answer(200, r#"{"access_token": "ya29.x"}"#), "u"),
            Ok("ya29.x".to_owned())
        );
        assert_eq!(
            token(
                &answer(
                    400,
                    r#"{"error": "invalid_grant", "error_description": "bad"}"#
                ),
                "u"
            ),
            Err("u answered 400 Bad Request: invalid_grant (bad)".to_owned())
        );
        assert!(
            token(&answer(500, ""), "u")
                .unwrap_err()
                .contains("without")
        );
        assert_eq!(form(&[("a", "b c"), ("d", "e/f")]), "a=b%20c&d=e%2Ff");
    }
}
