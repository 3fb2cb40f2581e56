//! Turns configuration files into a [`Policy`]: patterns compiled once, errors located precisely.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde_saphyr::{Location, Spanned};

use super::approval::{AskOptions, MAX_ASK_TIMEOUT};
use super::config::{
    ActionConfig, CommandArguments, ConditionConfig, ConfigFile, DefaultAction, DirectionConfig,
    Mode, OneOrMany, PathConfig, RuleConfig, SecretConfig,
};
use super::error::ConfigError;
use super::homes::HomePrefix;
use super::path_index::{Part, PathIndexBuilder, PathMatcher};
use super::screening;
use super::{
    Action, Chain, CommandMatcher, CommandRecognizer, Condition, Matcher, Origin, Policy, Rule,
    Selector,
};
use crate::detect::paths::{PathContext, expand_pattern};
use crate::detect::secrets::SecretKind;
use crate::detect::shell::CommandCategory;
use crate::framing::DEFAULT_MAX_MESSAGE_BYTES;
use crate::message::Direction;

/// The built-in policy, compiled into the binary.
pub const BUILTIN_POLICY: &str = include_str!("builtin.yaml");

/// A configuration text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

/// Every layer that makes up the effective policy.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The user's configuration (`--config`, `PORTCULLIS_CONFIG` or the platform config file).
    pub user: Option<Source>,
    /// The project's `.portcullis.yaml`, which may only tighten.
    pub project: Option<Source>,
}

/// Where a layer sits, which decides what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Builtin,
    User,
    Project,
}

impl Policy {
    /// Compiles the built-in policy with the given user and project layers.
    pub fn compile(sources: &Sources, paths: PathContext) -> Result<Self, ConfigError> {
        let builtin_path = Path::new("<built-in>");
        let builtin = parse(builtin_path, BUILTIN_POLICY)?;
        let user = sources
            .user
            .as_ref()
            .map(|s| parse(&s.path, &s.text).map(|c| (s, c)))
            .transpose()?;
        let project = sources
            .project
            .as_ref()
            .map(|s| parse(&s.path, &s.text).map(|c| (s, c)))
            .transpose()?;

        let mut compiler = Compiler {
            paths: &paths,
            path_index: PathIndexBuilder::with_homes(home_prefixes(&paths), paths.case_insensitive),
        };
        let mut recognizer = CommandRecognizer::default();
        compiler.add_command_arguments(
            &mut recognizer,
            builtin_path,
            &builtin.command_arguments,
        )?;

        let mut rules = Vec::new();
        let mut disabled = Vec::new();
        let mut default = Action::Allow;
        let mut mode = Mode::Enforce;
        let mut max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES;
        if let Some((source, user)) = &user {
            let file = source.path.as_path();
            compiler.add_command_arguments(&mut recognizer, file, &user.command_arguments)?;
            rules.extend(compiler.rules(file, Layer::User, &user.rules)?);
            default = user
                .default
                .as_ref()
                .map_or(Action::Allow, |d| match d.value {
                    DefaultAction::Allow => Action::Allow,
                    DefaultAction::Deny => Action::Deny,
                });
            mode = user.mode.as_ref().map_or(Mode::Enforce, |m| m.value);
            if let Some(max) = &user.max_message_bytes {
                max_message_bytes = max.value;
            }
            disabled = user.disable_builtin.clone();
        }
        let builtin_rules = compiler.rules(builtin_path, Layer::Builtin, &builtin.rules)?;
        for name in &disabled {
            if !builtin_rules.iter().any(|r| r.name == name.value) {
                let file = user
                    .as_ref()
                    .map_or(builtin_path, |(s, _)| s.path.as_path());
                return Err(ConfigError::at(
                    file,
                    name.referenced,
                    format!(
                        "`disable_builtin` names {:?}, which is not a built-in rule",
                        name.value
                    ),
                    "run `portcullis rules` to list the built-in rule names",
                ));
            }
        }
        let (kept, off): (Vec<Rule>, Vec<Rule>) = builtin_rules
            .into_iter()
            .partition(|r| !disabled.iter().any(|d| d.value == r.name));
        rules.extend(kept);

        let project_chain = match &project {
            Some((source, project)) => {
                let file = source.path.as_path();
                check_project_only_tightens(file, project, max_message_bytes)?;
                compiler.add_command_arguments(
                    &mut recognizer,
                    file,
                    &project.command_arguments,
                )?;
                if let Some(max) = &project.max_message_bytes {
                    max_message_bytes = max.value;
                }
                let default = match project.default.as_ref().map(|d| d.value) {
                    Some(DefaultAction::Deny) => Action::Deny,
                    _ => Action::Allow,
                };
                Some(Chain {
                    rules: compiler.rules(file, Layer::Project, &project.rules)?,
                    default,
                })
            }
            None => None,
        };

        let screening = screening::compile(
            screening::Layer {
                file: builtin_path,
                config: &builtin,
            },
            user.as_ref().map(|(s, c)| screening::Layer {
                file: &s.path,
                config: c,
            }),
            project.as_ref().map(|(s, c)| screening::Layer {
                file: &s.path,
                config: c,
            }),
        )?;
        let audit = super::audit::compile(
            user.as_ref().map(|(s, c)| (s.path.as_path(), c)),
            project.as_ref().map(|(s, c)| (s.path.as_path(), c)),
            paths.home.as_deref(),
        )?;
        let path_index = compiler.path_index.build().map_err(|e| {
            ConfigError::at_start(
                builtin_path,
                e.to_string(),
                "check the `command_arguments` tool globs",
            )
        })?;
        Ok(Policy {
            path_index,
            other_bases: Vec::new(),
            mode,
            max_message_bytes,
            screening,
            audit,
            main: Chain { rules, default },
            project: project_chain,
            disabled: off,
            commands: recognizer,
            paths,
        })
    }
}

