//! Provider token formats (`ghp_…`, `AKIA…`, `sk-ant-…`, JWTs, PEM armour, …): the most specific
//! pass, because each format has a distinctive prefix. The formats are precise, so only
//! documentation placeholders are filtered out.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::pem::pem_block;
use super::placeholders::looks_fake;
use super::{SecretFinding, SecretKind, finding};

/// What may come right before a provider token.
#[derive(Debug, Clone, Copy)]
enum Lead {
    /// Anything, letters and digits included (`tokenghp_…`, `xxxxglpat-…`): the format is too
    /// distinctive to be the end of a word or identifier (no word ends in `ghp`, none goes on with
    /// `T3BlbkFJ`), so text glued to it is there to hide the token.
    Anything,
    /// Anything but a letter or digit, because the format's prefix also ends ordinary words:
    /// `task-proj-…` is no OpenAI key, `network_test_…` no Stripe key, `EURASIA…` no AWS key id.
    /// `_` separates all the same (`STRIPE_KEY_sk_live_…`), see [`AFTER_UNDERSCORE`].
    Separator,
}

impl Lead {
    /// The regex that goes before a format. `(?-u:\b)` is an ASCII word boundary, which unlike the
    /// Unicode one keeps the lazy DFA usable on non-ASCII text.
    fn regex(self) -> &'static str {
        match self {
            Lead::Anything => "",
            Lead::Separator => r"(?-u:\b)",
        }
    }
}

/// Provider token formats, each with what may come before it. Each starts with a literal, so the
/// combined [`PROVIDER_TOKENS`] regex skips text between candidates with a vectorized literal
/// search.
const TOKEN_PATTERNS: &[(SecretKind, Lead, &str)] = &[
    (
        SecretKind::AwsAccessKeyId,
        Lead::Anything,
        r"AKIA[A-Z0-9]{16}(?-u:\b)",
    ),
    // Words end in `ASIA` and `ABIA` (`EURASIA`, `ARABIA`).
    (
        SecretKind::AwsAccessKeyId,
        Lead::Separator,
        r"(?:ASIA|ABIA|ACCA)[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        SecretKind::GitHubToken,
        Lead::Anything,
        r"(?:gh[pour]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})",
    ),
    // Words end in `ghs` (`highs_…`, `weighs_…`).
    (
        SecretKind::GitHubToken,
        Lead::Separator,
        r"ghs_[A-Za-z0-9]{36,}",
    ),
    (
        SecretKind::GitLabToken,
        Lead::Anything,
        r"gl(?:pat|dt|rt|ptt|soat|cbt|ft|imt|oas|agent|ffct)-[A-Za-z0-9_-]{20,}",
    ),
    // Words end in `sk` (`task-proj-…`, `disk-admin-…`).
    (
        SecretKind::OpenAiKey,
        Lead::Separator,
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}",
    ),
    (
        SecretKind::OpenAiKey,
        Lead::Anything,
        r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?-u:\b)",
    ),
    (
        SecretKind::AnthropicKey,
        Lead::Anything,
        r"sk-ant-[a-z]{2,10}[0-9]{2}-[A-Za-z0-9_-]{32,}",
    ),
    (
        SecretKind::SlackToken,
        Lead::Anything,
        r"xox[abpsre]-[0-9A-Za-z]+-[0-9A-Za-z-]{8,}[0-9A-Za-z]",
    ),
    // `xoxo` is a word, and words end in `xapp` (`dropboxapp-…`).
    (
        SecretKind::SlackToken,
        Lead::Separator,
        r"(?:xoxo|xapp)-[0-9A-Za-z]+-[0-9A-Za-z-]{8,}[0-9A-Za-z]",
    ),
    (
        SecretKind::SlackWebhook,
        Lead::Anything,
        r"https?://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,}",
    ),
    // Words end in `sk` and `rk` (`network_test_…`).
    (
        SecretKind::StripeKey,
        Lead::Separator,
        r"[rs]k_(?:live|test)_[0-9A-Za-z]{16,}",
    ),
    (
        SecretKind::GoogleApiKey,
        Lead::Anything,
        r"AIza[0-9A-Za-z_-]{35,}",
    ),
    (
        SecretKind::GoogleOAuthSecret,
        Lead::Anything,
        r"GOCSPX-[0-9A-Za-z_-]{28,}",
    ),
    // Words end in `ya` (`libya29.…`).
    (
        SecretKind::GoogleAccessToken,
        Lead::Separator,
        r"ya29\.[0-9A-Za-z_-]{20,}",
    ),
    (
        SecretKind::NpmToken,
        Lead::Anything,
        r"npm_[A-Za-z0-9]{36}(?-u:\b)",
    ),
    (
        SecretKind::PypiToken,
        Lead::Anything,
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    ),
    // Only the BEGIN line: `pem_block` finds where the block ends.
    (
        SecretKind::PrivateKey,
        Lead::Anything,
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----",
    ),
    (
        SecretKind::Jwt,
        Lead::Anything,
        r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
];

