//! Email addresses, the practical subset of RFC 5322 that people write: a dot-separated local
//! part of letters, digits and `_ % + -`, an `@`, a domain of at least two labels, and a
//! top-level domain of two or more letters. Quoted local parts, IP-literal domains and non-ASCII
//! addresses are not recognized.
//!
//! Address-shaped strings that are no mailbox are skipped, each on a syntactic sign:
//! - a login in a URL, `https://user@host.example/` (and `user:password@`, which is the secrets
//!   detector's business): the address lies in the URL's authority, between `://` and the path;
//! - an SSH or SCP target, `git@github.com:org/repo.git`, `deploy@host.example:/srv`: the address
//!   is followed by `:` and a path;
//! - an image at a pixel density, `icon@2x.png`: the "top-level domain" is an image file extension,
//!   which no real top-level domain is.
//!
//! Strings that never match: `user@localhost` (no dot in the domain), `@scope/pkg` and
//! `pkg@1.2.3` (no local part, or no top-level domain). `ssh git@github.com`, with nothing after
//! the host, cannot be told from an address, and is reported; so are the reserved example domains
//! (`example.com`): they are addresses in form, and a policy that blocks addresses should block
//! those a test uses.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

static EMAILS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*",
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}",
    ))
    .expect("valid regex")
});

/// Image file extensions, which are no top-level domains.
const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "bmp", "ico", "tif", "tiff", "heic",
];

/// How far back to look for the `://` of a URL around an address: further than any URL's scheme
/// and authority, and a bound that keeps a text of many addresses linear.
const URL_LOOKBACK: usize = 256;

/// Every email address in `text`.
pub(super) fn emails(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    EMAILS.find_iter(text).filter_map(move |found| {
        let span = found.range();
        let tld = found.as_str().rsplit('.').next().unwrap_or_default();
        let mailbox = !glued(text, span.clone())
            && !in_url_authority(text, span.start)
            && !ssh_target(&text[span.end..])
            && !IMAGE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str());
        mailbox.then_some(span)
    })
}

/// Whether the match is part of something longer: a non-ASCII letter or a `.` before it (the
/// regex takes in every ASCII character a local part may have), or after it a letter, digit, `_`
/// or `-` (a domain cut short) or a `.` that goes on with one.
fn glued(text: &str, span: Range<usize>) -> bool {
    let before = text[..span.start].chars().next_back();
    let mut after = text[span.end..].chars();
    let continues = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    before.is_some_and(|c| c.is_alphanumeric() || c == '.')
        || match after.next() {
            Some('.') => after.next().is_some_and(continues),
            Some(c) => continues(c),
            None => false,
        }
}

/// Whether the address starting at byte `start` is a login in a URL's authority: after `://` in
/// the same word, with no `/`, `?` or `#` in between.
fn in_url_authority(text: &str, start: usize) -> bool {
    let from = (start.saturating_sub(URL_LOOKBACK)..start)
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(start);
    let word = text[from..start]
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or_default();
    word.rfind("://")
        .is_some_and(|scheme_end| !word[scheme_end + 3..].contains(['/', '?', '#']))
}

/// Whether `rest`, what follows an address, makes it an SSH or SCP target: `:` then a path.
fn ssh_target(rest: &str) -> bool {
    let mut after = rest.chars();
    after.next() == Some(':') && after.next().is_some_and(|c| !c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use crate::detect::pii::PiiKind::Email;
    use crate::detect::pii::tests::{assert_clean, assert_found, assert_found_in};

    #[test]
    fn addresses_are_found() {
        for address in [
            "alice@example.com",
            "john.doe+newsletter@mail.example.co.uk",
            "first_last-99%x@sub-domain.example.org",
            "X@Y.IO",
            "no-reply@github.com",
        ] {
            assert_found(address, Email);
        }
    }

    #[test]
    fn addresses_in_context_are_found_with_their_exact_span() {
        for (text, address) in [
            ("Author: Alice <alice@example.com>", "alice@example.com"),
            ("mailto:bob@example.org?subject=hi", "bob@example.org"),
            ("Email:carol@example.net.", "carol@example.net"),
            ("\"email\": \"dave@example.com\"", "dave@example.com"),
            (
                "https://example.com/users/erin@example.com",
                "erin@example.com",
            ),
            (
                "https://example.com/?to=frank@example.com",
                "frank@example.com",
            ),
            ("(grace@example.com)", "grace@example.com"),
            (
                "reach me at heidi@example.com: any time",
                "heidi@example.com",
            ),
            ("@ivan@social.example", "ivan@social.example"),
        ] {
            assert_found_in(text, address, Email);
        }
    }

    #[test]
    fn address_shaped_strings_that_are_no_mailbox_are_skipped() {
        for text in [
            "git clone git@github.com:portcullis/portcullis.git",
            "scp build.tar deploy@host.example.net:/srv/releases",
            "https://user@registry.example.com/v2/",
            "ftp://anonymous@ftp.example.org/pub",
            "https://user:secret@db.example.com:5432/app",
            "icon@2x.png logo@3x.webp banner@1.5x.JPG",
            "user@localhost",
            "npm install @types/node @scope/pkg lodash@4.17.21",
            "pkg@1.2.3 and name@v2",
            "a@b.c",
            "jürgen@example.com",
            "a@b.com1",
            "a@b.com-x",
            "a@b.com_x",
            "a@b.com.123",
            "@example.com",
            "user@.example.com",
            "user@-x.example.com",
        ] {
            assert_clean(text, Email);
        }
    }
}
