//! The outbound HTTP policy of one plugin (`wasi:http`): a request goes out only to a host in
//! `allow.http`; link-local addresses (169.254.0.0/16 and fe80::/10: instance metadata and the ECS
//! credentials endpoint) are always refused; loopback, private and unspecified addresses only
//! when the allow entry names them literally (an IP or `localhost`). A refusal is
//! `HttpRequestDenied`, which the plugin sees as an ordinary error. Request timeouts are bounded
//! by the hook's deadline, since epoch interruption does not count time spent in the host.
//! The name is resolved once: the request connects to the addresses that passed the check
//! (`crate::http_send`), so a DNS answer that changes in between (rebinding) cannot slip past it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// One `allow.http` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowRule {
    host: String,
    wildcard: bool,
    port: Option<u16>,
    literal: bool,
}

impl AllowRule {
    /// Parses `hooks.slack.com`, `*.example.com`, `127.0.0.1:8080`, `https://x.com`.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let rest = entry
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        if rest.is_empty() || rest.contains('/') {
            return Err(format!(
                "allow.http entry `{entry}` must be a host, optionally with a port"
            ));
        }
        let invalid_port = || format!("allow.http entry `{entry}` has an invalid port");
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            // An IPv6 literal, as in a URL: `[::1]` or `[::1]:8080`.
            let (address, after) = bracketed.split_once(']').ok_or_else(|| {
                format!("allow.http entry `{entry}`: an IPv6 address needs its closing `]`")
            })?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(invalid_port)?,
                ),
            };
            (address, port)
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => {
                    (host, Some(port.parse().map_err(|_| invalid_port())?))
                }
                _ => (rest, None),
            }
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let (host, wildcard) = match host.strip_prefix("*.") {
            Some(suffix) => (suffix.to_owned(), true),
            None => (host, false),
        };
        if host.is_empty() || host.contains('*') {
            return Err(format!(
                "allow.http entry `{entry}`: the only wildcard is a leading `*.` (`*.example.com`); a plugin is never allowed every host"
            ));
        }
        let literal = host == "localhost" || host.parse::<IpAddr>().is_ok();
        Ok(Self {
            host,
            wildcard,
            port,
            literal,
        })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        let host_ok = if self.wildcard {
            host.ends_with(&format!(".{}", self.host))
        } else {
            host == self.host
        };
        host_ok && self.port.is_none_or(|p| p == port)
    }
}

/// The first `http://` or `https://` URL among the strings of `config` (a plugin's settings)
/// whose host and port no rule of `rules` covers.
pub fn first_uncovered_url(config: &serde_json::Value, rules: &[AllowRule]) -> Option<String> {
    match config {
        serde_json::Value::String(text) => {
            let uri: http::Uri = text.parse().ok()?;
            let scheme = uri.scheme_str()?;
            if scheme != "http" && scheme != "https" {
                return None;
            }
            let host = uri
                .host()?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase();
            let port = uri
                .port_u16()
                .unwrap_or(if scheme == "http" { 80 } else { 443 });
            (!rules.iter().any(|r| r.matches(&host, port))).then(|| text.clone())
        }
        serde_json::Value::Array(items) => items
            .iter()
            .find_map(|item| first_uncovered_url(item, rules)),
        serde_json::Value::Object(map) => map
            .values()
            .find_map(|value| first_uncovered_url(value, rules)),
        _ => None,
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The host is not in `allow.http`.
    NotAllowed(String),
    /// The host resolves to a link-local address.
    LinkLocal(String),
    /// The host resolves to a loopback/private address and was not listed literally.
    Private(String),
    /// The host did not resolve.
    Unresolvable(String),
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAllowed(h) => write!(f, "HTTP request to {h} denied: not in allow.http"),
            Self::LinkLocal(h) => write!(
                f,
                "HTTP request to {h} denied: link-local addresses (instance metadata, ECS credentials) are never reachable"
            ),
            Self::Private(h) => write!(
                f,
                "HTTP request to {h} denied: loopback/private address; list it literally in allow.http to reach it"
            ),
            Self::Unresolvable(h) => {
                write!(f, "HTTP request to {h} denied: the name does not resolve")
            }
        }
    }
}

