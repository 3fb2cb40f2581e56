//! Policy evaluation per message with the built-in policy, and the throughput of the detectors that
//! read large texts.
//!
//! Run with `cargo bench -p portcullis-core --bench evaluate`. Figures are in docs/benchmarks.md.

use std::path::PathBuf;

use divan::Bencher;
use divan::counter::BytesCount;
use portcullis_core::detect::paths::PathContext;
use portcullis_core::detect::pii::{PiiKind, PiiKinds};
use portcullis_core::detect::{hidden, pii};
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict};
use portcullis_core::message::{Direction, Message, Target, View};
use portcullis_core::policy::{Policy, Sources};

fn main() {
    divan::main();
}

/// A real project directory, so path resolution does what it does in use: the file exists.
fn project() -> PathBuf {
    let root = std::env::temp_dir().join(format!("portcullis-bench-{}", std::process::id()));
    let project = root.join("project");
    std::fs::create_dir_all(project.join("src")).expect("create the bench project");
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").expect("write a project file");
    project
}

fn policy() -> Policy {
    let project = project();
    let mut paths = PathContext::for_host(project.parent().map(PathBuf::from), project);
    // NO_SYMLINKS=1 measures without the filesystem look-ups that resolve symlinks.
    paths.resolve_symlinks = std::env::var_os("NO_SYMLINKS").is_none();
    Policy::compile(&Sources::default(), paths).expect("built-in policy compiles")
}

const READ_FILE: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"src/main.rs"}}}"#;
const RUN_COMMAND: &str = r#"{"jsonrpc":"2.0","id":43,"method":"tools/call","params":{"name":"run_command","arguments":{"command":"cargo test --workspace && git status --short"}}}"#;

fn four_kb() -> String {
    let content = "The quick brown fox jumps over the lazy dog. ".repeat(90);
    format!(
        r#"{{"jsonrpc":"2.0","id":44,"method":"tools/call","params":{{"name":"write_file","arguments":{{"path":"docs/notes.md","content":"{content}"}}}}}}"#
    )
}

/// Parse, classify and judge one line: the whole per-message decision.
fn decide(policy: &Policy, line: &[u8]) -> bool {
    let value = parse_strict(line, DEFAULT_MAX_DEPTH).expect("valid message");
    let message = Message::from_value(value).expect("JSON-RPC");
    let target = Target::of(
        message.method.as_deref().unwrap_or_default(),
        message.params(),
    );
    let view = View {
        direction: Direction::ToServer,
        kind: message.kind,
        server: "bench",
        target: &target,
        payload: message.payload(),
    };
    policy.evaluate(&view).action.passes()
}

#[divan::bench]
fn compile_builtin_policy() -> Policy {
    policy()
}

#[divan::bench]
fn read_file_call(bencher: Bencher) {
    let policy = policy();
    bencher.bench(|| decide(&policy, divan::black_box(READ_FILE.as_bytes())));
}

#[divan::bench]
fn run_command_call(bencher: Bencher) {
    let policy = policy();
    bencher.bench(|| decide(&policy, divan::black_box(RUN_COMMAND.as_bytes())));
}

#[divan::bench]
fn write_file_4kb_call(bencher: Bencher) {
    let policy = policy();
    let line = four_kb();
    bencher.bench(|| decide(&policy, divan::black_box(line.as_bytes())));
}

#[divan::bench]
fn parse_only(bencher: Bencher) {
    bencher.bench(|| parse_strict(divan::black_box(READ_FILE.as_bytes()), DEFAULT_MAX_DEPTH));
}

/// 10 MB of what tool results hold: logs, JSON, code and prose, with many numbers and a little
/// non-ASCII text, but no personal data and no hidden characters.
fn ten_mb_of_output() -> String {
    let sample = concat!(
        "2024-11-21T10:04:31.123456Z INFO [req 3f2a9c1e-77b0-4d1e-a3c2-9e8f7d6c5b4a] GET ",
        "/api/v2/orders/1048576?page=3 200 12ms bytes=48213 pid=4021\n",
        "{\"id\":1234567890123456789,\"created_at\":1700000000000,\"order\":\"ORD-2024-000123\",",
        "\"amount\":1299.95,\"currency\":\"EUR\",\"version\":\"2.14.3\",\"ip\":\"10.0.12.7\",",
        "\"sha\":\"4f5b2c0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a\",\"tags\":[\"a\",\"b\"]}\n",
        "    let total: u64 = (0..100_000).map(|i| i * 31 + 7).sum(); // see RFC 9110 §15.5\n",
        "The café’s “quarterly” report — pages 120-145 — shows 3,214 orders in Q3 2024, up 12% ",
        "from 2,870; the median basket was €42.50 and build 20231121.3 took 12:34 minutes.\n",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nDate: Thu Nov 21 10:00:00 2024 +0100\n",
        "2024-11-21,14:05:09,user_8423,42.17,EUR,192.168.1.20,11/21/2024 | 4096 | 8192 | 65536\n",
    );
    sample.repeat(10_000_000 / sample.len() + 1)
}

#[divan::bench]
fn pii_scan_10mb(bencher: Bencher) {
    let text = ten_mb_of_output();
    let defaults = PiiKinds::none()
        .with(PiiKind::PaymentCard)
        .with(PiiKind::UsSsn)
        .with(PiiKind::Iban);
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| pii::scan(divan::black_box(&text), defaults));
}

#[divan::bench]
fn hidden_find_10mb(bencher: Bencher) {
    let text = ten_mb_of_output();
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| hidden::find(divan::black_box(&text)));
}
