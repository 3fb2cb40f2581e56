//! Logins and sessions. A login token is single use and short lived; a session is a random id in
//! an HttpOnly cookie, with its own CSRF token that state-changing requests must echo.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a login link works.
const LOGIN_VALID: Duration = Duration::from_secs(120);

#[derive(Default)]
pub struct Auth {
    logins: Mutex<HashMap<String, Instant>>,
    /// Session id → its CSRF token.
    sessions: Mutex<HashMap<String, String>>,
}

impl Auth {
    /// A new login token.
    pub fn issue_login(&self) -> String {
        let token = random_token();
        let mut logins = self.logins.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        logins.retain(|_, issued| now.duration_since(*issued) < LOGIN_VALID);
        logins.insert(token.clone(), now);
        token
    }

    /// Spends a login token; the new session's id, unless the token is unknown, spent or old.
    pub fn redeem(&self, token: &str) -> Option<String> {
        let issued = self
            .logins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(token)?;
        if issued.elapsed() >= LOGIN_VALID {
            return None;
        }
        let session = random_token();
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(session.clone(), random_token());
        Some(session)
    }

    /// The CSRF token of session `id`, if it is one.
    pub fn csrf(&self, id: &str) -> Option<String> {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
}

/// 32 random bytes from the operating system, as hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no token is safe: better to stop than to issue a guessable one.
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    hex::encode(bytes)
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_token_works_once() {
        let auth = Auth::default();
        let token = auth.issue_login();
        let session = auth.redeem(&token).unwrap();
        assert!(auth.csrf(&session).is_some());
        assert_eq!(auth.redeem(&token), None);
        assert_eq!(auth.redeem("guess"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
