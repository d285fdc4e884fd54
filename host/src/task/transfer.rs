//! The bytes of `exec cp`, as ecsta's `cp` moves them for ecspresso: an ECS Exec session runs
//! the agent in the container (`task::copy::boot_command`), an SSM port-forwarding session
//! reaches the port it listens on, and the file goes through that connection. Both sessions
//! are `session-manager-plugin` child processes, stopped with the copy however it ends.
//!
//! Unlike ecsta, the copy is checked: the agent reports how many bytes it wrote or read, and a
//! count that differs from this side's is an error. A download is written to a temporary file
//! beside its destination and renamed only when complete; an upload is moved into place in the
//! container only then (see `task::copy`).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::app::App;
use crate::deploy::Error;
use crate::task::copy::{self, AgentReport, CopySpec, Direction, Local};
use crate::task::exec::{self, Container, Forward, Session};

/// How long the agent may take to start listening (the session starts, the agent is decoded).
const AGENT_START: Duration = Duration::from_secs(120);
/// How long the port forwarding may take to accept a connection.
const FORWARD_START: Duration = Duration::from_secs(60);
/// How long the agent may take to report after the last byte.
const AGENT_FINISH: Duration = Duration::from_secs(60);

/// What a copy needs besides the copy itself.
#[derive(Debug, Clone, Copy)]
pub struct Transfer<'a> {
    /// `session-manager-plugin`.
    pub plugin: &'a Path,
    /// The region of the sessions.
    pub region: &'a str,
    /// The task's id or ARN.
    pub task: &'a str,
    /// The container the agent runs in.
    pub container: &'a Container,
    /// The agent executable for the task's CPU architecture.
    pub agent: &'a [u8],
    /// The port the agent listens on in the container.
    pub port: u16,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// Copies `spec` through `transfer`; the number of bytes copied, as both ends counted them.
pub async fn copy(app: &App<'_>, spec: &CopySpec, transfer: Transfer<'_>) -> Result<u64, Error> {
    let local_name = match &spec.local {
        Local::File(path) => path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned()),
        Local::Stdio => "stdin".to_owned(),
    };
    let size = match &spec.local {
        Local::File(path) if spec.direction == Direction::Upload => std::fs::metadata(path)
            .map(|m| Some(m.len()))
            .map_err(|err| Error::Copy(format!("{}: {err}", path.display())))?,
        _ => None,
    };
    let command = copy::boot_command(
        transfer.agent,
        transfer.port,
        copy::AgentTask {
            direction: spec.direction,
            remote: &spec.remote,
            local_name: &local_name,
            size,
        },
    );
    let session = exec::command_session(app, transfer.task, transfer.container, &command).await?;
    // The session gets the terminal as ecsta gives it, except when stdin is the file to send.
    let stdin = if spec.direction == Direction::Upload && spec.local == Local::Stdio {
        Stdio::null()
    } else {
        Stdio::inherit()
    };
    let mut agent = AgentSession::start(app, &transfer, &session, stdin)?;
    agent.until_listening(app).await?;

    let local_port = free_local_port()?;
    let forward = Forward {
        local_port,
        host: None,
        port: transfer.port,
    };
    let session = exec::forwarding_session(app, transfer.task, transfer.container, forward).await?;
    let mut forwarder = spawn_plugin(&transfer, &session, app, Stdio::null())?;
    let mut forwarder_output = Lines::read(&mut forwarder);
    let stream = connect(local_port, &mut forwarder, &mut forwarder_output).await?;

    let transferred = match spec.direction {
        Direction::Upload => upload(spec, stream, transfer.progress)
            .await
            .map(|sent| (sent, None)),
        Direction::Download => download(spec, stream, transfer.progress).await,
    };
    let (copied, pending) = match transferred {
        Ok(transferred) => transferred,
        Err(here) => {
            // The connection broke: end it on this side, then say what the agent saw.
            stop(&mut forwarder).await;
            return Err(match agent.until_done(app).await {
                Err(Error::Copy(there)) => {
                    Error::Copy(format!("{}; in the container: {there}", message(&here)))
                }
                _ => here,
            });
        }
    };
    // The forwarding is stopped only after the agent finished: bytes may still be in it.
    let counted = agent.until_done(app).await;
    stop(&mut forwarder).await;
    let counted = counted?;
    if counted != copied {
        let (did, kept) = match (spec.direction, size) {
            (Direction::Download, _) => ("received", "nothing was kept here".to_owned()),
            (Direction::Upload, Some(_)) => ("sent", "nothing was kept".to_owned()),
            // From stdin the agent knew no size to expect: it kept what arrived.
            (Direction::Upload, None) => {
                ("sent", format!("{} holds only what arrived", spec.remote))
            }
        };
        return Err(Error::Copy(format!(
            "{did} {copied} bytes but the agent in the container counted {counted}; {kept}"
        )));
    }
    if let Some(pending) = pending {
        pending.persist()?;
    }
    Ok(copied)
}

