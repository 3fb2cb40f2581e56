//! Reading the audit trail: the records a filter selects, one record, its session, statistics.
//!
//! The wrappers keep appending while the trail is read; WAL lets a reader see the file as of its
//! query (or of its read transaction, where several queries must agree) without waiting for them.

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{COLUMNS, Entry, FILE_NAME, connect};
use crate::{StoreError, UserError};

/// The audit trail, opened for reading.
pub struct AuditLog {
    pub(super) conn: Connection,
}

/// Which records to read. Every field narrows the selection; the default selects everything.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub server: Option<String>,
    /// Matches the record's `target`: the tool, prompt or resource URI.
    pub tool: Option<String>,
    pub verdict: Option<String>,
    pub rule: Option<String>,
    /// RFC 3339 UTC with milliseconds, inclusive; compared as text with `at`, which sorts so.
    pub since: Option<String>,
    /// As `since`, exclusive.
    pub until: Option<String>,
    /// A session id, or a prefix of exactly one.
    pub session: Option<String>,
    /// Only the newest this many (every one when `None`).
    pub limit: Option<usize>,
}

/// Counts over the records a filter selects; each list sorted by count, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub total: u64,
    /// The oldest and newest record's `at`.
    pub first: Option<String>,
    pub last: Option<String>,
    pub by_verdict: Vec<(String, u64)>,
    pub by_server: Vec<(String, u64)>,
    /// Records without a target are not counted here.
    pub by_tool: Vec<(String, u64)>,
    /// Records decided by the default (no rule) are not counted here.
    pub by_rule: Vec<(String, u64)>,
}

/// One `portcullis run`, as its wrapper recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub started_at: String,
    /// `None` while it runs, or when it ended without saying so.
    pub ended_at: Option<String>,
    pub server: String,
    pub server_key: String,
    /// The server command and its arguments, redacted.
    pub command: Vec<String>,
    pub pid: i64,
    /// Of portcullis.
    pub version: String,
    pub client: Option<String>,
    /// Allowed records dropped while the writer was behind.
    pub dropped: i64,
    /// Records lost while the store was unavailable.
    pub unwritten: i64,
}

/// How many candidates an ambiguous session prefix reports.
const SESSION_CANDIDATES: usize = 5;

impl AuditLog {
    /// `None` when there is no audit database in `dir` yet: reading creates nothing, neither the
    /// directory nor the file.
    pub fn open(dir: &Path) -> Result<Option<AuditLog>, StoreError> {
        if !dir.join(FILE_NAME).is_file() {
            return Ok(None);
        }
        let conn = connect(dir)?;
        // A reader never writes: this makes sure of it.
        conn.pragma_update(None, "query_only", true)?;
        Ok(Some(AuditLog { conn }))
    }

    /// The newest `filter.limit` matching records (all when `None`), oldest first.
    pub fn query(&self, filter: &Filter) -> Result<Vec<Entry>, StoreError> {
        let mut entries = Vec::new();
        self.for_each(filter, |entry| {
            entries.push(entry);
            Ok::<_, StoreError>(())
        })?;
        Ok(entries)
    }

