//! Hidden text: characters a person does not see but an AI model reads. A tool description that
//! hides instructions in them is poisoned, and a tool result that carries them can steer the model
//! behind the user's back, so [`find`] reports them and [`strip`] removes them.
//!
//! What counts, by [`HiddenKind`]:
//! - **Tag characters**, U+E0000–U+E007F: invisible copies of ASCII (U+E0041 is an invisible
//!   `A`), the classic carrier of hidden prompts; [`decode_tags`] reads the message back. The one
//!   legitimate use is kept: an emoji subdivision flag (🏴 U+1F3F4, then 3 to 7 tag letters or
//!   digits, then U+E007F CANCEL TAG, as in the flags of England, Scotland and Wales). The bound
//!   keeps a flag from carrying more than a 7-letter lower-case word.
//! - **Zero-width and invisible formatting characters**: U+200B, U+2060–U+2064 (word joiner,
//!   invisible operators), U+FEFF (a byte-order mark, also at the start: a transport has no
//!   reason to pass one on), U+180E, U+00AD soft hyphen, U+034F, the Hangul fillers U+115F,
//!   U+1160, U+3164 and U+FFA0 (the "invisible identifier" characters), and the other
//!   default-ignorable code points that render as nothing: U+17B4–U+17B5, U+2065,
//!   U+206A–U+206F, U+FFF0–U+FFF8, U+1BCA0–U+1BCA3, U+1D173–U+1D17A and the unassigned rest of
//!   U+E0000–U+E0FFF. U+2800 (braille blank) is left alone: it takes up visible space.
//!   Three of them have legitimate uses and are kept in their place (see [`chars`]):
//!   - a variation selector (U+FE00–U+FE0F, U+E0100–U+E01EF, the Mongolian U+180B–U+180D and
//!     U+180F), alone after a character it can modify: `❤` + U+FE0F is the red-heart emoji. A
//!     run of two or more is hidden wherever it is: one selector per byte is a known way to
//!     smuggle data behind a single visible character.
//!   - U+200D zero-width joiner between two pictographs: the family emoji 👨‍👩‍👧.
//!   - U+200C and U+200D between two letters of scripts that need them (Persian, Arabic, the
//!     Indic scripts): both neighbours non-ASCII letters, or signs of the Brahmic script blocks
//!     (a virama is no letter but is what a joiner follows in Devanagari). Between ASCII letters
//!     they are hidden: no Latin text needs them.
//!
//!   A selector or joiner next to hidden text is hidden too, so that [`strip`] never leaves one
//!   behind without its base: stripped text has nothing left to find.
//! - **Bidirectional controls**: U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C. They
//!   reorder what is displayed ("Trojan Source"); even the marks (U+200E, U+200F) are reported,
//!   as text meant for a model reads the same without them.
//! - **Terminal escapes**: ESC (0x1B) sequences, which recolour, move, hide or retitle text on a
//!   terminal (see [`escapes`] for their extent), and the 8-bit CSI U+009B with its parameters.
//! - **Other controls**: C0 controls but tab, line feed and carriage return (backspace
//!   overstrikes text), DEL, and C1 controls U+0080–U+009F. The 8-bit string introducers (U+0090,
//!   U+009D, …) stay single characters rather than starting a string to its terminator: they are
//!   what double-decoded UTF-8 produces (`”` read as Latin-1 ends in U+009D), where swallowing
//!   the rest of the text would lose it.
//!
//! Speed: text is overwhelmingly ASCII, and of non-ASCII text only a few UTF-8 lead bytes can
//! begin a hidden character, so the scan skips 32-byte blocks with a branch-free test that the
//! compiler vectorizes and looks closer only at suspect bytes.

mod chars;
mod escapes;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

/// What a hidden character or sequence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HiddenKind {
    TagCharacter,
    ZeroWidth,
    BidiControl,
    AnsiEscape,
    OtherControl,
}

impl HiddenKind {
    /// The kebab-case name used in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            HiddenKind::TagCharacter => "tag-character",
            HiddenKind::ZeroWidth => "zero-width",
            HiddenKind::BidiControl => "bidi-control",
            HiddenKind::AnsiEscape => "ansi-escape",
            HiddenKind::OtherControl => "control-character",
        }
    }

    /// A noun phrase for messages: "the description contains {describe}".
    pub fn describe(self) -> &'static str {
        match self {
            HiddenKind::TagCharacter => "Unicode tag characters (invisible text)",
            HiddenKind::ZeroWidth => "zero-width or invisible formatting characters",
            HiddenKind::BidiControl => "bidirectional text controls (text displayed out of order)",
            HiddenKind::AnsiEscape => "terminal escape sequences",
            HiddenKind::OtherControl => "control characters",
        }
    }
}

