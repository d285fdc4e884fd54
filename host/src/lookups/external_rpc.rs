//! The `external` plugin's `mode: jsonrpc` (ecspresso v3): one long-lived process per entry,
//! spoken to in newline-delimited JSON-RPC 2.0 over its stdin and stdout. Each call sends
//! `{"jsonrpc": "2.0", "method": NAME, "params": [strings], "id": N}` and waits for the
//! response with that id; calls are serialized. A timeout, an I/O error, a line that is not
//! JSON or a response with another id stops the process (the stream can no longer be trusted),
//! and the next call starts a new one. At the end of the run the process gets EOF on stdin,
//! then SIGTERM, then SIGKILL after 5 s. Its stderr is ristretto's.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A JSON-RPC server process started on the first call, kept for the run.
#[derive(Debug)]
pub struct RpcSession {
    method: String,
    command: Vec<String>,
    environment: Vec<(String, String)>,
    timeout: Option<Duration>,
    process: Mutex<Option<RpcProcess>>,
}

/// The running server: its stdin, its stdout lines (read by a thread) and the last id sent.
#[derive(Debug)]
struct RpcProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    last_id: i64,
}

impl RpcSession {
    /// A session calling `method` on `command` (started with `environment`), each call bounded
    /// by `timeout` when set.
    pub fn new(
        method: String,
        command: Vec<String>,
        environment: Vec<(String, String)>,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            method,
            command,
            environment,
            timeout,
            process: Mutex::new(None),
        }
    }

    /// Calls the method with `params`; returns the response's `result`.
    pub fn call(&self, params: &[String]) -> Result<Value, String> {
        let mut slot = self
            .process
            .lock()
            .map_err(|_| "a previous call to the jsonrpc process panicked".to_owned())?;
        if slot.is_none() {
            *slot = Some(self.start()?);
        }
        let Some(process) = slot.as_mut() else {
            return Err("the jsonrpc process is not running".to_owned());
        };
        match self.round_trip(process, params) {
            Ok(answer) => answer,
            Err(broken) => {
                // The stream can no longer be trusted: stop the process; the next call starts
                // a fresh one.
                *slot = None;
                Err(broken)
            }
        }
    }

    fn start(&self) -> Result<RpcProcess, String> {
        let mut child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .envs(self.environment.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", self.command.join(" ")))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let Some(stdout) = stdout else {
                return;
            };
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(RpcProcess {
            child,
            stdin,
            lines,
            last_id: 0,
        })
    }

    /// One request and its response. `Err` means the process must be stopped; `Ok(Err(..))` is
    /// an error the server answered (the process stays).
    fn round_trip(
        &self,
        process: &mut RpcProcess,
        params: &[String],
    ) -> Result<Result<Value, String>, String> {
        let command = self.command.join(" ");
        process.last_id += 1;
        let id = process.last_id;
        let request = json!({"jsonrpc": "2.0", "method": self.method, "params": params, "id": id});
        let sent = process
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("stdin is closed"))
            .and_then(|stdin| {
                writeln!(stdin, "{request}")?;
                stdin.flush()
            });
        if let Err(e) = sent {
            return Err(format!(
                "cannot send the jsonrpc request to `{command}`: {e}"
            ));
        }
        let started = Instant::now();
        loop {
            let line = match self.timeout {
                Some(limit) => process
                    .lines
                    .recv_timeout(limit.saturating_sub(started.elapsed())),
                None => process
                    .lines
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            let line = match line {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "`{command}` did not answer within {} (config.timeout); it was stopped and the next call starts it again",
                        crate::config::format_duration(self.timeout.unwrap_or_default())
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = process
                        .child
                        .wait()
                        .map_or_else(|e| e.to_string(), |s| s.to_string());
                    return Err(format!(
                        "`{command}` exited ({status}) without answering the jsonrpc request"
                    ));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            let response: Value = serde_json::from_str(&line).map_err(|e| {
                format!("`{command}` answered a line that is not JSON ({e}): {line:?}")
            })?;
            if response["id"].as_i64() != Some(id) {
                return Err(format!(
                    "`{command}` answered id {} to request id {id}",
                    response["id"]
                ));
            }
            if let Some(error) = response.get("error").filter(|e| !e.is_null()) {
                return Ok(Err(format!(
                    "jsonrpc error: {} (code: {})",
                    error["message"].as_str().unwrap_or_default(),
                    error["code"]
                )));
            }
            return Ok(Ok(response.get("result").cloned().unwrap_or(Value::Null)));
        }
    }
}

