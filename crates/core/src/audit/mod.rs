//! What the audit trail records about each decision, and how it is made safe to keep.
//!
//! The relay turns every judged message into an [`Event`] and hands it to an [`AuditSink`] (the
//! store's writer, off the relay's hot path). An event still holds the message's raw payload; the
//! writer passes every text through a [`Redactor`] and keeps only a [`summarize`]d form, so no
//! secret or personal data reaches the log in any form: a found value leaves only its type and a
//! keyed tag ([`Redactor::tag`]) that correlates repeats of the same value.

mod redact;
mod settings;
mod summary;

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::message::{Direction, Kind};

pub use crate::detect::key_block::KeyBlock;
pub use redact::{
    KEY_LEN, Leak, Redacted, Redactor, command_words, redact_command, redact_untagged,
};
pub use settings::{AuditSettings, Detail, JsonlSettings};
pub use summary::{PRIVATE_KEY_LINE, SUMMARY_MAX, shorten_redacted, summarize};

/// What Portcullis did with a message (or, for [`Verdict::Quarantine`], with a listed item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Forwarded untouched.
    Allow,
    /// Forwarded untouched, and a rule or detector asked for it to be noted.
    Log,
    /// Forwarded with a warning to the model in front (instructions found in a result).
    Warn,
    /// Forwarded with parts removed or replaced (secrets, hidden text, capabilities).
    Redact,
    /// Held for the user's decision; the outcome says what became of it.
    Ask,
    /// Refused: the sender got an error, or the message was dropped.
    Deny,
    /// A listed tool, prompt or template removed from the list and its calls denied.
    Quarantine,
}

impl Verdict {
    pub const ALL: [Verdict; 7] = [
        Verdict::Allow,
        Verdict::Log,
        Verdict::Warn,
        Verdict::Redact,
        Verdict::Ask,
        Verdict::Deny,
        Verdict::Quarantine,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Log => "log",
            Verdict::Warn => "warn",
            Verdict::Redact => "redact",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
            Verdict::Quarantine => "quarantine",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Records of this verdict are never dropped, however busy the writer is.
    pub fn must_keep(self) -> bool {
        matches!(self, Verdict::Ask | Verdict::Deny | Verdict::Quarantine)
    }
}

/// One decision, as the relay saw it. Text fields may hold anything the message held; the writer
/// redacts them before they are stored.
#[derive(Debug, Clone)]
pub struct Event {
    /// When the message was read.
    pub at: SystemTime,
    pub direction: Direction,
    pub kind: Kind,
    /// The method of a request or notification, or of the request a response answers.
    pub method: String,
    /// The tool, prompt or resource URI the message concerns.
    pub target: Option<String>,
    /// The JSON-RPC id as sent (`7`, `"abc"`).
    pub rpc_id: Option<String>,
    pub verdict: Verdict,
    /// What became of the message when the verdict alone does not say (`ask`, monitor mode).
    pub outcome: Option<String>,
    /// The rule or detector that decided; `None` for the default.
    pub rule: Option<String>,
    /// Borrowed when the policy's reason is static (the default's), so that the event of an
    /// ordinary allowed message costs no copy of it.
    pub reason: Cow<'static, str>,
    /// The canonical forms that matched (resolved paths, parsed commands, finding locations).
    pub evidence: Vec<String>,
    /// The message's size on the wire.
    pub bytes: u64,
    /// The time Portcullis spent on the message before forwarding or answering it.
    pub added: Duration,
    /// The client, from `initialize`'s `clientInfo` (`name version`), once known.
    pub client: Option<String>,
    /// The arguments, result or error as received, for the writer to summarize.
    pub payload: Option<Value>,
}

/// Where the relay sends its events. Recording must not block the relay: an implementation
/// queues and writes elsewhere.
pub trait AuditSink: Send + Sync {
    fn record(&self, event: Event);

    /// A line the server wrote to stderr (without its newline), for `audit.stderr`.
    fn stderr(&self, line: &[u8]) {
        let _ = line;
    }
}
