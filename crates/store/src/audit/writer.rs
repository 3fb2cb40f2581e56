//! The audit writer: takes the relay's events without ever making it wait, and writes them to the
//! audit database on a thread of its own.
//!
//! [`AuditSink::record`] only queues the raw event ([`queue`]); redaction, summaries and
//! formatting happen on the writer thread ([`convert`], [`stderr`]), which appends them in
//! batches under the database's write lock ([`database`]) and keeps them in memory while the
//! database cannot be written ([`pending`], [`worker`]). A trail that cannot be written never
//! stops the wrapper: the writer says so, keeps protecting, and counts what it loses.

mod convert;
mod database;
mod pending;
mod queue;
mod stderr;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portcullis_core::audit::{AuditSettings, AuditSink, Event};

use queue::Shared;
use worker::Worker;

/// The `portcullis run` a writer records, as its `sessions` row shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// From [`new_session_id`].
    pub id: String,
    /// `--name`.
    pub server: String,
    /// `ServerIdentity::key()`, hex.
    pub server_key: String,
    /// The server's command as given; the writer redacts every word before storing it.
    pub command: Vec<String>,
    pub pid: u32,
    /// Portcullis's version.
    pub version: String,
}

/// A new session id: 16 random hex digits.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy source: the clock and the process id still make ids that do not repeat.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        bytes = (nanos ^ u64::from(std::process::id()).rotate_left(40)).to_be_bytes();
    }
    hex::encode(bytes)
}

/// What became of a session's records, once the writer has finished.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Flushed {
    /// Records written to the database.
    pub written: u64,
    /// Allowed records dropped because the writer was behind.
    pub dropped: u64,
    /// Records lost because the database could not be written (in time), or because the writer
    /// could take no more: past its hard limit, after `finish`, or once its thread had failed.
    pub unwritten: u64,
}

/// How much the writer holds and how it paces itself; tests shrink them.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Events waiting for the writer thread; beyond, allowed ones are dropped.
    events: usize,
    /// Events waiting in all; beyond, even those that must be kept are refused and counted as
    /// unwritten, so that a stuck writer cannot grow memory without end. At least `events`.
    events_max: usize,
    /// Payload bytes waiting (by `Event::bytes`); beyond, payloads are not kept for a summary.
    payload_bytes: u64,
    /// Server stderr lines waiting; beyond, lines are dropped.
    lines: usize,
    /// Records kept in memory while the database cannot be written; beyond, the oldest allowed
    /// ones are lost.
    pending: usize,
    /// The most records written in one transaction, so that other writers get their turn.
    batch: usize,
    /// The first wait before trying an unavailable database again; it doubles up to `retry_max`.
    retry_first: Duration,
    retry_max: Duration,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        events: 8192,
        events_max: 100_000,
        payload_bytes: 64 << 20,
        lines: 4096,
        pending: 100_000,
        batch: 1024,
        retry_first: Duration::from_secs(1),
        retry_max: Duration::from_secs(30),
    };
}

/// The handle the relay records through; clones share one writer thread.
#[derive(Clone)]
pub struct AuditWriter {
    /// `None` when the trail is off.
    shared: Option<Arc<Shared>>,
}

impl AuditWriter {
    /// Starts the writer thread for `session`, writing to the audit database in `dir`. Never
    /// fails: a directory, key or database that cannot be opened is reported once on stderr and
    /// tried again while records wait in memory. With the trail off, does nothing at all.
    pub fn start(dir: PathBuf, settings: AuditSettings, session: SessionInfo) -> AuditWriter {
        Self::start_with(dir, settings, session, Limits::DEFAULT)
    }

    fn start_with(
        dir: PathBuf,
        settings: AuditSettings,
        session: SessionInfo,
        limits: Limits,
    ) -> AuditWriter {
        if !settings.enabled {
            return AuditWriter { shared: None };
        }
        let shared = Arc::new(Shared::new(&settings, limits));
        let worker = Worker::new(Arc::clone(&shared), dir, settings, session, limits);
        let spawned = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || worker.run());
        match spawned {
            Ok(thread) => {
                shared.keep_thread(thread);
                AuditWriter {
                    shared: Some(shared),
                }
            }
            Err(e) => {
                tracing::warn!(
                    "cannot start the audit writer ({e}): this session is not recorded in the \
                     audit trail"
                );
                AuditWriter { shared: None }
            }
        }
    }

    /// Stops accepting records, writes what is queued (waiting at most `within`, even when the
    /// database is locked), records the session's end, and says what happened. What could not
    /// be written in time is counted as unwritten and reported on stderr. Later calls return
    /// the same figures, and count as unwritten any event recorded after the first.
    pub fn finish(&self, within: Duration) -> Flushed {
        match &self.shared {
            Some(shared) => shared.finish(Instant::now() + within),
            None => Flushed::default(),
        }
    }
}

impl AuditSink for AuditWriter {
    /// Queues `event` for the writer thread: no I/O, no redaction, no formatting.
    fn record(&self, event: Event) {
        if let Some(shared) = &self.shared {
            shared.push_event(event);
        }
    }

    /// Queues a line of the server's stderr, when the settings keep them.
    fn stderr(&self, line: &[u8]) {
        if let Some(shared) = &self.shared {
            shared.push_line(line);
        }
    }
}

#[cfg(test)]
mod tests;
