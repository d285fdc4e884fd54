//! Local servers a test starts and stops: the fault-injecting proxy in front of the emulator
//! and a small HTTP server that records what plugins post and serves what a test needs.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{control, emulator, free_port, repo_root};

/// A fault-injecting proxy (tests/emulator/fault-proxy) in front of the emulator, for one
/// test; stopped on drop.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    child: Child,
}

impl FaultProxy {
    /// Starts a proxy forwarding to the shared emulator.
    pub fn start() -> Self {
        Self::start_with("", "http")
    }

    /// Starts a proxy that speaks HTTPS with a certificate for 127.0.0.1 signed by a throwaway
    /// CA written to `dir/ca.pem` (tests/emulator/test-cert), which nothing trusts by default.
    pub fn start_tls(dir: &std::path::Path) -> Self {
        let made = Command::new(repo_root().join("tests/emulator/test-cert"))
            .arg(dir)
            .output()
            .expect("run tests/emulator/test-cert");
        assert!(
            made.status.success(),
            "test-cert failed: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let tls = format!(
            " --tls \"{}\" \"{}\"",
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        );
        Self::start_with(&tls, "https")
    }

    fn start_with(extra: &str, scheme: &str) -> Self {
        let upstream = emulator()
            .endpoint
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let port = free_port().expect("free port");
        let proxy = repo_root().join("tests/emulator/fault-proxy");
        let script = format!(
            "\"{}\" {port} {upstream}{extra} & proxy=$!; cat >/dev/null; kill $proxy 2>/dev/null; wait $proxy 2>/dev/null",
            proxy.display()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fault proxy");
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "fault proxy did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            endpoint: format!("{scheme}://127.0.0.1:{port}"),
            child,
        }
    }

    /// Adds a rule: `kind` is throttle, 5xx, reset or delay; `times` 0 means forever.
    pub fn add(&self, operation: &str, kind: &str, times: u32) {
        let (status, body) = control(
            &self.endpoint,
            "/_fault/add",
            &serde_json::json!({"match": operation, "kind": kind, "times": times}),
        );
        assert_eq!(status, 200, "fault rule rejected: {body}");
    }

    /// How many requests the rules matching `operation` have answered with a fault so far.
    pub fn hits(&self, operation: &str) -> usize {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to fault proxy");
        let request =
            format!("GET /_fault/rules HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        std::io::Write::write_all(&mut stream, request.as_bytes()).expect("send");
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response).expect("read");
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let rules: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        rules["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|rule| rule["match"].as_str() == Some(operation))
            .filter_map(|rule| rule["hits"].as_u64())
            .map(|hits| usize::try_from(hits).unwrap_or(usize::MAX))
            .sum()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let (status, body) = control(&self.endpoint, "/_fault/clear", &serde_json::json!({}));
        assert_eq!(status, 200, "{body}");
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Closing stdin makes the wrapper shell stop the proxy.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A tiny HTTP server on 127.0.0.1 that records JSON bodies POSTed to it (a webhook sink) and
/// the request lines it received, and answers what its handler says; stopped on drop.
pub struct HttpSink {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Bodies received, in order.
    pub received: std::sync::Arc<Mutex<Vec<serde_json::Value>>>,
    request_lines: std::sync::Arc<Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    address: SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// One answer of an `HttpSink`.
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers (content-length and connection are added).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpSink {
    /// Starts the sink; it answers 200 `ok`.
    pub fn start() -> Self {
        Self::start_with(vec![(200, "ok".to_owned())])
    }

    /// Starts the sink answering `responses` in order (the last one repeats).
    pub fn start_with(responses: Vec<(u16, String)>) -> Self {
        Self::serve(move |served, _request_line| {
            let (status, reply) = responses
                .get(served)
                .or(responses.last())
                .cloned()
                .unwrap_or((200, "ok".to_owned()));
            Reply {
                status,
                headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
                body: reply.into_bytes(),
            }
        })
    }

    /// Starts the sink answering each request with `handler(requests served before, request
    /// head)`; the head starts with the request line (`GET /path HTTP/1.1`), then the headers.
    pub fn serve(handler: impl Fn(usize, &str) -> Reply + Send + 'static) -> Self {
        use std::io::{Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
        let address = listener.local_addr().expect("sink address");
        let received = std::sync::Arc::new(Mutex::new(Vec::new()));
        let request_lines = std::sync::Arc::new(Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (log, lines, flag) = (received.clone(), request_lines.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut served = 0usize;
            for stream in listener.incoming() {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut data = Vec::new();
                let mut buffer = [0u8; 8192];
                let (request_head, body) = loop {
                    let Ok(n) = stream.read(&mut buffer) else {
                        break (String::new(), None);
                    };
                    if n == 0 {
                        break (String::new(), None);
                    }
                    data.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&data).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_owned(), Some(body[..length].to_owned()));
                        }
                    }
                };
                if let Ok(mut log) = log.lock() {
                    log.push(
                        body.and_then(|b| serde_json::from_str(&b).ok())
                            .unwrap_or(serde_json::Value::Null),
                    );
                }
                let line = request_head.lines().next().unwrap_or_default().to_owned();
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
                let reply = handler(served, &request_head);
                served += 1;
                let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
                for (name, value) in &reply.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str(&format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    reply.body.len()
                ));
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&reply.body);
            }
        });
        Self {
            url: format!("http://{address}"),
            received,
            request_lines,
            stop,
            address,
            thread: Some(thread),
        }
    }

    /// The bodies received so far.
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.received.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The request lines received so far (`GET /path HTTP/1.1`).
    pub fn request_lines(&self) -> Vec<String> {
        self.request_lines
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
