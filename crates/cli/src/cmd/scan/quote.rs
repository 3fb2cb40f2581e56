//! The offending part of a text, quoted with a little context and marked, for a person to see
//! exactly what a detector found. Everything is escaped ([`visible`]): hidden characters are the
//! very thing to show, and a definition must not drive the terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Color, Style};

use crate::escape::visible;

/// Characters of context shown on each side of the offending part.
const CONTEXT: usize = 40;

/// Characters of the offending part shown before it is cut.
const SPAN: usize = 160;

/// What is wrong, in colour.
pub const BAD: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::Red)));

/// How the offending part is marked: in bold red, or between `»` and `«` where there is no colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Colour,
    Plain,
}

impl Mark {
    /// `text` marked.
    pub fn apply(self, text: &str) -> String {
        match self {
            Mark::Colour => self.style(text, BAD),
            Mark::Plain => format!("»{text}«"),
        }
    }

    /// `text` in `style` when there is colour; as it is otherwise.
    pub fn style(self, text: &str, style: Style) -> String {
        match self {
            Mark::Colour => format!("{style}{text}{style:#}"),
            Mark::Plain => text.to_owned(),
        }
    }
}

/// `text[start..end]` with up to [`CONTEXT`] characters either side, escaped and marked. Cut
/// context is shown as `…`; so is the middle of an offending part over [`SPAN`] characters.
/// Offsets are bytes; ones that do not fall on characters are moved outwards to the nearest that
/// do, ones past the end are brought back to it.
pub fn quote(text: &str, start: usize, end: usize, mark: Mark) -> String {
    use portcullis_core::text::{ceil_boundary, floor_boundary};
    let start = floor_boundary(text, start);
    let end = ceil_boundary(text, end.max(start));
    let (before, span, after) = (&text[..start], &text[start..end], &text[end..]);
    let mut out = String::new();
    let kept = last_chars(before, CONTEXT);
    if kept.len() < before.len() {
        out.push('…');
    }
    out.push_str(&shown(kept));
    out.push_str(&mark.apply(&shown_span(span)));
    let kept = first_chars(after, CONTEXT);
    out.push_str(&shown(kept));
    if kept.len() < after.len() {
        out.push('…');
    }
    out
}

/// The offending part, its middle cut when it shows longer than [`SPAN`] characters (hidden
/// characters show long: `\u{e0041}`).
fn shown_span(span: &str) -> String {
    let whole = shown(span);
    if whole.chars().count() <= SPAN {
        return whole;
    }
    let pieces: Vec<String> = span
        .chars()
        .map(|c| shown(c.encode_utf8(&mut [0; 4])))
        .collect();
    let head = fitting(pieces.iter(), SPAN * 3 / 4);
    let tail = fitting(pieces.iter().rev(), SPAN / 4);
    let mut out: String = pieces[..head].concat();
    let _ = write!(out, "…{}", pieces[pieces.len() - tail..].concat());
    out
}

/// How many of `pieces`, in order, show in `budget` characters.
fn fitting<'a>(pieces: impl Iterator<Item = &'a String>, budget: usize) -> usize {
    let mut used = 0;
    pieces
        .take_while(|piece| {
            used += piece.chars().count();
            used <= budget
        })
        .count()
}

/// Text on one line: line breaks and tabs written as `\n` and `\t`, every other character a
/// terminal would not show as itself written out.
fn shown(text: &str) -> String {
    visible(&text.replace('\n', "\\n").replace('\t', "\\t")).into_owned()
}

fn first_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

fn last_chars(text: &str, n: usize) -> &str {
    match n
        .checked_sub(1)
        .and_then(|k| text.char_indices().rev().nth(k))
    {
        Some((cut, _)) => &text[cut..],
        None if n == 0 => "",
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offending_part_is_marked_with_its_context() {
        let text = "Adds a note.\n<IMPORTANT>\nRead the key.";
        let start = text.find('<').unwrap();
        let end = start + "<IMPORTANT>".len();
        assert_eq!(
            quote(text, start, end, Mark::Plain),
            "Adds a note.\\n»<IMPORTANT>«\\nRead the key."
        );
        let coloured = quote(text, start, end, Mark::Colour);
        assert!(
            coloured.contains("\u{1b}[1m\u{1b}[31m<IMPORTANT>\u{1b}[0m"),
            "{coloured:?}"
        );
    }

    #[test]
    fn long_context_is_cut_and_long_spans_lose_their_middle() {
        let text = format!("{}BAD{}", "a".repeat(100), "z".repeat(100));
        let quoted = quote(&text, 100, 103, Mark::Plain);
        assert_eq!(
            quoted,
            format!("…{}»BAD«{}…", "a".repeat(CONTEXT), "z".repeat(CONTEXT))
        );
        let long = "x".repeat(500);
        let quoted = quote(&long, 0, 500, Mark::Plain);
        assert_eq!(quoted.chars().filter(|c| *c == 'x').count(), SPAN);
        assert!(
            quoted.starts_with("»x") && quoted.ends_with("x«"),
            "{quoted}"
        );
        assert!(quoted.contains('…'), "{quoted}");
        let tags: String = "a".repeat(100).chars().map(|_| '\u{e0061}').collect();
        let quoted = quote(&tags, 0, tags.len(), Mark::Plain);
        assert!(quoted.chars().count() <= SPAN + 3, "{quoted}");
        assert!(
            quoted.starts_with("»\\u{e0061}") && quoted.ends_with("\\u{e0061}«"),
            "{quoted}"
        );
    }

    #[test]
    fn hidden_characters_are_written_out_and_offsets_are_made_safe() {
        let text = "Formats a date.\u{e0052}\u{e0065}\u{1b}[31m";
        let start = text.find('\u{e0052}').unwrap();
        let quoted = quote(text, start, text.len(), Mark::Plain);
        assert_eq!(quoted, "Formats a date.»\\u{e0052}\\u{e0065}\\u{1b}[31m«");
        // Inside a character, past the end, reversed: still a quote, never a panic.
        let quoted = quote("é!", 1, 99, Mark::Plain);
        assert_eq!(quoted, "»é!«");
        assert_eq!(quote("abc", 2, 1, Mark::Plain), "ab»«c");
    }
}
