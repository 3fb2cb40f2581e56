//! How far a terminal escape sequence reaches, following ECMA-48 and what terminals accept, so that
//! the whole sequence is reported (and stripped), not only its ESC:
//! - CSI, `ESC [` (or the 8-bit U+009B): parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F,
//!   then a final byte 0x40–0x7E (`ESC[31m`, `ESC[2J`, `ESC[?25l`).
//! - Control strings: OSC `ESC ]` (titles, hyperlinks, clipboard writes), and DCS `ESC P`, SOS
//!   `ESC X`, PM `ESC ^`, APC `ESC _`, whose payload terminals do not display at all: up to BEL,
//!   the string terminator (`ESC \` or U+009C), or the end of the text. Another ESC ends the
//!   string without belonging to it, as on a terminal it aborts the string and starts a new
//!   sequence.
//! - Any other `ESC`, intermediate bytes 0x20–0x2F, final byte 0x30–0x7E (`ESC 7`, `ESC ( B`).
//! - A lone ESC (followed by anything else): the ESC alone.
//!
//! A sequence cut short (a CSI without its final byte) reaches as far as it is well-formed. Every
//! end is on a char boundary: sequences only ever consume ASCII bytes, apart from control strings,
//! which end before an ASCII byte, after U+009C, or at the end of the text.

const ESC: u8 = 0x1B;
const BEL: u8 = 0x07;

/// The end of the escape sequence whose ESC is at byte `at`.
pub(super) fn escape_end(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let after = at + 1;
    match bytes.get(after) {
        Some(b'[') => csi_end(text, after + 1),
        Some(b']' | b'P' | b'X' | b'^' | b'_') => string_end(bytes, after + 1),
        _ => {
            let end = skip(bytes, after, 0x20..=0x2F);
            end + usize::from(bytes.get(end).is_some_and(|b| (0x30..=0x7E).contains(b)))
        }
    }
}

/// The end of a control sequence whose parameters start at byte `from`.
pub(super) fn csi_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let end = skip(bytes, skip(bytes, from, 0x30..=0x3F), 0x20..=0x2F);
    end + usize::from(bytes.get(end).is_some_and(|b| (0x40..=0x7E).contains(b)))
}

/// The end of a control string whose payload starts at byte `from`.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(&b) = bytes.get(at) {
        match (b, bytes.get(at + 1)) {
            (BEL, _) => return at + 1,
            (ESC, Some(b'\\')) | (0xC2, Some(0x9C)) => return at + 2,
            (ESC, _) => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The first byte at or after `from` outside `range`.
fn skip(bytes: &[u8], from: usize, range: std::ops::RangeInclusive<u8>) -> usize {
    let run = bytes.get(from..).unwrap_or_default();
    from + run.iter().take_while(|b| range.contains(b)).count()
}
