//! One relay session's judgement: every frame in either direction becomes an [`Outcome`].
//!
//! The session owns the in-flight tables that match responses to the requests they answer, so a
//! response is judged knowing which tool produced it. It is synchronous and does no I/O; the pumps
//! in [`crate::pump`] move bytes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use portcullis_core::audit::redact_untagged;
use portcullis_core::framing::{Frame, IdSniffer, Oversize, Sniffed};
use portcullis_core::json::{DEFAULT_MAX_DEPTH, JsonError, parse_strict};
use portcullis_core::message::{Direction, IdKey, Kind, Message, Target, View};
use portcullis_core::pins::{PinBook, ServerIdentity};
use portcullis_core::policy::{Action, AskOptions, CanonicalCall, Decision, Policy};
use portcullis_core::reply::{
    CODE_APPROVAL_REQUIRED, CODE_DENIED, CODE_INTERNAL_ERROR, CODE_INVALID_REQUEST,
    CODE_PARSE_ERROR, CODE_SERVER_GONE, CODE_TOO_LARGE, blocked_response, error_response, raw_id,
    sniffed_id,
};
use portcullis_core::text::floor_boundary;
use serde_json::Value;
use serde_json::value::RawValue;

use portcullis_core::audit::AuditSink;

use crate::guard::{Change, Guard};
use crate::record::{Judged, Recorder};

/// Bytes to write after judging one frame. Each field holds whole lines, newline-terminated.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// For the receiving side: the original bytes, or an answer that replaces a blocked response.
    pub forward: Vec<u8>,
    /// For the sending side: answers to its blocked requests.
    pub reply: Vec<u8>,
    /// Requests held for a person's decision: neither forwarded nor answered yet.
    pub held: Vec<Held>,
    /// Held requests the client cancelled: nobody needs their decision any more.
    pub withdrawn: Vec<IdKey>,
}

/// A client request held for a person's decision (a rule with `action: ask`). Other traffic goes
/// on meanwhile; [`Session::release`] forwards or answers it once decided.
#[derive(Debug, PartialEq, Eq)]
pub struct Held {
    pub id: IdKey,
    /// The bytes to forward when allowed: the original request.
    pub bytes: Vec<u8>,
    pub target: Target,
    /// The rule that asked, and why.
    pub decision: Decision,
    /// What the person is asked about.
    pub call: HeldCall,
}

/// A held call as an approver needs it: to look up remembered decisions and to ask a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCall {
    pub server: String,
    /// [`ServerIdentity::key`]: remembered decisions belong to one server identity.
    pub server_key: String,
    /// The tool, prompt or resource URI called.
    pub tool: String,
    /// The call's arguments as the policy saw them, to match remembered patterns against.
    pub arguments: Option<Value>,
    /// The canonical call; its `arguments` text is redacted and bounded for display.
    pub canonical: CanonicalCall,
    pub options: AskOptions,
}

/// The longest argument text shown to a person; the hash covers all of it.
const SHOWN_ARGUMENTS: usize = 8 * 1024;

/// What became of a held request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Allowed by a person, or by the remembered decision with this id.
    Allowed {
        remembered: Option<i64>,
    },
    /// Denied by a person, or by the remembered decision with this id.
    Denied {
        remembered: Option<i64>,
    },
    TimedOut(std::time::Duration),
    /// No approval could be asked for (the daemon is down and could not be started).
    Unreachable(String),
}

/// What judging a line gave: one message's fate (its bytes are still the frame's), or the whole
/// outcome of a batch.
enum Judgement {
    One(Piece),
    Batch(Outcome),
}

/// What became of one message.
enum Piece {
    Forward,
    /// Forward these bytes instead (redacted, filtered or stripped by the guard).
    Rewrite(Vec<u8>),
    /// An answer for the sender (its request was blocked).
    Reply(Vec<u8>),
    /// An answer for the receiver in place of the message (a blocked or broken response).
    Substitute(Vec<u8>),
    /// Held for a person's decision.
    Hold(Box<Held>),
    Drop,
}

