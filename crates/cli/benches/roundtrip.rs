//! What `portcullis run` adds to a round trip: one `tools/call` answered by `mischief-server`,
//! reached directly and through the wrapper (whose screening parses, scans and, where needed,
//! rewrites every answer), with the audit trail on (the default) and off.
//!
//! Build the binaries first, then run:
//! `cargo build --release --workspace --bins && cargo bench -p portcullis-cli --bench roundtrip`.
//! Figures are in docs/benchmarks.md.

use std::process::Command;

use divan::Bencher;
use portcullis_testkit::drive::Wrapped;
use portcullis_testkit::locate::binary;
use serde_json::json;

fn main() {
    divan::main();
}

/// How the server is reached.
const MODES: [&str; 3] = ["direct", "portcullis", "portcullis-no-audit"];

/// The server, started directly or behind `portcullis run`, initialized.
fn server(mode: &str, home: &std::path::Path) -> Wrapped {
    let mischief = binary("mischief-server");
    if mode == "portcullis-no-audit" {
        std::fs::write(home.join("config.yaml"), "audit: {enabled: false}\n").expect("config");
    }
    let mut command = if mode != "direct" {
        let mut c = Command::new(binary("portcullis"));
        c.args(["run", "--name", "bench", "--"]).arg(mischief);
        c
    } else {
        Command::new(mischief)
    };
    command
        .env("PORTCULLIS_HOME", home)
        .env_remove("PORTCULLIS_CONFIG")
        .env("PORTCULLIS_LOG", "off");
    let mut w = Wrapped::spawn(command);
    w.call(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}));
    w
}

fn call(tool: &str, arguments: serde_json::Value) -> serde_json::Value {
    json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":tool,"arguments":arguments}})
}

/// A typical result: 2 KB of text.
#[divan::bench(args = MODES)]
fn echo_2kb(bencher: Bencher, mode: &str) {
    let home = tempfile::tempdir().expect("temp dir");
    let mut w = server(mode, home.path());
    let request = call("echo", json!({"text": "All 418 tests passed. ".repeat(93)}));
    bencher.bench_local(|| w.call(&request));
}

/// A large result: 10 MB of log lines, screened to the end.
#[divan::bench(args = MODES, sample_count = 10, sample_size = 1)]
fn big_10mb(bencher: Bencher, mode: &str) {
    let home = tempfile::tempdir().expect("temp dir");
    let mut w = server(mode, home.path());
    let request = call("big", json!({"mb": 10}));
    bencher.bench_local(|| w.call(&request));
}
