//! Removing what poisons a string while keeping the rest readable: a definition whose description
//! says "Adds two numbers. <IMPORTANT>…</IMPORTANT>" can stay usable as "Adds two numbers.".
//!
//! What goes, per finding:
//! - a marker that opens a block (`<IMPORTANT>`, `<|im_start|>`, `[INST]`, `<!--`): the block to
//!   its closing marker, or to the end of the paragraph when there is none;
//! - invisible text and terminal escapes: the characters themselves (and every other hidden
//!   character is stripped too);
//! - any other phrase: the sentence that holds it;
//! - an abnormal length: nothing by itself (the padding collapses with the whitespace tidy-up).
//!
//! Whitespace left behind is tidied: trailing spaces dropped, runs of blank lines cut to one.

use std::ops::Range;

use super::poisoning::{PoisonCategory, PoisonFinding};
use super::sentence;
use crate::detect::hidden;

/// `text` without the blocks, sentences and hidden characters that `findings` (findings in this
/// very string) point at.
pub fn sanitize_text(text: &str, findings: &[&PoisonFinding]) -> String {
    let mut cuts: Vec<Range<usize>> = findings
        .iter()
        .filter(|f| {
            f.end <= text.len() && text.is_char_boundary(f.start) && text.is_char_boundary(f.end)
        })
        .filter_map(|f| cut(text, f))
        .collect();
    cuts.sort_by_key(|range| range.start);
    let mut kept = String::with_capacity(text.len());
    let mut at = 0;
    for range in cuts {
        if range.start > at {
            kept.push_str(&text[at..range.start]);
        }
        at = at.max(range.end);
    }
    kept.push_str(&text[at..]);
    tidy(&hidden::strip(&kept))
}

/// What to remove for `finding`.
fn cut(text: &str, finding: &PoisonFinding) -> Option<Range<usize>> {
    let span = finding.start..finding.end;
    match finding.category {
        PoisonCategory::AbnormalLength => None,
        PoisonCategory::InvisibleText | PoisonCategory::TerminalEscape => Some(span),
        PoisonCategory::HiddenMarker => {
            Some(block(text, &span).unwrap_or_else(|| sentence(text, &span)))
        }
        _ => Some(sentence(text, &span)),
    }
}

/// Markers that open a block, and what closes it. `<NAME …>` tags close with `</NAME>`.
const BLOCKS: &[(&str, &str)] = &[
    ("<!--", "-->"),
    ("<|im_start|>", "<|im_end|>"),
    ("[inst]", "[/inst]"),
    ("<<sys>>", "<</sys>>"),
    ("<start_of_turn>", "<end_of_turn>"),
];

/// The block that the marker at `span` opens, through its closing marker or to the end of the
/// paragraph; `None` when the marker opens nothing (a closing tag, a note, shouting).
fn block(text: &str, span: &Range<usize>) -> Option<Range<usize>> {
    let marker = text[span.clone()].to_ascii_lowercase();
    let closer = match BLOCKS.iter().find(|(open, _)| marker.starts_with(open)) {
        Some((_, close)) => (*close).to_string(),
        None => {
            let name: String = marker
                .strip_prefix('<')
                .filter(|rest| !rest.starts_with(['/', '|', '<']))?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                .collect();
            if name.is_empty() || !marker.ends_with('>') {
                return None;
            }
            format!("</{name}>")
        }
    };
    let rest = text[span.end..].to_ascii_lowercase();
    let end = match rest.find(&closer) {
        Some(at) => span.end + at + closer.len(),
        None => rest.find("\n\n").map_or(text.len(), |at| span.end + at),
    };
    Some(span.start..end)
}

/// `text` with trailing spaces removed from each line, runs of blank lines cut to one, runs of
/// spaces inside a line cut to one, and no leading or trailing blank space.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = squeeze_spaces(line.trim_end());
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.trim().to_string()
}

/// `line` with runs of spaces after its indentation cut to one.
fn squeeze_spaces(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let mut out = String::from(indent);
    for (i, word) in body.split(' ').filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
