//! The hand-over between the relay and the writer thread: a bounded queue under one short lock.
//!
//! A full queue drops allowed events and counts them; an event that must be kept (deny, ask,
//! quarantine) is still queued, and loses only its payload when the payload budget is spent, its
//! summary then saying why, up to a hard limit: a writer that is stuck (an unreadable key, a
//! locked database) must not let a flood of denials grow memory without end. Past that limit,
//! after `finish`, and once the writer thread has failed, events are refused and counted as
//! unwritten, lines as dropped.
//!
//! Waking a sleeping thread takes a system call, which costs the relay several microseconds. So
//! the relay signals the writer thread only when it sleeps; for a second after it last took work
//! the thread does not sleep but looks every few milliseconds, and the records of a busy
//! conversation cost the relay no system call at all.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use portcullis_core::audit::{AuditSettings, Event, Verdict};

use super::{Flushed, Limits};

/// How long the writer thread stays awake after taking work, and how often it looks meanwhile
/// (which is also how often, at most, a busy writer takes a batch).
const STAY_AWAKE: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(20);

/// An event waiting for the writer thread.
pub(super) struct Queued {
    pub event: Event,
    /// Its payload was removed because the payload budget was spent.
    pub shed: bool,
}

impl Queued {
    /// The bytes it holds of the payload budget: its size, while it keeps its payload.
    fn budgeted(&self) -> u64 {
        self.event.payload.as_ref().map_or(0, |_| self.event.bytes)
    }
}

/// A line of the server's stderr, as captured.
pub(super) struct RawLine {
    pub at: SystemTime,
    pub bytes: Vec<u8>,
}

/// What the writer thread takes in one go.
pub(super) struct Taken {
    pub events: Vec<Queued>,
    pub lines: Vec<RawLine>,
    /// `finish` was called: write what is left by this deadline.
    pub closing: Option<Instant>,
}

/// What the writer thread has done so far, for `finish` to report should the thread not end in
/// time.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Progress {
    pub written: u64,
    pub unwritten: u64,
    /// Records converted and not yet written.
    pub held: u64,
}

/// What the writer thread wrote and lost, set once it ends (or by `finish` or `fail` for it).
/// What the queue refused is added when it is reported ([`State::report`]).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Outcome {
    pub written: u64,
    /// Records the writer thread took and could not write.
    pub lost: u64,
}

/// What the queue lost so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Losses {
    /// Allowed events dropped because the queue was full.
    pub dropped: u64,
    /// Events not queued at all (past the hard limit, after `finish`, after the writer thread
    /// failed): unwritten.
    pub refused: u64,
    /// Stderr lines dropped.
    pub lines_dropped: u64,
}

/// The state the relay and the writer thread share.
pub(super) struct Shared {
    state: Mutex<State>,
    /// Signals the writer thread: work arrived, or `finish` was called.
    work: Condvar,
    /// Signals `finish`: the writer thread is done.
    done: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
    limits: Limits,
    /// Record events allowed untouched (`audit.allowed`).
    allowed: bool,
    /// Keep the server's stderr (`audit.stderr`).
    stderr: bool,
}

#[derive(Default)]
struct State {
    events: VecDeque<Queued>,
    payload_bytes: u64,
    lines: VecDeque<RawLine>,
    losses: Losses,
    /// The writer thread is waiting on `work` and must be signalled.
    writer_waiting: bool,
    /// When the writer thread last took something.
    last_work: Option<Instant>,
    closing: Option<Instant>,
    /// The writer thread panicked: nothing is queued any more.
    failed: bool,
    progress: Progress,
    /// Set once: by the writer thread when it ends, by `fail` when it panicked, or by `finish`
    /// when it stops waiting.
    outcome: Option<Outcome>,
}

