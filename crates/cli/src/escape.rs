//! Text from records and definitions made safe to print: what a message carried must not move
//! the cursor, recolour the terminal, fake lines of output, or hide from the reader.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with each character a terminal would not show as itself written `\u{..}`: control
/// characters, and the invisible and direction-changing ones (Unicode's default-ignorable code
/// points and bidirectional controls) that a poisoned definition hides instructions in or
/// reorders its text with. A reviewer must see what the model would read.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON text with each character [`visible`] spells out written as a JSON escape (`\u202e`):
/// the same data to a parser, and nothing a terminal acts on or hides. JSON writers escape only
/// the controls below U+0020, so any of those left in `json` lie between its values (the
/// indentation of pretty output) and stay; DEL, the C1 controls (U+009B starts an escape
/// sequence on some terminals) and the invisible characters would pass raw.
pub fn visible_json(json: &str) -> Cow<'_, str> {
    let escaped = |c: char| c >= ' ' && hidden(c);
    if !json.chars().any(escaped) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escaped(c) {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
            | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
            | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}' | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_spelled_out() {
        assert_eq!(visible("plain é text"), "plain é text");
        assert_eq!(
            visible("a\u{202e}b\u{200b}c\u{1b}[31m\u{e0041}"),
            "a\\u{202e}b\\u{200b}c\\u{1b}[31m\\u{e0041}"
        );
    }

    #[test]
    fn json_keeps_its_meaning_and_loses_what_a_terminal_would_act_on() {
        let value = serde_json::json!({"reason": "a\u{9b}2J\u{7f}\u{202e}b\u{e0041}\u{1b}\r\n"});
        for text in [
            value.to_string(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            let shown = visible_json(&text);
            assert!(!shown.chars().any(|c| c >= ' ' && hidden(c)), "{shown}");
            assert!(
                shown.contains(r"\u009b2J\u007f\u202eb\udb40\udc41"),
                "{shown}"
            );
            let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
            assert_eq!(back, value);
        }
        assert!(matches!(visible_json(r#"{"a":"é"}"#), Cow::Borrowed(_)));
    }
}
