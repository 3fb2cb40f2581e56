//! Whether an identifier names a secret. Secret words are everywhere in code (`keyboard`,
//! `tokenizer`, `max_tokens`, `passwordless`, `token_count`), so a name counts only when a secret
//! word is one of its segments (`api_key`, `apiKey`, `X-API-KEY`) and no metadata word follows it.

/// What kind of secret a name announces, which sets how short its value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameClass {
    /// Chosen by people: shorter values are real.
    Password,
    /// Keys and tokens: generated, and long.
    Other,
}

impl NameClass {
    /// Shortest value taken for a secret under such a name.
    pub(super) fn min_len(self) -> usize {
        match self {
            NameClass::Password => 8,
            NameClass::Other => 12,
        }
    }
}

/// Names of secrets, as sequences of identifier segments (`api_key` also matches `apiKey`,
/// `API-KEY`, `x-api-key`). Single-word spellings of compounds (`apikey`) are listed too.
const SECRET_TERMS: &[(&[&str], NameClass)] = &[
    (&["password"], NameClass::Password),
    (&["passwd"], NameClass::Password),
    (&["pwd"], NameClass::Password),
    (&["pass"], NameClass::Password),
    (&["passphrase"], NameClass::Password),
    (&["passcode"], NameClass::Password),
    (&["secret"], NameClass::Other),
    (&["secrets"], NameClass::Other),
    (&["token"], NameClass::Other),
    (&["auth"], NameClass::Other),
    (&["authorization"], NameClass::Other),
    (&["credential"], NameClass::Other),
    (&["credentials"], NameClass::Other),
    (&["creds"], NameClass::Other),
    (&["bearer"], NameClass::Other),
    (&["api", "key"], NameClass::Other),
    (&["access", "key"], NameClass::Other),
    (&["private", "key"], NameClass::Other),
    (&["signing", "key"], NameClass::Other),
    (&["encryption", "key"], NameClass::Other),
    (&["master", "key"], NameClass::Other),
    (&["apikey"], NameClass::Other),
    (&["accesskey"], NameClass::Other),
    (&["privatekey"], NameClass::Other),
    (&["secretkey"], NameClass::Other),
    (&["accesstoken"], NameClass::Other),
    (&["authtoken"], NameClass::Other),
    (&["clientsecret"], NameClass::Other),
];

/// Segments that, after a secret word, make the name describe the secret rather than hold it:
/// `token_count`, `password_length`, `secret_name`, `api_key_env`, `auth_url`.
const METADATA_WORDS: &[&str] = &[
    "at",
    "budget",
    "count",
    "counts",
    "created",
    "dir",
    "disabled",
    "enabled",
    "endpoint",
    "env",
    "exp",
    "expiration",
    "expires",
    "expiry",
    "field",
    "file",
    "filename",
    "format",
    "header",
    "hint",
    "id",
    "ids",
    "idx",
    "index",
    "kind",
    "label",
    "len",
    "length",
    "lifetime",
    "limit",
    "limits",
    "location",
    "max",
    "method",
    "min",
    "mode",
    "name",
    "names",
    "num",
    "number",
    "param",
    "path",
    "pattern",
    "placeholder",
    "policy",
    "prefix",
    "prompt",
    "provider",
    "regex",
    "required",
    "reset",
    "rule",
    "size",
    "source",
    "strength",
    "timeout",
    "ttl",
    "type",
    "types",
    "updated",
    "uri",
    "url",
    "usage",
    "used",
    "var",
    "version",
];

/// The class of secret `name` announces: a secret word on segment boundaries (so not `keyboard`,
/// `tokenizer`, `max_tokens`, `passwordless`), not followed by a metadata word (`token_count`).
pub(super) fn secret_name_class(name: &str) -> Option<NameClass> {
    if !mentions_secret_stem(name) {
        return None;
    }
    let segments = segments(name);
    SECRET_TERMS
        .iter()
        .find(|(term, _)| names_secret(&segments, term))
        .map(|&(_, class)| class)
}

/// Every [`SECRET_TERMS`] entry contains one of these: a cheap test that rejects most names
/// (`id`, `path`, `content`) before they are split into segments.
const SECRET_STEMS: &[&str] = &[
    "pass", "pwd", "secret", "token", "key", "auth", "cred", "bearer",
];

