//! The writer end to end, against real databases in temporary directories.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use portcullis_core::audit::{AuditSettings, Event, JsonlSettings, Redactor, Verdict};
use portcullis_core::message::{Direction, Kind};
use rusqlite::Connection;
use serde_json::json;

use super::*;
use crate::audit::prune::tests::chained_records;
use crate::audit::{Entry, connect, key};

pub(crate) const TOKEN: &str = "ghp_R8x2Lq9ZtV4mN7bK1cW5yH3jF6dS0aP2eG8u";
pub(crate) const AWS_ID: &str = "AKIAZ7Q2LMNB3XK4PT6W";
const AWS_SECRET: &str = "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";
pub(crate) const CARD: &str = "4111111111111111";

/// A private key block, line by line, with a body no detector takes for a placeholder.
pub(crate) fn pem_lines() -> Vec<String> {
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut line = || -> String {
        (0..64)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                BASE64[(seed >> 58) as usize] as char
            })
            .collect()
    };
    let mut lines = vec!["-----BEGIN RSA PRIVATE KEY-----".to_owned()];
    lines.extend((0..3).map(|_| line()));
    lines.push("-----END RSA PRIVATE KEY-----".to_owned());
    lines
}

pub(crate) fn session() -> SessionInfo {
    session_named("s-0001")
}

fn session_named(id: &str) -> SessionInfo {
    SessionInfo {
        id: id.to_owned(),
        server: "files".into(),
        server_key: "k".repeat(64),
        command: vec!["npx".into(), "files-server".into(), "/tmp".into()],
        pid: 4242,
        version: "0.1.0".into(),
    }
}

fn event(verdict: Verdict, n: u64) -> Event {
    Event {
        at: SystemTime::now(),
        direction: Direction::ToServer,
        kind: Kind::Request,
        method: "tools/call".into(),
        target: Some("read_file".into()),
        rpc_id: Some(n.to_string()),
        verdict,
        outcome: None,
        rule: None,
        reason: "no rule matched; the default is allow".into(),
        evidence: Vec::new(),
        bytes: 120,
        added: Duration::from_micros(15),
        client: Some("claude-code 1.0".into()),
        payload: Some(json!({"path": format!("/tmp/{n}")})),
    }
}

fn quick() -> Limits {
    Limits {
        retry_first: Duration::from_millis(20),
        retry_max: Duration::from_millis(100),
        ..Limits::DEFAULT
    }
}

fn start(dir: &Path, settings: AuditSettings, limits: Limits) -> AuditWriter {
    AuditWriter::start_with(dir.to_path_buf(), settings, session(), limits)
}

fn redactor(dir: &Path) -> Redactor {
    key::load(dir).unwrap().expect("the writer created the key")
}

