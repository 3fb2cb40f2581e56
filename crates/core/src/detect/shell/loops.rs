//! Loops: `for` is unrolled over known values; a loop that may go round again is walked again
//! while a round changes what the next one reads, so that what the end of the body assigns is seen
//! by the commands before it (`x=build; while :; do rm -rf $x; x=/; done`).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::analyze::Analyzer;
use super::ast::{List, Word};
use super::render::render_fields;
use super::value::{Field, Flow, Scope};
use super::{MAX_LOOP_PASSES, MAX_LOOP_VALUES};

/// What a round of a loop may change that the next round reads.
struct Snapshot {
    scope: Scope,
    written: HashMap<String, Flow>,
}

fn same_field(a: &Field, b: &Field) -> bool {
    a.text == b.text
        && a.dynamic == b.dynamic
        && a.glob == b.glob
        && a.taint == b.taint
        && match (&a.content, &b.content) {
            (Some(x), Some(y)) => Rc::ptr_eq(x, y),
            (x, y) => x.is_none() && y.is_none(),
        }
        && match (&a.found_under, &b.found_under) {
            (Some(x), Some(y)) => same_fields(x, y),
            (x, y) => x.is_none() && y.is_none(),
        }
}

fn same_fields(a: &[Field], b: &[Field]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_field(x, y))
}

