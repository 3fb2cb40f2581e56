//! The server's stderr lines made safe to keep. Each line is redacted on its own, which cannot
//! see a private key printed over several lines (its BEGIN line alone is no secret, its base64
//! lines look like noise), so the lines from a private key's BEGIN line through its END line
//! ([`KeyBlock`]) are replaced whole.

use portcullis_core::audit::{KeyBlock, PRIVATE_KEY_LINE, Redactor, shorten_redacted};

use super::queue::RawLine;

/// The longest line kept, in bytes (cut after redaction, between words, and searched again, so a
/// cut can neither split a secret into an unrecognizable fragment nor leave one).
const LINE_MAX: usize = 16 * 1024;

/// A stderr line as stored.
pub(super) struct Line {
    pub at: String,
    pub text: String,
}

/// Redacts one server's stderr line by line, following private key blocks across lines.
#[derive(Default)]
pub(super) struct StderrFilter {
    key_block: KeyBlock,
}

impl StderrFilter {
    pub fn line(&mut self, raw: &RawLine, redactor: &Redactor) -> Line {
        let text = String::from_utf8_lossy(&raw.bytes);
        let text = if self.key_block.covers(&text) {
            PRIVATE_KEY_LINE.to_owned()
        } else {
            let redacted = redactor.text(&text).text;
            let fits = redacted
                .char_indices()
                .take_while(|&(i, c)| i + c.len_utf8() <= LINE_MAX)
                .count();
            match shorten_redacted(&redacted, fits, redactor) {
                Some(short) => short.text.into_owned(),
                None => redacted.into_owned(),
            }
        };
        Line {
            at: crate::audit::time::stored_system(raw.at),
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use portcullis_core::audit::KEY_LEN;

    use super::*;
    use crate::audit::writer::tests::{TOKEN, pem_lines};

    fn filter_all(lines: &[&str]) -> Vec<String> {
        let redactor = Redactor::new([2; KEY_LEN]);
        let mut filter = StderrFilter::default();
        lines
            .iter()
            .map(|line| {
                let raw = RawLine {
                    at: SystemTime::now(),
                    bytes: line.as_bytes().to_vec(),
                };
                filter.line(&raw, &redactor).text
            })
            .collect()
    }

    #[test]
    fn a_private_key_block_is_replaced_line_by_line() {
        let pem = pem_lines();
        let mut lines = vec!["loading key:"];
        lines.extend(pem.iter().map(String::as_str));
        lines.push("key loaded");
        let out = filter_all(&lines);
        assert_eq!(out[0], "loading key:");
        assert!(
            out[1..=pem.len()].iter().all(|l| l == PRIVATE_KEY_LINE),
            "{out:?}"
        );
        assert_eq!(out[pem.len() + 1], "key loaded");
    }

    #[test]
    fn a_one_line_block_does_not_swallow_what_follows() {
        let out = filter_all(&[
            "x -----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY-----",
            "next",
        ]);
        assert_eq!(out, [PRIVATE_KEY_LINE, "next"]);
    }

    #[test]
    fn lines_are_redacted_cut_and_made_valid_text() {
        let out = filter_all(&[&format!("token {TOKEN}")]);
        assert!(
            out[0].starts_with("token [REDACTED:github-token#"),
            "{out:?}"
        );
        let long = format!("{}{TOKEN}", "é".repeat(LINE_MAX));
        let out = filter_all(&[&long]);
        assert!(out[0].len() <= LINE_MAX + '…'.len_utf8() && out[0].ends_with('…'));
        // A cut never leaves the front of a long number or token behind.
        let number = "4".repeat(40);
        let out = filter_all(&[&format!("{}{number}", "a ".repeat(LINE_MAX / 2 - 8))]);
        assert!(
            out[0].ends_with(" …") && !out[0].contains("44"),
            "{}",
            &out[0][out[0].len() - 40..]
        );
        let redactor = Redactor::new([2; KEY_LEN]);
        let raw = RawLine {
            at: SystemTime::now(),
            bytes: b"bad \xff byte".to_vec(),
        };
        let line = StderrFilter::default().line(&raw, &redactor);
        assert_eq!(line.text, "bad \u{fffd} byte");
    }
}
