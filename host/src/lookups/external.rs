//! ecspresso's `external` plugin: a template function backed by a command. In `mode: exec` (the
//! default) each call runs `command` with the call's arguments appended, and its stdout, parsed
//! as JSON (`parser: json`, the default) or taken as text (`parser: string`), is the result; a
//! non-zero exit, or running past `timeout`, is an error that shows the command's output. In
//! `mode: jsonrpc` one long-lived process answers JSON-RPC requests (see `external_rpc`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::render::{Function, FunctionRegistry};

/// The settings of one `external` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The function name.
    pub name: String,
    /// The command and its leading arguments.
    pub command: Vec<String>,
    /// How many arguments the function takes (all strings).
    pub num_args: usize,
    /// Parse stdout as JSON (else: text without the trailing newline).
    pub json: bool,
    /// Longest a call may run.
    pub timeout: Option<Duration>,
    /// `mode: jsonrpc`: one long-lived JSON-RPC process instead of a process per call.
    pub jsonrpc: bool,
    /// Variables set for the command (the env files' values; empty: inherit only).
    pub environment: Vec<(String, String)>,
}

impl External {
    /// Reads an entry's `config:`.
    pub fn from_config(config: &Value) -> Result<Self, String> {
        let name = config["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or("`config.name` (the function name) is required")?
            .to_owned();
        let command: Vec<String> = match &config["command"] {
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or("`config.command` must be a list of strings")
                })
                .collect::<Result<_, _>>()?,
            Value::String(single) => vec![single.clone()],
            _ => return Err("`config.command` (a list: program and arguments) is required".into()),
        };
        if command.is_empty() {
            return Err("`config.command` is empty".into());
        }
        let num_args = match &config["num_args"] {
            Value::Null => 0,
            value => value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or("`config.num_args` must be a number")?,
        };
        let json = match config["parser"].as_str() {
            None | Some("json") => true,
            Some("string") => false,
            Some(other) => return Err(format!("`config.parser` is json or string, not `{other}`")),
        };
        let jsonrpc = match &config["mode"] {
            Value::Null => false,
            Value::String(mode) if mode == "exec" || mode.is_empty() => false,
            Value::String(mode) if mode == "jsonrpc" => true,
            other => {
                return Err(format!(
                    "`config.mode` is exec (a process per call) or jsonrpc (one long-lived JSON-RPC process), not {other}"
                ));
            }
        };
        let timeout = match &config["timeout"] {
            Value::Null => None,
            Value::Number(n) => Some(Duration::from_secs_f64(n.as_f64().unwrap_or_default())),
            Value::String(text) => Some(
                crate::config::parse_duration(text)
                    .map_err(|e| format!("`config.timeout`: {e}"))?,
            ),
            _ => return Err("`config.timeout` is a duration (`5s`) or seconds".into()),
        };
        Ok(Self {
            name,
            command,
            num_args,
            json,
            timeout,
            jsonrpc,
            environment: Vec::new(),
        })
    }

    /// Runs the command with `environment` (the process environment with the env files
    /// applied), as ecspresso's exported env files reach its external commands.
    pub fn with_environment(mut self, environment: &crate::environment::Environment) -> Self {
        self.environment = environment
            .vars()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self
    }

    /// Runs the command with `args` appended and parses its stdout.
    pub fn call(&self, args: &[String]) -> Result<Value, String> {
        let mut child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .args(args)
            .envs(self.environment.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.command[0]))?;
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let out_reader = std::thread::spawn(move || read_all(stdout.as_mut()));
        let err_reader = std::thread::spawn(move || read_all(stderr.as_mut()));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => return Err(format!("waiting for `{}`: {e}", self.command[0])),
            }
            if self.timeout.is_some_and(|t| started.elapsed() > t) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{}` did not finish within {} (config.timeout)",
                    self.command.join(" "),
                    crate::config::format_duration(self.timeout.unwrap_or_default())
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        if !status.success() {
            return Err(format!(
                "`{}` exited with {status}: stdout: {:?}, stderr: {:?}",
                self.command.join(" "),
                stdout.trim(),
                stderr.trim()
            ));
        }
        if self.json {
            serde_json::from_str(&stdout).map_err(|e| {
                format!(
                    "`{}` printed no JSON ({e}): {:?} (set `parser: string` for text)",
                    self.command.join(" "),
                    stdout.trim()
                )
            })
        } else {
            Ok(Value::String(
                stdout.trim_end_matches(['\n', '\r']).to_owned(),
            ))
        }
    }

    /// Registers the function under `prefix`.
    pub fn register(
        self,
        registry: &mut FunctionRegistry,
        prefix: &str,
    ) -> Result<(), crate::render::Error> {
        let params: Vec<String> = (0..self.num_args).map(|i| format!("arg{i}")).collect();
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        let name = self.name.clone();
        let session = self.jsonrpc.then(|| {
            super::external_rpc::RpcSession::new(
                self.name.clone(),
                self.command.clone(),
                self.environment.clone(),
                self.timeout,
            )
        });
        let function = Function::new(name, &params, move |args| {
            let args = args
                .iter()
                .map(|a| match a {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    Value::Bool(b) => Ok(b.to_string()),
                    other => Err(format!("arguments must be strings, got {other}")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            match &session {
                Some(session) => session.call(&args),
                None => self.call(&args),
            }
        })
        .with_required(params.len())
        .with_origin("plugin `external`");
        registry.register(prefix, function)
    }
}

fn read_all(stream: Option<&mut impl Read>) -> String {
    let mut text = String::new();
    if let Some(stream) = stream {
        let _ = stream.read_to_string(&mut text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn external(config: Value) -> External {
        External::from_config(&config).unwrap()
    }

    #[test]
    fn runs_the_command_with_the_arguments_and_parses_stdout() {
        let echo = external(
            json!({"name": "f", "command": ["sh", "-c", "printf '{\"a\": \"%s\"}' \"$1\"", "--"], "num_args": 1}),
        );
        assert_eq!(echo.call(&["x".to_owned()]), Ok(json!({"a": "x"})));
        let text = external(json!({"name": "g", "command": ["echo", "hello"], "parser": "string"}));
        assert_eq!(text.call(&[]), Ok(json!("hello")));
    }

    #[test]
    fn the_command_sees_the_env_file_variables() {
        let environment = crate::environment::Environment::from_vars([(
            "RISTRETTO_TEST_EXTERNAL",
            "from-envfile",
        )]);
        let command = json!({"name": "f", "command": ["sh", "-c", "printf %s \"$RISTRETTO_TEST_EXTERNAL\""], "parser": "string"});
        let with = external(command.clone()).with_environment(&environment);
        assert_eq!(with.call(&[]), Ok(json!("from-envfile")));
        assert_eq!(external(command).call(&[]), Ok(json!("")));
    }

    #[test]
    fn failures_show_the_output_and_timeouts_kill() {
        let failing =
            external(json!({"name": "f", "command": ["sh", "-c", "echo oops >&2; exit 3"]}));
        let err = failing.call(&[]).unwrap_err();
        assert!(
            err.contains("exit status: 3") && err.contains("oops"),
            "{err}"
        );
        let slow = external(json!({"name": "f", "command": ["sleep", "5"], "timeout": "100ms"}));
        let started = Instant::now();
        let err = slow.call(&[]).unwrap_err();
        assert!(err.contains("did not finish within"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(4));
        let not_json = external(json!({"name": "f", "command": ["echo", "plain"]}));
        assert!(not_json.call(&[]).unwrap_err().contains("parser: string"));
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        for (config, needle) in [
            (json!({"command": ["x"]}), "config.name"),
            (json!({"name": "f"}), "config.command"),
            (json!({"name": "f", "command": []}), "is empty"),
            (
                json!({"name": "f", "command": ["x"], "parser": "yaml"}),
                "json or string",
            ),
            (
                json!({"name": "f", "command": ["x"], "mode": "grpc"}),
                "`config.mode` is exec (a process per call) or jsonrpc",
            ),
            (
                json!({"name": "f", "command": ["x"], "timeout": "soon"}),
                "config.timeout",
            ),
        ] {
            let err = External::from_config(&config).unwrap_err();
            assert!(err.contains(needle), "{config}: {err}");
        }
    }
}
