//! Text aimed at the model: hidden instructions in tool, prompt and resource-template definitions
//! ([`poisoning`]) and prompt injection in tool results and resource contents ([`injection`]).
//!
//! Both detectors read text through one phrase engine, so a phrase is written once and both
//! consumers agree on what it means:
//! - [`folded`]: the text as the engine reads it, without hidden characters (zero-width, tags,
//!   bidi controls, terminal escapes, found by [`hidden`](crate::detect::hidden)) and with
//!   full-width letters folded to ASCII, so `ig<U+200B>nore` and `ｉｇｎｏｒｅ` read `ignore`;
//!   findings are mapped back to the original text's offsets.
//! - [`phrases`]: the phrases, each a [`Signal`](phrases::Signal) (an override, a concealment, a
//!   fake turn, …), and the matcher: an Aho-Corasick pass over anchor words, then the phrase's
//!   regex in a bounded window around each anchor.
//!
//! The detectors differ in what they make of a signal. In a definition every sentence is aimed at
//! the model, so [`poisoning`] weighs signals and needs strong ones; in a result nothing should be,
//! so [`injection`] reports every phrase that gives the model orders.

mod fields;
mod folded;
pub mod injection;
mod phrases;
pub mod poisoning;
mod sanitize;

use std::ops::Range;

use crate::detect::hidden::{self, HiddenKind};
use crate::text::{ceil_boundary, floor_boundary};

/// Longest evidence, in characters: enough to recognize the phrase in a log line.
const EVIDENCE_CHARS: usize = 120;

/// The sentence holding `span` of `text`: from after the previous sentence end (`.`, `!` or `?`
/// before whitespace, or a line break) through the next one, the line break excluded; at most
/// [`SENTENCE_REACH`] bytes either way, so that text without punctuation costs little.
fn sentence(text: &str, span: &Range<usize>) -> Range<usize> {
    let low = floor_boundary(text, span.start.saturating_sub(SENTENCE_REACH));
    let high = ceil_boundary(text, span.end + SENTENCE_REACH);
    let bytes = text.as_bytes();
    let ends = |at: usize| {
        bytes[at] == b'\n'
            || (matches!(bytes[at], b'.' | b'!' | b'?')
                && bytes.get(at + 1).is_none_or(|b| b.is_ascii_whitespace()))
    };
    let start = (low..span.start)
        .rev()
        .find(|&at| ends(at))
        .map_or(low, |at| at + 1);
    let end = (span.end..high)
        .find(|&at| ends(at))
        .map_or(high, |at| if bytes[at] == b'\n' { at } else { at + 1 });
    start..end
}

/// Longest reach of [`sentence`] on either side of its span.
const SENTENCE_REACH: usize = 1000;

/// `text[range]` as a person can read it in a log: hidden characters written out, whitespace runs
/// collapsed, cut at [`EVIDENCE_CHARS`].
fn excerpt(text: &str, range: Range<usize>) -> String {
    let shown = visible(&text[range]);
    match shown.char_indices().nth(EVIDENCE_CHARS) {
        Some((cut, _)) => format!("{}…", &shown[..cut]),
        None => shown,
    }
}

/// `text` with its hidden characters made visible: tag characters as the text they spell,
/// terminal escapes with `\e` for ESC, other invisible characters as `<U+XXXX>` (a run of one
/// character once, with its count); whitespace runs become one space.
fn visible(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut at = 0;
    for span in hidden::find(text) {
        push_collapsed(&mut shown, &text[at..span.start]);
        push_hidden(&mut shown, span.kind, &text[span.start..span.end]);
        at = span.end;
    }
    push_collapsed(&mut shown, &text[at..]);
    shown.trim().to_string()
}

/// Appends `text` with each whitespace run as one space.
fn push_collapsed(out: &mut String, text: &str) {
    for (i, word) in text.split(char::is_whitespace).enumerate() {
        if i > 0 && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Appends a hidden stretch of `kind`, written out.
fn push_hidden(out: &mut String, kind: HiddenKind, text: &str) {
    match kind {
        HiddenKind::TagCharacter => {
            let spelled = hidden::decode_tags(text).unwrap_or_default();
            out.push_str(&format!("[hidden text: {spelled:?}]"));
        }
        HiddenKind::AnsiEscape => {
            for c in text.chars() {
                match c {
                    '\u{1B}' => out.push_str("\\e"),
                    c if c.is_control() => out.push_str(&format!("<U+{:04X}>", u32::from(c))),
                    c => out.push(c),
                }
            }
        }
        _ => {
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                let mut count = 1;
                while chars.next_if_eq(&c).is_some() {
                    count += 1;
                }
                out.push_str(&format!("<U+{:04X}>", u32::from(c)));
                if count > 1 {
                    out.push_str(&format!("×{count}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_writes_out_what_is_invisible() {
        let tags: String = "hi"
            .chars()
            .map(|c| char::from_u32(0xE0000 + u32::from(c)).unwrap())
            .collect();
        assert_eq!(visible(&format!("a{tags}b")), "a[hidden text: \"hi\"]b");
        assert_eq!(visible("x\u{200E}\u{200E}\u{200E} y"), "x<U+200E>×3 y");
        assert_eq!(visible("\u{1B}[8msecret\u{1B}[0m"), "\\e[8msecret\\e[0m");
        assert_eq!(visible("  many\n\n   spaces "), "many spaces");
    }

    #[test]
    fn long_evidence_is_cut() {
        let long = "word ".repeat(100);
        let shown = excerpt(&long, 0..long.len());
        assert_eq!(shown.chars().count(), EVIDENCE_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