fn same_positional(a: Option<&Vec<Field>>, b: Option<&Vec<Field>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_fields(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

fn same_flow(a: &Flow, b: &Flow) -> bool {
    a.text == b.text && a.taint == b.taint
}

fn same_map<V>(
    a: &HashMap<String, V>,
    b: &HashMap<String, V>,
    same: impl Fn(&V, &V) -> bool,
) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
}

impl Analyzer {
    /// `while`/`until` (and `for ((..))`): the condition and body, walked again while they change
    /// the state.
    pub(super) fn while_loop(
        &mut self,
        keyword: &str,
        cond: &List,
        body: &List,
        scope: &mut Scope,
        stdin: &Flow,
    ) -> Flow {
        let before = self.snapshot(scope);
        self.emit(keyword);
        if !cond.0.is_empty() {
            self.emit(" ");
            self.list(cond, scope, stdin);
        }
        self.emit(" ; do ");
        let output = self.list(body, scope, stdin);
        self.emit(" ; done");
        self.repeat_loop(before, scope, output, |a, scope| {
            a.list(cond, scope, stdin);
            a.list(body, scope, stdin)
        })
    }

    /// Unrolls the loop over its values when they are few and known, so that the body is judged
    /// for each (`for d in build dist; do rm -rf $d; done` is fine, `for d in / ..` is not); the
    /// canonical form keeps the loop variable symbolic. When the number of rounds is unknown (a
    /// glob, a substitution, `select`, values not unrolled), the rounds are repeated while they
    /// change the state.
    pub(super) fn for_loop(
        &mut self,
        keyword: &str,
        var: &str,
        items: Option<&[Word]>,
        body: &List,
        scope: &mut Scope,
        stdin: &Flow,
    ) -> Flow {
        let values = match items {
            Some(words) => {
                let mut values = Vec::new();
                for w in words {
                    values.extend(self.expand(w, scope));
                }
                values
            }
            None => scope
                .positional
                .as_ref()
                .map(|p| p[1..].to_vec())
                .unwrap_or_else(|| vec![Field::dynamic("$@")]),
        };
        self.emit(&format!(
            "{keyword} {var} in {} ; do ",
            render_fields(&values)
        ));
        let symbolic = Field::dynamic(&format!("${{{var}}}"));
        let unroll = !values.is_empty()
            && values.len() <= MAX_LOOP_VALUES
            && self.may_repeat(values.len() + 1);
        let open_ended = keyword == "select" || values.iter().any(|v| v.dynamic || v.glob);
        let output = if unroll {
            // Reserved before the body runs, so that loops nested in it see the budget spent.
            self.extra_passes += values.len() + 1;
            let mut render_scope = scope.clone();
            render_scope
                .vars
                .insert(var.to_owned(), Rc::from([symbolic]));
            self.silent += 1;
            self.list(body, &mut render_scope, stdin);
            self.silent -= 1;
            // The variable ends as the last value: only what the body changes counts.
            if let Some(last) = values.last() {
                scope.vars.insert(var.to_owned(), Rc::from([last.clone()]));
            }
            let before = self.snapshot(scope);
            let round = |a: &mut Self, scope: &mut Scope| {
                let mut output = Flow::empty();
                for value in &values {
                    scope.vars.insert(var.to_owned(), Rc::from([value.clone()]));
                    output = output.then(a.capture(|a| a.list(body, scope, stdin)).0);
                }
                output
            };
            let output = round(self, scope);
            if open_ended {
                self.repeat_loop(before, scope, output, round)
            } else {
                output
            }
        } else {
            scope
                .vars
                .insert(var.to_owned(), Rc::from([symbolic.clone()]));
            let before = self.snapshot(scope);
            let output = self.list(body, scope, stdin);
            self.repeat_loop(before, scope, output, |a, scope| {
                scope
                    .vars
                    .insert(var.to_owned(), Rc::from([symbolic.clone()]));
                a.list(body, scope, stdin)
            })
        };
        self.emit(" ; done");
        output
    }

    /// Walks a loop's rounds again (their rendering discarded) while the last one changed the
    /// state it started from. After [`MAX_LOOP_PASSES`] rounds, what a round changes is widened
    /// (see [`Analyzer::widen`]) so that the rounds end; past the budget for repeated work, the
    /// loop cannot be judged.
    fn repeat_loop(
        &mut self,
        mut before: Snapshot,
        scope: &mut Scope,
        mut output: Flow,
        mut round: impl FnMut(&mut Self, &mut Scope) -> Flow,
    ) -> Flow {
        if self.silent > 0 {
            return output;
        }
        let mut passes = 1;
        let mut widened = HashSet::new();
        loop {
            if passes >= MAX_LOOP_PASSES {
                self.widen(&before, scope, &mut widened);
            }
            if self.same_state(&before, scope) {
                break;
            }
            if !self.may_repeat(1) {
                self.give_up("a loop changes what it reads more often than can be analysed");
                break;
            }
            self.extra_passes += 1;
            before = self.snapshot(scope);
            output = output.then(self.capture(|a| round(a, scope)).0);
            passes += 1;
        }
        output
    }

    fn snapshot(&self, scope: &Scope) -> Snapshot {
        Snapshot {
            scope: scope.clone(),
            written: self.written.clone(),
        }
    }

    fn same_state(&self, before: &Snapshot, scope: &Scope) -> bool {
        let old = &before.scope;
        same_map(&old.vars, &scope.vars, |a, b| same_fields(a, b))
            && old.cwd == scope.cwd
            && same_positional(old.positional.as_ref(), scope.positional.as_ref())
            && same_map(&old.functions, &scope.functions, Rc::ptr_eq)
            && old.aliases == scope.aliases
            && old.refs == scope.refs
            && same_map(&before.written, &self.written, same_flow)
    }

    /// Makes what a round changed less precise, so that rounds end: a variable that changes
    /// becomes dynamic (keeping its text, which is still run as code), and if it changes again,
    /// wholly unknown; the working directory and positional parameters become unknown, and files
    /// lose their known content. Taint is kept.
    fn widen(&mut self, before: &Snapshot, scope: &mut Scope, widened: &mut HashSet<String>) {
        let old = &before.scope;
        for (name, values) in scope.vars.iter_mut() {
            let previous = old.vars.get(name);
            let mut dynamic: Vec<Field> = values
                .iter()
                .map(|f| Field {
                    dynamic: true,
                    ..f.clone()
                })
                .collect();
            if previous.is_some_and(|v| same_fields(v, values) || same_fields(v, &dynamic)) {
                if let Some(v) = previous {
                    *values = Rc::clone(v);
                }
                continue;
            }
            // Once dynamic and changing still: unknown, with every taint it has had.
            let was_dynamic = previous.is_some_and(|v| v.iter().any(|f| f.dynamic));
            if !widened.insert(name.clone()) || was_dynamic {
                let mut unknown = Field::dynamic(&format!("${{{name}}}"));
                for f in values
                    .iter()
                    .chain(previous.into_iter().flat_map(|v| v.iter()))
                {
                    unknown.taint.merge(&f.taint);
                }
                dynamic = vec![unknown];
            }
            *values = dynamic.into();
        }
        if old.cwd != scope.cwd {
            scope.cwd = None;
        }
        if !same_positional(old.positional.as_ref(), scope.positional.as_ref()) {
            scope.positional = None;
        }
        self.written.retain(|key, flow| {
            if before
                .written
                .get(key)
                .is_some_and(|old| same_flow(old, flow))
            {
                return true;
            }
            flow.text = None;
            !flow.taint.is_clean()
        });
    }
}
