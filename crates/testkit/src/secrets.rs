//! One realistic value of every kind of secret and personal data the detectors know, for tests
//! that send them through Portcullis and then search its files for any trace.
//!
//! Values are generated at run time from a fixed seed, so no complete token sits in the
//! repository for secret scanners to trip over.

use crate::mischief;

/// A value in the context it usually appears in.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The detector's name for its type.
    pub kind: &'static str,
    /// The value in a line of ordinary text or configuration.
    pub text: String,
    /// The value itself: what must never be found.
    pub value: String,
}

const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &str = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const URL_SAFE: &str = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_";
const BASE64: &str = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789+/";
const DIGITS: &str = "0123456789";

/// Characters drawn from `alphabet` by a xorshift generator seeded with `seed`.
fn random(seed: u32, len: usize, alphabet: &str) -> String {
    let alphabet = alphabet.as_bytes();
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            alphabet[x as usize % alphabet.len()] as char
        })
        .collect()
}

/// Every secret kind and every kind of personal data, each once.
pub fn samples() -> Vec<Sample> {
    let r = random;
    let values: Vec<(&str, String, String, &str)> = vec![
        (
            "aws-access-key-id",
            "aws_access_key_id = ".into(),
            format!("AKIA{}", r(1, 16, UPPER_DIGITS)),
            "",
        ),
        (
            "aws-secret-access-key",
            "aws_secret_access_key = ".into(),
            r(2, 40, BASE64),
            "",
        ),
        (
            "github-token",
            "export GH_TOKEN=".into(),
            format!("ghp_{}", r(3, 36, ALNUM)),
            "",
        ),
        (
            "gitlab-token",
            "glab auth login --token ".into(),
            format!("glpat-{}", r(4, 20, URL_SAFE)),
            " --hostname x",
        ),
        (
            "openai-key",
            "OPENAI_API_KEY=".into(),
            format!("sk-proj-{}", r(5, 64, URL_SAFE)),
            "",
        ),
        (
            "anthropic-key",
            "ANTHROPIC_API_KEY=".into(),
            format!("sk-ant-api03-{}AA", r(6, 93, URL_SAFE)),
            "",
        ),
        (
            "slack-token",
            "the bot token is ".into(),
            format!(
                "xoxb-{}-{}-{}",
                r(7, 12, DIGITS),
                r(8, 13, DIGITS),
                r(9, 24, ALNUM)
            ),
            " for posting",
        ),
        (
            "slack-webhook",
            "curl -X POST ".into(),
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                r(10, 8, UPPER_DIGITS),
                r(11, 10, UPPER_DIGITS),
                r(12, 24, ALNUM)
            ),
            "",
        ),
        (
            "stripe-key",
            "stripe.api_key = ".into(),
            format!("sk_live_{}", r(13, 24, ALNUM)),
            "",
        ),
        (
            "google-api-key",
            "https://maps.googleapis.com/maps/api/geocode/json?key=".into(),
            format!("AIza{}", r(14, 35, URL_SAFE)),
            "&address=x",
        ),
        (
            "google-oauth-secret",
            "client_secret: ".into(),
            format!("GOCSPX-{}", r(15, 28, URL_SAFE)),
            "",
        ),
        (
            "google-access-token",
            "Authorization: Bearer ".into(),
            format!("ya29.{}", r(16, 120, URL_SAFE)),
            "",
        ),
        (
            "npm-token",
            "//registry.npmjs.org/:_authToken=".into(),
            format!("npm_{}", r(17, 36, ALNUM)),
            "",
        ),
        (
            "pypi-token",
            "password = ".into(),
            format!("pypi-AgEIcHlwaS5vcmc{}", r(18, 70, URL_SAFE)),
            "",
        ),
        (
            "private-key",
            "deploy key:\n".into(),
            mischief::private_key(),
            "\n",
        ),
        (
            "jwt",
            "Cookie: session=".into(),
            format!(
                "eyJ{}.eyJ{}.{}",
                r(19, 33, URL_SAFE),
                r(20, 60, URL_SAFE),
                r(21, 43, URL_SAFE)
            ),
            "; Path=/",
        ),
        (
            "url-password",
            "DATABASE_URL=postgres://app:".into(),
            r(22, 16, ALNUM),
            "@db.internal:5432/app",
        ),
        (
            "generic-secret",
            "api_key = \"".into(),
            r(23, 32, ALNUM),
            "\"",
        ),
        (
            "payment-card",
            "card on file: ".into(),
            "4111 1111 1111 1111".into(),
            "",
        ),
        ("us-ssn", "SSN ".into(), "536-22-8714".into(), ""),
        (
            "iban",
            "pay to ".into(),
            "DE89 3704 0044 0532 0130 00".into(),
            "",
        ),
        (
            "email",
            "write to ".into(),
            "jane.roe@northwind-traders.com".into(),
            "",
        ),
        ("phone", "call ".into(), "+1 415-555-0142".into(), " today"),
    ];
    values
        .into_iter()
        .map(|(kind, before, value, after)| Sample {
            kind,
            text: format!("{before}{value}{after}"),
            value,
        })
        .collect()
}

/// Pieces of `value` long enough to identify it: its middle and, for a multi-line value, each
/// line's. A log holding any of them holds part of the secret.
pub fn fragments(value: &str) -> Vec<String> {
    let mut pieces = vec![value.to_owned()];
    for line in value
        .lines()
        .filter(|l| l.len() >= 24 && !l.starts_with("-----"))
    {
        pieces.push(line[4..20].to_owned());
    }
    if value.len() >= 16 && value.is_ascii() && !value.contains(char::is_whitespace) {
        let mid = value.len() / 2;
        pieces.push(value[mid - 6..mid + 6].to_owned());
    }
    pieces
}
