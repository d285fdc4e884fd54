//! Outbound HTTP for plugins, over `wasi:http` (the `wasip2` crate). ristretto lets a request out
//! only to hosts in the plugin's `allow.http`; a refused request returns an error here.

use serde_json::Value;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("response is not JSON: {e}"))
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, String> {
    send("GET", url, &[], &[])
}

/// `POST url` with a JSON body.
pub fn post_json(url: &str, body: &Value) -> Result<Response, String> {
    send(
        "POST",
        url,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// Sends a request. `url` is `http(s)://host[:port]/path?query`.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, String> {
    let (scheme, authority, path) = split_url(url)?;
    let mut fields: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_ascii_lowercase(), v.as_bytes().to_vec()))
        .collect();
    // A known length lets servers that do not read chunked bodies see the payload.
    if !body.is_empty() && !fields.iter().any(|(k, _)| k == "content-length") {
        fields.push((
            "content-length".to_owned(),
            body.len().to_string().into_bytes(),
        ));
    }
    let fields = Fields::from_list(&fields).map_err(|e| format!("invalid header: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let method = match method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_owned()),
    };
    let failed = |what: &str| format!("cannot build the request: invalid {what}");
    request.set_method(&method).map_err(|()| failed("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| failed("scheme"))?;
    request
        .set_authority(Some(&authority))
        .map_err(|()| failed("host"))?;
    request
        .set_path_with_query(Some(&path))
        .map_err(|()| failed("path"))?;
    let outgoing = request
        .body()
        .map_err(|()| "cannot open the request body".to_owned())?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| "cannot write the request body".to_owned())?;
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("cannot write the request body: {e:?}"))?;
        }
    }
    let describe = |code| describe(code, url);
    let future = outgoing_handler::handle(request, None).map_err(describe)?;
    OutgoingBody::finish(outgoing, None).map_err(describe)?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(describe(code)),
        Some(Err(())) | None => return Err("the response was not available".to_owned()),
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| "cannot read the response body".to_owned())?;
    let mut bytes = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| "cannot read the response body".to_owned())?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(wasip2::io::streams::StreamError::Closed) => break,
                Err(e) => return Err(format!("cannot read the response body: {e:?}")),
            }
        }
    }
    Ok(Response {
        status,
        headers,
        body: bytes,
    })
}

/// The error in words, naming the request (`{code:?}` read "ErrorCode::ConnectionReadTimeout").
fn describe(code: ErrorCode, url: &str) -> String {
    match code {
        ErrorCode::HttpRequestDenied => {
            "request denied by ristretto: the host is not in this plugin's allow.http, or it is an address plugins never reach (ristretto's warning says which)".to_owned()
        }
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => format!(
            "HTTP request to {url} timed out (ristretto ends a plugin's requests with its call, at limits.timeout)"
        ),
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) => {
            format!("HTTP request to {url} failed: the host name could not be resolved")
        }
        ErrorCode::ConnectionRefused => {
            format!("HTTP request to {url} failed: the connection was refused")
        }
        ErrorCode::ConnectionTerminated => {
            format!("HTTP request to {url} failed: the connection was closed before an answer")
        }
        other => format!("HTTP request to {url} failed: {other:?}"),
    }
}

/// `https://host:port/path?q` → (scheme, `host:port`, `/path?q`).
fn split_url(url: &str) -> Result<(Scheme, String, String), String> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return Err(format!("`{url}` is not an http:// or https:// URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(index) => (&rest[..index], &rest[index..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok((scheme, authority.to_owned(), path.to_owned()))
}