/// Each [`TOKEN_PATTERNS`] row as a regex, its lead included.
fn token_regexes() -> impl Iterator<Item = String> {
    TOKEN_PATTERNS
        .iter()
        .map(|(_, lead, pattern)| format!("{}{pattern}", lead.regex()))
}

/// All [`TOKEN_PATTERNS`] in one alternation: one pass finds every provider token but those of
/// [`AFTER_UNDERSCORE`]. Matches do not overlap, which loses nothing in practice: a token that
/// starts inside another's match (`glpat-…AIza…`) is part of that longer token, which covers it.
static PROVIDER_TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = token_regexes().collect();
    Regex::new(&alternatives.join("|")).expect("provider patterns compile")
});

/// The [`Lead::Separator`] formats right after a `_`, which separates them although `\b` counts it
/// as part of a word. The `regex` crate has no look-behind, so the `_` is matched, in a pass of its
/// own: as alternatives of [`PROVIDER_TOKENS`], the `_`-led literals made its prefilter much less
/// selective (the whole scan ran 40% slower on snake_case code), while alone, all long
/// (`_sk-proj-`, `_ASIA`), they are searched faster than the main pass.
static AFTER_UNDERSCORE: LazyLock<Regex> = LazyLock::new(|| {
    let separated: Vec<&str> = TOKEN_PATTERNS
        .iter()
        .filter(|(_, lead, _)| matches!(lead, Lead::Separator))
        .map(|(_, _, pattern)| *pattern)
        .collect();
    Regex::new(&format!("_(?:{})", separated.join("|"))).expect("provider patterns compile")
});

/// Which [`TOKEN_PATTERNS`] row a [`PROVIDER_TOKENS`] match came from, asked of the match alone:
/// far cheaper than capture groups in the combined regex.
static TOKEN_ROWS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(token_regexes().map(|regex| format!(r"\A(?:{regex})\z")))
        .expect("provider patterns compile")
});

