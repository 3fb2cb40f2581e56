//! Secret detection: credentials in free text and in `{key: value}` entries, each with an exact byte
//! span, so that a tool call carrying one can be blocked (and, later, the secret redacted).
//!
//! [`scan`] makes four passes, from most to least specific:
//! 1. [`providers`]: formats with a distinctive prefix (`ghp_`, `AKIA`, `sk-ant-…`, JWTs, …), and
//!    private keys, whose whole block [`pem`] finds.
//! 2. [`url`]: passwords in URLs (`scheme://user:password@host`).
//! 3. [`bearer`]: tokens after `Bearer`.
//! 4. [`assignment`]: `api_key = …`, `"password": "…"`, when the name is a secret's ([`names`]) and
//!    the value looks generated ([`plausibility`]).
//!
//! All passes ignore documentation [`placeholders`]. Where findings overlap, a provider format wins
//! over a URL password, which wins over a generic secret, and then the longer span wins.
//!
//! Speed comes from literal prefilters (the target is over 1 GiB/s on plain text). Each pass
//! starts from a literal found by a vectorized search: the provider formats in one alternation
//! (and after a `_` in another), `://` for URL passwords and `bearer`, all regexes, and for
//! assignments the operator (`=` or `:`, found by `memchr2`), from which the name is read
//! backwards. Secret words themselves make poor anchors: common in prose and, case-insensitive, too
//! many variants for a fast prefilter. The `regex` crate uses finite automata (no backtracking, no
//! look-around), and the hand-written steps of a pass never read the same stretch twice, so a scan
//! is linear in the text, whatever the text.

mod assignment;
mod bearer;
mod entropy;
mod names;
mod pem;
mod placeholders;
mod plausibility;
mod providers;
#[cfg(test)]
mod tests;
mod url;

use std::collections::BTreeMap;
use std::ops::Range;

use assignment::{assigned_kind, assignments, skip_auth_scheme};
use bearer::bearer_tokens;
use names::secret_name_class;
use plausibility::Quoting;
use providers::provider_tokens;
use url::url_passwords;

pub use entropy::shannon_entropy;

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
