//! The audit trail: every decision, in [`FILE_NAME`] in the state directory.
//!
//! Each record carries a hash chained to the record before it, keyed with the installation's key
//! ([`key`]), so an edited, deleted or reordered record shows when the chain is verified. Pruning
//! old records leaves an anchor (the last pruned record's id and hash) that the chain continues
//! from. Records are appended by [`append`] only, inside a transaction that holds the write lock,
//! so the many wrappers writing at once chain one sequence between them.

mod jsonl;
pub mod key;
mod prune;
mod read;
pub mod time;
mod verify;
mod writer;

pub use prune::prune;
pub use read::{AuditLog, Filter, SessionRecord, Stats};
pub use verify::{Problem, Verification};
pub use writer::{AuditWriter, Flushed, SessionInfo, new_session_id};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use serde::{Deserialize, Serialize};

use portcullis_core::audit::Redactor;

use crate::StoreError;

/// The audit database file in the state directory.
pub const FILE_NAME: &str = "audit.sqlite";

/// Every schema version of [`FILE_NAME`], oldest first.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(include_str!(
        "../migrations/audit/001-records.sql"
    ))])
}

/// Opens (creating when needed) the audit database in `dir`, its schema up to date.
pub fn connect(dir: &std::path::Path) -> Result<Connection, StoreError> {
    let conn = crate::connect_file(dir, FILE_NAME, &migrations())?;
    // In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a crash of the
    // process (even SIGKILL) loses nothing committed and never corrupts the file; only a power
    // loss may undo the last moments. Syncing every commit would make each batch wait on the disk.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// A value the redactor replaced: its type and keyed tag.
///
/// Unknown members are refused: the chain hash covers the parsed value, so a member added to the
/// stored JSON would otherwise go unnoticed by verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub kind: String,
    pub tag: String,
}

/// One record, as stored and as exported (JSON Lines, `--json`): every text already redacted.
/// The field order is the order of the JSON object and of [`Entry::canonical`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Assigned by [`append`]; consecutive (a gap is a deletion, and stays one).
    pub id: i64,
    /// RFC 3339 UTC with milliseconds.
    pub at: String,
    pub session: String,
    pub server: String,
    pub server_key: String,
    pub client: Option<String>,
    pub direction: String,
    pub kind: String,
    pub method: String,
    pub target: Option<String>,
    pub rpc_id: Option<String>,
    pub verdict: String,
    pub outcome: Option<String>,
    pub rule: Option<String>,
    pub reason: String,
    pub evidence: Vec<String>,
    pub summary: Option<String>,
    pub secrets: Vec<SecretRef>,
    pub bytes: i64,
    pub added_us: i64,
    /// Assigned by [`append`]: the chain hash.
    pub hash: String,
}

/// The columns of `records` in [`Entry`]'s field order, for `SELECT`s.
pub const COLUMNS: &str = "id, at, session, server, server_key, client, direction, kind, method, \
     target, rpc_id, verdict, outcome, rule, reason, evidence, summary, secrets, bytes, added_us, \
     hash";

impl Entry {
    /// The bytes the chain hash covers: every field but the hash, in a fixed order.
    pub(crate) fn canonical(&self) -> Vec<u8> {
        let fields = (
            (self.id, &self.at, &self.session),
            (&self.server, &self.server_key, &self.client),
            (
                &self.direction,
                &self.kind,
                &self.method,
                &self.target,
                &self.rpc_id,
            ),
            (&self.verdict, &self.outcome, &self.rule, &self.reason),
            (&self.evidence, &self.summary, &self.secrets),
            (self.bytes, self.added_us),
        );
        serde_json::to_vec(&fields).expect("an entry serializes")
    }

    /// This entry's chain hash, following the record whose hash is `previous` ("" for the first).
    pub(crate) fn chain_hash(&self, redactor: &Redactor, previous: &str) -> String {
        redactor.chain_hash(&[previous.as_bytes(), &self.canonical()])
    }

    /// Reads a row selected with [`COLUMNS`].
    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        fn json<T: serde::de::DeserializeOwned>(
            row: &rusqlite::Row<'_>,
            i: usize,
        ) -> rusqlite::Result<T> {
            let text: String = row.get(i)?;
            serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            })
        }
        Ok(Entry {
            id: row.get(0)?,
            at: row.get(1)?,
            session: row.get(2)?,
            server: row.get(3)?,
            server_key: row.get(4)?,
            client: row.get(5)?,
            direction: row.get(6)?,
            kind: row.get(7)?,
            method: row.get(8)?,
            target: row.get(9)?,
            rpc_id: row.get(10)?,
            verdict: row.get(11)?,
            outcome: row.get(12)?,
            rule: row.get(13)?,
            reason: row.get(14)?,
            evidence: json(row, 15)?,
            summary: row.get(16)?,
            secrets: json(row, 17)?,
            bytes: row.get(18)?,
            added_us: row.get(19)?,
            hash: row.get(20)?,
        })
    }
}

