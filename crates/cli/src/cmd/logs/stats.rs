//! `portcullis logs stats`: how many records, and the most frequent verdicts, servers, tools and
//! rules among them.

use std::cmp::Reverse;
use std::io::Write;

use portcullis_store::audit::{AuditLog, Filter, Stats};

use super::table::{cut, verdict_style, width};
use crate::escape::visible;
use portcullis_store::audit::time;

/// Rows shown per section; the rest are counted in one line.
const TOP: usize = 10;

/// Names longer than this are cut, so that one long URI does not push every count off screen.
const MAX_NAME: usize = 48;

/// Prints the counts over `filter`'s records; `window` says which period they cover.
pub fn stats(log: &AuditLog, filter: &Filter, window: &str) -> anyhow::Result<u8> {
    let stats = log.stats(filter)?;
    let mut out = anstream::stdout().lock();
    if stats.total == 0 {
        writeln!(out, "no records match ({window})")?;
        return Ok(0);
    }
    let span = match (&stats.first, &stats.last) {
        (Some(first), Some(last)) => format!(
            ", {} to {}",
            visible(&time::short(first)),
            visible(&time::short(last))
        ),
        _ => String::new(),
    };
    writeln!(out, "{} records{span} ({window})", stats.total)?;
    let sections = sections(&stats);
    let name_width = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().take(TOP))
        .map(|(name, _)| width(name))
        .max()
        .unwrap_or(0);
    let count_width = stats.total.to_string().len();
    for (title, rows) in &sections {
        writeln!(out, "\n{title}")?;
        for (name, count) in rows.iter().take(TOP) {
            let style = match *title {
                "verdict" => verdict_style(name),
                _ => anstyle::Style::new(),
            };
            let pad = name_width - width(name);
            let share = *count as f64 * 100.0 / stats.total as f64;
            writeln!(
                out,
                "  {style}{name}{style:#}{:pad$}  {count:>count_width$}  {share:5.1}%",
                ""
            )?;
        }
        if rows.len() > TOP {
            let rest: u64 = rows[TOP..].iter().map(|(_, n)| n).sum();
            let others = rows.len() - TOP;
            writeln!(out, "  … {others} more, {rest} records")?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// The sections in print order, names escaped and cut; records without a tool or rule counted
/// under a name of their own, so each section adds up to the total.
fn sections(stats: &Stats) -> [(&'static str, Vec<(String, u64)>); 4] {
    let rows = |counts: &[(String, u64)], without: Option<&str>| {
        let mut rows: Vec<(String, u64)> = counts
            .iter()
            .map(|(name, n)| (cut(&visible(name), MAX_NAME), *n))
            .collect();
        let counted: u64 = counts.iter().map(|(_, n)| n).sum();
        if let Some(label) = without.filter(|_| counted < stats.total) {
            rows.push((label.to_owned(), stats.total - counted));
            rows.sort_by_key(|(_, n)| Reverse(*n));
        }
        rows
    };
    [
        ("verdict", rows(&stats.by_verdict, None)),
        ("server", rows(&stats.by_server, None)),
        ("tool", rows(&stats.by_tool, Some("- (no tool)"))),
        ("rule", rows(&stats.by_rule, Some("- (the default)"))),
    ]
}
