//! An MCP server for integration tests: it records every byte it receives and does exactly what
//! its tools are asked to, so tests can prove what reached the server and script odd behaviour.
//!
//! Environment: `RECORD_FILE` (append every received byte there), `IGNORE_SIGTERM=1`.

use std::fs::File;
use std::io::{BufReader, Read, Write};

use portcullis_testkit::{ToolCall, Tools, response, serve, text_result, tool};
use serde_json::{Value, json};

/// Copies everything read from stdin into the record file before the server parses it.
struct Recorder<R> {
    inner: R,
    record: Option<File>,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(file) = &mut self.record {
            file.write_all(&buf[..n])?;
            file.flush()?;
        }
        Ok(n)
    }
}

#[derive(Default)]
struct Recording {
    held: Vec<Value>,
}

impl Tools for Recording {
    fn list(&self) -> Value {
        json!([
            tool(
                "echo",
                "Returns its arguments as JSON text.",
                json!({"text": {"type": "string"}})
            ),
            tool(
                "run_command",
                "Pretends to run a shell command.",
                json!({"command": {"type": "string"}})
            ),
            tool("hold", "Answers only when `release` is called.", json!({})),
            tool(
                "release",
                "Answers every held call, newest first, then itself.",
                json!({})
            ),
            tool(
                "emit",
                "Writes the given raw lines to stdout, then answers.",
                json!({"lines": {"type": "array"}})
            ),
            tool(
                "stderr",
                "Writes the given lines to stderr, then answers.",
                json!({"lines": {"type": "array"}})
            ),
            tool(
                "utf8",
                "Answers with multi-byte text, written one byte at a time.",
                json!({})
            ),
            tool(
                "big",
                "Answers with a text of `bytes` bytes.",
                json!({"bytes": {"type": "integer"}})
            ),
            tool(
                "exit",
                "Exits at once with `code`.",
                json!({"code": {"type": "integer"}})
            ),
            tool(
                "spawn_sleeper",
                "Starts a long `sleep` grandchild and returns its pid.",
                json!({})
            ),
        ])
    }

    fn call(
        &mut self,
        call: ToolCall<'_>,
        out: &mut dyn Write,
    ) -> Option<Result<Value, (i64, String)>> {
        let args = call.arguments;
        let result = match call.name {
            "echo" | "run_command" => text_result(args.to_string()),
            "hold" => {
                self.held.push(call.id.clone());
                return None;
            }
            "release" => {
                for id in self.held.drain(..).rev() {
                    write_line(out, &response(&id, text_result(format!("released {id}"))));
                }
                text_result("released")
            }
            "emit" => {
                for line in args["lines"].as_array().into_iter().flatten() {
                    let _ = out.write_all(line.as_str().unwrap_or_default().as_bytes());
                    let _ = out.write_all(b"\n");
                }
                text_result("emitted")
            }
            "stderr" => {
                let mut err = std::io::stderr().lock();
                for line in args["lines"].as_array().into_iter().flatten() {
                    let _ = writeln!(err, "{}", line.as_str().unwrap_or_default());
                }
                text_result("written")
            }
            "utf8" => {
                let mut line = serde_json::to_vec(&response(
                    call.id,
                    text_result("h\u{e9}llo \u{1f600} \u{4e16}\u{754c}"),
                ))
                .ok()?;
                line.push(b'\n');
                for byte in line {
                    let _ = out.write_all(&[byte]);
                    let _ = out.flush();
                }
                return None;
            }
            "big" => text_result("x".repeat(args["bytes"].as_u64().unwrap_or(0) as usize)),
            "exit" => std::process::exit(args["code"].as_i64().unwrap_or(0) as i32),
            "spawn_sleeper" => match std::process::Command::new("sleep").arg("1000").spawn() {
                Ok(child) => text_result(child.id().to_string()),
                Err(e) => return Some(Err((-32000, e.to_string()))),
            },
            other => return Some(Err((-32602, format!("unknown tool {other}")))),
        };
        Some(Ok(result))
    }
}

fn write_line(out: &mut dyn Write, value: &Value) {
    let _ = serde_json::to_writer(&mut *out, value);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

fn main() -> std::io::Result<()> {
    #[cfg(unix)]
    if std::env::var_os("IGNORE_SIGTERM").is_some() {
        // SAFETY: installing SIG_IGN for SIGTERM has no preconditions.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_IGN);
        }
    }
    let record = match std::env::var_os("RECORD_FILE") {
        Some(path) => Some(File::options().create(true).append(true).open(path)?),
        None => None,
    };
    let input = BufReader::new(Recorder {
        inner: std::io::stdin().lock(),
        record,
    });
    serve(
        "recording-server",
        &mut Recording::default(),
        input,
        std::io::stdout().lock(),
    )
}
