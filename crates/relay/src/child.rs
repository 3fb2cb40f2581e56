//! The wrapped MCP server process: spawned in its own process group, stopped as a whole.
//!
//! Platform-specific parts (process groups, signals, parent-death signal) sit behind `cfg` so a
//! Windows build keeps working with plain child-process semantics.

use std::ffi::OsString;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

/// How long the server gets to exit on its own after its stdin closes, and again after SIGTERM.
pub const GRACE: Duration = Duration::from_secs(3);

/// Starts the server; its stderr is ours unless `capture_stderr`, when it is piped for
/// [`crate::stderr::tee`].
pub fn spawn(argv: &[OsString], capture_stderr: bool) -> anyhow::Result<Child> {
    spawn_with(argv, |command| {
        command.stderr(if capture_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    })
}

/// Starts the server with stdin and stdout piped, after `configure` had its say on the rest
/// (stderr, environment, working directory).
pub fn spawn_with(
    argv: &[OsString],
    configure: impl FnOnce(&mut Command),
) -> anyhow::Result<Child> {
    let (program, args) = argv.split_first().context("no server command given")?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    configure(&mut command);
    configure_platform(&mut command);
    command.spawn().with_context(|| {
        format!(
            "cannot start the MCP server `{}`; check that the command exists and is executable",
            program.to_string_lossy()
        )
    })
}

#[cfg(unix)]
fn configure_platform(command: &mut Command) {
    // Its own process group, so the whole tree (npx -> node -> ...) can be signalled at once.
    command.process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches only the calling (child) process.
    unsafe {
        command.pre_exec(|| {
            // If Portcullis dies without cleaning up (SIGKILL), the server goes too: no orphans.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn configure_platform(_command: &mut Command) {}

/// The process group the server leads.
///
/// Remembered at spawn: tokio forgets the pid once the child is reaped, but the group may still
/// hold grandchildren (npx -> node) that must not outlive the wrapper.
#[derive(Debug, Clone, Copy)]
pub struct ProcessGroup(Option<u32>);

impl ProcessGroup {
    /// Sends `signal` to every process of the group.
    #[cfg(unix)]
    pub fn signal(self, signal: i32) {
        if let Some(pgid) = self.0 {
            // SAFETY: killpg has no memory-safety preconditions; a gone group only yields ESRCH.
            unsafe {
                libc::killpg(pgid as libc::pid_t, signal);
            }
        }
    }
}

/// The running server.
pub struct Server {
    pub child: Child,
    pub group: ProcessGroup,
}

impl Server {
    pub fn new(child: Child) -> Self {
        let group = ProcessGroup(child.id());
        Self { child, group }
    }

    /// Stops the server after its stdin was closed: wait, then SIGTERM, then SIGKILL the group.
    pub async fn stop(&mut self) -> std::io::Result<ExitStatus> {
        self.stop_within(GRACE).await
    }

    /// [`Server::stop`], giving the server `grace` at each step instead of [`GRACE`].
    pub async fn stop_within(&mut self, grace: Duration) -> std::io::Result<ExitStatus> {
        if let Ok(status) = tokio::time::timeout(grace, self.child.wait()).await {
            return status;
        }
        #[cfg(unix)]
        {
            tracing::info!("the MCP server did not exit after its input closed; sending SIGTERM");
            self.group.signal(libc::SIGTERM);
            if let Ok(status) = tokio::time::timeout(grace, self.child.wait()).await {
                return status;
            }
            tracing::warn!("the MCP server ignored SIGTERM; sending SIGKILL");
            self.group.signal(libc::SIGKILL);
        }
        #[cfg(not(unix))]
        self.child.start_kill()?;
        self.child.wait().await
    }

    /// Once the server's main process is gone, nothing of its group may outlive the wrapper.
    pub fn kill_leftovers(&self) {
        #[cfg(unix)]
        self.group.signal(libc::SIGKILL);
    }
}

/// The exit code the wrapper should end with: the server's own, or 128 + signal like a shell.
pub fn exit_code(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    1
}
