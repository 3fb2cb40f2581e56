//! The relay's screening beyond the rules: what comes back from the server, the lists it offers,
//! the items it has had quarantined, and the capabilities the client announces.
//!
//! The decisions themselves are the core's ([`portcullis_core::screen`]); the guard keeps the
//! state that outlives one message (quarantined items, the pin store) and turns edits into bytes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use portcullis_core::json::tree::{self, Node};
use portcullis_core::message::{Direction, Kind, Message, Target};
use portcullis_core::pins::{Hold, ItemKind, Pin, PinBook, ServerIdentity};
use portcullis_core::policy::{Action, Capability, Decision, Policy};
use portcullis_core::screen::listing::{self, Judge, ListKind, Removal, Verdict};
use portcullis_core::screen::{Denial, capabilities, content};

/// What to do with a message the rules let through.
#[derive(Debug)]
pub enum Change {
    Keep,
    /// Forward these bytes instead of the original.
    Rewrite(Vec<u8>),
    /// Do not forward; answer (or drop) as for a denied message.
    Withhold(Decision),
}

/// An item removed from a list, remembered so that calls to it are denied.
struct Removed {
    removal: Removal,
    /// The held definition's hash: once the user accepts exactly it, the item is released.
    held_hash: Option<String>,
}

pub struct Guard {
    policy: Arc<Policy>,
    server: String,
    identity: ServerIdentity,
    pins: Option<Box<dyn PinBook + Send>>,
    removed: HashMap<(ItemKind, String), Removed>,
}

impl Guard {
    pub fn new(
        policy: Arc<Policy>,
        identity: ServerIdentity,
        pins: Option<Box<dyn PinBook + Send>>,
    ) -> Self {
        Self {
            policy,
            server: identity.name.clone(),
            identity,
            pins,
            removed: HashMap::new(),
        }
    }

    /// Screens a message the rules let through. `target` is what a response answers.
    pub fn screen(
        &mut self,
        direction: Direction,
        message: &Message,
        target: &Target,
        raw: &[u8],
    ) -> Change {
        match direction {
            Direction::ToServer => self.client_message(message, target, raw),
            Direction::ToClient => self.server_message(message, target, raw),
        }
    }

    fn client_message(&mut self, message: &Message, target: &Target, raw: &[u8]) -> Change {
        if message.kind != Kind::Request {
            return Change::Keep;
        }
        let item = match target.method.as_str() {
            "tools/call" => target.tool.as_ref().map(|n| (ItemKind::Tool, n)),
            "prompts/get" => target.prompt.as_ref().map(|n| (ItemKind::Prompt, n)),
            "initialize" => return self.strip_capabilities(raw),
            _ => None,
        };
        match item {
            Some((kind, name)) => self.check_removed(kind, name),
            None => Change::Keep,
        }
    }

    /// Denies a call to an item removed from its list, unless the user has accepted it since.
    fn check_removed(&mut self, kind: ItemKind, name: &str) -> Change {
        let key = (kind, name.to_owned());
        let Some(removed) = self.removed.get(&key) else {
            return Change::Keep;
        };
        if let (Some(hash), Some(pins)) = (&removed.held_hash, self.pins.as_mut())
            && let Ok(Some(Pin { hash: pinned, .. })) = pins.lookup(&self.identity, kind, name)
            && &pinned == hash
        {
            tracing::info!(server = %self.server, "{} {name} was accepted; released", kind.name());
            self.removed.remove(&key);
            return Change::Keep;
        }
        let removal = &removed.removal;
        Change::Withhold(Decision {
            action: Action::Deny,
            rule: Some(removal.rule()),
            reason: Cow::Owned(format!(
                "the {} {name:?} was removed from the server's list: {}",
                kind.name(),
                removal.reason()
            )),
            evidence: Vec::new(),
        })
    }

    fn strip_capabilities(&self, raw: &[u8]) -> Change {
        let strip = &self.policy.screening.strip_capabilities;
        if strip.is_empty() {
            return Change::Keep;
        }
        with_tree(raw, |root| {
            let edits = capabilities::strip(root, strip);
            if edits.is_empty() {
                Change::Keep
            } else {
                Change::Rewrite(edits.apply(raw))
            }
        })
    }

    fn server_message(&mut self, message: &Message, target: &Target, raw: &[u8]) -> Change {
        if message.kind == Kind::Request
            && let Some(capability) = Capability::needed_by(&target.method)
            && self
                .policy
                .screening
                .strip_capabilities
                .contains(&capability)
        {
            return Change::Withhold(capability_denied(capability));
        }
        if message.kind == Kind::Response
            && let Some(kind) = ListKind::of(&target.method)
        {
            return self.screen_list(kind, message, raw);
        }
        with_tree(raw, |root| {
            let cx = content::Context {
                server: &self.server,
                kind: message.kind,
                target,
                screening: &self.policy.screening,
            };
            let screened = content::screen(root, &cx);
            for finding in &screened.findings {
                tracing::warn!(
                    server = %self.server, direction = "to_client",
                    "{} {} in {target} at {}", finding.action, finding.what, finding.pointer
                );
            }
            if let Some(denial) = screened.denial {
                return Change::Withhold(denied(denial));
            }
            if screened.edits.is_empty() {
                Change::Keep
            } else {
                Change::Rewrite(screened.edits.apply(raw))
            }
        })
    }

