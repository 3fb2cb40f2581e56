//! The policy engine: ordered rules, first match wins, then a default.
//!
//! A [`Policy`] is built from the built-in rules, the user's configuration and an optional project
//! file ([`compile`]); [`Policy::evaluate`] judges one message [`View`](crate::message::View) and
//! returns a [`Decision`] naming the rule and the reason.
//!
//! Layering: the user's rules come first, then the built-in rules (minus any the user disabled by
//! name), then the user's default. A project file forms a second chain that is evaluated as well;
//! the stricter of the two verdicts wins, so a project can only ever tighten.

mod approval;
mod audit;
mod compile;
mod config;
mod error;
mod eval;
mod facts;
mod header;
mod homes;
mod path_index;
mod screening;

use std::path::PathBuf;

use globset::{GlobMatcher, GlobSet};
use regex::Regex;

use crate::audit::AuditSettings;

pub use approval::{
    Always, AskOptions, CanonicalCall, DEFAULT_ASK_TIMEOUT, MAX_ASK_TIMEOUT, Pattern,
};
pub use compile::{BUILTIN_POLICY, Source, Sources};
pub use config::Mode;
pub use error::ConfigError;
pub use eval::Decision;
pub use screening::{
    Capability, DataKind, InjectionAction, PoisoningAction, RedactAction, Screening,
};

use crate::detect::paths::PathContext;
use crate::detect::secrets::SecretKind;
use crate::detect::shell::CommandCategory;
use crate::message::Direction;
use path_index::{PathIndex, PathMatcher};

/// What to do with a message. Ordered from least to most strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Allow,
    /// Allow, and record that the rule matched.
    Log,
    /// Hold for a person's approval. Until an approval channel exists this denies.
    Ask,
    Deny,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Log => "log",
            Action::Ask => "ask",
            Action::Deny => "deny",
        }
    }

    /// Whether the message may pass in enforce mode.
    pub fn passes(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }
}

/// A compiled, ready-to-evaluate policy.
#[derive(Debug)]
pub struct Policy {
    pub mode: Mode,
    pub max_message_bytes: usize,
    /// What happens to what servers send back.
    pub screening: Screening,
    /// What the audit trail keeps.
    pub audit: AuditSettings,
    main: Chain,
    project: Option<Chain>,
    /// Built-in rules the user switched off, kept for `portcullis rules`.
    disabled: Vec<Rule>,
    commands: CommandRecognizer,
    paths: PathContext,
    /// Directories besides the working directory that relative paths are also resolved against.
    other_bases: Vec<PathBuf>,
    path_index: PathIndex,
}

impl Policy {
    /// Every rule in evaluation order: the main chain, then the project chain.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.main
            .rules
            .iter()
            .chain(self.project.iter().flat_map(|c| c.rules.iter()))
    }

    pub fn disabled_rules(&self) -> &[Rule] {
        &self.disabled
    }

    /// The action taken when no main-chain rule matches.
    pub fn default_action(&self) -> Action {
        self.main.default
    }

    pub fn paths(&self) -> &PathContext {
        &self.paths
    }

    /// Also resolves relative paths against `bases`. Servers do not all resolve against their
    /// working directory (server-filesystem uses the first directory it was given), so a relative
    /// path is judged in every reading: `../.netrc` must be caught whichever base the server uses.
    pub fn resolve_relative_paths_also_against(&mut self, bases: Vec<PathBuf>) {
        self.other_bases = bases;
    }
}

#[derive(Debug)]
struct Chain {
    rules: Vec<Rule>,
    default: Action,
}

/// Where a rule was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    User { file: PathBuf, line: u64 },
    Project { file: PathBuf, line: u64 },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::User { file, line } => write!(f, "user {}:{line}", file.display()),
            Origin::Project { file, line } => write!(f, "project {}:{line}", file.display()),
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub action: Action,
    pub reason: String,
    pub origin: Origin,
    /// What `ask` does (timeout, what "always" may cover); defaults for other actions.
    pub ask: AskOptions,
    direction: Option<Direction>,
    method: Option<GlobSet>,
    server: Option<GlobSet>,
    tool: Option<GlobSet>,
    resource: Option<GlobSet>,
    prompt: Option<GlobSet>,
    conditions: Vec<Condition>,
}

impl Rule {
    /// Directions this rule applies to, for display.
    pub fn direction_name(&self) -> &'static str {
        self.direction.map_or("any", Direction::name)
    }
}

#[derive(Debug)]
struct Condition {
    selector: Selector,
    matcher: Matcher,
}

#[derive(Debug)]
enum Selector {
    /// Every string at any depth, object keys included.
    Any,
    /// Values under keys matching the glob, at any depth.
    Key(GlobMatcher),
    /// The value at a JSON pointer.
    Pointer(String),
}

#[derive(Debug)]
enum Matcher {
    Equals(serde_json::Value),
    Glob(GlobSet),
    Regex(Regex),
    Path(PathMatcher),
    Command(CommandMatcher),
    Secret(Vec<SecretKind>),
    Entropy { min_bits: f64, min_length: usize },
    Size { over: usize },
}

#[derive(Debug)]
struct CommandMatcher {
    categories: Vec<CommandCategory>,
    programs: Option<GlobSet>,
    /// Every program of every command must match (remembered allow patterns: `ls` must not
    /// cover `ls; rm -rf ~`), rather than any (rules that catch a program).
    every_program: bool,
}

/// Recognizes which tool arguments hold shell commands (argument names ignore ASCII case:
/// `Command` and `COMMAND` are commands too).
#[derive(Debug, Default)]
struct CommandRecognizer {
    entries: Vec<(GlobSet, Vec<String>)>,
}

impl CommandRecognizer {
    fn is_command(&self, tool: Option<&str>, key: &str) -> bool {
        let tool = tool.unwrap_or("");
        self.entries.iter().any(|(tools, args)| {
            args.iter().any(|a| a.eq_ignore_ascii_case(key)) && tools.is_match(tool)
        })
    }
}
