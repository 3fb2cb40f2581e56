//! `portcullis logs` itself: the newest matching records, and with `--follow` every one written
//! after them, as a table or as JSON Lines.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use portcullis_store::audit::{self, AuditLog, Entry, Filter};

use super::table::Table;
use crate::escape::visible_json;

/// How often `--follow` looks for new records.
const POLL: Duration = Duration::from_millis(250);

/// Where records go.
enum Printer {
    /// One JSON object per line.
    Json,
    Table(Table),
}

impl Printer {
    fn new(json: bool) -> Self {
        if json {
            Printer::Json
        } else {
            Printer::Table(Table::for_stdout())
        }
    }

    /// Prints `entries` and flushes, so a follower sees each batch as it comes.
    fn print(&mut self, entries: &[Entry]) -> io::Result<()> {
        match self {
            Printer::Json => {
                let mut out = io::stdout().lock();
                for entry in entries {
                    let line = serde_json::to_string(entry).map_err(io::Error::other)?;
                    writeln!(out, "{}", visible_json(&line))?;
                }
                out.flush()
            }
            Printer::Table(table) => {
                let mut out = anstream::stdout().lock();
                table.write(&mut out, entries)?;
                out.flush()
            }
        }
    }
}

pub fn list(dir: &Path, log: Option<&AuditLog>, filter: &Filter, json: bool) -> anyhow::Result<u8> {
    let path = dir.join(audit::FILE_NAME);
    let Some(log) = log else {
        let text = format!(
            "nothing recorded yet: `portcullis run` records its decisions in {}",
            path.display()
        );
        note(json, &text);
        return Ok(0);
    };
    let entries = log.query(filter)?;
    if entries.is_empty() {
        note(json, &format!("no records match (in {})", path.display()));
    } else {
        Printer::new(json).print(&entries)?;
    }
    Ok(0)
}

/// Prints the matching tail as [`list`] does, then each matching record written after it, until
/// interrupted. Without an audit trail yet, waits for one.
pub fn follow(
    dir: &Path,
    log: Option<AuditLog>,
    filter: &Filter,
    json: bool,
) -> anyhow::Result<u8> {
    let log = match log {
        Some(log) => log,
        None => wait_for_trail(dir)?,
    };
    let mut printer = Printer::new(json);
    // Records up to `seen` were looked at: the ones that matched are printed.
    let mut seen = log.newest_id()?;
    let tail = log.query(filter)?;
    printer.print(&tail)?;
    seen = seen.max(tail.last().map_or(0, |e| e.id));
    loop {
        std::thread::sleep(POLL);
        let newest = log.newest_id()?;
        let fresh = log.after(seen, filter)?;
        printer.print(&fresh)?;
        seen = newest.max(fresh.last().map_or(seen, |e| e.id));
    }
}

fn wait_for_trail(dir: &Path) -> anyhow::Result<AuditLog> {
    eprintln!(
        "portcullis: nothing recorded yet; waiting for {} (Ctrl-C to stop)",
        dir.join(audit::FILE_NAME).display()
    );
    loop {
        std::thread::sleep(POLL);
        if let Some(log) = AuditLog::open(dir)? {
            return Ok(log);
        }
    }
}

/// A sentence about the listing: on stdout for people, on stderr beside JSON, which it would
/// spoil.
fn note(json: bool, text: &str) {
    if json {
        eprintln!("portcullis: {text}");
    } else {
        println!("{text}");
    }
}
