//! `azurerm://[SUBSCRIPTION@]RESOURCE_GROUP/ACCOUNT/CONTAINER/BLOB` states: one Get Blob
//! request to the Blob service, as fujiwara/tfstate-lookup's `readAzureRM` makes through the
//! Azure SDK. The credential is chosen in tfstate-lookup's order: an Azure AD token when
//! `ARM_USE_AZUREAD=true`, else the account key from `AZURE_STORAGE_ACCESS_KEY`, else (our
//! addition) what `AZURE_STORAGE_CONNECTION_STRING` or `AZURE_STORAGE_SAS_TOKEN` give, else the
//! account's first key listed by the resource manager. tfstate-lookup asks the resource manager
//! and Azure AD through the SDK's DefaultAzureCredential; we ask the `az` CLI, which is that
//! credential's usual source on a workstation and in CI.
//!
//! The endpoint is `https://ACCOUNT.blob.core.windows.net` unless
//! `AZURE_STORAGE_CONNECTION_STRING` names the same account with another blob endpoint (Azure
//! Stack, sovereign clouds, Azurite), as the Azure CLI and SDKs read it.

use std::fmt;

use super::{Fetched, MAX_REMOTE_STATE_BYTES, REMOTE_TIMEOUT, env, status_text};

/// The Blob service version requested (`x-ms-version`); every service and Azurite accept it.
const API_VERSION: &str = "2021-08-06";

/// Where an `azurerm://` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// The subscription of the account (the URL's user part), for listing its keys.
    pub subscription: Option<String>,
    /// The account's resource group, for listing its keys.
    pub resource_group: String,
    /// The storage account.
    pub account: String,
    /// The container.
    pub container: String,
    /// The blob name (may contain `/`).
    pub name: String,
}

impl Blob {
    /// The URL syntax, for messages.
    pub const SYNTAX: &'static str =
        "azurerm://[SUBSCRIPTION@]RESOURCE_GROUP/ACCOUNT/CONTAINER/BLOB";

    /// Parses what follows `azurerm://`; `None` unless every part is there.
    pub fn parse(rest: &str) -> Option<Self> {
        let (authority, path) = rest.split_once('/')?;
        let (subscription, resource_group) = match authority.rsplit_once('@') {
            Some((subscription, group)) => (Some(subscription.to_owned()), group),
            None => (None, authority),
        };
        let mut parts = path.splitn(3, '/');
        let (account, container, name) = (parts.next()?, parts.next()?, parts.next()?);
        let all = [resource_group, account, container, name];
        if all.iter().any(|part| part.is_empty()) || subscription.as_deref() == Some("") {
            return None;
        }
        Some(Self {
            subscription,
            resource_group: resource_group.to_owned(),
            account: account.to_owned(),
            container: container.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "azurerm://")?;
        if let Some(subscription) = &self.subscription {
            write!(f, "{subscription}@")?;
        }
        write!(
            f,
            "{}/{}/{}/{}",
            self.resource_group, self.account, self.container, self.name
        )
    }
}

/// How a request is authorized.
#[derive(Debug, PartialEq, Eq)]
enum Credential {
    /// The account key (base64), signing each request (SharedKey).
    SharedKey(String),
    /// A shared access signature, appended to the URL.
    Sas(String),
    /// An Azure AD access token for `https://storage.azure.com/`.
    Bearer(String),
}

/// What `AZURE_STORAGE_CONNECTION_STRING` says about one account.
#[derive(Debug, Default, PartialEq, Eq)]
struct ConnectionString {
    blob_endpoint: Option<String>,
    account_key: Option<String>,
    sas: Option<String>,
}

impl ConnectionString {
    /// The settings for `account` in connection string `text`
    /// (`AccountName=…;AccountKey=…;BlobEndpoint=…`), or `None` when it names another account.
    fn for_account(text: &str, account: &str) -> Option<Self> {
        let mut name = None;
        let mut protocol = "https".to_owned();
        let mut suffix = None;
        let mut settings = Self::default();
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim().to_owned();
            match key.trim() {
                "AccountName" => name = Some(value),
                "AccountKey" => settings.account_key = Some(value),
                "SharedAccessSignature" => settings.sas = Some(value),
                "BlobEndpoint" => settings.blob_endpoint = Some(value),
                "DefaultEndpointsProtocol" => protocol = value,
                "EndpointSuffix" => suffix = Some(value),
                _ => {}
            }
        }
        if name.as_deref() != Some(account) {
            return None;
        }
        if settings.blob_endpoint.is_none() {
            settings.blob_endpoint =
                suffix.map(|suffix| format!("{protocol}://{account}.blob.{suffix}"));
        }
        Some(settings)
    }
}

