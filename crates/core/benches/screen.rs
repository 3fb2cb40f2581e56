//! Screening what comes back from a server: the whole per-message cost the relay adds to a result
//! (strict parse, span tree, hidden text, secrets, personal data, injection, splicing the edits).
//!
//! Run with `cargo bench -p portcullis-core --bench screen`. Figures are in docs/benchmarks.md.

mod common;

use std::path::PathBuf;

use common::{log_text, result, screen_result};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use portcullis_core::detect::paths::PathContext;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict, tree};
use portcullis_core::policy::Policy;
use portcullis_core::screen::listing::{self, Judge, ListKind};
use serde_json::json;

fn main() {
    divan::main();
}

fn policy() -> Policy {
    let paths = PathContext::for_host(Some(PathBuf::from("/home/u")), PathBuf::from("/home/u/p"));
    common::builtin_policy(paths)
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
