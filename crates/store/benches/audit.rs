//! The audit writer: how many records per second it writes end to end (redaction, summary,
//! chain hash, SQLite), and what `record()` costs the relay's hot path.
//!
//! Run with `cargo bench -p portcullis-store --bench audit`.

use std::time::{Duration, SystemTime};

use divan::Bencher;
use divan::counter::ItemsCount;
use portcullis_core::audit::{AuditSettings, AuditSink, Event, Verdict};
use portcullis_core::message::{Direction, Kind};
use portcullis_store::audit::{AuditWriter, SessionInfo, new_session_id};
use serde_json::json;

fn main() {
    divan::main();
}

/// Records per end-to-end run.
const N: usize = 20_000;

fn session() -> SessionInfo {
    SessionInfo {
        id: new_session_id(),
        server: "files".into(),
        server_key: "k".repeat(64),
        command: vec![
            "npx".into(),
            "@modelcontextprotocol/server-filesystem".into(),
        ],
        pid: std::process::id(),
        version: "bench".into(),
    }
}

/// A `tools/call` result of about 1 KB, as a file server returns it.
fn typical(verdict: Verdict, n: usize) -> Event {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    Event {
        at: SystemTime::now(),
        direction: Direction::ToClient,
        kind: Kind::Response,
        method: "tools/call".into(),
        target: Some("read_text_file".into()),
        rpc_id: Some(n.to_string()),
        verdict,
        outcome: None,
        rule: None,
        reason: "no rule matched; the default is allow".into(),
        evidence: Vec::new(),
        bytes: 1100,
        added: Duration::from_micros(40),
        client: Some("claude-code 2.0.1".into()),
        payload: Some(json!({
            "content": [{"type": "text", "text": text}],
            "structuredContent": {"path": "/home/ann/project/README.md", "size": 900},
            "isError": false,
        })),
    }
}

/// `N` records through a fresh writer and database, from `record()` to `finish()`. The records
/// are denials, which the queue never drops, so every one is written however fast they come.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn write_end_to_end(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(N))
        .with_inputs(|| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let events: Vec<Event> = (0..N).map(|n| typical(Verdict::Deny, n)).collect();
            (dir, events)
        })
        .bench_local_values(|(dir, events)| {
            let writer = AuditWriter::start(
                dir.path().join("state"),
                AuditSettings::default(),
                session(),
            );
            for event in events {
                writer.record(event);
            }
            let flushed = writer.finish(Duration::from_secs(600));
            assert_eq!(flushed.written, N as u64, "{flushed:?}");
            dir
        });
}

/// One `record()` of an allowed event in a conversation: the writer wrote the previous record
/// and is idle, but still awake.
#[divan::bench(sample_count = 200, sample_size = 1)]
fn record_during_a_conversation(bencher: Bencher) {
    record_after(bencher, Duration::from_millis(50));
}

/// One `record()` after a quiet second and more: the call that wakes the sleeping writer.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn record_after_a_quiet_second(bencher: Bencher) {
    record_after(bencher, Duration::from_millis(1100));
}

fn record_after(bencher: Bencher, pause: Duration) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let writer = AuditWriter::start(
        dir.path().to_path_buf(),
        AuditSettings::default(),
        session(),
    );
    bencher
        .with_inputs(|| {
            std::thread::sleep(pause);
            typical(Verdict::Allow, 0)
        })
        .bench_local_values(|event| writer.record(event));
    writer.finish(Duration::from_secs(60));
}

/// `record()` in bursts of 100 allowed events, the writer busy with the earlier ones. The runs
/// add up to fewer events than the queue holds, so none is dropped.
#[divan::bench(sample_count = 50, sample_size = 100)]
fn record_in_a_burst(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let writer = AuditWriter::start(
        dir.path().to_path_buf(),
        AuditSettings::default(),
        session(),
    );
    let event = typical(Verdict::Allow, 0);
    bencher
        .with_inputs(|| event.clone())
        .bench_local_values(|event| writer.record(event));
    let flushed = writer.finish(Duration::from_secs(60));
    assert_eq!(flushed.dropped, 0, "the queue overflowed: {flushed:?}");
}