/// The text of a copy error, without the `exec cp: ` its display adds.
fn message(error: &Error) -> String {
    match error {
        Error::Copy(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The `session-manager-plugin` running the agent, and what it has said.
struct AgentSession {
    child: Child,
    lines: Lines,
}

impl AgentSession {
    fn start(
        app: &App<'_>,
        transfer: &Transfer<'_>,
        session: &Session,
        stdin: Stdio,
    ) -> Result<Self, Error> {
        let mut child = spawn_plugin(transfer, session, app, stdin)?;
        let lines = Lines::read(&mut child);
        Ok(Self { child, lines })
    }

    /// Waits until the agent listens; an error with its output when it stopped first.
    async fn until_listening(&mut self, app: &App<'_>) -> Result<(), Error> {
        let waited = tokio::time::timeout(AGENT_START, async {
            loop {
                match self.lines.next_report(app).await {
                    Some(AgentReport::Listening) => return Ok(()),
                    Some(AgentReport::Failed(error)) => return Err(self.failure(&error)),
                    Some(_) => {}
                    None => {
                        return Err(
                            self.failure("the ECS Exec session ended before the agent listened")
                        );
                    }
                }
            }
        })
        .await;
        match waited {
            Ok(result) => result,
            Err(_) => Err(self.failure(&format!(
                "the agent did not listen within {}s",
                AGENT_START.as_secs()
            ))),
        }
    }

    /// Waits for the agent's byte count and `done`; then for the session to end.
    async fn until_done(&mut self, app: &App<'_>) -> Result<u64, Error> {
        let waited = tokio::time::timeout(AGENT_FINISH, async {
            let mut count = None;
            loop {
                match self.lines.next_report(app).await {
                    Some(AgentReport::Count(n)) => count = Some(n),
                    Some(AgentReport::Done) => {
                        return count
                            .ok_or_else(|| self.failure("the agent reported no byte count"));
                    }
                    Some(AgentReport::Failed(error)) => return Err(self.failure(&error)),
                    Some(AgentReport::Listening) => {}
                    None => {
                        return Err(
                            self.failure("the ECS Exec session ended before the agent finished")
                        );
                    }
                }
            }
        })
        .await;
        let count = match waited {
            Ok(result) => result?,
            Err(_) => {
                return Err(self.failure(&format!(
                    "the agent did not finish within {}s of the last byte",
                    AGENT_FINISH.as_secs()
                )));
            }
        };
        if tokio::time::timeout(AGENT_FINISH, self.child.wait())
            .await
            .is_err()
        {
            stop(&mut self.child).await;
        }
        Ok(count)
    }

    /// An error naming `what` and the session's last lines of output.
    fn failure(&self, what: &str) -> Error {
        let tail = self.lines.tail();
        let hint = if tail.to_ascii_lowercase().contains("exec format error") {
            "\nthe agent was built for another CPU architecture than the container's: set runtimePlatform.cpuArchitecture (X86_64 or ARM64) in the task definition to the task's"
        } else {
            ""
        };
        if tail.is_empty() {
            Error::Copy(what.to_owned())
        } else {
            Error::Copy(format!("{what}; the ECS Exec session said:\n{tail}{hint}"))
        }
    }
}

/// The lines a `session-manager-plugin` writes (stdout and stderr), as they come.
struct Lines {
    receiver: mpsc::UnboundedReceiver<String>,
    last: std::collections::VecDeque<String>,
}

impl Lines {
    /// Reads `child`'s piped stdout and stderr in the background.
    fn read(child: &mut Child) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        if let Some(stdout) = child.stdout.take() {
            forward_lines(stdout, sender.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward_lines(stderr, sender);
        }
        Self {
            receiver,
            last: std::collections::VecDeque::new(),
        }
    }

    /// The next report of the agent, logging every line for `--debug`; `None` when the output
    /// ended.
    async fn next_report(&mut self, app: &App<'_>) -> Option<AgentReport> {
        loop {
            let line = self.receiver.recv().await?;
            app.emit(crate::events::Event::Debug(format!(
                "exec cp session: {line}"
            )));
            if let Some(report) = copy::agent_report(&line) {
                return Some(report);
            }
            if !line.trim().is_empty() {
                if self.last.len() == 8 {
                    self.last.pop_front();
                }
                self.last.push_back(line.trim_end().to_owned());
            }
        }
    }

    /// The last lines read that were not reports.
    fn tail(&self) -> String {
        self.last
            .iter()
            .map(|line| format!("  {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Drops the lines read so far, keeping the last few.
    fn drain(&mut self) {
        while let Ok(line) = self.receiver.try_recv() {
            if self.last.len() == 8 {
                self.last.pop_front();
            }
            self.last.push_back(line.trim_end().to_owned());
        }
    }
}

/// Sends each line of `output` to `sender` until it ends.
fn forward_lines(
    output: impl AsyncRead + Unpin + Send + 'static,
    sender: mpsc::UnboundedSender<String>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(output).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
}

/// Starts `session-manager-plugin` on `session`, its output piped, stopped when dropped.
fn spawn_plugin(
    transfer: &Transfer<'_>,
    session: &Session,
    app: &App<'_>,
    stdin: Stdio,
) -> Result<Child, Error> {
    Command::from(exec::plugin_command(
        transfer.plugin,
        session,
        transfer.region,
        &app.environment,
    ))
    .stdin(stdin)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    .map_err(|err| Error::Copy(format!("cannot start {}: {err}", transfer.plugin.display())))
}

/// Stops a plugin process and reaps it.
async fn stop(child: &mut Child) {
    // An already exited child is not an error here.
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// A free port on 127.0.0.1 for the forwarding's local end.
fn free_local_port() -> Result<u16, Error> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|err| Error::Copy(format!("no free local port: {err}")))
}

/// Connects to the forwarding's local port, retrying while the plugin starts it.
async fn connect(port: u16, forwarder: &mut Child, output: &mut Lines) -> Result<TcpStream, Error> {
    let started = tokio::time::Instant::now();
    loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await {
            return Ok(stream);
        }
        let ended = forwarder.try_wait().ok().flatten();
        if ended.is_some() || started.elapsed() > FORWARD_START {
            output.drain();
            let why = match ended {
                Some(status) => format!("the port forwarding session ended ({status})"),
                None => format!(
                    "the port forwarding did not open within {}s",
                    FORWARD_START.as_secs()
                ),
            };
            let tail = output.tail();
            return Err(Error::Copy(if tail.is_empty() {
                why
            } else {
                format!("{why}; session-manager-plugin said:\n{tail}")
            }));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends the local file (or stdin) into the connection; the bytes sent.
async fn upload(spec: &CopySpec, mut stream: TcpStream, progress: bool) -> Result<u64, Error> {
    let sent = match &spec.local {
        Local::File(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|err| Error::Copy(format!("{}: {err}", path.display())))?;
            let size = file.metadata().await.ok().map(|m| m.len());
            pump(file, &mut stream, bar(progress, size, "sending")).await?
        }
        Local::Stdio => {
            pump(
                tokio::io::stdin(),
                &mut stream,
                bar(progress, None, "sending"),
            )
            .await?
        }
    };
    stream
        .shutdown()
        .await
        .map_err(|err| Error::Copy(format!("closing the connection: {err}")))?;
    Ok(sent)
}

/// Receives the remote file into a temporary file beside the destination (or stdout); the
/// bytes received, and the temporary file to rename into place once the agent confirmed the
/// count.
async fn download(
    spec: &CopySpec,
    mut stream: TcpStream,
    progress: bool,
) -> Result<(u64, Option<PendingFile>), Error> {
    match &spec.local {
        Local::Stdio => {
            let mut stdout = tokio::io::stdout();
            let received = pump(&mut stream, &mut stdout, bar(progress, None, "receiving")).await?;
            stdout
                .flush()
                .await
                .map_err(|err| Error::Copy(format!("writing stdout: {err}")))?;
            Ok((received, None))
        }
        Local::File(path) => {
            let pending = PendingFile::beside(path)?;
            let mut file = tokio::fs::File::from_std(pending.reopen()?);
            let received = pump(&mut stream, &mut file, bar(progress, None, "receiving")).await?;
            file.sync_all()
                .await
                .map_err(|err| Error::Copy(format!("{}: {err}", path.display())))?;
            Ok((received, Some(pending)))
        }
    }
}

/// A download's temporary file and where it goes when complete.
struct PendingFile {
    temporary: tempfile::NamedTempFile,
    destination: std::path::PathBuf,
}

impl PendingFile {
    fn beside(destination: &Path) -> Result<Self, Error> {
        let temporary = tempfile::Builder::new()
            .prefix(".ristretto-cp-")
            .tempfile_in(copy::partial_dir(destination))
            .map_err(|err| Error::Copy(format!("{}: {err}", destination.display())))?;
        Ok(Self {
            temporary,
            destination: destination.to_path_buf(),
        })
    }

    fn reopen(&self) -> Result<std::fs::File, Error> {
        self.temporary
            .reopen()
            .map_err(|err| Error::Copy(format!("{}: {err}", self.destination.display())))
    }

    /// Moves the complete file into place.
    fn persist(self) -> Result<(), Error> {
        let destination = self.destination;
        self.temporary
            .persist(&destination)
            .map(|_| ())
            .map_err(|err| Error::Copy(format!("{}: {}", destination.display(), err.error)))
    }
}

/// A progress bar on stderr when asked for and stderr is a terminal (indicatif hides it
/// otherwise).
fn bar(progress: bool, size: Option<u64>, what: &'static str) -> indicatif::ProgressBar {
    if !progress {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match size {
        Some(size) => indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{msg} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.with_message(what)
}

/// Copies `from` into `to` until `from` ends, advancing `bar`; the bytes copied.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    to: &mut (impl AsyncWrite + Unpin),
    bar: indicatif::ProgressBar,
) -> Result<u64, Error> {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = from
            .read(&mut buffer)
            .await
            .map_err(|err| Error::Copy(format!("reading: {err}")))?;
        if n == 0 {
            break;
        }
        let chunk = buffer.get(..n).unwrap_or_default();
        to.write_all(chunk)
            .await
            .map_err(|err| Error::Copy(format!("writing: {err}")))?;
        total += n as u64;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(total)
}
