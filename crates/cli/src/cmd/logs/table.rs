//! The listing: one aligned row per record, cut to fit the terminal, verdicts in colour.
//!
//! Every cell is escaped: a record holds what a server or client sent, and must not move the
//! cursor, recolour the terminal or fake rows. Colour goes through `anstream`, which drops it
//! when stdout is not a terminal or `NO_COLOR` is set.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use portcullis_store::audit::Entry;

use crate::escape::visible;
use portcullis_store::audit::time;

const COLUMNS: usize = 9;

const HEADERS: [&str; COLUMNS] = [
    "ID", "TIME", "SERVER", "", "METHOD", "TARGET", "VERDICT", "RULE", "REASON",
];

const VERDICT: usize = 6;

/// The narrowest each column gives way to before a narrow terminal cuts the row's end; `None`
/// for the columns that keep their width (ids, times, arrows and verdicts are read whole).
const MIN_WIDTH: [Option<usize>; COLUMNS] = [
    None,
    None,
    Some(6),
    None,
    Some(6),
    Some(8),
    None,
    Some(6),
    Some(12),
];

const GAP: usize = 2;

/// The terminal width when none can be read from the terminal or `COLUMNS`.
const DEFAULT_WIDTH: usize = 80;

/// The columns' widths, grown as rows come (a `--follow` stream widens them when it must).
pub struct Table {
    widths: [usize; COLUMNS],
    /// The terminal's width; `None` when stdout is not a terminal, where nothing is cut.
    limit: Option<usize>,
    header_written: bool,
}

impl Table {
    pub fn new(limit: Option<usize>) -> Self {
        Table {
            widths: HEADERS.map(width),
            limit,
            header_written: false,
        }
    }

    /// The width rows must fit in: stdout's terminal's, or none when stdout is not a terminal.
    pub fn for_stdout() -> Self {
        let limit = io::stdout().is_terminal().then(|| {
            terminal_size::terminal_size()
                .map(|(terminal_size::Width(w), _)| usize::from(w))
                .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
                .unwrap_or(DEFAULT_WIDTH)
        });
        Table::new(limit)
    }

    /// Writes `entries` as rows, after the header the first time.
    pub fn write(&mut self, out: &mut impl Write, entries: &[Entry]) -> io::Result<()> {
        let rows: Vec<[String; COLUMNS]> = entries.iter().map(cells).collect();
        for row in &rows {
            for (column, cell) in self.widths.iter_mut().zip(row) {
                *column = (*column).max(width(cell));
            }
        }
        let widths = self.limit.map_or(self.widths, |l| fit(self.widths, l));
        if !self.header_written {
            let header = HEADERS.map(String::from);
            let bold = Style::new().bold();
            writeln!(out, "{}", self.line(&header, &widths, |_| bold))?;
            self.header_written = true;
        }
        for row in &rows {
            let verdict = verdict_style(&row[VERDICT]);
            let style = |column| match column {
                VERDICT => verdict,
                _ => Style::new(),
            };
            writeln!(out, "{}", self.line(row, &widths, style))?;
        }
        Ok(())
    }

    /// One row: each cell cut to its column and padded, the whole cut to the terminal's width.
    fn line(
        &self,
        cells: &[String; COLUMNS],
        widths: &[usize; COLUMNS],
        style: impl Fn(usize) -> Style,
    ) -> String {
        let mut line = String::new();
        let mut room = self.limit.unwrap_or(usize::MAX);
        for (column, cell) in cells.iter().enumerate() {
            let gap = if column == 0 { 0 } else { GAP };
            if room <= gap {
                break;
            }
            room -= gap;
            let width = widths[column].min(room);
            let text = cut(cell, width);
            let pad = width - self::width(&text);
            let style = style(column);
            let _ = write!(line, "{:gap$}{style}{text}{style:#}{:pad$}", "", "");
            room -= width;
        }
        line.trim_end().to_owned()
    }
}

/// A record's cells, escaped.
fn cells(entry: &Entry) -> [String; COLUMNS] {
    let optional = |text: &Option<String>| {
        text.as_deref()
            .map_or("-".into(), |t| visible(t).into_owned())
    };
    let arrow = match entry.direction.as_str() {
        "to_server" => "→".to_owned(),
        "to_client" => "←".to_owned(),
        other => visible(other).into_owned(),
    };
    [
        entry.id.to_string(),
        visible(&time::short(&entry.at)).into_owned(),
        visible(&entry.server).into_owned(),
        arrow,
        visible(&entry.method).into_owned(),
        optional(&entry.target),
        visible(&entry.verdict).into_owned(),
        optional(&entry.rule),
        visible(&entry.reason).into_owned(),
    ]
}