/// Whether `name` contains a [`SECRET_STEMS`] entry, ignoring ASCII case. This runs for every
/// operator in the text, so stems are only compared where one can start.
fn mentions_secret_stem(name: &str) -> bool {
    let bytes = name.as_bytes();
    (0..bytes.len()).any(|at| {
        STEM_INITIALS[usize::from(bytes[at])]
            && SECRET_STEMS.iter().any(|stem| {
                bytes
                    .get(at..at + stem.len())
                    .is_some_and(|window| window.eq_ignore_ascii_case(stem.as_bytes()))
            })
    })
}

/// Which bytes start a [`SECRET_STEMS`] entry, in either case.
const STEM_INITIALS: [bool; 256] = {
    let mut table = [false; 256];
    let mut index = 0;
    while index < SECRET_STEMS.len() {
        let initial = SECRET_STEMS[index].as_bytes()[0];
        table[initial as usize] = true;
        table[initial.to_ascii_uppercase() as usize] = true;
        index += 1;
    }
    table
};

/// Whether `term` occurs in `segments` with no metadata word after it.
fn names_secret(segments: &[&str], term: &[&str]) -> bool {
    let found = segments.windows(term.len()).rposition(|window| {
        window
            .iter()
            .zip(term)
            .all(|(segment, word)| segment.eq_ignore_ascii_case(word))
    });
    found.is_some_and(|at| {
        segments[at + term.len()..].iter().all(|segment| {
            !METADATA_WORDS
                .iter()
                .any(|word| segment.eq_ignore_ascii_case(word))
        })
    })
}

/// Split an identifier into words: at non-alphanumerics (snake, kebab, dots), at lower→upper
/// (`apiKey`), before the last capital of an acronym (`APIKey` → `API`, `Key`) and between letters
/// and digits (`oauth2`).
pub(super) fn segments(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut start = None;
    for (i, &byte) in bytes.iter().enumerate() {
        match start {
            _ if !byte.is_ascii_alphanumeric() => {
                if let Some(from) = start.take() {
                    out.push(&s[from..i]);
                }
            }
            None => start = Some(i),
            Some(from) if starts_word(bytes[i - 1], byte, bytes.get(i + 1)) => {
                out.push(&s[from..i]);
                start = Some(i);
            }
            Some(_) => {}
        }
    }
    if let Some(from) = start {
        out.push(&s[from..]);
    }
    out
}

/// Whether `current` starts a new word after `previous` (both ASCII alphanumeric).
fn starts_word(previous: u8, current: u8, next: Option<&u8>) -> bool {
    let acronym_end = previous.is_ascii_uppercase()
        && current.is_ascii_uppercase()
        && next.is_some_and(u8::is_ascii_lowercase);
    (previous.is_ascii_lowercase() && current.is_ascii_uppercase())
        || previous.is_ascii_digit() != current.is_ascii_digit()
        || acronym_end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_matched_on_segment_boundaries() {
        for name in [
            "api_key",
            "apiKey",
            "APIKey",
            "x-api-key",
            "API-KEY",
            "apikey",
            "AWS_SECRET_ACCESS_KEY",
            "client_secret",
            "token",
            "access_token",
            "GITHUB_TOKEN",
            "password",
            "DB_PASSWORD",
            "passwd",
            "pwd",
            "private_key",
            "auth",
            "Authorization",
            "credentials",
            "oauth2Token",
            "password_prod",
            "secretKey",
        ] {
            assert!(secret_name_class(name).is_some(), "{name}");
        }
        for name in [
            "keyboard",
            "monkey",
            "tokenizer",
            "tokens_used",
            "max_tokens",
            "token_count",
            "passwordless",
            "author",
            "oauth",
            "key",
            "secretary",
            "password_length",
            "api_key_env",
            "auth_url",
            "bypass",
        ] {
            assert_eq!(secret_name_class(name), None, "{name}");
        }
        assert_eq!(secret_name_class("db_pass"), Some(NameClass::Password));
        assert_eq!(secret_name_class("apiToken"), Some(NameClass::Other));
    }

    #[test]
    fn every_secret_term_contains_a_stem() {
        for (term, _) in SECRET_TERMS {
            assert!(mentions_secret_stem(&term.concat()), "{term:?}");
        }
    }
}
