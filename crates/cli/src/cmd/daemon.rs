//! `portcullis daemon`: the per-user approval daemon and dashboard; `daemon stop`, `daemon status`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use portcullis_daemon::client::{self, ClientError};
use portcullis_daemon::protocol::{Request, Response};

use portcullis_core::policy::{Policy, Sources};

use crate::config::{path_context, state_dir};

#[derive(Debug, Args)]
pub struct DaemonArgs {
    #[command(subcommand)]
    command: Option<DaemonCommand>,
    /// Start in the background and return once it answers (wrappers do this when needed).
    #[arg(long)]
    detach: bool,
    /// The dashboard's port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The state directory (default: the per-user one); wrappers pass theirs.
    #[arg(long, hide = true)]
    state_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum DaemonCommand {
    /// Stop the running daemon (pending calls are denied by their wrappers).
    Stop,
    /// Say whether the daemon runs, and its pid.
    Status,
}

const ANSWER: Duration = Duration::from_secs(5);

pub fn run(args: DaemonArgs) -> anyhow::Result<u8> {
    let state = match args.state_dir {
        Some(dir) => dir,
        None => state_dir()?,
    };
    match args.command {
        Some(DaemonCommand::Stop) => stop(&state),
        Some(DaemonCommand::Status) => status(&state),
        None if args.detach => {
            let exe = std::env::current_exe()?;
            let pid = portcullis_daemon::detach(&state, &exe)?;
            println!("the portcullis daemon runs (pid {pid})");
            Ok(0)
        }
        None => {
            // The daemon compiles patterns only to refuse invalid ones: the built-in policy and
            // this machine's paths are all it needs. Configuration (broken or not) stays with
            // the wrappers.
            let policy = Policy::compile(&Sources::default(), path_context()?)?;
            let options = portcullis_daemon::Options {
                state_dir: state,
                policy,
                port: args.port,
            };
            match portcullis_daemon::run(options) {
                Err(e) if e.is::<portcullis_daemon::AlreadyRunning>() => {
                    eprintln!("portcullis: {e}; stop it with `portcullis daemon stop`");
                    Ok(1)
                }
                other => other.map(|()| 0),
            }
        }
    }
}

fn stop(state: &std::path::Path) -> anyhow::Result<u8> {
    match client::ask_once(state, &Request::Stop, ANSWER) {
        Ok(Response::Ok) => {
            println!("the portcullis daemon stopped");
            Ok(0)
        }
        Ok(other) => anyhow::bail!("the daemon answered {other:?}"),
        Err(ClientError::NotRunning { .. }) => {
            println!("no portcullis daemon is running");
            Ok(0)
        }
        Err(e) => Err(e.into()),
    }
}

fn status(state: &std::path::Path) -> anyhow::Result<u8> {
    match client::ask_once(state, &Request::Ping, ANSWER) {
        Ok(Response::Pong { version, pid }) => {
            println!("the portcullis daemon {version} runs (pid {pid})");
            Ok(0)
        }
        Ok(other) => anyhow::bail!("the daemon answered {other:?}"),
        Err(ClientError::NotRunning { .. }) => {
            println!(
                "no portcullis daemon is running; wrappers start it when a call needs approval"
            );
            Ok(3)
        }
        Err(e) => Err(e.into()),
    }
}
