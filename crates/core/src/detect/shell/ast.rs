//! The syntax tree: lists of pipelines of commands, and words as the pieces they are glued from
//! (before expansion).

use std::rc::Rc;

/// Pipelines joined by `;`, `&`, `&&`, `||` and newlines.
#[derive(Debug, Clone, Default)]
pub(super) struct List(pub(super) Vec<Item>);

#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) pipeline: Pipeline,
    /// The operator after the pipeline.
    pub(super) sep: Sep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    Seq,
    Background,
    And,
    Or,
}

impl Sep {
    pub(super) fn text(self) -> &'static str {
        match self {
            Sep::Seq => " ; ",
            Sep::Background => " & ",
            Sep::And => " && ",
            Sep::Or => " || ",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Pipeline {
    pub(super) negated: bool,
    pub(super) cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub(super) enum Command {
    Simple(Simple),
    Compound(Compound, Vec<Redir>),
    Function(String, Rc<Command>),
}

#[derive(Debug, Clone)]
pub(super) enum Compound {
    Subshell(List),
    Group(List),
    If {
        arms: Vec<(List, List)>,
        otherwise: Option<List>,
    },
    Loop {
        keyword: &'static str,
        cond: List,
        body: List,
    },
    /// `for` or `select` (which repeats until the body breaks out).
    For {
        keyword: &'static str,
        var: String,
        items: Option<Vec<Word>>,
        body: List,
    },
    Case {
        subject: Word,
        arms: Vec<(Vec<Word>, List)>,
    },
    /// `[[ .. ]]`.
    Cond(Vec<Word>),
    /// `(( .. ))`, as text and as its expansions.
    Arith(String, Word),
}

#[derive(Debug, Clone, Default)]
pub(super) struct Simple {
    pub(super) assigns: Vec<Assign>,
    pub(super) words: Vec<Word>,
    pub(super) redirs: Vec<Redir>,
}

/// `name=value`, `name+=value` or `name[index]=value` before a command (or alone), or as an
/// argument of a declaration builtin (`declare -a name=(..)`).
#[derive(Debug, Clone)]
pub(super) struct Assign {
    pub(super) name: String,
    /// `name[index]=value`: the index as written.
    pub(super) index: Option<String>,
    pub(super) append: bool,
    pub(super) value: Word,
}

#[derive(Debug, Clone)]
pub(super) struct Redir {
    pub(super) fd: Option<u32>,
    pub(super) op: RedirOp,
    /// The file, fd, here-string or (already read) heredoc body.
    pub(super) target: Word,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RedirOp {
    Read,
    Write,
    Append,
    ReadWrite,
    DupIn,
    DupOut,
    WriteAll,
    AppendAll,
    HereString,
    /// With its delimiter, for rendering.
    HereDoc(String),
}

impl RedirOp {
    pub(super) fn symbol(&self) -> &'static str {
        match self {
            RedirOp::Read => "<",
            RedirOp::Write => ">",
            RedirOp::Append => ">>",
            RedirOp::ReadWrite => "<>",
            RedirOp::DupIn => "<&",
            RedirOp::DupOut => ">&",
            RedirOp::WriteAll => "&>",
            RedirOp::AppendAll => "&>>",
            RedirOp::HereString => "<<<",
            RedirOp::HereDoc(_) => "<<",
        }
    }

    pub(super) fn writes(&self) -> bool {
        matches!(
            self,
            RedirOp::Write
                | RedirOp::Append
                | RedirOp::ReadWrite
                | RedirOp::DupOut
                | RedirOp::WriteAll
                | RedirOp::AppendAll
        )
    }

    pub(super) fn writes_stdout(&self, fd: Option<u32>) -> bool {
        match self {
            RedirOp::WriteAll | RedirOp::AppendAll => true,
            RedirOp::Write | RedirOp::Append | RedirOp::DupOut => fd.is_none_or(|fd| fd == 1),
            _ => false,
        }
    }

    pub(super) fn reads(&self) -> bool {
        matches!(self, RedirOp::Read | RedirOp::ReadWrite | RedirOp::DupIn)
    }
}

/// A word before expansion: the pieces it is glued from.
pub(super) type Word = Vec<Part>;

#[derive(Debug, Clone)]
pub(super) enum Part {
    /// Unquoted text: subject to brace expansion, tilde expansion and globbing.
    Lit(String),
    /// Quoted or escaped text, taken literally.
    Quoted(String),
    Param(Box<Param>),
    /// `$(..)`, backticks, and PowerShell-style `(..)` arguments; `None` when nested too deep.
    Subst {
        body: Option<Rc<List>>,
        quoted: bool,
    },
    /// `<(..)` or `>(..)`.
    ProcSubst {
        body: Option<Rc<List>>,
        output: bool,
    },
    /// `$((..))` and `$[..]`: a number unknown until run time; the expression's own expansions
    /// (which may run commands) are kept.
    Arith(Word),
    /// The value of `name=(a b c)`.
    Array(Vec<Word>),
}

#[derive(Debug, Clone)]
pub(super) struct Param {
    pub(super) name: String,
    /// `${name[index]}`: the index as written.
    pub(super) index: Option<String>,
    /// The expansions in the index (`${a[$i]}`, `${a[$(cmd)]}`), which run when it is evaluated.
    pub(super) index_word: Word,
    /// `${!name}`: the value of `name` names the variable expanded.
    pub(super) indirect: bool,
    pub(super) op: ParamOp,
    pub(super) quoted: bool,
}

impl Param {
    /// A plain `$name` (or `${name}`).
    pub(super) fn plain(name: String, quoted: bool) -> Self {
        Self {
            name,
            index: None,
            index_word: Word::new(),
            indirect: false,
            op: ParamOp::Plain,
            quoted,
        }
    }

    /// How the expansion reads when its value is unknown: `${name}`, `${name[i]}`, `${!name}`,
    /// `${#name}`.
    pub(super) fn render(&self) -> String {
        let index = self
            .index
            .as_ref()
            .map(|i| format!("[{i}]"))
            .unwrap_or_default();
        let prefix = match (&self.op, self.indirect) {
            (ParamOp::Length, _) => "#",
            (_, true) => "!",
            _ => "",
        };
        format!("${{{prefix}{}{index}}}", self.name)
    }
}

#[derive(Debug, Clone)]
pub(super) enum ParamOp {
    Plain,
    /// `${x:-word}` (and `${x:=word}`, which also assigns).
    Default {
        word: Word,
        assign: bool,
    },
    /// `${x:+word}`.
    Alternative(Word),
    /// `${x:?word}`: the value, or the word printed as an error.
    Required(Word),
    /// `${#x}`: the length (of a value, or of an array).
    Length,
    /// `${x#pat}` and `${x##pat}` (`suffix` false), `${x%pat}` and `${x%%pat}`.
    Remove {
        suffix: bool,
        longest: bool,
        pattern: Word,
    },
    /// `${x/pat/rep}`, `${x//pat/rep}`, `${x/#pat/rep}`, `${x/%pat/rep}`.
    Replace {
        anchor: Anchor,
        pattern: Word,
        replacement: Word,
    },
    /// `${x^pat}`, `${x^^pat}`, `${x,pat}`, `${x,,pat}`, `${x~pat}`, `${x~~pat}`.
    Case {
        kind: char,
        all: bool,
        pattern: Word,
    },
    /// `${x:offset}` and `${x:offset:length}`.
    Slice {
        offset: Word,
        length: Option<Word>,
    },
    /// `${x@op}`.
    Transform(char),
    /// Anything else (`${!prefix*}`, `${!a[@]}`, malformed text): unknown until run time; the
    /// expansions in its words still run.
    Opaque(Word),
}

/// Which matches of `${x/pat/rep}` are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    First,
    All,
    Start,
    End,
}

/// Accumulates the parts of a word, merging adjacent text of the same quoting.
#[derive(Default)]
pub(super) struct WordBuf {
    parts: Vec<Part>,
    text: String,
    text_quoted: bool,
}

impl WordBuf {
    pub(super) fn char(&mut self, c: char, quoted: bool) {
        if !self.text.is_empty() && self.text_quoted != quoted {
            self.flush();
        }
        self.text_quoted = quoted;
        self.text.push(c);
    }

    pub(super) fn text(&mut self, s: &str, quoted: bool) {
        s.chars().for_each(|c| self.char(c, quoted));
    }

    /// Quoted text, kept as a part even when empty (`''` is an empty argument).
    pub(super) fn quoted(&mut self, s: &str) {
        self.flush();
        self.parts.push(Part::Quoted(s.to_owned()));
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.parts.push(if self.text_quoted {
                Part::Quoted(text)
            } else {
                Part::Lit(text)
            });
        }
    }

    pub(super) fn push(&mut self, part: Part) {
        self.flush();
        self.parts.push(part);
    }

    pub(super) fn extend(&mut self, parts: Word) {
        self.flush();
        self.parts.extend(parts);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.text.is_empty()
    }

    /// The word so far ends with an extglob operator (`!(..)`, `@(..)`, ...).
    pub(super) fn ends_with_extglob(&self) -> bool {
        !self.text_quoted && self.text.ends_with(['@', '!', '+', '*', '?'])
    }

    pub(super) fn finish(mut self) -> Word {
        self.flush();
        self.parts
    }
}

/// The literal text of a word (names, delimiters), ignoring expansions.
pub(super) fn word_text(word: &Word) -> String {
    word.iter()
        .filter_map(|p| match p {
            Part::Lit(s) | Part::Quoted(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

/// Builtins whose `name=value` arguments are assignments, arrays included.
pub(super) const DECLARATIONS: [&str; 5] = ["declare", "typeset", "local", "export", "readonly"];

pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
