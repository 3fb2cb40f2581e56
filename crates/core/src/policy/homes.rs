//! Home directories as path prefixes, so that `~/x` patterns need no regular expression per home.
//!
//! Every `~/x` pattern is widened to every home on the machine (`/home/*/x`, `/root/x`, ...). A
//! glob set can only compile `/home/*/x` as a regular expression, and hundreds of them took 15 ms
//! to compile. Split instead: `/home/*` + `/` + `x`, where the home part is one of a few fixed
//! prefixes checked by hand and the rest is a literal or simple glob the set compiles cheaply.
//!
//! The split is exact. A glob `H/R` matches a path iff the path is `a/b` with `H` matching `a` and
//! `R` matching `b`, as long as `H` and `R` translate to the same regular expression alone as in
//! the whole glob. That holds for the prefixes here (a literal, or a literal followed by one `*`
//! segment) and for any rest that does not start with `*` or `{` (only `**` depends on what
//! precedes it). Case-insensitive globs compare ASCII letters only (globset compiles with `(?-u)`),
//! and so do these prefixes.

/// A home prefix: where one home, or every home of one layout, lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HomePrefix {
    /// Exactly this directory (`/root`, or the user's own home).
    Exact(String),
    /// Any one directory inside this one (`/home/*`, the glob `<dir>/*`).
    AnyIn(String),
}

impl HomePrefix {
    /// The prefix a home spelling stands for, or `None` when it has other glob syntax.
    pub fn parse(spelling: &str) -> Option<Self> {
        if !has_glob_syntax(spelling) {
            return Some(HomePrefix::Exact(spelling.to_owned()));
        }
        let dir = spelling.strip_suffix("/*")?;
        (!dir.is_empty() && !has_glob_syntax(dir)).then(|| HomePrefix::AnyIn(dir.to_owned()))
    }

    /// `pattern` as this prefix, a `/`, and a rest that can be matched on its own.
    pub fn split<'p>(&self, pattern: &'p str) -> Option<&'p str> {
        let spelling_len = match self {
            HomePrefix::Exact(dir) => dir.len(),
            HomePrefix::AnyIn(dir) => dir.len() + 2,
        };
        let spelling = pattern.get(..spelling_len)?;
        let rest = pattern.get(spelling_len..)?.strip_prefix('/')?;
        let same_prefix = match self {
            HomePrefix::Exact(dir) => spelling == dir,
            HomePrefix::AnyIn(dir) => spelling.strip_suffix("/*") == Some(dir.as_str()),
        };
        let independent = !rest.is_empty() && !rest.starts_with(['*', '{']);
        (same_prefix && independent).then_some(rest)
    }

    /// Where in `path` this prefix ends (the index of the `/` after it), if `path` starts with it.
    pub fn end_in(&self, path: &str, case_insensitive: bool) -> Option<usize> {
        let dir = match self {
            HomePrefix::Exact(dir) | HomePrefix::AnyIn(dir) => dir,
        };
        let head = path.get(..dir.len())?;
        let same = match case_insensitive {
            true => head.eq_ignore_ascii_case(dir),
            false => head == dir,
        };
        if !same || path.as_bytes().get(dir.len()) != Some(&b'/') {
            return None;
        }
        match self {
            HomePrefix::Exact(_) => Some(dir.len()),
            HomePrefix::AnyIn(_) => {
                let inside = dir.len() + 1;
                path[inside..].find('/').map(|slash| inside + slash)
            }
        }
    }
}

/// Characters that make a glob more than a literal (with backslash escapes on).
fn has_glob_syntax(text: &str) -> bool {
    text.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_and_one_segment_globs_only() {
        assert_eq!(
            HomePrefix::parse("/root"),
            Some(HomePrefix::Exact("/root".into()))
        );
        assert_eq!(
            HomePrefix::parse("/home/*"),
            Some(HomePrefix::AnyIn("/home".into()))
        );
        for other in [
            "/home/a*",
            "/h?me/*",
            "/home/**",
            "/*",
            "/x/{a,b}",
            "/x/[ab]/*",
        ] {
            assert_eq!(HomePrefix::parse(other), None, "{other}");
        }
    }

    #[test]
    fn splits_only_independent_rests() {
        let home = HomePrefix::AnyIn("/home".into());
        assert_eq!(home.split("/home/*/.ssh/**"), Some(".ssh/**"));
        assert_eq!(home.split("/home/*/a/*/b"), Some("a/*/b"));
        for whole in [
            "/home/*",
            "/home/*/",
            "/home/*/**",
            "/home/*/*.pem",
            "/home/*/{a,b}",
        ] {
            assert_eq!(home.split(whole), None, "{whole}");
        }
        assert_eq!(home.split("/home/x/.ssh"), None);
        let root = HomePrefix::Exact("/root".into());
        assert_eq!(root.split("/root/.ssh"), Some(".ssh"));
        assert_eq!(root.split("/rooty/.ssh"), None);
    }

    #[test]
    fn finds_where_a_path_leaves_the_home() {
        let home = HomePrefix::AnyIn("/home".into());
        assert_eq!(home.end_in("/home/alice/.ssh", false), Some(11));
        assert_eq!(home.end_in("/home//.ssh", false), Some(6));
        assert_eq!(home.end_in("/home/alice", false), None);
        assert_eq!(home.end_in("/HOME/alice/x", false), None);
        assert_eq!(home.end_in("/HOME/alice/x", true), Some(11));
        let root = HomePrefix::Exact("/root".into());
        assert_eq!(root.end_in("/root/x", false), Some(5));
        assert_eq!(root.end_in("/rooty/x", false), None);
        assert_eq!(root.end_in("/root", false), None);
    }
}
