//! Generic assignments: `api_key = …`, `"password": "…"`, `--api-key=…`, `Authorization: Bearer …`.
//! The pass starts from each operator, reads the name backwards and the value forwards, and reports
//! the value when the name announces a secret ([`super::names`]) and the value looks generated
//! ([`super::plausibility`]).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::names::{NameClass, secret_name_class};
use super::placeholders::looks_fake;
use super::plausibility::{Quoting, plausible_secret};
use super::{SecretFinding, SecretKind, finding, next_char};

/// A name under which AWS tools store the secret access key (`aws_secret_access_key`,
/// `AWS_SECRET_ACCESS_KEY`, `SecretAccessKey`, `--aws-secret-access-key`, …).
static AWS_SECRET_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u:secret[_.-]?access[_.-]?key)$").expect("valid regex"));

/// The shape of an AWS secret access key.
static AWS_SECRET_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9/+=]{40}$").expect("valid regex"));

/// Secret values of `name <op> value` assignments. Each operator is checked, but once a secret
/// name's value is read the operators inside it are skipped, so every byte is read a bounded
/// number of times (`token=token=token=…` stays linear).
///
/// The scan starts from the first character of each operator (`=` or `:`), because operators are
/// rare in prose and two bytes are found by a vectorized search ([`memchr::memchr2_iter`], with
/// no regex machinery per hit: logs hold a `:` every few words), while secret words (`key`,
/// `pass`) are common and, matched case-insensitively, defeat a literal prefilter.
pub(super) fn assignments(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    let mut resume = 0;
    memchr::memchr2_iter(b':', b'=', text.as_bytes())
        .filter_map(move |op| assignment_at(text, op, &mut resume))
}

/// The secret assigned by the operator that starts at byte `op`, unless the operator lies inside
/// a value read already (before `resume`); `resume` moves past each value read.
fn assignment_at(text: &str, op: usize, resume: &mut usize) -> Option<SecretFinding> {
    if op < *resume {
        return None;
    }
    let op = operator_span(text, op);
    let name = assigned_name(text, op.clone())?;
    let class = secret_name_class(name)?;
    let (value, quoting) = assigned_value(text, op.end)?;
    *resume = value.end;
    let kind = assigned_kind(name, &text[value.clone()], class, quoting)?;
    Some(finding(kind, value))
}

/// The operator starting at `start` (an ASCII `:` or `=`): one byte, or two for `:=` and `=>`.
fn operator_span(text: &str, start: usize) -> Range<usize> {
    let pair = text.as_bytes().get(start..start + 2);
    let len = if matches!(pair, Some(b":=" | b"=>")) {
        2
    } else {
        1
    };
    start..start + len
}

/// The identifier an operator assigns to: before it, blanks, then an optional closing quote (also
/// JSON-escaped), then the identifier (which may contain `-` and `.`, as in `--api-key` and
/// `spring.datasource.password`). `None` for comparisons (`==`, `!=`, `<=`, `>=`) and when there
/// is no identifier.
fn assigned_name(text: &str, op: Range<usize>) -> Option<&str> {
    let before = &text[..op.start];
    let comparison = &text[op.clone()] == "="
        && (text[op.end..].starts_with('=') || before.ends_with(['=', '!', '<', '>']));
    if comparison {
        return None;
    }
    let before = before.trim_end_matches([' ', '\t']);
    let before = match before.strip_suffix(['"', '\'']) {
        Some(unquoted) => unquoted.strip_suffix('\\').unwrap_or(unquoted),
        None => before,
    };
    let is_ident = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let len = before.bytes().rev().take_while(is_ident).count();
    Some(&before[before.len() - len..]).filter(|name| !name.is_empty())
}