    fn screen_list(&mut self, kind: ListKind, message: &Message, raw: &[u8]) -> Change {
        let Some(result) = message.value.get("result") else {
            return Change::Keep;
        };
        let items = listing::items(kind, result);
        let (policy, server) = (self.policy.clone(), self.server.clone());
        let judge = Judge {
            policy: &policy,
            server: &server,
            kind,
            names: items.iter().map(|i| i.name.as_str()).collect(),
        };
        let mut verdicts = Vec::with_capacity(items.len());
        for item in &items {
            let pin = self.pin_of(kind, &item.name);
            let judgement = match pin {
                Ok(pin) => judge.judge(item, pin.as_ref()),
                Err(why) => {
                    let mut j = judge.judge(item, None);
                    if kind.item_kind().is_some() && self.policy.screening.pinning {
                        j.verdict = Verdict::Remove(Removal::Held(Hold::Unverifiable(why)));
                        j.remember = None;
                    }
                    j
                }
            };
            if let Some(report) = &judgement.poison {
                tracing::warn!(
                    server = %self.server, "poisoning in {} {}: {}",
                    kind_name(kind), item.name, report.summary()
                );
            }
            let held_hash = match judgement.remember {
                Some((definition, hold)) => {
                    let hash = definition.hash.clone();
                    self.remember(&definition, hold.as_ref());
                    hold.map(|_| hash)
                }
                None => None,
            };
            if let Some(item_kind) = kind.item_kind() {
                let key = (item_kind, item.name.clone());
                match &judgement.verdict {
                    Verdict::Remove(removal) => {
                        tracing::warn!(
                            server = %self.server, rule = %removal.rule(),
                            "removed {} {} from the list: {}",
                            item_kind.name(), item.name, removal.reason()
                        );
                        self.removed.insert(
                            key,
                            Removed {
                                removal: removal.clone(),
                                held_hash,
                            },
                        );
                    }
                    _ => {
                        self.removed.remove(&key);
                    }
                }
            }
            verdicts.push(judgement.verdict);
        }
        if verdicts.iter().all(|v| *v == Verdict::Keep) {
            return Change::Keep;
        }
        with_tree(raw, |root| {
            Change::Rewrite(listing::rewrite(root, kind, &verdicts).apply(raw))
        })
    }

    /// What the pin store holds for an item; `Ok(None)` when the list is not pinned.
    fn pin_of(&mut self, kind: ListKind, name: &str) -> Result<Option<Pin>, String> {
        let (Some(item_kind), Some(pins)) = (kind.item_kind(), self.pins.as_mut()) else {
            return Ok(None);
        };
        if !self.policy.screening.pinning {
            return Ok(None);
        }
        pins.lookup(&self.identity, item_kind, name)
            .map_err(|e| e.to_string())
    }

    fn remember(&mut self, definition: &portcullis_core::pins::Definition, hold: Option<&Hold>) {
        let Some(pins) = self.pins.as_mut() else {
            return;
        };
        let stored = match hold {
            None => pins.pin(&self.identity, definition),
            Some(hold) => pins.hold(&self.identity, definition, hold),
        };
        if let Err(e) = stored {
            tracing::error!(server = %self.server, "cannot record the pin of {}: {e}", definition.name);
        }
    }
}

fn kind_name(kind: ListKind) -> &'static str {
    kind.item_kind().map_or("resource", ItemKind::name)
}

/// Builds the message's tree and hands it to `f`; a message that cannot be read is withheld.
fn with_tree(raw: &[u8], f: impl FnOnce(&Node<'_>) -> Change) -> Change {
    let parsed = std::str::from_utf8(raw)
        .map_err(|e| e.to_string())
        .and_then(|text| tree::parse(text).map_err(|e| e.to_string()));
    match parsed {
        Ok(root) => f(&root),
        Err(why) => Change::Withhold(denied(Denial {
            rule: "internal-error",
            reason: format!("portcullis could not read the message to screen it: {why}"),
            evidence: Vec::new(),
        })),
    }
}

fn denied(denial: Denial) -> Decision {
    Decision {
        action: Action::Deny,
        rule: Some(denial.rule.to_owned()),
        reason: Cow::Owned(denial.reason),
        evidence: denial.evidence,
    }
}

fn capability_denied(capability: Capability) -> Decision {
    Decision {
        action: Action::Deny,
        rule: Some("capabilities".to_owned()),
        reason: Cow::Owned(format!(
            "the client's {} capability is withheld from servers by configuration",
            capability.name()
        )),
        evidence: Vec::new(),
    }
}
