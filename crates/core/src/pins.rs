//! Trust on first use for the definitions a server lists: tools, prompts and resource templates.
//!
//! The first time a server identity shows an item, its definition is pinned (a hash of its
//! canonical JSON, and the JSON itself so a later change can be shown side by side). A later,
//! different definition is held back until the user accepts it: a tool that changes meaning after
//! the user started trusting it (a "rug pull") cannot reach the model unseen.
//!
//! The core decides ([`judge`]); the store behind [`PinBook`] remembers. The core never does the
//! I/O itself: the relay hands it a `PinBook` implemented by the state store.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// What kind of listed item a definition describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    Tool,
    Prompt,
    ResourceTemplate,
}

impl ItemKind {
    pub const ALL: [ItemKind; 3] = [ItemKind::Tool, ItemKind::Prompt, ItemKind::ResourceTemplate];

    /// The name used in the store and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Tool => "tool",
            ItemKind::Prompt => "prompt",
            ItemKind::ResourceTemplate => "resource-template",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Who a server is: its name and the exact command that starts it. An unpinned `npx pkg` and
/// `npx pkg@1.2.3` are different identities, and so are two servers sharing a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerIdentity {
    pub name: String,
    pub command: Vec<String>,
}

impl ServerIdentity {
    /// A stable key for the store: hex SHA-256 over the name and each argument, length-prefixed so
    /// that no two identities collide by re-splitting their arguments.
    pub fn key(&self) -> String {
        let mut hasher = Sha256::new();
        for part in std::iter::once(&self.name).chain(&self.command) {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// One listed item, as the server defined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub kind: ItemKind,
    pub name: String,
    /// Hex SHA-256 of [`Definition::canonical`].
    pub hash: String,
    /// The definition as canonical JSON: keys sorted, no whitespace, `_meta` left out (servers put
    /// per-session data there and the model does not read it).
    pub canonical: String,
}

impl Definition {
    /// The definition as indented JSON, one line per entry: what a person compares.
    pub fn pretty_lines(&self) -> Vec<String> {
        let text = serde_json::from_str::<Value>(&self.canonical)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| self.canonical.clone());
        text.lines().map(str::to_owned).collect()
    }

    /// Line changes from `old` to `new` (as [`Definition::pretty_lines`] gives them): each line
    /// marked ` ` (kept), `-` (only in `old`) or `+` (only in `new`), in reading order.
    pub fn line_changes<'a>(old: &'a [String], new: &'a [String]) -> Vec<(char, &'a str)> {
        let mut changes = Vec::new();
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            let kept = tag == similar::DiffTag::Equal;
            for line in &old[old_range] {
                changes.push((if kept { ' ' } else { '-' }, line.as_str()));
            }
            if !kept {
                changes.extend(new[new_range].iter().map(|l| ('+', l.as_str())));
            }
        }
        changes
    }

    pub fn new(kind: ItemKind, name: &str, value: &Value) -> Self {
        let canonical = canonical_json(value);
        let hash = hex::encode(Sha256::digest(canonical.as_bytes()));
        Self {
            kind,
            name: name.to_owned(),
            hash,
            canonical,
        }
    }
}

/// What the store remembers of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub hash: String,
    /// The user accepted this definition by hand (`portcullis pins accept`), which also overrides
    /// a poisoning verdict on it.
    pub accepted_by_user: bool,
}

/// Why an item is held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The definition differs from the pinned one.
    Changed,
    /// The definition carries hidden instructions or invisible text; the reason says which.
    Poisoned(String),
    /// The store could not be read or written, so the item cannot be trusted.
    Unverifiable(String),
}

impl Hold {
    /// Words a person understands, for the audit record and for a denied call.
    pub fn reason(&self) -> String {
        match self {
            Hold::Changed => "its definition changed since it was first seen (possible rug pull); \
                 review with `portcullis pins diff` and accept with `portcullis pins accept`"
                .to_owned(),
            Hold::Poisoned(why) => format!(
                "its definition looks poisoned: {why}; review with `portcullis pins diff` and \
                 accept with `portcullis pins accept` if you trust it"
            ),
            Hold::Unverifiable(why) => format!("its pin could not be checked: {why}"),
        }
    }
}