pub struct Session {
    policy: Arc<Policy>,
    server: String,
    monitor: bool,
    guard: Guard,
    /// Client requests forwarded to the server and not yet answered.
    client_requests: HashMap<IdKey, Target>,
    /// Server requests forwarded to the client and not yet answered.
    server_requests: HashMap<IdKey, Target>,
    recorder: Recorder,
    /// Hold `ask` requests for a person's decision instead of denying them (an approver is
    /// attached to the relay).
    hold_asks: bool,
    /// Requests held now: released once, answered if the session ends first.
    held: HashSet<IdKey>,
    /// Held requests cancelled by the client while judging the current frame.
    withdrawn: Vec<IdKey>,
    server_key: String,
}

impl Session {
    /// A session for the server `identity`; `pins` remembers definitions across sessions, and
    /// `audit` receives every decision.
    pub fn new(
        policy: Arc<Policy>,
        identity: ServerIdentity,
        monitor: bool,
        pins: Option<Box<dyn PinBook + Send>>,
        audit: Option<Arc<dyn AuditSink>>,
    ) -> Self {
        Self {
            server: identity.name.clone(),
            server_key: identity.key(),
            guard: Guard::new(policy.clone(), identity, pins),
            policy,
            monitor,
            client_requests: HashMap::new(),
            server_requests: HashMap::new(),
            recorder: Recorder::new(audit),
            hold_asks: false,
            held: HashSet::new(),
            withdrawn: Vec::new(),
        }
    }

    /// Holds requests that a rule asks about for a person's decision (see [`Held`]), instead of
    /// denying them for want of anyone to ask.
    pub fn hold_asks(&mut self) {
        self.hold_asks = true;
    }

    /// Forwards or answers a held request once decided. Nothing happens if the session already
    /// answered it (it ended meanwhile).
    pub fn release(&mut self, held: Held, approval: &Approval) -> Outcome {
        let mut outcome = Outcome::default();
        if !self.held.remove(&held.id) {
            return outcome;
        }
        self.recorder.begin_frame();
        self.recorder.released(&held, approval);
        if let Approval::Allowed { .. } = approval {
            push_line(&mut outcome.forward, &held.bytes);
            self.client_requests.insert(held.id, held.target);
        } else {
            let raw = RawValue::from_string(held.id.0.clone()).ok();
            let answer = refused_approval(raw.as_deref(), &held.decision, approval, &self.server);
            push_line(&mut outcome.reply, &answer);
        }
        self.recorder.end_frame();
        outcome
    }

    /// Judges one frame. A bug that panics while judging fails closed: the message is not
    /// forwarded, and a request is still answered.
    /// An allowed line is forwarded as the frame's own buffer, never copied.
    pub fn handle(&mut self, direction: Direction, frame: Frame) -> Outcome {
        self.recorder.begin_frame();
        let judged = std::panic::catch_unwind(AssertUnwindSafe(|| match &frame {
            Frame::Line(line) => self.handle_line(direction, line),
            Frame::Oversize(over) => Judgement::One(self.handle_oversize(direction, over)),
        }));
        let mut outcome = match (judged, frame) {
            (Ok(Judgement::One(piece)), Frame::Line(line)) => single(line, piece),
            (Ok(Judgement::One(piece)), Frame::Oversize(_)) => single(Vec::new(), piece),
            (Ok(Judgement::Batch(outcome)), _) => outcome,
            (Err(_), frame) => {
                // What was recorded for the frame before the panic did not happen as recorded.
                self.recorder.discard_frame();
                let bytes = match &frame {
                    Frame::Line(line) => line.as_slice(),
                    Frame::Oversize(_) => &[],
                };
                let why =
                    "portcullis: internal error while judging this message; it was not forwarded";
                let piece = self.reject(
                    direction,
                    sniff(bytes),
                    bytes.len(),
                    CODE_INTERNAL_ERROR,
                    why,
                );
                single(Vec::new(), piece)
            }
        };
        outcome.withdrawn = std::mem::take(&mut self.withdrawn);
        self.recorder.end_frame();
        outcome
    }

