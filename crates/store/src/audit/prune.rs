//! Retention: deleting the records older than `retention_days` and, while the database is larger
//! than `max_bytes`, the oldest servers' stderr lines and then the oldest records: decisions are
//! what the trail is for, so they make room for nothing less.
//!
//! Records are only ever deleted from the oldest id up, so the ones left still chain without a
//! gap; before a deletion the anchor is moved to the newest record deleted, and its keyed MAC
//! lets verification tell a real anchor from a forged one. A record is never deleted while an
//! older-numbered one is within retention (a batch written late, after an outage, carries old
//! times under new ids): such records wait until the ids below them expire too.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use portcullis_core::audit::{AuditSettings, Redactor};

use super::{anchor_mac, time};
use crate::StoreError;

/// The share of the records (or stderr lines) deleted at a time while the database is too large,
/// and the fewest.
const SIZE_CHUNK_DIVISOR: i64 = 10;
const SIZE_CHUNK_MIN: i64 = 1000;

/// Sessions that ended, have no records left, and ended before the retention cutoff (`?1`, NULL
/// without one) or before the oldest record kept: nothing refers to them any more.
const FORGOTTEN_SESSIONS: &str = "SELECT id FROM sessions AS s WHERE s.ended_at IS NOT NULL \
     AND (s.ended_at < ?1 OR s.ended_at < (SELECT at FROM records ORDER BY id LIMIT 1)) \
     AND NOT EXISTS (SELECT 1 FROM records AS r WHERE r.session = s.id)";

/// Applies `settings`' retention as of `now`, in one `IMMEDIATE` transaction, then returns the
/// freed pages to the filesystem. Returns how many records were deleted.
pub fn prune(
    conn: &mut Connection,
    redactor: &Redactor,
    settings: &AuditSettings,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let cutoff = (settings.retention_days > 0).then(|| {
        let age = SignedDuration::from_hours(i64::from(settings.retention_days) * 24);
        time::stored(now.checked_sub(age).unwrap_or(Timestamp::MIN))
    });
    let now = time::stored(now);
    let tx = conn.transaction()?;
    let mut pruned = 0;
    if let Some(cutoff) = &cutoff
        && let Some(last) = newest_expired(&tx, cutoff)?
    {
        pruned += delete_through(&tx, redactor, last, &now)?;
    }
    if settings.max_bytes > 0 {
        while used_bytes(&tx)? > settings.max_bytes {
            if delete_oldest_lines(&tx)? > 0 {
                continue;
            }
            let Some(last) = oldest_chunk_end(&tx)? else {
                break;
            };
            pruned += delete_through(&tx, redactor, last, &now)?;
        }
    }
    if let Some(cutoff) = &cutoff {
        tx.execute("DELETE FROM stderr WHERE at < ?1", [cutoff])?;
    }
    tx.execute(
        &format!("DELETE FROM stderr WHERE session IN ({FORGOTTEN_SESSIONS})"),
        [&cutoff],
    )?;
    tx.execute(
        &format!("DELETE FROM sessions WHERE id IN ({FORGOTTEN_SESSIONS})"),
        [&cutoff],
    )?;
    tx.commit()?;
    // Each step of the pragma frees a page: run it to the end.
    let mut vacuum = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut steps = vacuum.query([])?;
    while steps.next()?.is_some() {}
    Ok(pruned)
}

/// The id below the oldest record within retention (every record up to it has expired), or the
/// newest id when all have; `None` when nothing has expired.
fn newest_expired(tx: &Transaction<'_>, cutoff: &str) -> rusqlite::Result<Option<i64>> {
    // `+at` keeps SQLite walking the ids from the oldest, rather than every recent record by time.
    let oldest_kept: Option<i64> = tx
        .query_row(
            "SELECT id FROM records WHERE +at >= ?1 ORDER BY id LIMIT 1",
            [cutoff],
            |r| r.get(0),
        )
        .optional()?;
    let last = match oldest_kept {
        Some(id) => id - 1,
        None => tx.query_row("SELECT coalesce(max(id), 0) FROM records", [], |r| r.get(0))?,
    };
    let oldest: Option<i64> = tx.query_row("SELECT min(id) FROM records", [], |r| r.get(0))?;
    Ok(oldest.filter(|&oldest| oldest <= last).map(|_| last))
}

