//! Screening what comes back from a server: the whole per-message cost the relay adds to a result
//! (strict parse, span tree, hidden text, secrets, personal data, injection, splicing the edits).
//!
//! Run with `cargo bench -p portcullis-core --bench screen`. Figures are in docs/benchmarks.md.

use std::path::PathBuf;

use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use portcullis_core::detect::paths::PathContext;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict, tree};
use portcullis_core::message::{Message, Target};
use portcullis_core::policy::{Policy, Sources};
use portcullis_core::screen::content::{Context, screen};
use portcullis_core::screen::listing::{self, Judge, ListKind};
use serde_json::json;

fn main() {
    divan::main();
}

fn policy() -> Policy {
    let paths = PathContext::for_host(Some(PathBuf::from("/home/u")), PathBuf::from("/home/u/p"));
    Policy::compile(&Sources::default(), paths).expect("built-in policy compiles")
}

/// A `tools/call` result whose text is `text`.
fn result(text: &str) -> Vec<u8> {
    json!({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":text}],"isError":false}})
        .to_string()
        .into_bytes()
}

/// Ordinary tool output: log lines with timestamps, numbers, paths, ids and some prose.
fn log_text(bytes: usize) -> String {
    let lines = [
        "2026-11-22T10:00:00.123Z INFO  http: GET /api/v2/orders/81723 200 in 12.4 ms (user 5512)\n",
        "2026-11-22T10:00:00.456Z DEBUG cache: hit key=session:8f14e45fceea167a5a36dedd4bea2543\n",
        "2026-11-22T10:00:01.002Z WARN  worker-3: retrying job 4410 after timeout (attempt 2 of 5)\n",
        "The build finished: 418 tests passed, 2 skipped, see target/debug/report.html for details.\n",
        "    at Object.<anonymous> (/srv/app/node_modules/express/lib/router/index.js:284:7)\n",
    ];
    let mut text = String::with_capacity(bytes + 128);
    while text.len() < bytes {
        text.push_str(lines[text.len() % lines.len()]);
    }
    text
}

/// The relay's work on one result: parse, build the span tree, screen, apply the edits.
fn screen_result(policy: &Policy, line: &[u8]) -> usize {
    let value = parse_strict(line, DEFAULT_MAX_DEPTH).expect("valid JSON");
    let message = Message::from_value(value).expect("JSON-RPC");
    let text = std::str::from_utf8(line).expect("UTF-8");
    let root = tree::parse(text).expect("tree");
    let target = Target {
        method: "tools/call".into(),
        tool: Some("read_file".into()),
        ..Target::default()
    };
    let cx = Context {
        server: "bench",
        kind: message.kind,
        target: &target,
        screening: &policy.screening,
    };
    let screened = screen(&root, &cx);
    screened.edits.apply(line).len()
}

#[divan::bench]
fn typical_2kb_result(bencher: Bencher) {
    let policy = policy();
    let line = result(&log_text(2 * 1024));
    bencher
        .counter(BytesCount::new(line.len()))
        .bench(|| screen_result(&policy, black_box(&line)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn large_10mb_result(bencher: Bencher) {
    let policy = policy();
    let line = result(&log_text(10 * 1024 * 1024));
    bencher
        .counter(BytesCount::new(line.len()))
        .bench(|| screen_result(&policy, black_box(&line)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn large_10mb_result_with_secrets(bencher: Bencher) {
    let policy = policy();
    let token = format!("ghp_{}", "a1B2c3D4e5F6".repeat(3));
    let mut text = log_text(10 * 1024 * 1024);
    for at in (0..text.len()).step_by(1024 * 1024).skip(1) {
        let at = (at..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap();
        text.insert_str(at, &format!(" token={token} "));
    }
    let line = result(&text);
    bencher
        .counter(BytesCount::new(line.len()))
        .bench(|| screen_result(&policy, black_box(&line)));
}

/// A `tools/list` of 30 ordinary tools: policy, poisoning detector and pins for each.
#[divan::bench]
fn tools_list_30(bencher: Bencher) {
    let policy = policy();
    let tools: Vec<_> = (0..30)
        .map(|i| json!({
            "name": format!("tool_{i}"),
            "description": "Read the complete contents of a file from the file system. Handles various text encodings and provides detailed error messages if the file cannot be read.",
            "inputSchema": {"type":"object","properties":{"path":{"type":"string","description":"Path of the file to read"}},"required":["path"]}
        }))
        .collect();
    let value = json!({"tools": tools});
    let items = listing::items(ListKind::Tools, &value);
    let judge = Judge {
        policy: &policy,
        server: "bench",
        kind: ListKind::Tools,
        names: items.iter().map(|i| i.name.as_str()).collect(),
    };
    bencher.bench(|| {
        items
            .iter()
            .map(|item| judge.judge(item, None).remember.is_some() as usize)
            .sum::<usize>()
    });
}

/// The stages of [`large_10mb_result`], one at a time, to see where the time goes.
mod stages {
    use super::*;
    use portcullis_core::detect::instructions::injection;
    use portcullis_core::detect::{hidden, pii, secrets};

    fn text() -> String {
        log_text(10 * 1024 * 1024)
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn parse_strict_10mb(bencher: Bencher) {
        let line = result(&text());
        bencher
            .counter(BytesCount::new(line.len()))
            .bench(|| parse_strict(black_box(&line), DEFAULT_MAX_DEPTH).is_ok());
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn span_tree_10mb(bencher: Bencher) {
        let line = String::from_utf8(result(&text())).unwrap();
        bencher
            .counter(BytesCount::new(line.len()))
            .bench(|| tree::parse(black_box(&line)).is_ok());
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn hidden_10mb(bencher: Bencher) {
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| hidden::find(black_box(&text)).len());
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn secrets_10mb(bencher: Bencher) {
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| secrets::scan(black_box(&text)).len());
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn pii_default_kinds_10mb(bencher: Bencher) {
        let policy = policy();
        let kinds = policy.screening.pii_kinds();
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| pii::scan(black_box(&text), kinds).len());
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn injection_10mb(bencher: Bencher) {
        let text = text();
        bencher
            .counter(BytesCount::new(text.len()))
            .bench(|| injection::scan(black_box(&text)).len());
    }
}
