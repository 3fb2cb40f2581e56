//! The lists a server offers: tools, prompts, resources and resource templates.
//!
//! Each listed item is judged on three grounds:
//! 1. the policy: a tool or prompt every call to which would be denied, whatever the arguments,
//!    and a resource whose `resources/read` would be denied, are removed, so the model is not
//!    offered what it may not use;
//! 2. poisoning: hidden instructions, invisible text and the like in any text the model reads
//!    (quarantine, sanitize, log or off);
//! 3. pins: a definition that differs from the one first seen is held back until the user accepts
//!    it (see [`crate::pins`]).
//!
//! A removed item leaves the list with its separator; pagination (`nextCursor`) and every other
//! field are untouched. The relay remembers removed tools and prompts so calls to them are denied.

use serde_json::{Value, json};

use crate::detect::instructions::poisoning::{self, PoisonFinding, PoisonReport};
use crate::json::edit::Edits;
use crate::json::tree::Node;
use crate::message::{Direction, Kind, Target, View};
use crate::pins::{self, Definition, Hold, ItemKind, Pin, Trust};
use crate::policy::{Action, Decision, PoisoningAction, Policy};

/// Which list a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Tools,
    Prompts,
    Resources,
    ResourceTemplates,
}

impl ListKind {
    pub const ALL: [ListKind; 4] = [
        ListKind::Tools,
        ListKind::Prompts,
        ListKind::Resources,
        ListKind::ResourceTemplates,
    ];

    /// The list a request for `method` returns.
    pub fn of(method: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.method() == method)
    }

    /// The request that returns this list.
    pub fn method(self) -> &'static str {
        match self {
            ListKind::Tools => "tools/list",
            ListKind::Prompts => "prompts/list",
            ListKind::Resources => "resources/list",
            ListKind::ResourceTemplates => "resources/templates/list",
        }
    }

    /// The server capability that announces this list.
    pub fn capability(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Prompts => "prompts",
            ListKind::Resources | ListKind::ResourceTemplates => "resources",
        }
    }

    /// The member of the result that holds the items.
    pub fn array_key(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Prompts => "prompts",
            ListKind::Resources => "resources",
            ListKind::ResourceTemplates => "resourceTemplates",
        }
    }

    /// The member that identifies an item: what calls and reads name it by.
    fn id_key(self) -> &'static str {
        match self {
            ListKind::Resources => "uri",
            _ => "name",
        }
    }

    /// The kind of pinned item, for the lists whose items are pinned. Resources come and go with
    /// the data a server holds (files, rows), so they are not pinned; their templates are.
    pub fn item_kind(self) -> Option<ItemKind> {
        match self {
            ListKind::Tools => Some(ItemKind::Tool),
            ListKind::Prompts => Some(ItemKind::Prompt),
            ListKind::ResourceTemplates => Some(ItemKind::ResourceTemplate),
            ListKind::Resources => None,
        }
    }
}

/// One item of a list.
#[derive(Debug)]
pub struct Listed<'v> {
    /// Its name (its URI for a resource).
    pub name: String,
    pub value: &'v Value,
}

impl<'v> Listed<'v> {
    /// An item of a `kind` list, named as calls and reads name it.
    pub fn new(kind: ListKind, value: &'v Value) -> Self {
        Listed {
            name: value
                .get(kind.id_key())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            value,
        }
    }
}

/// The items of a list response's `result`, in order.
pub fn items(kind: ListKind, result: &Value) -> Vec<Listed<'_>> {
    let Some(array) = result.get(kind.array_key()).and_then(Value::as_array) else {
        return Vec::new();
    };
    array.iter().map(|value| Listed::new(kind, value)).collect()
}

/// What becomes of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Keep,
    /// Keep it with these findings' text removed.
    Sanitize(Vec<PoisonFinding>),
    /// Remove it from the list; calls to it are denied for this reason.
    Remove(Removal),
}

/// Why an item was removed.
#[derive(Debug, Clone, PartialEq)]
pub enum Removal {
    /// The policy denies every use of it.
    Policy(Decision),
    /// Quarantined: poisoned, changed since pinned, or unverifiable.
    Held(Hold),
}

impl Removal {
    /// The rule name reported when a call to the item is denied.
    pub fn rule(&self) -> String {
        match self {
            Removal::Policy(d) => d.rule.clone().unwrap_or_else(|| "default".to_owned()),
            Removal::Held(Hold::Changed) => "pinned-definition-changed".to_owned(),
            Removal::Held(Hold::Poisoned(_)) => "tool-poisoning".to_owned(),
            Removal::Held(Hold::Unverifiable(_)) => "pins-unavailable".to_owned(),
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Removal::Policy(d) => d.reason.clone().into_owned(),
            Removal::Held(hold) => hold.reason(),
        }
    }
}

/// The judgement on one item, and what the pin store must remember of it.
#[derive(Debug)]
pub struct Judgement {
    pub verdict: Verdict,
    /// The definition to pin now (first sighting) or to hold (quarantine).
    pub remember: Option<(Definition, Option<Hold>)>,
    /// The poisoning detector's findings, for the log, when it found something.
    pub poison: Option<PoisonReport>,
}

/// Everything an item is judged against.
pub struct Judge<'a> {
    pub policy: &'a Policy,
    pub server: &'a str,
    pub kind: ListKind,
    /// Names of the other items in the list, for the shadowing check.
    pub names: Vec<&'a str>,
}

