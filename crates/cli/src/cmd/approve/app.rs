//! The approver's state and what keys do to it. No I/O here: the loop in `approve.rs` feeds in
//! the daemon's messages and the keys, and carries out the actions, so every behaviour can be
//! tested without a terminal or a daemon.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use portcullis_daemon::protocol::{Always, Ask, Decide, Decision, Outcome, Remember, Response};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::modal::{Modal, Step};
use crate::escape::visible;

/// A call waiting for the person, and when it stops waiting.
#[derive(Debug, Clone)]
pub struct Pending {
    pub ask: Ask,
    pub deadline: Instant,
}

/// What the loop should do after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Decide(Decide),
    Quit,
}

#[derive(Debug, Default)]
pub struct App {
    /// Oldest first, as the daemon announced them.
    pub pending: Vec<Pending>,
    pub selected: usize,
    pub status: String,
    pub modal: Option<Modal>,
    /// The daemon closed the subscription: nothing more can be decided here.
    pub stopped: bool,
    /// Decisions in flight, by ask id: what the status says once the daemon answers (worded
    /// when sent, while the ask is at hand). Several may be in flight at once.
    sent: HashMap<String, String>,
    /// Asks the daemon accepted a decision on: their `resolved` is no news.
    accepted: HashSet<String>,
}

impl App {
    pub fn selected(&self) -> Option<&Pending> {
        self.pending.get(self.selected)
    }

    /// Applies a message of the subscription. `now` dates the countdown: an ask announced
    /// waits its `remaining_ms` from the moment it arrives.
    pub fn on_event(&mut self, event: Response, now: Instant) {
        match event {
            Response::Pending(announced) => {
                let pending = Pending {
                    deadline: now + Duration::from_millis(announced.remaining_ms),
                    ask: announced.ask,
                };
                match self.pending.iter_mut().find(|p| p.ask.id == pending.ask.id) {
                    Some(known) => *known = pending,
                    None => self.pending.push(pending),
                }
            }
            Response::Resolved { id, outcome } => self.resolved(&id, outcome),
            Response::Error { message } => {
                self.status = format!("The daemon says: {}", visible(&message));
            }
            _ => {}
        }
    }

    fn resolved(&mut self, id: &str, outcome: Outcome) {
        let Some(at) = self.pending.iter().position(|p| p.ask.id == id) else {
            return;
        };
        let gone = self.pending.remove(at);
        // The selection stays on the same ask, or moves to the one that took its place.
        if at < self.selected {
            self.selected -= 1;
        }
        self.selected = self.selected.min(self.pending.len().saturating_sub(1));
        let what = match outcome {
            Outcome::Allowed => "was allowed",
            Outcome::Denied => "was denied",
            Outcome::TimedOut => "timed out",
            Outcome::Withdrawn => "was withdrawn by the client",
        };
        if self.accepted.remove(id) {
            return;
        }
        if self.modal.as_ref().is_some_and(|m| m.id == id) {
            self.modal = None;
            self.status = format!("{} {what} before you confirmed.", label(&gone.ask));
        } else {
            self.status = format!("{} {what}.", label(&gone.ask));
        }
    }

    /// The subscription ended: the daemon stopped or dropped us.
    pub fn daemon_stopped(&mut self) {
        self.stopped = true;
        self.modal = None;
        self.status = "The daemon stopped: press any key to exit.".into();
    }

    /// What the daemon answered to the decision on ask `id`: `Err` holds its message.
    pub fn decided(&mut self, id: &str, result: Result<(), String>) {
        let Some(sent) = self.sent.remove(id) else {
            return;
        };
        self.status = match result {
            Ok(()) => {
                self.accepted.insert(id.to_owned());
                format!("{sent}.")
            }
            Err(message) => format!("{sent}: refused: {}", visible(&message)),
        };
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let interrupt =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if self.stopped || interrupt {
            return Some(Action::Quit);
        }
        if self.modal.is_some() {
            return self.modal_key(key);
        }
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return Some(Action::Quit),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.pending.len().saturating_sub(1));
            }
            KeyCode::Char('a') => return self.once(Decision::Allow),
            KeyCode::Char('d') => return self.once(Decision::Deny),
            KeyCode::Char('A') => self.always(Decision::Allow),
            KeyCode::Char('D') => self.always(Decision::Deny),
            _ => {}
        }
        None
    }

    fn once(&mut self, decision: Decision) -> Option<Action> {
        let Some(pending) = self.selected() else {
            self.status = "Nothing is selected.".into();
            return None;
        };
        let verb = match decision {
            Decision::Allow => "Allowed once",
            Decision::Deny => "Denied once",
        };
        let decide = Decide {
            id: pending.ask.id.clone(),
            decision,
            remember: None,
            expires_in_s: None,
        };
        self.sent.insert(
            decide.id.clone(),
            format!("{verb}: {}", label(&pending.ask)),
        );
        Some(Action::Decide(decide))
    }

    fn always(&mut self, decision: Decision) {
        let Some(pending) = self.selected() else {
            self.status = "Nothing is selected.".into();
            return;
        };
        if pending.ask.always == Always::Never {
            self.status = format!(
                "Rule {} asks every time: nothing can be remembered. Press a to allow once or \
                 d to deny.",
                visible(&pending.ask.rule)
            );
            return;
        }
        self.modal = Some(Modal::new(&pending.ask, decision));
        self.status.clear();
    }

    fn modal_key(&mut self, key: KeyEvent) -> Option<Action> {
        let modal = self.modal.as_mut()?;
        match modal.on_key(key) {
            Step::Stay => None,
            Step::Cancel => {
                self.modal = None;
                self.status = "Cancelled: nothing was decided.".into();
                None
            }
            Step::Refuse(why) => {
                self.status = why;
                None
            }
            Step::Confirm {
                remember,
                expires_in_s,
            } => {
                let modal = self.modal.take()?;
                let ask = &self.pending.iter().find(|p| p.ask.id == modal.id)?.ask;
                let verb = match modal.decision {
                    Decision::Allow => "Always allowed",
                    Decision::Deny => "Always denied",
                };
                let scope = match &remember {
                    Remember::Exact => "these exact arguments",
                    Remember::Pattern { .. } => "your pattern",
                };
                let said = format!(
                    "{verb} ({scope}, expires: {}): {}",
                    modal.expiry_label(),
                    label(ask)
                );
                self.sent.insert(modal.id.clone(), said);
                Some(Action::Decide(Decide {
                    id: modal.id,
                    decision: modal.decision,
                    remember: Some(remember),
                    expires_in_s,
                }))
            }
        }
    }
}

/// `server · tool`, safe to show.
pub fn label(ask: &Ask) -> String {
    format!("{} · {}", visible(&ask.server), visible(&ask.tool))
}
