//! Minimal stdio MCP servers: the demo server shipped in the binary, the recording server the
//! integration tests wrap and the mischief server (data in [`mischief`]) the end-to-end tests put
//! behind Portcullis. Synchronous and dependency-light on purpose: they must start instantly
//! and behave exactly as scripted.

pub mod drive;
pub mod locate;
pub mod mischief;
pub mod secrets;

use std::io::{BufRead, Write};

use serde_json::{Value, json};

/// What a server does for `tools/list` and `tools/call`. The other methods have defaults for a
/// tools-only server; a server that offers more (resources, prompts, requests to the client)
/// overrides them.
pub trait Tools {
    /// The `tools` array of `tools/list`.
    fn list(&self) -> Value;
    /// Runs a tool: `Some(Ok(result))`, `Some(Err((code, message)))`, or `None` to answer later.
    /// `out` lets a tool write raw lines (notifications, requests, held answers) before its result.
    fn call(
        &mut self,
        call: ToolCall<'_>,
        out: &mut dyn Write,
    ) -> Option<Result<Value, (i64, String)>>;

    /// The `capabilities` of the `initialize` answer, given those the client declared.
    fn capabilities(&mut self, _client: &Value) -> Value {
        json!({"tools": {"listChanged": false}})
    }

    /// Answers a request method `serve` does not handle itself (`resources/read`, ...): `None`
    /// when the server does not know it either.
    fn other(&mut self, _method: &str, _params: &Value) -> Option<Result<Value, (i64, String)>> {
        None
    }

    /// Takes the client's answer to a request the server wrote to `out` earlier; may write lines
    /// (such as the answer to a call that waited for it) to `out`.
    fn on_answer(&mut self, _answer: &Value, _out: &mut dyn Write) {}
}

/// One `tools/call` request.
pub struct ToolCall<'a> {
    pub id: &'a Value,
    pub name: &'a str,
    pub arguments: &'a Value,
}

/// A text result as MCP tools return it.
pub fn text_result(text: impl Into<String>) -> Value {
    json!({"content": [{"type": "text", "text": text.into()}], "isError": false})
}

/// Serves JSON-RPC over newline-delimited stdio until `input` ends.
pub fn serve(
    name: &str,
    tools: &mut dyn Tools,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    for line in input.split(b'\n') {
        let line = line?;
        let Ok(message) = serde_json::from_slice::<Value>(&line) else {
            continue;
        };
        let messages = match message {
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut answers = Vec::new();
        for message in messages {
            if let Some(answer) = answer(name, tools, &message, &mut output) {
                answers.push(answer);
            }
        }
        for answer in answers {
            serde_json::to_writer(&mut output, &answer)?;
            output.write_all(b"\n")?;
        }
        output.flush()?;
    }
    Ok(())
}

fn answer(
    name: &str,
    tools: &mut dyn Tools,
    message: &Value,
    out: &mut dyn Write,
) -> Option<Value> {
    let id = message.get("id")?.clone();
    let Some(method) = message.get("method") else {
        tools.on_answer(message, out);
        return None;
    };
    let method = method.as_str()?;
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => Ok(json!({
            "protocolVersion": params.get("protocolVersion").cloned().unwrap_or(json!("2025-06-18")),
            "capabilities": tools.capabilities(params.get("capabilities").unwrap_or(&Value::Null)),
            "serverInfo": {"name": name, "version": env!("CARGO_PKG_VERSION")}
        })),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools.list()})),
        "tools/call" => {
            let tool = params
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let arguments = params.get("arguments").cloned().unwrap_or(json!({}));
            tools.call(
                ToolCall {
                    id: &id,
                    name: tool,
                    arguments: &arguments,
                },
                out,
            )?
        }
        other => tools
            .other(other, &params)
            .unwrap_or_else(|| Err((-32601, format!("method not found: {other}")))),
    };
    Some(match result {
        Ok(result) => response(&id, result),
        Err((code, message)) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        }
    })
}

/// A response line for `id`.
pub fn response(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// A tool definition for `tools/list`.
pub fn tool(name: &str, description: &str, properties: Value) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": {"type": "object", "properties": properties}
    })
}
