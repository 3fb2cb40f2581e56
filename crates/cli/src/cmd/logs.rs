//! `portcullis logs`: what Portcullis decided, read back from the audit trail. The store reads
//! and checks it (`portcullis_store::audit::AuditLog`); this is its presentation.

mod export;
mod filter;
mod list;
mod show;
mod stats;
mod table;
mod verify;

use std::io;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{Args, Subcommand};
use jiff::{Timestamp, ToSpan};
use portcullis_store::StoreError;
use portcullis_store::audit::time;
use portcullis_store::audit::{self, AuditLog};

use crate::config::state_dir;
use filter::FilterArgs;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogsArgs {
    /// Boxed: the subcommands' own filters would make every `portcullis` command this large.
    #[command(subcommand)]
    command: Option<Box<LogsCommand>>,
    #[command(flatten)]
    filter: FilterArgs,
    /// How many of the newest matching records to list.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// Print JSON Lines (one record per line, oldest first) instead of a table.
    #[arg(long)]
    json: bool,
    /// Keep listing records as they are written, until interrupted.
    #[arg(long, short)]
    follow: bool,
}

#[derive(Debug, Subcommand)]
enum LogsCommand {
    /// One record whole, and the session it belongs to.
    Show {
        /// The record's id (the first column of `portcullis logs`).
        id: i64,
        /// Print the record as JSON.
        #[arg(long, conflicts_with = "stderr")]
        json: bool,
        /// Also print the server's stderr captured in the record's session.
        #[arg(long)]
        stderr: bool,
    },
    /// Totals, and the most frequent verdicts, servers, tools and rules (the last 24 hours
    /// unless --since says otherwise).
    Stats {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Every matching record, oldest first, as JSON Lines or CSV.
    Export {
        #[arg(long, value_enum)]
        format: export::Format,
        #[command(flatten)]
        filter: FilterArgs,
        /// Write to FILE (created readable by you alone) instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check that no record was edited, deleted or reordered since it was written. Exit code 0
    /// when intact, 1 when not.
    Verify {
        /// The audit key to check with, such as a copy kept elsewhere (default: audit.key in the
        /// state directory).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
}

/// Exit codes: 0 done, 1 `verify` found the trail altered; errors are 2 (main).
pub fn run(args: LogsArgs) -> anyhow::Result<u8> {
    let dir = state_dir()?;
    match dispatch(&dir, args) {
        // A reader that went away (`| head`) has what it wanted.
        Err(err) if broken_pipe(&err) => Ok(0),
        // SQLite's own messages do not say which file.
        Err(err) if matches!(err.downcast_ref(), Some(StoreError::Sqlite(_))) => {
            let trail = dir.join(audit::FILE_NAME);
            Err(err.context(format!("cannot read the audit trail {}", trail.display())))
        }
        result => result,
    }
}

fn dispatch(dir: &Path, args: LogsArgs) -> anyhow::Result<u8> {
    let log = AuditLog::open(dir)?;
    let nothing_yet = || format!("nothing recorded yet (no audit trail in {})", dir.display());
    match args.command.map(|command| *command) {
        None => {
            let filter = args.filter.to_filter(Some(args.limit));
            if args.follow {
                list::follow(dir, log, &filter, args.json)
            } else {
                list::list(dir, log.as_ref(), &filter, args.json)
            }
        }
        Some(LogsCommand::Show { id, json, stderr }) => match log {
            Some(log) => show::show(&log, id, json, stderr),
            None => bail!("there is no record {id}: {}", nothing_yet()),
        },
        Some(LogsCommand::Stats { mut filter }) => {
            let window = match filter.since {
                Some(since) => format!("since {}", time::short(&time::stored(since))),
                None => "in the last 24 hours; --since changes that".into(),
            };
            filter.since = Some(
                filter
                    .since
                    .unwrap_or_else(|| Timestamp::now() - 24.hours()),
            );
            match log {
                Some(log) => stats::stats(&log, &filter.to_filter(None), &window),
                None => {
                    println!("{}", nothing_yet());
                    Ok(0)
                }
            }
        }
        Some(LogsCommand::Export {
            format,
            filter,
            output,
        }) => {
            if log.is_none() {
                eprintln!("portcullis: {}: the export is empty", nothing_yet());
            }
            let filter = filter.to_filter(None);
            export::export(log.as_ref(), &filter, format, output.as_deref())
        }
        Some(LogsCommand::Verify { key }) => match log {
            Some(log) => verify::verify(dir, &log, key.as_deref()),
            None => {
                println!("{}", nothing_yet());
                Ok(0)
            }
        },
    }
}

/// Whether `err` is a write to a pipe whose reader closed it. The JSON and CSV writers wrap the
/// I/O error without exposing it as a source, so each is asked in its own way.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| {
            if let Some(io) = cause.downcast_ref::<io::Error>() {
                Some(io.kind())
            } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
                json.io_error_kind()
            } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
                match csv.kind() {
                    csv::ErrorKind::Io(io) => Some(io.kind()),
                    _ => None,
                }
            } else {
                None
            }
        })
        .any(|kind| kind == io::ErrorKind::BrokenPipe)
}