/// Deletes the oldest tenth of the stderr lines (at least [`SIZE_CHUNK_MIN`]); returns how many.
fn delete_oldest_lines(tx: &Transaction<'_>) -> rusqlite::Result<usize> {
    let count: i64 = tx.query_row("SELECT count(*) FROM stderr", [], |r| r.get(0))?;
    let chunk = (count / SIZE_CHUNK_DIVISOR).max(SIZE_CHUNK_MIN);
    tx.execute(
        "DELETE FROM stderr WHERE rowid IN \
         (SELECT rowid FROM stderr ORDER BY at, rowid LIMIT ?1)",
        [chunk],
    )
}

/// The last id of the oldest tenth of the records (at least [`SIZE_CHUNK_MIN`]), or `None` when
/// there are none. Ids are consecutive (but for deletions), so the span is about the count.
fn oldest_chunk_end(tx: &Transaction<'_>) -> rusqlite::Result<Option<i64>> {
    let span: Option<(i64, i64)> =
        tx.query_row("SELECT min(id), max(id) FROM records", [], |r| {
            Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
        })?;
    Ok(span.map(|(oldest, newest)| {
        let chunk = ((newest - oldest + 1) / SIZE_CHUNK_DIVISOR).max(SIZE_CHUNK_MIN);
        (oldest + chunk - 1).min(newest)
    }))
}

/// The bytes of the database in use (its pages less the free ones).
fn used_bytes(tx: &Transaction<'_>) -> rusqlite::Result<u64> {
    let pragma = |name: &str| tx.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0));
    let used = (pragma("page_count")? - pragma("freelist_count")?) * pragma("page_size")?;
    Ok(u64::try_from(used).unwrap_or(0))
}