    /// Answers every client request still waiting, when the server is gone.
    pub fn abandon_client_requests(&mut self, why: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let message = format!(
            "portcullis: the MCP server {} {why} before answering",
            self.server
        );
        let held = self.held.drain().map(|id| (id, "held for approval".into()));
        let in_flight = self.client_requests.drain().map(|(id, t)| (id, t.method));
        for (id, method) in in_flight.chain(held).collect::<Vec<(IdKey, String)>>() {
            tracing::warn!(server = %self.server, id = %id.0, %method, "{message}");
            let raw = RawValue::from_string(id.0).ok();
            push_line(
                &mut out,
                &error_response(raw.as_deref(), CODE_SERVER_GONE, &message, None),
            );
        }
        out
    }

    fn handle_line(&mut self, direction: Direction, line: &[u8]) -> Judgement {
        let value = match parse_strict(line, DEFAULT_MAX_DEPTH) {
            Ok(v) => v,
            Err(e) => {
                let piece = self.reject(
                    direction,
                    sniff(line),
                    line.len(),
                    CODE_PARSE_ERROR,
                    &rejection(&e),
                );
                return Judgement::One(piece);
            }
        };
        match value {
            Value::Array(items) => Judgement::Batch(self.handle_batch(direction, line, items)),
            value => Judgement::One(self.judge(direction, line, value)),
        }
    }

    fn handle_batch(&mut self, direction: Direction, line: &[u8], items: Vec<Value>) -> Outcome {
        let raws: Vec<&RawValue> = match serde_json::from_slice(line) {
            Ok(raws) => raws,
            Err(e) => {
                let why = format!("portcullis: rejected batch: {e}");
                let piece = self.reject(
                    direction,
                    Sniffed::default(),
                    line.len(),
                    CODE_PARSE_ERROR,
                    &why,
                );
                return single(Vec::new(), piece); // a refusal: nothing of the batch is forwarded
            }
        };
        if items.is_empty() {
            let why = "portcullis: rejected an empty batch";
            let piece = self.reject(
                direction,
                Sniffed {
                    id: None,
                    has_method: true,
                },
                line.len(),
                CODE_INVALID_REQUEST,
                why,
            );
            return single(Vec::new(), piece); // a refusal: nothing of the batch is forwarded
        }
        let mut forwarded: Vec<Cow<'_, [u8]>> = Vec::new();
        let mut replies: Vec<Vec<u8>> = Vec::new();
        let mut held_here = Vec::new();
        let mut untouched = true;
        for (raw, value) in raws.iter().zip(items) {
            match self.judge(direction, raw.get().as_bytes(), value) {
                Piece::Forward => forwarded.push(Cow::Borrowed(raw.get().as_bytes())),
                Piece::Rewrite(bytes) => {
                    untouched = false;
                    forwarded.push(Cow::Owned(bytes));
                }
                Piece::Reply(r) => {
                    untouched = false;
                    replies.push(r);
                }
                Piece::Substitute(s) => {
                    untouched = false;
                    forwarded.push(Cow::Owned(s));
                }
                Piece::Hold(held) => {
                    untouched = false;
                    held_here.push(*held);
                }
                Piece::Drop => untouched = false,
            }
        }
        let mut outcome = Outcome::default();
        if untouched {
            push_line(&mut outcome.forward, line);
        } else if !forwarded.is_empty() {
            push_line(&mut outcome.forward, &join_array(&forwarded));
        }
        if !replies.is_empty() {
            push_line(&mut outcome.reply, &join_array(&replies));
        }
        outcome.held = held_here;
        outcome
    }

