//! Every path pattern of the policy in one glob set, matched once per path.
//!
//! A policy has dozens of path rules with hundreds of patterns, and `under: P` means "this path or
//! anything inside it". The index compiles `P` and `P/**` for each such pattern into one glob set,
//! so each form of a path costs a single match against everything, and records which matcher and
//! which part (`under`, `glob`, `not_under`) each hit belongs to. Patterns inside a home
//! (`/home/*/.ssh`) sit in a second set without their home prefix, matched against what follows
//! each home the path starts with (see [`super::homes`]).

use std::collections::HashMap;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use super::homes::HomePrefix;
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

/// An index entry's owner: `(matcher id, part)`.
type Owner = (usize, Part);

#[derive(Debug)]
pub(super) struct PathIndexBuilder {
    anywhere: GlobSetBuilder,
    owners: Vec<Owner>,
    homes: Vec<HomePrefix>,
    case_insensitive: bool,
    in_home: GlobSetBuilder,
    /// Each rest compiled into `in_home` once, with its index there.
    rests: HashMap<String, usize>,
    rest_owners: Vec<Vec<(Owner, usize)>>,
    matchers: usize,
}

impl Default for PathIndexBuilder {
    fn default() -> Self {
        Self {
            anywhere: GlobSetBuilder::new(),
            owners: Vec::new(),
            homes: Vec::new(),
            case_insensitive: false,
            in_home: GlobSetBuilder::new(),
            rests: HashMap::new(),
            rest_owners: Vec::new(),
            matchers: 0,
        }
    }
}

impl PathIndexBuilder {
    /// An index that matches patterns starting with one of `homes` as that home plus the rest
    /// (see [`super::homes`]). Without homes, every pattern is one glob of the set.
    pub fn with_homes(homes: Vec<HomePrefix>, case_insensitive: bool) -> Self {
        Self {
            homes,
            case_insensitive,
            ..Self::default()
        }
    }

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
                    self.add_spelling(&spelling, (id, part), case_insensitive)
                        .map_err(|e| (pattern.clone(), e))?;
                }
            }
        }
        Ok(PathMatcher { id, has_positive })
    }

    /// Files one glob under its home prefix, or in the set of globs matched anywhere.
    fn add_spelling(
        &mut self,
        spelling: &str,
        owner: Owner,
        case_insensitive: bool,
    ) -> Result<(), globset::Error> {
        match self.in_home_index(spelling, case_insensitive) {
            Some((home, index)) => self.rest_owners[index].push((owner, home)),
            None => {
                self.anywhere.add(path_glob(spelling, case_insensitive)?);
                self.owners.push(owner);
            }
        }
        Ok(())
    }

    /// The home `spelling` starts with and the index of the rest in `in_home` (compiled when
    /// first seen), or `None` when the glob stays whole: it starts with no home, or its rest does
    /// not compile alone (the whole glob then reports the error as written).
    fn in_home_index(&mut self, spelling: &str, case_insensitive: bool) -> Option<(usize, usize)> {
        if case_insensitive != self.case_insensitive {
            return None;
        }
        let (home, rest) = self
            .homes
            .iter()
            .enumerate()
            .find_map(|(home, prefix)| Some((home, prefix.split(spelling)?)))?;
        if let Some(&index) = self.rests.get(rest) {
            return Some((home, index));
        }
        self.in_home.add(path_glob(rest, case_insensitive).ok()?);
        self.rest_owners.push(Vec::new());
        let index = self.rest_owners.len() - 1;
        self.rests.insert(rest.to_owned(), index);
        Some((home, index))
    }

    pub fn build(self) -> Result<PathIndex, globset::Error> {
        Ok(PathIndex {
            anywhere: self.anywhere.build()?,
            owners: self.owners,
            homes: self.homes,
            case_insensitive: self.case_insensitive,
            in_home: self.in_home.build()?,
            rest_owners: self.rest_owners,
        })
    }
}

#[derive(Debug)]
pub(super) struct PathIndex {
    anywhere: GlobSet,
    owners: Vec<Owner>,
    homes: Vec<HomePrefix>,
    case_insensitive: bool,
    in_home: GlobSet,
    /// For each glob of `in_home`: who owns it, under which home.
    rest_owners: Vec<Vec<(Owner, usize)>>,
}

impl PathIndex {
    /// Matches every form of `path` against all patterns at once.
    pub fn hits(&self, path: &CanonicalPath) -> PathHits {
        let mut scratch = Vec::new();
        let forms = path
            .forms()
            .map(|form| self.form_hits(form, &mut scratch))
            .collect();
        PathHits { forms }
    }

