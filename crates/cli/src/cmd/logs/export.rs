//! `portcullis logs export`: every matching record, oldest first, as JSON Lines or CSV, streamed
//! to stdout or a file.
//!
//! The text is exported as recorded (already redacted), not escaped: this is data for other
//! tools. A spreadsheet opening the CSV may take a cell that begins with `=` as a formula; the
//! cells are left as recorded all the same, because an audit export must not alter the record.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;
use portcullis_store::audit::{AuditLog, COLUMNS, Entry, Filter};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON object per line, the fields of `--json`.
    Jsonl,
    /// A header row, then a row per record; evidence and secrets as JSON text.
    Csv,
}

pub fn export(
    log: Option<&AuditLog>,
    filter: &Filter,
    format: Format,
    output: Option<&Path>,
) -> anyhow::Result<u8> {
    let out: Box<dyn Write> = match output {
        Some(path) => Box::new(
            private_file(path)
                .with_context(|| format!("cannot create the export file {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut sink = Sink::new(format, BufWriter::new(out))?;
    if let Some(log) = log {
        log.for_each(filter, |entry| sink.write(&entry))?;
    }
    sink.finish()?;
    Ok(0)
}

/// The export file, readable by the user alone when it is created: it holds what the audit
/// trail holds.
fn private_file(path: &Path) -> io::Result<File> {
    portcullis_store::private::file_options()
        .write(true)
        .truncate(true)
        .open(path)
}

enum Sink<W: Write> {
    Jsonl(W),
    /// Boxed: the CSV writer carries its own buffer.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    /// A sink in `format`; CSV starts with its header, so even an empty export has one.
    fn new(format: Format, out: W) -> anyhow::Result<Self> {
        Ok(match format {
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(COLUMNS.split(", "))?;
                Sink::Csv(Box::new(csv))
            }
        })
    }

    fn write(&mut self, e: &Entry) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, e)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(csv) => {
                let number = |n: i64| n.to_string();
                let text = |t: &Option<String>| t.clone().unwrap_or_default();
                // In the order of `COLUMNS`, the header.
                csv.write_record([
                    number(e.id),
                    e.at.clone(),
                    e.session.clone(),
                    e.server.clone(),
                    e.server_key.clone(),
                    text(&e.client),
                    e.direction.clone(),
                    e.kind.clone(),
                    e.method.clone(),
                    text(&e.target),
                    text(&e.rpc_id),
                    e.verdict.clone(),
                    text(&e.outcome),
                    text(&e.rule),
                    e.reason.clone(),
                    serde_json::to_string(&e.evidence)?,
                    text(&e.summary),
                    serde_json::to_string(&e.secrets)?,
                    number(e.bytes),
                    number(e.added_us),
                    e.hash.clone(),
                ])?;
            }
        }
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush(),
            Sink::Csv(mut csv) => csv.flush(),
        }
    }
}
