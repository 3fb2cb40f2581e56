//! Making text safe to keep: invisible characters and terminal escapes removed, every secret and
//! every kind of personal data replaced by its type and a keyed tag.

use std::borrow::Cow;
use std::ops::Range;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::detect::pii::{PiiKind, PiiKinds};
use crate::detect::{hidden, pii, secrets};
use crate::policy::DataKind;
use crate::screen::content::replace_spans;

/// The length of an installation's key, in bytes.
pub const KEY_LEN: usize = 32;

/// Hex digits of a tag: enough that two different secrets practically never share one, too few
/// to be worth attacking.
const TAG_HEX: usize = 12;

/// A value found and replaced.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Leak {
    /// Its type (`github-token`, `payment-card`).
    pub kind: &'static str,
    /// [`Redactor::tag`] of the value.
    pub tag: String,
}

/// Text made safe, and what was taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    pub leaks: Vec<Leak>,
}

/// Redacts with an installation's key, so tags correlate within one installation and reveal
/// nothing elsewhere (an unkeyed hash of a short password could be brute-forced).
#[derive(Clone)]
pub struct Redactor {
    key: [u8; KEY_LEN],
    /// Everything: the log is no place for an e-mail address even where results may carry one.
    pii: PiiKinds,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor { key: <hidden> }")
    }
}

impl Redactor {
    pub fn new(key: [u8; KEY_LEN]) -> Self {
        Self {
            key,
            pii: all_pii(),
        }
    }

    /// A short keyed digest of `value`: the same value always gets the same tag.
    pub fn tag(&self, value: &str) -> String {
        let mut mac = self.mac(b"portcullis audit secret tag\0");
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(digest)[..TAG_HEX].to_owned()
    }

    /// A keyed digest over `parts`, for the store's hash chain (domain-separated from tags).
    pub fn chain_hash(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.mac(b"portcullis audit chain\0");
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    fn mac(&self, domain: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(domain);
        mac
    }

    /// `text` without hidden characters, each secret or personal datum replaced by
    /// `[REDACTED:<type>#<tag>]`.
    pub fn text<'a>(&self, text: &'a str) -> Redacted<'a> {
        self.text_under(None, text)
    }

    /// Like [`Redactor::text`], for a value stored under an object key: `password: hunter2` is
    /// a secret by its key even when the value looks like nothing.
    pub fn text_under<'a>(&self, key: Option<&str>, text: &'a str) -> Redacted<'a> {
        let mut leaks = Vec::new();
        let text = redact_with(key, text, self.pii, |kind, value| {
            let tag = self.tag(value);
            let mark = format!("[REDACTED:{}#{tag}]", kind.name());
            leaks.push(Leak {
                kind: kind.name(),
                tag,
            });
            mark
        });
        Redacted { text, leaks }
    }
}

/// `text` made safe where no key is at hand (the pin store's command lines): each value becomes
/// `[REDACTED:<type>]`, with no tag. `key` as for [`Redactor::text_under`].
pub fn redact_untagged<'a>(key: Option<&str>, text: &'a str) -> Cow<'a, str> {
    redact_with(key, text, all_pii(), |kind, _| kind.marker())
}

/// The words of a command line, each with the option it is the value of (`--password hunter2`
/// gives `hunter2` the key `password`), for redacting a command word by word.
pub fn command_words(words: &[String]) -> impl Iterator<Item = (Option<&str>, &str)> {
    let options = std::iter::once(None).chain(words.iter().map(|w| {
        let name = w.strip_prefix('-')?.trim_start_matches('-');
        (!name.is_empty() && !name.contains('=')).then_some(name)
    }));
    options.zip(words.iter().map(String::as_str))
}

/// A command line as people may read it: each word [`redact_untagged`] (an option's value also by
/// the option's name), so `--api-key sk-...` shows no key.
pub fn redact_command(words: &[String]) -> Vec<String> {
    command_words(words)
        .map(|(option, word)| redact_untagged(option, word).into_owned())
        .collect()
}

fn all_pii() -> PiiKinds {
    PiiKind::ALL
        .into_iter()
        .fold(PiiKinds::none(), PiiKinds::with)
}

/// How many times text is searched at most. Candidates that overlap are resolved to one, so what
/// is left of a dropped one can read as a value of its own once its neighbour is replaced
/// (crafted e-mail addresses sharing characters, found by fuzzing): the text is searched again
/// after each redaction, until a pass finds nothing or this many passes are done.
const PASSES: usize = 4;

/// `text` without hidden characters, each secret or datum of `pii` replaced by `mark`'s text.
fn redact_with<'a>(
    key: Option<&str>,
    text: &'a str,
    pii: PiiKinds,
    mut mark: impl FnMut(DataKind, &str) -> String,
) -> Cow<'a, str> {
    let mut text = hidden::strip(text);
    for pass in 0..PASSES {
        let mut spans: Vec<_> = secrets::scan(&text)
            .into_iter()
            .map(|f| (f.start..f.end, DataKind::Secret(f.kind)))
            .collect();
        if pass == 0
            && let Some(f) = key.and_then(|key| secrets::scan_assignment(key, &text))
        {
            spans.push((f.start..f.end, DataKind::Secret(f.kind)));
        }
        spans.extend(
            pii::scan(&text, pii)
                .into_iter()
                .map(|f| (f.start..f.end, DataKind::Pii(f.kind))),
        );
        if spans.is_empty() {
            break;
        }
        spans.extend(repeats(&text, &spans));
        text = Cow::Owned(replace_spans(&text, spans, &mut mark));
    }
    text
}

