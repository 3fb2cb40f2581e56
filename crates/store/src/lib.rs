//! The per-user state of Portcullis, in the state directory: pins and held definitions in
//! [`FILE_NAME`], the audit trail in [`audit::FILE_NAME`]. Two files, because the trail is large,
//! written all the time and pruned, and none of that should slow down or endanger the pins.
//!
//! Several processes use each file at once: one `portcullis run` per wrapped MCP server, and
//! `portcullis pins` at the user's hand. So the database runs in WAL mode (readers never wait for
//! the writer), a process waits up to `BUSY_TIMEOUT` for a lock instead of failing, and every
//! transaction starts `IMMEDIATE` (one that reads and then writes takes the write lock first, so
//! two of them queue instead of failing on each other's snapshot).
//!
//! Each file's schema lives in its list of migrations and nowhere else: a change is a new migration appended to
//! the list, never an edit of one that has shipped. Timestamps are RFC 3339 UTC text to the second
//! (`2026-11-22T01:02:03Z`) from SQLite's clock: readable in the `sqlite3` shell, and they sort
//! as they compare.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

/// The current time as the store writes it, as an SQL expression (see the crate documentation).
macro_rules! now {
    () => {
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    };
}

pub mod audit;
pub mod decisions;
mod pins;
pub mod private;

pub use pins::{
    HeldItem, ItemRef, MIN_KEY_PREFIX, PinReader, PinStore, PinnedItem, Reset, Review, Scope,
    ServerItems, ServerRecord, UserError, item_name,
};

/// The database file in the state directory.
pub const FILE_NAME: &str = "state.sqlite";

/// How long a process waits for another to release the database before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Every schema version of [`FILE_NAME`], oldest first; the file records how many it has applied.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/state/001-pins.sql")),
        M::up(include_str!("migrations/state/002-decisions.sql")),
    ])
}

/// A failure of the state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the state directory {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the state database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(
        "the database {} was written by a newer portcullis: upgrade portcullis, or move the file \
         away to start afresh (for state.sqlite: every server's items are then pinned anew)",
        path.display()
    )]
    TooNew { path: PathBuf },
    #[error("cannot bring the state database {} up to date: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("SQLite failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The request named something the store does not have, or not uniquely: the user's to fix.
    #[error(transparent)]
    User(#[from] UserError),
}

/// Opens the state database in `dir`, creating both when needed, with the schema up to date.
fn connect(dir: &Path) -> Result<Connection, StoreError> {
    connect_file(dir, FILE_NAME, &migrations())
}

/// Opens the state database in `dir` to read only, with no migration: `None` when there is none.
/// Reading a database in WAL mode needs its `-shm` file, or a directory where SQLite can make it.
fn connect_read_only(dir: &Path) -> Result<Option<Connection>, StoreError> {
    let path = dir.join(FILE_NAME);
    if !path.exists() {
        return Ok(None);
    }
    let open = || -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    };
    open().map(Some).map_err(|source| StoreError::Open {
        path: path.clone(),
        source: source.into(),
    })
}

/// Opens the database `file` in `dir`, creating both when needed, brought up to `migrations`.
fn connect_file(
    dir: &Path,
    file: &str,
    migrations: &Migrations<'static>,
) -> Result<Connection, StoreError> {
    create_private_dir(dir)?;
    let path = dir.join(file);
    let mut conn = open_private(&path).map_err(|source| StoreError::Open {
        path: path.clone(),
        source,
    })?;
    migrate(&mut conn, migrations).map_err(|source| match source {
        rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        ) => StoreError::TooNew { path },
        source => StoreError::Migrate { path, source },
    })?;
    Ok(conn)
}

/// The directory holds what the user trusts: only they may read or change it.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    private::create_dir(dir).map_err(|source| StoreError::Dir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Opens the database file, created readable by the user alone (SQLite gives its `-wal` and
/// `-shm` companions the same mode), and sets up the connection for sharing.
fn open_private(path: &Path) -> Result<Connection, Box<dyn std::error::Error + Send + Sync>> {
    private::file_options()
        .read(true)
        .write(true)
        .truncate(false)
        .open(path)?;
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    conn.pragma_update(None, "foreign_keys", true)?;
    // Only takes effect on a new file: pruning then gives space back to the filesystem.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    use_wal(&conn)?;
    Ok(conn)
}

/// Switches the file to WAL (a no-op once it is). Processes opening a new file at once race to
/// switch it, and SQLite reports that race as busy at once instead of waiting, so wait here. A
/// filesystem without shared memory (some network mounts) keeps the rollback journal: slower
/// with several writers, and as safe.
fn use_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())) {
            Err(err)
                if err.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// Brings the schema up to date. Two processes opening a fresh file at once both find it behind;
/// the second to get the write lock then fails on the tables the first created, and finds the
/// schema current when it looks again.
fn migrate(
    conn: &mut Connection,
    migrations: &Migrations<'static>,
) -> Result<(), rusqlite_migration::Error> {
    match migrations.to_latest(conn) {
        Err(err) if migrations.pending_migrations(conn)? != 0 => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn opening_creates_a_private_directory_and_file_and_is_repeatable() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/state");
        connect(&dir).unwrap();
        connect(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
        }
        let conn = connect(&dir).unwrap();
        let journal: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        let foreign_keys: bool = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(foreign_keys);
    }

    #[test]
    fn processes_opening_a_fresh_file_at_once_all_succeed() {
        for _ in 0..5 {
            let root = tempfile::tempdir().unwrap();
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let dir = root.path().to_path_buf();
                    std::thread::spawn(move || connect(&dir).map(drop))
                })
                .collect();
            for thread in threads {
                thread.join().unwrap().unwrap();
            }
        }
    }

    #[test]
    fn a_database_of_an_older_portcullis_is_brought_up_to_date_and_keeps_its_pins() {
        let root = tempfile::tempdir().unwrap();
        {
            let first = Migrations::new(vec![M::up(include_str!("migrations/state/001-pins.sql"))]);
            let mut conn = open_private(&root.path().join(FILE_NAME)).unwrap();
            first.to_latest(&mut conn).unwrap();
            conn.execute(
                "INSERT INTO servers VALUES ('k', 'fs', '[]', 'then', 'then')",
                [],
            )
            .unwrap();
        }
        let conn = connect(root.path()).unwrap();
        let servers: i64 = conn
            .query_row("SELECT count(*) FROM servers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(servers, 1);
        let decisions: i64 = conn
            .query_row("SELECT count(*) FROM decisions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(decisions, 0);
    }

    #[test]
    fn a_database_from_a_newer_portcullis_is_refused_with_advice() {
        let root = tempfile::tempdir().unwrap();
        connect(root.path())
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = connect(root.path()).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
        assert!(err.to_string().contains("newer portcullis"), "{err}");
    }
}
