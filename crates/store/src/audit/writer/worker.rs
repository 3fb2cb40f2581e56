//! The writer thread: takes what the relay queued, converts it, writes it a batch per
//! transaction, prunes now and then, and at the end records how the session went.
//!
//! When the database cannot be written the converted records wait in memory ([`Pending`]), the
//! user is told once, and the thread tries again after a wait that doubles up to a limit. Until
//! the key has been read nothing can be converted, so events then wait in the queue (and, past
//! its limits, are dropped or refused like any the writer is too slow for). The key is created
//! only for a new trail: one missing next to a database that holds records is an outage too.
//!
//! Should the thread panic, the queue is told ([`Shared::fail`]): from then on it refuses and
//! counts every event, and `finish` returns at once.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portcullis_core::audit::AuditSettings;

use super::convert;
use super::database::{Database, Unavailable};
use super::pending::Pending;
use super::queue::{Outcome, Progress, Queued, RawLine, Shared};
use super::stderr::StderrFilter;
use super::{Flushed, Limits, SessionInfo};
use crate::audit::jsonl::JsonlCopy;
use crate::audit::{prune, time};

/// Lowers this thread's scheduling priority: on a machine with few cores, redacting and writing
/// records must not take a core from the relay (a 10 MB result is summarized while the next
/// message is being judged). Linux keeps a nice value per thread; elsewhere nothing is done.
fn yield_to_the_relay() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory-safety preconditions; `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// How often an idle writer wakes, to prune on time.
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Pruning runs at start, then after this long or this many records written, whichever first.
const PRUNE_EVERY: Duration = Duration::from_secs(10 * 60);
const PRUNE_EVERY_RECORDS: u64 = 50_000;

pub(super) struct Worker {
    shared: Arc<Shared>,
    settings: AuditSettings,
    session: SessionInfo,
    batch: usize,
    db: Database,
    jsonl: Option<JsonlCopy>,
    pending: Pending,
    stderr: StderrFilter,
    outage: Outage,
    retention: Retention,
    written: u64,
}

impl Worker {
    pub fn new(
        shared: Arc<Shared>,
        dir: std::path::PathBuf,
        settings: AuditSettings,
        session: SessionInfo,
        limits: Limits,
    ) -> Self {
        let started_at = time::stored(jiff::Timestamp::now());
        Self {
            shared,
            jsonl: settings.jsonl.clone().map(JsonlCopy::new),
            settings,
            session,
            batch: limits.batch,
            db: Database::new(dir, started_at),
            pending: Pending::new(limits.pending, limits.lines),
            stderr: StderrFilter::default(),
            outage: Outage::new(limits.retry_first, limits.retry_max),
            retention: Retention::new(),
            written: 0,
        }
    }

    /// The thread's body. A panic (a detector tripping on odd input, say) must neither go
    /// unnoticed nor leave the queue growing and `finish` waiting its whole deadline: the shared
    /// state is marked failed, which counts everything from then on as lost.
    pub fn run(self) {
        let shared = Arc::clone(&self.shared);
        let ran = std::panic::catch_unwind(AssertUnwindSafe(move || self.work()));
        if let Err(panic) = ran {
            shared.fail(panic_message(panic.as_ref()));
        }
    }

    fn work(mut self) {
        yield_to_the_relay();
        loop {
            let taken = self
                .shared
                .next(self.wake_at(), self.db.redactor().is_some());
            self.accept(taken.events, taken.lines);
            if let Some(deadline) = taken.closing {
                return self.close(deadline);
            }
            if self.outage.due() {
                self.attempt();
            }
            self.prune_if_due();
        }
    }

    /// Until when to wait for the relay: the next retry while the database is unavailable, not
    /// at all while there is something to write, and otherwise an idle tick.
    fn wake_at(&self) -> Instant {
        match self.outage.retry_at {
            Some(retry_at) => retry_at,
            None if !self.pending.is_empty() || !self.db.is_open() => Instant::now(),
            None => Instant::now() + IDLE_TICK,
        }
    }

    /// Converts what was taken from the queue into records and lines waiting to be written.
    fn accept(&mut self, events: Vec<Queued>, lines: Vec<RawLine>) {
        let Some(redactor) = self.db.redactor() else {
            return;
        };
        // Counted as held while they are converted, should converting one panic.
        if !events.is_empty() {
            self.shared.publish(Progress {
                written: self.written,
                unwritten: self.pending.records_lost,
                held: (self.pending.records.len() + events.len()) as u64,
            });
        }
        let detail = self.settings.detail;
        let session = &self.session;
        self.pending.push_records(
            events
                .into_iter()
                .map(|queued| convert::entry(queued, session, redactor, detail)),
        );
        let stderr = &mut self.stderr;
        self.pending
            .push_lines(lines.iter().map(|raw| stderr.line(raw, redactor)));
        self.publish();
    }

    /// Tries to write one batch, and notes how it went.
    fn attempt(&mut self) {
        match self.write_batch() {
            Ok(count) => {
                self.written += count;
                self.outage
                    .wrote(count, self.pending.is_empty(), self.pending.records_lost);
            }
            Err(error) => {
                self.db.disconnect();
                self.outage
                    .failed(&error, &self.db.path(), self.pending.records_lost);
            }
        }
        self.publish();
    }

    /// Opens the database when needed and writes up to a batch of records, with every waiting
    /// line; returns how many records.
    fn write_batch(&mut self) -> Result<u64, Unavailable> {
        if self.pending.is_empty() {
            self.db.open(&self.session)?;
            return Ok(0);
        }
        let count = self.pending.records.len().min(self.batch);
        let records = &mut self.pending.records.make_contiguous()[..count];
        let lines = self.pending.lines.make_contiguous();
        self.db
            .write(&self.session, records, lines, self.jsonl.as_mut())?;
        self.pending.records.drain(..count);
        self.pending.lines.clear();
        Ok(count as u64)
    }

    fn prune_if_due(&mut self) {
        let now = Instant::now();
        if !self.db.is_open() || !self.retention.due(now, self.written) {
            return;
        }
        self.retention.pruned(now, self.written);
        let path = self.db.path();
        let result = self.db.open(&self.session).and_then(|open| {
            Ok(prune(
                open.conn,
                open.redactor,
                &self.settings,
                jiff::Timestamp::now(),
            )?)
        });
        if let Err(e) = result {
            tracing::warn!(
                "cannot prune the audit trail in {} ({e}); trying again in {} minutes",
                path.display(),
                PRUNE_EVERY.as_secs() / 60
            );
        }
    }

    /// Tells `finish` how far the thread has got, in case it has to stop waiting for it.
    fn publish(&self) {
        self.shared.publish(Progress {
            written: self.written,
            unwritten: self.pending.records_lost,
            held: self.pending.records.len() as u64,
        });
    }

    /// Writes what is left until `deadline` (without waiting for the retry time), then records
    /// the session's end and reports what was lost.
    fn close(mut self, deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.db.set_patience(left).is_err() {
                break;
            }
            self.attempt();
            if self.outage.retry_at.is_some() {
                break;
            }
            let taken = self
                .shared
                .next(Instant::now(), self.db.redactor().is_some());
            let idle = taken.events.is_empty() && taken.lines.is_empty();
            self.accept(taken.events, taken.lines);
            if idle && self.pending.is_empty() {
                break;
            }
        }
        let (events_left, lines_left) = self.shared.discard();
        let lost = self.pending.records_lost + self.pending.records.len() as u64 + events_left;
        let losses = self.shared.losses();
        let lines_lost = losses.lines_dropped
            + self.pending.lines_lost
            + self.pending.lines.len() as u64
            + lines_left;
        let left = deadline.saturating_duration_since(Instant::now());
        if self.db.set_patience(left).is_ok() {
            let unwritten = lost + losses.refused;
            self.db.record_end(&self.session, losses.dropped, unwritten);
        }
        let outcome = Outcome {
            written: self.written,
            lost,
        };
        if let Some(Flushed { unwritten, .. }) = self.shared.complete(outcome) {
            if unwritten > 0 {
                tracing::warn!("{unwritten} audit records could not be written");
            }
            if lines_lost > 0 {
                tracing::warn!(
                    "{lines_lost} lines of the server's stderr were not kept in the audit trail"
                );
            }
        }
    }
}

/// What a panic said, for the message that the writer failed.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "a panic"
    }
}

/// Whether the database can be written, and the retries while it cannot.
struct Outage {
    /// When to try again; `None` while writing works.
    retry_at: Option<Instant>,
    /// The wait before the next retry after a failure.
    wait: Duration,
    first_wait: Duration,
    max_wait: Duration,
    /// Since the database last failed, until everything delayed is written.
    since: Option<Delay>,
}

struct Delay {
    /// Records lost before the outage began.
    lost_before: u64,
    /// Records written late so far.
    delayed: u64,
}

impl Outage {
    fn new(first_wait: Duration, max_wait: Duration) -> Self {
        Self {
            retry_at: None,
            wait: first_wait,
            first_wait,
            max_wait,
            since: None,
        }
    }

    fn due(&self) -> bool {
        self.retry_at.is_none_or(|at| Instant::now() >= at)
    }

    fn failed(&mut self, error: &Unavailable, path: &Path, lost: u64) {
        if self.since.is_none() {
            tracing::warn!(
                "the audit store {} is unavailable ({error}); still protecting, keeping records \
                 in memory until it is back",
                path.display()
            );
            self.since = Some(Delay {
                lost_before: lost,
                delayed: 0,
            });
        }
        self.retry_at = Some(Instant::now() + self.wait);
        self.wait = (self.wait * 2).min(self.max_wait);
    }

    /// `count` records were written; `caught_up` when nothing waits any more.
    fn wrote(&mut self, count: u64, caught_up: bool, lost: u64) {
        self.retry_at = None;
        self.wait = self.first_wait;
        let Some(delay) = &mut self.since else {
            return;
        };
        delay.delayed += count;
        if !caught_up {
            return;
        }
        tracing::warn!(
            "the audit store is back: {} delayed records written",
            delay.delayed
        );
        let lost = lost - delay.lost_before;
        if lost > 0 {
            tracing::warn!("{lost} records could not be kept");
        }
        self.since = None;
    }
}

/// When pruning is next due.
struct Retention {
    at: Instant,
    after_written: u64,
}

impl Retention {
    /// Due at once: pruning runs as soon as the database is open.
    fn new() -> Self {
        Self {
            at: Instant::now(),
            after_written: 0,
        }
    }

    fn due(&self, now: Instant, written: u64) -> bool {
        now >= self.at || written >= self.after_written
    }

    fn pruned(&mut self, now: Instant, written: u64) {
        self.at = now + PRUNE_EVERY;
        self.after_written = written + PRUNE_EVERY_RECORDS;
    }
}
