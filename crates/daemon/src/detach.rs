//! `portcullis daemon --detach`: start the daemon in its own session, in the background, and
//! return once it answers, so the caller can use it at once.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::client;
use crate::protocol::{Request, Response};
use crate::socket::DaemonPaths;

/// How long a starting daemon may take to answer.
const STARTUP: Duration = Duration::from_secs(10);

/// Starts `exe daemon --state-dir DIR` detached (unless one answers already) and returns its pid.
pub fn detach(state_dir: &Path, exe: &Path) -> anyhow::Result<u32> {
    if let Some(pid) = running(state_dir) {
        return Ok(pid);
    }
    let paths = DaemonPaths::in_state_dir(state_dir);
    paths.create_dir()?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log)
        .with_context(|| format!("cannot open {}", paths.log.display()))?;
    let mut command = Command::new(exe);
    command
        .args(["daemon", "--state-dir"])
        .arg(state_dir)
        // A long-lived process should not keep a project directory busy.
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe; it detaches the daemon from our terminal and group,
    // so a Ctrl-C meant for a wrapper does not stop it.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let started = Instant::now();
    while started.elapsed() < STARTUP {
        if let Some(pid) = running(state_dir) {
            return Ok(pid);
        }
        if let Some(status) = child.try_wait()? {
            // Another daemon may have won the lock meanwhile.
            if let Some(pid) = running(state_dir) {
                return Ok(pid);
            }
            bail!(
                "the daemon exited at once ({status}); see {}",
                paths.log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    bail!(
        "the daemon did not answer within {} s; see {}",
        STARTUP.as_secs(),
        paths.log.display()
    )
}

/// The pid of the daemon answering on the socket, if one does.
pub fn running(state_dir: &Path) -> Option<u32> {
    match client::ask_once(state_dir, &Request::Ping, Duration::from_secs(2)) {
        Ok(Response::Pong { pid, .. }) => Some(pid),
        _ => None,
    }
}
