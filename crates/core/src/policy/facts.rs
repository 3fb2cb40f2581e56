//! What a message's payload contains, computed lazily and at most once per message.
//!
//! Several rules usually look at the same things (every string, every path, every command); a
//! [`Facts`] walks the payload once for each kind of fact the rules actually ask for.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::rc::Rc;

use globset::Candidate;
use serde_json::Value;

use super::CommandRecognizer;
use super::path_index::{PathHits, PathIndex};
use crate::detect::key_block::find_key;
use crate::detect::paths::{
    CanonicalPath, PathContext, canonicalize, expand_on_disk, has_glob, looks_like_path,
};
use crate::detect::secrets::{SecretKind, scan, scan_assignment};
use crate::detect::shell::{CommandAnalysis, analyze, analyze_argv};

/// A string found in the payload: a value or an object key.
pub(super) struct StrItem<'a> {
    pub pointer: String,
    pub text: &'a str,
    /// The value sits under a key that names a file (`path`, `paths`, `source`, ...).
    pub under_path_key: bool,
}

/// An object member of the payload, its key prepared for glob matching.
pub(super) struct Member<'a> {
    pub pointer: String,
    pub key: Candidate<'a>,
    pub value: &'a Value,
}

pub(super) struct CommandItem {
    pub pointer: String,
    pub analysis: CommandAnalysis,
}

pub(super) struct PathItem {
    pub pointer: String,
    pub raw: String,
    pub resolved: Rc<ResolvedPath>,
}

/// A string read as a path: canonicalized, and looked up in the path index.
pub(super) struct ResolvedPath {
    pub canonical: CanonicalPath,
    pub hits: PathHits,
}

pub(super) struct SecretHit {
    pub pointer: String,
    pub kind: SecretKind,
}

/// Glob matches considered per path argument.
const GLOB_EXPANSIONS: usize = 64;

/// Argument names that carry the arguments of a sibling `command`.
const ARGV_KEYS: [&str; 3] = ["args", "arguments", "argv"];

/// Argument names that set the directory a sibling `command` runs in.
const CWD_KEYS: [&str; 7] = [
    "cwd",
    "workdir",
    "working_dir",
    "working_directory",
    "workingDirectory",
    "dir",
    "directory",
];

/// A command's arguments given beside it: as an array (argv), or as one string (a command line).
enum SiblingArgs<'a> {
    Argv(Vec<&'a str>),
    Line(&'a str),
}

fn sibling_args<'a>(map: &'a serde_json::Map<String, Value>, key: &str) -> Option<SiblingArgs<'a>> {
    ARGV_KEYS
        .iter()
        .filter(|k| !k.eq_ignore_ascii_case(key))
        .find_map(|k| {
            let value = map.iter().find(|(name, _)| name.eq_ignore_ascii_case(k))?.1;
            match value {
                Value::String(line) => Some(SiblingArgs::Line(line)),
                other => string_array(other).map(SiblingArgs::Argv),
            }
        })
}

pub(super) struct Facts<'a> {
    pub payload: Option<&'a Value>,
    tool: Option<&'a str>,
    recognizer: &'a CommandRecognizer,
    paths_ctx: &'a PathContext,
    other_bases: &'a [PathBuf],
    path_index: &'a PathIndex,
    strings: OnceCell<Vec<StrItem<'a>>>,
    members: OnceCell<Vec<Member<'a>>>,
    commands: OnceCell<Vec<CommandItem>>,
    paths: OnceCell<Vec<PathItem>>,
    secrets: OnceCell<Vec<SecretHit>>,
    /// Each string already read as a path (`None`: not a path). Every path rule selecting the
    /// same argument asks for it again, and resolving costs filesystem look-ups and a match
    /// against every pattern of the policy: done once per message, not once per rule.
    resolved: RefCell<HashMap<String, Option<Rc<ResolvedPath>>>>,
}

