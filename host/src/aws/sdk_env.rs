//! The environment the AWS SDK reads its settings from: the process environment overlaid with
//! the command's env files (`config::Environment`), handed to aws-config as its environment.
//! Every `AWS_*` setting the SDK reads (region, profile, `AWS_CONFIG_FILE`,
//! `AWS_SHARED_CREDENTIALS_FILE`, static and web-identity credentials, `AWS_ENDPOINT_URL` and
//! `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`, FIPS and dual-stack, …)
//! then behaves as if the env files had been exported, as ecspresso exports them, while
//! ristretto's own process environment stays as it was: a fleet loads services with different
//! env files into one process. Also what Go's SDK reads and the Rust SDK does not:
//! `AWS_CA_BUNDLE`; and the proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, either
//! case) read from that same environment with Go's rules, so an env file's proxy is used as
//! ecspresso uses it. Client construction only; never prints.

use std::collections::HashMap;
use std::path::PathBuf;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::environment::Environment;

/// Why the AWS settings of the environment cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `AWS_CA_BUNDLE` names a file that cannot be read or holds no usable certificate.
    #[error("AWS_CA_BUNDLE {path}: {message}")]
    CaBundle {
        /// The bundle's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A proxy variable holds no usable URL.
    #[error("{name} `{value}` is not a usable proxy URL: {message}")]
    Proxy {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// `AWS_MAX_ATTEMPTS` is not a positive whole number.
    #[error("AWS_MAX_ATTEMPTS `{value}` is not a whole number of at least 1")]
    MaxAttempts {
        /// The value given.
        value: String,
    },
}

/// `environment` as the SDK's process environment.
pub(crate) fn sdk_env(environment: &Environment) -> aws_types::os_shim_internal::Env {
    let vars: HashMap<String, String> = environment
        .vars()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    aws_types::os_shim_internal::Env::from(vars)
}

/// `AWS_MAX_ATTEMPTS` when set: the most attempts any call may have, also where ristretto's
/// retry policy would try longer (`retry`).
pub(crate) fn max_attempts(environment: &Environment) -> Result<Option<u32>, Error> {
    let Some(value) = environment
        .get("AWS_MAX_ATTEMPTS")
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(None);
    };
    match value.trim().parse::<u32>() {
        Ok(attempts) if attempts >= 1 => Ok(Some(attempts)),
        _ => Err(Error::MaxAttempts {
            value: value.to_owned(),
        }),
    }
}

/// The HTTP client the SDK uses: the SDK's default client (rustls with aws-lc) whose trust
/// store is `AWS_CA_BUNDLE` alone when it is set, as Go's SDK builds it, and whose proxy is
/// `proxy_config`'s; when every AWS endpoint is plain HTTP (`AWS_ENDPOINT_URL=http://…`, as
/// against a local emulator), no proxy speaks TLS and no bundle is set, a client without TLS,
/// so the command never loads the system's trust roots.
pub(crate) fn http_client(environment: &Environment) -> Result<SharedHttpClient, Error> {
    let context = ca_bundle(environment)?;
    let proxy = proxy_config(environment)?.unwrap_or_else(ProxyConfig::disabled);
    if context.is_none() && plain_http_only(environment) {
        return Ok(plain_http_client(proxy));
    }
    Ok(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                let mut builder = aws_smithy_http_client::Connector::builder().tls_provider(
                    tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc),
                );
                if let Some(context) = &context {
                    builder = builder.tls_context(context.clone());
                }
                builder.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    builder.set_sleep_impl(components.sleep_impl());
                }
                builder.set_proxy_config(Some(proxy.clone()));
                builder.build()
            },
        ),
    )
}

/// A client without TLS (see `http_client`).
fn plain_http_client(proxy: ProxyConfig) -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder = aws_smithy_http_client::Connector::builder();
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(proxy.clone()));
        builder.build_http()
    })
}

/// The TLS context trusting `AWS_CA_BUNDLE` alone, when it is set.
fn ca_bundle(environment: &Environment) -> Result<Option<TlsContext>, Error> {
    let Some(path) = environment
        .get("AWS_CA_BUNDLE")
        .filter(|p| !p.trim().is_empty())
    else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    let pem = std::fs::read(&path).map_err(|e| Error::CaBundle {
        path: path.clone(),
        message: format!("cannot read it: {e}"),
    })?;
    check_bundle(&pem).map_err(|message| Error::CaBundle {
        path: path.clone(),
        message,
    })?;
    TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(pem))
        .build()
        .map(Some)
        .map_err(|e| Error::CaBundle {
            path,
            message: e.to_string(),
        })
}

