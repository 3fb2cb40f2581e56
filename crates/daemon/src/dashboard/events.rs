//! `/events`: Server-Sent Events for the page. Pending asks and remembered decisions come from the
//! broker as they happen; audit records and held pins are written by the wrappers into SQLite,
//! so they are polled twice a second: records after the last id sent, held pins by a
//! fingerprint of what is held (no definition is loaded).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use portcullis_store::PinStore;
use portcullis_store::audit::{AuditLog, Filter};
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::Daemon;
use crate::broker::Event;

const POLL: Duration = Duration::from_millis(500);

struct Feed {
    daemon: Arc<Daemon>,
    events: broadcast::Receiver<Event>,
    log: Option<AuditLog>,
    /// The newest audit record sent (or present when the page connected).
    last_record: i64,
    held_pins: String,
    queued: std::collections::VecDeque<SseEvent>,
    tick: tokio::time::Interval,
}

pub async fn stream(
    State(daemon): State<Arc<Daemon>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let log = AuditLog::open(daemon.broker.state_dir()).ok().flatten();
    let last_record = log.as_ref().and_then(|l| l.newest_id().ok()).unwrap_or(0);
    let feed = Feed {
        events: daemon.broker.subscribe(),
        held_pins: held_pins(&daemon),
        daemon,
        log,
        last_record,
        queued: Default::default(),
        tick: tokio::time::interval(POLL),
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

impl Feed {
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Some(event);
            }
            tokio::select! {
                event = self.events.recv() => match event {
                    Ok(event) => return Some(sse(event)),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                _ = self.tick.tick() => self.poll(),
            }
        }
    }

    /// Queues new audit records, and a `pins` event when what is held changed.
    fn poll(&mut self) {
        if self.log.is_none() {
            self.log = AuditLog::open(self.daemon.broker.state_dir())
                .ok()
                .flatten();
        }
        if let Some(log) = &self.log
            && let Ok(records) = log.after(self.last_record, &Filter::default())
        {
            for record in records {
                self.last_record = self.last_record.max(record.id);
                self.queued.push_back(
                    SseEvent::default()
                        .event("record")
                        .data(json!(record).to_string()),
                );
            }
        }
        let held = held_pins(&self.daemon);
        if held != self.held_pins {
            self.held_pins = held;
            self.queued
                .push_back(SseEvent::default().event("pins").data("{}"));
        }
    }
}

fn held_pins(daemon: &Daemon) -> String {
    PinStore::open(daemon.broker.state_dir())
        .and_then(|store| store.held_fingerprint())
        .unwrap_or_default()
}

fn sse(event: Event) -> SseEvent {
    let (name, data) = match event {
        Event::Pending(pending) => ("pending", json!(pending)),
        Event::Resolved { id, outcome } => ("resolved", json!({"id": id, "outcome": outcome})),
        Event::Remembered => ("remembered", json!({})),
    };
    SseEvent::default().event(name).data(data.to_string())
}