/// Decides whether `host:port` may be reached, resolving the name; returns the addresses that
/// passed, which are the only ones the request may connect to.
pub async fn check(rules: &[AllowRule], host: &str, port: u16) -> Result<Vec<IpAddr>, Denial> {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let label = format!("{host}:{port}");
    let Some(rule) = rules.iter().find(|r| r.matches(&host, port)) else {
        return Err(Denial::NotAllowed(label));
    };
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| Denial::Unresolvable(label.clone()))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Denial::Unresolvable(label));
    }
    for ip in &addresses {
        if is_link_local(*ip) {
            return Err(Denial::LinkLocal(label));
        }
        if is_internal(*ip) && !rule.literal {
            return Err(Denial::Private(label));
        }
    }
    Ok(addresses)
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// The `WasiHttpHooks` of one plugin call.
pub struct HttpPolicy {
    /// Parsed `allow.http`.
    pub rules: Arc<Vec<AllowRule>>,
    /// When the plugin call ends: connect and response timeouts never reach past it.
    pub deadline: Instant,
    /// Called with each refusal (to log it in the plugin's name).
    pub on_denied: Arc<dyn Fn(&Denial) + Send + Sync>,
    /// Called with each request sent and how it ended (`POST https://… → 200`).
    pub on_sent: Arc<dyn Fn(String) + Send + Sync>,
}

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        drop(fut);
        let rules = self.rules.clone();
        let on_denied = self.on_denied.clone();
        let on_sent = self.on_sent.clone();
        let limit = self.deadline.saturating_duration_since(Instant::now());
        Box::new(async move {
            let uri = request.uri();
            let line = format!("{} {uri}", request.method());
            let host = uri.host().unwrap_or_default().to_owned();
            let port = uri
                .port_u16()
                .unwrap_or(if uri.scheme_str() == Some("http") {
                    80
                } else {
                    443
                });
            let addresses: Vec<SocketAddr> = match check(&rules, &host, port).await {
                Ok(ips) => ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect(),
                Err(denial) => {
                    on_denied(&denial);
                    on_sent(format!("{line} → denied by allow.http"));
                    return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
                }
            };
            let bound = |d: Option<Duration>| Some(d.map_or(limit, |d| d.min(limit)));
            let options = options.unwrap_or_default();
            let options = RequestOptions {
                connect_timeout: bound(options.connect_timeout),
                first_byte_timeout: bound(options.first_byte_timeout),
                between_bytes_timeout: bound(options.between_bytes_timeout),
            };
            let answer = crate::http_send::send_to(request, &host, &addresses, options).await;
            on_sent(match &answer {
                Ok((response, _)) => format!("{line} → {}", response.status().as_u16()),
                Err(err) => format!("{line} → failed: {err}"),
            });
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(entries: &[&str]) -> Vec<AllowRule> {
        entries
            .iter()
            .map(|e| AllowRule::parse(e).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn allow_list_and_address_classes() {
        let rules = rules(&[
            "hooks.slack.com",
            "*.example.com:8443",
            "127.0.0.1:9000",
            "169.254.169.254",
            "localhost",
        ]);
        assert!(matches!(
            check(&rules, "evil.com", 443).await,
            Err(Denial::NotAllowed(_))
        ));
        assert!(
            matches!(
                check(&rules, "a.example.com", 443).await,
                Err(Denial::NotAllowed(_))
            ),
            "port must match"
        );
        assert!(
            check(&rules, "127.0.0.1", 9000).await.is_ok(),
            "literal loopback is allowed"
        );
        assert!(matches!(
            check(&rules, "127.0.0.1", 9001).await,
            Err(Denial::NotAllowed(_))
        ));
        assert!(
            matches!(
                check(&rules, "169.254.169.254", 80).await,
                Err(Denial::LinkLocal(_))
            ),
            "never link-local"
        );
        assert!(check(&rules, "localhost", 80).await.is_ok());
    }

    #[test]
    fn parses_entries() {
        assert!(AllowRule::parse("https://hooks.slack.com/").is_ok());
        assert!(AllowRule::parse("a.com/path").is_err());
        assert!(AllowRule::parse("a.com:notaport").is_err());
        assert!(AllowRule::parse("").is_err());
        assert!(AllowRule::parse("*").is_err(), "never every host");
        assert!(AllowRule::parse("api.*.com").is_err());
        assert!(AllowRule::parse("*.example.com").is_ok());
        for ipv6 in ["[::1]", "[::1]:8080", "::1", "http://[::1]:8080/"] {
            let rule = AllowRule::parse(ipv6).unwrap_or_else(|e| panic!("{ipv6}: {e}"));
            assert!(rule.literal && rule.matches("::1", 8080), "{ipv6}");
        }
        assert!(!AllowRule::parse("[::1]:8080").unwrap().matches("::1", 80));
        assert!(AllowRule::parse("[::1").is_err());
        let rules = vec![AllowRule::parse("health.internal:8080").unwrap()];
        let covered = serde_json::json!({"urls": ["http://health.internal:8080/ok"], "n": 3});
        assert_eq!(first_uncovered_url(&covered, &rules), None);
        let other = serde_json::json!({"urls": ["http://health.internal:8080/ok", "https://elsewhere.example/x"]});
        assert_eq!(
            first_uncovered_url(&other, &rules).as_deref(),
            Some("https://elsewhere.example/x")
        );
        let wrong_port = serde_json::json!({"url": "http://health.internal/ok"});
        assert!(first_uncovered_url(&wrong_port, &rules).is_some());
        assert_eq!(
            first_uncovered_url(&serde_json::json!({"note": "see docs"}), &rules),
            None
        );
        assert!(AllowRule::parse("[::1]x").is_err());
        assert!(
            is_internal("10.1.2.3".parse().unwrap()) && is_internal("192.168.0.1".parse().unwrap())
        );
        assert!(
            is_link_local("169.254.170.2".parse().unwrap())
                && is_link_local("fe80::1".parse().unwrap())
        );
        assert!(!is_internal("8.8.8.8".parse().unwrap()));
    }
}
