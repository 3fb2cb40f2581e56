//! Which non-ASCII characters are hidden, in their context: most always are, but variation
//! selectors, joiners and tag characters have legitimate uses that depend on their neighbours.

use super::{HiddenKind, escapes};

/// What the non-ASCII character `c` at byte `at` starts: whether it is hidden, and where the step
/// ends (past a whole run of variation selectors, past a kept flag's tags, past an 8-bit CSI's
/// parameters). `visible_before` is the text before it, or nothing when the character right before
/// is hidden: a selector or joiner must not attach to what is stripped (`ESC[#` then U+FE0F would
/// leave a bare selector behind).
pub(super) fn classify(
    text: &str,
    at: usize,
    c: char,
    visible_before: &str,
) -> (Option<HiddenKind>, usize) {
    let end = at + c.len_utf8();
    let before = visible_before.chars().next_back();
    let kind = match c {
        '\u{9B}' => return (Some(HiddenKind::AnsiEscape), escapes::csi_end(text, end)),
        '\u{E0000}'..='\u{E007F}' => {
            if before == Some(FLAG)
                && let Some(flag_end) = flag_tags_end(text, at)
            {
                return (None, flag_end);
            }
            Some(HiddenKind::TagCharacter)
        }
        ZWNJ | ZWJ => {
            let after = text[end..].chars().next();
            let kept = joins_letters(before, after)
                || (c == ZWJ && joins_pictographs(visible_before, after));
            (!kept).then_some(HiddenKind::ZeroWidth)
        }
        _ if is_selector(c) => return selectors(text, end, before),
        _ => invisible(c),
    };
    (kind, end)
}

/// The kind of `c` when it is hidden wherever it stands.
fn invisible(c: char) -> Option<HiddenKind> {
    match c {
        '\u{80}'..='\u{9F}' => Some(HiddenKind::OtherControl),
        '\u{200E}'
        | '\u{200F}'
        | '\u{061C}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some(HiddenKind::BidiControl),
        '\u{200B}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180E}'
        | '\u{2060}'..='\u{2065}'
        | '\u{206A}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0080}'..='\u{E00FF}'
        | '\u{E01F0}'..='\u{E0FFF}' => Some(HiddenKind::ZeroWidth),
        _ => None,
    }
}

/// The character that makes a tag sequence a subdivision flag: 🏴 WAVING BLACK FLAG.
const FLAG: char = '\u{1F3F4}';
/// Ends a flag's tag sequence.
const CANCEL_TAG: char = '\u{E007F}';
const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';

/// The ASCII character tag `c` stands for, if it stands for one.
pub(super) fn tag_ascii(c: char) -> Option<char> {
    let code = u32::from(c).checked_sub(0xE0000)?;
    (0x20..=0x7E)
        .contains(&code)
        .then(|| char::from(code as u8))
}

/// Where the tags of a subdivision flag that start at `at` end (past the CANCEL TAG): 3 to 7 tag
/// letters or digits (a region and a subdivision code, `gbeng`), then CANCEL TAG. None when the
/// tags are anything else.
fn flag_tags_end(text: &str, at: usize) -> Option<usize> {
    let mut code_len = 0;
    for (offset, c) in text[at..].char_indices() {
        match tag_ascii(c) {
            Some('a'..='z' | '0'..='9') if code_len < 7 => code_len += 1,
            _ if c == CANCEL_TAG && code_len >= 3 => return Some(at + offset + c.len_utf8()),
            _ => return None,
        }
    }
    None
}

fn is_selector(c: char) -> bool {
    matches!(
        c,
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}' | '\u{180F}'
    )
}

/// The run of variation selectors whose first ends at `first_end`, after `before`: kept when it
/// is a single selector after a character it can modify, hidden otherwise.
fn selectors(text: &str, first_end: usize, before: Option<char>) -> (Option<HiddenKind>, usize) {
    let end = text[first_end..]
        .char_indices()
        .take_while(|&(_, c)| is_selector(c))
        .last()
        .map_or(first_end, |(offset, c)| first_end + offset + c.len_utf8());
    let kept = end == first_end && before.is_some_and(takes_selector);
    ((!kept).then_some(HiddenKind::ZeroWidth), end)
}

/// Whether a variation selector after `c` can select a variant of it: the bases of Unicode's
/// standardized, emoji and ideographic variation sequences, by block (keycap digits, `#` and `*`,
/// `©`, `®`, Myanmar, Mongolian, punctuation, symbols and arrows, CJK punctuation and
/// ideographs, Phags-pa, halfwidth and fullwidth forms, Manichaean, Egyptian hieroglyphs,
/// pictographs). Letters of alphabets are not bases, so text in them cannot carry a selector per
/// letter.
fn takes_selector(c: char) -> bool {
    invisible(c).is_none()
        && matches!(c,
            '0'..='9'
            | '#'
            | '*'
            | '\u{A9}'
            | '\u{AE}'
            | '\u{1000}'..='\u{109F}'
            | '\u{1800}'..='\u{18AF}'
            | '\u{2010}'..='\u{2BFF}'
            | '\u{3000}'..='\u{303F}'
            | '\u{3200}'..='\u{32FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{A840}'..='\u{A87F}'
            | '\u{A9E0}'..='\u{A9FF}'
            | '\u{AA60}'..='\u{AA7F}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF00}'..='\u{FFEF}'
            | '\u{10AC0}'..='\u{10AFF}'
            | '\u{13000}'..='\u{1345F}'
            | '\u{1F000}'..='\u{1FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
        )
}

/// Whether a joiner between `before` and `after` joins two letters of a script that uses joiners.
fn joins_letters(before: Option<char>, after: Option<char>) -> bool {
    before.is_some_and(is_joining_letter) && after.is_some_and(is_joining_letter)
}

/// A visible non-ASCII letter, or any visible character of the Brahmic blocks (Devanagari to
/// Sinhala, Myanmar, Khmer), where a joiner often follows a virama, which is no letter. (The Hangul
/// fillers are letters, but hidden ones.)
fn is_joining_letter(c: char) -> bool {
    !c.is_ascii()
        && invisible(c).is_none()
        && (c.is_alphabetic()
            || matches!(
                c,
                '\u{0900}'..='\u{0DFF}' | '\u{1000}'..='\u{109F}' | '\u{1780}'..='\u{17FF}'
            ))
}

/// Whether a zero-width joiner at the end of `before`, followed by `after`, joins two pictographs
/// into one emoji. The pictograph before may carry an emoji presentation selector (❤️‍🔥).
fn joins_pictographs(before: &str, after: Option<char>) -> bool {
    let mut preceding = before.chars().rev();
    let last = match preceding.next() {
        Some('\u{FE0F}') => preceding.next(),
        other => other,
    };
    last.is_some_and(is_pictograph) && after.is_some_and(is_pictograph)
}

/// Whether `c` is a pictograph that emoji ZWJ sequences join, by block: a superset of Unicode's
/// Extended_Pictographic property, close enough for a joiner, which can carry at most a bit of
/// hidden data between two visible emoji.
fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{A9}'
        | '\u{AE}'
        | '\u{203C}'
        | '\u{2049}'
        | '\u{2122}'
        | '\u{2139}'
        | '\u{2190}'..='\u{21FF}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{24C2}'
        | '\u{25A0}'..='\u{27BF}'
        | '\u{2900}'..='\u{297F}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{3030}'
        | '\u{303D}'
        | '\u{3297}'
        | '\u{3299}'
        | '\u{1F000}'..='\u{1FAFF}'
    )
}