/// Moves the anchor to the newest record up to id `last` and deletes every record up to it;
/// returns how many. Should `last` fall in a gap (records deleted behind pruning's back), the
/// anchor stays below the gap, which verification then still reports.
fn delete_through(
    tx: &Transaction<'_>,
    redactor: &Redactor,
    last: i64,
    now: &str,
) -> rusqlite::Result<u64> {
    let newest: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, hash FROM records WHERE id <= ?1 ORDER BY id DESC LIMIT 1",
            [last],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((last, last_hash)) = newest else {
        return Ok(0);
    };
    let count: i64 = tx.query_row("SELECT count(*) FROM records WHERE id <= ?1", [last], |r| {
        r.get(0)
    })?;
    let before: i64 = tx
        .query_row("SELECT pruned FROM anchor", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let pruned = before + count;
    tx.execute(
        "INSERT INTO anchor (only, last_id, last_hash, pruned, pruned_at, mac) \
         VALUES (1, ?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (only) DO UPDATE SET last_id = excluded.last_id, \
         last_hash = excluded.last_hash, pruned = excluded.pruned, \
         pruned_at = excluded.pruned_at, mac = excluded.mac",
        params![
            last,
            last_hash,
            pruned,
            now,
            anchor_mac(redactor, last, &last_hash, pruned)
        ],
    )?;
    tx.execute("DELETE FROM records WHERE id <= ?1", [last])?;
    Ok(count as u64)
}

#[cfg(test)]
pub(crate) mod tests {
    use portcullis_core::audit::KEY_LEN;

    use super::*;
    use crate::audit::tests::{all_records, entry};
    use crate::audit::{Entry, append, connect};

    /// The anchor's `(last_id, last_hash, pruned)`, after checking its MAC.
    fn anchor(conn: &Connection, redactor: &Redactor) -> Option<(i64, String, i64)> {
        conn.query_row(
            "SELECT last_id, last_hash, pruned, mac FROM anchor",
            [],
            |r| {
                let anchor: (i64, String, i64, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                Ok(anchor)
            },
        )
        .optional()
        .unwrap()
        .map(|(id, hash, pruned, mac)| {
            assert_eq!(mac, anchor_mac(redactor, id, &hash, pruned), "anchor MAC");
            (id, hash, pruned)
        })
    }

    /// Every record, after checking with `logs verify`'s own check that they chain from the
    /// anchor (or from the start) without a gap.
    pub(crate) fn chained_records(conn: &Connection, redactor: &Redactor) -> Vec<Entry> {
        let file = conn.path().expect("the trail is a file");
        let dir = std::path::Path::new(file).parent().expect("in a directory");
        let log = crate::audit::AuditLog::open(dir)
            .unwrap()
            .expect("the trail");
        let verification = log.verify(redactor).unwrap();
        assert!(
            matches!(verification, crate::audit::Verification::Intact { .. }),
            "{verification:?}"
        );
        all_records(conn)
    }

    fn insert(conn: &mut Connection, redactor: &Redactor, ats: &[&str]) {
        let mut batch: Vec<Entry> = ats
            .iter()
            .enumerate()
            .map(|(n, at)| Entry {
                at: (*at).to_owned(),
                ..entry(n as i64)
            })
            .collect();
        let tx = conn.transaction().unwrap();
        append(&tx, redactor, &mut batch).unwrap();
        tx.commit().unwrap();
    }

    fn days(retention_days: u32) -> AuditSettings {
        AuditSettings {
            retention_days,
            max_bytes: 0,
            ..AuditSettings::default()
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn records_past_retention_go_and_the_anchor_continues_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(dir.path()).unwrap();
        let redactor = Redactor::new([5; KEY_LEN]);
        // The fourth was written late: older than the third, so it waits for the third.
        let ats = [
            "2026-01-01T00:00:00.000Z",
            "2026-01-02T00:00:00.000Z",
            "2026-01-20T00:00:00.000Z",
            "2026-01-03T00:00:00.000Z",
            "2026-01-21T00:00:00.000Z",
        ];
        insert(&mut conn, &redactor, &ats);
        let now = at("2026-01-25T00:00:00Z");
        assert_eq!(prune(&mut conn, &redactor, &days(0), now).unwrap(), 0);
        assert_eq!(prune(&mut conn, &redactor, &days(10), now).unwrap(), 2);
        let kept = chained_records(&conn, &redactor);
        assert_eq!(kept.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(anchor(&conn, &redactor).unwrap().2, 2);

        // A second prune moves the anchor on and adds to its count; new records chain on.
        let later = at("2026-02-25T00:00:00Z");
        assert_eq!(prune(&mut conn, &redactor, &days(10), later).unwrap(), 3);
        assert!(chained_records(&conn, &redactor).is_empty());
        let (last_id, _, pruned) = anchor(&conn, &redactor).unwrap();
        assert_eq!((last_id, pruned), (5, 5));
        insert(&mut conn, &redactor, &["2026-02-25T00:00:01.000Z"]);
        assert_eq!(chained_records(&conn, &redactor)[0].id, 6);
    }

    #[test]
    fn the_oldest_records_go_while_the_database_is_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(dir.path()).unwrap();
        let redactor = Redactor::new([5; KEY_LEN]);
        for _ in 0..5 {
            insert(&mut conn, &redactor, &["2026-01-01T00:00:00.000Z"; 1000]);
        }
        let tx = conn.transaction().unwrap();
        let full = used_bytes(&tx).unwrap();
        drop(tx);
        let settings = AuditSettings {
            max_bytes: full / 2,
            ..days(0)
        };
        let pruned = prune(&mut conn, &redactor, &settings, Timestamp::now()).unwrap();
        assert!((2000..=4000).contains(&pruned), "{pruned}");
        let kept = chained_records(&conn, &redactor);
        assert_eq!(kept.len() as u64, 5000 - pruned);
        let (last_id, _, total) = anchor(&conn, &redactor).unwrap();
        assert_eq!((last_id, total), (pruned as i64, pruned as i64));
        let tx = conn.transaction().unwrap();
        assert!(used_bytes(&tx).unwrap() <= full / 2);
        drop(tx);
        let pages: i64 = conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .unwrap();
        assert_eq!(pages, 0, "freed pages go back to the filesystem");
    }

    /// Adds `count` stderr lines of session `s`, one second apart from 2026-01-01 00:00:00.
    fn insert_lines(conn: &mut Connection, count: usize) {
        let tx = conn.transaction().unwrap();
        let mut insert = tx
            .prepare("INSERT INTO stderr (session, at, line) VALUES ('s', ?1, ?2)")
            .unwrap();
        for n in 0..count {
            let at = format!(
                "2026-01-01T{:02}:{:02}:{:02}.000Z",
                n / 3600,
                n / 60 % 60,
                n % 60
            );
            insert.execute(params![at, "x".repeat(200)]).unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }

    fn used(conn: &mut Connection) -> u64 {
        let tx = conn.transaction().unwrap();
        used_bytes(&tx).unwrap()
    }

    #[test]
    fn stderr_lines_go_before_records_while_the_database_is_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(dir.path()).unwrap();
        let redactor = Redactor::new([5; KEY_LEN]);
        insert(&mut conn, &redactor, &["2026-01-01T00:00:00.000Z"; 5]);
        insert_lines(&mut conn, 20_000);
        let full = used(&mut conn);
        let settings = AuditSettings {
            max_bytes: full / 2,
            ..days(0)
        };
        let pruned = prune(&mut conn, &redactor, &settings, Timestamp::now()).unwrap();
        assert_eq!(pruned, 0, "no record goes while stderr lines can");
        assert_eq!(chained_records(&conn, &redactor).len(), 5);
        assert!(anchor(&conn, &redactor).is_none());
        let (lines, oldest): (i64, String) = conn
            .query_row("SELECT count(*), min(at) FROM stderr", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert!((1..20_000).contains(&lines), "{lines}");
        assert!(
            oldest.as_str() > "2026-01-01T00:00:00.000Z",
            "the oldest go"
        );
        assert!(used(&mut conn) <= full / 2);
    }

    #[test]
    fn pruning_ends_when_the_records_have_a_gap() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(dir.path()).unwrap();
        let redactor = Redactor::new([5; KEY_LEN]);
        let mut ats = vec!["2026-01-01T00:00:00.000Z"; 3];
        ats.extend(["2026-01-20T00:00:00.000Z"; 3000]);
        insert(&mut conn, &redactor, &ats);
        // Deleted behind pruning's back: records 4 to 1500 are gone.
        conn.execute("DELETE FROM records WHERE id BETWEEN 4 AND 1500", [])
            .unwrap();
        let survivors = |conn: &Connection| -> (i64, i64, i64) {
            conn.query_row("SELECT count(*), min(id), max(id) FROM records", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
        };
        // By age: the last expired id (1500) is in the gap; the records before it still go.
        let now = at("2026-01-25T00:00:00Z");
        assert_eq!(prune(&mut conn, &redactor, &days(10), now).unwrap(), 3);
        assert_eq!(anchor(&conn, &redactor).unwrap().0, 3);
        assert_eq!(survivors(&conn), (1503, 1501, 3003));
        // By size: the first chunk (1501 to 2500) ends in a gap, which must not stall pruning.
        conn.execute("DELETE FROM records WHERE id BETWEEN 1502 AND 2600", [])
            .unwrap();
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let settings = AuditSettings {
                max_bytes: 1,
                ..days(0)
            };
            let pruned = prune(&mut conn, &redactor, &settings, Timestamp::now()).unwrap();
            let left: i64 = conn
                .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
                .unwrap();
            done.send((pruned, left)).unwrap();
        });
        let (pruned, left) = result
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("pruning ends");
        assert_eq!((pruned, left), (404, 0));
    }

    #[test]
    fn ended_sessions_without_records_and_old_stderr_go() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(dir.path()).unwrap();
        let redactor = Redactor::new([5; KEY_LEN]);
        conn.execute_batch(
            "INSERT INTO sessions (id, started_at, ended_at, server, server_key, command, pid, \
             version) VALUES \
             ('old', '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', 's', 'k', '[]', 1, 'v'), \
             ('running', '2026-01-01T00:00:00.000Z', NULL, 's', 'k', '[]', 2, 'v'), \
             ('recent', '2026-01-24T00:00:00.000Z', '2026-01-24T01:00:00.000Z', 's', 'k', '[]', 3, 'v'); \
             INSERT INTO stderr VALUES ('old', '2026-01-01T00:30:00.000Z', 'a'), \
             ('running', '2026-01-01T00:30:00.000Z', 'b'), ('running', '2026-01-24T00:30:00.000Z', 'c'), \
             ('recent', '2026-01-24T00:30:00.000Z', 'd');",
        )
        .unwrap();
        prune(&mut conn, &redactor, &days(10), at("2026-01-25T00:00:00Z")).unwrap();
        let sessions: Vec<String> = conn
            .prepare("SELECT id FROM sessions ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(sessions, ["recent", "running"]);
        let lines: Vec<String> = conn
            .prepare("SELECT line FROM stderr ORDER BY line")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(lines, ["c", "d"]);
    }
}
