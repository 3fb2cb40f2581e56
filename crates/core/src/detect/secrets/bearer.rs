//! `Bearer <token>` wherever it appears (headers, curl commands), also without a name before it:
//! the authorization scheme announces a secret as a name like `token` does, so the token is judged
//! as a value assigned to such a name would be.

use std::sync::LazyLock;

use regex::Regex;

use super::names::NameClass;
use super::plausibility::{Quoting, plausible_secret};
use super::{SecretFinding, SecretKind, finding, next_char};

/// `Bearer <token>` anywhere (headers, curl commands), the token in group 1.
static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u:\bbearer)[ \t]+([A-Za-z0-9._~+/-]+=*)").expect("valid regex")
});

/// Plausible secrets after `Bearer`.
pub(super) fn bearer_tokens(text: &str) -> impl Iterator<Item = SecretFinding> + '_ {
    BEARER.captures_iter(text).filter_map(|caps| {
        let token = caps.get(1)?;
        let quoting = Quoting::Bare {
            followed_by: next_char(text, token.end()),
        };
        let plausible = plausible_secret(token.as_str(), NameClass::Other.min_len(), quoting);
        plausible.then(|| finding(SecretKind::GenericSecret, token.range()))
    })
}