    /// Hands `f` the records [`query`](Self::query) returns, one at a time, without holding them
    /// all (an export can be larger than memory). Stops at the first error, `f`'s or the store's.
    pub fn for_each<E: From<StoreError>>(
        &self,
        filter: &Filter,
        mut f: impl FnMut(Entry) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut conditions = self.conditions(filter)?;
        let sql = match filter.limit {
            None => format!(
                "SELECT {COLUMNS} FROM records WHERE {} ORDER BY id",
                conditions.sql()
            ),
            Some(limit) => {
                conditions
                    .values
                    .push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
                format!(
                    "SELECT * FROM (SELECT {COLUMNS} FROM records WHERE {} ORDER BY id DESC \
                     LIMIT ?) ORDER BY id",
                    conditions.sql()
                )
            }
        };
        let mut statement = self.conn.prepare(&sql).map_err(StoreError::from)?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(&conditions.values))
            .map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            f(Entry::from_row(row).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// The matching records after the one with id `after`, oldest first, however many (`--follow`
    /// asks for what arrived since it last looked; `filter.limit` does not apply).
    pub fn after(&self, after: i64, filter: &Filter) -> Result<Vec<Entry>, StoreError> {
        let mut conditions = self.conditions(filter)?;
        conditions.add("id > ?", Value::Integer(after));
        let sql = format!(
            "SELECT {COLUMNS} FROM records WHERE {} ORDER BY id",
            conditions.sql()
        );
        let entries = self
            .conn
            .prepare(&sql)?
            .query_map(
                rusqlite::params_from_iter(&conditions.values),
                Entry::from_row,
            )?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    /// The newest record's id, 0 when there is none. Records that do not match a follower's
    /// filter need not be looked at again: it continues after this.
    pub fn newest_id(&self) -> Result<i64, StoreError> {
        let id = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM records", [], |r| r.get(0))?;
        Ok(id)
    }

    /// The record `id`; `None` when there is none (pruned, or not written yet).
    pub fn get(&self, id: i64) -> Result<Option<Entry>, StoreError> {
        let entry = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM records WHERE id = ?1"),
                [id],
                Entry::from_row,
            )
            .optional()?;
        Ok(entry)
    }

    /// The session `id` (exact), as its wrapper recorded it.
    pub fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let session = self
            .conn
            .query_row(
                "SELECT id, started_at, ended_at, server, server_key, command, pid, version, \
                 client, dropped, unwritten FROM sessions WHERE id = ?1",
                [id],
                |row| {
                    let command: String = row.get(5)?;
                    Ok(SessionRecord {
                        id: row.get(0)?,
                        started_at: row.get(1)?,
                        ended_at: row.get(2)?,
                        server: row.get(3)?,
                        server_key: row.get(4)?,
                        command: serde_json::from_str(&command).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                5,
                                rusqlite::types::Type::Text,
                                e.into(),
                            )
                        })?,
                        pid: row.get(6)?,
                        version: row.get(7)?,
                        client: row.get(8)?,
                        dropped: row.get(9)?,
                        unwritten: row.get(10)?,
                    })
                },
            )
            .optional()?;
        Ok(session)
    }

    /// The server's stderr captured in `session`, in order: `(at, line)`.
    pub fn stderr(&self, session: &str) -> Result<Vec<(String, String)>, StoreError> {
        let lines = self
            .conn
            .prepare("SELECT at, line FROM stderr WHERE session = ?1 ORDER BY at, rowid")?
            .query_map([session], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(lines)
    }

    /// Counts over the matching records (`filter.limit` does not apply), all from one snapshot so
    /// that they add up.
    pub fn stats(&self, filter: &Filter) -> Result<Stats, StoreError> {
        let snapshot = self.snapshot()?;
        let conditions = self.conditions(filter)?;
        let values = || rusqlite::params_from_iter(&conditions.values);
        let (total, first, last) = snapshot.query_row(
            &format!(
                "SELECT count(*), min(at), max(at) FROM records WHERE {}",
                conditions.sql()
            ),
            values(),
            |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)),
        )?;
        // `column` is one of the fixed names below, never input.
        let counts = |column: &str| -> Result<Vec<(String, u64)>, StoreError> {
            let sql = format!(
                "SELECT {column}, count(*) AS n FROM records WHERE {} AND {column} IS NOT NULL \
                 GROUP BY {column} ORDER BY n DESC, {column}",
                conditions.sql()
            );
            let counts = snapshot
                .prepare(&sql)?
                .query_map(values(), |r| {
                    Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs()))
                })?
                .collect::<Result<_, _>>()?;
            Ok(counts)
        };
        Ok(Stats {
            total: total.unsigned_abs(),
            first,
            last,
            by_verdict: counts("verdict")?,
            by_server: counts("server")?,
            by_tool: counts("target")?,
            by_rule: counts("rule")?,
        })
    }

    /// A read transaction: the queries in it see one state of the file, however much the
    /// wrappers append meanwhile, and do not hold them up (WAL). Deferred, unlike the store's
    /// writing transactions, because it takes no write lock.
    pub(super) fn snapshot(&self) -> rusqlite::Result<Transaction<'_>> {
        Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
    }

    /// The `WHERE` clause for `filter`. Its values are bound as parameters, never written into
    /// the SQL.
    fn conditions(&self, filter: &Filter) -> Result<Conditions, StoreError> {
        let mut conditions = Conditions::default();
        let text = |value: &Option<String>| value.clone().map(Value::Text);
        for (sql, value) in [
            ("server = ?", text(&filter.server)),
            ("target = ?", text(&filter.tool)),
            ("verdict = ?", text(&filter.verdict)),
            ("rule = ?", text(&filter.rule)),
            ("at >= ?", text(&filter.since)),
            ("at < ?", text(&filter.until)),
        ] {
            if let Some(value) = value {
                conditions.add(sql, value);
            }
        }
        if let Some(prefix) = &filter.session {
            let session = self.resolve_session(prefix)?;
            conditions.add("session = ?", Value::Text(session));
        }
        Ok(conditions)
    }

    /// The session `prefix` names: itself when it is one, else the one session it begins. A
    /// prefix of none is kept as it is (it then selects nothing); of several, the user's to fix.
    fn resolve_session(&self, prefix: &str) -> Result<String, StoreError> {
        // In order, so an exact match comes first.
        let mut matches: Vec<String> = Vec::new();
        let mut next = self.next_session(prefix, true)?;
        while let Some(id) = next.filter(|id| id.starts_with(prefix)) {
            if matches.len() > SESSION_CANDIDATES {
                break;
            }
            next = self.next_session(&id, false)?;
            matches.push(id);
        }
        match matches.as_slice() {
            [] => Ok(prefix.to_owned()),
            [only] => Ok(only.clone()),
            [first, ..] if first == prefix => Ok(first.clone()),
            _ => {
                let more = matches.len() > SESSION_CANDIDATES;
                matches.truncate(SESSION_CANDIDATES);
                Err(UserError::AmbiguousSession {
                    prefix: prefix.to_owned(),
                    candidates: matches,
                    more,
                }
                .into())
            }
        }
    }

    /// The smallest session id after `from` (or equal to it, when `inclusive`) in the sessions
    /// or the records. Two index seeks, however many records there are: `--follow` resolves its
    /// `--session` at every poll, and a scan for a prefix would read every record each time.
    fn next_session(&self, from: &str, inclusive: bool) -> rusqlite::Result<Option<String>> {
        let op = if inclusive { ">=" } else { ">" };
        self.conn
            .prepare_cached(&format!(
                "SELECT min(id) FROM (SELECT min(id) AS id FROM sessions WHERE id {op} ?1 \
                 UNION ALL SELECT min(session) FROM records WHERE session {op} ?1)"
            ))?
            .query_row([from], |r| r.get(0))
    }
}

