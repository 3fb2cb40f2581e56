//! The per-user Portcullis daemon: it owns approvals (`ask`), remembered decisions and the
//! dashboard. The wrappers never depend on it to protect: policy, redaction and the audit trail
//! stay in `portcullis run`; only a call that asks a person needs the daemon, and it is denied when
//! the daemon cannot be reached.
//!
//! Unix only for now: the socket's guarantees (a private directory, the peer's uid) have no
//! Windows equivalent here yet, and there `ask` is denied with a message saying so.

#![cfg(unix)]

mod broker;
pub mod client;
mod dashboard;
mod detach;
mod lock;
#[cfg(feature = "notify")]
mod notify;
pub mod protocol;
mod server;
mod socket;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use portcullis_core::policy::Policy;
use tokio::sync::Notify;

pub use detach::detach;
pub use lock::AlreadyRunning;

use broker::Broker;
use dashboard::Dashboard;
use socket::DaemonPaths;

/// How to run the daemon.
pub struct Options {
    pub state_dir: PathBuf,
    /// Compiles patterns people save (its paths: home and working directory).
    pub policy: Policy,
    /// The dashboard's port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// What every part of a running daemon shares.
struct Daemon {
    broker: Arc<Broker>,
    dashboard: Dashboard,
    stop: Notify,
}

/// Runs the daemon until `portcullis daemon stop`, SIGTERM or SIGINT. Fails with
/// [`AlreadyRunning`] when another daemon of this user holds the lock.
pub fn run(options: Options) -> anyhow::Result<()> {
    let paths = DaemonPaths::in_state_dir(&options.state_dir);
    paths.create_dir()?;
    let _lock = lock::acquire(&paths.lock)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(options, paths))
}

async fn serve(options: Options, paths: DaemonPaths) -> anyhow::Result<()> {
    let socket = socket::listen(&paths)?;
    let web = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", options.port))?;
    let port = web.local_addr()?.port();
    let broker = Broker::new(options.state_dir.clone(), options.policy);
    let daemon = Arc::new(Daemon {
        dashboard: Dashboard::new(port),
        broker,
        stop: Notify::new(),
    });
    eprintln!(
        "portcullis daemon {} (pid {}): socket {}, dashboard on 127.0.0.1:{port}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        paths.socket.display()
    );
    tokio::spawn(server::serve(socket, daemon.clone()));
    tokio::spawn(dashboard::serve(web, daemon.clone()));
    #[cfg(feature = "notify")]
    tokio::spawn(notify::announce(daemon.broker.clone()));
    tokio::select! {
        () = daemon.stop.notified() => {}
        () = terminated() => {}
        () = socket_removed(&paths.socket) => eprintln!("the socket was removed"),
    }
    let _ = std::fs::remove_file(&paths.socket);
    eprintln!("portcullis daemon stopped");
    Ok(())
}

/// Resolves when the socket file is gone (its state directory deleted, or another daemon took
/// over): nobody can reach this daemon any more.
async fn socket_removed(socket: &std::path::Path) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        every.tick().await;
        if !socket.exists() {
            return;
        }
    }
}

async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
