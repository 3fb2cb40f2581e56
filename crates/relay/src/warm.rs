//! Warming up: the detectors build their tables (regular expressions, phrase automata) on first
//! use, which took tens of milliseconds on the first message a server answered. A throwaway
//! session judges a short, harmless conversation on its own thread while the server starts, so
//! the real session finds them built. It has no pins and no audit trail: it leaves no trace.

use std::sync::Arc;

use portcullis_core::framing::Frame;
use portcullis_core::message::Direction;
use portcullis_core::pins::ServerIdentity;
use portcullis_core::policy::Policy;

use crate::session::Session;

/// Messages that take every screening path: the handshake, a call with a command, a path and
/// text, its result, and a tool listing. Nothing in them is worth a warning.
const CONVERSATION: [(Direction, &str); 6] = [
    (
        Direction::ToServer,
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"warm-up","version":"1"}}}"#,
    ),
    (
        Direction::ToClient,
        r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"warm-up","version":"1"},"instructions":"Use these tools to read the project's files."}}"#,
    ),
    (
        Direction::ToServer,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run","arguments":{"command":"git status --short | head -n 5","path":"src/main.rs","text":"hello"}}}"#,
    ),
    (
        Direction::ToClient,
        r#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"2 files changed; the build passed on 2026-11-21 at 10:04 in 12.5 s."}]}}"#,
    ),
    (
        Direction::ToServer,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
    ),
    (
        Direction::ToClient,
        r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"echo","description":"Returns its text argument.","inputSchema":{"type":"object","properties":{"text":{"type":"string","description":"What to return."}}}}]}}"#,
    ),
];

/// Starts warming up on a thread of its own; the first real message that needs a table still
/// being built waits for it (the tables are built once, whoever asks first).
pub fn start(policy: Arc<Policy>, identity: ServerIdentity) {
    let spawned = std::thread::Builder::new()
        .name("warm-up".to_owned())
        .spawn(move || converse(policy, identity));
    if let Err(e) = spawned {
        tracing::debug!("no warm-up: {e}");
    }
}

fn converse(policy: Arc<Policy>, identity: ServerIdentity) {
    let mut session = Session::new(policy, identity, true, None, None);
    for (direction, line) in CONVERSATION {
        session.handle(direction, Frame::Line(line.as_bytes().to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{identity, policy};

    #[test]
    fn the_warm_up_conversation_passes_unchanged() {
        // A message the policy changed or stopped would log a warning on every start.
        let mut session = Session::new(policy(""), identity(), false, None, None);
        for (direction, line) in CONVERSATION {
            let outcome = session.handle(direction, Frame::Line(line.as_bytes().to_vec()));
            assert_eq!(outcome.forward, format!("{line}\n").into_bytes(), "{line}");
            assert!(outcome.reply.is_empty(), "{line}");
        }
    }
}