impl<'a> Facts<'a> {
    pub fn new(
        payload: Option<&'a Value>,
        tool: Option<&'a str>,
        recognizer: &'a CommandRecognizer,
        paths_ctx: &'a PathContext,
        other_bases: &'a [PathBuf],
        path_index: &'a PathIndex,
    ) -> Self {
        Self {
            payload,
            tool,
            recognizer,
            paths_ctx,
            other_bases,
            path_index,
            strings: OnceCell::new(),
            members: OnceCell::new(),
            commands: OnceCell::new(),
            paths: OnceCell::new(),
            secrets: OnceCell::new(),
            resolved: RefCell::default(),
        }
    }

    /// Every string at any depth, object keys included.
    pub fn strings(&self) -> &[StrItem<'a>] {
        self.strings.get_or_init(|| {
            let mut out = Vec::new();
            if let Some(v) = self.payload {
                walk_with_owner(
                    v,
                    &mut String::new(),
                    None,
                    &mut |pointer, node, key, owner| {
                        if let Some(k) = key {
                            out.push(StrItem {
                                pointer: pointer.to_owned(),
                                text: k,
                                under_path_key: false,
                            });
                        }
                        if let Value::String(s) = node {
                            out.push(StrItem {
                                pointer: pointer.to_owned(),
                                text: s,
                                under_path_key: owner.is_some_and(is_path_key),
                            });
                        }
                    },
                );
            }
            out
        })
    }

    /// Every object member at any depth, in payload order: each `key` selector of each rule
    /// looks through these instead of walking the payload again.
    pub fn members(&self) -> &[Member<'a>] {
        self.members.get_or_init(|| {
            let mut out = Vec::new();
            if let Some(v) = self.payload {
                walk(v, &mut String::new(), &mut |pointer, value, key| {
                    if let Some(k) = key {
                        out.push(Member {
                            pointer: pointer.to_owned(),
                            key: Candidate::new(k),
                            value,
                        });
                    }
                });
            }
            out
        })
    }

    /// Every argument that the recognizer says holds a shell command, analysed.
    pub fn commands(&self) -> &[CommandItem] {
        self.commands.get_or_init(|| {
            let mut out = Vec::new();
            if let Some(v) = self.payload {
                walk(v, &mut String::new(), &mut |pointer, node, _| {
                    let Value::Object(map) = node else { return };
                    for (key, value) in map {
                        if !self.recognizer.is_command(self.tool, key) {
                            continue;
                        }
                        // The command runs where the tool is told to run it, if it says so.
                        let ctx = self.command_context(map);
                        let analysis = match (value, sibling_args(map, key)) {
                            (Value::String(cmd), Some(SiblingArgs::Argv(args))) => {
                                let mut argv = vec![cmd.as_str()];
                                argv.extend(args);
                                analyze_argv(&argv, &ctx)
                            }
                            (Value::String(cmd), Some(SiblingArgs::Line(args))) => {
                                analyze(&format!("{cmd} {args}"), &ctx)
                            }
                            (Value::String(cmd), None) => analyze(cmd, &ctx),
                            (other, _) => match string_array(other) {
                                Some(argv) => analyze_argv(&argv, &ctx),
                                None => continue,
                            },
                        };
                        out.push(CommandItem {
                            pointer: {
                                let mut member = pointer.to_owned();
                                push_member(&mut member, key);
                                member
                            },
                            analysis,
                        });
                    }
                });
            }
            out
        })
    }

    /// The path context for a command in `map`: a sibling `cwd` (or similar) moves it.
    fn command_context(&self, map: &serde_json::Map<String, Value>) -> PathContext {
        let dir = map
            .iter()
            .find(|(k, _)| CWD_KEYS.iter().any(|c| c.eq_ignore_ascii_case(k)))
            .and_then(|(_, v)| v.as_str())
            .and_then(|dir| canonicalize(dir, self.paths_ctx));
        match dir {
            Some(dir) => PathContext {
                cwd: PathBuf::from(dir.real.unwrap_or(dir.lexical)),
                ..self.paths_ctx.clone()
            },
            None => self.paths_ctx.clone(),
        }
    }

