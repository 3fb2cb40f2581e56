//! A rule's header (direction, method, server and target globs) against a message's.

use globset::{Candidate, GlobSet};

use super::Rule;
use crate::message::{Direction, View};

/// What header globs test, prepared for glob matching once per message rather than once per rule
/// and glob.
pub(super) struct Header<'v> {
    direction: Direction,
    method: Candidate<'v>,
    server: Candidate<'v>,
    tool: Option<Candidate<'v>>,
    resource: Option<Candidate<'v>>,
    prompt: Option<Candidate<'v>>,
}

impl<'v> Header<'v> {
    pub fn of(view: &View<'v>) -> Self {
        let target = view.target;
        let candidate = |value: &'v Option<String>| value.as_deref().map(Candidate::new);
        Header {
            direction: view.direction,
            method: Candidate::new(target.method.as_str()),
            server: Candidate::new(view.server),
            tool: candidate(&target.tool),
            resource: candidate(&target.resource),
            prompt: candidate(&target.prompt),
        }
    }

    /// Whether the rule's direction, method, server and target globs match.
    pub fn matches(&self, rule: &Rule) -> bool {
        if rule.direction.is_some_and(|d| d != self.direction) {
            return false;
        }
        let header = [
            (&rule.method, Some(&self.method)),
            (&rule.server, Some(&self.server)),
            (&rule.tool, self.tool.as_ref()),
            (&rule.resource, self.resource.as_ref()),
            (&rule.prompt, self.prompt.as_ref()),
        ];
        header
            .into_iter()
            .all(|(globs, value)| globs_match(globs.as_ref(), value))
    }
}

fn globs_match(globs: Option<&GlobSet>, value: Option<&Candidate<'_>>) -> bool {
    match (globs, value) {
        (None, _) => true,
        (Some(g), Some(v)) => g.is_match_candidate(v),
        (Some(_), None) => false,
    }
}
