//! Values that stand for a secret without being one: words, masks and templates where a password
//! goes ([`is_placeholder`]), and documentation tokens in a real format's shape ([`looks_fake`]),
//! which even the precise provider formats must not report.

use std::sync::LazyLock;

use regex::Regex;

use super::plausibility::is_wordy;

/// Values that stand for a secret without being one, in URLs and assignments: the word itself
/// (`password`, `changeme1`), masks (`xxx`, `***`, `...`), templates and variable references.
pub(super) fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let word = lower.trim_end_matches(|c: char| c.is_ascii_digit());
    PLACEHOLDER_WORDS.contains(&word)
        || lower.chars().all(|c| "x*•….#_-?".contains(c))
        || is_template(value)
        || is_variable(value)
        || ["process.env", "os.environ", "getenv"]
            .iter()
            .any(|reference| lower.contains(reference))
}

/// A whole value in template syntax: `<password>`, `{password}`, `[REDACTED]`, `${DB_PASSWORD}`,
/// `$(cat secret)`, `%s`, `%(password)s`. Only the whole value counts, because real passwords
/// may well start with `$`, `%` or `<`.
fn is_template(value: &str) -> bool {
    let wrapped = |open: &str, close: &str| {
        value.len() >= open.len() + close.len() && value.starts_with(open) && value.ends_with(close)
    };
    value == "%s"
        || [
            ("<", ">"),
            ("{", "}"),
            ("[", "]"),
            ("${", "}"),
            ("$(", ")"),
            ("%(", ")s"),
        ]
        .iter()
        .any(|&(open, close)| wrapped(open, close))
}

/// A variable reference: `$DB_PASSWORD`, `$dbPassword`, `%DB_PASSWORD%`.
fn is_variable(value: &str) -> bool {
    let name = value
        .strip_prefix('$')
        .or_else(|| value.strip_prefix('%')?.strip_suffix('%'));
    name.is_some_and(|name| {
        let screaming = name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        screaming || is_wordy(name)
    })
}

/// Words used in place of a real secret in examples and configuration templates.
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "pw",
    "secret",
    "token",
    "changeme",
    "example",
    "dummy",
    "placeholder",
    "redacted",
    "hidden",
    "masked",
    "sample",
    "test",
    "foo",
    "bar",
    "foobar",
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
];

/// Documentation placeholders in a token's shape: a long run of one character (`ghp_xxxxxxxx…`,
/// `sk-…00000…`) or a marker word (the AWS documentation keys end in `EXAMPLE` and `EXAMPLEKEY`).
/// Neither occurs by chance in a random token: a run of five equal characters has a probability of
/// about 62⁻⁴ per position, and markers count only spelled in one case, as people write them
/// (`your_`, `YOUR_`), which a random `YoUR-` is 32 times less likely to match.
pub(super) fn looks_fake(token: &str) -> bool {
    longest_run(token) >= 5 || FAKE_MARKER.is_match(token)
}

/// Substrings of documentation placeholders, in lowercase.
const FAKE_MARKERS: &[&str] = &[
    "example",
    "placeholder",
    "redacted",
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replace-me",
    "your_",
    "your-",
    "_here",
    "-here",
];

/// Any of [`FAKE_MARKERS`], all in lowercase or all in uppercase.
static FAKE_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    let spellings: Vec<String> = FAKE_MARKERS
        .iter()
        .flat_map(|marker| [marker.to_string(), marker.to_ascii_uppercase()])
        .map(|spelling| regex::escape(&spelling))
        .collect();
    Regex::new(&spellings.join("|")).expect("markers compile")
});

/// The length of the longest run of one repeated character.
fn longest_run(s: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    let mut previous = None;
    for c in s.chars() {
        run = if previous == Some(c) { run + 1 } else { 1 };
        longest = longest.max(run);
        previous = Some(c);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::secrets::tests::{ALNUM, noise};

    #[test]
    fn placeholder_markers_count_in_one_case_only() {
        let token = format!("ya29.{}", noise(80, 40, ALNUM));
        assert!(!looks_fake(&format!("{token}YoUR-{token}")));
        assert!(looks_fake(&format!("{token}YOUR-{token}")));
        assert!(looks_fake(&format!("sk-proj-your_key_{token}")));
        assert!(looks_fake(&format!("{token}aaaaa")));
        assert!(!looks_fake(&format!("{token}aaaa")));
    }
}