/// The session row's `(ended, client, command, dropped, unwritten)`.
fn session_row(conn: &Connection, id: &str) -> (bool, Option<String>, String, i64, i64) {
    conn.query_row(
        "SELECT ended_at IS NOT NULL, client, command, dropped, unwritten FROM sessions \
         WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )
    .unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Holds the audit database's write lock, as a busy writer in another process would.
fn lock_database(dir: &Path) -> Connection {
    key::load_or_create(dir).unwrap();
    let conn = connect(dir).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

#[test]
fn events_are_written_in_a_chain_and_the_session_is_ended() {
    let dir = tempfile::tempdir().unwrap();
    let writer = start(dir.path(), AuditSettings::default(), quick());
    let verdicts = [Verdict::Allow, Verdict::Deny, Verdict::Redact, Verdict::Ask];
    for n in 0..40 {
        writer.record(event(verdicts[n as usize % 4], n));
    }
    let flushed = writer.finish(Duration::from_secs(10));
    assert_eq!(
        flushed,
        Flushed {
            written: 40,
            dropped: 0,
            unwritten: 0
        }
    );
    assert_eq!(writer.finish(Duration::ZERO), flushed, "finishing twice");
    let conn = connect(dir.path()).unwrap();
    let records = chained_records(&conn, &redactor(dir.path()));
    let ids: Vec<i64> = records.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
    assert_eq!(records[1].verdict, "deny");
    assert_eq!(records[39].rpc_id.as_deref(), Some("39"));
    assert_eq!(records[0].summary.as_deref(), Some(r#"{"path":"/tmp/0"}"#));
    let (ended, client, command, dropped, unwritten) = session_row(&conn, &session().id);
    assert!(ended);
    assert_eq!(client.as_deref(), Some("claude-code 1.0"));
    assert_eq!(command, r#"["npx","files-server","/tmp"]"#);
    assert_eq!((dropped, unwritten), (0, 0));
}

#[test]
fn a_writer_that_is_off_touches_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("state");
    let settings = AuditSettings {
        enabled: false,
        ..AuditSettings::default()
    };
    let writer = start(&dir, settings, quick());
    writer.record(event(Verdict::Deny, 1));
    assert_eq!(writer.finish(Duration::from_secs(1)), Flushed::default());
    assert!(!dir.exists());
}

#[test]
fn a_full_queue_drops_allowed_records_and_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let lock = lock_database(dir.path());
    let limits = Limits {
        events: 4,
        ..quick()
    };
    let writer = start(dir.path(), AuditSettings::default(), limits);
    // The writer is stuck behind the lock: only four allowed events fit in its queue.
    for n in 0..100 {
        writer.record(event(Verdict::Allow, n));
    }
    for n in 100..110 {
        writer.record(event(Verdict::Deny, n));
    }
    drop(lock);
    let flushed = writer.finish(Duration::from_secs(10));
    assert_eq!(
        flushed,
        Flushed {
            written: 14,
            dropped: 96,
            unwritten: 0
        }
    );
    let conn = connect(dir.path()).unwrap();
    let records = chained_records(&conn, &redactor(dir.path()));
    let denied = records.iter().filter(|e| e.verdict == "deny").count();
    assert_eq!(denied, 10);
    assert_eq!(session_row(&conn, &session().id).3, 96);
}

#[test]
fn no_secret_reaches_any_file_but_its_type_and_tag_do() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("export/audit.jsonl");
    let settings = AuditSettings {
        stderr: true,
        jsonl: Some(JsonlSettings {
            path: jsonl.clone(),
            max_bytes: 1 << 20,
            keep: 1,
        }),
        ..AuditSettings::default()
    };
    let pem = pem_lines();
    let aws = format!("aws_access_key_id={AWS_ID} aws_secret_access_key={AWS_SECRET}");
    let mut command = session();
    command.command = vec![
        "server".into(),
        "--token".into(),
        TOKEN.into(),
        format!("--aws-secret-access-key={AWS_SECRET}"),
    ];
    // A second connection keeps the write-ahead log from being folded away when the writer
    // closes, so that it is searched too.
    let reader = connect(dir.path()).unwrap();
    let writer = AuditWriter::start_with(dir.path().to_path_buf(), settings, command, quick());
    let mut denied = event(Verdict::Deny, 1);
    denied.reason = format!("the arguments hold {TOKEN}").into();
    denied.evidence = vec![aws.clone(), format!("card {CARD}")];
    denied.target = Some(format!("https://api.example.com/?key={TOKEN}"));
    denied.rpc_id = Some(format!("\"{CARD}\""));
    denied.payload = Some(json!({
        "key": pem.join("\n"),
        "env": aws,
        "note": format!("pay with {CARD}"),
        "nested": [{"token": TOKEN}],
    }));
    writer.record(denied);
    writer.stderr(format!("starting with token {TOKEN}").as_bytes());
    for line in &pem {
        writer.stderr(line.as_bytes());
    }
    writer.stderr(format!("charging {CARD} {aws}").as_bytes());
    writer.stderr(b"ready");
    assert_eq!(writer.finish(Duration::from_secs(10)).written, 1);

    let body: Vec<&str> = pem[1..pem.len() - 1].iter().map(String::as_str).collect();
    let needles = [
        TOKEN,
        &TOKEN[4..24],
        AWS_ID,
        AWS_SECRET,
        CARD,
        body[0],
        body[1],
        body[2],
    ];
    let wal = dir.path().join(format!("{}-wal", crate::audit::FILE_NAME));
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    // The copy must exist to be searched: a copy never written would pass the search unseen.
    assert!(
        std::fs::metadata(&jsonl).unwrap().len() > 0,
        "the JSON Lines copy is written"
    );
    let mut files = vec![jsonl];
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut searched = 0;
    for file in files.iter().filter(|f| f.is_file()) {
        let bytes = std::fs::read(file).unwrap();
        for needle in needles {
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "{needle} is in {}", file.display());
        }
        searched += 1;
    }
    assert!(
        searched >= 4,
        "the database, its log, the key and the JSON Lines copy"
    );

    let conn = reader;
    let redactor = redactor(dir.path());
    let record = chained_records(&conn, &redactor).remove(0);
    let kinds: Vec<&str> = record.secrets.iter().map(|s| s.kind.as_str()).collect();
    for kind in [
        "aws-access-key-id",
        "aws-secret-access-key",
        "github-token",
        "payment-card",
        "private-key",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert!(record.secrets.iter().any(|s| s.tag == redactor.tag(TOKEN)));
    let lines: Vec<String> = conn
        .prepare("SELECT line FROM stderr ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(lines.len(), pem.len() + 3);
    assert!(lines[0].starts_with("starting with token [REDACTED:github-token#"));
    assert!(
        lines[1..=pem.len()]
            .iter()
            .all(|l| l == "[REDACTED:private-key]")
    );
    assert_eq!(lines.last().unwrap(), "ready");
}

#[test]
fn records_wait_while_the_directory_cannot_be_created_and_are_written_once_it_can() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("state");
    std::fs::write(&dir, "in the way").unwrap();
    let writer = start(&dir, AuditSettings::default(), quick());
    for n in 0..30 {
        writer.record(event(Verdict::Allow, n));
    }
    std::thread::sleep(Duration::from_millis(100));
    std::fs::remove_file(&dir).unwrap();
    wait_for("the delayed records", || {
        connect(&dir).is_ok_and(|conn| {
            conn.query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))
                .is_ok_and(|n| n == 30)
        })
    });
    let flushed = writer.finish(Duration::from_secs(10));
    assert_eq!(
        flushed,
        Flushed {
            written: 30,
            dropped: 0,
            unwritten: 0
        }
    );
    let conn = connect(&dir).unwrap();
    assert_eq!(chained_records(&conn, &redactor(&dir)).len(), 30);
}

#[test]
fn records_kept_in_memory_past_the_limit_lose_the_allowed_ones_first() {
    let dir = tempfile::tempdir().unwrap();
    key::load_or_create(dir.path()).unwrap();
    let database = dir.path().join(crate::audit::FILE_NAME);
    std::fs::create_dir(&database).unwrap();
    let limits = Limits {
        pending: 10,
        ..quick()
    };
    let writer = start(dir.path(), AuditSettings::default(), limits);
    for n in 0..30 {
        writer.record(event(Verdict::Allow, n));
    }
    for n in 30..35 {
        writer.record(event(Verdict::Deny, n));
    }
    let shared = writer.shared.as_ref().unwrap();
    wait_for("the records converted", || {
        let progress = shared.progress();
        progress.held + progress.unwritten == 35
    });
    std::fs::remove_dir(&database).unwrap();
    let flushed = writer.finish(Duration::from_secs(10));
    assert_eq!(
        flushed,
        Flushed {
            written: 10,
            dropped: 0,
            unwritten: 25
        }
    );
    let conn = connect(dir.path()).unwrap();
    let records = chained_records(&conn, &redactor(dir.path()));
    let kept: Vec<(String, String)> = records
        .iter()
        .map(|e| (e.verdict.clone(), e.rpc_id.clone().unwrap()))
        .collect();
    let allowed: Vec<&str> = kept
        .iter()
        .filter(|(v, _)| v == "allow")
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(allowed, ["25", "26", "27", "28", "29"]);
    assert_eq!(kept.len() - allowed.len(), 5, "every denial");
    assert_eq!(session_row(&conn, &session().id).4, 25);
}

#[test]
fn finishing_returns_in_time_when_the_database_stays_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _lock = lock_database(dir.path());
    let writer = start(dir.path(), AuditSettings::default(), quick());
    for n in 0..10 {
        writer.record(event(Verdict::Deny, n));
    }
    let flushed = finish_without_waiting(&writer, Duration::from_millis(300));
    assert_eq!(
        flushed,
        Flushed {
            written: 0,
            dropped: 0,
            unwritten: 10
        }
    );
}