impl Judge<'_> {
    /// Judges an item; `pin` is what the store holds for it (look it up with
    /// [`ListKind::item_kind`] and the item's name).
    pub fn judge(&self, item: &Listed<'_>, pin: Option<&Pin>) -> Judgement {
        if let Some(decision) = self.denied_by_policy(item) {
            return Judgement {
                verdict: Verdict::Remove(Removal::Policy(decision)),
                remember: None,
                poison: None,
            };
        }
        let action = self.policy.screening.poisoning;
        let poison = (action != PoisoningAction::Off)
            .then(|| self.inspect(item))
            .filter(PoisonReport::is_poisoned);
        let quarantine_poison = (action == PoisoningAction::Quarantine)
            .then(|| poison.as_ref().map(PoisonReport::summary))
            .flatten();
        let pinned_kind = self
            .kind
            .item_kind()
            .filter(|_| self.policy.screening.pinning);
        let (verdict, remember) = match pinned_kind {
            Some(kind) => {
                let definition = Definition::new(kind, &item.name, item.value);
                match pins::judge(pin, &definition, quarantine_poison) {
                    Trust::Trusted => (self.unquarantined(poison.as_ref()), None),
                    Trust::PinNow => (
                        self.unquarantined(poison.as_ref()),
                        Some((definition, None)),
                    ),
                    Trust::Quarantine(hold) => (
                        Verdict::Remove(Removal::Held(hold.clone())),
                        Some((definition, Some(hold))),
                    ),
                }
            }
            None => match quarantine_poison {
                Some(why) => (Verdict::Remove(Removal::Held(Hold::Poisoned(why))), None),
                None => (self.unquarantined(poison.as_ref()), None),
            },
        };
        Judgement {
            verdict,
            remember,
            poison,
        }
    }

    /// The poisoning detector's report on an item, against the other names of its list, whatever
    /// the policy's `poisoning:` says (`portcullis scan` reports it even where nothing acts on it).
    pub fn inspect(&self, item: &Listed<'_>) -> PoisonReport {
        let others: Vec<&str> = self
            .names
            .iter()
            .copied()
            .filter(|n| *n != item.name)
            .collect();
        poisoning::inspect_definition(item.value, &others)
    }

    /// The verdict on an item that stays listed: sanitized when so configured.
    fn unquarantined(&self, poison: Option<&PoisonReport>) -> Verdict {
        match poison {
            Some(report) if self.policy.screening.poisoning == PoisoningAction::Sanitize => {
                Verdict::Sanitize(report.findings.clone())
            }
            _ => Verdict::Keep,
        }
    }

    /// The policy's denial of every use of the item (calls whatever the arguments, or the read of
    /// a listed resource), if it denies it: why the item is removed from the list.
    pub fn denied_by_policy(&self, item: &Listed<'_>) -> Option<Decision> {
        let name = Some(item.name.clone());
        let (target, payload) = match self.kind {
            ListKind::Tools => (
                Target {
                    method: "tools/call".into(),
                    tool: name,
                    ..Target::default()
                },
                None,
            ),
            ListKind::Prompts => (
                Target {
                    method: "prompts/get".into(),
                    prompt: name,
                    ..Target::default()
                },
                None,
            ),
            ListKind::Resources => (
                Target {
                    method: "resources/read".into(),
                    resource: name,
                    ..Target::default()
                },
                Some(json!({ "uri": item.name })),
            ),
            ListKind::ResourceTemplates => return None,
        };
        let view = View {
            direction: Direction::ToServer,
            kind: Kind::Request,
            server: self.server,
            target: &target,
            payload: payload.as_ref(),
        };
        match payload {
            // A resource read is judged exactly: its only argument is the URI listed.
            Some(_) => Some(self.policy.evaluate(&view)).filter(|d| d.action == Action::Deny),
            None => self.policy.denies_whatever_the_arguments(&view),
        }
    }
}

/// Edits that apply `verdicts` (one per item, in order) to a list response, and the indices of
/// items to be sanitized that had to be removed instead (see [`sanitize`]): calls to those must be
/// denied like calls to any removed item.
pub fn rewrite(root: &Node<'_>, kind: ListKind, verdicts: &[Verdict]) -> (Edits, Vec<usize>) {
    let mut edits = Edits::default();
    let Some(array) = root
        .get("result")
        .and_then(|r| r.get(kind.array_key()))
        .filter(|a| a.is_array())
    else {
        return (edits, Vec::new());
    };
    let mut unsanitizable = Vec::new();
    for (i, (item, verdict)) in array.items().iter().zip(verdicts).enumerate() {
        if let Verdict::Sanitize(findings) = verdict
            && !sanitize(item, findings, &mut edits)
        {
            unsanitizable.push(i);
        }
    }
    edits.remove_items(array, |i| {
        matches!(verdicts.get(i), Some(Verdict::Remove(_))) || unsanitizable.contains(&i)
    });
    (edits, unsanitizable)
}

/// Rewrites each field with findings; false when a finding sits where text cannot be rewritten
/// (an object key), so the item must go instead.
fn sanitize(item: &Node<'_>, findings: &[PoisonFinding], edits: &mut Edits) -> bool {
    let mut fields: Vec<&str> = findings.iter().map(|f| f.field.as_str()).collect();
    fields.sort_unstable();
    fields.dedup();
    for field in fields {
        let Some(node) = item.pointer(field) else {
            return false;
        };
        let Some(text) = node.as_str() else {
            return false;
        };
        let here: Vec<&PoisonFinding> = findings.iter().filter(|f| f.field == field).collect();
        edits.replace_string(node.span.clone(), &poisoning::sanitize_text(text, &here));
    }
    true
}

#[cfg(test)]
mod tests;
