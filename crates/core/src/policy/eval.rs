//! Evaluation: judge one message view against the compiled chains.

use std::borrow::Cow;

use serde_json::Value;

use super::approval::AskOptions;
use super::facts::{Facts, string_array, walk};
use super::header::Header;
use super::path_index::PathIndex;
use super::{Action, Chain, CommandMatcher, Condition, Matcher, Policy, Rule, Selector};
use crate::detect::paths::CanonicalPath;
use crate::detect::secrets::{scan, shannon_entropy};
use crate::detect::shell::{analyze, analyze_argv};
use crate::message::View;
use crate::text::floor_boundary;

/// The verdict on one message, with what justifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    /// The rule that decided, or `None` when the default did.
    pub rule: Option<String>,
    /// Why, in words a person understands.
    pub reason: Cow<'static, str>,
    /// The canonical forms that matched (resolved paths, parsed commands, secret kinds).
    pub evidence: Vec<String>,
    /// For `ask`: the deciding rule's timeout and what "always" may cover (defaults otherwise).
    pub ask: AskOptions,
}

impl Decision {
    fn default_for(action: Action) -> Self {
        Decision {
            action,
            rule: None,
            // Static: most messages are decided by the default, and deciding should not allocate.
            reason: Cow::Borrowed(match action {
                Action::Allow => "no rule matched; the default is allow",
                Action::Log => "no rule matched; the default is log",
                Action::Ask => "no rule matched; the default is ask",
                Action::Deny => "no rule matched; the default is deny",
            }),
            evidence: Vec::new(),
            ask: AskOptions::default(),
        }
    }

    /// The decision of `rule`, having matched with `evidence`.
    fn by(rule: &Rule, evidence: Vec<String>) -> Self {
        Decision {
            action: rule.action,
            rule: Some(rule.name.clone()),
            reason: Cow::Owned(rule.reason.clone()),
            evidence,
            ask: rule.ask,
        }
    }

    /// The one-line explanation used in error messages and logs.
    pub fn explain(&self) -> String {
        let mut text = self.reason.clone().into_owned();
        if !self.evidence.is_empty() {
            text.push_str(" (");
            text.push_str(&self.evidence.join("; "));
            text.push(')');
        }
        text
    }
}

impl Policy {
    /// What a payload contains, as this policy's matchers see it; paths are looked up in
    /// `path_index` (the policy's own, or a remembered pattern's).
    pub(super) fn facts<'a>(
        &'a self,
        payload: Option<&'a Value>,
        tool: Option<&'a str>,
        path_index: &'a PathIndex,
    ) -> Facts<'a> {
        Facts::new(
            payload,
            tool,
            &self.commands,
            &self.paths,
            &self.other_bases,
            path_index,
        )
    }

    /// Judges a message. Pure apart from resolving symlinks of paths that exist.
    pub fn evaluate(&self, view: &View<'_>) -> Decision {
        let facts = self.facts(view.payload, view.target.tool.as_deref(), &self.path_index);
        let header = Header::of(view);
        let main = evaluate_chain(&self.main, &header, &facts);
        match &self.project {
            Some(project) => {
                let tightened = evaluate_chain(project, &header, &facts);
                if tightened.action > main.action {
                    tightened
                } else {
                    main
                }
            }
            None => main,
        }
    }
}

fn evaluate_chain(chain: &Chain, header: &Header<'_>, facts: &Facts<'_>) -> Decision {
    for rule in &chain.rules {
        if let Some(evidence) = rule_matches(rule, header, facts) {
            return Decision::by(rule, evidence);
        }
    }
    Decision::default_for(chain.default)
}

/// The decision of the first rule that denies `view` whatever its arguments, or of a `deny`
/// default that no rule could pre-empt. A tool or prompt so denied is removed from the lists the
/// client sees; one that some arguments might make acceptable stays listed.
fn denied_whatever_the_arguments(chain: &Chain, header: &Header<'_>) -> Option<Decision> {
    for rule in chain.rules.iter().filter(|r| header.matches(r)) {
        match (rule.conditions.is_empty(), rule.action) {
            (true, Action::Deny) => return Some(Decision::by(rule, Vec::new())),
            // A conditional deny may not match; look further.
            (false, Action::Deny) => continue,
            // Anything else may let the call through.
            _ => return None,
        }
    }
    (chain.default == Action::Deny).then(|| Decision::default_for(Action::Deny))
}