    /// Judges one message (a line, or one element of a batch).
    fn judge(&mut self, direction: Direction, raw: &[u8], value: Value) -> Piece {
        let mut message = match Message::from_value(value) {
            Ok(m) => m,
            Err(e) => {
                let why = format!("portcullis: rejected a message that is not JSON-RPC: {e}");
                return self.reject(direction, sniff(raw), raw.len(), CODE_INVALID_REQUEST, &why);
            }
        };
        let target = match message.kind {
            Kind::Request | Kind::Notification => Target::of(
                message.method.as_deref().unwrap_or_default(),
                message.params(),
            ),
            Kind::Response | Kind::Error => {
                let answered = message
                    .id
                    .as_ref()
                    .and_then(|id| self.answered_by(direction).remove(id));
                match answered {
                    Some(target) => target,
                    // Nobody waits for it, and without its request it cannot be judged as what
                    // it claims to be (a forged `"1"` for `1` would pass as an unknown answer).
                    None => {
                        let why = "dropped a response that answers no request in flight";
                        let id = message.id.as_ref().map(|id| id.0.clone());
                        tracing::warn!(
                            server = %self.server, direction = direction.name(),
                            id = id.as_deref().unwrap_or("null"), "{why}"
                        );
                        let sniffed = Sniffed {
                            id,
                            has_method: false,
                        };
                        self.recorder.refused(direction, &sniffed, raw.len(), why);
                        return Piece::Drop;
                    }
                }
            }
        };
        let view = View {
            direction,
            kind: message.kind,
            server: &self.server,
            target: &target,
            payload: message.payload(),
        };
        let decision = self.policy.evaluate(&view);
        self.log(&view, &decision);
        let mut rewritten = None;
        let mut withheld = None;
        let ask = self.hold_asks
            && !self.monitor
            && direction == Direction::ToServer
            && message.kind == Kind::Request
            && message.id.is_some()
            && decision.action == Action::Ask;
        // A call that may be held is screened now: a person must never be asked about a call
        // the screening refuses (a quarantined tool).
        if decision.action.passes() || self.monitor || ask {
            match self.guard.screen(direction, &message, &target, raw) {
                Change::Keep => {}
                Change::Rewrite(bytes) => rewritten = Some(bytes),
                Change::Withhold(refusal) => {
                    self.log(&view, &refusal);
                    withheld = Some(refusal);
                }
            }
        }
        if direction == Direction::ToServer {
            self.recorder.note_client(&message);
            if let Some(id) = self.cancelled_hold(&message) {
                self.withdrawn.push(id);
            }
        }
        let call = (ask && withheld.is_none())
            .then(|| self.held_call(&target, message.payload(), &decision));
        // What blocks the message: the rules, else the screening.
        let blocked = match decision.action.passes() {
            false => Some(&decision),
            true => withheld.as_ref(),
        };
        let judged = Judged {
            direction,
            target: &target,
            bytes: raw.len(),
            decision: &decision,
            blocked,
            rewritten: rewritten.is_some(),
            monitor: self.monitor,
            held: call.is_some(),
            report: self.guard.take_report(),
        };
        self.recorder.judged(&mut message, judged);
        if let Some(call) = call
            && let Some(id) = message.id.take()
        {
            self.held.insert(id.clone());
            return Piece::Hold(Box::new(Held {
                id,
                bytes: rewritten.unwrap_or_else(|| raw.to_vec()),
                target,
                decision,
                call,
            }));
        }
        let decision = match blocked {
            Some(decision) if !self.monitor => decision,
            _ => {
                if message.kind == Kind::Request
                    && let Some(id) = message.id
                {
                    self.sent(direction).insert(id, target);
                }
                return match rewritten {
                    Some(bytes) if !self.monitor => Piece::Rewrite(bytes),
                    _ => Piece::Forward,
                };
            }
        };
        let answer = || blocked_response(raw_id(raw).as_deref(), decision, &self.server);
        match message.kind {
            Kind::Request => Piece::Reply(answer()),
            Kind::Response | Kind::Error => Piece::Substitute(answer()),
            Kind::Notification => Piece::Drop,
        }
    }

