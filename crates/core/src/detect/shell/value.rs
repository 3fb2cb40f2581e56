//! What the analysis tracks: expanded words (fields), streams and where their bytes came from, and
//! the shell's state.

use std::collections::HashMap;
use std::rc::Rc;

use super::ast::Command;
use super::{MAX_VALUE_LEN, PLACEHOLDER};

/// Where data came from, when that makes running it dangerous: a description of the command that
/// downloaded or decoded it, or the data was cut short.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Taint {
    pub(super) downloaded: Option<String>,
    pub(super) decoded: Option<String>,
    /// Part of the data was cut off past [`MAX_VALUE_LEN`]: running it runs code not analysed.
    pub(super) truncated: bool,
}

impl Taint {
    pub(super) fn merge(&mut self, other: &Taint) {
        if self.downloaded.is_none() {
            self.downloaded.clone_from(&other.downloaded);
        }
        if self.decoded.is_none() {
            self.decoded.clone_from(&other.decoded);
        }
        self.truncated |= other.truncated;
    }

    pub(super) fn is_clean(&self) -> bool {
        self.downloaded.is_none() && self.decoded.is_none() && !self.truncated
    }
}

/// What reading a stream (a pipe, a file, a substitution's output) yields, as far as is known.
#[derive(Debug, Clone, Default)]
pub(super) struct Flow {
    /// The exact text, when statically known.
    pub(super) text: Option<Rc<str>>,
    pub(super) taint: Taint,
    /// The stream lists paths printed by `find` under these roots.
    pub(super) found_under: Option<Vec<Field>>,
}

impl Flow {
    /// A stream known to be empty.
    pub(super) fn empty() -> Self {
        Self::text(String::new())
    }

    /// A stream of known text; past [`MAX_VALUE_LEN`] its text is not tracked, and it is truncated.
    pub(super) fn text(text: String) -> Self {
        let fits = text.len() <= MAX_VALUE_LEN;
        Self {
            text: fits.then(|| text.into()),
            taint: Taint {
                truncated: !fits,
                ..Taint::default()
            },
            ..Self::default()
        }
    }

    /// This stream followed by `next` (a list's output is the concatenation of its commands').
    pub(super) fn then(self, next: Flow) -> Flow {
        let mut truncated = false;
        let text = match (self.text, next.text) {
            (Some(a), Some(b)) if a.len() + b.len() <= MAX_VALUE_LEN => {
                Some(format!("{a}{b}").into())
            }
            (Some(_), Some(_)) => {
                truncated = true;
                None
            }
            _ => None,
        };
        let mut taint = self.taint;
        taint.merge(&next.taint);
        taint.truncated |= truncated;
        Flow {
            text,
            taint,
            found_under: self.found_under.or(next.found_under),
        }
    }
}

/// One word after expansion.
#[derive(Debug, Clone, Default)]
pub(super) struct Field {
    /// The value; for a dynamic field, a rendering with `${NAME}` / `$(..)` for the unknown parts
    /// (which re-parses to an equally unknown value when the field is itself run as code).
    pub(super) text: String,
    /// Part of the value is unknown until run time.
    pub(super) dynamic: bool,
    /// Contains unquoted glob characters: stands for the paths the pattern matches.
    pub(super) glob: bool,
    pub(super) taint: Taint,
    /// A process substitution: what reading this path yields.
    pub(super) content: Option<Rc<Flow>>,
    /// A placeholder for paths printed by `find` under these roots.
    pub(super) found_under: Option<Vec<Field>>,
}

impl Field {
    pub(super) fn known(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            ..Self::default()
        }
    }

    pub(super) fn dynamic(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            dynamic: true,
            ..Self::default()
        }
    }

    /// Items read at run time: from `find` (judged by its roots) or from an unknown stream.
    pub(super) fn placeholder(taint: Taint, found_under: Option<Vec<Field>>) -> Self {
        Self {
            text: PLACEHOLDER.to_owned(),
            dynamic: true,
            taint,
            found_under,
            ..Self::default()
        }
    }

    pub(super) fn is_placeholder(&self) -> bool {
        self.dynamic && self.text == PLACEHOLDER
    }

    /// An element of a sparse array that is not set (`a[3]=x` leaves `a[0]`..`a[2]` unset); read
    /// only through [`super::analyze::Analyzer::lookup`], which skips it or reads it as empty.
    /// (No other field is dynamic with empty text.)
    pub(super) fn unset() -> Self {
        Self {
            dynamic: true,
            ..Self::default()
        }
    }

    pub(super) fn is_unset(&self) -> bool {
        self.dynamic && self.text.is_empty()
    }

    /// Appends text, turning the field dynamic (and truncated) past [`MAX_VALUE_LEN`].
    pub(super) fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
        if self.text.len() > MAX_VALUE_LEN {
            self.text
                .truncate(crate::text::floor_boundary(&self.text, MAX_VALUE_LEN));
            self.dynamic = true;
            self.taint.truncated = true;
        }
    }
}

/// Several fields as one (`$*`, arrays in scalar context, `eval` arguments).
pub(super) fn join_fields(fields: Vec<Field>, sep: &str) -> Field {
    let mut iter = fields.into_iter();
    let Some(mut joined) = iter.next() else {
        return Field::default();
    };
    for f in iter {
        joined.push_str(sep);
        joined.push_str(&f.text);
        joined.dynamic |= f.dynamic;
        joined.glob |= f.glob;
        joined.taint.merge(&f.taint);
    }
    joined
}

/// Shell state that commands read and change.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// Variables (arrays have several values). Unknown variables are absent.
    pub(super) vars: HashMap<String, Rc<[Field]>>,
    /// The current directory (canonical), `None` once it is unknown.
    pub(super) cwd: Option<String>,
    /// `$0 $1 ..` in `sh -c` code and functions; `None` when unknown.
    pub(super) positional: Option<Vec<Field>>,
    pub(super) functions: HashMap<String, Rc<Command>>,
    pub(super) aliases: HashMap<String, String>,
    /// Namerefs (`declare -n ref=name`): variables standing for others.
    pub(super) refs: HashMap<String, String>,
}

impl Scope {
    /// The variable `name` stands for, through namerefs.
    pub(super) fn resolve(&self, name: &str) -> String {
        let mut name = name;
        for _ in 0..8 {
            match self.refs.get(name) {
                Some(target) => name = target,
                None => break,
            }
        }
        name.to_owned()
    }
}
