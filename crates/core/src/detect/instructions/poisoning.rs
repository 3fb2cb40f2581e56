//! Poisoned definitions: tools, prompts and resource templates whose text carries instructions
//! the user does not see and the model obeys.
//!
//! [`inspect_definition`] reads every string the model reads (see [`fields`](super::fields)) and
//! reports findings, each [`Strength::Strong`] or [`Strength::Weak`]:
//!
//! | category | strong | weak |
//! |---|---|---|
//! | hidden-marker | `<IMPORTANT>`, `<SYSTEM>`, `{{SYSTEM}}`, chat-template tokens, fake turns | `**REQUIRED**`-style shouting, an HTML comment, a note "to the AI" |
//! | concealment | always ("do not tell the user", "act as if it worked") | |
//! | credential-request | the conversation, a file's contents or a secret asked for in a field, or sent out | "pass everything it returns as …" |
//! | sensitive-file | read, pass or open a sensitive file (`~/.ssh`, `.env`, `mcp.json`, …) | a mere mention (`keyPath`, e.g. `~/.ssh/id_ed25519`) |
//! | shadowing | an override ("from now on you …", "ignore previous instructions"); "the X tool must …"; "when X is used / before using X / instead of X" with imperative wording (always, must, never, make sure, …) | the same directive without imperative wording |
//! | precondition | | "before using this tool, read/call …", "you must call X first" |
//! | invisible-text | tag characters, bidi controls, zero-width characters | one zero-width character at either end of a field (a stray byte-order mark) |
//! | terminal-escape | ANSI escapes, other control characters | |
//! | abnormal-length | | a field over [`ABNORMAL_CHARS`] characters |
//!
//! **Scoring rule**: a definition is poisoned when it has a strong finding, or weak findings of two
//! different categories (a precondition in a 10,000-character description; a precondition that
//! relays another tool's output). Benign descriptions do say "call resolve-library-id first" or
//! "use browser_snapshot instead", so neither a precondition nor a plain mention of another tool
//! counts alone, and a bare mention of a name in `other_tool_names` is no finding at all: callers
//! pass the other tools of the same server, which a description may name freely. The names only
//! help recognise a tool written as a plain word (`fetch`) as the subject of a directive.
//!
//! The length threshold comes from the corpus: the longest benign description there (the
//! sequential-thinking tool's) is under 3,000 characters.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::fields::{Field, fields};
use super::folded::Folded;
use super::phrases::{Hit, Matcher, Signal};
use super::{excerpt, sentence};
use crate::detect::hidden::HiddenKind;

pub use super::sanitize::sanitize_text;

/// Longest field, in characters, before its length counts as a (weak) signal.
pub const ABNORMAL_CHARS: usize = 8000;

/// What kind of poisoning a finding shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoisonCategory {
    HiddenMarker,
    Concealment,
    Precondition,
    CredentialRequest,
    SensitiveFile,
    Shadowing,
    InvisibleText,
    TerminalEscape,
    AbnormalLength,
}

impl PoisonCategory {
    /// Every category, in declaration order.
    pub const ALL: [PoisonCategory; 9] = [
        PoisonCategory::HiddenMarker,
        PoisonCategory::Concealment,
        PoisonCategory::Precondition,
        PoisonCategory::CredentialRequest,
        PoisonCategory::SensitiveFile,
        PoisonCategory::Shadowing,
        PoisonCategory::InvisibleText,
        PoisonCategory::TerminalEscape,
        PoisonCategory::AbnormalLength,
    ];

    /// The kebab-case name used in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            PoisonCategory::HiddenMarker => "hidden-marker",
            PoisonCategory::Concealment => "concealment",
            PoisonCategory::Precondition => "precondition",
            PoisonCategory::CredentialRequest => "credential-request",
            PoisonCategory::SensitiveFile => "sensitive-file",
            PoisonCategory::Shadowing => "shadowing",
            PoisonCategory::InvisibleText => "invisible-text",
            PoisonCategory::TerminalEscape => "terminal-escape",
            PoisonCategory::AbnormalLength => "abnormal-length",
        }
    }

    /// The category whose [`name`](Self::name) is `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s)
    }

    /// A noun phrase for messages: "the definition contains {describe}".
    pub fn describe(self) -> &'static str {
        match self {
            PoisonCategory::HiddenMarker => "a hidden-instruction marker",
            PoisonCategory::Concealment => "instructions to hide actions from the user",
            PoisonCategory::Precondition => "a precondition that orders other reads or calls",
            PoisonCategory::CredentialRequest => {
                "a request for credentials, files or the conversation"
            }
            PoisonCategory::SensitiveFile => "a reference to a sensitive file",
            PoisonCategory::Shadowing => "instructions about other tools or the model's behaviour",
            PoisonCategory::InvisibleText => "invisible characters",
            PoisonCategory::TerminalEscape => "terminal escape sequences or control characters",
            PoisonCategory::AbnormalLength => "an abnormally long text",
        }
    }
}

