//! The YAML configuration as written by a person, before compilation.
//!
//! Unknown fields are errors: a misspelled `argumnets:` must not silently make a rule match
//! everything. Compilation ([`super::compile`]) turns this into matchers and reports semantic
//! errors (bad regex, bad glob, two matchers in one condition) with the line they come from.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::approval::Always;
use serde_saphyr::Spanned;

use crate::audit::Detail;

use super::screening::{CapabilitiesConfig, InjectionAction, PoisoningAction, RedactAction};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `enforce` (default) or `monitor`.
    pub mode: Option<Spanned<Mode>>,
    /// What happens when no rule matches.
    pub default: Option<Spanned<DefaultAction>>,
    /// The largest message accepted, in bytes.
    pub max_message_bytes: Option<Spanned<usize>>,
    /// Built-in rules switched off by name (user configuration only).
    #[serde(default)]
    pub disable_builtin: Vec<Spanned<String>>,
    /// Which tool arguments hold shell commands (added to the built-in list).
    #[serde(default)]
    pub command_arguments: Vec<CommandArguments>,
    #[serde(default)]
    pub rules: Vec<Spanned<RuleConfig>>,
    /// What to do with each type of secret and personal data in what servers send back.
    pub redact: Option<Spanned<BTreeMap<String, RedactAction>>>,
    /// What to do with results that carry instructions aimed at the model.
    pub injection: Option<Spanned<InjectionAction>>,
    /// Remove ANSI escapes and invisible Unicode from text servers send back.
    pub strip_hidden: Option<Spanned<bool>>,
    /// What to do with poisoned tool, prompt and resource-template definitions.
    pub poisoning: Option<Spanned<PoisoningAction>>,
    /// Pin definitions on first use and hold back any later change.
    pub pinning: Option<Spanned<bool>>,
    /// Client capabilities withheld from servers.
    pub capabilities: Option<CapabilitiesConfig>,
    /// The audit trail (user configuration only).
    pub audit: Option<Spanned<AuditConfig>>,
}

/// `audit:`: what the audit trail keeps, for how long, and where else it goes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    pub enabled: Option<bool>,
    /// Record messages allowed untouched too.
    pub allowed: Option<bool>,
    pub detail: Option<Detail>,
    pub retention: Option<RetentionConfig>,
    pub jsonl: Option<Spanned<JsonlConfig>>,
    /// Keep the servers' stderr, redacted.
    pub stderr: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Keep records this many days; 0 keeps them forever.
    pub days: Option<u32>,
    /// Keep the database under this many megabytes; 0 for no limit.
    pub max_mb: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonlConfig {
    /// An absolute path, or one under `~`.
    pub path: String,
    /// Rotate when the file grows past this many megabytes.
    pub max_mb: Option<u64>,
    /// Rotated files to keep.
    pub keep: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Enforce,
    Monitor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultAction {
    Allow,
    Deny,
}

/// In tools whose name matches one of `tools`, arguments named in `arguments` are commands.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandArguments {
    pub tools: Vec<String>,
    pub arguments: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionConfig {
    Allow,
    Deny,
    Ask,
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectionConfig {
    ToServer,
    ToClient,
    Any,
}

/// One string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub name: String,
    pub action: ActionConfig,
    /// Why the rule exists, in words a person understands; shown when it blocks.
    pub reason: Option<String>,
    /// Defaults to `to_server`.
    pub direction: Option<DirectionConfig>,
    pub method: Option<OneOrMany>,
    pub server: Option<OneOrMany>,
    pub tool: Option<OneOrMany>,
    pub resource: Option<OneOrMany>,
    pub prompt: Option<OneOrMany>,
    /// Conditions on the message's arguments; all must hold.
    #[serde(default)]
    pub arguments: Vec<Spanned<ConditionConfig>>,
    /// `ask` only: how long a call waits for a person.
    pub timeout: Option<DurationConfig>,
    /// `ask` only: what "always allow" / "always deny" may cover.
    pub always: Option<Always>,
}

/// A duration: seconds as a number, or text such as `30s` or `2m`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationConfig {
    Seconds(u64),
    Text(String),
}

impl DurationConfig {
    pub fn duration(&self) -> Option<std::time::Duration> {
        let seconds = match self {
            DurationConfig::Seconds(s) => *s,
            DurationConfig::Text(text) => {
                let text = text.trim();
                let (number, unit) = match text.strip_suffix('m') {
                    Some(n) => (n, 60),
                    None => (text.strip_suffix('s').unwrap_or(text), 1),
                };
                number.trim().parse::<u64>().ok()?.checked_mul(unit)?
            }
        };
        Some(std::time::Duration::from_secs(seconds))
    }
}

impl std::fmt::Display for DurationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurationConfig::Seconds(s) => write!(f, "{s}"),
            DurationConfig::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// A selector (which values) and one matcher (what they must look like).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionConfig {
    /// Values under object keys matching this glob, at any depth.
    pub key: Option<String>,
    /// The value at this JSON pointer.
    pub pointer: Option<String>,
    /// Every value at any depth, object keys included (the default selector).
    pub any: Option<bool>,

    pub equals: Option<serde_json::Value>,
    pub glob: Option<OneOrMany>,
    pub regex: Option<String>,
    pub path: Option<PathConfig>,
    pub command: Option<CommandConfig>,
    pub secret: Option<SecretConfig>,
    pub entropy: Option<EntropyConfig>,
    pub size: Option<SizeConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathConfig {
    /// Matches paths equal to or inside any of these (globs allowed).
    #[serde(default)]
    pub under: Vec<String>,
    /// Matches paths whose whole canonical form matches one of these globs.
    #[serde(default)]
    pub glob: Vec<String>,
    /// Excludes paths equal to or inside any of these (globs allowed).
    #[serde(default)]
    pub not_under: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// Detector categories (`recursive-delete`, ...) or `all`.
    #[serde(default)]
    pub detect: Vec<String>,
    /// Globs over program names invoked anywhere in the command.
    #[serde(default)]
    pub program: Vec<String>,
}

/// `secret: true` for every kind, or a list of kind names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SecretConfig {
    All(bool),
    Kinds(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntropyConfig {
    /// Minimum Shannon entropy in bits per character.
    pub min_bits: f64,
    /// Tokens shorter than this are ignored.
    #[serde(default = "default_entropy_length")]
    pub min_length: usize,
}

fn default_entropy_length() -> usize {
    20
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeConfig {
    /// Matches when the selected value is larger than this many bytes.
    pub over: usize,
}
