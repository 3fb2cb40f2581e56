//! `portcullis logs`: the real binary over an audit trail filled through the store's own API, as
//! the wrappers fill it, then read back, filtered, exported, followed and tampered with.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;

use jiff::{SignedDuration, Timestamp};
use portcullis_core::audit::{AuditSettings, Redactor};
use portcullis_store::audit::{self, COLUMNS, Entry, key};
use portcullis_testkit::drive::{PATIENCE, Wrapped};
use rusqlite::{Connection, TransactionBehavior};
use support::Home;

/// A home whose state directory holds an audit trail and its key.
struct Trail {
    home: Home,
    conn: Connection,
    redactor: Redactor,
}

impl Trail {
    fn empty() -> Self {
        Trail::create_in(Home::new())
    }

    /// Creates the trail and its key in `home`, as the first wrapper to record does.
    fn create_in(home: Home) -> Self {
        let state = state(&home);
        let conn = audit::connect(&state).expect("the audit database opens");
        let redactor = key::load_or_create(&state).expect("the audit key is created");
        Trail {
            home,
            conn,
            redactor,
        }
    }

    /// The records of [`varied`], appended.
    fn varied() -> Self {
        let mut trail = Trail::empty();
        trail.append(varied());
        trail
    }

    /// Appends `entries` as a wrapper does: in a transaction that holds the write lock.
    fn append(&mut self, mut entries: Vec<Entry>) -> Vec<Entry> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        audit::append(&tx, &self.redactor, &mut entries).unwrap();
        tx.commit().unwrap();
        entries
    }

    /// Runs `sql` behind the store's back: someone covering their tracks, or a row only a
    /// wrapper would write.
    fn execute(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap();
    }

    /// Prunes what is older than a day, as the wrappers do.
    fn prune(&mut self) {
        let settings = AuditSettings {
            retention_days: 1,
            max_bytes: 0,
            ..AuditSettings::default()
        };
        audit::prune(&mut self.conn, &self.redactor, &settings, Timestamp::now()).unwrap();
    }

    fn logs(&self, args: &[&str]) -> Run {
        logs(&self.home, args)
    }

    /// Every record, as `--json` lists them.
    fn all(&self) -> Vec<Entry> {
        let run = self.logs(&["--json", "--limit", "1000"]);
        assert_eq!(run.code, 0, "{}", run.err);
        entries(&run.out)
    }
}

fn state(home: &Home) -> PathBuf {
    home.path().join("state")
}

/// What a finished `portcullis` printed.
struct Run {
    code: i32,
    out: String,
    err: String,
}