/// How much a finding says alone (see the scoring rule in the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strength {
    Weak,
    Strong,
}

/// One sign of poisoning in one string of a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonFinding {
    pub category: PoisonCategory,
    pub strength: Strength,
    /// JSON pointer to the string, e.g. `/description` or
    /// `/inputSchema/properties/debug/description`; for a property name, the pointer of the
    /// property it names.
    pub field: String,
    /// Byte offset of the finding in the field's string.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// A short excerpt a person can read, invisible characters written out.
    pub evidence: String,
}

/// Everything [`inspect_definition`] found in a definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoisonReport {
    pub findings: Vec<PoisonFinding>,
}

impl PoisonReport {
    /// Whether the definition is poisoned: a strong finding, or weak findings of two categories.
    pub fn is_poisoned(&self) -> bool {
        let mut weak: Vec<PoisonCategory> = Vec::new();
        for finding in &self.findings {
            if finding.strength == Strength::Strong {
                return true;
            }
            if !weak.contains(&finding.category) {
                weak.push(finding.category);
            }
        }
        weak.len() >= 2
    }

    /// One line a person understands: each kind of finding once per field, strong ones first,
    /// e.g. `a hidden-instruction marker in /description ("<IMPORTANT>"); instructions to hide
    /// actions from the user in /description ("Do not mention that …")`.
    pub fn summary(&self) -> String {
        const SHOWN: usize = 5;
        let mut order: Vec<&PoisonFinding> = self.findings.iter().collect();
        order.sort_by_key(|f| std::cmp::Reverse(f.strength));
        let mut seen: Vec<(PoisonCategory, &str)> = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for finding in order {
            if seen.contains(&(finding.category, finding.field.as_str())) {
                continue;
            }
            seen.push((finding.category, &finding.field));
            let weak = if finding.strength == Strength::Weak {
                ", weak"
            } else {
                ""
            };
            let evidence = short(&finding.evidence);
            parts.push(format!(
                "{} in {} ({evidence:?}{weak})",
                finding.category.describe(),
                finding.field,
            ));
        }
        if parts.is_empty() {
            return "no sign of poisoning".to_string();
        }
        let more = parts.len().saturating_sub(SHOWN);
        parts.truncate(SHOWN);
        let mut line = parts.join("; ");
        if more > 0 {
            line.push_str(&format!("; and {more} more"));
        }
        line
    }
}

/// `evidence` cut to a length that fits in a one-line summary.
fn short(evidence: &str) -> String {
    const CHARS: usize = 60;
    match evidence.char_indices().nth(CHARS) {
        Some((cut, _)) => format!("{}…", &evidence[..cut]),
        None => evidence.to_string(),
    }
}

/// Every sign of poisoning in `definition` (a tool, prompt or resource template as listed).
/// `other_tool_names` are the names of the other tools the client sees; they let a directive
/// about a tool with a plain-word name (`fetch`) count as one.
pub fn inspect_definition(definition: &Value, other_tool_names: &[&str]) -> PoisonReport {
    let context = Context {
        own_name: definition.get("name").and_then(Value::as_str),
        other_tool_names,
    };
    let mut findings = Vec::new();
    for field in fields(definition) {
        inspect_field(&field, &context, &mut findings);
    }
    PoisonReport { findings }
}

/// What a field is judged against.
struct Context<'a> {
    own_name: Option<&'a str>,
    other_tool_names: &'a [&'a str],
}

/// The phrases definitions are searched for: all of them.
static MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(|_| true));

/// Appends the findings of one field.
fn inspect_field(field: &Field<'_>, context: &Context<'_>, findings: &mut Vec<PoisonFinding>) {
    let text = field.text;
    // A property name reads as words once its separators are spaces (`include_the_users_messages`);
    // each separator is one ASCII byte, so offsets stay those of the name.
    let words = if field.is_name {
        Cow::Owned(text.replace(['_', '-', '.'], " "))
    } else {
        Cow::Borrowed(text)
    };
    let folded = Folded::new(&words);
    let mut found: Vec<(PoisonCategory, Strength, Range<usize>)> = folded
        .hidden()
        .iter()
        .map(|span| hidden_finding(text, span.kind, span.start..span.end))
        .collect();
    for hit in MATCHER.find(folded.text()) {
        if let Some((category, strength)) = judge(&hit, folded.text(), context) {
            found.push((category, strength, folded.original(hit.span)));
        }
    }
    let chars = text.chars().count();
    if chars > ABNORMAL_CHARS {
        found.push((
            PoisonCategory::AbnormalLength,
            Strength::Weak,
            0..text.len(),
        ));
    }
    found.sort_by_key(|(category, _, range)| (*category, range.start));
    let first = findings.len();
    for (category, strength, range) in found {
        let merged = findings[first..]
            .iter_mut()
            .rev()
            .find(|f| f.category == category)
            .filter(|f| f.end > range.start);
        if let Some(finding) = merged {
            finding.end = finding.end.max(range.end);
            finding.strength = finding.strength.max(strength);
            continue;
        }
        let evidence = match category {
            PoisonCategory::AbnormalLength => format!("{chars} characters"),
            _ => excerpt(text, range.clone()),
        };
        findings.push(PoisonFinding {
            category,
            strength,
            field: field.pointer.clone(),
            start: range.start,
            end: range.end,
            evidence,
        });
    }
}

