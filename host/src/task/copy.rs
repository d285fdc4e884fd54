//! `exec cp`, as ecspresso v2.8 (through ecsta's `cp`): what to copy where, read from the
//! command line, and the command that boots the transfer agent in the container. The transfer
//! itself (the ECS Exec session, the port forwarding and the bytes) is `task::transfer`.
//!
//! The agent (`host/agent/cp_agent.rs`) travels base64-encoded inside the ExecuteCommand
//! command, as ecsta's does, so the container needs only `sh`, `base64` and `chmod`. An upload
//! is written next to its destination and moved into place by the agent only when every byte
//! arrived, so a broken or interrupted transfer leaves the old file as it was.

use std::path::{Path, PathBuf};

use base64::Engine;

use crate::deploy::Error;

/// The agent for x86_64 tasks, built by build.rs.
const AGENT_X86_64: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cp-agent-x86_64"));
/// The agent for arm64 tasks, built by build.rs.
const AGENT_AARCH64: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cp-agent-aarch64"));

/// The prefix of every line the agent and the boot command report.
pub const AGENT_PREFIX: &str = "ristretto-cp-agent: ";

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From here into the container.
    Upload,
    /// From the container to here.
    Download,
}

/// The local side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// A file (for a download, the file to write).
    File(PathBuf),
    /// `-`: stdin for an upload, stdout for a download.
    Stdio,
}

/// A copy between this machine and a container, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySpec {
    /// Which way.
    pub direction: Direction,
    /// The task named on the remote side (`TASK_ID:PATH`); `None` for `_:PATH`, the task given
    /// by `--id` or picked.
    pub task: Option<String>,
    /// The path in the container.
    pub remote: String,
    /// The local side.
    pub local: Local,
}

impl CopySpec {
    /// Reads `exec cp SRC DEST`: exactly one side is in the task, written `TASK_ID:PATH` or
    /// `_:PATH`. A destination ending in `/` (or, locally, an existing directory) gets the
    /// source's file name, as `cp` does.
    pub fn parse(source: &str, destination: &str) -> Result<Self, Error> {
        let (task, remote, local, direction) = match (remote_side(source), remote_side(destination))
        {
            (None, None) => {
                return Err(Error::Invalid(format!(
                    "exec cp {source} {destination}: one side must be in the task, written TASK_ID:PATH (or _:PATH for the task of --id, or the one picked)"
                )));
            }
            (Some(_), Some(_)) => {
                return Err(Error::Invalid(format!(
                    "exec cp {source} {destination}: both sides are in a task; one side must be local"
                )));
            }
            (None, Some((task, remote))) => {
                let remote = into_directory(remote, file_name(source));
                (task, remote, source, Direction::Upload)
            }
            (Some((task, remote)), None) => {
                (task, remote.to_owned(), destination, Direction::Download)
            }
        };
        check_remote(&remote)?;
        let local = if local == "-" {
            Local::Stdio
        } else {
            let path = PathBuf::from(local);
            match direction {
                Direction::Download if local.ends_with('/') || path.is_dir() => {
                    Local::File(path.join(file_name(&remote)))
                }
                _ => Local::File(path),
            }
        };
        if direction == Direction::Upload
            && let Local::File(path) = &local
            && !path.is_file()
        {
            return Err(Error::Invalid(format!(
                "exec cp: {} is not a file here",
                path.display()
            )));
        }
        Ok(Self {
            direction,
            task: task.map(str::to_owned),
            remote,
            local,
        })
    }
}

/// `TASK:PATH` split in two, when `text` is one (`_` or a task id before the first `:`). A
/// local path with a colon in it (`./dump:1.sql`) stays local.
fn remote_side(text: &str) -> Option<(Option<&str>, &str)> {
    let (task, path) = text.split_once(':')?;
    let is_task_id = !task.is_empty()
        && task
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !is_task_id {
        return None;
    }
    Some(((task != "_").then_some(task), path))
}

/// `remote` with `name` appended when it names a directory (ends with `/`).
fn into_directory(remote: &str, name: &str) -> String {
    if remote.ends_with('/') {
        format!("{remote}{name}")
    } else {
        remote.to_owned()
    }
}

/// The last component of a path as written (`-` for stdio stays `-`).
fn file_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .unwrap_or(path)
}

/// The remote path must be one the boot command can quote: not empty, no single quote (the
/// command is one single-quoted `sh -c` argument) and no line break.
fn check_remote(remote: &str) -> Result<(), Error> {
    if remote.is_empty() {
        return Err(Error::Invalid(
            "exec cp: the path in the task is empty (TASK_ID:PATH)".to_owned(),
        ));
    }
    if remote.contains(['\'', '\n', '\r', '\0']) {
        return Err(Error::Invalid(format!(
            "exec cp: the path in the task `{remote}` has a quote or a line break, which the command that starts the agent cannot carry"
        )));
    }
    Ok(())
}

