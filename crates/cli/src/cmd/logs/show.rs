//! `portcullis logs show ID`: one record whole, with the session that wrote it.

use std::io::{self, Write};

use anyhow::bail;
use portcullis_store::audit::{AuditLog, Entry, SessionRecord};

use super::table::verdict_style;
use crate::escape::{visible, visible_json};
use portcullis_store::audit::time;

/// Label width: the values line up after it.
const LABEL: usize = 11;

pub fn show(log: &AuditLog, id: i64, json: bool, stderr: bool) -> anyhow::Result<u8> {
    let Some(entry) = log.get(id)? else {
        bail!(
            "there is no record {id} (pruned, or not written yet); `portcullis logs` lists the \
             newest with their ids"
        );
    };
    if json {
        let text = serde_json::to_string_pretty(&entry)?;
        writeln!(io::stdout().lock(), "{}", visible_json(&text))?;
        return Ok(0);
    }
    let mut out = anstream::stdout().lock();
    write_entry(&mut out, &entry)?;
    match log.session(&entry.session)? {
        Some(session) => write_session(&mut out, &session)?,
        None => writeln!(out, "session {} (not recorded)", shown(&entry.session))?,
    }
    let lines = log.stderr(&entry.session)?;
    if stderr {
        let count = count_lines(lines.len());
        writeln!(out, "server stderr in this session ({count})")?;
        for (at, line) in &lines {
            writeln!(out, "  {}  {}", shown(&time::short(at)), shown(line))?;
        }
    } else if !lines.is_empty() {
        let note = format!(
            "{} captured; `portcullis logs show {id} --stderr` prints them",
            count_lines(lines.len())
        );
        field(&mut out, "stderr", &note)?;
    }
    out.flush()?;
    Ok(0)
}

fn write_entry(out: &mut impl Write, e: &Entry) -> io::Result<()> {
    writeln!(out, "record {}", e.id)?;
    let direction = match e.direction.as_str() {
        "to_server" => "→ to the server".to_owned(),
        "to_client" => "← to the client".to_owned(),
        other => shown(other),
    };
    let verdict = verdict_style(&e.verdict);
    let fields = [
        ("time", shown(&time::long(&e.at))),
        ("session", shown(&e.session)),
        ("server", shown(&e.server)),
        ("server key", shown(&e.server_key)),
        ("client", optional(&e.client)),
        ("direction", direction),
        ("kind", shown(&e.kind)),
        ("method", shown(&e.method)),
        ("target", optional(&e.target)),
        ("rpc id", optional(&e.rpc_id)),
        (
            "verdict",
            format!("{verdict}{}{verdict:#}", shown(&e.verdict)),
        ),
        ("outcome", optional(&e.outcome)),
        (
            "rule",
            e.rule.as_deref().map_or("- (the default)".into(), shown),
        ),
        ("reason", shown(&e.reason)),
    ];
    for (label, value) in fields {
        field(out, label, &value)?;
    }
    list(out, "evidence", e.evidence.iter().map(|item| shown(item)))?;
    field(out, "summary", &optional(&e.summary))?;
    let secrets = e
        .secrets
        .iter()
        .map(|s| format!("{}  tag {}", shown(&s.kind), shown(&s.tag)));
    list(out, "secrets", secrets)?;
    field(out, "bytes", &e.bytes.to_string())?;
    field(out, "added", &format!("{} µs", e.added_us))?;
    field(out, "hash", &shown(&e.hash))
}

fn write_session(out: &mut impl Write, s: &SessionRecord) -> io::Result<()> {
    writeln!(out, "session {}", shown(&s.id))?;
    let command: Vec<String> = s.command.iter().map(|arg| quoted(arg)).collect();
    let ended = s.ended_at.as_deref().map_or_else(
        || "- (still running, or stopped without saying)".to_owned(),
        |at| shown(&time::long(at)),
    );
    let fields = [
        ("command", command.join(" ")),
        ("server", shown(&s.server)),
        ("client", optional(&s.client)),
        ("pid", s.pid.to_string()),
        ("started", shown(&time::long(&s.started_at))),
        ("ended", ended),
        ("portcullis", shown(&s.version)),
    ];
    for (label, value) in fields {
        field(out, label, &value)?;
    }
    if s.dropped > 0 {
        let text = format!("{} allowed records, while the writer was behind", s.dropped);
        field(out, "dropped", &text)?;
    }
    if s.unwritten > 0 {
        let text = format!("{} records, while the store was unavailable", s.unwritten);
        field(out, "unwritten", &text)?;
    }
    Ok(())
}

/// `label` and `value` (escaped already) on one line.
fn field(out: &mut impl Write, label: &str, value: &str) -> io::Result<()> {
    writeln!(out, "  {label:<LABEL$}{value}")
}

/// `label`, then each item (escaped already) on a line of its own; `-` when there are none.
fn list(out: &mut impl Write, label: &str, items: impl Iterator<Item = String>) -> io::Result<()> {
    let mut items = items.peekable();
    if items.peek().is_none() {
        return field(out, label, "-");
    }
    writeln!(out, "  {label}")?;
    for item in items {
        writeln!(out, "    - {item}")?;
    }
    Ok(())
}

fn count_lines(n: usize) -> String {
    match n {
        1 => "1 line".into(),
        n => format!("{n} lines"),
    }
}

/// `text` escaped, owned.
fn shown(text: &str) -> String {
    visible(text).into_owned()
}

/// `text` escaped, or `-`.
fn optional(text: &Option<String>) -> String {
    text.as_deref().map_or("-".into(), shown)
}

/// A command argument as a shell would need it: quoted when it holds spaces or quotes, or is
/// empty.
fn quoted(arg: &str) -> String {
    let arg = shown(arg);
    if arg.is_empty() || arg.contains([' ', '\'', '"']) {
        format!("'{}'", arg.replace('\'', r"'\''"))
    } else {
        arg
    }
}
