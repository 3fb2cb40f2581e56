//! `portcullis-bench`: what a proxy adds to an MCP connection, measured end to end.
//!
//! It starts our fast echo server (`bench-echo-server`) directly and behind each proxy, and
//! measures in one run, interleaved: start-up to the first answer, idle memory, round-trip
//! percentiles for small and 4 KB calls, pipelined throughput, and 1/10/100 MiB responses with
//! the peak memory they cost. It prints a table with each proxy compared to direct and writes
//! the figures as JSON. Any other proxy can be measured the same way, given as a command prefix.
//!
//! ```sh
//! cargo build --release --workspace --bins
//! target/release/portcullis-bench
//! target/release/portcullis-bench --proxy 'other=/path/to/proxy --'
//! ```

mod measure;
mod memory;
mod peer;
mod report;
mod stats;

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::json;

use measure::Plan;
use peer::{Setup, Target, sibling};

#[derive(Parser)]
#[command(
    version,
    about = "What a proxy adds to an MCP connection, measured end to end"
)]
struct Args {
    /// Another proxy to measure, as NAME=COMMAND PREFIX: the server's command is appended to the
    /// prefix, e.g. 'mcpwall=npx -y mcpwall --'. Repeatable.
    #[arg(long = "proxy", value_name = "NAME=PREFIX")]
    proxies: Vec<String>,
    /// Leave `portcullis run` out (measure only the proxies given).
    #[arg(long)]
    without_portcullis: bool,
    /// The `portcullis` binary [default: the one next to this program].
    #[arg(long, value_name = "PATH")]
    portcullis: Option<PathBuf>,
    /// The MCP server [default: `bench-echo-server` next to this program]. It must offer the
    /// `echo` and `blob` tools.
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,
    /// Where to write the figures as JSON.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "target/portcullis-bench.json"
    )]
    json: PathBuf,
    /// A short run that only shows everything works (a few seconds; the figures mean little).
    #[arg(long)]
    quick: bool,
    /// Response sizes in MiB.
    #[arg(long, value_delimiter = ',', value_name = "MIB")]
    sizes: Option<Vec<usize>>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if let Some(sizes) = args.sizes {
        plan.sizes = sizes;
    }
    let server = args.server.unwrap_or_else(|| sibling("bench-echo-server"));
    if !server.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release --workspace --bins`",
            server.display()
        );
    }
    let mut targets = vec![Target::direct()];
    if !args.without_portcullis {
        let portcullis = args.portcullis.unwrap_or_else(|| sibling("portcullis"));
        let program = portcullis.to_string_lossy().into_owned();
        let prefix = [program.as_str(), "run", "--name", "bench", "--"];
        targets.push(Target {
            name: "portcullis".to_owned(),
            prefix: prefix.map(str::to_owned).to_vec(),
        });
    }
    for spec in &args.proxies {
        targets.push(Target::parse(spec)?);
    }
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let setup = Setup {
        server,
        scratch: scratch.path().to_owned(),
    };
    let measured = measure::run(&targets, &setup, &plan, &|what| {
        eprintln!("measuring {what}…")
    });
    print!("{}", report::table(&targets, &plan, &measured));
    let figures = report::json(&targets, &plan, &measured, machine());
    if let Some(dir) = args.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&figures)? + "\n")
        .with_context(|| format!("cannot write {}", args.json.display()))?;
    eprintln!("figures written to {}", args.json.display());
    Ok(())
}

/// What the figures were measured on.
fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_owned())
        });
    json!({
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
    })
}
