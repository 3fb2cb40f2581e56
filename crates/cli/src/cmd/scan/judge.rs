//! What is wrong with what a server listed, judged as `portcullis run` judges it: the core's
//! [`Judge`] for the policy and the poisoning detector, the pins `run` keeps for the same server
//! identity (name and exact command) for rug pulls and held items. Nothing is pinned or held here.

use portcullis_core::detect::instructions::poisoning::{PoisonFinding, PoisonReport, Strength};
use portcullis_core::pins::{self, Comparison, Definition, Pin, ServerIdentity};
use portcullis_core::policy::Policy;
use portcullis_core::screen::handshake::inspect_instructions;
use portcullis_core::screen::listing::{Judge, ListKind, Listed};
use portcullis_relay::probe::{Failure, Listing, Probe};
use portcullis_store::{HeldItem, PinnedItem, ServerItems};
use serde_json::Value;

use super::ScanTarget;

/// The identity `portcullis run --name NAME -- CMD` keeps pins under.
pub fn identity(target: &ScanTarget) -> ServerIdentity {
    ServerIdentity {
        name: target.name.clone(),
        command: target.command.clone(),
    }
}

/// What the pin store holds for a server.
pub enum Stored {
    /// Never seen by `portcullis run` (or nothing was ever pinned).
    Nothing,
    Items(ServerItems),
    /// The store could not be read; the reason.
    Unreadable(String),
}

/// Everything found about one server.
#[derive(Debug)]
pub struct ServerReport {
    pub target: ScanTarget,
    /// The `serverInfo` of its `initialize` answer.
    pub server_info: Option<Value>,
    pub failure: Option<Failure>,
    /// What went wrong without spoiling the rest (a list refused, pins unreadable, ...).
    pub warnings: Vec<String>,
    pub counts: Counts,
    /// Items with problems first, then the rest, each group in listing order.
    pub items: Vec<ItemReport>,
    /// Whether `portcullis run` ever pinned anything for this identity.
    pub known_to_pins: bool,
}

impl ServerReport {
    pub fn has_problems(&self) -> bool {
        self.items.iter().any(|i| !i.problems.is_empty())
    }

    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// What the report calls it; servers are listed in this order.
    pub fn status(&self) -> Status {
        match (self.has_problems(), self.failed()) {
            (true, _) => Status::Problems,
            (false, true) => Status::Failed,
            (false, false) => Status::Clean,
        }
    }

    /// `name version` from `serverInfo`, if the server said.
    pub fn server_label(&self) -> Option<String> {
        let info = self.server_info.as_ref()?;
        let name = info.get("name").and_then(Value::as_str)?;
        Some(match info.get("version").and_then(Value::as_str) {
            Some(version) => format!("{name} {version}"),
            None => name.to_owned(),
        })
    }
}

/// A server's verdict: a problem found outweighs a failure later on (what was listed before it
/// still counts), so each server has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Problems,
    Failed,
    Clean,
}

/// How many servers have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub problems: usize,
    pub failed: usize,
    pub clean: usize,
}

impl Summary {
    pub fn of(reports: &[ServerReport]) -> Summary {
        let mut summary = Summary::default();
        for report in reports {
            match report.status() {
                Status::Problems => summary.problems += 1,
                Status::Failed => summary.failed += 1,
                Status::Clean => summary.clean += 1,
            }
        }
        summary
    }
}

/// How many items of each list a server offered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tools: usize,
    pub prompts: usize,
    pub resources: usize,
    pub resource_templates: usize,
}

/// What kind of thing an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// The `instructions` of the server's `initialize` answer.
    Instructions,
    Listed(ListKind),
}

impl ItemKind {
    /// The word reports use.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Instructions => "instructions",
            ItemKind::Listed(ListKind::Tools) => "tool",
            ItemKind::Listed(ListKind::Prompts) => "prompt",
            ItemKind::Listed(ListKind::Resources) => "resource",
            ItemKind::Listed(ListKind::ResourceTemplates) => "resource-template",
        }
    }
}

/// One item a server offers and what is wrong with it.
#[derive(Debug)]
pub struct ItemReport {
    pub kind: ItemKind,
    pub name: String,
    /// The item as listed (for the instructions, their text).
    pub value: Value,
    /// How it compares with its pin; `None` for what is not pinned (resources, instructions).
    pub pin: Option<Comparison>,
    pub problems: Vec<Problem>,
}

/// Something wrong with an item.
#[derive(Debug)]
pub enum Problem {
    /// The poisoning detector found hidden instructions, invisible text or the like.
    Poisoned {
        summary: String,
        findings: Vec<Finding>,
    },
    /// The definition differs from the pinned one: a rug pull, or an update to review.
    Changed {
        pinned: PinnedItem,
        current: Definition,
    },
    /// `portcullis run` holds a definition of it back for the user's review.
    Held(HeldItem),
    /// The policy denies every use of it, so `portcullis run` removes it from the list.
    DeniedByPolicy { rule: String, reason: String },
}

impl Problem {
    /// The `type` of the JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Problem::Poisoned { .. } => "poisoned",
            Problem::Changed { .. } => "changed",
            Problem::Held(_) => "held",
            Problem::DeniedByPolicy { .. } => "denied_by_policy",
        }
    }
}

/// One finding of the poisoning detector, with the whole text it was found in.
#[derive(Debug, Clone)]
pub struct Finding {
    pub finding: PoisonFinding,
    /// The string at `finding.field` (for a property name, the name).
    pub text: String,
}

impl Finding {
    /// The offending part of [`Finding::text`].
    pub fn span(&self) -> &str {
        self.text
            .get(self.finding.start..self.finding.end)
            .unwrap_or_default()
    }
}

