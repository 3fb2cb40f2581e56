//! The text the phrase engine reads: the original with hidden characters removed (so that
//! `ig<U+200B>nore` reads `ignore`) and full-width ASCII folded (`ｉｇｎｏｒｅ` reads `ignore`), with
//! a map back to the original's byte offsets, because findings are reported in the original.
//!
//! Ordinary text has neither, and then the view borrows the original and the map is the identity:
//! the cost is one [`hidden::find`] pass and one byte search.

use std::borrow::Cow;
use std::ops::Range;

use crate::detect::hidden::{self, HiddenSpan};

/// `text` as the phrase engine reads it, and the way back to `text`'s offsets.
pub(super) struct Folded<'t> {
    text: Cow<'t, str>,
    /// The hidden stretches removed from the original.
    hidden: Vec<HiddenSpan>,
    /// Where each stretch of the folded text comes from, sorted; empty for the identity.
    pieces: Vec<Piece>,
}

/// A stretch of the folded text starting at `folded`, taken from the original at `original`:
/// byte for byte (`width: None`) up to the next piece, or one folded full-width character of
/// `width` original bytes.
#[derive(Debug, Clone, Copy)]
struct Piece {
    folded: usize,
    original: usize,
    width: Option<usize>,
}

impl<'t> Folded<'t> {
    /// The folded view of `text`.
    pub(super) fn new(text: &'t str) -> Self {
        let hidden = hidden::find(text);
        let widened = full_width_chars(text);
        if hidden.is_empty() && widened.is_empty() {
            return Folded {
                text: Cow::Borrowed(text),
                hidden,
                pieces: Vec::new(),
            };
        }
        let mut edits: Vec<(Range<usize>, Option<char>)> = hidden
            .iter()
            .map(|span| (span.start..span.end, None))
            .chain(widened.into_iter().map(|(at, c)| (at..at + 3, Some(c))))
            .collect();
        edits.sort_by_key(|(range, _)| range.start);
        let mut folded = String::with_capacity(text.len());
        let mut pieces = Vec::with_capacity(2 * edits.len() + 1);
        let mut at = 0;
        for (range, replacement) in edits {
            if at < range.start {
                pieces.push(Piece {
                    folded: folded.len(),
                    original: at,
                    width: None,
                });
                folded.push_str(&text[at..range.start]);
            }
            if let Some(c) = replacement {
                pieces.push(Piece {
                    folded: folded.len(),
                    original: range.start,
                    width: Some(range.len()),
                });
                folded.push(c);
            }
            at = range.end;
        }
        pieces.push(Piece {
            folded: folded.len(),
            original: at,
            width: None,
        });
        folded.push_str(&text[at..]);
        Folded {
            text: Cow::Owned(folded),
            hidden,
            pieces,
        }
    }

    /// The folded text.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The hidden stretches of the original text, as [`hidden::find`] reports them.
    pub(super) fn hidden(&self) -> &[HiddenSpan] {
        &self.hidden
    }

    /// The original byte range of the folded range `range`.
    pub(super) fn original(&self, range: Range<usize>) -> Range<usize> {
        if self.pieces.is_empty() {
            return range;
        }
        let start = self.original_start(range.start);
        if range.is_empty() {
            return start..start;
        }
        let last = self.piece_at(range.end - 1);
        let end = match last.width {
            Some(width) => last.original + width,
            None => last.original + (range.end - last.folded),
        };
        start..end
    }

    /// The original offset of folded offset `at`, taken as the start of a range.
    fn original_start(&self, at: usize) -> usize {
        if self.pieces.is_empty() {
            return at;
        }
        let piece = self.piece_at(at);
        match piece.width {
            Some(_) => piece.original,
            None => piece.original + (at - piece.folded),
        }
    }

    /// The piece holding folded byte `at`.
    fn piece_at(&self, at: usize) -> Piece {
        let index = self.pieces.partition_point(|p| p.folded <= at);
        self.pieces[index.saturating_sub(1)]
    }
}

/// The full-width forms of ASCII (U+FF01–U+FF5E) in `text`, by byte offset, with the ASCII
/// character each stands for. In UTF-8 they are `EF BC 81`–`EF BD 9E`; 0xEF is rare in ordinary
/// text, so a vectorized byte search finds the candidates.
fn full_width_chars(text: &str) -> Vec<(usize, char)> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(0xEF, bytes)
        .filter_map(|at| {
            let code = match bytes.get(at + 1..at + 3)? {
                [0xBC, low @ 0x81..=0xBF] => 0xFF00 + u32::from(low - 0x80),
                [0xBD, low @ 0x80..=0x9E] => 0xFF40 + u32::from(low - 0x80),
                _ => return None,
            };
            Some((at, char::from((code - 0xFF01 + 0x21) as u8)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_borrowed_as_is() {
        let folded = Folded::new("Ignore case, see the previous page.");
        assert!(matches!(folded.text, Cow::Borrowed(_)));
        assert_eq!(folded.original(7..11), 7..11);
    }

    #[test]
    fn hidden_characters_are_removed_and_offsets_map_back() {
        let text = "say ig\u{200B}no\u{200B}re it";
        let folded = Folded::new(text);
        assert_eq!(folded.text(), "say ignore it");
        let at = folded.text().find("ignore").unwrap();
        let original = folded.original(at..at + "ignore".len());
        assert_eq!(&text[original], "ig\u{200B}no\u{200B}re");
    }

    #[test]
    fn full_width_letters_fold_to_ascii() {
        let text = "x \u{FF29}\u{FF27}\u{FF2E}\u{FF2F}\u{FF32}\u{FF25} y";
        let folded = Folded::new(text);
        assert_eq!(folded.text(), "x IGNORE y");
        assert_eq!(&text[folded.original(2..8)], &text[2..text.len() - 2]);
        assert_eq!(folded.original(9..10), text.len() - 1..text.len());
    }
}