/// Values this long found once are replaced wherever else they appear: a password recognized in
/// a URL is still the password when the text repeats it in prose.
const REPEAT_MIN: usize = 8;

/// The other places where a value of `found` appears again in `text`.
fn repeats(text: &str, found: &[(Range<usize>, DataKind)]) -> Vec<(Range<usize>, DataKind)> {
    let mut more = Vec::new();
    for (range, kind) in found.iter().filter(|(r, _)| r.len() >= REPEAT_MIN) {
        let value = &text[range.clone()];
        for (at, _) in text
            .match_indices(value)
            .filter(|(at, _)| *at != range.start)
        {
            more.push((at..at + value.len(), *kind));
        }
    }
    more
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new([7; KEY_LEN])
    }

    const TOKEN: &str = "ghp_R8x2Lq9ZtV4mN7bK1cW5yH3jF6dS0aP2eG8u";

    #[test]
    fn a_secret_leaves_only_its_type_and_tag() {
        let r = redactor();
        let input = format!("use {TOKEN} now");
        let out = r.text(&input);
        assert!(!out.text.contains(TOKEN), "{}", out.text);
        let tag = r.tag(TOKEN);
        assert_eq!(out.text, format!("use [REDACTED:github-token#{tag}] now"));
        assert_eq!(
            out.leaks,
            vec![Leak {
                kind: "github-token",
                tag
            }]
        );
    }

    #[test]
    fn tags_correlate_within_a_key_and_differ_across_keys() {
        let (a, b) = (redactor(), Redactor::new([8; KEY_LEN]));
        assert_eq!(a.tag(TOKEN), a.tag(TOKEN));
        assert_ne!(a.tag(TOKEN), a.tag("ghp_other"));
        assert_ne!(a.tag(TOKEN), b.tag(TOKEN));
    }

    #[test]
    fn split_secrets_personal_data_and_keyed_values_are_found() {
        let r = redactor();
        let split = TOKEN.replacen("ghp_", "ghp_\u{200b}", 1);
        assert!(r.text(&split).text.contains("[REDACTED:github-token#"));
        let card = r.text("card 4111 1111 1111 1111 on file, mail ann@example.org");
        assert!(!card.text.contains("4111"), "{}", card.text);
        assert!(!card.text.contains("ann@example.org"), "{}", card.text);
        let keyed = r.text_under(Some("password"), "hunter2-but-longer");
        assert!(!keyed.text.contains("hunter2"), "{}", keyed.text);
    }

    #[test]
    fn clean_text_passes_without_terminal_escapes() {
        let r = redactor();
        assert_eq!(r.text("plain words").text, "plain words");
        assert_eq!(r.text("red \u{1b}[31mtext\u{1b}[0m").text, "red text");
    }

    #[test]
    fn without_a_key_values_are_replaced_untagged() {
        let input = format!("server --token {TOKEN}");
        assert_eq!(
            redact_untagged(None, &input),
            "server --token [REDACTED:github-token]"
        );
    }

    #[test]
    fn option_values_in_a_command_are_redacted_by_the_option_name() {
        let words: Vec<String> = ["srv", "--password", "hunter2-horse", "--verbose", "x"]
            .map(String::from)
            .to_vec();
        let safe: Vec<String> = command_words(&words)
            .map(|(key, word)| redact_untagged(key, word).into_owned())
            .collect();
        assert_eq!(
            safe,
            [
                "srv",
                "--password",
                "[REDACTED:generic-secret]",
                "--verbose",
                "x"
            ]
        );
    }

    #[test]
    fn what_a_redaction_uncovers_is_redacted_too() {
        // Found by fuzzing: overlapping address candidates, one left over after the other went.
        let r = redactor();
        let input = "uww2w75w2w7511ww1ww+w09@933e8u2w.wwww]30tW'+w09@933e8u2w.wwww";
        let once = r.text(input);
        assert!(r.text(&once.text).leaks.is_empty(), "{}", once.text);
    }

    #[test]
    fn a_found_value_is_redacted_wherever_it_appears_again() {
        let r = redactor();
        let out = r.text("db: postgres://app:Xk9qP2mZ7w@db.local/app; the password is Xk9qP2mZ7w");
        assert!(!out.text.contains("Xk9qP2mZ7w"), "{}", out.text);
    }

    #[test]
    fn chain_hashes_separate_their_parts() {
        let r = redactor();
        assert_ne!(r.chain_hash(&[b"ab", b"c"]), r.chain_hash(&[b"a", b"bc"]));
        assert_eq!(r.chain_hash(&[b"x"]).len(), 64);
    }
}
