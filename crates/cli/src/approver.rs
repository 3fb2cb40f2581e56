//! The wrapper's approver: remembered decisions first, then a person through the daemon (started
//! when none runs). Any failure denies: a call a rule asks about never passes unasked.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use portcullis_core::message::{Direction, Kind, View};
use portcullis_core::policy::{Always, Policy};
use portcullis_daemon::client::{self, ClientError};
use portcullis_daemon::protocol::{Ask, Decision, Request, Response, line};
use portcullis_relay::session::{Approval, Held};
use portcullis_relay::{Approver, Pending};
use portcullis_store::decisions::{DecisionStore, Verdict};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// How much longer than the ask's own timeout the wrapper waits for the daemon to answer.
const GRACE: Duration = Duration::from_secs(5);

pub struct DaemonApprover {
    pub state_dir: PathBuf,
    /// This binary, to start the daemon.
    pub exe: PathBuf,
    pub policy: Arc<Policy>,
}

impl Approver for DaemonApprover {
    fn approve(&self, id: String, held: &Held) -> Pending {
        let ask = ask(id, held);
        let remembered = self.remembered(held);
        let (state_dir, exe) = (self.state_dir.clone(), self.exe.clone());
        Box::pin(async move {
            if let Some(approval) = remembered {
                return approval;
            }
            ask_a_person(state_dir, exe, ask).await
        })
    }
}

impl DaemonApprover {
    /// A remembered decision covering the call: denies before allows, exact before patterns
    /// within each. A store that cannot be read remembers nothing (the person is asked). What the
    /// rule's `always` allows now is what counts: a rule tightened since a decision was saved
    /// no longer honours it.
    fn remembered(&self, held: &Held) -> Option<Approval> {
        let call = &held.call;
        if call.options.always == Always::Never {
            return None;
        }
        let lookup = DecisionStore::open(&self.state_dir)
            .and_then(|store| store.lookup(&call.server_key, &call.tool, &call.canonical.hash))
            .inspect_err(|e| tracing::warn!("cannot read remembered decisions: {e}"))
            .ok()?;
        let view = View {
            direction: Direction::ToServer,
            kind: Kind::Request,
            server: &call.server,
            target: &held.target,
            payload: call.arguments.as_ref(),
        };
        let patterns_allowed = call.options.always == Always::Pattern;
        let matching = lookup
            .patterns
            .iter()
            .filter(|_| patterns_allowed)
            .filter(|r| {
                let portcullis_store::decisions::Scope::Pattern(text) = &r.decision.scope else {
                    return false;
                };
                match self.policy.compile_pattern(&call.tool, text) {
                    Ok(pattern) => self.policy.pattern_matches(&pattern, &view),
                    Err(e) => {
                        tracing::warn!("remembered decision #{} is not a valid pattern: {e}", r.id);
                        false
                    }
                }
            });
        let patterns: Vec<(i64, Verdict)> = matching.map(|r| (r.id, r.decision.verdict)).collect();
        let exact = lookup.exact.into_iter();
        let all: Vec<(i64, Verdict)> = exact.chain(patterns).collect();
        let found = all
            .iter()
            .find(|(_, v)| *v == Verdict::Deny)
            .or_else(|| all.first())?;
        Some(match found {
            (id, Verdict::Deny) => Approval::Denied {
                remembered: Some(*id),
            },
            (id, Verdict::Allow) => Approval::Allowed {
                remembered: Some(*id),
            },
        })
    }
}

/// What the daemon shows a person.
fn ask(id: String, held: &Held) -> Ask {
    let call = &held.call;
    Ask {
        id,
        server: call.server.clone(),
        server_key: call.server_key.clone(),
        method: held.target.method.clone(),
        tool: call.tool.clone(),
        evidence: held
            .decision
            .evidence
            .iter()
            .chain(&call.canonical.resolved)
            .cloned()
            .collect(),
        arguments: call.canonical.arguments.clone(),
        args_hash: call.canonical.hash.clone(),
        rule: held
            .decision
            .rule
            .clone()
            .unwrap_or_else(|| "default".into()),
        reason: held.decision.reason.to_string(),
        timeout_ms: call.options.timeout.as_millis() as u64,
        always: call.options.always,
        suggested_pattern: Some(call.canonical.suggested_pattern.clone()),
    }
}

/// Asks the daemon, starting it if needed. The connection is async so that dropping this future
/// (the client cancelled the call) closes it, and the daemon withdraws the ask.
async fn ask_a_person(state_dir: PathBuf, exe: PathBuf, ask: Ask) -> Approval {
    let timeout = Duration::from_millis(ask.timeout_ms);
    // The relay's answer already says how to start the daemon.
    let unreachable = |e: ClientError| Approval::Unreachable(e.to_string());
    let connected =
        tokio::task::spawn_blocking(move || client::connect_or_start(&state_dir, &exe)).await;
    let stream = match connected {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return unreachable(e),
        Err(e) => return Approval::Unreachable(format!("internal error: {e}")),
    };
    let answer = async {
        stream.set_nonblocking(true)?;
        let mut stream = tokio::net::UnixStream::from_std(stream)?;
        stream
            .write_all(&line(&Request::Ask(Box::new(ask))))
            .await?;
        let mut text = String::new();
        let mut reader = BufReader::new(stream).take(client::MAX_LINE as u64);
        reader.read_line(&mut text).await?;
        Ok::<_, std::io::Error>(text)
    };
    let text = match tokio::time::timeout(timeout + GRACE, answer).await {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => return unreachable(e.into()),
        Err(_) => {
            let why = "the daemon did not answer in time".to_owned();
            return unreachable(ClientError::Protocol(why));
        }
    };
    if text.is_empty() {
        let why = "the daemon stopped before anyone decided".to_owned();
        return unreachable(ClientError::Protocol(why));
    }
    match serde_json::from_str::<Response>(text.trim_end()) {
        Ok(Response::Decided { decision, .. }) => match decision {
            Decision::Allow => Approval::Allowed { remembered: None },
            Decision::Deny => Approval::Denied { remembered: None },
        },
        Ok(Response::TimedOut { .. }) => Approval::TimedOut(timeout),
        Ok(Response::Error { message }) => unreachable(ClientError::Protocol(message)),
        Ok(other) => unreachable(ClientError::Protocol(format!("{other:?}"))),
        Err(e) => unreachable(ClientError::Protocol(e.to_string())),
    }
}
