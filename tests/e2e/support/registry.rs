//! A real OCI registry for the plugin distribution tests: Debian's `docker-registry` (the CNCF
//! distribution server, installed by .ci/run) on 127.0.0.1 at a free port, storing in a temp
//! dir, optionally behind htpasswd basic auth; stopped on drop. Also a minimal HTTP/1.0 GET
//! to read what the registry holds without going through ristretto.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `docker-registry serve`.
pub struct Registry {
    /// `127.0.0.1:PORT`
    pub address: String,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry; with `users`, only they may read or write (htpasswd, bcrypt).
    pub fn start(users: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
            dir.path().join("data").display()
        );
        if !users.is_empty() {
            let htpasswd = dir.path().join("htpasswd");
            let mut lines = String::new();
            for (user, password) in users {
                let output = Command::new("htpasswd")
                    .args(["-Bbn", user, password])
                    .output()
                    .expect("htpasswd (apache2-utils; .ci/run installs it)");
                assert!(output.status.success(), "htpasswd failed");
                lines.push_str(String::from_utf8_lossy(&output.stdout).trim());
                lines.push('\n');
            }
            std::fs::write(&htpasswd, lines).expect("write htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: e2e\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (Debian package docker-registry; .ci/run installs it)");
        let registry = Self {
            address,
            child: Some(child),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(&registry.address, "/v2/", &[]).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// Stops the registry (the "registry down" cases).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One HTTP/1.0 GET to `address` (`HOST:PORT`): status, head and body.
pub fn get(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of head"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    Ok((status, head, response[split + 4..].to_vec()))
}
