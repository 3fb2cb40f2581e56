//! The writer thread's hold on the audit database: the key and the connection, opened when first
//! needed and again after a failure, and the transactions that write a batch and end a session.

use std::path::{Path, PathBuf};
use std::time::Duration;

use portcullis_core::audit::Redactor;
use rusqlite::{Connection, OptionalExtension, params};

use super::SessionInfo;
use super::convert;
use super::stderr::Line;
use crate::StoreError;
use crate::audit::jsonl::JsonlCopy;
use crate::audit::key::{self, KeyError};
use crate::audit::{Entry, FILE_NAME, append, time};

/// Why the database cannot be written right now.
#[derive(Debug, thiserror::Error)]
pub(super) enum Unavailable {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The key is gone but the trail it chained is not: a new key would break every record
    /// written with it, and those after.
    #[error(
        "the audit key {} is missing but {} already holds records written with it: restore the \
         key from a copy, or move {} away to start a new trail",
        key.display(),
        db.display(),
        db.display()
    )]
    KeyMissing { key: PathBuf, db: PathBuf },
}

impl From<rusqlite::Error> for Unavailable {
    fn from(e: rusqlite::Error) -> Self {
        Unavailable::Store(e.into())
    }
}

pub(super) struct Database {
    dir: PathBuf,
    redactor: Option<Redactor>,
    conn: Option<Connection>,
    /// When the session started, for its row.
    started_at: String,
    /// The client last stored on the session's row.
    client: Option<String>,
}

/// The open database, and the key its records are chained with.
pub(super) struct Open<'a> {
    pub conn: &'a mut Connection,
    pub redactor: &'a Redactor,
}

impl Database {
    pub fn new(dir: PathBuf, started_at: String) -> Self {
        Self {
            dir,
            redactor: None,
            conn: None,
            started_at,
            client: None,
        }
    }

    /// The database file, for messages.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    pub fn is_open(&self) -> bool {
        self.conn.is_some()
    }

    /// The installation's redactor, once the key has been read.
    pub fn redactor(&self) -> Option<&Redactor> {
        self.redactor.as_ref()
    }

    /// The open database, opening the key and the connection as needed. A new connection first
    /// records `session` (once: a reconnection finds its row there).
    pub fn open(&mut self, session: &SessionInfo) -> Result<Open<'_>, Unavailable> {
        let redactor = match self.redactor.take() {
            Some(redactor) => redactor,
            None => {
                crate::create_private_dir(&self.dir)?;
                load_key(&self.dir)?
            }
        };
        let redactor = self.redactor.insert(redactor);
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => {
                let conn = crate::audit::connect(&self.dir)?;
                record_start(&conn, session, &self.started_at, redactor)?;
                conn
            }
        };
        Ok(Open {
            conn: self.conn.insert(conn),
            redactor,
        })
    }

    /// Drops the connection after a failure, so the next attempt starts afresh (the file may
    /// have been replaced or its directory fixed).
    pub fn disconnect(&mut self) {
        self.conn = None;
    }

    /// How long a transaction may wait for another process's lock.
    pub fn set_patience(&self, patience: Duration) -> rusqlite::Result<()> {
        match &self.conn {
            Some(conn) => conn.busy_timeout(patience),
            None => Ok(()),
        }
    }

    /// Writes `records` (assigning their ids and hashes) and `lines` in one transaction, with
    /// their JSON Lines copy, and the session's client once one is known.
    pub fn write(
        &mut self,
        session: &SessionInfo,
        records: &mut [Entry],
        lines: &[Line],
        jsonl: Option<&mut JsonlCopy>,
    ) -> Result<(), Unavailable> {
        let client = records.iter().rev().find_map(|e| e.client.clone());
        let known = self.client.clone();
        let open = self.open(session)?;
        let tx = open.conn.transaction()?;
        append(&tx, open.redactor, records)?;
        let mut insert =
            tx.prepare_cached("INSERT INTO stderr (session, at, line) VALUES (?1, ?2, ?3)")?;
        for line in lines {
            insert.execute(params![session.id, line.at, line.text])?;
        }
        drop(insert);
        let new_client = client.filter(|client| known.as_ref() != Some(client));
        if let Some(client) = &new_client {
            tx.execute(
                "UPDATE sessions SET client = ?1 WHERE id = ?2",
                params![client, session.id],
            )?;
        }
        // Inside the transaction: the write lock keeps the file's lines in id order across
        // processes. Should the commit fail, the lines stay (see the jsonl module on
        // de-duplicating). A copy that fails is reported and does not hold the database back.
        if let Some(jsonl) = jsonl {
            jsonl.append(records);
        }
        tx.commit()?;
        if new_client.is_some() {
            self.client = new_client;
        }
        Ok(())
    }

    /// Records the session's end and what it lost, if the database is open.
    pub fn record_end(&self, session: &SessionInfo, dropped: u64, unwritten: u64) {
        let Some(conn) = &self.conn else {
            return;
        };
        let ended = conn.execute(
            "UPDATE sessions SET ended_at = ?1, dropped = ?2, unwritten = ?3 WHERE id = ?4",
            params![
                time::stored(jiff::Timestamp::now()),
                i64::try_from(dropped).unwrap_or(i64::MAX),
                i64::try_from(unwritten).unwrap_or(i64::MAX),
                session.id
            ],
        );
        if let Err(e) = ended {
            tracing::warn!(
                "cannot record the end of session {} in the audit store {}: {e}",
                session.id,
                self.path().display()
            );
        }
    }
}

/// The installation's key, created only for a new trail. A database that holds records or an
/// anchor was chained with a key: were a new one made, every record written after would fail
/// verification, and the old ones could no longer be verified.
fn load_key(dir: &Path) -> Result<Redactor, Unavailable> {
    if let Some(redactor) = key::load(dir)? {
        return Ok(redactor);
    }
    if !holds_a_trail(dir)? {
        return Ok(key::load_or_create(dir)?);
    }
    // Another wrapper may have just made the key for a new trail, and written to it since.
    match key::load(dir)? {
        Some(redactor) => Ok(redactor),
        None => Err(Unavailable::KeyMissing {
            key: dir.join(key::FILE_NAME),
            db: dir.join(FILE_NAME),
        }),
    }
}

/// Whether the audit database in `dir` holds records, or the anchor pruning leaves.
fn holds_a_trail(dir: &Path) -> Result<bool, Unavailable> {
    if matches!(dir.join(FILE_NAME).try_exists(), Ok(false)) {
        return Ok(false);
    }
    let conn = crate::audit::connect(dir)?;
    let found = conn
        .query_row(
            "SELECT 1 FROM records UNION ALL SELECT 1 FROM anchor LIMIT 1",
            [],
            |_| Ok(()),
        )
        .optional()?;
    Ok(found.is_some())
}

/// The session's row, if there is none yet.
fn record_start(
    conn: &Connection,
    session: &SessionInfo,
    started_at: &str,
    redactor: &Redactor,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO sessions (id, started_at, server, server_key, command, pid, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            session.id,
            started_at,
            session.server,
            session.server_key,
            convert::command(&session.command, redactor),
            session.pid,
            session.version,
        ],
    )?;
    Ok(())
}
