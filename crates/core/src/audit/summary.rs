//! A short, redacted rendering of a message's arguments or result, for the log.
//!
//! Every string is redacted whole before it is shortened, so a secret cut at the edge of the
//! summary cannot survive as a fragment. Base64 payloads are never decoded into the log.

use serde_json::Value;

use std::borrow::Cow;

use super::redact::{Leak, Redacted, Redactor};
use crate::detect::key_block::key_lines;

/// What a line of a private key printed one line per string (in an array, or on stderr) is
/// kept as.
pub const PRIVATE_KEY_LINE: &str = "[REDACTED:private-key]";

/// The longest summary, in characters.
pub const SUMMARY_MAX: usize = 1024;
/// The longest string kept in a summary, in characters.
const STRING_MAX: usize = 160;
/// Array items and object members shown; the rest are counted.
const ITEMS_MAX: usize = 16;

/// `value` as compact JSON-like text, at most [`SUMMARY_MAX`] characters, each string redacted
/// by `redactor`; also returns the values it replaced. Every string of `value` is redacted,
/// including those cut from the summary, so the leaks list is complete.
pub fn summarize(value: &Value, redactor: &Redactor) -> (String, Vec<Leak>) {
    let mut s = Summarizer {
        redactor,
        out: String::new(),
        leaks: Vec::new(),
    };
    s.value(value, None);
    let mut summary = s.out;
    if let Some(short) = shorten_redacted(&summary, SUMMARY_MAX, redactor) {
        s.leaks.extend(short.leaks);
        summary = short.text.into_owned();
    }
    let mut leaks = s.leaks;
    leaks.sort();
    leaks.dedup();
    (summary, leaks)
}

struct Summarizer<'r> {
    redactor: &'r Redactor,
    out: String,
    leaks: Vec<Leak>,
}

impl Summarizer<'_> {
    fn full(&self) -> bool {
        self.out.len() > SUMMARY_MAX * 4
    }

    fn value(&mut self, value: &Value, key: Option<&str>) {
        match value {
            Value::String(text) => self.string(text, key),
            Value::Array(items) => {
                let key_lines = self.key_lines(items);
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i == ITEMS_MAX || self.full() {
                        self.out.push_str(&format!("…{} more", items.len() - i));
                        // The rest is not shown, but what it leaked is still listed.
                        items[i..]
                            .iter()
                            .for_each(|rest| self.leaks_only(rest, key));
                        break;
                    }
                    if i > 0 {
                        self.out.push(',');
                    }
                    match key_lines[i] {
                        true => self.out.push_str(&format!("{:?}", PRIVATE_KEY_LINE)),
                        // `"passwords": ["..."]`: the items are what the key names.
                        false => self.value(item, key),
                    }
                }
                self.out.push(']');
            }
            Value::Object(members) => {
                self.out.push('{');
                let binary = base64_member(value);
                for (i, (name, member)) in members.iter().enumerate() {
                    if i == ITEMS_MAX || self.full() {
                        self.out.push_str(&format!("…{} more", members.len() - i));
                        for (name, rest) in members.iter().skip(i) {
                            self.leaks_only(rest, Some(name));
                        }
                        break;
                    }
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(name, None);
                    self.out.push(':');
                    match member {
                        Value::String(data) if binary == Some(name.as_str()) => {
                            self.out
                                .push_str(&format!("<{} base64 characters>", data.len()));
                        }
                        member => self.value(member, Some(name)),
                    }
                }
                self.out.push('}');
            }
            Value::Number(number) => self.number(&number.to_string(), key),
            scalar => self.out.push_str(&scalar.to_string()),
        }
    }

    /// A number is shown as written unless it is sensitive (`{"card": 4111111111111111}`).
    fn number(&mut self, number: &str, key: Option<&str>) {
        let redacted = self.redactor.text_under(key, number);
        if redacted.leaks.is_empty() {
            self.out.push_str(number);
        } else {
            self.leaks.extend(redacted.leaks);
            self.out
                .push_str(&serde_json::Value::String(redacted.text.into_owned()).to_string());
        }
    }

    fn string(&mut self, text: &str, key: Option<&str>) {
        let redacted = self.redactor.text_under(key, text);
        self.leaks.extend(redacted.leaks);
        let text = &redacted.text;
        let shown = match shorten_redacted(text, STRING_MAX, self.redactor) {
            Some(short) => {
                self.leaks.extend(short.leaks);
                short.text.into_owned()
            }
            None => text.to_string(),
        };
        self.out
            .push_str(&serde_json::Value::String(shown).to_string());
    }

    /// Which items of an array are lines of a private key printed one line per string; each such
    /// key is recorded as a leak.
    fn key_lines(&mut self, items: &[Value]) -> Vec<bool> {
        let covered = key_lines(items.iter().map(Value::as_str));
        let mut key = String::new();
        for (item, &inside) in items.iter().zip(&covered) {
            if inside {
                key.push_str(item.as_str().unwrap_or_default());
                key.push('\n');
            } else if !key.is_empty() {
                self.key_leak(&std::mem::take(&mut key));
            }
        }
        if !key.is_empty() {
            self.key_leak(&key);
        }
        covered
    }

    fn key_leak(&mut self, key: &str) {
        self.leaks.push(Leak {
            kind: "private-key",
            tag: self.redactor.tag(key.trim_end()),
        });
    }

    /// Records the leaks of a value the summary does not show.
    fn leaks_only(&mut self, value: &Value, key: Option<&str>) {
        match value {
            Value::String(text) => {
                let leaks = self.redactor.text_under(key, text).leaks;
                self.leaks.extend(leaks);
            }
            Value::Array(items) => {
                let key_lines = self.key_lines(items);
                for (item, in_key) in items.iter().zip(key_lines) {
                    if !in_key {
                        self.leaks_only(item, key);
                    }
                }
            }
            Value::Number(number) => {
                let leaks = self.redactor.text_under(key, &number.to_string()).leaks;
                self.leaks.extend(leaks);
            }
            Value::Object(members) => {
                for (name, member) in members {
                    self.leaks_only(&Value::String(name.clone()), None);
                    self.leaks_only(member, Some(name));
                }
            }
            _ => {}
        }
    }
}

