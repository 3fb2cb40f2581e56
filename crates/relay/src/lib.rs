//! The stdio relay: Portcullis between an MCP client (our stdin/stdout) and a server it spawns.
//!
//! Two pumps read the two directions, a [`session::Session`] judges every frame, and two writer
//! tasks own the two outputs. Allowed messages are written exactly as they were read.

mod approve;
mod child;
mod guard;
pub mod lean;
pub mod probe;
mod pump;
mod record;
pub mod session;
mod stderr;
mod stdio;
#[cfg(test)]
mod testing;
mod warm;

use std::ffi::OsString;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use portcullis_core::audit::AuditSink;
use portcullis_core::message::Direction;
use portcullis_core::pins::{PinBook, ServerIdentity};
use portcullis_core::policy::Policy;
use tokio::sync::mpsc;

use approve::Approvals;
pub use approve::{Approver, Pending};
use child::{Server, exit_code};
use pump::{Sinks, Write, pump, writer};
use session::Session;

/// How the relay runs one server.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The name rules match with `server:` (from `--name`).
    pub server_name: String,
    /// Decide and log, but block nothing.
    pub monitor: bool,
    /// The server's command and arguments.
    pub command: Vec<OsString>,
}

impl RelayOptions {
    /// Who the server is, for pins: its name and its exact command line.
    pub fn identity(&self) -> ServerIdentity {
        ServerIdentity {
            name: self.server_name.clone(),
            command: self
                .command
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        }
    }
}

/// How long the server's output may keep flowing after its main process exited.
const DRAIN: Duration = Duration::from_secs(2);
const QUEUE: usize = 256;

/// Builds the detectors' tables on a thread of its own (see [`warm`]): call as early as the
/// policy is known, before [`run`].
pub fn warm_up(policy: Arc<Policy>, identity: ServerIdentity) {
    warm::start(policy, identity);
}

/// Runs the relay until the server exits; returns the exit code the wrapper should end with.
/// `pins` remembers tool, prompt and template definitions across sessions (trust on first use);
/// `audit` receives every decision; `approver` decides the calls that rules ask about (without
/// one, they are denied).
pub fn run(
    policy: Arc<Policy>,
    options: RelayOptions,
    pins: Option<Box<dyn PinBook + Send>>,
    audit: Option<Arc<dyn AuditSink>>,
    approver: Option<Arc<dyn Approver>>,
) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = runtime.block_on(relay(policy, options, pins, audit, approver));
    // Reading our stdin may still block in a helper thread; do not wait for it.
    runtime.shutdown_background();
    code
}

async fn relay(
    policy: Arc<Policy>,
    options: RelayOptions,
    pins: Option<Box<dyn PinBook + Send>>,
    audit: Option<Arc<dyn AuditSink>>,
    approver: Option<Arc<dyn Approver>>,
) -> anyhow::Result<i32> {
    let max = policy.max_message_bytes;
    let capture_stderr = policy.audit.stderr && audit.is_some();
    let mut session = Session::new(
        policy,
        options.identity(),
        options.monitor,
        pins,
        audit.clone(),
    );
    if approver.is_some() {
        session.hold_asks();
    }
    let session = Arc::new(Mutex::new(session));
    let mut server = Server::new(child::spawn(&options.command, capture_stderr)?);
    if let (Some(stderr), Some(audit)) = (server.child.stderr.take(), audit) {
        tokio::spawn(stderr::tee(stderr, audit));
    }
    let server_in = server.child.stdin.take().context("server stdin is piped")?;
    let server_out = server
        .child
        .stdout
        .take()
        .context("server stdout is piped")?;

    let (to_client, to_client_rx) = mpsc::channel(QUEUE);
    let (to_server, to_server_rx) = mpsc::channel(QUEUE);
    let client_writer = tokio::spawn(writer(stdio::output(), to_client_rx, "the client"));
    tokio::spawn(writer(server_in, to_server_rx, "the server's stdin"));
    #[cfg(unix)]
    forward_signals(server.group)?;

    let mut from_client = tokio::spawn({
        let (session, to_server, to_client) =
            (session.clone(), to_server.clone(), to_client.clone());
        async move {
            let sinks = Sinks {
                forward: to_server.clone(),
                reply: to_client,
                approvals: approver.map(Approvals::new),
            };
            pump(stdio::input(), Direction::ToServer, max, session, sinks).await;
            let _ = to_server.send(Write::Close).await;
        }
    });
    let mut from_server = tokio::spawn({
        let sinks = Sinks {
            forward: to_client.clone(),
            reply: to_server.clone(),
            approvals: None,
        };
        pump(server_out, Direction::ToClient, max, session.clone(), sinks)
    });
    drop(to_server);

    let status = tokio::select! {
        status = server.child.wait() => status,
        _ = &mut from_client => server.stop().await,
    }
    .context("cannot wait for the MCP server")?;
    if tokio::time::timeout(DRAIN, &mut from_server).await.is_err() {
        tracing::debug!("the server's output stayed open after it exited");
        from_server.abort();
    }
    server.kill_leftovers();
    from_client.abort();

    let why = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was terminated".to_owned(),
    };
    let unanswered = session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .abandon_client_requests(&why);
    if !unanswered.is_empty() {
        let _ = to_client.send(Write::Bytes(unanswered)).await;
    }
    drop(to_client);
    let _ = tokio::time::timeout(DRAIN, client_writer).await;
    Ok(exit_code(status))
}

/// Signals sent to the wrapper go to the server's whole group; the server's exit then ends us.
#[cfg(unix)]
fn forward_signals(group: child::ProcessGroup) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::quit(),
    ] {
        let mut stream = signal(kind).context("cannot install signal handlers")?;
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                group.signal(kind.as_raw_value());
                // A server that ignores the signal is killed after the grace period.
                tokio::spawn(async move {
                    tokio::time::sleep(child::GRACE * 2).await;
                    group.signal(libc::SIGKILL);
                });
            }
        });
    }
    Ok(())
}
