//! Client capabilities withheld from servers.
//!
//! A client announces `sampling`, `elicitation` and `roots` in its `initialize` request; a server
//! that sees them may ask the client's model to generate text, ask the user for input, or list the
//! user's workspace. Removing a capability from the request means a well-behaved server never
//! asks; a server that asks anyway is refused by the relay (see [`Capability::needed_by`]).

use crate::json::edit::Edits;
use crate::json::tree::Node;
use crate::policy::Capability;

/// Edits that remove `strip` from the `capabilities` of an `initialize` request.
pub fn strip(request: &Node<'_>, strip: &[Capability]) -> Edits {
    let mut edits = Edits::default();
    if let Some(capabilities) = request.get("params").and_then(|p| p.get("capabilities")) {
        edits.remove_members(capabilities.members(), |m| {
            strip.iter().any(|c| c.name() == m.key)
        });
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tree::parse;

    #[test]
    fn removes_only_the_named_capabilities() {
        let text = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{"listChanged":true},"sampling":{},"elicitation":{}},"clientInfo":{"name":"c"}}}"#;
        let root = parse(text).unwrap();
        let out = strip(&root, &[Capability::Sampling, Capability::Roots]).apply(text.as_bytes());
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},"clientInfo":{"name":"c"}}}"#
        );
    }
}