impl Policy {
    /// See [`denied_whatever_the_arguments`]; either chain denying is enough.
    pub fn denies_whatever_the_arguments(&self, view: &View<'_>) -> Option<Decision> {
        let header = Header::of(view);
        denied_whatever_the_arguments(&self.main, &header).or_else(|| {
            self.project
                .as_ref()
                .and_then(|p| denied_whatever_the_arguments(p, &header))
        })
    }
}

/// `Some(evidence)` when every part of the rule matches.
pub(super) fn rule_matches(
    rule: &Rule,
    header: &Header<'_>,
    facts: &Facts<'_>,
) -> Option<Vec<String>> {
    if !header.matches(rule) {
        return None;
    }
    let mut evidence = Vec::new();
    for condition in &rule.conditions {
        evidence.extend(condition_matches(condition, facts)?);
    }
    Some(evidence)
}

fn condition_matches(condition: &Condition, facts: &Facts<'_>) -> Option<Vec<String>> {
    let evidence = match &condition.selector {
        Selector::Any => match_any(&condition.matcher, facts),
        Selector::Key(glob) => {
            let selected: Vec<(String, &Value)> = facts
                .members()
                .iter()
                .filter(|m| glob.is_match_candidate(&m.key))
                .map(|m| (m.pointer.clone(), m.value))
                .collect();
            match_selected(&condition.matcher, &selected, facts)
        }
        Selector::Pointer(ptr) => {
            let selected: Vec<(String, &Value)> = facts
                .payload
                .and_then(|p| p.pointer(ptr))
                .map(|v| (ptr.clone(), v))
                .into_iter()
                .collect();
            match_selected(&condition.matcher, &selected, facts)
        }
    };
    (!evidence.is_empty()).then_some(evidence)
}

/// Matches against every value of the payload, using the shared facts.
fn match_any(matcher: &Matcher, facts: &Facts<'_>) -> Vec<String> {
    match matcher {
        Matcher::Path(m) => facts
            .paths()
            .iter()
            .filter_map(|p| {
                let form = m.matching_form(&p.resolved.hits)?;
                Some(describe_path(
                    &p.pointer,
                    &p.raw,
                    &p.resolved.canonical,
                    form,
                ))
            })
            .collect(),
        Matcher::Command(m) if m.every_program => {
            let each: Vec<Vec<String>> = facts
                .commands()
                .iter()
                .map(|c| command_evidence(m, &c.pointer, &c.analysis))
                .collect();
            match each.iter().any(Vec::is_empty) {
                true => Vec::new(),
                false => each.concat(),
            }
        }
        Matcher::Command(m) => facts
            .commands()
            .iter()
            .flat_map(|c| command_evidence(m, &c.pointer, &c.analysis))
            .collect(),
        Matcher::Secret(kinds) => facts
            .secrets()
            .iter()
            .filter(|s| kinds.contains(&s.kind))
            .map(|s| format!("{} at {}", s.kind.describe(), pointer_or_root(&s.pointer)))
            .collect(),
        Matcher::Size { over } => {
            let size = facts.payload.map_or(0, json_size);
            if size > *over {
                vec![format!("arguments are {size} bytes, over {over}")]
            } else {
                Vec::new()
            }
        }
        Matcher::Equals(expected) => {
            let mut out = Vec::new();
            if let Some(p) = facts.payload {
                walk(p, &mut String::new(), &mut |pointer, node, _| {
                    if node == expected {
                        out.push(format!("{} equals {expected}", pointer_or_root(pointer)));
                    }
                });
            }
            out
        }
        Matcher::Glob(_) | Matcher::Regex(_) | Matcher::Entropy { .. } => facts
            .strings()
            .iter()
            .filter_map(|s| {
                text_matches(matcher, s.text)
                    .map(|d| format!("{d} at {}", pointer_or_root(&s.pointer)))
            })
            .collect(),
    }
}