/// The colour of a verdict: refusals red, held or warned yellow, changed magenta, noted cyan.
pub fn verdict_style(verdict: &str) -> Style {
    let color = match verdict {
        "deny" | "quarantine" => AnsiColor::Red,
        "ask" | "warn" => AnsiColor::Yellow,
        "redact" => AnsiColor::Magenta,
        "log" => AnsiColor::Cyan,
        "allow" => AnsiColor::Green,
        _ => return Style::new(),
    };
    color.on_default()
}

/// The widths to use in `limit` columns: the widest cells that give way are narrowed, all to the
/// same width (none below its minimum), until the row fits or none can give more.
fn fit(natural: [usize; COLUMNS], limit: usize) -> [usize; COLUMNS] {
    let capped = |cap: usize| {
        let mut widths = natural;
        for (width, min) in widths.iter_mut().zip(MIN_WIDTH) {
            if let Some(min) = min {
                *width = (*width).min(cap.max(min));
            }
        }
        widths
    };
    let total = |widths: &[usize; COLUMNS]| widths.iter().sum::<usize>() + GAP * (COLUMNS - 1);
    if total(&natural) <= limit {
        return natural;
    }
    // The largest cap that fits; with none, every column that gives way is at its minimum.
    let (mut low, mut high) = (0, natural.iter().copied().max().unwrap_or(0));
    while low < high {
        let mid = (low + high).div_ceil(2);
        if total(&capped(mid)) <= limit {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let mut widths = capped(low);
    // What the cap leaves over goes to the reason, the column most worth reading.
    let spare = limit.saturating_sub(total(&widths));
    let reason = COLUMNS - 1;
    widths[reason] = (widths[reason] + spare).min(natural[reason]);
    widths
}

/// `text` in at most `width` characters; a cut shows as `…`.
pub fn cut(text: &str, width: usize) -> String {
    if self::width(text) <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// Characters, taken as one terminal cell each.
pub fn width(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, reason: &str) -> Entry {
        Entry {
            id,
            at: "2026-11-22T01:02:03.000Z".into(),
            session: "s".into(),
            server: "files".into(),
            server_key: "k".into(),
            client: None,
            direction: "to_server".into(),
            kind: "request".into(),
            method: "tools/call".into(),
            target: Some("read_file".into()),
            rpc_id: None,
            verdict: "deny".into(),
            outcome: None,
            rule: Some("no-ssh".into()),
            reason: reason.into(),
            evidence: vec![],
            summary: None,
            secrets: vec![],
            bytes: 1,
            added_us: 1,
            hash: String::new(),
        }
    }

    fn render(limit: Option<usize>, entries: &[Entry]) -> String {
        let mut out = Vec::new();
        Table::new(limit).write(&mut out, entries).unwrap();
        // As `anstream` prints it where colour is off.
        anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string()
    }

    #[test]
    fn rows_align_under_the_header() {
        let out = render(None, &[entry(9, "short"), entry(10, "a longer reason")]);
        let lines: Vec<&str> = out.lines().collect();
        let column = |line: &str, word: &str| width(&line[..line.find(word).unwrap()]);
        assert_eq!(column(lines[0], "VERDICT"), column(lines[1], "deny"));
        assert_eq!(column(lines[1], "deny"), column(lines[2], "deny"));
        assert!(lines[1].starts_with("9   "), "{out}");
        assert!(lines[2].ends_with("no-ssh  a longer reason"), "{out}");
    }

    #[test]
    fn without_a_terminal_nothing_is_cut() {
        let reason = "why ".repeat(100);
        let out = render(None, &[entry(1, &reason)]);
        assert!(out.contains(reason.trim_end()), "{out}");
    }

    #[test]
    fn rows_fit_the_terminal() {
        let mut long = entry(1, &"why ".repeat(100));
        long.target = Some("t".repeat(60));
        for limit in [40, 80, 120, 200] {
            let out = render(Some(limit), &[long.clone(), entry(2, "short")]);
            for line in out.lines() {
                assert!(width(line) <= limit, "{limit}: {line}");
            }
        }
        let out = render(Some(100), std::slice::from_ref(&long));
        let row = out.lines().nth(1).unwrap();
        assert_eq!(width(row), 100, "the reason takes the room left: {row}");
        assert!(row.ends_with('…') && row.contains("deny"), "{row}");
    }

    #[test]
    fn cells_cannot_move_the_cursor_or_fake_rows() {
        let out = render(None, &[entry(1, "ok\r\n2  fake\u{1b}[2J")]);
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(out.contains("ok\\u{d}\\u{a}2  fake\\u{1b}[2J"), "{out}");
    }

    #[test]
    fn cut_marks_what_it_removes() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abc", 0), "");
        assert_eq!(cut("ééé", 2), "é…");
    }
}