/// The finding for a stretch of hidden text of `kind` at `range` of `text`.
fn hidden_finding(
    text: &str,
    kind: HiddenKind,
    range: Range<usize>,
) -> (PoisonCategory, Strength, Range<usize>) {
    let category = match kind {
        HiddenKind::TagCharacter | HiddenKind::ZeroWidth | HiddenKind::BidiControl => {
            PoisonCategory::InvisibleText
        }
        HiddenKind::AnsiEscape | HiddenKind::OtherControl => PoisonCategory::TerminalEscape,
    };
    let stray = kind == HiddenKind::ZeroWidth
        && text[range.clone()].chars().count() == 1
        && (range.start == 0 || range.end == text.len());
    let strength = if stray {
        Strength::Weak
    } else {
        Strength::Strong
    };
    (category, strength, range)
}

/// The category and strength of a phrase hit in the folded text `text`, or `None` when the hit
/// does not count (a directive about this very tool, or about something that is no tool).
fn judge(hit: &Hit, text: &str, context: &Context<'_>) -> Option<(PoisonCategory, Strength)> {
    use PoisonCategory as C;
    use Strength::{Strong, Weak};
    let judged = match hit.signal {
        Signal::Marker | Signal::FakeTurn => (C::HiddenMarker, Strong),
        Signal::Addressed | Signal::Shouting | Signal::HtmlComment => (C::HiddenMarker, Weak),
        Signal::Override => (C::Shadowing, Strong),
        Signal::Concealment => (C::Concealment, Strong),
        Signal::FakeError | Signal::Exfiltration | Signal::DataRequest => {
            (C::CredentialRequest, Strong)
        }
        Signal::DataRelay => (C::CredentialRequest, Weak),
        Signal::Precondition => (C::Precondition, Weak),
        Signal::ToolTakeover if is_other_tool(hit, text, context) => (C::Shadowing, Strong),
        Signal::ToolDirective if is_other_tool(hit, text, context) => {
            let sentence = &text[sentence(text, &hit.span)];
            let strength = if IMPERATIVE.is_match(sentence) {
                Strong
            } else {
                Weak
            };
            (C::Shadowing, strength)
        }
        Signal::SensitiveFile => {
            let before = &text[sentence(text, &hit.span).start..hit.span.start];
            let strength = if ACCESS.is_match(before) {
                Strong
            } else {
                Weak
            };
            (C::SensitiveFile, strength)
        }
        Signal::ToolTakeover | Signal::ToolDirective => return None,
    };
    Some(judged)
}

/// Words that make a directive about another tool an order.
static IMPERATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:always|must|never|make[\s*_]+sure|be[\s*_]+sure|required|otherwise|mandatory)\b",
    )
    .expect("valid")
});

/// An order to read or hand over what follows, at the end of a sentence's beginning: the verb
/// starts a clause ("To do so, read …", "first read …"), so "Credentials are read from …" and
/// "the server reads …" are no orders.
static ACCESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:^|[\n,;:(>]|\b(?:and|then|please|first|also|to|must|should|always|now|you|just|simply)\b)[\s*_]*",
        r"(?:read|open|cat|include|pass|send|attach|paste|upload|copy|fetch|load|print|dump|quote|get|grab|extract|provide|share|post|forward|add)\b"
    ))
    .expect("valid")
});

/// Whether the tool a directive is about is another tool: not this one, and a name rather than a
/// word ("before using this tool"): an identifier (`send_email`, `getUser`, `browser-click`), a
/// quoted word, one of `other_tool_names`, or a word followed by "tool".
fn is_other_tool(hit: &Hit, text: &str, context: &Context<'_>) -> bool {
    let Some(range) = hit.subject.clone() else {
        return false;
    };
    let subject = &text[range.clone()];
    if context
        .own_name
        .is_some_and(|own| own.eq_ignore_ascii_case(subject))
    {
        return false;
    }
    let identifier = subject.contains(['_', '-', '.'])
        || subject.chars().any(|c| c.is_ascii_digit())
        || subject
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    let quoted = text[..range.start].ends_with(['`', '\'', '"']);
    let known = context
        .other_tool_names
        .iter()
        .any(|name| name.eq_ignore_ascii_case(subject));
    let called_tool = text[range.end..]
        .trim_start_matches(['`', '\'', '"', ')'])
        .trim_start()
        .get(..4)
        .is_some_and(|next| next.eq_ignore_ascii_case("tool"));
    let pronoun = [
        "this", "that", "it", "the", "a", "any", "each", "every", "you", "user",
    ]
    .iter()
    .any(|word| word.eq_ignore_ascii_case(subject));
    !pronoun && (identifier || quoted || known || called_tool)
}

#[cfg(test)]
mod tests;
