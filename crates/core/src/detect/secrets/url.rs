//! Passwords in a URL's userinfo (`scheme://user:password@host`). The span is the password alone,
//! since the rest of the URL is not secret, and placeholders (`password`, `${DB_PASS}`, `<pw>`, …)
//! are ignored.

use std::sync::LazyLock;

use regex::Regex;

use super::placeholders::{is_placeholder, looks_fake};
use super::{SecretFinding, SecretKind, finding};

/// The password in a URL's userinfo (`scheme://user:password@host`), in group 1. Searched from
/// `://` because the scheme adds nothing and would cost the literal prefilter.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"://[^\s:/?#@"'`]*:([^\s/?#@"'`]+)@[^\s/?#@"'`]"#).expect("valid regex")
});

/// Passwords embedded in URLs, minus placeholders (`password`, `<password>`, `YOUR_TOKEN`).
pub(super) fn url_passwords(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    URL_PASSWORD.captures_iter(text).filter_map(|caps| {
        let password = caps.get(1)?;
        let real = !is_placeholder(password.as_str()) && !looks_fake(password.as_str());
        real.then(|| finding(SecretKind::UrlPassword, password.range()))
    })
}

#[cfg(test)]
mod tests {
    use crate::detect::secrets::SecretKind;
    use crate::detect::secrets::tests::{ALNUM, assert_clean, assert_single, noise};

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
}