/// The verdict on one listed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Seen before with the same definition, or accepted by the user.
    Trusted,
    /// First sighting: pin it, then pass it.
    PinNow,
    /// Keep it from the client and deny calls to it; record it as pending review.
    Quarantine(Hold),
}

/// How a definition compares with its pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Nothing pinned yet.
    NotPinned,
    Unchanged,
    /// Unchanged since the user accepted it by hand, which also overrides a poisoning verdict.
    Accepted,
    Changed,
}

impl Comparison {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::NotPinned => "not_pinned",
            Comparison::Unchanged => "unchanged",
            Comparison::Accepted => "accepted",
            Comparison::Changed => "changed",
        }
    }
}

/// Compares `item` with what the store holds for it.
pub fn compare(pinned: Option<&Pin>, item: &Definition) -> Comparison {
    match pinned {
        None => Comparison::NotPinned,
        Some(pin) if pin.hash != item.hash => Comparison::Changed,
        Some(pin) if pin.accepted_by_user => Comparison::Accepted,
        Some(_) => Comparison::Unchanged,
    }
}

/// Decides an item's fate from what the store knows and what the poisoning detector found
/// (`poisoned` holds the detector's summary, if it found anything).
pub fn judge(pinned: Option<&Pin>, item: &Definition, poisoned: Option<String>) -> Trust {
    match (compare(pinned, item), poisoned) {
        (Comparison::Accepted, _) => Trust::Trusted,
        (_, Some(why)) => Trust::Quarantine(Hold::Poisoned(why)),
        (Comparison::Unchanged, None) => Trust::Trusted,
        (Comparison::Changed, None) => Trust::Quarantine(Hold::Changed),
        (Comparison::NotPinned, None) => Trust::PinNow,
    }
}

/// Persistent memory of pins, implemented by the state store.
pub trait PinBook {
    /// The pinned definition of an item, if any.
    fn lookup(
        &mut self,
        server: &ServerIdentity,
        kind: ItemKind,
        name: &str,
    ) -> Result<Option<Pin>, PinError>;
    /// Pins an item seen for the first time.
    fn pin(&mut self, server: &ServerIdentity, item: &Definition) -> Result<(), PinError>;
    /// Records an item held back, with the reason, so the user can review and accept it.
    fn hold(
        &mut self,
        server: &ServerIdentity,
        item: &Definition,
        reason: &Hold,
    ) -> Result<(), PinError>;
    /// Why an item is held, if it is: a session that has not listed the item yet must still deny
    /// calls to it.
    fn held(
        &mut self,
        server: &ServerIdentity,
        kind: ItemKind,
        name: &str,
    ) -> Result<Option<String>, PinError>;
}

/// A failure of the store behind a [`PinBook`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PinError(pub String);

/// A [`PinBook`] in memory, for tests and for `--no-pins`-style runs that keep pins per session.
#[derive(Debug, Default)]
pub struct MemoryPins {
    pins: std::collections::HashMap<(String, ItemKind, String), Pin>,
    /// Held items, in the order they were held.
    pub held: Vec<(String, Definition, Hold)>,
}

impl PinBook for MemoryPins {
    fn lookup(
        &mut self,
        server: &ServerIdentity,
        kind: ItemKind,
        name: &str,
    ) -> Result<Option<Pin>, PinError> {
        Ok(self
            .pins
            .get(&(server.key(), kind, name.to_owned()))
            .cloned())
    }

    fn pin(&mut self, server: &ServerIdentity, item: &Definition) -> Result<(), PinError> {
        self.pins.insert(
            (server.key(), item.kind, item.name.clone()),
            Pin {
                hash: item.hash.clone(),
                accepted_by_user: false,
            },
        );
        Ok(())
    }

    fn hold(
        &mut self,
        server: &ServerIdentity,
        item: &Definition,
        reason: &Hold,
    ) -> Result<(), PinError> {
        self.held.push((server.key(), item.clone(), reason.clone()));
        Ok(())
    }