/// Matches against the values chosen by a `key` or `pointer` selector.
fn match_selected(
    matcher: &Matcher,
    selected: &[(String, &Value)],
    facts: &Facts<'_>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (pointer, value) in selected {
        match matcher {
            Matcher::Equals(expected) => {
                if *value == expected {
                    out.push(format!("{} equals {expected}", pointer_or_root(pointer)));
                }
            }
            Matcher::Size { over } => {
                let size = json_size(value);
                if size > *over {
                    out.push(format!(
                        "{} is {size} bytes, over {over}",
                        pointer_or_root(pointer)
                    ));
                }
            }
            Matcher::Command(m) => {
                let analysis = match (value, string_array(value)) {
                    (Value::String(s), _) => Some(analyze(s, facts.paths_context())),
                    (_, Some(argv)) => Some(analyze_argv(&argv, facts.paths_context())),
                    _ => None,
                };
                if let Some(a) = analysis {
                    out.extend(command_evidence(m, pointer, &a));
                }
            }
            _ => {
                for text in nested_strings(value) {
                    match matcher {
                        Matcher::Path(m) => {
                            if let Some(path) = facts.resolve(text)
                                && let Some(form) = m.matching_form(&path.hits)
                            {
                                out.push(describe_path(pointer, text, &path.canonical, form));
                            }
                        }
                        Matcher::Secret(kinds) => {
                            for f in scan(text).into_iter().filter(|f| kinds.contains(&f.kind)) {
                                out.push(format!(
                                    "{} at {}",
                                    f.kind.describe(),
                                    pointer_or_root(pointer)
                                ));
                            }
                        }
                        _ => {
                            if let Some(d) = text_matches(matcher, text) {
                                out.push(format!("{d} at {}", pointer_or_root(pointer)));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn text_matches(matcher: &Matcher, text: &str) -> Option<String> {
    match matcher {
        Matcher::Glob(g) => g
            .is_match(text)
            .then(|| format!("{} matches the glob", quote(text))),
        Matcher::Regex(r) => r
            .is_match(text)
            .then(|| format!("{} matches the pattern", quote(text))),
        Matcher::Entropy {
            min_bits,
            min_length,
        } => text
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
            .filter(|t| t.chars().count() >= *min_length)
            .map(shannon_entropy)
            .find(|bits| bits >= min_bits)
            .map(|bits| format!("a value with {bits:.1} bits of entropy per character")),
        _ => None,
    }
}

fn command_evidence(
    m: &CommandMatcher,
    pointer: &str,
    analysis: &crate::detect::shell::CommandAnalysis,
) -> Vec<String> {
    let mut out: Vec<String> = analysis
        .findings
        .iter()
        .filter(|f| m.categories.contains(&f.category))
        .map(|f| {
            format!(
                "{}: {} in `{}`",
                f.category.describe(),
                f.detail,
                analysis.canonical
            )
        })
        .collect();
    if let Some(programs) = &m.programs {
        if m.every_program
            && (analysis.programs.is_empty()
                || !analysis
                    .programs
                    .iter()
                    .all(|p| programs.is_match(p.as_str())))
        {
            return Vec::new();
        }
        out.extend(
            analysis
                .programs
                .iter()
                .filter(|p| programs.is_match(p.as_str()))
                .map(|p| format!("runs {p} at {}", pointer_or_root(pointer))),
        );
    }
    out
}

/// Describes the path by the form that matched: the lexical path (with where its symlinks lead),
/// or another reading of it.
fn describe_path(pointer: &str, raw: &str, canonical: &CanonicalPath, form: usize) -> String {
    let mut text = format!("path {}", canonical.lexical);
    if let Some(real) = &canonical.real {
        text.push_str(&format!(" -> {real}"));
    }
    let first_alternate = 1 + usize::from(canonical.real.is_some());
    if let Some(other) = form
        .checked_sub(first_alternate)
        .and_then(|i| canonical.alternates.get(i))
    {
        text = format!("path {other} (another reading of {})", canonical.lexical);
    }
    if raw != canonical.lexical {
        text.push_str(&format!(" from {}", quote(raw)));
    }
    text.push_str(&format!(" at {}", pointer_or_root(pointer)));
    text
}

fn nested_strings(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    walk(value, &mut String::new(), &mut |_, node, _| {
        if let Value::String(s) = node {
            out.push(s.as_str());
        }
    });
    out
}

fn json_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        other => serde_json::to_string(other).map_or(0, |s| s.len()),
    }
}

fn pointer_or_root(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// Quotes a value for a reason, shortened so reasons stay readable.
fn quote(text: &str) -> String {
    const MAX: usize = 120;
    if text.len() <= MAX {
        return format!("{text:?}");
    }
    format!("{:?}…", &text[..floor_boundary(text, MAX)])
}