impl State {
    /// Takes everything queued, and frees its payload budget.
    fn drain(&mut self) -> (VecDeque<Queued>, VecDeque<RawLine>) {
        self.payload_bytes = 0;
        (
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.lines),
        )
    }

    /// The figures `finish` reports: the writer's, and what the queue refused since.
    fn report(&self) -> Option<Flushed> {
        self.outcome.map(|outcome| Flushed {
            written: outcome.written,
            dropped: self.losses.dropped,
            unwritten: outcome.lost + self.losses.refused,
        })
    }

    /// Whether nothing will take another event or line.
    fn refusing(&self) -> bool {
        self.closing.is_some() || self.failed
    }
}

impl Shared {
    pub fn new(settings: &AuditSettings, limits: Limits) -> Self {
        Self {
            state: Mutex::default(),
            work: Condvar::new(),
            done: Condvar::new(),
            thread: Mutex::default(),
            limits,
            allowed: settings.allowed,
            stderr: settings.stderr,
        }
    }

    /// A poisoned lock only means the writer thread panicked: the queue is still sound.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn keep_thread(&self, thread: JoinHandle<()>) {
        *self.thread.lock().unwrap_or_else(PoisonError::into_inner) = Some(thread);
    }

    /// Queues `event` within the limits (see the module documentation).
    pub fn push_event(&self, mut event: Event) {
        if !self.allowed && event.verdict == Verdict::Allow {
            return;
        }
        let mut state = self.lock();
        let queued = state.events.len();
        let lost = if state.refusing() {
            Some(&mut state.losses.refused)
        } else if queued >= self.limits.events && !event.verdict.must_keep() {
            Some(&mut state.losses.dropped)
        } else if queued >= self.limits.events_max {
            Some(&mut state.losses.refused)
        } else {
            None
        };
        if let Some(count) = lost {
            *count += 1;
            drop(state);
            // The event is freed here, outside the lock.
            return;
        }
        let mut shed = None;
        if event.payload.is_some() {
            if state.payload_bytes.saturating_add(event.bytes) > self.limits.payload_bytes {
                shed = event.payload.take();
            } else {
                state.payload_bytes += event.bytes;
            }
        }
        state.events.push_back(Queued {
            event,
            shed: shed.is_some(),
        });
        let wake = Self::writer_to_wake(&mut state);
        drop(state);
        self.wake(wake);
        drop(shed);
    }

    /// Queues a stderr line, when stderr is kept; beyond the limit it is dropped and counted.
    pub fn push_line(&self, line: &[u8]) {
        if !self.stderr {
            return;
        }
        let line = RawLine {
            at: SystemTime::now(),
            bytes: line.to_vec(),
        };
        let mut state = self.lock();
        if state.refusing() || state.lines.len() >= self.limits.lines {
            state.losses.lines_dropped += 1;
            return;
        }
        state.lines.push_back(line);
        let wake = Self::writer_to_wake(&mut state);
        drop(state);
        self.wake(wake);
    }

    /// Whether the writer thread waits and must be woken (once: the flag is cleared).
    fn writer_to_wake(state: &mut State) -> bool {
        std::mem::take(&mut state.writer_waiting)
    }

    /// Wakes the writer thread, after the lock is released so that it need not wait for it.
    fn wake(&self, wake: bool) {
        if wake {
            self.work.notify_one();
        }
    }

    /// Waits until there is something to take (when `take` is set), `finish` is called, or
    /// `until`; then takes up to a batch of events and every line.
    pub fn next(&self, until: Instant, take: bool) -> Taken {
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            let waiting = state.events.len() + state.lines.len();
            // While busy, take work at most every `POLL` (unless a batch is full): fewer, larger
            // transactions cost far less than one per record, and the relay does not notice.
            let gathered =
                waiting >= self.limits.batch || state.last_work.is_none_or(|at| now >= at + POLL);
            let work = take && waiting > 0 && gathered;
            if work || state.closing.is_some() || now >= until {
                break;
            }
            // Soon after work, look again shortly instead of asking to be woken: the relay's
            // next records then cost it no system call.
            let lively = state.last_work.is_some_and(|at| now < at + STAY_AWAKE);
            let wait = if lively {
                POLL.min(until - now)
            } else {
                until - now
            };
            state.writer_waiting = !lively;
            state = self
                .work
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.writer_waiting = false;
        }
        if !take {
            return Taken {
                events: Vec::new(),
                lines: Vec::new(),
                closing: state.closing,
            };
        }
        if !(state.events.is_empty() && state.lines.is_empty()) {
            state.last_work = Some(Instant::now());
        }
        let count = state.events.len().min(self.limits.batch);
        let events: Vec<Queued> = state.events.drain(..count).collect();
        state.payload_bytes -= events.iter().map(Queued::budgeted).sum::<u64>();
        Taken {
            events,
            lines: state.lines.drain(..).collect(),
            closing: state.closing,
        }
    }

    /// What the queue lost so far.
    pub fn losses(&self) -> Losses {
        self.lock().losses
    }

    /// Empties the queue once the writer has given up; returns how many events and lines it held.
    pub fn discard(&self) -> (u64, u64) {
        let (events, lines) = self.lock().drain();
        // Freed here, outside the lock.
        (events.len() as u64, lines.len() as u64)
    }

    #[cfg(test)]
    pub fn progress(&self) -> Progress {
        self.lock().progress
    }

    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.lock().events.len()
    }

    #[cfg(test)]
    pub fn failed(&self) -> bool {
        self.lock().failed
    }

    pub fn publish(&self, progress: Progress) {
        self.lock().progress = progress;
    }

    /// Called by the writer thread as it ends: records `outcome` for `finish`, unless `finish`
    /// already stopped waiting. Returns the figures `finish` reports when it was recorded (and is
    /// the writer's to report).
    pub fn complete(&self, outcome: Outcome) -> Option<Flushed> {
        let mut state = self.lock();
        if state.outcome.is_some() {
            return None;
        }
        state.outcome = Some(outcome);
        self.done.notify_all();
        state.report()
    }

    /// Called when the writer thread panicked: says so once, refuses (and counts) whatever comes
    /// from now on, counts what was waiting as lost, and lets `finish` return at once.
    pub fn fail(&self, why: &str) {
        let mut state = self.lock();
        state.failed = true;
        let (events, lines) = state.drain();
        state.losses.refused += events.len() as u64;
        state.losses.lines_dropped += lines.len() as u64;
        if state.outcome.is_none() {
            let progress = state.progress;
            state.outcome = Some(Outcome {
                written: progress.written,
                lost: progress.unwritten + progress.held,
            });
            self.done.notify_all();
        }
        drop(state);
        drop((events, lines));
        tracing::warn!("the audit writer failed: {why}; this session's later records are not kept");
    }

    /// Stops accepting records and waits for the writer thread until `deadline`. Should it still
    /// be busy then (a locked database), it is left to end with the process and everything it has
    /// not written yet is counted as unwritten. A writer thread that failed is not waited for.
    pub fn finish(&self, deadline: Instant) -> Flushed {
        let mut state = self.lock();
        let first = state.closing.is_none();
        if first {
            state.closing = Some(deadline);
            self.work.notify_one();
        }
        let mut gave_up = false;
        while state.outcome.is_none() {
            let now = Instant::now();
            if now >= deadline {
                gave_up = true;
                let progress = state.progress;
                state.outcome = Some(Outcome {
                    written: progress.written,
                    lost: progress.unwritten + progress.held + state.events.len() as u64,
                });
                let unwritten = state.report().unwrap_or_default().unwritten;
                if unwritten > 0 {
                    tracing::warn!(
                        "{unwritten} audit records could not be written (the audit store did not \
                         take them in time)"
                    );
                }
                break;
            }
            state = self
                .done
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let outcome = state.report().unwrap_or_default();
        if first && state.failed && outcome.unwritten > 0 {
            tracing::warn!(
                "{} audit records could not be written (the audit writer had failed)",
                outcome.unwritten
            );
        }
        drop(state);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread.filter(|_| !gave_up) {
            // It recorded its outcome as its last act: joining cannot make us wait.
            let _ = thread.join();
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use portcullis_core::message::{Direction, Kind};
    use serde_json::json;

    use super::*;

    fn event(verdict: Verdict, bytes: u64) -> Event {
        Event {
            at: SystemTime::now(),
            direction: Direction::ToServer,
            kind: Kind::Request,
            method: "tools/call".into(),
            target: None,
            rpc_id: None,
            verdict,
            outcome: None,
            rule: None,
            reason: "".into(),
            evidence: Vec::new(),
            bytes,
            added: Duration::ZERO,
            client: None,
            payload: Some(json!({"n": bytes})),
        }
    }

    fn shared(events: usize, payload_bytes: u64) -> Shared {
        let limits = Limits {
            events,
            payload_bytes,
            ..Limits::DEFAULT
        };
        Shared::new(&AuditSettings::default(), limits)
    }

    fn take_all(shared: &Shared) -> Vec<Queued> {
        shared.next(Instant::now(), true).events
    }

    #[test]
    fn a_full_queue_drops_allowed_events_and_keeps_the_others() {
        let shared = shared(4, u64::MAX);
        for _ in 0..10 {
            shared.push_event(event(Verdict::Allow, 10));
        }
        for verdict in [
            Verdict::Deny,
            Verdict::Ask,
            Verdict::Quarantine,
            Verdict::Log,
        ] {
            shared.push_event(event(verdict, 10));
        }
        assert_eq!(
            shared.losses(),
            Losses {
                dropped: 7,
                ..Losses::default()
            }
        );
        let verdicts: Vec<Verdict> = take_all(&shared).iter().map(|q| q.event.verdict).collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [Allow, Allow, Allow, Allow, Deny, Ask, Quarantine]
        );
    }

    #[test]
    fn past_the_hard_limit_even_events_that_must_be_kept_are_refused_and_counted() {
        let shared = Shared::new(
            &AuditSettings::default(),
            Limits {
                events: 2,
                events_max: 4,
                ..Limits::DEFAULT
            },
        );
        for _ in 0..3 {
            shared.push_event(event(Verdict::Allow, 10));
        }
        for _ in 0..10 {
            shared.push_event(event(Verdict::Deny, 10));
        }
        assert_eq!(shared.queued(), 4);
        let losses = Losses {
            dropped: 1,
            refused: 8,
            lines_dropped: 0,
        };
        assert_eq!(shared.losses(), losses);
        use Verdict::*;
        let verdicts: Vec<Verdict> = take_all(&shared).iter().map(|q| q.event.verdict).collect();
        assert_eq!(verdicts, [Allow, Allow, Deny, Deny]);
    }

    #[test]
    fn payloads_past_the_budget_are_shed_and_the_budget_returns() {
        let shared = shared(100, 25);
        shared.push_event(event(Verdict::Allow, 10));
        shared.push_event(event(Verdict::Allow, 10));
        shared.push_event(event(Verdict::Deny, 10));
        let shed: Vec<(bool, bool)> = take_all(&shared)
            .iter()
            .map(|q| (q.shed, q.event.payload.is_some()))
            .collect();
        assert_eq!(shed, [(false, true), (false, true), (true, false)]);
        shared.push_event(event(Verdict::Deny, 20));
        assert!(!take_all(&shared)[0].shed, "the budget is back once taken");
    }

    #[test]
    fn allowed_events_are_ignored_when_not_recorded_and_lines_only_when_kept() {
        let settings = AuditSettings {
            allowed: false,
            ..AuditSettings::default()
        };
        let shared = Shared::new(&settings, Limits::DEFAULT);
        shared.push_event(event(Verdict::Allow, 1));
        shared.push_event(event(Verdict::Redact, 1));
        shared.push_line(b"not kept");
        let taken = shared.next(Instant::now(), true);
        assert_eq!(taken.events.len(), 1);
        assert!(taken.lines.is_empty());
    }
}
