//! Secret detection: credentials in free text and in `{key: value}` entries, each with an exact byte
//! span, so that a tool call carrying one can be blocked (and, later, the secret redacted).
//!
//! Three layers, from most to least specific:
//! 1. **Provider formats** with a distinctive prefix (`ghp_`, `AKIA`, `sk-ant-…`, PEM armour, JWTs,
//!    …). They are precise, so only documentation placeholders are filtered out ([`looks_fake`]).
//! 2. **URL passwords** (`scheme://user:password@host`): the span is the password alone, and
//!    placeholders (`password`, `${DB_PASS}`, `<pw>`, …) are ignored.
//! 3. **Generic assignments** (`api_key = …`, `"password": "…"`, `Authorization: Bearer …`): the
//!    name must contain a secret word on identifier-segment boundaries ([`secret_name_class`]) and
//!    the value must look generated ([`plausible_secret`]).
//!
//! Overlapping findings are resolved in favour of the more specific layer, then the longer span.
//!
//! Speed comes from literal prefilters (the target is over 1 GiB/s on plain text). Each layer is
//! one regex whose matches start with a literal the `regex` crate finds by a vectorized search:
//! all provider formats in one alternation ([`PROVIDER_TOKENS`]), `://` for URL passwords,
//! `bearer`, and for assignments the operator (`=` or `:`), from which the name is read
//! backwards. Secret words themselves make poor anchors: common in prose and, case-insensitive,
//! too many variants for a fast prefilter. The `regex` crate uses finite automata (no
//! backtracking, no look-around), and the hand-written steps of a layer never read the same
//! stretch twice, so a scan is linear in the text, whatever the text.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// A secret found in a text, as a byte range on char boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFinding {
    pub kind: SecretKind,
    /// Byte offset of the first byte of the secret.
    pub start: usize,
    /// Byte offset just past the secret.
    pub end: usize,
}

/// What a secret is, as far as its format tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    AwsAccessKeyId,
    AwsSecretAccessKey,
    GitHubToken,
    GitLabToken,
    OpenAiKey,
    AnthropicKey,
    SlackToken,
    SlackWebhook,
    StripeKey,
    GoogleApiKey,
    GoogleOAuthSecret,
    GoogleAccessToken,
    NpmToken,
    PypiToken,
    PrivateKey,
    Jwt,
    UrlPassword,
    GenericSecret,
}

impl SecretKind {
    /// Every kind, in declaration order.
    pub const ALL: [SecretKind; 18] = [
        SecretKind::AwsAccessKeyId,
        SecretKind::AwsSecretAccessKey,
        SecretKind::GitHubToken,
        SecretKind::GitLabToken,
        SecretKind::OpenAiKey,
        SecretKind::AnthropicKey,
        SecretKind::SlackToken,
        SecretKind::SlackWebhook,
        SecretKind::StripeKey,
        SecretKind::GoogleApiKey,
        SecretKind::GoogleOAuthSecret,
        SecretKind::GoogleAccessToken,
        SecretKind::NpmToken,
        SecretKind::PypiToken,
        SecretKind::PrivateKey,
        SecretKind::Jwt,
        SecretKind::UrlPassword,
        SecretKind::GenericSecret,
    ];

    /// The kebab-case name used in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "aws-access-key-id",
            SecretKind::AwsSecretAccessKey => "aws-secret-access-key",
            SecretKind::GitHubToken => "github-token",
            SecretKind::GitLabToken => "gitlab-token",
            SecretKind::OpenAiKey => "openai-key",
            SecretKind::AnthropicKey => "anthropic-key",
            SecretKind::SlackToken => "slack-token",
            SecretKind::SlackWebhook => "slack-webhook",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::GoogleApiKey => "google-api-key",
            SecretKind::GoogleOAuthSecret => "google-oauth-secret",
            SecretKind::GoogleAccessToken => "google-access-token",
            SecretKind::NpmToken => "npm-token",
            SecretKind::PypiToken => "pypi-token",
            SecretKind::PrivateKey => "private-key",
            SecretKind::Jwt => "jwt",
            SecretKind::UrlPassword => "url-password",
            SecretKind::GenericSecret => "generic-secret",
        }
    }

    /// The kind whose [`name`](Self::name) is `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == s)
    }

    /// A noun phrase for messages: "blocked: the arguments contain {describe}".
    pub fn describe(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "an AWS access key id",
            SecretKind::AwsSecretAccessKey => "an AWS secret access key",
            SecretKind::GitHubToken => "a GitHub token",
            SecretKind::GitLabToken => "a GitLab token",
            SecretKind::OpenAiKey => "an OpenAI API key",
            SecretKind::AnthropicKey => "an Anthropic API key",
            SecretKind::SlackToken => "a Slack token",
            SecretKind::SlackWebhook => "a Slack webhook URL",
            SecretKind::StripeKey => "a Stripe secret key",
            SecretKind::GoogleApiKey => "a Google API key",
            SecretKind::GoogleOAuthSecret => "a Google OAuth client secret",
            SecretKind::GoogleAccessToken => "a Google OAuth access token",
            SecretKind::NpmToken => "an npm token",
            SecretKind::PypiToken => "a PyPI token",
            SecretKind::PrivateKey => "a private key",
            SecretKind::Jwt => "a JSON Web Token",
            SecretKind::UrlPassword => "a password in a URL",
            SecretKind::GenericSecret => "a secret value",
        }
    }

    /// How much a finding of this kind says: on overlap the more specific one wins, so that
    /// `token = ghp_…` reports a GitHub token rather than a generic secret.
    fn specificity(self) -> u8 {
        match self {
            SecretKind::GenericSecret => 0,
            SecretKind::UrlPassword => 1,
            _ => 2,
        }
    }
}