/// Hosts Go's `http.ProxyFromEnvironment` never sends through a proxy.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The proxy of `environment` with Go's rules (golang.org/x/net/http/httpproxy, what
/// ecspresso's SDK uses): `HTTPS_PROXY` for https endpoints and `HTTP_PROXY` for http ones
/// (upper case first, `HTTP_PROXY` ignored under CGI's `REQUEST_METHOD`), a URL without a
/// scheme taken as `http://`, `NO_PROXY` bypassed and loopback hosts never proxied. One client
/// serves every AWS service, so when both proxies are set and differ, the scheme of
/// `AWS_ENDPOINT_URL` (https when unset) picks one. `None` when no proxy is set.
pub(crate) fn proxy_config(environment: &Environment) -> Result<Option<ProxyConfig>, Error> {
    let read = |upper: &'static str, lower: &str| {
        environment
            .get(upper)
            .filter(|v| !v.is_empty())
            .or_else(|| environment.get(lower).filter(|v| !v.is_empty()))
            .map(|v| (upper, v.to_owned()))
    };
    let https = read("HTTPS_PROXY", "https_proxy");
    let http =
        read("HTTP_PROXY", "http_proxy").filter(|_| environment.get("REQUEST_METHOD").is_none());
    let plain_endpoint = environment
        .get("AWS_ENDPOINT_URL")
        .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("http://"));
    let build = |(name, value): (&'static str, String),
                 make: fn(
        String,
    )
        -> Result<ProxyConfig, aws_smithy_http_client::proxy::ProxyError>| {
        let url = if value.contains("://") {
            value.clone()
        } else {
            format!("http://{value}")
        };
        make(url).map_err(|e| Error::Proxy {
            name,
            value,
            message: e.to_string(),
        })
    };
    let config = match (https, http) {
        (None, None) => return Ok(None),
        (Some(https), Some(http)) if https.1 == http.1 => build(https, ProxyConfig::all)?,
        (Some(_), Some(http)) if plain_endpoint => build(http, ProxyConfig::http)?,
        (Some(https), _) => build(https, ProxyConfig::https)?,
        (None, Some(http)) => build(http, ProxyConfig::http)?,
    };
    let no_proxy = environment
        .get("NO_PROXY")
        .filter(|v| !v.is_empty())
        .or_else(|| environment.get("no_proxy"))
        .unwrap_or_default();
    Ok(Some(config.no_proxy(if no_proxy.is_empty() {
        LOOPBACK.to_owned()
    } else {
        format!("{no_proxy},{LOOPBACK}")
    })))
}

/// Whether every endpoint the SDK may call is plain HTTP: `AWS_ENDPOINT_URL` is `http://…`, no
/// `AWS_ENDPOINT_URL_<SERVICE>` names an `https://` one, and no proxy is `https://`.
fn plain_http_only(environment: &Environment) -> bool {
    let http = |value: &str| value.trim().to_ascii_lowercase().starts_with("http://");
    let https = |value: &str| value.trim().to_ascii_lowercase().starts_with("https://");
    environment.get("AWS_ENDPOINT_URL").is_some_and(http)
        && !environment.vars().any(|(key, value)| {
            (key.starts_with("AWS_ENDPOINT_URL_") && https(value))
                || (key.to_ascii_uppercase().ends_with("_PROXY") && https(value))
        })
}

/// What names the account and region of the clients: the budget's key (`budget`).
pub(crate) fn account_key(
    environment: &Environment,
    region: Option<&str>,
    assume_role_arn: Option<&str>,
) -> String {
    let var = |name: &str| environment.get(name).unwrap_or_default().to_owned();
    [
        region.map_or_else(|| var("AWS_REGION"), str::to_owned),
        var("AWS_DEFAULT_REGION"),
        var("AWS_PROFILE"),
        var("AWS_ACCESS_KEY_ID"),
        var("AWS_ENDPOINT_URL"),
        var("AWS_ENDPOINT_URL_ECS"),
        assume_role_arn.unwrap_or_default().to_owned(),
    ]
    .join("|")
}

/// Checks that `pem` holds at least one certificate rustls accepts as a root (the SDK's TLS
/// provider panics on one it cannot parse).
fn check_bundle(pem: &[u8]) -> Result<(), String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
    if certificates.is_empty() {
        return Err("holds no PEM certificate".to_owned());
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|e| format!("a certificate cannot be used as a root: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_attempts_is_read_and_checked() {
        let with = |v: &str| Environment::from_vars([("AWS_MAX_ATTEMPTS", v)]);
        assert_eq!(max_attempts(&Environment::default()).unwrap(), None);
        assert_eq!(max_attempts(&with("2")).unwrap(), Some(2));
        assert!(max_attempts(&with("0")).is_err());
        assert!(max_attempts(&with("many")).is_err());
    }

    #[test]
    fn a_bundle_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("ca.pem");
        std::fs::write(&bundle, "not a certificate\n").unwrap();
        let environment = Environment::from_vars([("AWS_CA_BUNDLE", bundle.display().to_string())]);
        let message = http_client(&environment).unwrap_err().to_string();
        assert!(
            message.contains("ca.pem") && message.contains("no PEM"),
            "{message}"
        );
        let missing = Environment::from_vars([("AWS_CA_BUNDLE", "/nonexistent/ca.pem")]);
        let message = http_client(&missing).unwrap_err().to_string();
        assert!(message.contains("cannot read"), "{message}");
        assert!(http_client(&Environment::default()).is_ok());
    }

    #[test]
    fn proxies_are_read_with_gos_rules() {
        assert!(proxy_config(&Environment::default()).unwrap().is_none());
        let https = Environment::from_vars([("https_proxy", "proxy.corp:3128")]);
        assert!(proxy_config(&https).unwrap().is_some());
        let cgi = Environment::from_vars([("HTTP_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]);
        assert!(
            proxy_config(&cgi).unwrap().is_none(),
            "HTTP_PROXY is ignored under CGI"
        );
        let bad = Environment::from_vars([("HTTPS_PROXY", "http://[::1")]);
        let message = proxy_config(&bad).unwrap_err().to_string();
        assert!(
            message.starts_with("HTTPS_PROXY `http://[::1`"),
            "{message}"
        );
        assert!(http_client(&https).is_ok());
    }
}
