//! The approval broker: asks wait here until a person decides (from the dashboard or the terminal
//! approver), their timeout passes, or their wrapper goes away. "Always" decisions are checked
//! against what the asking rule allows and stored for the wrappers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis_core::policy::{Always, Policy};
use portcullis_store::decisions::{DecisionStore, NewDecision, Scope, Verdict};
use tokio::sync::{broadcast, oneshot};

use crate::protocol::{Ask, Decide, Decision, Outcome, PendingAsk, Remember};

/// Something approvers should see at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Pending(Box<PendingAsk>),
    Resolved {
        id: String,
        outcome: Outcome,
    },
    /// Remembered decisions changed.
    Remembered,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecideError {
    #[error("no call {0:?} is waiting for a decision (it was decided, timed out or withdrawn)")]
    NotPending(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the decision could not be remembered: {0}")]
    Store(String),
}

struct Waiting {
    ask: Ask,
    deadline: Instant,
    /// Arrival order, so approvers list the oldest first.
    seq: u64,
    answer: oneshot::Sender<Decision>,
}

#[derive(Default)]
struct Table {
    waiting: HashMap<String, Waiting>,
    next_seq: u64,
}

/// Shared by the socket server and the dashboard.
pub struct Broker {
    table: Mutex<Table>,
    events: broadcast::Sender<Event>,
    state_dir: PathBuf,
    /// Compiles patterns a person saves, to refuse one the wrappers could not use.
    policy: Policy,
}

impl Broker {
    pub fn new(state_dir: PathBuf, policy: Policy) -> Arc<Self> {
        Arc::new(Self {
            table: Mutex::default(),
            events: broadcast::channel(1024).0,
            state_dir,
            policy,
        })
    }

    pub fn state_dir(&self) -> &std::path::Path {
        &self.state_dir
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn notify(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Every ask waiting now, oldest first.
    pub fn pending(&self) -> Vec<PendingAsk> {
        let table = self.lock();
        let now = Instant::now();
        let mut waiting: Vec<&Waiting> = table.waiting.values().collect();
        waiting.sort_by_key(|w| w.seq);
        waiting.into_iter().map(|w| shown(w, now)).collect()
    }

    /// Waits for a person's decision on `ask`; `None` when its timeout passes first. Dropping the
    /// future (the wrapper went away) withdraws the ask.
    pub async fn ask(&self, ask: Ask) -> Option<Decision> {
        let id = ask.id.clone();
        let timeout = Duration::from_millis(ask.timeout_ms);
        let (answer, decided) = oneshot::channel();
        let event = {
            let mut table = self.lock();
            table.next_seq += 1;
            let waiting = Waiting {
                ask,
                deadline: Instant::now() + timeout,
                seq: table.next_seq,
                answer,
            };
            let event = Event::Pending(Box::new(shown(&waiting, Instant::now())));
            table.waiting.insert(id.clone(), waiting);
            event
        };
        self.notify(event);
        let mut withdraw = Withdraw {
            broker: self,
            id: Some(id),
        };
        let decision = tokio::time::timeout(timeout, decided).await;
        match decision {
            Ok(Ok(decision)) => {
                withdraw.id = None;
                Some(decision)
            }
            // Timed out (or the sender vanished, which only a bug could cause).
            _ => {
                withdraw.end(Outcome::TimedOut);
                None
            }
        }
    }

    /// Applies a person's decision, and remembers it when asked to. What to remember is checked
    /// before the call is answered (a refused scope leaves the call pending, to decide again);
    /// it is stored after, so nothing is remembered for a call that timed out meanwhile.
    pub fn decide(&self, decide: Decide) -> Result<(), DecideError> {
        let ask = self
            .lock()
            .waiting
            .get(&decide.id)
            .map(|w| w.ask.clone())
            .ok_or_else(|| DecideError::NotPending(decide.id.clone()))?;
        let remember = decide
            .remember
            .as_ref()
            .map(|remember| self.to_remember(&ask, &decide, remember))
            .transpose()?;
        let waiting = self
            .lock()
            .waiting
            .remove(&decide.id)
            .ok_or_else(|| DecideError::NotPending(decide.id.clone()))?;
        let outcome = match decide.decision {
            Decision::Allow => Outcome::Allowed,
            Decision::Deny => Outcome::Denied,
        };
        let _ = waiting.answer.send(decide.decision);
        self.notify(Event::Resolved {
            id: decide.id,
            outcome,
        });
        if let Some(decision) = remember {
            DecisionStore::open(&self.state_dir)
                .and_then(|mut store| store.remember(&decision))
                .map_err(|e| DecideError::Store(format!("decided, but not remembered: {e}")))?;
            self.notify(Event::Remembered);
        }
        Ok(())
    }

    /// Revokes remembered decision `id`; whether there was one.
    pub fn revoke(&self, id: i64) -> Result<bool, DecideError> {
        let revoked = DecisionStore::open(&self.state_dir)
            .and_then(|mut store| store.revoke(id))
            .map_err(|e| DecideError::Store(e.to_string()))?;
        if revoked {
            self.notify(Event::Remembered);
        }
        Ok(revoked)
    }

    /// The decision to store for "always", if the rule allows what the person chose.
    fn to_remember(
        &self,
        ask: &Ask,
        decide: &Decide,
        remember: &Remember,
    ) -> Result<NewDecision, DecideError> {
        let scope = match (ask.always, remember) {
            (Always::Never, _) => {
                return Err(DecideError::Invalid(format!(
                    "rule {} asks about every call: its decisions cannot be remembered",
                    ask.rule
                )));
            }
            (_, Remember::Exact) => Scope::Exact(ask.args_hash.clone()),
            (Always::Exact, Remember::Pattern { .. }) => {
                return Err(DecideError::Invalid(format!(
                    "rule {} lets only exactly these arguments be remembered, not a pattern",
                    ask.rule
                )));
            }
            (Always::Pattern, Remember::Pattern { pattern }) => {
                self.policy
                    .compile_pattern(&ask.tool, pattern)
                    .map_err(|e| DecideError::Invalid(format!("the pattern is not valid: {e}")))?;
                Scope::Pattern(pattern.clone())
            }
        };
        let expires_at = decide
            .expires_in_s
            .map(|s| {
                let at = jiff::Timestamp::now()
                    .checked_add(jiff::SignedDuration::from_secs(
                        s.min(i64::MAX as u64) as i64
                    ))
                    .map_err(|e| DecideError::Invalid(format!("expiry: {e}")))?;
                Ok(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            })
            .transpose()?;
        Ok(NewDecision {
            server_key: ask.server_key.clone(),
            server: ask.server.clone(),
            tool: ask.tool.clone(),
            scope,
            verdict: match decide.decision {
                Decision::Allow => Verdict::Allow,
                Decision::Deny => Verdict::Deny,
            },
            expires_at,
            note: format!("{} ({}): {}", ask.rule, ask.method, ask.arguments),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn shown(waiting: &Waiting, now: Instant) -> PendingAsk {
    PendingAsk {
        ask: waiting.ask.clone(),
        remaining_ms: waiting.deadline.saturating_duration_since(now).as_millis() as u64,
    }
}

/// Removes an ask that ends without a decision, and tells approvers how it ended.
struct Withdraw<'a> {
    broker: &'a Broker,
    id: Option<String>,
}

impl Withdraw<'_> {
    fn end(&mut self, outcome: Outcome) {
        if let Some(id) = self.id.take()
            && self.broker.lock().waiting.remove(&id).is_some()
        {
            self.broker.notify(Event::Resolved { id, outcome });
        }
    }
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.end(Outcome::Withdrawn);
    }
}

#[cfg(test)]
mod tests {
    use portcullis_core::detect::paths::PathContext;
    use portcullis_core::policy::Sources;

    use super::*;

    pub fn ask(id: &str, timeout_ms: u64, always: Always) -> Ask {
        Ask {
            id: id.into(),
            server: "fs".into(),
            server_key: "k".repeat(64),
            method: "tools/call".into(),
            tool: "write_file".into(),
            evidence: vec![],
            arguments: r#"{"path":"a.md"}"#.into(),
            args_hash: "h".repeat(64),
            rule: "confirm".into(),
            reason: "writes need a person".into(),
            timeout_ms,
            always,
            suggested_pattern: None,
        }
    }

    fn broker() -> (tempfile::TempDir, Arc<Broker>) {
        let dir = tempfile::tempdir().unwrap();
        let paths = PathContext::for_host(Some("/home/u".into()), "/home/u".into());
        let policy = Policy::compile(&Sources::default(), paths).unwrap();
        let broker = Broker::new(dir.path().to_owned(), policy);
        (dir, broker)
    }

    fn decide(id: &str, decision: Decision, remember: Option<Remember>) -> Decide {
        Decide {
            id: id.into(),
            decision,
            remember,
            expires_in_s: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_ask_waits_for_a_decision_and_approvers_see_it_come_and_go() {
        let (_dir, broker) = broker();
        let mut events = broker.subscribe();
        let waiting = tokio::spawn({
            let broker = broker.clone();
            async move { broker.ask(ask("1:1", 25_000, Always::Pattern)).await }
        });
        let Event::Pending(shown) = events.recv().await.unwrap() else {
            panic!("expected pending")
        };
        assert_eq!(shown.ask.id, "1:1");
        assert_eq!(broker.pending().len(), 1);
        broker.decide(decide("1:1", Decision::Allow, None)).unwrap();
        assert_eq!(waiting.await.unwrap(), Some(Decision::Allow));
        assert!(broker.pending().is_empty());
        assert_eq!(
            events.recv().await.unwrap(),
            Event::Resolved {
                id: "1:1".into(),
                outcome: Outcome::Allowed
            }
        );
        assert_eq!(
            broker.decide(decide("1:1", Decision::Deny, None)),
            Err(DecideError::NotPending("1:1".into()))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_ask_times_out_or_is_withdrawn_when_its_wrapper_goes() {
        let (_dir, broker) = broker();
        let mut events = broker.subscribe();
        assert_eq!(broker.ask(ask("1:2", 2_000, Always::Pattern)).await, None);
        events.recv().await.unwrap();
        assert_eq!(
            events.recv().await.unwrap(),
            Event::Resolved {
                id: "1:2".into(),
                outcome: Outcome::TimedOut
            }
        );
        let waiting = tokio::spawn({
            let broker = broker.clone();
            async move { broker.ask(ask("1:3", 25_000, Always::Pattern)).await }
        });
        events.recv().await.unwrap();
        waiting.abort();
        assert_eq!(
            events.recv().await.unwrap(),
            Event::Resolved {
                id: "1:3".into(),
                outcome: Outcome::Withdrawn
            }
        );
        assert!(broker.pending().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn always_is_limited_to_what_the_rule_allows_and_patterns_must_compile() {
        let (dir, broker) = broker();
        let cases = [
            (Always::Never, Some(Remember::Exact), "cannot be remembered"),
            (
                Always::Exact,
                Some(Remember::Pattern {
                    pattern: "- path: {under: [/tmp]}".into(),
                }),
                "not a pattern",
            ),
            (
                Always::Pattern,
                Some(Remember::Pattern {
                    pattern: "[]".into(),
                }),
                "at least one argument condition",
            ),
        ];
        for (i, (always, remember, words)) in cases.into_iter().enumerate() {
            let id = format!("1:{i}");
            let waiting = tokio::spawn({
                let (broker, id) = (broker.clone(), id.clone());
                async move { broker.ask(ask(&id, 25_000, always)).await }
            });
            tokio::task::yield_now().await;
            let err = broker
                .decide(decide(&id, Decision::Allow, remember))
                .unwrap_err();
            assert!(err.to_string().contains(words), "{err}");
            // Still pending: the person can decide again.
            broker.decide(decide(&id, Decision::Deny, None)).unwrap();
            assert_eq!(waiting.await.unwrap(), Some(Decision::Deny));
        }
        let waiting = tokio::spawn({
            let broker = broker.clone();
            async move { broker.ask(ask("2:1", 25_000, Always::Pattern)).await }
        });
        tokio::task::yield_now().await;
        let pattern = Remember::Pattern {
            pattern: "- path:\n    under: [/home/u/project]\n".into(),
        };
        broker
            .decide(decide("2:1", Decision::Allow, Some(pattern)))
            .unwrap();
        waiting.await.unwrap();
        let remembered = DecisionStore::open(dir.path()).unwrap().list(None).unwrap();
        assert_eq!(remembered.len(), 1);
        assert_eq!(
            remembered[0].decision.scope,
            Scope::Pattern("- path:\n    under: [/home/u/project]\n".into())
        );
        assert!(broker.revoke(remembered[0].id).unwrap());
        assert!(!broker.revoke(remembered[0].id).unwrap());
    }
}
