//! The JSON-RPC error answers Portcullis sends on a peer's behalf.
//!
//! Codes are implementation-defined server errors (the -32000..-32099 range of JSON-RPC), chosen
//! away from those MCP itself defines, and documented in docs/policy.md.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::policy::{Action, Decision};

/// The policy denied the request.
pub const CODE_DENIED: i64 = -32090;
/// A rule asks for a person's approval, which could not be obtained.
pub const CODE_APPROVAL_REQUIRED: i64 = -32091;
/// The message is larger than `max_message_bytes`.
pub const CODE_TOO_LARGE: i64 = -32092;
/// The server exited before answering.
pub const CODE_SERVER_GONE: i64 = -32093;
/// Not valid JSON, invalid UTF-8, duplicate keys or too deep (JSON-RPC's parse error).
pub const CODE_PARSE_ERROR: i64 = -32700;
/// Valid JSON but not a JSON-RPC message (JSON-RPC's invalid request).
pub const CODE_INVALID_REQUEST: i64 = -32600;
/// Portcullis failed while judging the message, which was therefore not forwarded.
pub const CODE_INTERNAL_ERROR: i64 = -32603;

/// An error response for `id` (raw JSON text of the id, or `None` for `null`), as one JSON text.
pub fn error_response(
    id: Option<&RawValue>,
    code: i64,
    message: &str,
    data: Option<Value>,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Response<'a> {
        jsonrpc: &'static str,
        id: Option<&'a RawValue>,
        error: ErrorObject<'a>,
    }
    #[derive(Serialize)]
    struct ErrorObject<'a> {
        code: i64,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<Value>,
    }
    let response = Response {
        jsonrpc: "2.0",
        id,
        error: ErrorObject {
            code,
            message,
            data,
        },
    };
    serde_json::to_vec(&response).expect("error responses always serialize")
}

/// The answer to a request the policy blocked.
pub fn blocked_response(id: Option<&RawValue>, decision: &Decision, server: &str) -> Vec<u8> {
    let rule = decision.rule.as_deref().unwrap_or("default");
    let (code, message) = match decision.action {
        Action::Ask => (
            CODE_APPROVAL_REQUIRED,
            format!(
                "portcullis: blocked by rule {rule}: {}; this rule asks for a person's approval, and no approval channel is available, so the call is denied",
                decision.explain()
            ),
        ),
        _ => (
            CODE_DENIED,
            format!("portcullis: blocked by rule {rule}: {}", decision.explain()),
        ),
    };
    let data = json!({
        "rule": rule,
        "reason": decision.reason,
        "action": decision.action.name(),
        "evidence": decision.evidence,
        "server": server,
    });
    error_response(id, code, &message, Some(data))
}

/// Extracts the raw text of a message's top-level `id`, exactly as the peer wrote it.
pub fn raw_id(line: &[u8]) -> Option<Box<RawValue>> {
    #[derive(serde::Deserialize)]
    struct IdOnly<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let parsed: IdOnly<'_> = serde_json::from_slice(line).ok()?;
    parsed
        .id
        .filter(|id| id.get() != "null")
        .map(|id| id.to_owned())
}

/// A raw id from text the framer sniffed out of an oversized line.
pub fn sniffed_id(text: &str) -> Option<Box<RawValue>> {
    RawValue::from_string(text.to_owned()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_id_keeps_the_exact_bytes() {
        let id = raw_id(br#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"x"}"#)
            .unwrap();
        assert_eq!(id.get(), "123456789012345678901234567890");
        let id = raw_id(br#"{"id":"a\u0062","method":"x"}"#).unwrap();
        assert_eq!(id.get(), r#""a\u0062""#);
        assert!(raw_id(br#"{"method":"x"}"#).is_none());
    }

    #[test]
    fn error_response_is_one_json_text() {
        let id = RawValue::from_string("0".into()).unwrap();
        let line = error_response(Some(&id), CODE_DENIED, "portcullis: x", None);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"id\":0,\"error\":{\"code\":-32090,\"message\":\"portcullis: x\"}}"
        );
        let null = error_response(None, CODE_PARSE_ERROR, "bad", None);
        assert!(null.starts_with(b"{\"jsonrpc\":\"2.0\",\"id\":null"));
    }
}
