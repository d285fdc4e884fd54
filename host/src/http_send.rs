//! Sends one HTTP request over a connection to addresses the caller resolved (and, for plugins,
//! checked against their `allow.http` policy), so the name is resolved once: a DNS answer that
//! changes between the check and the connection (rebinding) cannot redirect the request to an
//! address the policy refused. TLS still verifies the certificate for the request's host name (webpki
//! roots). Adapted from wasmtime-wasi-http's `default_send_request` (Apache-2.0 WITH
//! LLVM-exception), with the connect step taking the checked addresses and the timeouts kept.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// What the connection task resolves to once the response has been read (or failed).
pub type Connection = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// A connected stream, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// Sends `request` over a connection to one of `addresses` (tried in order). `host` is the
/// request's host name, for TLS, checked against the web PKI roots. Timeouts default to 600 s
/// like wasmtime's own client.
pub async fn send_to(
    request: Request<WasiBody>,
    host: &str,
    addresses: &[SocketAddr],
    options: RequestOptions,
) -> Result<(Response<WasiBody>, Connection), Error> {
    send_with_roots(request, host, addresses, options, web_pki_roots()).await
}

/// The web PKI roots (Mozilla's, compiled in).
pub fn web_pki_roots() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    }
}

/// `send_to` with the TLS server certificate checked against `roots`.
pub async fn send_with_roots(
    mut request: Request<WasiBody>,
    host: &str,
    addresses: &[SocketAddr],
    options: RequestOptions,
    roots: rustls::RootCertStore,
) -> Result<(Response<WasiBody>, Connection), Error> {
    let default = Duration::from_secs(600);
    let connect_timeout = options.connect_timeout.unwrap_or(default);
    let first_byte_timeout = options.first_byte_timeout.unwrap_or(default);
    let between_bytes_timeout = options
        .between_bytes_timeout
        .unwrap_or(default)
        .max(Duration::from_nanos(1));
    let use_tls = request.uri().scheme() == Some(&http::uri::Scheme::HTTPS);

    let tcp = match tokio::time::timeout(connect_timeout, TcpStream::connect(addresses)).await {
        Ok(stream) => stream.map_err(Error::Connect)?,
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    let stream: Box<dyn Stream> = if use_tls {
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = server_name(host)?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tls = tokio::time::timeout(connect_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| Error::ConnectionTimeout)?
            .map_err(Error::Tls)?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;

    // Without a proxy the request line carries only the path and query.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;

    let send = async move {
        let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
            .await
            .map_err(|_| Error::ConnectionReadTimeout)?
            .map_err(Error::from)?;
        let mut timeout = tokio::time::interval(between_bytes_timeout);
        timeout.reset();
        Ok::<_, Error>(response.map(|incoming| TimedBody { incoming, timeout }.boxed_unsync()))
    };
    let mut send = std::pin::pin!(send);
    let mut connection = Some(connection);
    // Drive the connection while waiting for the response head.
    let response = std::future::poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(result),
        Poll::Pending => {
            let Some(driver) = connection.as_mut() else {
                return Poll::Pending;
            };
            let finished = std::task::ready!(Pin::new(driver).poll(cx));
            connection = None;
            match finished {
                Ok(()) => send.as_mut().poll(cx),
                Err(err) => Poll::Ready(Err(Error::from(err))),
            }
        }
    })
    .await?;
    let rest: Connection = Box::new(async move {
        let Some(driver) = connection else {
            return Ok(());
        };
        driver.await.map_err(|err| {
            if err.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                Error::from(err)
            }
        })
    });
    Ok((response, rest))
}

/// The TLS server name of `host` (a name, or an IP literal with or without brackets).
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, Error> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(rustls::pki_types::ServerName::from(ip));
    }
    rustls::pki_types::ServerName::try_from(bare.to_owned()).map_err(Error::from)
}

/// A response body that fails when no data arrives for the between-bytes timeout.
struct TimedBody {
    incoming: hyper::body::Incoming,
    timeout: tokio::time::Interval,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(if err.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                Error::from(err)
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                self.timeout.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                std::task::ready!(self.timeout.poll_tick(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot HTTP server on loopback answering `ok`; returns its address and what it read.
    fn one_shot_server() -> (SocketAddr, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buffer = [0u8; 4096];
            let n = stream.read(&mut buffer).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .unwrap();
            String::from_utf8_lossy(&buffer[..n]).into_owned()
        });
        (address, thread)
    }

    fn empty_request(uri: &str) -> Request<WasiBody> {
        Request::get(uri)
            .header("host", "rebind.invalid")
            .body(
                http_body_util::Empty::<Bytes>::new()
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    #[tokio::test]
    async fn connects_to_the_checked_addresses_without_resolving_again() {
        let (address, server) = one_shot_server();
        // `.invalid` never resolves: reaching the server proves no second lookup happened.
        let uri = format!("http://rebind.invalid:{}/health?x=1", address.port());
        let (response, connection) = send_to(
            empty_request(&uri),
            "rebind.invalid",
            &[address],
            RequestOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ok");
        Pin::from(connection).await.unwrap();
        let request = server.join().unwrap();
        assert!(
            request.starts_with("GET /health?x=1 HTTP/1.1\r\n"),
            "{request}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = unused.local_addr().unwrap();
        drop(unused);
        let uri = format!("http://127.0.0.1:{}/", address.port());
        let result = send_to(
            empty_request(&uri),
            "127.0.0.1",
            &[address],
            RequestOptions::default(),
        )
        .await;
        assert!(
            matches!(result, Err(Error::Connect(_))),
            "{:?}",
            result.err()
        );
    }

    #[test]
    fn server_names_for_names_and_ip_literals() {
        assert!(server_name("hooks.slack.com").is_ok());
        assert!(server_name("[::1]").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("bad name").is_err());
    }
}