/// The agent executable for a task's CPU architecture (ECS's `ecs.cpu-architecture` attribute,
/// `x86_64` or `arm64`; a task definition's `X86_64`/`ARM64` is accepted too).
pub fn agent_for(architecture: &str) -> Option<&'static [u8]> {
    match architecture.to_ascii_lowercase().as_str() {
        "x86_64" | "amd64" => Some(AGENT_X86_64),
        "arm64" | "aarch64" => Some(AGENT_AARCH64),
        _ => None,
    }
}

/// What the agent is to do, besides the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentTask<'a> {
    /// Which way.
    pub direction: Direction,
    /// The path in the container.
    pub remote: &'a str,
    /// An upload's local file name (used when `remote` is a directory).
    pub local_name: &'a str,
    /// An upload's size, when known: the agent fails (and removes what it received) when the
    /// connection ends after another number of bytes.
    pub size: Option<u64>,
}

/// The ExecuteCommand command that writes `agent` to a temporary file in the container and
/// runs it on `port` (the agent removes its executable as it starts; the shell's trap covers a
/// failure before that). An upload goes to a file beside the destination (inside it, named
/// after the local file, when the destination is a directory) that the agent moves into place
/// when it received everything, and removes otherwise; the last line, `done`, says all went
/// well. The command is one single-quoted `sh -c` argument with no single quote inside, as ECS
/// Exec passes it on.
pub fn boot_command(agent: &[u8], port: u16, task: AgentTask<'_>) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(agent);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    let remote = double_quoted(task.remote);
    let size = task
        .size
        .map(|n| n.to_string())
        .unwrap_or_else(|| "-".to_owned());
    let transfer = match task.direction {
        Direction::Upload => format!(
            "dest={remote}\n\
             if [ -d \"$dest\" ]; then dest=\"$dest\"/{name}; fi\n\
             \"$agent\" {port} recv {size} \"$dest.ristretto-cp.$$\" \"$dest\"\n",
            name = double_quoted(task.local_name),
        ),
        Direction::Download => format!("\"$agent\" {port} send < {remote}\n"),
    };
    format!(
        "sh -c 'set -e\n\
         agent=/tmp/ristretto-cp-agent.$$\n\
         trap \"rm -f \\\"\\$agent\\\"\" EXIT\n\
         base64 -d > \"$agent\" <<RISTRETTO_CP_AGENT\n{}\nRISTRETTO_CP_AGENT\n\
         chmod 700 \"$agent\"\n\
         {transfer}\
         echo \"{AGENT_PREFIX}done\" >&2\n'",
        lines.join("\n")
    )
}

/// `text` in POSIX double quotes (`\`, `"`, `$` and backquotes escaped).
fn double_quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// What the agent's output says, one line at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentReport {
    /// It listens for the connection.
    Listening,
    /// It wrote (an upload) or read (a download) this many bytes of the file.
    Count(u64),
    /// The transfer finished and, for an upload, the file is in place.
    Done,
    /// It failed.
    Failed(String),
}

/// The report in one line of the ECS Exec session's output, if it is one.
pub fn agent_report(line: &str) -> Option<AgentReport> {
    let text = line.trim_end_matches(['\r', '\n']);
    let (_, said) = text.split_once(AGENT_PREFIX)?;
    if said.starts_with("listening on port ") {
        return Some(AgentReport::Listening);
    }
    if said == "done" {
        return Some(AgentReport::Done);
    }
    if let Some(error) = said.strip_prefix("error: ") {
        return Some(AgentReport::Failed(error.to_owned()));
    }
    let count = said
        .strip_prefix("received ")
        .or_else(|| said.strip_prefix("sent "))?
        .strip_suffix(" bytes")?;
    count.parse().ok().map(AgentReport::Count)
}