#[test]
fn two_writers_share_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let writers: Vec<_> = ["s-a", "s-b"]
        .into_iter()
        .map(|id| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let writer = AuditWriter::start_with(
                    dir,
                    AuditSettings::default(),
                    session_named(id),
                    quick(),
                );
                for n in 0..5000 {
                    writer.record(event(Verdict::Allow, n));
                }
                writer.finish(Duration::from_secs(60))
            })
        })
        .collect();
    for writer in writers {
        let flushed = writer.join().unwrap();
        assert_eq!((flushed.written, flushed.dropped), (5000, 0));
    }
    let conn = connect(dir.path()).unwrap();
    let records = chained_records(&conn, &redactor(dir.path()));
    assert_eq!(records.len(), 10_000);
    for id in ["s-a", "s-b"] {
        let mine: Vec<&Entry> = records.iter().filter(|e| e.session == id).collect();
        assert_eq!(mine.len(), 5000);
        let order: Vec<String> = mine.iter().map(|e| e.rpc_id.clone().unwrap()).collect();
        let expected: Vec<String> = (0..5000).map(|n| n.to_string()).collect();
        assert_eq!(order, expected, "each session's records in order");
        assert!(session_row(&conn, id).0);
    }
}

#[test]
fn the_writer_prunes_when_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), AuditSettings::default(), quick());
    let mut old = event(Verdict::Allow, 1);
    old.at = SystemTime::now() - Duration::from_secs(3 * 86_400);
    first.record(old);
    first.finish(Duration::from_secs(10));
    let settings = AuditSettings {
        retention_days: 1,
        ..AuditSettings::default()
    };
    let second = AuditWriter::start_with(
        dir.path().to_path_buf(),
        settings,
        session_named("s-2"),
        quick(),
    );
    second.record(event(Verdict::Allow, 2));
    // Written by the running writer, which pruned as it opened the database (a writer finished
    // at once goes straight to writing what is left).
    let shared = second.shared.as_ref().unwrap();
    wait_for("the record written", || shared.progress().written == 1);
    second.finish(Duration::from_secs(10));
    let conn = connect(dir.path()).unwrap();
    let records = chained_records(&conn, &redactor(dir.path()));
    assert_eq!(records.iter().map(|e| e.id).collect::<Vec<_>>(), [2]);
}