    fn handle_oversize(&mut self, direction: Direction, over: &Oversize) -> Piece {
        let why = format!(
            "portcullis: rejected a message of {} bytes, over the {}-byte limit (max_message_bytes)",
            over.size, self.policy.max_message_bytes
        );
        self.reject(
            direction,
            over.sniffed.clone(),
            over.size,
            CODE_TOO_LARGE,
            &why,
        )
    }

    /// Refuses a message that could not be judged: fail closed, but never leave a request hanging.
    fn reject(
        &mut self,
        direction: Direction,
        sniffed: Sniffed,
        bytes: usize,
        code: i64,
        why: &str,
    ) -> Piece {
        tracing::warn!(server = %self.server, direction = direction.name(), "{why}");
        self.recorder.refused(direction, &sniffed, bytes, why);
        let Some(id_text) = sniffed.id else {
            // Without an id nobody is waiting for an answer, except a parse error from the client,
            // which JSON-RPC answers with a null id.
            return match (direction, sniffed.has_method) {
                (Direction::ToServer, _) if code == CODE_PARSE_ERROR => {
                    Piece::Reply(error_response(None, code, why, None))
                }
                _ => Piece::Drop,
            };
        };
        let id = sniffed_id(&id_text);
        if sniffed.has_method {
            return Piece::Reply(error_response(id.as_deref(), code, why, None));
        }
        // A broken response: answer the request it was meant for, so the receiver does not hang.
        if self
            .answered_by(direction)
            .remove(&IdKey(id_text))
            .is_some()
        {
            return Piece::Substitute(error_response(id.as_deref(), code, why, None));
        }
        Piece::Drop
    }

    /// Requests travelling in `direction` that wait for an answer.
    fn sent(&mut self, direction: Direction) -> &mut HashMap<IdKey, Target> {
        match direction {
            Direction::ToServer => &mut self.client_requests,
            Direction::ToClient => &mut self.server_requests,
        }
    }

    /// The requests a response travelling in `direction` answers: those sent the other way.
    fn answered_by(&mut self, direction: Direction) -> &mut HashMap<IdKey, Target> {
        match direction {
            Direction::ToServer => self.sent(Direction::ToClient),
            Direction::ToClient => self.sent(Direction::ToServer),
        }
    }

    fn log(&self, view: &View<'_>, decision: &Decision) {
        let what = view.target;
        let rule = decision.rule.as_deref().unwrap_or("default");
        let direction = view.direction.name();
        match decision.action {
            Action::Allow => {
                tracing::debug!(server = %self.server, direction, rule, "allow {what}")
            }
            Action::Log => tracing::info!(
                server = %self.server, direction, rule, "log {what}: {}", decision.explain()
            ),
            Action::Ask | Action::Deny if self.monitor => tracing::warn!(
                server = %self.server, direction, rule,
                "monitor: would {} {what}: {}", decision.action.name(), decision.explain()
            ),
            Action::Ask | Action::Deny => tracing::warn!(
                server = %self.server, direction, rule,
                "{} {what}: {}", decision.action.name(), decision.explain()
            ),
        }
    }
}

fn sniff(bytes: &[u8]) -> Sniffed {
    let mut sniffer = IdSniffer::default();
    sniffer.feed(bytes);
    sniffer.finish()
}

fn rejection(e: &JsonError) -> String {
    format!("portcullis: rejected a message that is not acceptable JSON: {e}")
}

