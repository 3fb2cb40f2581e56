//! `portcullis`: a firewall for the Model Context Protocol.
//!
//! This crate is the command line only: argument parsing and glue. Decisions live in
//! `portcullis-core`, the stdio relay in `portcullis-relay`.

#[cfg(unix)]
mod approver;
mod clients;
mod cmd;
mod config;
mod demo;
mod escape;
mod words;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about = "A firewall for the Model Context Protocol", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Wrap a stdio MCP server: `portcullis run --name fs -- npx -y @modelcontextprotocol/server-filesystem .`
    Run {
        /// Policy file (default: $PORTCULLIS_CONFIG, then the user configuration, then built-ins).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The server's name, which rules match with `server:`.
        #[arg(long, default_value = "default")]
        name: String,
        /// Decide and log everything, block nothing.
        #[arg(long)]
        monitor: bool,
        /// The server command and its arguments.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            required = true,
            value_name = "CMD"
        )]
        command: Vec<OsString>,
    },
    /// Start each MCP server, list its tools, prompts and resources, and report poisoned
    /// definitions, rug pulls and what the policy removes, changing nothing:
    /// `portcullis scan -- npx -y @modelcontextprotocol/server-filesystem .`
    Scan(cmd::scan::ScanArgs),
    /// Show the verdict the policy gives a message, with the rule, the reason and what matched.
    Check(cmd::check::CheckArgs),
    /// Check a configuration file (or the discovered ones) and report errors with file:line:column.
    Validate {
        /// The file to check; without it, the configuration Portcullis would load here.
        file: Option<PathBuf>,
        /// Check FILE as a project file (`.portcullis.yaml`), which may only tighten.
        #[arg(long)]
        project: bool,
    },
    /// List the effective rules in evaluation order, with where each came from.
    Rules {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Review the tool, prompt and resource-template definitions pinned on first use and those
    /// held back since: list, diff, accept, reset.
    #[command(subcommand)]
    Pins(cmd::pins::PinsCommand),
    /// Show what Portcullis decided: recent decisions, one record, statistics, exports, and a
    /// check that nothing was altered.
    Logs(cmd::logs::LogsArgs),
    /// The per-user approval daemon and dashboard (wrappers start it when a call needs approval):
    /// `daemon`, `daemon --detach`, `daemon stop`, `daemon status`.
    #[cfg(unix)]
    Daemon(cmd::daemon::DaemonArgs),
    /// Open the dashboard with a one-time login link (`--url` only prints it).
    #[cfg(unix)]
    Dashboard(cmd::dashboard::DashboardArgs),
    /// Decide pending approvals in the terminal (usable over SSH).
    #[cfg(unix)]
    Approve,
    /// Protect every MCP client on this machine: wrap each stdio server in `portcullis run`,
    /// after showing the plan as a diff (`--undo` puts every file back).
    Init(cmd::init::InitArgs),
    /// For each MCP client and server found: protected or not, the policy in force, the last
    /// activity, pins and quarantined definitions.
    Status(cmd::status::StatusArgs),
    /// Replay a short attack story against a built-in demo server, through the real wrapper.
    Demo,
    /// The demo's MCP server (used by `portcullis demo`).
    #[command(hide = true)]
    DemoServer,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A scan's output is its report: only warnings beside it.
    init_logging(match cli.command {
        Command::Scan(_) => "warn",
        _ => "info",
    });
    let result = match cli.command {
        Command::Run {
            config,
            name,
            monitor,
            command,
        } => cmd::run::run(config, name, monitor, command),
        Command::Scan(args) => cmd::scan::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Validate { file, project } => cmd::validate::run(file, project),
        Command::Rules { config } => cmd::rules::run(config),
        Command::Pins(command) => cmd::pins::run(command),
        Command::Logs(args) => cmd::logs::run(args),
        #[cfg(unix)]
        Command::Daemon(args) => cmd::daemon::run(args),
        #[cfg(unix)]
        Command::Dashboard(args) => cmd::dashboard::run(args),
        #[cfg(unix)]
        Command::Approve => config::state_dir().and_then(|dir| cmd::approve::run(&dir)),
        Command::Init(args) => cmd::init::run(args),
        Command::Status(args) => cmd::status::run(args),
        Command::Demo => demo::run(),
        Command::DemoServer => demo::server(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("portcullis: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr only: stdout carries the protocol. `PORTCULLIS_LOG` sets the level, else
/// `level`.
fn init_logging(level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("PORTCULLIS_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}