/// `portcullis logs <args>`, in UTC so that times read back as written.
fn logs(home: &Home, args: &[&str]) -> Run {
    let out = home
        .portcullis(&[&["logs"], args].concat())
        .env("TZ", "UTC")
        .output()
        .expect("portcullis runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8(out.stdout).expect("UTF-8 on stdout"),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An allowed `tools/call` of `read_file` on `files`, `minutes` ago.
fn entry(minutes: i64) -> Entry {
    let at = Timestamp::now() - SignedDuration::from_mins(minutes);
    Entry {
        id: 0,
        at: format!("{at:.3}"),
        session: "sess-a".into(),
        server: "files".into(),
        server_key: "k".repeat(64),
        client: Some("claude-code 1.0".into()),
        direction: "to_server".into(),
        kind: "request".into(),
        method: "tools/call".into(),
        target: Some("read_file".into()),
        rpc_id: Some("1".into()),
        verdict: "allow".into(),
        outcome: None,
        rule: None,
        reason: "no rule matched; the default is allow".into(),
        evidence: vec![],
        summary: Some(r#"{"path":"src/main.rs"}"#.into()),
        secrets: vec![],
        bytes: 120,
        added_us: 15,
        hash: String::new(),
    }
}

/// Seven records, one of them older than a day:
///
/// | id | ago  | server | target     | verdict | rule     | session |
/// |----|------|--------|------------|---------|----------|---------|
/// | 1  | 30h  | files  | read_file  | allow   |          | sess-a  |
/// | 2  | 3h   | files  | read_file  | allow   |          | sess-a  |
/// | 3  | 2h   | files  | read_file  | deny    | ssh-keys | sess-a  |
/// | 4  | 90m  | git    | commit     | allow   |          | sess-b  |
/// | 5  | 30m  | git    | push       | deny    | no-push  | sess-b  |
/// | 6  | 20m  | files  | write_file | redact  | secrets  | sess-a  |
/// | 7  | 5m   | files  | (none)     | allow   |          | sess-a  |
fn varied() -> Vec<Entry> {
    let git = |minutes, target: &str| Entry {
        server: "git".into(),
        session: "sess-b".into(),
        target: Some(target.into()),
        ..entry(minutes)
    };
    vec![
        entry(30 * 60),
        entry(180),
        Entry {
            verdict: "deny".into(),
            rule: Some("ssh-keys".into()),
            reason: "reads a private SSH key".into(),
            evidence: vec!["path ~/.ssh/id_rsa".into()],
            ..entry(120)
        },
        git(90, "commit"),
        Entry {
            verdict: "deny".into(),
            rule: Some("no-push".into()),
            reason: "pushing is not allowed".into(),
            ..git(30, "push")
        },
        Entry {
            direction: "to_client".into(),
            kind: "response".into(),
            target: Some("write_file".into()),
            verdict: "redact".into(),
            rule: Some("secrets".into()),
            reason: "a secret in the result".into(),
            ..entry(20)
        },
        Entry {
            method: "tools/list".into(),
            target: None,
            ..entry(5)
        },
    ]
}

/// The ids of a table's rows (the header left out).
fn ids(table: &str) -> Vec<i64> {
    table
        .lines()
        .skip(1)
        .map(|row| {
            let id = row.split_whitespace().next().unwrap_or_default();
            id.parse()
                .unwrap_or_else(|_| panic!("a row begins with its id: {row}"))
        })
        .collect()
}

fn entries(jsonl: &str) -> Vec<Entry> {
    jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn the_table_lists_the_newest_records_oldest_first() {
    let mut trail = Trail::empty();
    let written = trail.append(varied());
    let run = trail.logs(&[]);
    assert_eq!(run.code, 0, "{}", run.err);
    let header = run.out.lines().next().unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "ID", "TIME", "SERVER", "METHOD", "TARGET", "VERDICT", "RULE", "REASON"
        ]
    );
    assert_eq!(ids(&run.out), [1, 2, 3, 4, 5, 6, 7]);
    assert!(!run.out.contains('\u{1b}'), "no colour off a terminal");
    let denied = run.out.lines().nth(3).unwrap();
    let time = written[2].at[5..19].replace('T', " ");
    assert!(
        denied.contains(time.as_str()),
        "local time (UTC here): {denied}"
    );
    for cell in ["files", "→", "tools/call", "read_file", "deny", "ssh-keys"] {
        assert!(denied.contains(cell), "{cell}: {denied}");
    }
    assert!(denied.ends_with("reads a private SSH key"), "{denied}");
    let response = run.out.lines().nth(6).unwrap();
    assert!(response.contains("←"), "{response}");

    let newest = trail.logs(&["--limit", "2"]);
    assert_eq!(ids(&newest.out), [6, 7]);
}

#[test]
fn filters_narrow_the_table() {
    let trail = Trail::varied();
    let cases: [(&[&str], &[i64]); 9] = [
        (&["--verdict", "deny"], &[3, 5]),
        (&["--server", "git"], &[4, 5]),
        (&["--since", "1h"], &[5, 6, 7]),
        (&["--since", "1h", "--server", "files"], &[6, 7]),
        (&["--until", "1h", "--since", "2h30m"], &[3, 4]),
        (&["--tool", "read_file"], &[1, 2, 3]),
        (&["--rule", "no-push"], &[5]),
        (&["--session", "sess-b"], &[4, 5]),
        (&["--session", "sess-b", "--verdict", "deny"], &[5]),
    ];
    for (args, expected) in cases {
        let run = trail.logs(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.err);
        assert_eq!(ids(&run.out), expected, "{args:?}: {}", run.out);
    }
    let since = Timestamp::now() - SignedDuration::from_mins(100);
    let absolute = trail.logs(&["--since", &since.to_string(), "--verdict", "allow"]);
    assert_eq!(ids(&absolute.out), [4, 7]);

    let none = trail.logs(&["--server", "nope"]);
    assert_eq!(none.code, 0);
    assert!(none.out.starts_with("no records match"), "{}", none.out);
}

#[test]
fn filter_values_the_trail_cannot_hold_are_refused_with_what_would_do() {
    let trail = Trail::varied();
    let verdict = trail.logs(&["--verdict", "denied"]);
    assert_eq!(verdict.code, 2);
    assert!(verdict.err.contains("quarantine"), "{}", verdict.err);
    let since = trail.logs(&["--since", "yesterday"]);
    assert_eq!(since.code, 2);
    assert!(since.err.contains("2h30m"), "{}", since.err);
    let session = trail.logs(&["--session", "sess-"]);
    assert_eq!(session.code, 2);
    assert!(
        session.err.contains("sess-a, sess-b; give more of the id"),
        "{}",
        session.err
    );
}

#[test]
fn json_lines_are_the_records_as_written() {
    let mut trail = Trail::empty();
    let written = trail.append(varied());
    let run = trail.logs(&["--json"]);
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(entries(&run.out), written);
    let denied = trail.logs(&["--json", "--verdict", "deny", "--limit", "1"]);
    assert_eq!(entries(&denied.out), [written[4].clone()]);
    let none = trail.logs(&["--json", "--server", "nope"]);
    assert_eq!(none.out, "", "stdout stays valid JSON Lines");
    assert!(none.err.contains("no records match"), "{}", none.err);
}

#[test]
fn the_table_keeps_the_newest_fifty_and_export_keeps_every_record() {
    let mut trail = Trail::empty();
    trail.append((0..60).map(|n| entry(60 - n)).collect());
    assert_eq!(ids(&trail.logs(&[]).out), (11..=60).collect::<Vec<_>>());
    let export = trail.logs(&["export", "--format", "jsonl"]);
    let exported: Vec<i64> = entries(&export.out).iter().map(|e| e.id).collect();
    assert_eq!(exported, (1..=60).collect::<Vec<_>>());
}

#[test]
fn show_prints_one_record_whole_with_its_session() {
    let mut trail = Trail::varied();
    trail.execute(
        "INSERT INTO sessions (id, started_at, server, server_key, command, pid, version) \
         VALUES ('sess-a', '2026-11-22T01:00:00.000Z', 'files', 'k', \
                 '[\"npx\",\"server-fs\",\"/home/me\"]', 4242, '0.1.0');
         INSERT INTO stderr VALUES ('sess-a', '2026-11-22T01:00:01.000Z', 'listening on stdio');",
    );
    let run = trail.logs(&["show", "3"]);
    assert_eq!(run.code, 0, "{}", run.err);
    for line in [
        "record 3",
        "  server     files",
        "  direction  → to the server",
        "  verdict    deny",
        "  rule       ssh-keys",
        "  reason     reads a private SSH key",
        "    - path ~/.ssh/id_rsa",
        "session sess-a",
        "  command    npx server-fs /home/me",
        "  pid        4242",
        "  stderr     1 line captured; `portcullis logs show 3 --stderr` prints them",
    ] {
        assert!(run.out.contains(line), "{line:?} in:\n{}", run.out);
    }
    let stderr = trail.logs(&["show", "3", "--stderr"]);
    assert!(stderr.out.contains("listening on stdio"), "{}", stderr.out);

    let json = trail.logs(&["show", "5", "--json"]);
    let shown: Entry = serde_json::from_str(&json.out).expect("one JSON record");
    assert_eq!(shown, trail.all()[4]);
    assert!(
        trail
            .logs(&["show", "4"])
            .out
            .contains("session sess-b (not recorded)")
    );

    trail.prune();
    let pruned = trail.logs(&["show", "1"]);
    assert_eq!(pruned.code, 2);
    assert!(
        pruned
            .err
            .contains("there is no record 1 (pruned, or not written yet)"),
        "{}",
        pruned.err
    );
}

#[test]
fn stats_count_the_last_day_unless_told_otherwise() {
    let trail = Trail::varied();
    let run = trail.logs(&["stats"]);
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.out.starts_with("6 records, "), "{}", run.out);
    assert!(
        run.out
            .contains("(in the last 24 hours; --since changes that)"),
        "{}",
        run.out
    );
    // The columns' widths aside.
    let words: Vec<String> = run
        .out
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let words = words.join("\n");
    for section in [
        "verdict\nallow 3 50.0%\ndeny 2 33.3%\nredact 1 16.7%\n",
        "server\nfiles 4 66.7%\ngit 2 33.3%\n",
        "tool\nread_file 2 33.3%\ncommit 1 16.7%\npush 1 16.7%\nwrite_file 1 16.7%\n\
         - (no tool) 1 16.7%\n",
        "rule\n- (the default) 3 50.0%\nno-push 1 16.7%\nsecrets 1 16.7%\nssh-keys 1 16.7%",
    ] {
        assert!(words.contains(section), "{section:?} in:\n{}", run.out);
    }
    let all = trail.logs(&["stats", "--since", "2d"]);
    assert!(all.out.starts_with("7 records, "), "{}", all.out);
    let git = trail.logs(&["stats", "--server", "git"]);
    assert!(git.out.starts_with("2 records, "), "{}", git.out);
    let none = trail.logs(&["stats", "--server", "nope"]);
    assert!(none.out.starts_with("no records match"), "{}", none.out);
}

#[test]
fn csv_export_has_a_header_and_a_row_per_record() {
    let trail = Trail::varied();
    let run = trail.logs(&["export", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.err);
    let mut csv = csv::Reader::from_reader(run.out.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, COLUMNS.split(", ").collect::<Vec<_>>());
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    let reason = header.iter().position(|c| c == "reason").unwrap();
    assert_eq!(&rows[2][reason], "reads a private SSH key");
    let evidence = header.iter().position(|c| c == "evidence").unwrap();
    assert_eq!(&rows[2][evidence], r#"["path ~/.ssh/id_rsa"]"#);

    let file = trail.home.path().join("git.csv");
    let path = file.to_str().unwrap();
    let run = trail.logs(&["export", "--format", "csv", "--server", "git", "-o", path]);
    assert_eq!((run.code, run.out.as_str()), (0, ""), "{}", run.err);
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.lines().count(), 3, "{written}");
}

#[test]
fn jsonl_export_is_every_matching_record_oldest_first() {
    let mut trail = Trail::empty();
    let written = trail.append(varied());
    let run = trail.logs(&["export", "--format", "jsonl"]);
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(entries(&run.out), written);
    let denied = trail.logs(&["export", "--format", "jsonl", "--verdict", "deny"]);
    assert_eq!(
        entries(&denied.out),
        [written[2].clone(), written[4].clone()]
    );
}

#[test]
fn an_untouched_trail_verifies() {
    let trail = Trail::varied();
    let run = trail.logs(&["verify"]);
    assert_eq!(run.code, 0, "{}{}", run.out, run.err);
    assert_eq!(
        run.out,
        "verified 7 records (ids 1–7): none was edited, deleted or reordered\n"
    );
    let key = state(&trail.home).join(key::FILE_NAME);
    let copy = trail.logs(&["verify", "--key", key.to_str().unwrap()]);
    assert_eq!(copy.code, 0, "{}", copy.err);
}

#[test]
fn each_kind_of_tampering_is_named_at_its_record() {
    /// Rows 2 and 3 trade contents, hashes included: the order of events is rewritten.
    const SWAP: &str = "UPDATE records SET id = -2 WHERE id = 2;
                        UPDATE records SET id = 2 WHERE id = 3;
                        UPDATE records SET id = 3 WHERE id = -2;";
    let cases = [
        (
            "UPDATE records SET reason = 'nothing to see' WHERE id = 3",
            "record 3 does not match its chain hash",
            "record 3 was edited after it was written",
            "2 records before it verified",
        ),
        (
            "DELETE FROM records WHERE id = 4",
            "record 4 is missing",
            "record 4 was deleted after it was written",
            "3 records before it verified",
        ),
        (
            "DELETE FROM records WHERE id >= 6",
            "records 6 to 7 are missing",
            "records 6 to 7 were deleted after they were written",
            "5 records before it verified",
        ),
        (
            SWAP,
            "record 2 does not match its chain hash",
            "records reordered",
            "1 record before it verified",
        ),
    ];
    for (sql, problem, meaning, verified) in cases {
        let trail = Trail::varied();
        trail.execute(sql);
        let run = trail.logs(&["verify"]);
        assert_eq!(run.code, 1, "{sql}: {}{}", run.out, run.err);
        for text in ["is broken: ", problem, meaning, verified] {
            assert!(run.out.contains(text), "{sql}: {text:?} in:\n{}", run.out);
        }
    }
}

#[test]
fn a_pruned_prefix_verifies_from_its_anchor_and_a_forged_anchor_does_not() {
    let mut trail = Trail::varied();
    trail.prune();
    let run = trail.logs(&["verify"]);
    assert_eq!(run.code, 0, "{}{}", run.out, run.err);
    assert!(
        run.out.starts_with(
            "verified 6 records (ids 2–7), continuing from the anchor left by pruning at id 1:"
        ),
        "{}",
        run.out
    );
    // Hiding records 2 and 3 by moving the anchor past them.
    trail.execute("UPDATE anchor SET last_id = 3; DELETE FROM records WHERE id <= 3");
    let run = trail.logs(&["verify"]);
    assert_eq!(run.code, 1, "{}", run.out);
    assert!(
        run.out
            .contains("broken: the anchor left by pruning does not match its keyed hash"),
        "{}",
        run.out
    );
}

#[test]
fn verify_says_what_it_needs_when_it_cannot_check() {
    let home = Home::new();
    let nothing = logs(&home, &["verify"]);
    assert_eq!(nothing.code, 0, "{}", nothing.err);
    assert!(
        nothing.out.starts_with("nothing recorded yet"),
        "{}",
        nothing.out
    );

    let trail = Trail::varied();
    let other = trail.home.path().join("other.key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    let wrong = trail.logs(&["verify", "--key", other.to_str().unwrap()]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.out.contains("record 1 does not match"),
        "{}",
        wrong.out
    );
    assert!(
        wrong.out.contains("--key names the wrong copy"),
        "{}",
        wrong.out
    );

    let absent = trail.home.path().join("absent.key");
    let run = trail.logs(&["verify", "--key", absent.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.err.contains("there is no key file"), "{}", run.err);

    std::fs::remove_file(state(&trail.home).join(key::FILE_NAME)).unwrap();
    let lost = trail.logs(&["verify"]);
    assert_eq!(lost.code, 2, "{}", lost.out);
    assert!(
        lost.err.contains("audit.key is missing") && lost.err.contains("--key FILE"),
        "{}",
        lost.err
    );
}

#[test]
fn control_characters_never_reach_stdout_raw() {
    let mut trail = Trail::empty();
    trail.append(vec![Entry {
        server: "files\u{1b}]0;owned\u{7}".into(),
        target: Some("read\rfile".into()),
        rule: Some("r\u{9b}2J".into()),
        reason: "ok\r\n7  fake row\u{1b}[2J\u{202e}".into(),
        evidence: vec!["\u{1b}[31mred".into()],
        ..entry(1)
    }]);
    let views: [&[&str]; 5] = [
        &[],
        &["--json"],
        &["show", "1"],
        &["show", "1", "--json"],
        &["stats"],
    ];
    for args in views {
        let run = trail.logs(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.err);
        let raw = run
            .out
            .chars()
            .find(|&c| (c.is_control() && c != '\n') || c == '\u{202e}');
        assert_eq!(raw, None, "{args:?}:\n{}", run.out);
    }
    let table = trail.logs(&[]).out;
    assert_eq!(table.lines().count(), 2, "no fake row: {table}");
    assert!(
        table.contains(r"ok\u{d}\u{a}7  fake row\u{1b}[2J\u{202e}"),
        "{table}"
    );
    let json = trail.logs(&["--json"]).out;
    assert_eq!(
        entries(&json)[0].reason,
        "ok\r\n7  fake row\u{1b}[2J\u{202e}"
    );
}

/// `portcullis logs --follow <args>`, running, its stdout read line by line.
fn follow(home: &Home, args: &[&str]) -> Wrapped {
    let mut command = home.portcullis(&[&["logs", "--follow", "--json"], args].concat());
    command.env("TZ", "UTC");
    Wrapped::spawn(command)
}

/// The next record `follower` prints.
fn next(follower: &Wrapped) -> Entry {
    let line = follower
        .recv_bytes_within(PATIENCE)
        .expect("the follower prints a record in time");
    serde_json::from_slice(&line).unwrap()
}

#[test]
fn follow_prints_the_records_written_after_it_started() {
    let mut trail = Trail::varied();
    let follower = follow(&trail.home, &["--verdict", "deny", "--limit", "1"]);
    assert_eq!(next(&follower).id, 5, "the newest matching record first");
    let written = trail.append(vec![
        entry(0),
        Entry {
            verdict: "deny".into(),
            rule: Some("no-push".into()),
            ..entry(0)
        },
    ]);
    assert_eq!(
        next(&follower),
        written[1],
        "the allowed record is left out"
    );
    let later = trail.append(vec![Entry {
        verdict: "deny".into(),
        ..entry(0)
    }]);
    assert_eq!(next(&follower), later[0]);
}

#[test]
fn follow_waits_for_a_trail_that_does_not_exist_yet() {
    let home = Home::new();
    let follower = follow(&home, &[]);
    assert!(
        follower.stderr_contains_within("nothing recorded yet; waiting for", PATIENCE),
        "the follower says what it waits for"
    );
    let mut trail = Trail::create_in(home);
    let written = trail.append(vec![entry(0)]);
    assert_eq!(next(&follower), written[0]);
}

#[test]
fn a_reader_that_stops_early_ends_the_listing_quietly() {
    let mut trail = Trail::empty();
    trail.append((0..3000).map(|n| entry(3000 - n)).collect());
    let views: [&[&str]; 4] = [
        &["export", "--format", "jsonl"],
        &["export", "--format", "csv"],
        &["--json", "--limit", "3000"],
        &["--limit", "3000"],
    ];
    for args in views {
        let mut child = trail
            .home
            .portcullis(&[&["logs"], args].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?}");
        // The pipe closes here, with most of the output unread.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(
            !err.contains("error") && !err.contains("panic"),
            "{args:?}: {err}"
        );
    }
}
