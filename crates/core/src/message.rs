//! Views of JSON-RPC messages: what kind a message is, what it targets, and what it carries.
//!
//! A view borrows the parsed value; the original bytes are what gets forwarded, never a
//! re-serialization of the view.

use serde_json::Value;

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (the AI application) to the MCP server.
    ToServer,
    /// From the MCP server to the client.
    ToClient,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::ToServer => "to_server",
            Direction::ToClient => "to_client",
        }
    }
}

/// The four shapes of JSON-RPC message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Notification,
    Response,
    Error,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Notification => "notification",
            Kind::Response => "response",
            Kind::Error => "error",
        }
    }
}

/// A request id in a form usable as a map key: its compact JSON text (`0`, `"abc"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdKey(pub String);

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: Kind,
    pub id: Option<IdKey>,
    /// For requests and notifications, the method they call.
    pub method: Option<String>,
    pub value: Value,
}

/// Why a JSON value is not a JSON-RPC message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMessage {
    #[error("a JSON-RPC message must be a JSON object")]
    NotAnObject,
    #[error("`method` must be a string")]
    MethodNotString,
    #[error("a request `id` must be a string or an integer")]
    BadId,
    #[error("the message has neither `method` nor `result`/`error`")]
    Unrecognized,
    #[error("a response must carry exactly one of `result` and `error`")]
    ResultAndError,
}

impl Message {
    pub fn from_value(value: Value) -> Result<Self, InvalidMessage> {
        let obj = value.as_object().ok_or(InvalidMessage::NotAnObject)?;
        let id = match obj.get("id") {
            None => None,
            Some(id @ (Value::String(_) | Value::Number(_))) => {
                if id.as_f64().is_some_and(|f| f.fract() != 0.0) && !id.is_i64() && !id.is_u64() {
                    return Err(InvalidMessage::BadId);
                }
                Some(IdKey(id.to_string()))
            }
            Some(_) => return Err(InvalidMessage::BadId),
        };
        if let Some(method) = obj.get("method") {
            let method = method.as_str().ok_or(InvalidMessage::MethodNotString)?;
            let kind = if id.is_some() {
                Kind::Request
            } else {
                Kind::Notification
            };
            return Ok(Self {
                kind,
                id,
                method: Some(method.to_owned()),
                value,
            });
        }
        let kind = match (obj.contains_key("result"), obj.contains_key("error")) {
            (true, true) => return Err(InvalidMessage::ResultAndError),
            (true, false) => Kind::Response,
            (false, true) => Kind::Error,
            (false, false) => return Err(InvalidMessage::Unrecognized),
        };
        if id.is_none() && kind == Kind::Response {
            return Err(InvalidMessage::BadId);
        }
        Ok(Self {
            kind,
            id,
            method: None,
            value,
        })
    }

    pub fn params(&self) -> Option<&Value> {
        self.value.get("params")
    }

    /// What the policy inspects: tool and prompt arguments, other params whole, results, errors.
    pub fn payload(&self) -> Option<&Value> {
        let (member, inner) = self.payload_at();
        let outer = self.value.get(member)?;
        match inner {
            Some(inner) => outer.get(inner),
            None => Some(outer),
        }
    }

    /// Moves the [payload](Self::payload) out, for a message judged and done with.
    pub fn take_payload(&mut self) -> Option<Value> {
        let (member, inner) = self.payload_at();
        let outer = self.value.get_mut(member)?;
        let payload = match inner {
            Some(inner) => outer.get_mut(inner)?,
            None => outer,
        };
        Some(payload.take())
    }

    /// Where the payload is: a member of the message, and a member of that one.
    fn payload_at(&self) -> (&'static str, Option<&'static str>) {
        match self.kind {
            Kind::Request | Kind::Notification => match self.method.as_deref() {
                Some("tools/call" | "prompts/get") => ("params", Some("arguments")),
                _ => ("params", None),
            },
            Kind::Response => ("result", None),
            Kind::Error => ("error", None),
        }
    }
}

/// What a request targets; kept for in-flight requests so their responses can be judged too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub method: String,
    pub tool: Option<String>,
    pub resource: Option<String>,
    pub prompt: Option<String>,
}

impl Target {
    pub fn of(method: &str, params: Option<&Value>) -> Self {
        let str_param = |key: &str| {
            params
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let (tool, prompt, resource) = match method {
            "tools/call" => (str_param("name"), None, None),
            "prompts/get" => (None, str_param("name"), None),
            m if m.starts_with("resources/") => (None, None, str_param("uri")),
            _ => (None, None, None),
        };
        Self {
            method: method.to_owned(),
            tool,
            resource,
            prompt,
        }
    }
}

impl Target {
    /// What the message is about: the tool, prompt or resource URI, when it names one.
    pub fn name(&self) -> Option<&str> {
        self.tool
            .as_deref()
            .or(self.prompt.as_deref())
            .or(self.resource.as_deref())
    }
}

/// A short description for logs, e.g. `tools/call read_file`. Written only when a log line is,
/// so judging a message costs no formatting.
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} {name}", self.method),
            None => f.write_str(&self.method),
        }
    }
}

/// Everything the policy needs to judge one message.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub direction: Direction,
    pub kind: Kind,
    pub server: &'a str,
    pub target: &'a Target,
    pub payload: Option<&'a Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_the_four_shapes_and_keeps_id_zero() {
        let req = Message::from_value(json!({"jsonrpc":"2.0","id":0,"method":"ping"})).unwrap();
        assert_eq!((req.kind, req.id), (Kind::Request, Some(IdKey("0".into()))));
        let note =
            Message::from_value(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
                .unwrap();
        assert_eq!(note.kind, Kind::Notification);
        let resp = Message::from_value(json!({"jsonrpc":"2.0","id":"a","result":{}})).unwrap();
        assert_eq!(
            (resp.kind, resp.id),
            (Kind::Response, Some(IdKey("\"a\"".into())))
        );
        let err =
            Message::from_value(json!({"jsonrpc":"2.0","id":null,"error":{"code":1}})).unwrap_err();
        assert_eq!(err, InvalidMessage::BadId);
    }

    #[test]
    fn rejects_null_and_fractional_request_ids() {
        assert!(Message::from_value(json!({"id":null,"method":"x"})).is_err());
        assert!(Message::from_value(json!({"id":1.5,"method":"x"})).is_err());
        assert!(Message::from_value(json!([1])).is_err());
    }

    #[test]
    fn payload_is_arguments_for_tool_calls() {
        let m = Message::from_value(
            json!({"id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1}}}),
        )
        .unwrap();
        assert_eq!(m.payload(), Some(&json!({"a":1})));
        let target = Target::of("tools/call", m.params());
        assert_eq!(target.tool.as_deref(), Some("t"));
        assert_eq!(target.to_string(), "tools/call t");
    }
}