/// Judges everything `found` lists for `target`, under `policy` (or reports why there is none)
/// and against what the pin store holds for it.
pub fn server(
    target: ScanTarget,
    found: Probe,
    policy: Result<Policy, String>,
    stored: Stored,
) -> ServerReport {
    let Probe { listing, failure } = found;
    let mut warnings = listing.warnings.clone();
    let (items, known_to_pins) = match (&policy, &stored) {
        (Ok(policy), Stored::Items(items)) => {
            (judge_all(&target, &listing, policy, Some(items)), true)
        }
        (Ok(policy), _) => (judge_all(&target, &listing, policy, None), false),
        (Err(_), _) => (Vec::new(), false),
    };
    if let Stored::Unreadable(why) = &stored {
        warnings.push(format!(
            "the pin store could not be read, so pins are not compared: {why}"
        ));
    }
    let failure = match policy {
        Err(message) => failure.or(Some(Failure {
            stage: "policy",
            message,
            stderr: String::new(),
        })),
        Ok(_) => failure,
    };
    let init = listing.initialize.as_ref();
    ServerReport {
        target,
        server_info: init.and_then(|i| i.get("serverInfo")).cloned(),
        failure,
        warnings,
        counts: Counts {
            tools: listing.tools.len(),
            prompts: listing.prompts.len(),
            resources: listing.resources.len(),
            resource_templates: listing.resource_templates.len(),
        },
        items,
        known_to_pins,
    }
}

fn judge_all(
    target: &ScanTarget,
    listing: &Listing,
    policy: &Policy,
    stored: Option<&ServerItems>,
) -> Vec<ItemReport> {
    let mut items = Vec::new();
    if let Some(text) = listing
        .initialize
        .as_ref()
        .and_then(|i| i.get("instructions"))
        .and_then(Value::as_str)
    {
        items.push(instructions(text));
    }
    for kind in ListKind::ALL {
        let listed: Vec<Listed<'_>> = listing
            .items(kind)
            .iter()
            .map(|v| Listed::new(kind, v))
            .collect();
        let judge = Judge {
            policy,
            server: &target.name,
            kind,
            names: listed.iter().map(|l| l.name.as_str()).collect(),
        };
        items.extend(listed.iter().map(|item| judge_item(&judge, item, stored)));
    }
    // Stable: listing order within each group.
    items.sort_by_key(|i| i.problems.is_empty());
    items
}

/// The server's `instructions`, which go into the model's context like a tool description.
fn instructions(text: &str) -> ItemReport {
    let report = inspect_instructions(text);
    let mut problems = Vec::new();
    if report.is_poisoned() {
        problems.push(poisoned(&report, |_| Some(text.to_owned())));
    }
    let value = Value::String(text.to_owned());
    ItemReport {
        kind: ItemKind::Instructions,
        name: "instructions".to_owned(),
        value,
        pin: None,
        problems,
    }
}

fn judge_item(judge: &Judge<'_>, item: &Listed<'_>, stored: Option<&ServerItems>) -> ItemReport {
    let mut problems = Vec::new();
    if let Some(decision) = judge.denied_by_policy(item) {
        problems.push(Problem::DeniedByPolicy {
            rule: decision.rule.unwrap_or_else(|| "default".to_owned()),
            reason: decision.reason.into_owned(),
        });
    }
    let definition = judge
        .kind
        .item_kind()
        .map(|kind| Definition::new(kind, &item.name, item.value));
    let pinned = definition
        .as_ref()
        .and_then(|d| stored?.pinned(d.kind, &d.name).cloned());
    let pin = definition.as_ref().map(|d| {
        let stored = pinned.as_ref().map(|p| Pin {
            hash: p.definition.hash.clone(),
            accepted_by_user: p.accepted_by_user,
        });
        pins::compare(stored.as_ref(), d)
    });
    let report = judge.inspect(item);
    // A definition the user accepted as it is was reviewed already, poisoned or not.
    if report.is_poisoned() && pin != Some(Comparison::Accepted) {
        problems.push(poisoned(&report, |pointer| field_text(item.value, pointer)));
    }
    if let (Some(current), Some(pinned), Some(Comparison::Changed)) = (&definition, &pinned, pin) {
        problems.push(Problem::Changed {
            pinned: pinned.clone(),
            current: current.clone(),
        });
    }
    if let Some(held) = definition
        .as_ref()
        .and_then(|d| stored?.held(d.kind, &d.name))
    {
        problems.push(Problem::Held(held.clone()));
    }
    ItemReport {
        kind: ItemKind::Listed(judge.kind),
        name: item.name.clone(),
        value: item.value.clone(),
        pin,
        problems,
    }
}

/// The poisoned problem of a report, strong findings first; `text_at` gives the string a
/// finding's field points at.
fn poisoned(report: &PoisonReport, text_at: impl Fn(&str) -> Option<String>) -> Problem {
    let mut findings: Vec<Finding> = report
        .findings
        .iter()
        .map(|f| Finding {
            finding: f.clone(),
            text: text_at(&f.field).unwrap_or_default(),
        })
        .collect();
    findings.sort_by_key(|f| f.finding.strength != Strength::Strong);
    Problem::Poisoned {
        summary: report.summary(),
        findings,
    }
}

/// The string `pointer` points at in `value`: the string itself, or for a property name (whose
/// pointer is the property's), the name.
fn field_text(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(text) => Some(text.clone()),
        _ => pointer
            .rsplit('/')
            .next()
            .map(|name| name.replace("~1", "/").replace("~0", "~")),
    }
}