/// Already redacted `text` cut to at most `max` characters (see [`shorten`]) and searched again,
/// since what is left of a cut can read as a value of its own; `None` when it is short enough.
pub fn shorten_redacted(text: &str, max: usize, redactor: &Redactor) -> Option<Redacted<'static>> {
    let short = shorten(text, max)?;
    let again = redactor.text(&short);
    Some(Redacted {
        text: Cow::Owned(again.text.into_owned()),
        leaks: again.leaks,
    })
}

/// `text` cut to at most `max` characters and marked `…`, or `None` when it is short enough. A cut
/// never splits a word: the piece of a long number or token left before the cut could look like
/// something else (the first 16 digits of a 40-digit number pass for a card number), so the
/// whole word goes.
fn shorten(text: &str, max: usize) -> Option<String> {
    let (cut, _) = text.char_indices().nth(max)?;
    let word = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '=' | '.');
    let mut end = cut;
    if text[cut..].starts_with(word) {
        end = text[..cut]
            .char_indices()
            .rev()
            .find(|&(_, c)| !word(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
    }
    Some(format!("{}…", &text[..end]))
}

/// The member of a content block that holds base64 bytes (`data` of an image or audio block,
/// `blob` of a resource).
fn base64_member(object: &Value) -> Option<&'static str> {
    match object.get("type").and_then(Value::as_str) {
        Some("image" | "audio") if object.get("data").is_some() => Some("data"),
        _ if object.get("blob").is_some() => Some("blob"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::KEY_LEN;

    const TOKEN: &str = "ghp_R8x2Lq9ZtV4mN7bK1cW5yH3jF6dS0aP2eG8u";

    fn summary(value: Value) -> (String, Vec<Leak>) {
        summarize(&value, &Redactor::new([1; KEY_LEN]))
    }

    #[test]
    fn strings_are_redacted_and_structure_kept() {
        let (text, leaks) = summary(json!({"path": "/tmp/a", "token": TOKEN, "n": 3}));
        assert!(!text.contains(TOKEN), "{text}");
        assert!(
            text.starts_with(r#"{"n":3,"path":"/tmp/a","token":"[REDACTED:github-token#"#),
            "{text}"
        );
        assert_eq!(leaks.len(), 1);
    }

    #[test]
    fn long_values_are_cut_after_redaction() {
        let long = format!("{}{TOKEN}", "x ".repeat(100));
        let (text, leaks) = summary(json!([long]));
        assert!(!text.contains("ghp_"), "{text}");
        assert!(text.contains('…'));
        assert_eq!(leaks.len(), 1, "the cut-off secret is still listed");
        let (text, _) = summary(json!("y ".repeat(5000)));
        assert!(text.chars().count() <= SUMMARY_MAX + 1);
    }

    #[test]
    fn a_cut_never_leaves_part_of_a_word() {
        // Found by fuzzing: the first 16 digits of a longer number are a valid card number.
        let digits = format!(
            "{} 6614444444448166481661444444444444448144",
            "x ".repeat(70)
        );
        let (text, _) = summary(json!([digits]));
        assert!(!text.contains("6614"), "{text}");
        assert!(text.ends_with("x  …\"]"), "{text}");
        assert_eq!(shorten("short", 10), None);
        assert_eq!(
            shorten("abcdefghij klm", 12).as_deref(),
            Some("abcdefghij …")
        );
        assert_eq!(shorten("ab΅cdefgh", 5).as_deref(), Some("ab΅…"));
    }

    #[test]
    fn items_beyond_the_limit_still_report_their_leaks() {
        let mut items: Vec<Value> = (0..40).map(|i| json!(i)).collect();
        items.push(json!({ "key": TOKEN }));
        let (text, leaks) = summary(Value::Array(items));
        assert!(text.contains("…25 more"), "{text}");
        assert_eq!(leaks.len(), 1);
    }

    #[test]
    fn a_private_key_printed_one_line_per_string_is_removed_whole() {
        let lines = json!({"lines": ["ok", "-----BEGIN RSA PRIVATE KEY-----", "UG9ydGN1bGxpcyBt",
            "-----END RSA PRIVATE KEY-----", "done"]});
        let (text, leaks) = summary(lines);
        assert!(
            !text.contains("UG9ydGN1bGxpcyBt") && !text.contains("BEGIN"),
            "{text}"
        );
        assert!(text.contains(r#""ok","[REDACTED:private-key]""#), "{text}");
        assert!(text.ends_with(r#""done"]}"#), "{text}");
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].kind, "private-key");
    }

    #[test]
    fn sensitive_numbers_and_secrets_in_arrays_under_a_secret_key_are_redacted() {
        let (text, leaks) = summary(json!({"card": 4111111111111111u64, "count": 3,
            "password": ["hunter2-horse-battery"]}));
        assert!(!text.contains("4111111111111111"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains(r#""count":3"#), "{text}");
        assert_eq!(leaks.len(), 2, "{leaks:?}");
    }

    #[test]
    fn base64_payloads_are_not_decoded() {
        let (text, _) =
            summary(json!({"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"}));
        assert!(text.contains("<8 base64 characters>"), "{text}");
    }
}