/// Every secret in `text`, sorted by position, non-overlapping: where candidates overlap, the
/// provider format wins over a URL password, which wins over a generic secret, and then the
/// longer span wins.
pub fn scan(text: &str) -> Vec<SecretFinding> {
    let candidates = provider_tokens(text)
        .chain(url_passwords(text))
        .chain(bearer_tokens(text))
        .chain(assignments(text));
    keep_most_specific(candidates)
}

/// The secret in a JSON object entry `{key: value}`: the whole value (after an authorization
/// scheme such as `Bearer `), when `key` names a secret and the value is one. The kind is the
/// provider format when the value is exactly one provider token, and otherwise as for an
/// assignment in text (see [`assigned_kind`]).
pub fn scan_assignment(key: &str, value: &str) -> Option<SecretFinding> {
    let class = secret_name_class(key)?;
    let secret = skip_auth_scheme(value);
    let kind = match scan(secret).as_slice() {
        [only] if only.start == 0 && only.end == secret.len() => only.kind,
        _ => assigned_kind(key, secret, class, Quoting::Quoted)?,
    };
    Some(finding(kind, value.len() - secret.len()..value.len()))
}

/// Shannon entropy of the characters of `s`, in bits per character (0 for the empty string).
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    counts
        .values()
        .map(|&count| {
            let p = count as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Provider token formats. Each starts with a literal (`(?-u:\b)` is an ASCII word boundary, which
/// unlike the Unicode one keeps the lazy DFA usable on non-ASCII text), so the combined
/// [`PROVIDER_TOKENS`] regex skips text between candidates with a vectorized literal search.
const TOKEN_PATTERNS: &[(SecretKind, &str)] = &[
    (
        SecretKind::AwsAccessKeyId,
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        SecretKind::GitHubToken,
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})",
    ),
    (
        SecretKind::GitLabToken,
        r"(?-u:\b)gl(?:pat|dt|rt|ptt|soat|cbt|ft|imt|oas|agent|ffct)-[A-Za-z0-9_-]{20,}",
    ),
    (
        SecretKind::OpenAiKey,
        r"(?-u:\b)sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?-u:\b))",
    ),
    (
        SecretKind::AnthropicKey,
        r"(?-u:\b)sk-ant-[a-z]{2,10}[0-9]{2}-[A-Za-z0-9_-]{32,}",
    ),
    (
        SecretKind::SlackToken,
        r"(?-u:\b)(?:xox[abposre]|xapp)-[0-9A-Za-z]+-[0-9A-Za-z-]{8,}[0-9A-Za-z]",
    ),
    (
        SecretKind::SlackWebhook,
        r"https?://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,}",
    ),
    (
        SecretKind::StripeKey,
        r"(?-u:\b)[rs]k_(?:live|test)_[0-9A-Za-z]{16,}",
    ),
    (SecretKind::GoogleApiKey, r"(?-u:\b)AIza[0-9A-Za-z_-]{35,}"),
    (
        SecretKind::GoogleOAuthSecret,
        r"(?-u:\b)GOCSPX-[0-9A-Za-z_-]{28,}",
    ),
    (
        SecretKind::GoogleAccessToken,
        r"(?-u:\b)ya29\.[0-9A-Za-z_-]{20,}",
    ),
    (SecretKind::NpmToken, r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)"),
    (
        SecretKind::PypiToken,
        r"(?-u:\b)pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    ),
    // Only the BEGIN line: `pem_block` finds where the block ends.
    (
        SecretKind::PrivateKey,
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----",
    ),
    (
        SecretKind::Jwt,
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
];

/// All [`TOKEN_PATTERNS`] in one alternation: one pass finds every provider token. Matches do not
/// overlap, which loses nothing in practice: a token can only start inside another's match after
/// a `-` of a longer token (`glpat-…-AIza…`), which then covers it.
static PROVIDER_TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<&str> = TOKEN_PATTERNS.iter().map(|(_, pattern)| *pattern).collect();
    Regex::new(&alternatives.join("|")).expect("provider patterns compile")
});

/// Which [`TOKEN_PATTERNS`] row a [`PROVIDER_TOKENS`] match came from, asked of the match alone:
/// far cheaper than capture groups in the combined regex.
static TOKEN_ROWS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(
        TOKEN_PATTERNS
            .iter()
            .map(|(_, pattern)| format!(r"\A(?:{pattern})\z")),
    )
    .expect("provider patterns compile")
});

/// The password in a URL's userinfo (`scheme://user:password@host`), in group 1. Searched from
/// `://` because the scheme adds nothing and would cost the literal prefilter.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"://[^\s:/?#@"'`]*:([^\s/?#@"'`]+)@[^\s/?#@"'`]"#).expect("valid regex")
});

/// `Bearer <token>` anywhere (headers, curl commands), the token in group 1.
static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u:\bbearer)[ \t]+([A-Za-z0-9._~+/-]+=*)").expect("valid regex")
});