/// The value after an operator ending at `from`, and how it is written: blanks, then a quoted
/// string (also with JSON-escaped quotes) or bare text up to a delimiter. An authorization scheme
/// (`Bearer`, `Basic`, `Token`) before the value is skipped. A quoted value that stops at a blank
/// goes on with more words: prose, not a secret.
fn assigned_value(text: &str, from: usize) -> Option<(Range<usize>, Quoting)> {
    let rest = text[from..].trim_start_matches([' ', '\t']);
    let unescaped = rest.strip_prefix('\\').unwrap_or(rest);
    let (quoted, rest) = match unescaped.strip_prefix(['"', '\'', '`']) {
        Some(inside) => (true, inside),
        None => (false, rest),
    };
    let rest = skip_auth_scheme(rest);
    let is_delimiter: fn(char) -> bool = if quoted {
        |c| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\\')
    } else {
        |c| c.is_whitespace() || "\"'`\\,;&(){}[]<>".contains(c)
    };
    let value = &rest[..rest.find(is_delimiter).unwrap_or(rest.len())];
    let start = text.len() - rest.len();
    let span = start..start + value.len();
    let followed_by = next_char(text, span.end);
    let quoting = match quoted {
        true if followed_by.is_some_and(char::is_whitespace) => return None,
        true => Quoting::Quoted,
        false => Quoting::Bare { followed_by },
    };
    (!value.is_empty()).then_some((span, quoting))
}

/// `s` after a leading HTTP authorization scheme and its blanks (`Bearer abc` → `abc`).
pub(super) fn skip_auth_scheme(s: &str) -> &str {
    ["bearer", "basic", "token"]
        .iter()
        .find_map(|scheme| {
            let head = s.get(..scheme.len())?;
            let after = &s[scheme.len()..];
            let value = after.trim_start_matches([' ', '\t']);
            (head.eq_ignore_ascii_case(scheme) && value.len() < after.len()).then_some(value)
        })
        .unwrap_or(s)
}

/// The kind of a value assigned to a secret name: an AWS secret access key when name and shape
/// say so, a generic secret when the value is plausible, `None` otherwise.
pub(super) fn assigned_kind(
    name: &str,
    value: &str,
    class: NameClass,
    quoting: Quoting,
) -> Option<SecretKind> {
    if AWS_SECRET_NAME.is_match(name) && AWS_SECRET_VALUE.is_match(value) && !looks_fake(value) {
        Some(SecretKind::AwsSecretAccessKey)
    } else {
        plausible_secret(value, class.min_len(), quoting).then_some(SecretKind::GenericSecret)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::detect::secrets::SecretKind;
    use crate::detect::secrets::tests::{ALNUM, BASE64, assert_clean, assert_single, noise};

    proptest! {
        /// The operators found by a byte search are those the regex `[:=]` found before.
        #[test]
        fn a_byte_search_finds_the_operators_the_regex_found(
            text in "(?s)(\\PC|[:=\"'` \\\\]|api_key|token|password|Bearer |abcdEFGH1234wxyz5678){0,40}"
        ) {
            let operator = Regex::new(r"[:=]").expect("valid regex");
            let mut resume = 0;
            let reference: Vec<SecretFinding> = operator
                .find_iter(&text)
                .filter_map(|op| assignment_at(&text, op.start(), &mut resume))
                .collect();
            prop_assert_eq!(assignments(&text).collect::<Vec<_>>(), reference);
        }
    }

    #[test]
    fn generic_assignments_in_many_syntaxes() {
        let value = noise(40, 28, ALNUM);
        for text in [
            format!("api_key = \"{value}\""),
            format!("export API_TOKEN={value}"),
            format!("{{\"apiKey\":\"{value}\"}}"),
            format!("{{\\\"client_secret\\\": \\\"{value}\\\"}}"),
            format!("  db_password: '{value}'"),
            format!("clientSecret := \"{value}\""),
            format!(":auth_token => '{value}'"),
            format!("$env:OPENAI_APIKEY = \"{value}\""),
            format!("mytool --api-key={value} --verbose"),
            format!("https://api.x.io/v1?access_token={value}&page=2"),
            format!("curl -H 'Authorization: Bearer {value}' https://api.x.io"),
            format!("curl -H \"X-Api-Key: {value}\""),
            format!("Authorization: Basic {value}"),
            format!("credentials={value};"),
            format!("spring.datasource.password={value}"),
        ] {
            assert_single(&text, SecretKind::GenericSecret, &value);
        }
        assert_single("password: hunter22", SecretKind::GenericSecret, "hunter22");
    }

    #[test]
    fn aws_secret_needs_its_name() {
        let secret = noise(20, 40, BASE64);
        for text in [
            format!("AWS_SECRET_ACCESS_KEY={secret}"),
            format!("\"SecretAccessKey\": \"{secret}\","),
            format!("aws.secretAccessKey: '{secret}'"),
        ] {
            assert_single(&text, SecretKind::AwsSecretAccessKey, &secret);
        }
        assert_clean(&format!("checksum {secret} ok"));
    }
}