/// Reads the blob; a missing container or blob is `Fetched::Missing`.
pub(super) fn read(blob: &Blob) -> Result<Fetched, String> {
    let connection = env("AZURE_STORAGE_CONNECTION_STRING")
        .and_then(|text| ConnectionString::for_account(&text, &blob.account))
        .unwrap_or_default();
    let endpoint = connection
        .blob_endpoint
        .clone()
        .unwrap_or_else(|| format!("https://{}.blob.core.windows.net", blob.account));
    let url = format!(
        "{}/{}/{}",
        endpoint.trim_end_matches('/'),
        encode(&blob.container),
        encode(&blob.name)
    );
    let credential = credential(blob, connection)?;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let mut headers = vec![
        ("x-ms-date", date.clone()),
        ("x-ms-version", API_VERSION.to_owned()),
    ];
    let mut request_url = url.clone();
    match &credential {
        Credential::SharedKey(key) => {
            let path = url_path(&url);
            let signature = sign(&blob.account, key, &path, &date)?;
            headers.push((
                "authorization",
                format!("SharedKey {}:{signature}", blob.account),
            ));
        }
        Credential::Sas(sas) => {
            request_url = format!("{url}?{}", sas.trim_start_matches('?'));
        }
        Credential::Bearer(token) => headers.push(("authorization", format!("Bearer {token}"))),
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = crate::fetch::get_answer(
        &request_url,
        &headers,
        MAX_REMOTE_STATE_BYTES,
        REMOTE_TIMEOUT,
    )
    // A SAS is a secret: messages name the blob's URL without it.
    .map_err(|err| match &credential {
        Credential::Sas(sas) => err
            .message
            .replace(&request_url, &url)
            .replace(sas.trim_start_matches('?'), "***"),
        _ => err.message,
    })?;
    if (200..300).contains(&answer.status) {
        return Ok(Fetched::Bytes(answer.body));
    }
    let code = answer
        .headers
        .get("x-ms-error-code")
        .and_then(|code| code.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let reason = format!(
        "{url} answered {}{}",
        status_text(answer.status),
        service_error(&code, &answer.body)
    );
    match code.as_str() {
        "BlobNotFound" | "ContainerNotFound" => Ok(Fetched::Missing(reason)),
        _ if answer.status == 404 => Ok(Fetched::Missing(reason)),
        _ => Err(reason),
    }
}

/// The credential for `blob`, in tfstate-lookup's order (see the module doc).
fn credential(blob: &Blob, connection: ConnectionString) -> Result<Credential, String> {
    if env("ARM_USE_AZUREAD").as_deref() == Some("true") {
        let token = az(&[
            "account",
            "get-access-token",
            "--resource",
            "https://storage.azure.com/",
            "--query",
            "accessToken",
            "--output",
            "tsv",
        ])
        .map_err(|err| format!("ARM_USE_AZUREAD=true, but no Azure AD token: {err}"))?;
        return Ok(Credential::Bearer(token));
    }
    if let Some(key) = env("AZURE_STORAGE_ACCESS_KEY").or(connection.account_key) {
        return Ok(Credential::SharedKey(key));
    }
    if let Some(sas) = connection.sas.or_else(|| env("AZURE_STORAGE_SAS_TOKEN")) {
        return Ok(Credential::Sas(sas));
    }
    let mut args = vec![
        "storage",
        "account",
        "keys",
        "list",
        "--resource-group",
        &blob.resource_group,
        "--account-name",
        &blob.account,
        "--query",
        "[0].value",
        "--output",
        "tsv",
    ];
    if let Some(subscription) = &blob.subscription {
        args.extend(["--subscription", subscription]);
    }
    az(&args).map(Credential::SharedKey).map_err(|err| {
        format!(
            "no access key for storage account `{}`: AZURE_STORAGE_ACCESS_KEY, \
             AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_SAS_TOKEN are not set, and \
             listing its keys failed: {err}",
            blob.account
        )
    })
}

/// Runs the Azure CLI and returns its trimmed output.
fn az(args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new("az")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| format!("cannot run `az {}`: {err}", args.join(" ")))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || stdout.is_empty() {
        return Err(format!(
            "`az {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(stdout)
}

/// The SharedKey signature of a GET of `path` with no body and only `x-ms-date` and
/// `x-ms-version` headers: base64 HMAC-SHA256, keyed with the decoded account key, of the
/// string to sign of "Authorize with Shared Key" (Blob service, version 2015-02-21 and later).
fn sign(account: &str, key: &str, path: &str, date: &str) -> Result<String, String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(key.trim())
        .map_err(|err| format!("the access key for `{account}` is not base64: {err}"))?;
    // VERB, then eleven standard headers we leave empty (Content-Encoding … Range).
    let string_to_sign = format!(
        "GET\n{}x-ms-date:{date}\nx-ms-version:{API_VERSION}\n/{account}{path}",
        "\n".repeat(11)
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
    Ok(engine.encode(aws_lc_rs::hmac::sign(&key, string_to_sign.as_bytes())))
}

/// The path of `url` (an endpoint may carry the account in its path, as Azurite's does).
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned())
}

/// `name` percent-encoded for a URL path, keeping `/`.
fn encode(name: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(name, SET).to_string()
}

/// ` (Code: message)` from the service's XML error body, or the code alone.
fn service_error(code: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let message = text
        .split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map(|(message, _)| message.lines().next().unwrap_or_default().trim().to_owned());
    match (code.is_empty(), message) {
        (true, None) => String::new(),
        (false, None) => format!(" ({code})"),
        (_, Some(message)) if code.is_empty() => format!(" ({message})"),
        (_, Some(message)) => format!(" ({code}: {message})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let blob = Blob::parse("sub-1@rg/account/tfstate/env/prod.tfstate").unwrap();
        assert_eq!(blob.subscription.as_deref(), Some("sub-1"));
        assert_eq!(
            (
                blob.resource_group.as_str(),
                blob.account.as_str(),
                blob.container.as_str(),
                blob.name.as_str()
            ),
            ("rg", "account", "tfstate", "env/prod.tfstate")
        );
        assert_eq!(
            blob.to_string(),
            "azurerm://sub-1@rg/account/tfstate/env/prod.tfstate"
        );
        assert_eq!(Blob::parse("rg/account/c/k").unwrap().subscription, None);
        for bad in [
            "rg/account/c",
            "rg/account/c/",
            "/account/c/k",
            "@rg/a/c/k",
            "rg",
        ] {
            assert_eq!(Blob::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn connection_strings() {
        let text = "DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=a2V5;\
                    BlobEndpoint=http://127.0.0.1:10000/dev;";
        assert_eq!(
            ConnectionString::for_account(text, "dev"),
            Some(ConnectionString {
                blob_endpoint: Some("http://127.0.0.1:10000/dev".to_owned()),
                account_key: Some("a2V5".to_owned()),
                sas: None,
            })
        );
        assert_eq!(ConnectionString::for_account(text, "other"), None);
        let sovereign = "AccountName=acc;SharedAccessSignature=sv=1&sig=x;\
                         EndpointSuffix=core.chinacloudapi.cn";
        let settings = ConnectionString::for_account(sovereign, "acc").unwrap();
        assert_eq!(
            settings.blob_endpoint.as_deref(),
            Some("https://acc.blob.core.chinacloudapi.cn")
        );
        assert_eq!(settings.sas.as_deref(), Some("sv=1&sig=x"));
    }

    /// The string to sign laid out by hand from Microsoft's "Authorize with Shared Key" page
    /// (Azurite checks real signatures in tests/e2e/tfstate_backends.rs).
    #[test]
    fn shared_key_signature() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let key = engine.encode(b"Jefe");
        let date = "Wed, 02 Dec 2026 01:00:00 GMT";
        let signature = sign("acc", &key, "/c/k", date).unwrap();
        let expected_input = format!(
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{API_VERSION}\n/acc/c/k"
        );
        let expected = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"Jefe"),
            expected_input.as_bytes(),
        );
        assert_eq!(signature, engine.encode(expected));
        assert!(sign("acc", "not base64!", "/", date).is_err());
        assert_eq!(url_path("http://127.0.0.1:1/dev/c/a%20b"), "/dev/c/a%20b");
        assert_eq!(encode("env/a b+c.tfstate"), "env/a%20b%2Bc.tfstate");
    }

    #[test]
    fn error_bodies() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:1</Message></Error>";
        assert_eq!(
            service_error("AuthenticationFailed", body),
            " (AuthenticationFailed: Server failed to authenticate the request.)"
        );
        assert_eq!(service_error("BlobNotFound", b""), " (BlobNotFound)");
        assert_eq!(service_error("", b""), "");
    }
}
