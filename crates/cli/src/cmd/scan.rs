//! `portcullis scan`: what the MCP servers on this machine offer a model, and what is wrong with
//! it, without changing anything.
//!
//! Each server is started, asked to list its tools, prompts, resources and resource templates,
//! and stopped ([`portcullis_relay::probe`]: the relay owns starting servers). What it listed is
//! judged as `portcullis run` would judge it ([`judge`]: the core's poisoning detectors, the
//! policy, and the pins `run` keeps, read only), then reported ([`text`] for people, [`json`]
//! for machines). Nothing is written and nothing leaves the machine, but the servers named do
//! run, with whatever they do when a client starts them.
//!
//! The servers come from the command line (`-- CMD ARGS`) or from the MCP clients' configuration
//! files ([`discover::discovered_targets`]).

mod discover;
mod json;
mod judge;
mod quote;
mod text;

use std::path::{Path, PathBuf};
use std::time::Duration;

use portcullis_core::policy::Policy;
use portcullis_relay::probe::{self, Launch};
use portcullis_store::PinReader;

pub use discover::discovered_targets;
pub use judge::ServerReport;

use crate::config::{load_policy_in, server_base_dirs, state_dir};

/// How many servers are probed at once.
const PARALLEL: usize = 4;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every server is clean, 1 when a problem was found or \
    a server failed to start or to answer, 2 on a usage error."
)]
pub struct ScanArgs {
    /// Print one JSON document (described in docs/scan.md) instead of the report.
    #[arg(long)]
    json: bool,
    /// Policy file (default: $PORTCULLIS_CONFIG, then the user configuration, then built-ins).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seconds each server gets to start and list what it offers.
    #[arg(long, value_name = "SECS", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// The name of the server given after `--`: the one `portcullis run --name` gives it, under
    /// which its pins are kept.
    #[arg(long, default_value = "default")]
    name: String,
    /// Also scan the servers of this configuration file (any client's format); repeatable.
    #[arg(long, value_name = "PATH", conflicts_with = "command")]
    config_file: Vec<PathBuf>,
    /// A server command to scan instead of the servers the MCP clients' configurations name.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

/// A stdio server to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTarget {
    /// Where it was found, e.g. "Cursor (~/.cursor/mcp.json)" or "command line".
    pub origin: String,
    /// The server's name (its pins are kept under it and the command).
    pub name: String,
    /// Program and arguments, already unwrapped from any `portcullis run ... --`.
    pub command: Vec<String>,
    /// Extra environment on top of ours.
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

/// How servers are scanned.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// What each server gets to start and list everything.
    pub timeout: Duration,
    /// How many servers are probed at once.
    pub parallel: usize,
    /// The user's policy file, as `run --config` takes it.
    pub config: Option<PathBuf>,
    /// Where `portcullis run` keeps its pins (read, never written).
    pub state_dir: PathBuf,
}

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let targets = if args.command.is_empty() {
        discovered_targets(&args.config_file)?
    } else {
        vec![ScanTarget {
            origin: "command line".to_owned(),
            name: args.name,
            command: args.command,
            env: Vec::new(),
            cwd: None,
        }]
    };
    if targets.is_empty() && !args.json {
        println!(
            "no MCP servers found; name one to scan: portcullis scan [--name NAME] -- CMD ARGS..."
        );
        return Ok(0);
    }
    let options = ScanOptions {
        timeout: Duration::from_secs(args.timeout),
        parallel: PARALLEL,
        config: args.config,
        state_dir: state_dir()?,
    };
    let reports = scan(targets, &options);
    if args.json {
        println!("{}", json::document(&reports));
    } else {
        text::print(&reports)?;
    }
    let trouble = reports.iter().any(|r| r.status() != judge::Status::Clean);
    Ok(u8::from(trouble))
}

/// Probes every target and judges what each listed, in the targets' order, servers with
/// problems first. Nothing stops the scan: a server that cannot be started, or whose policy does
/// not load, is reported as failed, and pins that cannot be read are noted.
pub fn scan(targets: Vec<ScanTarget>, options: &ScanOptions) -> Vec<ServerReport> {
    let pins = Pins::open(&options.state_dir);
    let launches: Vec<Launch> = targets
        .iter()
        .map(|t| Launch {
            command: t.command.clone(),
            env: t.env.clone(),
            cwd: t.cwd.clone(),
        })
        .collect();
    let probes = probe::probe_all(launches, options.timeout, options.parallel);
    let mut reports: Vec<ServerReport> = targets
        .into_iter()
        .zip(probes)
        .map(|(target, found)| {
            let policy = policy_for(&target, options.config.clone());
            let stored = pins.items(&target);
            judge::server(target, found, policy, stored)
        })
        .collect();
    // Stable: the targets' order within each group.
    reports.sort_by_key(ServerReport::status);
    reports
}

/// The policy `target`'s server runs under: loaded as `run` loads it in the server's working
/// directory, with the paths on its command line resolved as `run` resolves them. An error says
/// why it cannot be loaded.
fn policy_for(target: &ScanTarget, config: Option<PathBuf>) -> Result<Policy, String> {
    let cwd = match &target.cwd {
        Some(cwd) => cwd.clone(),
        None => std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?,
    };
    let mut policy = load_policy_in(config, &cwd).map_err(|e| format!("{e:#}"))?;
    let command: Vec<std::ffi::OsString> = target.command.iter().map(Into::into).collect();
    policy.resolve_relative_paths_also_against(server_base_dirs(&command, &cwd));
    Ok(policy)
}

/// The pin store, read only: absent when nothing was ever pinned, or unreadable (said once per
/// server, and the scan goes on without pins).
enum Pins {
    None,
    Reader(PinReader),
    Unreadable(String),
}

impl Pins {
    fn open(dir: &Path) -> Pins {
        match PinReader::open(dir) {
            Ok(Some(reader)) => Pins::Reader(reader),
            Ok(None) => Pins::None,
            Err(e) => Pins::Unreadable(format!("{e}")),
        }
    }

    /// What the store holds for `target`'s identity, or why it cannot tell.
    fn items(&self, target: &ScanTarget) -> judge::Stored {
        match self {
            Pins::None => judge::Stored::Nothing,
            Pins::Unreadable(why) => judge::Stored::Unreadable(why.clone()),
            Pins::Reader(reader) => match reader.items(&judge::identity(target)) {
                Ok(Some(items)) => judge::Stored::Items(items),
                Ok(None) => judge::Stored::Nothing,
                Err(e) => judge::Stored::Unreadable(format!("{e}")),
            },
        }
    }
}

#[cfg(test)]
mod tests;