#[test]
fn a_missing_key_is_not_replaced_while_the_database_holds_records() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), AuditSettings::default(), quick());
    for n in 0..3 {
        first.record(event(Verdict::Deny, n));
    }
    assert_eq!(first.finish(Duration::from_secs(10)).written, 3);
    let key_file = dir.path().join(key::FILE_NAME);
    let saved = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();

    let mut database = database::Database::new(dir.path().to_path_buf(), String::new());
    let error = match database.open(&session()) {
        Ok(_) => panic!("a new key was made for an existing trail"),
        Err(error) => error.to_string(),
    };
    let db = dir.path().join(crate::audit::FILE_NAME);
    let expected = format!(
        "the audit key {} is missing but {} already holds records written with it: restore the \
         key from a copy, or move {} away to start a new trail",
        key_file.display(),
        db.display(),
        db.display()
    );
    assert_eq!(error, expected);

    // A writer keeps its records waiting until the key is back.
    let second = AuditWriter::start_with(
        dir.path().to_path_buf(),
        AuditSettings::default(),
        session_named("s-2"),
        quick(),
    );
    for n in 3..8 {
        second.record(event(Verdict::Deny, n));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(!key_file.exists(), "no new key was made");
    std::fs::write(&key_file, saved).unwrap();
    assert_eq!(second.finish(Duration::from_secs(10)).written, 5);
    let conn = connect(dir.path()).unwrap();
    assert_eq!(chained_records(&conn, &redactor(dir.path())).len(), 8);
}