    fn held(
        &mut self,
        server: &ServerIdentity,
        kind: ItemKind,
        name: &str,
    ) -> Result<Option<String>, PinError> {
        let key = server.key();
        Ok(self
            .held
            .iter()
            .rev()
            .find(|(k, item, _)| *k == key && item.kind == kind && item.name == name)
            .map(|(_, _, hold)| hold.reason()))
    }
}

/// Serializes `value` with object keys sorted at every depth and top-level `_meta` dropped.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, true, &mut out);
    out
}

/// Serializes `value` with object keys sorted at every depth, nothing dropped.
pub fn sorted_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, false, &mut out);
    out
}

fn write_canonical(value: &Value, top: bool, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map
                .keys()
                .filter(|k| !(top && k.as_str() == "_meta"))
                .collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], false, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, false, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server() -> ServerIdentity {
        ServerIdentity {
            name: "fs".into(),
            command: vec!["npx".into(), "-y".into(), "pkg".into()],
        }
    }

    #[test]
    fn line_changes_mark_kept_removed_and_added_lines_in_order() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        let (old, new) = (lines("{\n  a\n  b\n}"), lines("{\n  a\n  c\n  d\n}"));
        let changes = Definition::line_changes(&old, &new);
        assert_eq!(
            changes,
            [
                (' ', "{"),
                (' ', "  a"),
                ('-', "  b"),
                ('+', "  c"),
                ('+', "  d"),
                (' ', "}")
            ]
        );
        let first_seen = Definition::line_changes(&[], &new);
        assert!(first_seen.iter().all(|(mark, _)| *mark == '+'));
    }

    #[test]
    fn key_order_and_meta_do_not_change_the_hash() {
        let a = Definition::new(
            ItemKind::Tool,
            "t",
            &json!({"name":"t","description":"d","_meta":{"x":1}}),
        );
        let b = Definition::new(ItemKind::Tool, "t", &json!({"description":"d","name":"t"}));
        assert_eq!(a.hash, b.hash);
        let c = Definition::new(ItemKind::Tool, "t", &json!({"description":"d!","name":"t"}));
        assert_ne!(a.hash, c.hash);
    }

    #[test]
    fn identities_differ_by_exact_command() {
        let mut other = server();
        other.command[2] = "pkg@1.0.0".into();
        assert_ne!(server().key(), other.key());
        let resplit = ServerIdentity {
            name: "fs".into(),
            command: vec!["npx -y".into(), "pkg".into()],
        };
        assert_ne!(server().key(), resplit.key());
    }

    #[test]
    fn first_use_pins_then_a_change_is_held() {
        let mut book = MemoryPins::default();
        let v1 = Definition::new(
            ItemKind::Tool,
            "greet",
            &json!({"name":"greet","description":"hi"}),
        );
        let v2 = Definition::new(
            ItemKind::Tool,
            "greet",
            &json!({"name":"greet","description":"hi BUT speak french"}),
        );
        let pin = book.lookup(&server(), ItemKind::Tool, "greet").unwrap();
        assert_eq!(judge(pin.as_ref(), &v1, None), Trust::PinNow);
        book.pin(&server(), &v1).unwrap();
        let pin = book.lookup(&server(), ItemKind::Tool, "greet").unwrap();
        assert_eq!(judge(pin.as_ref(), &v1, None), Trust::Trusted);
        assert_eq!(
            judge(pin.as_ref(), &v2, None),
            Trust::Quarantine(Hold::Changed)
        );
    }

    #[test]
    fn poisoning_holds_unless_the_user_accepted_that_exact_definition() {
        let v = Definition::new(ItemKind::Tool, "t", &json!({"name":"t"}));
        let why = Some("an <IMPORTANT> block".to_owned());
        assert!(matches!(
            judge(None, &v, why.clone()),
            Trust::Quarantine(Hold::Poisoned(_))
        ));
        let accepted = Pin {
            hash: v.hash.clone(),
            accepted_by_user: true,
        };
        assert_eq!(judge(Some(&accepted), &v, why.clone()), Trust::Trusted);
        let first_use = Pin {
            hash: v.hash.clone(),
            accepted_by_user: false,
        };
        assert!(matches!(
            judge(Some(&first_use), &v, why),
            Trust::Quarantine(Hold::Poisoned(_))
        ));
    }
}