impl Drop for RpcProcess {
    fn drop(&mut self) {
        // EOF first: a well-behaved server exits on its own.
        drop(self.stdin.take());
        if wait_for_exit(&mut self.child, Duration::from_millis(200)) {
            return;
        }
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id().cast_signed()) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        if !wait_for_exit(&mut self.child, Duration::from_secs(5)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `child` exited within `limit`.
fn wait_for_exit(child: &mut Child, limit: Duration) -> bool {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if started.elapsed() >= limit => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON-RPC server in Python: answers `result` with the params, its pid and how many
    /// calls it has served; `fail` → an error; `garbage` → a line that is not JSON; `slow` →
    /// sleeps 2 s first.
    const SERVER: &str = r#"
import json, os, sys, time
served = 0
for line in sys.stdin:
    request = json.loads(line)
    served += 1
    params = request["params"]
    if params and params[0] == "fail":
        print(json.dumps({"jsonrpc": "2.0", "error": {"code": -32000, "message": "no such key"}, "id": request["id"]}), flush=True)
        continue
    if params and params[0] == "garbage":
        print("oops", flush=True)
        continue
    if params and params[0] == "slow":
        time.sleep(30)
    print(json.dumps({"jsonrpc": "2.0", "result": {"params": params, "pid": os.getpid(), "served": served}, "id": request["id"]}), flush=True)
"#;

    fn session(timeout: Option<Duration>) -> RpcSession {
        RpcSession::new(
            "lookup".to_owned(),
            vec!["python3".to_owned(), "-c".to_owned(), SERVER.to_owned()],
            Vec::new(),
            timeout,
        )
    }

    fn call(session: &RpcSession, params: &[&str]) -> Result<Value, String> {
        let params: Vec<String> = params.iter().map(|p| (*p).to_owned()).collect();
        session.call(&params)
    }

    #[test]
    fn one_process_answers_every_call_in_order() {
        let session = session(Some(Duration::from_secs(10)));
        let first = call(&session, &["a", "b"]).unwrap();
        let second = call(&session, &["c"]).unwrap();
        assert_eq!(first["params"], json!(["a", "b"]));
        assert_eq!(second["params"], json!(["c"]));
        assert_eq!(first["pid"], second["pid"], "the same process");
        assert_eq!(second["served"], json!(2));
    }

    #[test]
    fn an_error_answer_keeps_the_process_and_a_broken_stream_restarts_it() {
        let session = session(Some(Duration::from_secs(10)));
        let before = call(&session, &["x"]).unwrap();
        assert_eq!(
            call(&session, &["fail"]).unwrap_err(),
            "jsonrpc error: no such key (code: -32000)"
        );
        let same = call(&session, &["y"]).unwrap();
        assert_eq!(before["pid"], same["pid"]);
        let garbage = call(&session, &["garbage"]).unwrap_err();
        assert!(
            garbage.contains("answered a line that is not JSON"),
            "{garbage}"
        );
        let fresh = call(&session, &["z"]).unwrap();
        assert_ne!(
            before["pid"], fresh["pid"],
            "a new process after a broken stream"
        );
        assert_eq!(fresh["served"], json!(1));
    }

    #[test]
    fn a_call_past_the_timeout_fails_and_the_next_call_starts_over() {
        // Generous enough for Python to start on a loaded machine; the slow call sleeps 30 s.
        let session = session(Some(Duration::from_secs(5)));
        let before = call(&session, &["x"]).unwrap();
        let slow = call(&session, &["slow"]).unwrap_err();
        assert!(slow.contains("did not answer within"), "{slow}");
        let after = call(&session, &["y"]).unwrap();
        assert_ne!(before["pid"], after["pid"]);
    }

    #[test]
    fn a_command_that_cannot_start_or_exits_says_so() {
        let missing = RpcSession::new(
            "lookup".to_owned(),
            vec!["/nonexistent/server".to_owned()],
            Vec::new(),
            None,
        );
        assert!(
            call(&missing, &[])
                .unwrap_err()
                .starts_with("cannot start `/nonexistent/server`")
        );
        let quits = RpcSession::new(
            "lookup".to_owned(),
            vec!["sh".to_owned(), "-c".to_owned(), "exit 3".to_owned()],
            Vec::new(),
            None,
        );
        let error = call(&quits, &[]).unwrap_err();
        assert!(
            error.contains("exited (exit status: 3) without answering")
                || error.contains("cannot send the jsonrpc request"),
            "{error}"
        );
    }
}
