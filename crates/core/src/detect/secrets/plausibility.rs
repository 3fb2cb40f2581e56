//! Whether a value assigned to a secret name is itself a secret. The name alone says too little:
//! code and configuration assign all sorts of non-secrets to secret names (`token = get_token()`,
//! `password: ${DB_PASSWORD}`, hashes, ids, paths), so the value must also look generated.

use super::entropy::{min_entropy, shannon_entropy};
use super::names::segments;
use super::placeholders::{is_placeholder, looks_fake};

/// How a value was written, which decides whether it can be code rather than data.
#[derive(Debug, Clone, Copy)]
pub(super) enum Quoting {
    /// A string literal (or a JSON value): data.
    Quoted,
    /// Bare text after the operator: may be an expression (`os.environ[…]`, `getToken()`).
    Bare { followed_by: Option<char> },
}

/// Whether a value assigned to a secret name is itself a secret: long enough, random enough, and
/// none of the things that sit in such places without being secrets (placeholders, references,
/// hashes, ids, paths, words).
pub(super) fn plausible_secret(value: &str, min_len: usize, quoting: Quoting) -> bool {
    value.chars().count() >= min_len
        && !value.contains(char::is_whitespace)
        && !is_placeholder(value)
        && !looks_fake(value)
        && !is_code(value, quoting)
        && !is_wordy(value)
        && !is_address(value)
        && !is_hex(value)
        && !is_uuid(value)
        && !is_integrity_hash(value)
        && !is_path_or_url(value)
        && shannon_entropy(value) >= min_entropy(value.chars().count())
}

/// Bare values that are expressions: a call or index (`getToken()`, `os.environ["X"]`), or a
/// dotted path of identifiers (`self.config.password`, `settings.API_KEY`).
fn is_code(value: &str, quoting: Quoting) -> bool {
    let Quoting::Bare { followed_by } = quoting else {
        return false;
    };
    let is_identifier = |part: &str| {
        part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    matches!(followed_by, Some('(' | '['))
        || (value.contains('.') && value.split('.').all(is_identifier))
}

/// Made only of words (`your_api_key_here`, `getAccessToken`, `DB_PASSWORD`, `something`):
/// names and prose. Generated secrets mix in digits and symbols, and their letters rarely fall
/// into words: a random mix of cases splits into fragments like `Nj`, `Hldt`.
pub(super) fn is_wordy(value: &str) -> bool {
    value.split(['_', '-', '.']).all(is_word_part)
}

/// One separator-free part of an identifier: `api`, `API`, or camel-cased words (`getAccessToken`,
/// `dbPassword`): at least two letters each, and a vowel in every capitalized one.
fn is_word_part(part: &str) -> bool {
    let single_case = part.bytes().all(|b| b.is_ascii_lowercase())
        || part.bytes().all(|b| b.is_ascii_uppercase());
    let is_word = |word: &&str| {
        let lowercase_tail = word[1..].bytes().all(|b| b.is_ascii_lowercase());
        let capitalized = word.starts_with(|c: char| c.is_ascii_uppercase());
        let has_vowel = word.bytes().any(|b| b"aeiouyAEIOUY".contains(&b));
        word.len() >= 2 && lowercase_tail && (has_vowel || !capitalized)
    };
    !part.is_empty()
        && part.bytes().all(|b| b.is_ascii_alphabetic())
        && (single_case || segments(part).iter().all(is_word))
}

/// An address made of words on both sides of the `@` (`jane.roe@northwind-traders.com`): an
/// account name in a `token` or `user` field, not a credential.
fn is_address(value: &str) -> bool {
    value
        .split_once('@')
        .is_some_and(|(local, domain)| is_wordy(local) && domain.contains('.') && is_wordy(domain))
}

/// Hex digits only (optionally `0x`-prefixed): git SHAs, content hashes, numbers.
fn is_hex(value: &str) -> bool {
    let digits = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A UUID in its 8-4-4-4-12 form, optionally in braces.
fn is_uuid(value: &str) -> bool {
    let bare = value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(value);
    let groups: Vec<&str> = bare.split('-').collect();
    groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12]) && groups.iter().all(|g| is_hex(g))
}

/// Subresource-integrity and digest strings (`sha512-…`, `sha256:…`): public checksums.
fn is_integrity_hash(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    ["sha1", "sha256", "sha384", "sha512", "md5"]
        .iter()
        .any(|algorithm| {
            lower
                .strip_prefix(algorithm)
                .is_some_and(|rest| rest.starts_with(['-', ':']))
        })
}

/// File paths and URLs (a URL's own password is a separate finding).
fn is_path_or_url(value: &str) -> bool {
    let drive = value.as_bytes().get(..3).is_some_and(|head| {
        head[0].is_ascii_alphabetic() && head[1] == b':' && matches!(head[2], b'\\' | b'/')
    });
    let relative = ["~/", "./", "../", "\\"]
        .iter()
        .any(|prefix| value.starts_with(prefix));
    value.contains("://")
        || drive
        || relative
        || is_absolute_path(value)
        || has_file_extension(value)
}

/// `/etc/ssl/private`, `/run/secrets/db1`: a leading `/`, another `/`, and segments named the way
/// people name directories. Base64 may start with `/` too, but its segments are random.
fn is_absolute_path(value: &str) -> bool {
    let is_segment = |segment: &str| {
        is_wordy(segment)
            || segment.contains('.')
            || segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    value.starts_with('/') && value[1..].contains('/') && value.split('/').all(is_segment)
}

/// Whether `value` names a file by a common extension of keys and configuration (`key.pem`,
/// `service-account.json`): the secret is in the file, not in its name.
fn has_file_extension(value: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "cfg", "conf", "crt", "der", "env", "ini", "json", "key", "p12", "pem", "pfx", "pub",
        "toml", "txt", "yaml", "yml",
    ];
    value.rsplit_once('.').is_some_and(|(stem, extension)| {
        !stem.is_empty()
            && EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
    })
}

#[cfg(test)]
mod tests {
    use crate::detect::secrets::SecretKind;
    use crate::detect::secrets::tests::{ALNUM, assert_clean, assert_single, noise};

    #[test]
    fn values_that_merely_start_like_references_or_paths_are_secrets() {
        for value in [
            format!("${}!{}", noise(70, 6, ALNUM), noise(71, 5, ALNUM)),
            format!("%{}", noise(72, 14, ALNUM)),
            format!("<{}", noise(73, 14, ALNUM)),
            format!("/{}/{}", noise(74, 12, ALNUM), noise(75, 14, ALNUM)),
        ] {
            assert_single(
                &format!("password: \"{value}\""),
                SecretKind::GenericSecret,
                &value,
            );
        }
        for reference in [
            "$DB_PASSWORD_2",
            "$dbPassword",
            "%DB_PASSWORD%",
            "%(password)s",
            "$(cat /run/secrets/db)",
            "{{ .Values.password }}",
            "/run/secrets/db1",
            "/Users/Alice/Library/Keys/prod.key",
        ] {
            assert_clean(&format!("password: \"{reference}\""));
        }
    }
}
