//! What wrappers, approvers and the daemon say to each other over the socket: one JSON object per
//! line, tagged by `type`.

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
    pub tool: Option<String>,
    /// The canonical forms the policy judged (resolved paths, parsed commands).
    pub evidence: Vec<String>,
    /// The arguments, summarized and redacted.
    pub summary: String,
    /// Hash of the canonical arguments: what an exact "always" remembers.
    pub args_hash: String,
    pub rule: String,
    pub reason: String,
    pub timeout_ms: u64,
}

/// What a person decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

/// A message to the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Ping,
    /// Hold this call until a person decides or its timeout passes.
    Ask(Box<Ask>),
    /// Stream pending asks and their outcomes (the terminal approver).
    Subscribe,
    /// A person's decision on a pending ask.
    Decide {
        id: String,
        decision: Decision,
    },
    /// Stop the daemon.
    Stop,
}

/// A message from the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Pong { version: String },
    Decided { id: String, decision: Decision },
    TimedOut { id: String },
    Pending(Box<Ask>),
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
        let decide = Request::Decide {
            id: "s:1".into(),
            decision: Decision::Allow,
        };
        let text = String::from_utf8(line(&decide)).unwrap();
        assert_eq!(
            text,
            "{\"type\":\"decide\",\"id\":\"s:1\",\"decision\":\"allow\"}\n"
        );
        let back: Request = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, decide);
        let ping: Request = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(ping, Request::Ping);
    }
}
