//! The fastest MCP server we can write, for the end-to-end benchmark (`portcullis-bench`): what it
//! costs is the floor a direct connection sets, so everything a proxy adds shows.
//!
//! Tools: `echo` answers with its `text` argument; `blob` answers with `bytes` bytes of plain log
//! text (no secrets, no personal data), built once per size and kept.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};

use serde_json::value::RawValue;

#[derive(serde::Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    method: Option<&'a str>,
    #[serde(borrow)]
    params: Option<Params<'a>>,
}

#[derive(serde::Deserialize)]
struct Params<'a> {
    name: Option<&'a str>,
    #[serde(borrow)]
    arguments: Option<Arguments<'a>>,
}

#[derive(serde::Deserialize)]
struct Arguments<'a> {
    #[serde(borrow)]
    text: Option<std::borrow::Cow<'a, str>>,
    bytes: Option<usize>,
}

const TOOLS: &str = r#"{"tools":[{"name":"echo","description":"Returns its text argument.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}},{"name":"blob","description":"Returns this many bytes of log text.","inputSchema":{"type":"object","properties":{"bytes":{"type":"integer"}},"required":["bytes"]}}]}"#;

const INITIALIZE: &str = r#"{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"bench-echo-server","version":"1"}}"#;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut blobs: HashMap<usize, Vec<u8>> = HashMap::new();
    let mut input = std::io::BufReader::with_capacity(1 << 16, stdin);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let Ok(request) = serde_json::from_slice::<Request>(&line) else {
            continue;
        };
        let Some(id) = request.id else {
            continue; // a notification
        };
        let (method, params) = (request.method.unwrap_or_default(), request.params);
        write!(out, r#"{{"jsonrpc":"2.0","id":{},"result":"#, id.get())?;
        match method {
            "initialize" => out.write_all(INITIALIZE.as_bytes())?,
            "tools/list" => out.write_all(TOOLS.as_bytes())?,
            "tools/call" => {
                let (name, arguments) = params
                    .map(|p| (p.name.unwrap_or_default(), p.arguments))
                    .unwrap_or_default();
                match (name, arguments) {
                    ("blob", Some(Arguments { bytes: Some(n), .. })) => {
                        out.write_all(blobs.entry(n).or_insert_with(|| blob_result(n)))?
                    }
                    (_, arguments) => {
                        let text = arguments.and_then(|a| a.text).unwrap_or_default();
                        out.write_all(br#"{"content":[{"type":"text","text":"#)?;
                        serde_json::to_writer(&mut out, text.as_ref())?;
                        out.write_all(b"}]}")?;
                    }
                }
            }
            _ => out.write_all(b"{}")?,
        }
        out.write_all(b"}\n")?;
        out.flush()?;
    }
}

/// A `tools/call` result holding `n` bytes of log lines as its text (JSON-escaped: the lines'
/// newlines become `\n`, so the text is exactly `n` bytes and the message a little more).
fn blob_result(n: usize) -> Vec<u8> {
    const LINE: &str = "2026-11-21T10:04:31.123Z INFO request served path=/api/v2/orders page=3 status=200 took=12ms\n";
    let mut text = LINE.repeat(n / LINE.len() + 1);
    text.truncate(n);
    let mut result = br#"{"content":[{"type":"text","text":"#.to_vec();
    serde_json::to_writer(&mut result, &text).expect("a string serializes");
    result.extend_from_slice(b"}]}");
    result
}