/// The outcome of a line holding one message; `line` is its bytes, forwarded when allowed.
fn single(line: Vec<u8>, piece: Piece) -> Outcome {
    let mut outcome = Outcome::default();
    match piece {
        Piece::Forward => outcome.forward = terminated(line),
        Piece::Rewrite(bytes) | Piece::Substitute(bytes) => outcome.forward = terminated(bytes),
        Piece::Reply(r) => outcome.reply = terminated(r),
        Piece::Hold(held) => outcome.held.push(*held),
        Piece::Drop => {}
    }
    outcome
}

/// `bytes` as a line: a large message keeps its buffer (the framer leaves room for the newline).
fn terminated(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.push(b'\n');
    bytes
}

impl Session {
    /// The held request a client's `notifications/cancelled` names, no longer held: it will not
    /// be answered (the client gave up on it) nor forwarded.
    fn cancelled_hold(&mut self, message: &Message) -> Option<IdKey> {
        if message.kind != Kind::Notification
            || message.method.as_deref() != Some("notifications/cancelled")
        {
            return None;
        }
        let id = IdKey(message.params()?.get("requestId")?.to_string());
        self.held.remove(&id).then_some(id)
    }

    fn held_call(
        &self,
        target: &Target,
        arguments: Option<&Value>,
        decision: &Decision,
    ) -> HeldCall {
        // What is called: its tool, prompt or resource URI, else its method.
        let tool = target.name().unwrap_or(&target.method).to_owned();
        let mut canonical = self.policy.canonical_call(&tool, arguments);
        let mut shown = redact_untagged(None, &canonical.arguments).into_owned();
        if shown.len() > SHOWN_ARGUMENTS {
            shown.truncate(floor_boundary(&shown, SHOWN_ARGUMENTS));
            shown.push('…');
        }
        canonical.arguments = shown;
        HeldCall {
            server: self.server.clone(),
            server_key: self.server_key.clone(),
            tool,
            arguments: arguments.cloned(),
            canonical,
            options: decision.ask,
        }
    }
}

/// The answer to a held request that was not allowed.
fn refused_approval(
    id: Option<&RawValue>,
    decision: &Decision,
    approval: &Approval,
    server: &str,
) -> Vec<u8> {
    let rule = decision.rule.as_deref().unwrap_or("default");
    let (code, why) = match approval {
        Approval::Allowed { .. } => unreachable!("an allowed request is forwarded"),
        Approval::Denied { remembered: None } => (CODE_DENIED, "a person denied it".to_owned()),
        Approval::Denied {
            remembered: Some(id),
        } => (
            CODE_DENIED,
            format!("a person chose to always deny it (remembered decision #{id})"),
        ),
        Approval::TimedOut(after) => (
            CODE_APPROVAL_REQUIRED,
            format!("nobody approved it within {} s", after.as_secs()),
        ),
        Approval::Unreachable(why) => (
            CODE_APPROVAL_REQUIRED,
            format!(
                "no approval could be asked for ({why}); start the approval daemon with `portcullis daemon`"
            ),
        ),
    };
    let message = format!(
        "portcullis: blocked by rule {rule}: {}; this rule asks for a person's approval, and {why}",
        decision.explain()
    );
    let data = serde_json::json!({
        "rule": rule,
        "reason": decision.reason,
        "action": "ask",
        "evidence": decision.evidence,
        "server": server,
    });
    error_response(id, code, &message, Some(data))
}

fn push_line(out: &mut Vec<u8>, line: &[u8]) {
    out.extend_from_slice(line);
    out.push(b'\n');
}