/// The first character of an assignment operator (`=`, `:`, `:=`, `=>`). The scanner starts from
/// operators because they are rare in prose and a single byte class is found by a vectorized
/// search, while secret words (`key`, `pass`) are common and, matched case-insensitively, defeat
/// the literal prefilter.
static OPERATOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[:=]").expect("valid regex"));

/// A name under which AWS tools store the secret access key (`aws_secret_access_key`,
/// `AWS_SECRET_ACCESS_KEY`, `SecretAccessKey`, `--aws-secret-access-key`, …).
static AWS_SECRET_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u:secret[_.-]?access[_.-]?key)$").expect("valid regex"));

/// The shape of an AWS secret access key.
static AWS_SECRET_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9/+=]{40}$").expect("valid regex"));

/// The body of a PEM block after its BEGIN line: RFC 1421 header lines first (`Proc-Type: …`, PGP
/// `Version: …`), then base64 and line breaks, also JSON-escaped (`\n`) since arguments are often
/// serialized text.
static PEM_BODY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\A(?:(?:\r?\n|\\r?\\n)[A-Za-z][A-Za-z0-9-]*: [^\r\n\\]*)*(?:[A-Za-z0-9+/=\r\n]|\\[rn])*",
    )
    .expect("valid regex")
});

/// The END line that closes a PEM block.
static PEM_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A-----END [A-Z0-9 ]*-----").expect("valid regex"));

/// Fewer base64 characters than this after a BEGIN line is a documentation stub, not a key.
const MIN_PEM_BODY: usize = 32;

/// Provider tokens, minus documentation placeholders; private keys extended to their whole block.
fn provider_tokens(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    PROVIDER_TOKENS.find_iter(text).filter_map(move |token| {
        let row = TOKEN_ROWS.matches(token.as_str()).into_iter().next()?;
        let kind = TOKEN_PATTERNS[row].0;
        let span = match kind {
            SecretKind::PrivateKey => pem_block(text, token.range())?,
            _ => (!looks_fake(token.as_str())).then(|| token.range())?,
        };
        Some(finding(kind, span))
    })
}

/// Passwords embedded in URLs, minus placeholders (`password`, `<password>`, `YOUR_TOKEN`).
fn url_passwords(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    URL_PASSWORD.captures_iter(text).filter_map(|caps| {
        let password = caps.get(1)?;
        let real = !is_placeholder(password.as_str()) && !looks_fake(password.as_str());
        real.then(|| finding(SecretKind::UrlPassword, password.range()))
    })
}

/// Plausible secrets after `Bearer`.
fn bearer_tokens(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    BEARER.captures_iter(text).filter_map(|caps| {
        let token = caps.get(1)?;
        let quoting = Quoting::Bare {
            followed_by: next_char(text, token.end()),
        };
        let plausible = plausible_secret(token.as_str(), NameClass::Other.min_len(), quoting);
        plausible.then(|| finding(SecretKind::GenericSecret, token.range()))
    })
}

/// Secret values of `name <op> value` assignments. Each operator is checked, but once a secret
/// name's value is read the operators inside it are skipped, so every byte is read a bounded
/// number of times (`token=token=token=…` stays linear).
fn assignments(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    let mut resume = 0;
    OPERATOR.find_iter(text).filter_map(move |op| {
        if op.start() < resume {
            return None;
        }
        let op = operator_span(text, op.start());
        let name = assigned_name(text, op.clone())?;
        let class = secret_name_class(name)?;
        let (value, quoting) = assigned_value(text, op.end)?;
        resume = value.end;
        let kind = assigned_kind(name, &text[value.clone()], class, quoting)?;
        Some(finding(kind, value))
    })
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
fn skip_auth_scheme(s: &str) -> &str {
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
fn assigned_kind(
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

/// A finding of `kind` over `span`.
fn finding(kind: SecretKind, span: Range<usize>) -> SecretFinding {
    SecretFinding {
        kind,
        start: span.start,
        end: span.end,
    }
}

/// Keep, of overlapping candidates, the most specific and then the longest; sort by start.
fn keep_most_specific(candidates: impl Iterator<Item = SecretFinding>) -> Vec<SecretFinding> {
    let mut ranked: Vec<SecretFinding> = candidates.collect();
    ranked.sort_by(|a, b| {
        (b.kind.specificity(), b.end - b.start, a.start).cmp(&(
            a.kind.specificity(),
            a.end - a.start,
            b.start,
        ))
    });
    // Kept findings never overlap, so a candidate only has to be checked against its neighbours.
    let mut kept: BTreeMap<usize, SecretFinding> = BTreeMap::new();
    for candidate in ranked {
        let before = kept.range(..=candidate.start).next_back();
        let after = kept.range(candidate.start..).next();
        let clashes = before.is_some_and(|(_, f)| f.end > candidate.start)
            || after.is_some_and(|(_, f)| f.start < candidate.end);
        if !clashes {
            kept.insert(candidate.start, candidate);
        }
    }
    kept.into_values().collect()
}

/// The character starting at byte `at`, if any.
fn next_char(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|rest| rest.chars().next())
}

/// The span of a PEM block whose BEGIN line is at `header`: through the END line, or, when the
/// text was truncated before it, through the last base64 line.
fn pem_block(text: &str, header: Range<usize>) -> Option<Range<usize>> {
    let rest = &text[header.end..];
    let body = PEM_BODY.find(rest).map_or("", |m| m.as_str());
    let (body, end_line) = match PEM_END.find(&rest[body.len()..]) {
        Some(end_line) => (body, end_line.end()),
        None => (truncated_body(rest, body), 0),
    };
    let base64 = body.bytes().filter(u8::is_ascii_alphanumeric).count();
    (base64 >= MIN_PEM_BODY).then(|| header.start..header.end + body.len() + end_line)
}

/// The key material of a block (`body`, a prefix of `rest`) whose END line is missing: without
/// trailing line breaks, and without its last line when that line runs into prose (a blank
/// follows it), since base64 lines have no blanks.
fn truncated_body<'a>(rest: &str, body: &'a str) -> &'a str {
    let runs_into_prose = matches!(next_char(rest, body.len()), Some(' ' | '\t'));
    let last_line_break = body.rfind('\n').max(body.rfind("\\n")).unwrap_or(0);
    trim_line_breaks(if runs_into_prose {
        &body[..last_line_break]
    } else {
        body
    })
}