#[test]
fn a_key_is_made_for_a_database_without_records() {
    let dir = tempfile::tempdir().unwrap();
    // A database with its schema and a session, and no record or anchor.
    let conn = connect(dir.path()).unwrap();
    conn.execute_batch(
        "INSERT INTO sessions (id, started_at, server, server_key, command, pid, version) \
         VALUES ('old', '2026-01-01T00:00:00.000Z', 's', 'k', '[]', 1, 'v')",
    )
    .unwrap();
    let mut database = database::Database::new(dir.path().to_path_buf(), String::new());
    assert!(database.open(&session()).is_ok());
    assert!(dir.path().join(key::FILE_NAME).exists());
}

#[test]
fn events_and_lines_that_arrive_after_finish_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let settings = AuditSettings {
        stderr: true,
        ..AuditSettings::default()
    };
    let writer = start(dir.path(), settings, quick());
    writer.record(event(Verdict::Deny, 1));
    let flushed = writer.finish(Duration::from_secs(10));
    assert_eq!(flushed.written, 1);
    writer.record(event(Verdict::Deny, 2));
    writer.record(event(Verdict::Allow, 3));
    writer.stderr(b"too late");
    let again = writer.finish(Duration::ZERO);
    assert_eq!(
        again,
        Flushed {
            written: 1,
            dropped: 0,
            unwritten: 2
        }
    );
    let losses = writer.shared.as_ref().unwrap().losses();
    assert_eq!(losses.lines_dropped, 1, "the line");
}

#[test]
fn a_stuck_writer_holds_a_bounded_queue_and_counts_the_rest_as_unwritten() {
    let dir = tempfile::tempdir().unwrap();
    // A damaged key: nothing can be converted, so events wait in the queue.
    std::fs::write(dir.path().join(key::FILE_NAME), "not hex").unwrap();
    let limits = Limits {
        events: 2,
        events_max: 5,
        ..quick()
    };
    let writer = start(dir.path(), AuditSettings::default(), limits);
    for n in 0..10 {
        writer.record(event(Verdict::Deny, n));
    }
    assert_eq!(writer.shared.as_ref().unwrap().queued(), 5);
    let flushed = writer.finish(Duration::from_secs(5));
    assert_eq!(
        flushed,
        Flushed {
            written: 0,
            dropped: 0,
            unwritten: 10
        }
    );
}

/// Converting an event with this method panics (in tests only).
pub(crate) const PANIC_METHOD: &str = "test/make-the-audit-writer-panic";

#[test]
fn a_writer_that_panics_counts_what_it_loses_and_finish_returns_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let settings = AuditSettings {
        stderr: true,
        ..AuditSettings::default()
    };
    let writer = start(dir.path(), settings, quick());
    let shared = writer.shared.as_ref().unwrap();
    writer.record(event(Verdict::Deny, 1));
    wait_for("the first record", || shared.progress().written == 1);
    let mut fatal = event(Verdict::Deny, 2);
    fatal.method = PANIC_METHOD.into();
    writer.record(fatal);
    wait_for("the writer to fail", || shared.failed());
    for n in 3..13 {
        writer.record(event(Verdict::Deny, n));
    }
    writer.stderr(b"after the failure");
    assert_eq!(shared.queued(), 0, "nothing is queued for a dead writer");
    let flushed = finish_without_waiting(&writer, Duration::from_secs(10));
    assert_eq!(
        flushed,
        Flushed {
            written: 1,
            dropped: 0,
            unwritten: 11
        }
    );
    assert_eq!(shared.losses().lines_dropped, 1);
}

/// Finishes `writer`, which has nothing it can still write: that must not take the time it is
/// given to flush (2 s is far below the 10 s some tests give it).
fn finish_without_waiting(writer: &AuditWriter, within: Duration) -> Flushed {
    let began = Instant::now();
    let flushed = writer.finish(within);
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    flushed
}