/// An `ask` rule's `timeout` and `always`; other rules may not set them.
fn ask_options(rule: &RuleConfig, action: Action) -> Result<AskOptions, (String, &'static str)> {
    if action != Action::Ask {
        if rule.timeout.is_some() || rule.always.is_some() {
            return Err((
                format!(
                    "rule {:?}: `timeout` and `always` apply only to `action: ask`",
                    rule.name
                ),
                "remove them, or make the rule ask",
            ));
        }
        return Ok(AskOptions::default());
    }
    let mut options = AskOptions::default();
    if let Some(timeout) = &rule.timeout {
        options.timeout = timeout
            .duration()
            .filter(|t| !t.is_zero() && *t <= MAX_ASK_TIMEOUT)
            .ok_or_else(|| {
                (
                    format!(
                        "rule {:?}: `timeout` {timeout} is not a duration from 1s to 10m",
                        rule.name
                    ),
                    "write seconds (`30`, `30s`) or minutes (`2m`)",
                )
            })?;
    }
    if let Some(always) = rule.always {
        options.always = always;
    }
    Ok(options)
}

/// Parses YAML into a [`ConfigFile`], mapping syntax and shape errors to `file:line:column`.
fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    serde_saphyr::from_str::<ConfigFile>(text).map_err(|e| ConfigError::from_yaml(path, &e))
}

/// What to do when a project file tries to loosen the policy.
pub(super) const PROJECT_HINT: &str = "a project's .portcullis.yaml can only add restrictions; change this in your user configuration instead";

/// A project file may add rules but can never loosen what the user and built-ins enforce.
fn check_project_only_tightens(
    file: &Path,
    project: &ConfigFile,
    user_max: usize,
) -> Result<(), ConfigError> {
    if let Some(mode) = project.mode.as_ref().filter(|m| m.value == Mode::Monitor) {
        return Err(ConfigError::at(
            file,
            mode.referenced,
            "a project file cannot switch to `mode: monitor`",
            PROJECT_HINT,
        ));
    }
    if let Some(name) = project.disable_builtin.first() {
        return Err(ConfigError::at(
            file,
            name.referenced,
            "a project file cannot disable built-in rules",
            PROJECT_HINT,
        ));
    }
    if let Some(max) = project
        .max_message_bytes
        .as_ref()
        .filter(|m| m.value > user_max)
    {
        return Err(ConfigError::at(
            file,
            max.referenced,
            format!("a project file cannot raise `max_message_bytes` above {user_max}"),
            PROJECT_HINT,
        ));
    }
    Ok(())
}