    /// Every path-looking string and every file named inside a command, canonicalized.
    pub fn paths(&self) -> &[PathItem] {
        self.paths.get_or_init(|| {
            let mut out = Vec::new();
            for item in self.strings() {
                if item.under_path_key || looks_like_path(item.text) {
                    self.push_path(&mut out, &item.pointer, item.text);
                }
            }
            for cmd in self.commands() {
                for word in &cmd.analysis.path_words {
                    self.push_path(&mut out, &cmd.pointer, word);
                }
            }
            out
        })
    }

    /// Every secret in any string, and every secret-looking `name: value` entry.
    pub fn secrets(&self) -> &[SecretHit] {
        self.secrets.get_or_init(|| {
            let mut out = Vec::new();
            for item in self.strings() {
                out.extend(scan(item.text).into_iter().map(|f| SecretHit {
                    pointer: item.pointer.clone(),
                    kind: f.kind,
                }));
            }
            if let Some(v) = self.payload {
                walk(v, &mut String::new(), &mut |pointer, node, key| {
                    if let (Some(k), Value::String(s)) = (key, node)
                        && let Some(f) = scan_assignment(k, s)
                        && !out.iter().any(|h| h.pointer == pointer)
                    {
                        out.push(SecretHit {
                            pointer: pointer.to_owned(),
                            kind: f.kind,
                        });
                    }
                    // A private key sent one line per string: no line is a secret on its own.
                    if let Value::Array(items) = node
                        && let Some(first) = find_key(items.iter().map(Value::as_str))
                    {
                        out.push(SecretHit {
                            pointer: format!("{pointer}/{first}"),
                            kind: SecretKind::PrivateKey,
                        });
                    }
                });
            }
            out
        })
    }

    pub fn paths_context(&self) -> &'a PathContext {
        self.paths_ctx
    }

    /// `raw` read as a path, with the path patterns of the policy that match it; computed once
    /// per distinct string.
    pub fn resolve(&self, raw: &str) -> Option<Rc<ResolvedPath>> {
        if let Some(known) = self.resolved.borrow().get(raw) {
            return known.clone();
        }
        let resolved = self.canonicalize(raw).map(|canonical| {
            Rc::new(ResolvedPath {
                hits: self.path_index.hits(&canonical),
                canonical,
            })
        });
        self.resolved
            .borrow_mut()
            .insert(raw.to_owned(), resolved.clone());
        resolved
    }

    /// The canonical path, with its readings against every other base directory as alternates.
    fn canonicalize(&self, raw: &str) -> Option<CanonicalPath> {
        let mut path = canonicalize(raw, self.paths_ctx)?;
        for base in self.other_bases {
            let ctx = PathContext {
                cwd: base.clone(),
                ..self.paths_ctx.clone()
            };
            let Some(other) = canonicalize(raw, &ctx) else {
                continue;
            };
            for form in other.forms() {
                if !path.forms().any(|known| known == form) {
                    path.alternates.push(form.to_owned());
                }
            }
        }
        self.add_glob_expansions(&mut path);
        Some(path)
    }

    /// `cat ~/.ss?/id_rsa` reads what the glob expands to: every existing match is a reading.
    fn add_glob_expansions(&self, path: &mut CanonicalPath) {
        if !self.paths_ctx.resolve_symlinks || !has_glob(&path.lexical) {
            return;
        }
        for expanded in expand_on_disk(&path.lexical, GLOB_EXPANSIONS) {
            let Some(found) = canonicalize(&expanded, self.paths_ctx) else {
                continue;
            };
            for form in found.forms() {
                if !path.forms().any(|known| known == form) {
                    path.alternates.push(form.to_owned());
                }
            }
        }
    }

    fn push_path(&self, out: &mut Vec<PathItem>, pointer: &str, raw: &str) {
        if let Some(resolved) = self.resolve(raw) {
            out.push(PathItem {
                pointer: pointer.to_owned(),
                raw: raw.to_owned(),
                resolved,
            });
        }
    }
}