/// SQL conditions joined by `AND`, with their parameters in order.
#[derive(Default)]
struct Conditions {
    clauses: Vec<&'static str>,
    values: Vec<Value>,
}

impl Conditions {
    fn add(&mut self, clause: &'static str, value: Value) {
        self.clauses.push(clause);
        self.values.push(value);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            "TRUE".into()
        } else {
            self.clauses.join(" AND ")
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::entry;
    use super::super::{append, key};
    use super::*;

    /// An audit database in a temporary directory, filled through [`append`].
    pub struct Trail {
        pub dir: tempfile::TempDir,
        pub conn: Connection,
        pub redactor: portcullis_core::audit::Redactor,
    }

    impl Trail {
        pub fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let conn = connect(dir.path()).unwrap();
            let redactor = key::load_or_create(dir.path()).unwrap();
            Trail {
                dir,
                conn,
                redactor,
            }
        }

        /// Appends `entries` as a wrapper does: in a transaction that holds the write lock.
        pub fn append(&mut self, mut entries: Vec<Entry>) -> Vec<Entry> {
            let tx = self.conn.transaction().unwrap();
            append(&tx, &self.redactor, &mut entries).unwrap();
            tx.commit().unwrap();
            entries
        }

        pub fn log(&self) -> AuditLog {
            AuditLog::open(self.dir.path()).unwrap().unwrap()
        }
    }

