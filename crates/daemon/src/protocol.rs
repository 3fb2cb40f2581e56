//! What wrappers, approvers and the daemon say to each other over the socket: one JSON object per
//! line, tagged by `type`. The dashboard's JSON API uses the same shapes.

pub use portcullis_core::policy::Always;
use serde::{Deserialize, Serialize};

/// A call held for a person's decision, as the wrapper describes it. Every text is already
/// redacted by the wrapper: the daemon and the dashboard never see a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    /// Unique per wrapper session: `session:rpc-id`.
    pub id: String,
    pub server: String,
    pub server_key: String,
    pub method: String,
    /// The tool (or prompt, or resource URI) called.
    pub tool: String,
    /// The canonical forms the policy judged (resolved paths, parsed commands).
    pub evidence: Vec<String>,
    /// The arguments, canonical (keys sorted), redacted and summarized.
    pub arguments: String,
    /// Hash of the canonical arguments: what an exact "always" remembers.
    pub args_hash: String,
    pub rule: String,
    pub reason: String,
    pub timeout_ms: u64,
    /// What "always" may cover for this rule.
    pub always: Always,
    /// A pattern to start from when the person edits what "always" covers (argument conditions
    /// in the policy language), when the rule allows patterns.
    pub suggested_pattern: Option<String>,
}

/// A pending ask as approvers see it: the ask, and how long it still waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAsk {
    pub ask: Ask,
    pub remaining_ms: u64,
}

/// What a person decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

/// What a decision should also cover in future ("always").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Remember {
    /// The same tool of the same server with exactly the same canonical arguments.
    Exact,
    /// The same tool of the same server, with arguments matching these conditions.
    Pattern { pattern: String },
}

/// A person's decision on a pending ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decide {
    pub id: String,
    pub decision: Decision,
    /// Also remember it ("always allow" / "always deny").
    #[serde(default)]
    pub remember: Option<Remember>,
    /// Forget the remembered decision after this many seconds (kept until revoked when absent).
    #[serde(default)]
    pub expires_in_s: Option<u64>,
}

/// How a pending ask ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
    TimedOut,
    /// The wrapper went away or the client cancelled the call.
    Withdrawn,
}

/// A message to the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Ping,
    /// Hold this call until a person decides or its timeout passes; answered with `decided` or
    /// `timed_out`. Closing the connection withdraws it.
    Ask(Box<Ask>),
    /// Stream pending asks (`pending`) and how they end (`resolved`), starting with every ask
    /// pending now.
    Subscribe,
    Decide(Decide),
    /// A one-time link that logs a browser into the dashboard.
    Login,
    /// Stop the daemon.
    Stop,
}

/// A message from the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Pong { version: String, pid: u32 },
    Decided { id: String, decision: Decision },
    TimedOut { id: String },
    Pending(Box<PendingAsk>),
    Resolved { id: String, outcome: Outcome },
    Login { url: String },
    Ok,
    Error { message: String },
}

/// One message as a line (with its newline).
pub fn line<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec(message).expect("protocol messages serialize");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_json_lines() {
        let decide = Request::Decide(Decide {
            id: "s:1".into(),
            decision: Decision::Allow,
            remember: Some(Remember::Exact),
            expires_in_s: None,
        });
        let text = String::from_utf8(line(&decide)).unwrap();
        assert_eq!(
            text,
            "{\"type\":\"decide\",\"id\":\"s:1\",\"decision\":\"allow\",\
             \"remember\":{\"scope\":\"exact\"},\"expires_in_s\":null}\n"
        );
        let back: Request = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, decide);
        let ping: Request = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(ping, Request::Ping);
        let once: Request =
            serde_json::from_str(r#"{"type":"decide","id":"s:2","decision":"deny"}"#).unwrap();
        assert!(matches!(
            once,
            Request::Decide(Decide { remember: None, .. })
        ));
    }
}