/// `s` without trailing whitespace or JSON-escaped line breaks.
fn trim_line_breaks(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_end();
        let trimmed = trimmed
            .strip_suffix("\\n")
            .or_else(|| trimmed.strip_suffix("\\r"))
            .unwrap_or(trimmed);
        if trimmed.len() == s.len() {
            return s;
        }
        s = trimmed;
    }
}

/// What kind of secret a name announces, which sets how short its value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameClass {
    /// Chosen by people: shorter values are real.
    Password,
    /// Keys and tokens: generated, and long.
    Other,
}

impl NameClass {
    /// Shortest value taken for a secret under such a name.
    fn min_len(self) -> usize {
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
fn secret_name_class(name: &str) -> Option<NameClass> {
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
fn segments(s: &str) -> Vec<&str> {
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

/// How a value was written, which decides whether it can be code rather than data.
#[derive(Debug, Clone, Copy)]
enum Quoting {
    /// A string literal (or a JSON value): data.
    Quoted,
    /// Bare text after the operator: may be an expression (`os.environ[…]`, `getToken()`).
    Bare { followed_by: Option<char> },
}

/// Whether a value assigned to a secret name is itself a secret: long enough, random enough, and
/// none of the things that sit in such places without being secrets (placeholders, references,
/// hashes, ids, paths, words).
fn plausible_secret(value: &str, min_len: usize, quoting: Quoting) -> bool {
    value.chars().count() >= min_len
        && !value.contains(char::is_whitespace)
        && !is_placeholder(value)
        && !looks_fake(value)
        && !is_code(value, quoting)
        && !is_wordy(value)
        && !is_hex(value)
        && !is_uuid(value)
        && !is_integrity_hash(value)
        && !is_path_or_url(value)
        && shannon_entropy(value) >= min_entropy(value.chars().count())
}

/// The least entropy a generated value of `len` characters shows. A random string of `n`
/// characters from a 36–64 letter alphabet has nearly all characters distinct while `n` is small,
/// so its entropy is close to `log2(n)` (2.8–3.0 bits for 8, 3.4–3.6 for 12, 3.8+ for 16);
/// a bit below that still leaves out `aaaabbbb`, `abcabcabcabc` and `aaaaaaaaaaaaaaaaaaaa`. From
/// 16 characters on the bar stays at 3.0, which long repetitive values stay under while random ones,
/// whatever their length, stay above.
fn min_entropy(len: usize) -> f64 {
    ((len as f64).log2() - 1.0).min(3.0)
}

/// Values that stand for a secret without being one, in URLs and assignments: the word itself
/// (`password`, `changeme1`), masks (`xxx`, `***`, `...`), templates and variable references.
fn is_placeholder(value: &str) -> bool {
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
fn looks_fake(token: &str) -> bool {
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
fn is_wordy(value: &str) -> bool {
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
    use super::*;
    use proptest::prelude::*;

    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const DIGITS: &str = "0123456789";
    const URL_SAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// Pseudo-random characters from `alphabet`, deterministic per seed and never repeating the
    /// previous one: fake tokens that look generated, with no token literal in this file.
    fn noise(seed: u64, len: usize, alphabet: &str) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut previous = None;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let mut index = (state >> 33) as usize % chars.len();
                if previous == Some(index) {
                    index = (index + 1) % chars.len();
                }
                previous = Some(index);
                chars[index]
            })
            .collect()
    }

    /// A PEM block of `label` with a few lines of base64.
    fn pem(label: &str, seed: u64) -> String {
        let body: Vec<String> = (0..3)
            .map(|i| noise(seed.wrapping_add(i), 64, BASE64))
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----",
            body.join("\n")
        )
    }

    /// A realistic occurrence of `kind`: the text before the secret, the secret, the text after.
    fn sample(kind: SecretKind, seed: u64) -> (String, String, String) {
        let n = |len, alphabet| noise(seed, len, alphabet);
        let (before, secret, after) = match kind {
            SecretKind::AwsAccessKeyId => (
                "aws_access_key_id = ",
                format!("AKIA{}", n(16, UPPER_DIGITS)),
                "",
            ),
            SecretKind::AwsSecretAccessKey => ("aws_secret_access_key = ", n(40, BASE64), ""),
            SecretKind::GitHubToken => ("export GH_TOKEN=", format!("ghp_{}", n(36, ALNUM)), ""),
            SecretKind::GitLabToken => (
                "glab auth login --token ",
                format!("glpat-{}", n(20, URL_SAFE)),
                " --hostname x",
            ),
            SecretKind::OpenAiKey => (
                "OPENAI_API_KEY=\"",
                format!("sk-proj-{}", n(64, URL_SAFE)),
                "\"",
            ),
            SecretKind::AnthropicKey => (
                "{\"x-api-key\": \"",
                format!("sk-ant-api03-{}AA", n(93, URL_SAFE)),
                "\"}",
            ),
            SecretKind::SlackToken => (
                "use the bot token ",
                format!("xoxb-{}-{}-{}", n(12, DIGITS), n(13, DIGITS), n(24, ALNUM)),
                " to post",
            ),
            SecretKind::SlackWebhook => (
                "curl -X POST ",
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    n(8, UPPER_DIGITS),
                    n(10, UPPER_DIGITS),
                    n(24, ALNUM)
                ),
                " -d '{}'",
            ),
            SecretKind::StripeKey => (
                "stripe.api_key = '",
                format!("sk_live_{}", n(24, ALNUM)),
                "'",
            ),
            SecretKind::GoogleApiKey => (
                "https://maps.googleapis.com/maps/api/geocode/json?key=",
                format!("AIza{}", n(35, URL_SAFE)),
                "&address=x",
            ),
            SecretKind::GoogleOAuthSecret => (
                "\"client_secret\": \"",
                format!("GOCSPX-{}", n(28, URL_SAFE)),
                "\"",
            ),
            SecretKind::GoogleAccessToken => (
                "Authorization: Bearer ",
                format!("ya29.{}", n(120, URL_SAFE)),
                "",
            ),
            SecretKind::NpmToken => (
                "//registry.npmjs.org/:_authToken=",
                format!("npm_{}", n(36, ALNUM)),
                "",
            ),
            SecretKind::PypiToken => (
                "password = ",
                format!("pypi-AgEIcHlwaS5vcmc{}", n(70, URL_SAFE)),
                "",
            ),
            SecretKind::PrivateKey => ("deploy key:\n", pem("OPENSSH PRIVATE KEY", seed), "\n"),
            SecretKind::Jwt => (
                "Cookie: session=",
                format!(
                    "eyJ{}.eyJ{}.{}",
                    n(33, URL_SAFE),
                    noise(seed.wrapping_add(1), 60, URL_SAFE),
                    noise(seed.wrapping_add(2), 43, URL_SAFE)
                ),
                "; Path=/",
            ),
            SecretKind::UrlPassword => (
                "DATABASE_URL=postgres://app:",
                n(16, ALNUM),
                "@db.internal:5432/app",
            ),
            SecretKind::GenericSecret => ("api_key = \"", n(32, ALNUM), "\""),
        };
        (before.to_owned(), secret, after.to_owned())
    }

    /// `sample` as one text and the finding expected in it.
    fn embedded(kind: SecretKind, seed: u64) -> (String, SecretFinding) {
        let (before, secret, after) = sample(kind, seed);
        let finding = SecretFinding {
            kind,
            start: before.len(),
            end: before.len() + secret.len(),
        };
        (format!("{before}{secret}{after}"), finding)
    }

    /// `finding` moved `offset` bytes later, as when text is put before it.
    fn shifted(finding: &SecretFinding, offset: usize) -> SecretFinding {
        SecretFinding {
            kind: finding.kind,
            start: finding.start + offset,
            end: finding.end + offset,
        }
    }

    /// What [`scan`] finds in `text`, as kinds and the text they span.
    fn found(text: &str) -> Vec<(SecretKind, &str)> {
        scan(text)
            .iter()
            .map(|f| (f.kind, &text[f.start..f.end]))
            .collect()
    }

    /// `text` holds exactly one secret, of `kind`, spanning exactly `expected`.
    fn assert_single(text: &str, kind: SecretKind, expected: &str) {
        assert_eq!(found(text), [(kind, expected)], "in {text:?}");
    }

    fn assert_clean(text: &str) {
        let found = found(text);
        assert!(found.is_empty(), "{found:?} in {text:?}");
    }

    #[test]
    fn every_kind_is_found_with_its_exact_span() {
        for kind in SecretKind::ALL {
            for seed in 0..4 {
                let (text, finding) = embedded(kind, seed);
                assert_eq!(scan(&text), [finding], "{kind:?} in {text:?}");
            }
        }
    }

    #[test]
    fn several_secrets_in_one_text_deep_in_a_large_one() {
        let padding = "lorem ipsum dolor sit amet, tokens and keys and passwords. ".repeat(20_000);
        let mut text = padding.clone();
        let mut expected = Vec::new();
        for (seed, kind) in (0..).zip(SecretKind::ALL) {
            let (sample, finding) = embedded(kind, seed);
            text.push('\n');
            expected.push(shifted(&finding, text.len()));
            text.push_str(&sample);
            text.push('\n');
            text.push_str(&padding[..1000]);
        }
        assert_eq!(scan(&text), expected);
    }

    #[test]
    fn every_candidate_is_checked_not_only_the_first() {
        let token = format!("ghp_{}", noise(7, 36, ALNUM));
        let text = format!("token=aaaaaaaaaaaaaaaaaaaa token={token}");
        assert_single(&text, SecretKind::GitHubToken, &token);
        let value = noise(8, 24, ALNUM);
        let text = format!("api_key=aaaaaaaaaaaaaaaaaaaa\napi_key={value}");
        assert_single(&text, SecretKind::GenericSecret, &value);
        let text = format!("{}{token}", "a ".repeat(100_000));
        assert_single(&text, SecretKind::GitHubToken, &token);
    }

    #[test]
    fn provider_variants() {
        let cases = [
            (
                SecretKind::AwsAccessKeyId,
                format!("ASIA{}", noise(1, 16, UPPER_DIGITS)),
            ),
            (
                SecretKind::GitHubToken,
                format!("gho_{}", noise(2, 40, ALNUM)),
            ),
            (
                SecretKind::GitHubToken,
                format!("github_pat_{}_{}", noise(3, 22, ALNUM), noise(4, 59, ALNUM)),
            ),
            (
                SecretKind::GitLabToken,
                format!("glrt-{}", noise(5, 24, URL_SAFE)),
            ),
            (
                SecretKind::OpenAiKey,
                format!("sk-{}T3BlbkFJ{}", noise(6, 20, ALNUM), noise(7, 20, ALNUM)),
            ),
            (
                SecretKind::OpenAiKey,
                format!("sk-svcacct-{}", noise(8, 40, URL_SAFE)),
            ),
            (
                SecretKind::AnthropicKey,
                format!("sk-ant-admin01-{}", noise(9, 80, URL_SAFE)),
            ),
            (
                SecretKind::SlackToken,
                format!(
                    "xapp-1-A{}-{}-{}",
                    noise(10, 9, UPPER_DIGITS),
                    noise(11, 13, DIGITS),
                    noise(12, 64, ALNUM)
                ),
            ),
            (
                SecretKind::StripeKey,
                format!("rk_test_{}", noise(13, 30, ALNUM)),
            ),
        ];
        for (kind, token) in cases {
            assert_single(&format!("value: ({token})."), kind, &token);
        }
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

    #[test]
    fn private_keys_span_the_whole_block() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let block = pem(label, 3);
            assert_single(
                &format!("key = \"\"\"\n{block}\n\"\"\""),
                SecretKind::PrivateKey,
                &block,
            );
        }
        let body = noise(4, 64, BASE64);
        let encrypted = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\n{body}\n-----END RSA PRIVATE KEY-----"
        );
        assert_single(
            &format!("{encrypted}\n"),
            SecretKind::PrivateKey,
            &encrypted,
        );
        let escaped = pem("PRIVATE KEY", 5).replace('\n', "\\n");
        assert_single(
            &format!("{{\"key\":\"{escaped}\"}}"),
            SecretKind::PrivateKey,
            &escaped,
        );
    }

    #[test]
    fn truncated_private_key_spans_the_body() {
        let lines = format!("{}\n{}", noise(6, 64, BASE64), noise(7, 30, BASE64));
        let truncated = format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{lines}");
        assert_single(
            &format!("{truncated}\n\n"),
            SecretKind::PrivateKey,
            &truncated,
        );
        assert_single(&format!("{truncated}…"), SecretKind::PrivateKey, &truncated);
    }

    #[test]
    fn pgp_armour_headers_are_part_of_the_block() {
        let body = format!(
            "{}\n{}\n={}",
            noise(8, 64, BASE64),
            noise(9, 40, BASE64),
            noise(10, 4, BASE64)
        );
        let block = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: backup\n\n{body}\n-----END PGP PRIVATE KEY BLOCK-----"
        );
        assert_single(
            &format!("gpg --import <<EOF\n{block}\nEOF"),
            SecretKind::PrivateKey,
            &block,
        );
    }

    #[test]
    fn truncated_private_key_stops_before_following_prose() {
        let truncated = format!("-----BEGIN RSA PRIVATE KEY-----\n{}", noise(11, 64, BASE64));
        let text = format!("{truncated}\n\nThanks for reading: more later");
        assert_single(&text, SecretKind::PrivateKey, &truncated);
    }

    #[test]
    fn public_material_and_stubs_are_not_private_keys() {
        assert_clean(&pem("PUBLIC KEY", 1));
        assert_clean(&pem("CERTIFICATE", 2));
        assert_clean(&pem("PGP PUBLIC KEY BLOCK", 3));
        assert_clean(&format!(
            "ssh-rsa AAAAB3NzaC1yc2E{} alice@laptop",
            noise(4, 300, BASE64)
        ));
        assert_clean(&format!(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{} bob",
            noise(5, 48, BASE64)
        ));
        assert_clean(
            "keys start with -----BEGIN PRIVATE KEY----- and end with -----END PRIVATE KEY-----",
        );
        assert_clean("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----");
    }

    #[test]
    fn url_passwords_span_the_password_only() {
        let password = noise(30, 14, ALNUM);
        for text in [
            format!("postgres://app:{password}@db:5432/x"),
            format!("git clone https://alice:{password}@github.com/o/r.git"),
            format!("REDIS_URL=redis://:{password}@cache"),
            format!("\"url\": \"amqp://user:{password}@[::1]:5672\""),
        ] {
            assert_single(&text, SecretKind::UrlPassword, &password);
        }
        let token = format!("ghp_{}", noise(31, 36, ALNUM));
        assert_single(
            &format!("https://x:{token}@github.com"),
            SecretKind::GitHubToken,
            &token,
        );
    }

    #[test]
    fn url_placeholder_passwords_are_ignored() {
        for password in [
            "password",
            "pass",
            "secret",
            "changeme",
            "xxx",
            "XXXXXX",
            "***",
            "<password>",
            "${DB_PASSWORD}",
            "$PGPASSWORD",
            "{password}",
            "%s",
            "example",
            "...",
            "password123",
            "YOUR_TOKEN",
            "{{token}}",
            "…",
        ] {
            assert_clean(&format!("postgres://user:{password}@localhost/db"));
        }
        assert_clean("see https://example.com:8080/path and http://[::1]:80/x");
        assert_clean("mail alice@example.com or ssh git@github.com:o/r.git");
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

    #[test]
    fn non_secrets_are_not_reported() {
        let sha = noise(50, 40, "0123456789abcdef");
        let integrity = format!("sha512-{}==", noise(51, 86, BASE64));
        let random = noise(52, 24, ALNUM);
        let texts = [
            format!("commit {sha}\ntoken = {sha}\nrevision: {}", &sha[..7]),
            "api_key: 123e4567-e89b-12d3-a456-426614174000".to_owned(),
            format!("\"integrity\": \"{integrity}\",\n\"token\": \"{integrity}\""),
            format!("aws_access_key_id = AKIAIOSFODNN7{}", "EXAMPLE"),
            format!("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY"),
            "max_tokens: 4096\ntokens_used: 1234\n\"token_count\": 12345".to_owned(),
            "tokenizer = \"cl100k_base\"".to_owned(),
            "password: ${DB_PASSWORD}\npassword = $DB_PASSWORD\npwd: %DB_PASS%".to_owned(),
            "postgres://user:password@localhost/db".to_owned(),
            "api_key = \"your-api-key-here\"\napi_key: <your key>\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxx\"".to_owned(),
            "OPENAI_API_KEY=YOUR_OPENAI_API_KEY\nsecret: '********'\napi_key=...".to_owned(),
            format!("ghp_{}\nsk-proj-your_openai_api_key_goes_here", "x".repeat(36)),
            "password = os.environ[\"DB_PASSWORD\"]\napiKey: process.env.OPENAI_API_KEY".to_owned(),
            "let token = get_token(&config)?;\nself.password = request.form.password".to_owned(),
            "token = self.settings.github_token\nsecret = getSecretFromVault()".to_owned(),
            format!("monkey = \"{random}\"\nkeyboard_layout = \"{random}\""),
            format!("passwordless: true\ntoken_type: bearer\nsecret_name = \"{random}\""),
            "auth: true\nauth_url: https://login.example.com/oauth2/authorize".to_owned(),
            "private_key_path = ~/.ssh/id_ed25519\nprivate_key: /etc/ssl/private/server.key".to_owned(),
            "credentials_file: service-account-prod.json".to_owned(),
            "Please enter your password: it must be long and contain digits.".to_owned(),
            "The bearer token is stored in the keychain; pass: the ball".to_owned(),
            "fn main() { let key = map.get(&key); let pass = 3; }".to_owned(),
            "stripe publishable key pk_live_0123456789abcdefghijklmnop".to_owned(),
            "token: 0x1f2e3d4c5b6a79880f1e2d3c4b5a6978".to_owned(),
            "password = aaaaaaaaaaaa\nsecret_key = abcabcabcabcabcabc".to_owned(),
            "api_key = \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"".to_owned(),
        ];
        for text in &texts {
            assert_clean(text);
        }
    }

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
    fn scan_assignment_checks_name_and_value() {
        let random = noise(60, 32, ALNUM);
        let whole = |kind| {
            Some(SecretFinding {
                kind,
                start: 0,
                end: random.len(),
            })
        };
        assert_eq!(
            scan_assignment("api_key", &random),
            whole(SecretKind::GenericSecret)
        );
        assert_eq!(
            scan_assignment("Authorization", &random),
            whole(SecretKind::GenericSecret)
        );
        assert_eq!(scan_assignment("keyboard", &random), None);
        assert_eq!(scan_assignment("description", &random), None);
        assert_eq!(scan_assignment("token_count", "12345"), None);
        assert_eq!(scan_assignment("password", "${DB_PASSWORD}"), None);
        assert_eq!(scan_assignment("api_key", "your-api-key-here"), None);
        assert_eq!(
            scan_assignment("password", "hunter22"),
            Some(SecretFinding {
                kind: SecretKind::GenericSecret,
                start: 0,
                end: 8,
            })
        );
        let token = format!("ghp_{}", noise(61, 36, ALNUM));
        assert_eq!(
            scan_assignment("token", &token).map(|f| (f.kind, f.end)),
            Some((SecretKind::GitHubToken, token.len()))
        );
        let aws = noise(62, 40, BASE64);
        assert_eq!(
            scan_assignment("aws_secret_access_key", &aws).map(|f| f.kind),
            Some(SecretKind::AwsSecretAccessKey)
        );
        let example = format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY");
        assert_eq!(scan_assignment("aws_secret_access_key", &example), None);
        let header = format!("Bearer {random}");
        assert_eq!(
            scan_assignment("Authorization", &header),
            Some(SecretFinding {
                kind: SecretKind::GenericSecret,
                start: "Bearer ".len(),
                end: header.len(),
            })
        );
    }

    #[test]
    fn placeholder_markers_count_in_one_case_only() {
        let token = format!("ya29.{}", noise(80, 40, ALNUM));
        assert!(!looks_fake(&format!("{token}YoUR-{token}")));
        assert!(looks_fake(&format!("{token}YOUR-{token}")));
        assert!(looks_fake(&format!("sk-proj-your_key_{token}")));
        assert!(looks_fake(&format!("{token}aaaaa")));
        assert!(!looks_fake(&format!("{token}aaaa")));
    }

    #[test]
    fn every_secret_term_contains_a_stem() {
        for (term, _) in SECRET_TERMS {
            assert!(mentions_secret_stem(&term.concat()), "{term:?}");
        }
    }

    #[test]
    fn adversarial_inputs_stay_linear() {
        // Quadratic behaviour on any of these would take minutes at this size.
        let size = 400_000;
        for unit in [
            "token=",
            "a:",
            "api_key: aaaaaaaaaaaaaaaaaaaaaaaaa\n",
            "-----BEGIN PRIVATE KEY-----",
            "eyJaaaaaaaaaa.",
            "://a:",
            "bearer ",
            "\"password\": \"",
            "ghp_",
            "a",
            " ",
        ] {
            let text = unit.repeat(size / unit.len());
            let started = std::time::Instant::now();
            let findings = scan(&text);
            assert_well_formed(&text, &findings);
            assert!(started.elapsed().as_secs() < 5, "{unit:?}");
        }
    }

    #[test]
    fn kind_names_round_trip() {
        let mut names: Vec<&str> = SecretKind::ALL.iter().map(|k| k.name()).collect();
        for kind in SecretKind::ALL {
            assert_eq!(SecretKind::from_name(kind.name()), Some(kind));
            assert!(
                kind.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
            let article = kind.describe().split(' ').next();
            assert!(matches!(article, Some("a" | "an")), "{}", kind.describe());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SecretKind::ALL.len());
        assert_eq!(
            SecretKind::from_name("github-token"),
            Some(SecretKind::GitHubToken)
        );
        assert_eq!(SecretKind::from_name("nope"), None);
    }

    #[test]
    fn entropy_in_bits_per_char() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcdefgh") - 3.0).abs() < 1e-9);
        assert!((shannon_entropy("日本日本") - 1.0).abs() < 1e-9);
    }

    /// Text that is mostly near-misses: prefixes, operators, quotes, non-ASCII.
    fn soup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            prop::sample::select(vec![
                "ghp_",
                "AKIA",
                "sk-",
                "sk-ant-api03-",
                "xoxb-1-",
                "eyJ",
                ".",
                "://",
                ":",
                "@",
                "=",
                "\"",
                "'",
                "\\n",
                "\n",
                " ",
                "token",
                "api_key",
                "password",
                "Bearer ",
                "-----BEGIN PRIVATE KEY-----",
                "-----END ",
                "é",
                "日本",
                "AIza",
                "npm_",
                "_",
            ])
            .prop_map(str::to_owned),
            "[A-Za-z0-9+/=_-]{0,40}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    fn assert_well_formed(text: &str, findings: &[SecretFinding]) {
        for f in findings {
            assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
            assert!(
                text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                "{f:?}"
            );
        }
        for pair in findings.windows(2) {
            assert!(pair[0].end <= pair[1].start, "{pair:?}");
        }
    }

    proptest! {
        // No regression files: they would land outside this module's file.
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn findings_are_sorted_disjoint_and_on_char_boundaries(text in prop_oneof!["\\PC*", soup()]) {
            let findings = scan(&text);
            assert_well_formed(&text, &findings);
            for (key, value) in [("token", text.as_str()), (text.as_str(), "Zq8xP2mW9vL4kR7t")] {
                if let Some(f) = scan_assignment(key, value) {
                    // The whole value, or all of it after an authorization scheme.
                    prop_assert_eq!(f.end, value.len());
                    prop_assert_eq!(f.start == 0, skip_auth_scheme(value) == value);
                    assert_well_formed(value, &[f]);
                }
            }
        }

        #[test]
        fn a_token_inside_prose_is_found_exactly(
            prose in "[a-z ]{0,300}",
            at in 0usize..=300,
            kind in prop::sample::select(SecretKind::ALL.to_vec()),
            seed: u64,
        ) {
            let at = at.min(prose.len());
            let (sample, finding) = embedded(kind, seed);
            let text = format!("{} {sample} {}", &prose[..at], &prose[at..]);
            prop_assert_eq!(scan(&text), vec![shifted(&finding, at + 1)]);
        }

        #[test]
        fn low_entropy_padding_never_hides_a_token(
            pad in prop::sample::select(vec!["a", "x", "0", "=", "-", ".", "/", " ", "\n", "ab", "token=aaaa "]),
            repeat in 0usize..20_000,
            kind in prop::sample::select(SecretKind::ALL.to_vec()),
            seed: u64,
        ) {
            let padding = format!("{}\n", pad.repeat(repeat));
            let (sample, finding) = embedded(kind, seed);
            let text = format!("{padding}{sample}");
            prop_assert_eq!(scan(&text), vec![shifted(&finding, padding.len())]);
        }
    }
}