    /// Ten records: the even ones to `files`, the odd to `git`; every third denied by `no-ssh`;
    /// a session change at 6; one second apart from 01:02:00.
    fn varied() -> Trail {
        let mut trail = Trail::new();
        let entries = (0..10)
            .map(|n| {
                let mut e = entry(n);
                if n % 2 == 1 {
                    e.server = "git".into();
                    e.target = Some("commit".into());
                }
                if n % 3 == 0 {
                    e.verdict = "deny".into();
                    e.rule = Some("no-ssh".into());
                }
                if n >= 6 {
                    e.session = "s2-later".into();
                }
                e
            })
            .collect();
        trail.append(entries);
        trail
    }

    fn ids(entries: &[Entry]) -> Vec<i64> {
        entries.iter().map(|e| e.id).collect()
    }

    fn select(log: &AuditLog, filter: Filter) -> Vec<i64> {
        ids(&log.query(&filter).unwrap())
    }

    #[test]
    fn opening_where_nothing_was_recorded_creates_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state");
        assert!(AuditLog::open(&dir).unwrap().is_none());
        assert!(!dir.exists());
    }

    #[test]
    fn each_filter_narrows_the_selection() {
        let trail = varied();
        let log = trail.log();
        assert_eq!(
            select(&log, Filter::default()),
            (1..=10).collect::<Vec<_>>()
        );
        let some = |s: &str| Some(s.to_owned());
        let by_server = Filter {
            server: some("git"),
            ..Filter::default()
        };
        assert_eq!(select(&log, by_server), [2, 4, 6, 8, 10]);
        let by_tool = Filter {
            tool: some("read_file"),
            ..Filter::default()
        };
        assert_eq!(select(&log, by_tool), [1, 3, 5, 7, 9]);
        let by_verdict = Filter {
            verdict: some("deny"),
            ..Filter::default()
        };
        assert_eq!(select(&log, by_verdict), [1, 4, 7, 10]);
        let by_rule = Filter {
            rule: some("no-ssh"),
            server: some("files"),
            ..Filter::default()
        };
        assert_eq!(select(&log, by_rule), [1, 7]);
        let by_time = Filter {
            since: some("2026-11-22T01:02:02.000Z"),
            until: some("2026-11-22T01:02:05.000Z"),
            ..Filter::default()
        };
        assert_eq!(select(&log, by_time), [3, 4, 5]);
        let by_session = Filter {
            session: some("s2"),
            ..Filter::default()
        };
        assert_eq!(select(&log, by_session), [7, 8, 9, 10]);
        let exact_session = Filter {
            session: some("s1"),
            ..Filter::default()
        };
        assert_eq!(select(&log, exact_session), [1, 2, 3, 4, 5, 6]);
        let unknown_session = Filter {
            session: some("nope"),
            ..Filter::default()
        };
        assert_eq!(select(&log, unknown_session), Vec::<i64>::new());
    }

    #[test]
    fn a_session_prefix_of_several_sessions_is_refused_with_them() {
        let trail = varied();
        let filter = Filter {
            session: Some("s".into()),
            ..Filter::default()
        };
        let err = trail.log().query(&filter).unwrap_err();
        let StoreError::User(UserError::AmbiguousSession {
            candidates, more, ..
        }) = err
        else {
            panic!("{err:?}");
        };
        assert_eq!(candidates, ["s1", "s2-later"]);
        assert!(!more);
    }

    #[test]
    fn sessions_are_found_in_either_table_and_many_are_summed_up() {
        let trail = varied();
        // Sessions that ended without a record; one sorts between the records' sessions.
        for id in ["s0", "s1-quiet", "s3", "s4", "s5", "t"] {
            trail
                .conn
                .execute(
                    "INSERT INTO sessions (id, started_at, server, server_key, command, pid, \
                     version) VALUES (?1, '2026-11-22T01:00:00Z', 'files', 'k', '[]', 1, '0')",
                    [id],
                )
                .unwrap();
        }
        let log = trail.log();
        let session = |prefix: &str| Filter {
            session: Some(prefix.into()),
            ..Filter::default()
        };
        assert_eq!(select(&log, session("s2")), [7, 8, 9, 10]);
        assert_eq!(
            select(&log, session("s1")),
            [1, 2, 3, 4, 5, 6],
            "exact wins"
        );
        assert_eq!(select(&log, session("s1-")), Vec::<i64>::new());
        let err = log.query(&session("s")).unwrap_err();
        let StoreError::User(UserError::AmbiguousSession {
            candidates, more, ..
        }) = err
        else {
            panic!("{err:?}");
        };
        assert_eq!(candidates, ["s0", "s1", "s1-quiet", "s2-later", "s3"]);
        assert!(more, "s4 and s5 are left out");
    }

    #[test]
    fn filter_values_are_data_not_sql() {
        let trail = varied();
        let filter = Filter {
            server: Some("x' OR '1'='1".into()),
            session: Some("%".into()),
            ..Filter::default()
        };
        assert!(trail.log().query(&filter).unwrap().is_empty());
    }

    #[test]
    fn a_limit_keeps_the_newest_oldest_first() {
        let trail = varied();
        let log = trail.log();
        let newest = Filter {
            limit: Some(3),
            ..Filter::default()
        };
        assert_eq!(select(&log, newest), [8, 9, 10]);
        let newest_denials = Filter {
            limit: Some(2),
            verdict: Some("deny".into()),
            ..Filter::default()
        };
        assert_eq!(select(&log, newest_denials.clone()), [7, 10]);
        assert_eq!(ids(&log.after(1, &newest_denials).unwrap()), [4, 7, 10]);
        assert_eq!(log.newest_id().unwrap(), 10);
    }

    #[test]
    fn records_read_back_as_appended_and_appear_to_an_open_reader() {
        let mut trail = varied();
        let log = trail.log();
        let appended = trail.append(vec![entry(10)]);
        assert_eq!(log.get(11).unwrap().as_ref(), appended.first());
        assert_eq!(log.after(10, &Filter::default()).unwrap(), appended);
        assert!(log.get(12).unwrap().is_none());
    }

    #[test]
    fn for_each_stops_at_the_callers_error() {
        let trail = varied();
        let mut seen = 0;
        let result = trail.log().for_each(&Filter::default(), |_| {
            seen += 1;
            if seen == 3 {
                return Err(StoreError::Sqlite(rusqlite::Error::InvalidQuery));
            }
            Ok(())
        });
        assert!(result.is_err());
        assert_eq!(seen, 3);
    }

    #[test]
    fn stats_count_by_verdict_server_tool_and_rule() {
        let trail = varied();
        let stats = trail.log().stats(&Filter::default()).unwrap();
        let counts = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
            pairs.iter().map(|(s, n)| (s.to_string(), *n)).collect()
        };
        assert_eq!(
            stats,
            Stats {
                total: 10,
                first: Some("2026-11-22T01:02:00.000Z".into()),
                last: Some("2026-11-22T01:02:09.000Z".into()),
                by_verdict: counts(&[("allow", 6), ("deny", 4)]),
                by_server: counts(&[("files", 5), ("git", 5)]),
                by_tool: counts(&[("commit", 5), ("read_file", 5)]),
                by_rule: counts(&[("no-ssh", 4)]),
            }
        );
        let git = Filter {
            server: Some("git".into()),
            ..Filter::default()
        };
        let stats = trail.log().stats(&git).unwrap();
        assert_eq!(stats.total, 5);
        assert_eq!(stats.by_verdict, counts(&[("allow", 3), ("deny", 2)]));
    }

    #[test]
    fn a_session_reads_back_with_its_stderr() {
        let trail = varied();
        trail
            .conn
            .execute_batch(
                "INSERT INTO sessions (id, started_at, server, server_key, command, pid, version) \
                 VALUES ('s1', '2026-11-22T01:00:00Z', 'files', 'k', '[\"npx\",\"fs\"]', 42, '0.1.0');
                 INSERT INTO stderr VALUES ('s1', '2026-11-22T01:00:02Z', 'second'),
                                           ('s1', '2026-11-22T01:00:01Z', 'first');",
            )
            .unwrap();
        let log = trail.log();
        let session = log.session("s1").unwrap().unwrap();
        assert_eq!(session.command, ["npx", "fs"]);
        assert_eq!(session.pid, 42);
        assert_eq!(session.ended_at, None);
        let lines: Vec<String> = log.stderr("s1").unwrap().into_iter().map(|l| l.1).collect();
        assert_eq!(lines, ["first", "second"]);
        assert!(log.session("s2").unwrap().is_none());
    }
}