/// Where a download is written until it is complete: a hidden file beside `destination`.
pub fn partial_dir(destination: &Path) -> PathBuf {
    match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_side_can_be_in_the_task() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("dump.sql");
        std::fs::write(&file, "x").expect("write");
        let local = file.display().to_string();
        let up = CopySpec::parse(&local, "_:/tmp/").expect("upload");
        assert_eq!(up.direction, Direction::Upload);
        assert_eq!(up.task, None);
        assert_eq!(up.remote, "/tmp/dump.sql");
        let down = CopySpec::parse(
            "0123abcd:/var/log/app.log",
            &format!("{}/", dir.path().display()),
        )
        .expect("download");
        assert_eq!(down.direction, Direction::Download);
        assert_eq!(down.task.as_deref(), Some("0123abcd"));
        assert_eq!(down.local, Local::File(dir.path().join("app.log")));
        let into_dir = CopySpec::parse("_:/etc/hosts", &dir.path().display().to_string())
            .expect("download into a directory");
        assert_eq!(into_dir.local, Local::File(dir.path().join("hosts")));
        assert_eq!(
            CopySpec::parse("_:/etc/hosts", "-")
                .expect("to stdout")
                .local,
            Local::Stdio
        );
    }

    #[test]
    fn a_copy_needs_exactly_one_side_in_a_task() {
        let both_local = CopySpec::parse("a", "b").expect_err("no task side");
        assert!(
            both_local.to_string().contains("TASK_ID:PATH"),
            "{both_local}"
        );
        let both_remote = CopySpec::parse("_:/a", "abc:/b").expect_err("two task sides");
        assert!(both_remote.to_string().contains("one side must be local"));
        assert!(
            CopySpec::parse("./dump:1.sql", "x").is_err(),
            "a colon in a local path does not make it remote"
        );
        let missing = CopySpec::parse("/nonexistent/file", "_:/tmp/x").expect_err("no file");
        assert!(
            missing.to_string().contains("is not a file here"),
            "{missing}"
        );
        let quoted = CopySpec::parse("_:/tmp/it's", "out").expect_err("quote");
        assert!(quoted.to_string().contains("quote"), "{quoted}");
        assert!(CopySpec::parse("_:", "out").is_err());
    }

    #[test]
    fn the_boot_command_quotes_the_remote_path_and_carries_the_agent() {
        let command = boot_command(
            b"\x7fELF agent",
            12345,
            AgentTask {
                direction: Direction::Download,
                remote: "/tmp/a \"$b\"`c`",
                local_name: "-",
                size: None,
            },
        );
        assert!(command.starts_with("sh -c 'set -e\n"), "{command}");
        assert!(command.ends_with("done\" >&2\n'"), "{command}");
        assert!(
            command.contains(r#""$agent" 12345 send < "/tmp/a \"\$b\"\`c\`""#),
            "{command}"
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"\x7fELF agent");
        assert!(command.contains(&format!("\n{encoded}\nRISTRETTO_CP_AGENT\n")));
        let upload = boot_command(
            b"x",
            9,
            AgentTask {
                direction: Direction::Upload,
                remote: "/srv/f",
                local_name: "f",
                size: Some(7),
            },
        );
        assert!(
            !upload
                .trim_start_matches("sh -c '")
                .trim_end_matches('\'')
                .contains('\'')
        );
        assert!(upload.contains("\"$agent\" 9 recv 7 \"$dest.ristretto-cp.$$\" \"$dest\"\n"));
    }

    #[test]
    fn the_boot_command_runs_in_a_posix_shell() {
        // The command is `sh -c '…'`: run it through sh as the ECS Exec agent would, with a
        // stand-in agent (a shell script) to see the quoting, the clean-up and `done`.
        let dir = tempfile::tempdir().expect("temp dir");
        let dest = dir.path().join("up $x.txt");
        let agent = b"#!/bin/sh\nrm -f \"$0\"\ncat > \"$4\"\nmv \"$4\" \"$5\"\necho 'ristretto-cp-agent: received 3 bytes' >&2\n";
        let command = boot_command(
            agent,
            1,
            AgentTask {
                direction: Direction::Upload,
                remote: &dir.path().display().to_string(),
                local_name: "up $x.txt",
                size: Some(3),
            },
        );
        let script = command
            .strip_prefix("sh -c '")
            .and_then(|rest| rest.strip_suffix('\''))
            .expect("one sh -c argument");
        let output = std::process::Command::new("sh")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().map(|mut i| i.write_all(b"abc"));
                child.wait_with_output()
            })
            .expect("sh");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert_eq!(
            std::fs::read_to_string(&dest).expect("moved into place"),
            "abc"
        );
        let reports: Vec<_> = stderr.lines().filter_map(agent_report).collect();
        assert_eq!(reports, vec![AgentReport::Count(3), AgentReport::Done]);
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(
            left.len(),
            1,
            "the partial file was moved, nothing else is left"
        );
    }

    #[test]
    fn agent_reports_are_read_from_session_output() {
        assert_eq!(
            agent_report("ristretto-cp-agent: listening on port 12345\r\n"),
            Some(AgentReport::Listening)
        );
        assert_eq!(
            agent_report("ristretto-cp-agent: received 300000 bytes"),
            Some(AgentReport::Count(300_000))
        );
        assert_eq!(
            agent_report("ristretto-cp-agent: error: bind failed, errno 98"),
            Some(AgentReport::Failed("bind failed, errno 98".to_owned()))
        );
        assert_eq!(agent_report("Starting session with SessionId: x"), None);
        assert!(agent_for("arm64").is_some() && agent_for("X86_64").is_some());
        assert_eq!(agent_for("s390x"), None);
    }
}