/// Provider tokens, minus documentation placeholders; private keys extended to their whole block.
pub(super) fn provider_tokens(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    let after_underscore = AFTER_UNDERSCORE
        .find_iter(text)
        .map(|found| found.start() + '_'.len_utf8()..found.end());
    let tokens = PROVIDER_TOKENS.find_iter(text).map(|found| found.range());
    tokens.chain(after_underscore).filter_map(move |token| {
        let row = TOKEN_ROWS
            .matches(&text[token.clone()])
            .into_iter()
            .next()?;
        let kind = TOKEN_PATTERNS[row].0;
        let span = match kind {
            SecretKind::PrivateKey => pem_block(text, token)?,
            _ => (!looks_fake(&text[token.clone()])).then_some(token)?,
        };
        Some(finding(kind, span))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::secrets::tests::{
        ALNUM, DIGITS, UPPER_DIGITS, URL_SAFE, assert_clean, assert_single, noise, sample,
    };

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
    fn tokens_after_a_separator_are_found() {
        let formats = SecretKind::ALL
            .into_iter()
            .filter(|kind| TOKEN_PATTERNS.iter().any(|row| row.0 == *kind));
        let mut tokens: Vec<(SecretKind, String)> = (0..)
            .zip(formats)
            .map(|(seed, kind)| (kind, sample(kind, seed).1))
            .collect();
        tokens.extend([
            (
                SecretKind::AwsAccessKeyId,
                format!("ASIA{}", noise(1, 16, UPPER_DIGITS)),
            ),
            (
                SecretKind::GitHubToken,
                format!("ghs_{}", noise(2, 36, ALNUM)),
            ),
            (
                SecretKind::OpenAiKey,
                format!("sk-admin-{}", noise(3, 40, URL_SAFE)),
            ),
            (
                SecretKind::SlackToken,
                format!(
                    "xapp-1-A{}-{}",
                    noise(4, 10, UPPER_DIGITS),
                    noise(5, 40, ALNUM)
                ),
            ),
            (
                SecretKind::StripeKey,
                format!("rk_test_{}", noise(6, 24, ALNUM)),
            ),
        ]);
        let separators = [
            "=", ":", "\"", "'", "`", "/", "_", "-", ".", "(", ",", ";", "@", " ", "\t", "\n",
        ];
        for (kind, token) in tokens {
            assert_single(&token, kind, &token);
            for separator in separators {
                assert_single(&format!("x{separator}{token}"), kind, &token);
            }
        }
    }

    #[test]
    fn distinctive_formats_are_found_glued_to_letters() {
        let tokens = [
            (
                SecretKind::AwsAccessKeyId,
                format!("AKIA{}", noise(20, 16, UPPER_DIGITS)),
            ),
            (
                SecretKind::GitHubToken,
                format!("ghp_{}", noise(21, 36, ALNUM)),
            ),
            (
                SecretKind::GitHubToken,
                format!("gho_{}", noise(22, 36, ALNUM)),
            ),
            (
                SecretKind::GitHubToken,
                format!(
                    "github_pat_{}_{}",
                    noise(23, 22, ALNUM),
                    noise(24, 59, ALNUM)
                ),
            ),
            (
                SecretKind::GitLabToken,
                format!("glpat-{}", noise(25, 20, URL_SAFE)),
            ),
            (
                SecretKind::GitLabToken,
                format!("glrt-{}", noise(26, 24, URL_SAFE)),
            ),
            (
                SecretKind::OpenAiKey,
                format!(
                    "sk-{}T3BlbkFJ{}",
                    noise(27, 20, ALNUM),
                    noise(28, 20, ALNUM)
                ),
            ),
            (
                SecretKind::AnthropicKey,
                format!("sk-ant-api03-{}AA", noise(29, 93, URL_SAFE)),
            ),
            (
                SecretKind::SlackToken,
                format!(
                    "xoxb-{}-{}-{}",
                    noise(30, 12, DIGITS),
                    noise(31, 13, DIGITS),
                    noise(32, 24, ALNUM)
                ),
            ),
            (
                SecretKind::GoogleApiKey,
                format!("AIza{}", noise(33, 35, URL_SAFE)),
            ),
            (
                SecretKind::GoogleOAuthSecret,
                format!("GOCSPX-{}", noise(34, 28, URL_SAFE)),
            ),
            (
                SecretKind::NpmToken,
                format!("npm_{}", noise(35, 36, ALNUM)),
            ),
            (
                SecretKind::PypiToken,
                format!("pypi-AgEIcHlwaS5vcmc{}", noise(36, 70, URL_SAFE)),
            ),
            (SecretKind::Jwt, sample(SecretKind::Jwt, 37).1),
        ];
        for (kind, token) in tokens {
            for glue in ["token", "xxxx", "Zq8x", "2024"] {
                assert_single(&format!("{glue}{token}"), kind, &token);
            }
        }
    }

    #[test]
    fn ambiguous_prefixes_glued_to_words_are_not_tokens() {
        for text in [
            format!("task-proj-{}", noise(40, 24, URL_SAFE)),
            format!("disk-admin-{}", noise(41, 24, URL_SAFE)),
            format!("network_test_{}", noise(42, 20, ALNUM)),
            format!("desk_live_{}", noise(43, 20, ALNUM)),
            format!("EURASIA{}", noise(44, 16, UPPER_DIGITS)),
            format!("SAUDIARABIA{}", noise(45, 16, UPPER_DIGITS)),
            format!("libya29.{}", noise(46, 24, URL_SAFE)),
            "weighs_theDependencyGraphOfEveryWorkspaceMember".to_owned(),
            "dropboxapp-integration-settings-v2".to_owned(),
            "hugsxoxo-love-from-grandma".to_owned(),
        ] {
            assert_clean(&text);
        }
    }
}