/// The newest record's id and hash, or the anchor's when every record was pruned, or `(0, "")`.
pub(crate) fn chain_head(tx: &Connection) -> rusqlite::Result<(i64, String)> {
    let newest = tx
        .query_row(
            "SELECT id, hash FROM records ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some(head) = newest {
        return Ok(head);
    }
    let anchor = tx
        .query_row("SELECT last_id, last_hash FROM anchor", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(anchor.unwrap_or((0, String::new())))
}

/// Appends `entries` in order inside `tx` (which must hold the write lock: an `IMMEDIATE`
/// transaction), assigning each its id and chain hash.
///
/// Ids continue from the highest ever given (AUTOINCREMENT's `sqlite_sequence`), not from the
/// newest record: after the newest records were deleted, their ids are not given again, so the
/// gap stays for verification to report. The chain continues from the newest record there is.
pub fn append(
    tx: &Transaction<'_>,
    redactor: &Redactor,
    entries: &mut [Entry],
) -> rusqlite::Result<()> {
    let (head, mut previous) = chain_head(tx)?;
    let highest: i64 = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'records'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let mut id = head.max(highest);
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO records ({COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
          ?20, ?21)"
    ))?;
    for entry in entries.iter_mut() {
        id += 1;
        entry.id = id;
        entry.hash = entry.chain_hash(redactor, &previous);
        let evidence = serde_json::to_string(&entry.evidence).expect("strings serialize");
        let secrets = serde_json::to_string(&entry.secrets).expect("strings serialize");
        insert.execute(params![
            entry.id,
            entry.at,
            entry.session,
            entry.server,
            entry.server_key,
            entry.client,
            entry.direction,
            entry.kind,
            entry.method,
            entry.target,
            entry.rpc_id,
            entry.verdict,
            entry.outcome,
            entry.rule,
            entry.reason,
            evidence,
            entry.summary,
            secrets,
            entry.bytes,
            entry.added_us,
            entry.hash,
        ])?;
        previous = entry.hash.clone();
    }
    Ok(())
}

/// The keyed hash that protects an anchor.
pub(crate) fn anchor_mac(
    redactor: &Redactor,
    last_id: i64,
    last_hash: &str,
    pruned: i64,
) -> String {
    redactor.chain_hash(&[
        b"anchor",
        last_id.to_string().as_bytes(),
        last_hash.as_bytes(),
        pruned.to_string().as_bytes(),
    ])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use portcullis_core::audit::KEY_LEN;

    /// An entry with every field set, as the writer would make it.
    pub fn entry(n: i64) -> Entry {
        Entry {
            id: 0,
            at: format!("2026-11-22T01:02:{:02}.000Z", n % 60),
            session: "s1".into(),
            server: "files".into(),
            server_key: "k".repeat(64),
            client: Some("claude-code 1.0".into()),
            direction: "to_server".into(),
            kind: "request".into(),
            method: "tools/call".into(),
            target: Some("read_file".into()),
            rpc_id: Some(n.to_string()),
            verdict: "allow".into(),
            outcome: None,
            rule: None,
            reason: "no rule matched; the default is allow".into(),
            evidence: vec![],
            summary: Some(r#"{"path":"/tmp/a"}"#.into()),
            secrets: vec![],
            bytes: 100 + n,
            added_us: 12,
            hash: String::new(),
        }
    }

    #[test]
    fn appended_entries_chain_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(dir.path()).unwrap();
        let redactor = Redactor::new([3; KEY_LEN]);
        let mut batch: Vec<Entry> = (0..3).map(entry).collect();
        let tx = conn.transaction().unwrap();
        append(&tx, &redactor, &mut batch).unwrap();
        tx.commit().unwrap();
        assert_eq!(batch.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(batch[0].hash, batch[0].chain_hash(&redactor, ""));
        assert_eq!(
            batch[1].hash,
            batch[1].chain_hash(&redactor, &batch[0].hash)
        );
        assert_eq!(all_records(&conn), batch);
    }

    /// Every record, oldest first, as stored.
    pub(crate) fn all_records(conn: &Connection) -> Vec<Entry> {
        conn.prepare(&format!("SELECT {COLUMNS} FROM records ORDER BY id"))
            .unwrap()
            .query_map([], Entry::from_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn the_migrations_are_valid() {
        migrations().validate().unwrap();
    }
}