fn join_array<T: AsRef<[u8]>>(items: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.iter().map(|i| i.as_ref().len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.as_ref());
    }
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::testing::{identity, policy};

    const ASK: &str = "rules:\n  - name: confirm-writes\n    action: ask\n    tool: write_file\n";

    fn session(holding: bool) -> Session {
        let mut session = Session::new(policy(ASK), identity(), false, None, None);
        if holding {
            session.hold_asks();
        }
        session
    }

    fn call(id: u32, tool: &str) -> Vec<u8> {
        let args = json!({"path": "notes.md"});
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": args}})
        .to_string()
        .into_bytes()
    }

    fn send(session: &mut Session, direction: Direction, line: Vec<u8>) -> Outcome {
        session.handle(direction, Frame::Line(line))
    }

    fn error_of(reply: &[u8]) -> Value {
        let answer: Value = serde_json::from_slice(reply).unwrap();
        answer["error"].clone()
    }

    #[test]
    fn a_held_call_waits_while_other_traffic_flows_and_is_forwarded_once_allowed() {
        let mut session = session(true);
        let outcome = send(&mut session, Direction::ToServer, call(1, "write_file"));
        assert!(outcome.forward.is_empty() && outcome.reply.is_empty());
        assert_eq!(outcome.held.len(), 1);
        let other = send(&mut session, Direction::ToServer, call(2, "read_file"));
        assert_eq!(
            other.forward,
            [call(2, "read_file"), b"\n".to_vec()].concat()
        );
        let held = outcome.held.into_iter().next().unwrap();
        assert_eq!(held.decision.rule.as_deref(), Some("confirm-writes"));
        let released = session.release(held, &Approval::Allowed { remembered: None });
        assert_eq!(
            released.forward,
            [call(1, "write_file"), b"\n".to_vec()].concat()
        );
        // Its answer is expected now, like any forwarded request's.
        let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {"content": []}}).to_string();
        let back = send(
            &mut session,
            Direction::ToClient,
            answer.clone().into_bytes(),
        );
        assert_eq!(back.forward, format!("{answer}\n").into_bytes());
    }

    #[test]
    fn a_held_call_not_allowed_is_answered_with_why() {
        let cases = [
            (
                Approval::Denied { remembered: None },
                -32090,
                "a person denied it",
            ),
            (
                Approval::TimedOut(Duration::from_secs(25)),
                -32091,
                "nobody approved it within 25 s",
            ),
            (
                Approval::Unreachable("the daemon did not start".into()),
                -32091,
                "start the approval daemon with `portcullis daemon`",
            ),
        ];
        for (approval, code, words) in cases {
            let mut session = session(true);
            let held = send(&mut session, Direction::ToServer, call(7, "write_file")).held;
            let released = session.release(held.into_iter().next().unwrap(), &approval);
            assert!(released.forward.is_empty());
            let error = error_of(released.reply.strip_suffix(b"\n").unwrap());
            assert_eq!(error["code"], code, "{error}");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains(words), "{message}");
            assert_eq!(error["data"]["rule"], "confirm-writes");
        }
    }

    #[test]
    fn a_held_call_the_client_cancels_is_withdrawn_and_never_answered() {
        let mut session = session(true);
        let held = send(&mut session, Direction::ToServer, call(4, "write_file")).held;
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 4, "reason": "user gave up"}});
        let outcome = send(
            &mut session,
            Direction::ToServer,
            cancel.to_string().into_bytes(),
        );
        assert_eq!(outcome.withdrawn, [IdKey("4".into())]);
        let late = session.release(
            held.into_iter().next().unwrap(),
            &Approval::Allowed { remembered: None },
        );
        assert!(late.forward.is_empty() && late.reply.is_empty());
        // Cancelling something not held withdraws nothing.
        let other = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 9}});
        let outcome = send(
            &mut session,
            Direction::ToServer,
            other.to_string().into_bytes(),
        );
        assert!(outcome.withdrawn.is_empty());
    }

    #[test]
    fn without_an_approver_an_ask_is_denied_at_once() {
        let mut session = session(false);
        let outcome = send(&mut session, Direction::ToServer, call(1, "write_file"));
        assert!(outcome.held.is_empty());
        let error = error_of(outcome.reply.strip_suffix(b"\n").unwrap());
        assert_eq!(error["code"], -32091);
    }
}