    fn form_hits(&self, form: &str, scratch: &mut Vec<usize>) -> FormHits {
        let mut hits = FormHits::new();
        let mut add = |owner: Owner| {
            if !hits.contains(&owner) {
                hits.push(owner);
            }
        };
        self.anywhere
            .matches_candidate_into(&Candidate::new(form), scratch);
        for &i in scratch.iter() {
            add(self.owners[i]);
        }
        if self.rest_owners.is_empty() {
            return hits;
        }
        let ends: Vec<Option<usize>> = self
            .homes
            .iter()
            .map(|home| home.end_in(form, self.case_insensitive))
            .collect();
        for (first, &end) in ends.iter().enumerate() {
            // Homes ending at the same place share one match of the rest.
            let Some(end) = end.filter(|&end| !ends[..first].contains(&Some(end))) else {
                continue;
            };
            self.in_home
                .matches_candidate_into(&Candidate::new(&form[end + 1..]), scratch);
            for &i in scratch.iter() {
                for &(owner, home) in &self.rest_owners[i] {
                    if ends[home] == Some(end) {
                        add(owner);
                    }
                }
            }
        }
        hits
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::super::compile::{BUILTIN_POLICY, Compiler, home_prefixes};
    use super::super::config::ConfigFile;
    use super::*;
    use crate::detect::paths::PathContext;

    /// The built-in policy's path index with the home table, and as one glob per pattern (how
    /// it was compiled before the table, the reference).
    fn builtin_indexes(paths: &PathContext) -> (PathIndex, PathIndex) {
        let config: ConfigFile = serde_saphyr::from_str(BUILTIN_POLICY).expect("built-in parses");
        let homes = home_prefixes(paths);
        let mut tabled = Compiler {
            paths,
            path_index: PathIndexBuilder::with_homes(homes, paths.case_insensitive),
        };
        let mut reference = Compiler {
            paths,
            path_index: PathIndexBuilder::default(),
        };
        for condition in config.rules.iter().flat_map(|r| &r.value.arguments) {
            if condition.value.path.is_some() {
                assert!(tabled.condition(&condition.value).is_ok());
                assert!(reference.condition(&condition.value).is_ok());
            }
        }
        let built = |c: Compiler<'_>| c.path_index.build().expect("index builds");
        (built(tabled), built(reference))
    }

    /// Every home layout the policy knows, and some it must not confuse with them.
    fn context() -> impl Strategy<Value = PathContext> {
        let home = prop::sample::select(vec![
            None,
            Some("/home/alice"),
            Some("/Users/bob"),
            Some("/root"),
            Some("/var/home/carol"),
            Some("C:\\Users\\dave"),
            Some("/tmp/we[i]rd*"),
            Some("/"),
        ]);
        let cwd = prop::sample::select(vec!["/tmp/p/project", "/home/alice/project", "/"]);
        (home, cwd, any::<bool>()).prop_map(|(home, cwd, case_insensitive)| PathContext {
            home: home.map(PathBuf::from),
            cwd: PathBuf::from(cwd),
            case_insensitive,
            resolve_symlinks: false,
        })
    }

    /// Paths in and around every home layout, through the names the built-in rules protect.
    fn path() -> impl Strategy<Value = String> {
        let start = prop::sample::select(vec![
            "/home",
            "/HOME",
            "/root",
            "/Root",
            "/rooty",
            "/Users",
            "/users",
            "c:/users",
            "C:/Users",
            "/var/home",
            "/tmp/p/project",
            "/tmp/we[i]rd*",
            "",
            "c:",
            "/home/alice",
        ]);
        let segment = prop::sample::select(vec![
            "alice",
            "bob",
            "root",
            "",
            ".ssh",
            ".SSH",
            "id_rsa",
            "id_rsa.pub",
            ".config",
            "gcloud",
            "Library",
            "Application Support",
            "Google",
            "Chrome",
            ".aws",
            "AppData",
            "Roaming",
            "Local",
            "x",
            ".env",
            ".var",
            "app",
            "config",
            "Default",
            "Keychains",
            "Group Containers",
            "a.com.1password",
            ".ansible",
            "vault_pass1",
            ".docker",
            "config.json",
            "ſ",
            "K",
            "..",
            "*",
            "home",
            "Users",
        ]);
        (start, prop::collection::vec(segment, 0..6)).prop_map(|(start, rest)| {
            std::iter::once(start)
                .chain(rest)
                .collect::<Vec<_>>()
                .join("/")
        })
    }

    fn sorted(mut hits: FormHits) -> Vec<(usize, u8)> {
        hits.sort_by_key(|&(id, part)| (id, part as u8));
        hits.into_iter()
            .map(|(id, part)| (id, part as u8))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn home_table_matches_exactly_what_one_glob_per_pattern_matched(
            paths in context(),
            forms in prop::collection::vec(path(), 32),
        ) {
            let (tabled, reference) = builtin_indexes(&paths);
            let mut scratch = Vec::new();
            for form in &forms {
                prop_assert_eq!(
                    sorted(tabled.form_hits(form, &mut scratch)),
                    sorted(reference.form_hits(form, &mut scratch)),
                    "{}", form
                );
            }
        }
    }

    #[test]
    fn home_table_takes_the_home_patterns_out_of_the_glob_set() {
        let paths = PathContext::for_host(Some("/home/alice".into()), "/tmp/p".into());
        let (tabled, reference) = builtin_indexes(&paths);
        assert!(tabled.owners.len() * 3 < reference.owners.len());
        let mut scratch = Vec::new();
        for form in [
            "/home/bob/.ssh/id_rsa",
            "/root/.aws",
            "/Users/x/Library/Keychains/k",
        ] {
            assert!(!tabled.form_hits(form, &mut scratch).is_empty(), "{form}");
        }
    }
}
