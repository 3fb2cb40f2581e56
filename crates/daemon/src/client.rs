//! Talking to the daemon from a wrapper, the terminal approver or the command line: blocking, one
//! connection per conversation. A wrapper that needs a decision starts the daemon when none runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::protocol::{Request, Response, line};
use crate::socket::DaemonPaths;

/// The longest line the daemon or a client accepts: asks carry bounded argument text.
pub const MAX_LINE: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the approval daemon is not running (no socket at {})", socket.display())]
    NotRunning { socket: PathBuf },
    #[error("the approval daemon could not be started: {why}; see {}", log.display())]
    NotStarted { why: String, log: PathBuf },
    #[error("cannot talk to the approval daemon: {0}")]
    Io(#[from] std::io::Error),
    #[error("the approval daemon sent something unexpected: {0}")]
    Protocol(String),
}

impl ClientError {
    /// What to tell a person who has to fix it.
    pub fn advice(&self) -> &'static str {
        match self {
            ClientError::NotRunning { .. } => "start it with `portcullis daemon`",
            ClientError::NotStarted { .. } | ClientError::Io(_) | ClientError::Protocol(_) => {
                "start it by hand with `portcullis daemon` to see why"
            }
        }
    }
}

/// A connection to a running daemon, or [`ClientError::NotRunning`].
fn connect(state_dir: &Path) -> Result<UnixStream, ClientError> {
    let socket = DaemonPaths::in_state_dir(state_dir).socket;
    UnixStream::connect(&socket).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
            ClientError::NotRunning { socket }
        }
        _ => ClientError::Io(e),
    })
}

/// A connection to the daemon, starting it (`exe daemon --detach`) when none runs.
pub fn connect_or_start(state_dir: &Path, exe: &Path) -> Result<UnixStream, ClientError> {
    match connect(state_dir) {
        Err(ClientError::NotRunning { .. }) => {
            start(state_dir, exe)?;
            connect(state_dir)
        }
        other => other,
    }
}

/// Starts the daemon in the background and waits until it answers (`daemon --detach` does the
/// waiting, so several wrappers starting it at once end up with one daemon).
fn start(state_dir: &Path, exe: &Path) -> Result<(), ClientError> {
    let log = DaemonPaths::in_state_dir(state_dir).log;
    let not_started = |why: String| ClientError::NotStarted {
        why,
        log: log.clone(),
    };
    let status = Command::new(exe)
        .args(["daemon", "--detach", "--state-dir"])
        .arg(state_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| not_started(format!("cannot run {}: {e}", exe.display())))?;
    if !status.success() {
        return Err(not_started(format!(
            "`portcullis daemon --detach` {status}"
        )));
    }
    Ok(())
}

/// One request and its one answer.
pub fn request(stream: &mut UnixStream, request: &Request) -> Result<Response, ClientError> {
    stream.write_all(&line(request))?;
    let mut reader = BufReader::new(&*stream);
    read_response(&mut reader)?.ok_or_else(|| ClientError::Protocol("no answer".into()))
}

/// Sends one request to a running daemon and returns its answer, waiting at most `timeout`.
pub fn ask_once(
    state_dir: &Path,
    message: &Request,
    timeout: Duration,
) -> Result<Response, ClientError> {
    let mut stream = connect(state_dir)?;
    stream.set_read_timeout(Some(timeout))?;
    request(&mut stream, message)
}

/// The next message on a connection; `None` when the daemon closed it.
pub fn read_response(reader: &mut impl BufRead) -> Result<Option<Response>, ClientError> {
    let mut text = String::new();
    let n = reader.by_ref().take(MAX_LINE as u64).read_line(&mut text)?;
    if n == 0 {
        return Ok(None);
    }
    serde_json::from_str(text.trim_end())
        .map(Some)
        .map_err(|e| ClientError::Protocol(e.to_string()))
}