/// The strings of an array that holds only strings.
pub(super) fn string_array(v: &Value) -> Option<Vec<&str>> {
    v.as_array()?.iter().map(Value::as_str).collect()
}

/// Visits every node with its JSON pointer and, for object members, the member's key.
pub(super) fn walk<'v>(
    value: &'v Value,
    pointer: &mut String,
    visit: &mut impl FnMut(&str, &'v Value, Option<&'v str>),
) {
    walk_with_owner(value, pointer, None, &mut |p, node, key, _| {
        visit(p, node, key)
    });
}

/// Payloads are already depth-limited by the strict parser; the limit here guards direct callers.
const WALK_DEPTH_LIMIT: usize = 256;

/// Like [`walk`], also passing the nearest enclosing member key ("owner"), which array elements
/// inherit: in `{"paths": ["a", "b"]}` both strings are owned by `paths`.
fn walk_with_owner<'v>(
    value: &'v Value,
    pointer: &mut String,
    owner: Option<&'v str>,
    visit: &mut impl FnMut(&str, &'v Value, Option<&'v str>, Option<&'v str>),
) {
    walk_inner(value, pointer, None, owner, visit, 0);
}

fn walk_inner<'v>(
    value: &'v Value,
    pointer: &mut String,
    key: Option<&'v str>,
    owner: Option<&'v str>,
    visit: &mut impl FnMut(&str, &'v Value, Option<&'v str>, Option<&'v str>),
    depth: usize,
) {
    visit(pointer, value, key, owner);
    if depth >= WALK_DEPTH_LIMIT {
        return;
    }
    let len = pointer.len();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                push_member(pointer, k);
                walk_inner(v, pointer, Some(k), Some(k), visit, depth + 1);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                // Writing to a String cannot fail.
                let _ = write!(pointer, "/{i}");
                walk_inner(v, pointer, None, owner, visit, depth + 1);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Keys whose values name files even when they look like bare names (`"path": "id_rsa"` in a
/// server started inside `~/.ssh`, or a symlink called `innocent.txt`).
fn is_path_key(key: &str) -> bool {
    const CONTAINS: [&str; 8] = [
        "path", "file", "dir", "folder", "uri", "location", "cwd", "root",
    ];
    const EXACT: [&str; 7] = [
        "source",
        "src",
        "destination",
        "dest",
        "target",
        "from",
        "to",
    ];
    let contains = |part: &str| {
        key.as_bytes()
            .windows(part.len())
            .any(|window| window.eq_ignore_ascii_case(part.as_bytes()))
    };
    CONTAINS.iter().any(|c| contains(c)) || EXACT.iter().any(|e| key.eq_ignore_ascii_case(e))
}

/// Appends `/key` to a JSON pointer, escaped (`~` as `~0`, `/` as `~1`), without a copy of the key.
fn push_member(pointer: &mut String, key: &str) {
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// The comparison without a lowercased copy finds the same keys as the copy did.
        #[test]
        fn path_keys_are_found_without_a_lowercased_copy(key in prop_oneof!["\\PC*", "[a-zA-Zſİ_]{0,12}", "(?i)(file|path|src|dest|to|from|uri|root)[a-z_]{0,4}"]) {
            let lowered = key.to_ascii_lowercase();
            let before = ["path", "file", "dir", "folder", "uri", "location", "cwd", "root"]
                .iter()
                .any(|c| lowered.contains(c))
                || ["source", "src", "destination", "dest", "target", "from", "to"]
                    .contains(&lowered.as_str());
            prop_assert_eq!(is_path_key(&key), before);
        }

        /// Pointer members are escaped as `~0` and `~1`, as the copying escape did.
        #[test]
        fn members_are_escaped_in_place(key in "[a-z~/0-9]{0,10}") {
            let mut pointer = String::from("/x");
            push_member(&mut pointer, &key);
            prop_assert_eq!(pointer, format!("/x/{}", key.replace('~', "~0").replace('/', "~1")));
        }
    }
}