pub(super) struct Compiler<'a> {
    pub(super) paths: &'a PathContext,
    pub(super) path_index: PathIndexBuilder,
}

impl Compiler<'_> {
    fn add_command_arguments(
        &mut self,
        recognizer: &mut CommandRecognizer,
        file: &Path,
        entries: &[CommandArguments],
    ) -> Result<(), ConfigError> {
        for entry in entries {
            let tools = name_globs(&entry.tools).map_err(|e| {
                ConfigError::at_start(
                    file,
                    e.to_string(),
                    "check the `command_arguments` tool globs",
                )
            })?;
            recognizer.entries.push((tools, entry.arguments.clone()));
        }
        Ok(())
    }

    fn rules(
        &mut self,
        file: &Path,
        layer: Layer,
        rules: &[Spanned<RuleConfig>],
    ) -> Result<Vec<Rule>, ConfigError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::with_capacity(rules.len());
        for rule in rules {
            if seen.contains(&rule.value.name.as_str()) {
                return Err(ConfigError::at(
                    file,
                    rule.referenced,
                    format!("duplicate rule name {:?}", rule.value.name),
                    "rule names identify rules in logs and in `disable_builtin`; make them unique",
                ));
            }
            seen.push(&rule.value.name);
            out.push(self.rule(file, layer, rule)?);
        }
        Ok(out)
    }

    fn rule(
        &mut self,
        file: &Path,
        layer: Layer,
        spanned: &Spanned<RuleConfig>,
    ) -> Result<Rule, ConfigError> {
        let rule = &spanned.value;
        let at =
            |message: String, hint: &str| ConfigError::at(file, spanned.referenced, message, hint);
        if rule.name.trim().is_empty() {
            return Err(at(
                "a rule needs a non-empty `name`".into(),
                "give the rule a short kebab-case name",
            ));
        }
        let globs =
            |field: &str, value: &Option<OneOrMany>| -> Result<Option<GlobSet>, ConfigError> {
                value
                    .clone()
                    .map(|v| name_globs(&v.into_vec()))
                    .transpose()
                    .map_err(|e| {
                        at(
                            format!("rule {:?}: `{field}`: {e}", rule.name),
                            "globs use `*`, `?`, `[abc]` and `{a,b}`",
                        )
                    })
            };
        let conditions = rule
            .arguments
            .iter()
            .enumerate()
            .map(|(i, c)| {
                self.condition(&c.value).map_err(|(message, hint)| {
                    ConfigError::at(
                        file,
                        c.referenced,
                        format!(
                            "rule {:?}, argument condition {}: {message}",
                            rule.name,
                            i + 1
                        ),
                        hint,
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let origin = match layer {
            Layer::Builtin => Origin::Builtin,
            Layer::User => Origin::User {
                file: file.to_path_buf(),
                line: spanned.referenced.line(),
            },
            Layer::Project => Origin::Project {
                file: file.to_path_buf(),
                line: spanned.referenced.line(),
            },
        };
        let action = match rule.action {
            ActionConfig::Allow => Action::Allow,
            ActionConfig::Deny => Action::Deny,
            ActionConfig::Ask => Action::Ask,
            ActionConfig::Log => Action::Log,
        };
        let ask = ask_options(rule, action).map_err(|(message, hint)| at(message, hint))?;
        Ok(Rule {
            name: rule.name.clone(),
            action,
            ask,
            reason: rule
                .reason
                .clone()
                .unwrap_or_else(|| format!("matched rule {}", rule.name)),
            origin,
            direction: match rule.direction {
                None | Some(DirectionConfig::ToServer) => Some(Direction::ToServer),
                Some(DirectionConfig::ToClient) => Some(Direction::ToClient),
                Some(DirectionConfig::Any) => None,
            },
            method: globs("method", &rule.method)?,
            server: globs("server", &rule.server)?,
            tool: globs("tool", &rule.tool)?,
            resource: globs("resource", &rule.resource)?,
            prompt: globs("prompt", &rule.prompt)?,
            conditions,
        })
    }

    pub(super) fn condition(
        &mut self,
        c: &ConditionConfig,
    ) -> Result<Condition, (String, &'static str)> {
        let selector = match (&c.key, &c.pointer, c.any) {
            (Some(key), None, None | Some(false)) => {
                Selector::Key(name_glob(key).map_err(|e| {
                    (
                        format!("`key`: {e}"),
                        "a key is a glob over object keys, e.g. `path` or `*_path`",
                    )
                })?)
            }
            (None, Some(ptr), None | Some(false)) => {
                if !(ptr.is_empty() || ptr.starts_with('/')) {
                    return Err((
                        format!("`pointer` {ptr:?} is not a JSON pointer"),
                        "a JSON pointer starts with `/`, e.g. `/options/path` or `/files/0`",
                    ));
                }
                Selector::Pointer(ptr.clone())
            }
            (None, None, _) => Selector::Any,
            _ => {
                return Err((
                    "use only one selector: `key`, `pointer` or `any`".into(),
                    "split the condition in two if you need both",
                ));
            }
        };
        let mut matchers = Vec::new();
        if let Some(v) = &c.equals {
            matchers.push(Matcher::Equals(v.clone()));
        }
        if let Some(g) = &c.glob {
            let set = name_globs(&g.clone().into_vec()).map_err(|e| {
                (
                    format!("`glob`: {e}"),
                    "globs use `*`, `?`, `[abc]` and `{a,b}`",
                )
            })?;
            matchers.push(Matcher::Glob(set));
        }
        if let Some(r) = &c.regex {
            let re = Regex::new(r).map_err(|e| {
                (
                    format!("`regex` {r:?} does not compile: {e}"),
                    "Portcullis uses linear-time regular expressions: no look-around or backreferences",
                )
            })?;
            matchers.push(Matcher::Regex(re));
        }
        if let Some(p) = &c.path {
            matchers.push(Matcher::Path(self.path_matcher(p)?));
        }
        if let Some(cmd) = &c.command {
            let mut categories = Vec::new();
            for name in &cmd.detect {
                if name == "all" {
                    categories.extend(CommandCategory::ALL);
                } else {
                    categories.push(CommandCategory::from_name(name).ok_or_else(|| {
                        (
                            format!("unknown command category {name:?}"),
                            "categories: recursive-delete, filesystem-format, raw-device-write, fork-bomb, download-exec, decode-exec, reverse-shell, unanalyzable, or all",
                        )
                    })?);
                }
            }
            let programs = if cmd.program.is_empty() {
                None
            } else {
                Some(name_globs(&cmd.program).map_err(|e| {
                    (
                        format!("`command.program`: {e}"),
                        "program names are globs such as `kubectl` or `python*`",
                    )
                })?)
            };
            if categories.is_empty() && programs.is_none() {
                return Err((
                    "`command` needs `detect` or `program`".into(),
                    "for example `command: { detect: [all] }`",
                ));
            }
            matchers.push(Matcher::Command(CommandMatcher {
                categories,
                programs,
                every_program: false,
            }));
        }
        if let Some(s) = &c.secret {
            let kinds = match s {
                SecretConfig::All(true) => SecretKind::ALL.to_vec(),
                SecretConfig::All(false) => Vec::new(),
                SecretConfig::Kinds(names) => names
                    .iter()
                    .map(|n| {
                        SecretKind::from_name(n).ok_or_else(|| {
                            (
                                format!("unknown secret kind {n:?}"),
                                "docs/policy.md lists the secret kinds; or use `secret: true` for all",
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
            };
            matchers.push(Matcher::Secret(kinds));
        }
        if let Some(e) = &c.entropy {
            matchers.push(Matcher::Entropy {
                min_bits: e.min_bits,
                min_length: e.min_length,
            });
        }
        if let Some(s) = &c.size {
            matchers.push(Matcher::Size { over: s.over });
        }
        match matchers.len() {
            1 => Ok(Condition {
                selector,
                matcher: matchers.pop().expect("one matcher"),
            }),
            0 => Err((
                "no matcher".into(),
                "add one of: equals, glob, regex, path, command, secret, entropy, size",
            )),
            _ => Err((
                "more than one matcher in one condition".into(),
                "conditions hold one matcher each; list several conditions to require them all",
            )),
        }
    }

    fn path_matcher(&mut self, p: &PathConfig) -> Result<PathMatcher, (String, &'static str)> {
        if p.under.is_empty() && p.glob.is_empty() && p.not_under.is_empty() {
            return Err((
                "`path` needs `under`, `glob` or `not_under`".into(),
                "for example `path: { under: [\"~/.ssh\"] }`",
            ));
        }
        let expand = |patterns: &[String]| -> Vec<String> {
            patterns
                .iter()
                .flat_map(|p| any_home(p))
                .map(|p| project_relative(&expand_pattern(&p, self.paths), self.paths))
                .collect()
        };
        let parts = [
            (Part::Under, expand(&p.under)),
            (Part::Glob, expand(&p.glob)),
            (Part::NotUnder, expand(&p.not_under)),
        ];
        self.path_index
            .add(parts, self.paths.case_insensitive)
            .map_err(|(pattern, e)| {
                (
                    format!("path pattern {pattern:?}: {e}"),
                    "paths may use `~`, `$HOME`, `*`, `**` and `?`",
                )
            })
    }
}

/// `~/x` means x in the user's home, and in every other home too: a server running as root, or
/// with a `$HOME` that is not the account's real home, can reach other users' files.
fn any_home(pattern: &str) -> Vec<String> {
    let Some(rest) = pattern.strip_prefix("~/") else {
        return vec![pattern.to_owned()];
    };
    let mut spellings = vec![pattern.to_owned()];
    spellings.extend(OTHER_HOMES.iter().map(|home| format!("{home}/{rest}")));
    spellings
}

/// Where home directories live on Linux, macOS and Windows.
const OTHER_HOMES: [&str; 4] = ["/home/*", "/root", "/Users/*", "c:/users/*"];

/// The homes of [`any_home`] spelled as expanded patterns are, for the path index to match as
/// prefixes instead of compiling a regular expression per home and pattern.
pub(super) fn home_prefixes(paths: &PathContext) -> Vec<HomePrefix> {
    let mut prefixes: Vec<HomePrefix> = Vec::new();
    for home in std::iter::once("~").chain(OTHER_HOMES) {
        let spelling = project_relative(&expand_pattern(home, paths), paths);
        if let Some(prefix) = HomePrefix::parse(&spelling)
            && !prefixes.contains(&prefix)
        {
            prefixes.push(prefix);
        }
    }
    prefixes
}

/// Patterns that are neither absolute nor start with a glob (`.`, `src/`, `./build`) are relative to
/// the project, the server's working directory; `**/.env` and `*.pem` keep meaning "anywhere".
fn project_relative(pattern: &str, paths: &PathContext) -> String {
    let absolute = pattern.starts_with('/')
        || pattern.starts_with('*')
        || matches!(pattern.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
    if absolute {
        return pattern.to_owned();
    }
    let rest = pattern.trim_start_matches("./");
    let cwd = expand_pattern(&paths.cwd.to_string_lossy(), paths);
    match rest {
        "" | "." => cwd,
        rest => format!("{}/{rest}", cwd.trim_end_matches('/')),
    }
}

fn name_glob(pattern: &str) -> Result<globset::GlobMatcher, globset::Error> {
    Glob::new(pattern).map(|g| g.compile_matcher())
}

pub(super) fn name_globs(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p)?);
    }
    builder.build()
}

impl ConfigError {
    pub(super) fn at(file: &Path, loc: Location, message: impl Into<String>, hint: &str) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: loc.line(),
            column: loc.column(),
            message: message.into(),
            hint: hint.to_owned(),
        }
    }

    /// An error about a whole file rather than one place in it.
    pub(super) fn at_start(file: &Path, message: impl Into<String>, hint: &str) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            hint: hint.to_owned(),
        }
    }
}