/// Hidden text in a string, as a byte range on char boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenSpan {
    pub kind: HiddenKind,
    /// Byte offset of the first hidden byte.
    pub start: usize,
    /// Byte offset just past the hidden text.
    pub end: usize,
}

/// Every stretch of hidden text, sorted and non-overlapping; consecutive hidden characters (or
/// sequences) of one kind make one span.
pub fn find(text: &str) -> Vec<HiddenSpan> {
    let mut spans: Vec<HiddenSpan> = Vec::new();
    let mut at = 0;
    while let Some(start) = next_suspect(text.as_bytes(), at) {
        // What a selector or joiner may attach to: nothing, when the character before is hidden.
        let visible_before = match spans.last() {
            Some(last) if last.end == start => "",
            _ => &text[..start],
        };
        let (kind, end) = hidden_at(text, start, visible_before);
        if let Some(kind) = kind {
            match spans.last_mut() {
                Some(last) if last.kind == kind && last.end == start => last.end = end,
                _ => spans.push(HiddenSpan { kind, start, end }),
            }
        }
        at = end;
    }
    spans
}

/// `text` without what [`find`] reports; borrowed when there is nothing to remove.
pub fn strip(text: &str) -> Cow<'_, str> {
    let spans = find(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut kept = String::with_capacity(text.len());
    let mut at = 0;
    for span in &spans {
        kept.push_str(&text[at..span.start]);
        at = span.end;
    }
    kept.push_str(&text[at..]);
    Cow::Owned(kept)
}

/// The ASCII text spelled by the hidden tag characters of `text` (U+E0020–U+E007E stand for
/// ` `–`~`), if there is any: what a report shows of the hidden message.
pub fn decode_tags(text: &str) -> Option<String> {
    let message: String = find(text)
        .iter()
        .filter(|span| span.kind == HiddenKind::TagCharacter)
        .flat_map(|span| text[span.start..span.end].chars())
        .filter_map(chars::tag_ascii)
        .collect();
    (!message.is_empty()).then_some(message)
}

/// What starts at byte `at` (a suspect byte, so a char boundary), after `visible_before`: its kind,
/// if hidden, and where it ends. A kept character reports its own end, a kept flag the end of its
/// tags.
fn hidden_at(text: &str, at: usize, visible_before: &str) -> (Option<HiddenKind>, usize) {
    match text[at..].chars().next() {
        Some('\u{1B}') => (Some(HiddenKind::AnsiEscape), escapes::escape_end(text, at)),
        Some(c) if c.is_ascii() => (Some(HiddenKind::OtherControl), at + 1),
        Some(c) => chars::classify(text, at, c, visible_before),
        None => (None, text.len()),
    }
}

/// Bytes per block of the fast scan: wide enough to amortize the test, small enough that a block
/// holding a suspect byte costs little to re-read.
const BLOCK: usize = 32;

/// The first byte at or after `from` that may begin hidden text (see [`is_suspect`]).
fn next_suspect(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(block) = bytes.get(at..at + BLOCK) {
        if block.iter().fold(false, |any, &b| any | is_suspect(b)) {
            break;
        }
        at += BLOCK;
    }
    let rest = bytes.get(at..)?;
    rest.iter()
        .position(|&b| is_suspect(b))
        .map(|found| at + found)
}

/// Whether `b` may begin hidden text: a control other than tab, line feed and carriage return, or
/// the UTF-8 lead byte of a block that holds hidden characters (U+0080–U+00BF, U+0340–U+037F,
/// U+0600–U+063F, U+1000–U+1FFF, U+2000–U+2FFF, U+3000–U+3FFF, U+F000–U+FFFF, U+10000–U+3FFFF,
/// U+C0000–U+FFFFF). Branch-free, so that [`next_suspect`] vectorizes.
fn is_suspect(b: u8) -> bool {
    let control = (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0x7F);
    let lead = (b == 0xC2) | (b == 0xCD) | (b == 0xD8) | (b == 0xE1) | (b == 0xE2) | (b == 0xE3);
    control | lead | (b == 0xEF) | (b == 0xF0) | (b == 0xF3)
}
