//! Every path pattern of the policy in one glob set, matched once per path.
//!
//! A policy has dozens of path rules with hundreds of patterns, and `under: P` means "this path or
//! anything inside it". The index compiles `P` and `P/**` for each such pattern into one glob set,
//! so each form of a path costs a single match against everything, and records which matcher and
//! which part (`under`, `glob`, `not_under`) each hit belongs to.

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::detect::paths::CanonicalPath;

/// Which list of a path matcher a pattern came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Under,
    Glob,
    NotUnder,
}

/// A `path:` matcher: an id into the index, and which lists it has.
#[derive(Debug)]
pub(super) struct PathMatcher {
    id: usize,
    has_positive: bool,
}

/// Hits of one form (lexical or real) of a path: `(matcher id, part)` pairs.
type FormHits = Vec<(usize, Part)>;

/// What the index found for one canonical path, per form.
#[derive(Debug, Default)]
pub(super) struct PathHits {
    forms: Vec<FormHits>,
}

impl PathMatcher {
    /// A form matches when it is under/glob-matched (or the matcher has only `not_under`) and
    /// that same form is not excluded.
    /// The index (in [`CanonicalPath::forms`] order) of the first form that matches.
    pub fn matching_form(&self, hits: &PathHits) -> Option<usize> {
        hits.forms.iter().position(|form| {
            let hit = |part| form.contains(&(self.id, part));
            let positive = !self.has_positive || hit(Part::Under) || hit(Part::Glob);
            positive && !hit(Part::NotUnder)
        })
    }
}

#[derive(Debug)]
pub(super) struct PathIndexBuilder {
    builder: GlobSetBuilder,
    owners: Vec<(usize, Part)>,
    matchers: usize,
}

impl Default for PathIndexBuilder {
    fn default() -> Self {
        Self {
            builder: GlobSetBuilder::new(),
            owners: Vec::new(),
            matchers: 0,
        }
    }
}

impl PathIndexBuilder {
    /// Registers one matcher's patterns (already expanded); on error, the pattern at fault.
    pub fn add(
        &mut self,
        patterns: [(Part, Vec<String>); 3],
        case_insensitive: bool,
    ) -> Result<PathMatcher, (String, globset::Error)> {
        let id = self.matchers;
        self.matchers += 1;
        let mut has_positive = false;
        for (part, patterns) in patterns {
            has_positive |= part != Part::NotUnder && !patterns.is_empty();
            for pattern in patterns {
                let inside = match pattern.ends_with('/') {
                    true => format!("{pattern}**"),
                    false => format!("{pattern}/**"),
                };
                let spellings = match part {
                    Part::Glob => vec![pattern.clone()],
                    Part::Under | Part::NotUnder => vec![pattern.clone(), inside],
                };
                for spelling in spellings {
                    let glob =
                        path_glob(&spelling, case_insensitive).map_err(|e| (pattern.clone(), e))?;
                    self.builder.add(glob);
                    self.owners.push((id, part));
                }
            }
        }
        Ok(PathMatcher { id, has_positive })
    }

    pub fn build(self) -> Result<PathIndex, globset::Error> {
        Ok(PathIndex {
            set: self.builder.build()?,
            owners: self.owners,
        })
    }
}

#[derive(Debug)]
pub(super) struct PathIndex {
    set: GlobSet,
    owners: Vec<(usize, Part)>,
}

impl PathIndex {
    /// Matches every form of `path` against all patterns at once.
    pub fn hits(&self, path: &CanonicalPath) -> PathHits {
        let mut scratch = Vec::new();
        let forms = path
            .forms()
            .map(|form| {
                self.set
                    .matches_candidate_into(&Candidate::new(form), &mut scratch);
                let mut hits = FormHits::with_capacity(scratch.len());
                for &i in &scratch {
                    if !hits.contains(&self.owners[i]) {
                        hits.push(self.owners[i]);
                    }
                }
                hits
            })
            .collect();
        PathHits { forms }
    }
}

/// Compiles one path pattern with path semantics: `*` stays within a segment.
fn path_glob(pattern: &str, case_insensitive: bool) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .case_insensitive(case_insensitive)
        .backslash_escape(true)
        .build()
}
