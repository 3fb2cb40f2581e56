//! Policy evaluation per message with the built-in policy.
//!
//! Run with `cargo bench -p portcullis-core --bench evaluate`. Figures are in docs/benchmarks.md.

use std::path::PathBuf;

use divan::Bencher;
use portcullis_core::detect::paths::PathContext;
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
