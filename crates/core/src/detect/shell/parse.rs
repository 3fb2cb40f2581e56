//! A tolerant recursive-descent parser for sh/bash: lists, pipelines, compound commands, functions,
//! redirections and heredocs. Words are read in [`word`].

use std::cell::Cell;
use std::rc::Rc;

use super::MAX_DEPTH;
use super::ast::{
    Assign, Command, Compound, DECLARATIONS, Item, List, Part, Pipeline, Redir, RedirOp, Sep,
    Simple, Word, is_name, word_text,
};

mod word;

/// Reserved words, recognized only where a command may start.
const KEYWORDS: [&str; 20] = [
    "if", "then", "elif", "else", "fi", "for", "select", "while", "until", "do", "done", "case",
    "esac", "in", "function", "{", "}", "!", "[[", "]]",
];

/// Closing words that end a list; stray ones (not closing anything) are skipped.
const CLOSING_WORDS: [&str; 10] = [
    "then", "elif", "else", "fi", "do", "done", "esac", "in", "}", "]]",
];

/// What ends the list being parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closer {
    Paren,
    Words(&'static [&'static str]),
    /// `;;`, `;&` or `esac`.
    CaseArm,
}

/// The work parsing may do for one input, shared by all the code parsed for it (nested code
/// included), and whether parsing had to give up on something.
#[derive(Debug)]
pub(super) struct Budget {
    /// When it runs out the parser stops as if at the end of input.
    fuel: Cell<usize>,
    /// Something nested deeper than [`MAX_DEPTH`] was skipped unread.
    too_deep: Cell<bool>,
}

impl Budget {
    pub(super) fn new(fuel: usize) -> Self {
        Self {
            fuel: Cell::new(fuel),
            too_deep: Cell::new(false),
        }
    }

    /// The fuel ran out: the input was not read to the end.
    pub(super) fn exhausted(&self) -> bool {
        self.fuel.get() == 0
    }

    /// Something nested too deep was skipped unread.
    pub(super) fn skipped_deep(&self) -> bool {
        self.too_deep.get()
    }

    /// Burns fuel for work other than parsing (matching patterns); `false` when there is not
    /// enough left, which spends it all (the analysis then gives up as for too large an input).
    pub(super) fn spend(&self, n: usize) -> bool {
        let left = self.fuel.get();
        self.fuel.set(left.saturating_sub(n));
        left > n
    }
}

/// A tolerant recursive-descent parser for sh/bash. It never fails: malformed input yields the
/// commands that can be read, with stray characters taken literally.
pub(super) struct Parser<'f> {
    src: Vec<char>,
    pos: usize,
    /// Nesting level; at [`MAX_DEPTH`] nested constructs are skipped and treated as unknown (and
    /// the budget records that).
    depth: usize,
    /// Shared work budget.
    budget: &'f Budget,
    closers: Vec<Closer>,
    /// Where parsing resumes after the next newline: the end of heredoc bodies read on this line.
    heredoc_resume: Option<usize>,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
    )
}

impl<'f> Parser<'f> {
    pub(super) fn new(text: &str, depth: usize, budget: &'f Budget) -> Self {
        Self {
            src: text.chars().collect(),
            pos: 0,
            depth,
            budget,
            closers: Vec::new(),
            heredoc_resume: None,
        }
    }

    /// Parses the whole input.
    pub(super) fn script(mut self) -> List {
        self.list()
    }

    /// Parses the whole input as the text of a double-quoted string (a prompt like `$PS4`).
    pub(super) fn string(mut self) -> Word {
        self.quoted_run(None).unwrap_or_default()
    }

    // --- cursor ---

    fn peek(&self) -> Option<char> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.src.get(self.pos + k).copied()
    }

    fn burn(&mut self, n: usize) {
        let left = self.budget.fuel.get().saturating_sub(n);
        self.budget.fuel.set(left);
        if left == 0 {
            self.pos = self.src.len();
        }
    }

    fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.src.len());
        self.burn(n);
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.advance(1);
        Some(c)
    }

    /// Moves back to `pos`, unless the fuel is spent (then the parser stays at the end).
    fn reset(&mut self, pos: usize) {
        if !self.budget.exhausted() {
            self.pos = pos;
        }
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn eat(&mut self, s: &str) -> bool {
        let found = self.starts_with(s);
        if found {
            self.advance(s.chars().count());
        }
        found
    }

    /// Spaces, tabs and line continuations.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r') => self.advance(1),
                Some('\\') if self.peek_at(1) == Some('\n') => self.advance(2),
                _ => break,
            }
        }
    }

    fn skip_comment(&mut self) {
        while self.peek().is_some_and(|c| c != '\n') {
            self.advance(1);
        }
    }

    /// Consumes a newline and jumps over the heredoc bodies read on the line it ends.
    fn newline(&mut self) {
        self.advance(1);
        if let Some(resume) = self.heredoc_resume.take()
            && resume > self.pos
        {
            self.pos = resume;
        }
    }

    /// Blanks, newlines and comments between commands.
    fn skip_space(&mut self) {
        loop {
            self.skip_blanks();
            match self.peek() {
                Some('\n') => self.newline(),
                Some('#') => self.skip_comment(),
                _ => break,
            }
        }
    }

    // --- reserved words and closers ---

    /// The reserved word at the cursor, if the bare word there is one.
    fn keyword(&self) -> Option<&'static str> {
        // Keywords are short: look no further than one character past the longest.
        let rest = &self.src[self.pos..];
        let end = rest
            .iter()
            .take(9)
            .position(|&c| is_meta(c))
            .unwrap_or(rest.len().min(9));
        let word = &rest[..end];
        KEYWORDS
            .into_iter()
            .find(|k| k.chars().eq(word.iter().copied()))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let found = self.keyword() == Some(kw);
        if found {
            self.advance(kw.chars().count());
        }
        found
    }

    /// Whether the cursor is at something that ends an enclosing construct.
    fn at_closer(&self) -> bool {
        let kw = self.keyword();
        self.closers.iter().any(|c| match c {
            Closer::Paren => self.peek() == Some(')'),
            Closer::Words(words) => kw.is_some_and(|k| words.contains(&k)),
            Closer::CaseArm => {
                self.starts_with(";;") || self.starts_with(";&") || kw == Some("esac")
            }
        })
    }

    /// Records that something nested past [`MAX_DEPTH`] is skipped.
    fn skip_deep(&self) {
        self.budget.too_deep.set(true);
    }

    fn deeper<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// Parses a list that ends at `closer` (or at any enclosing closer).
    fn nested_list(&mut self, closer: Closer) -> List {
        self.closers.push(closer);
        let list = self.deeper(Self::list);
        self.closers.pop();
        list
    }

    // --- lists, pipelines, commands ---

    fn list(&mut self) -> List {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            let Some(c) = self.peek() else { break };
            if self.at_closer() {
                break;
            }
            let stray_operator =
                matches!(c, ';' | ')' | '|') || (c == '&' && self.peek_at(1) != Some('>'));
            if stray_operator {
                self.advance(1);
                continue;
            }
            if let Some(kw) = self.keyword().filter(|k| CLOSING_WORDS.contains(k)) {
                self.advance(kw.chars().count());
                continue;
            }
            let before = self.pos;
            let pipeline = self.pipeline();
            let sep = self.separator();
            if !pipeline.cmds.is_empty() {
                items.push(Item { pipeline, sep });
            } else if self.pos == before {
                self.advance(1);
            }
        }
        List(items)
    }

    fn separator(&mut self) -> Sep {
        self.skip_blanks();
        if self.at_closer() {
            return Sep::Seq;
        }
        if self.eat("&&") {
            Sep::And
        } else if self.eat("||") {
            Sep::Or
        } else if self.peek() == Some('&') && self.peek_at(1) != Some('>') {
            self.advance(1);
            Sep::Background
        } else {
            match self.peek() {
                Some(';') => self.advance(1),
                Some('\n') => self.newline(),
                _ => {}
            }
            Sep::Seq
        }
    }

    fn pipeline(&mut self) -> Pipeline {
        self.skip_blanks();
        let negated = self.eat_keyword("!");
        let mut cmds = Vec::new();
        loop {
            self.skip_blanks();
            if let Some(cmd) = self.command() {
                cmds.push(cmd);
            }
            self.skip_blanks();
            if self.starts_with("||") || !(self.eat("|&") || self.eat("|")) {
                break;
            }
            self.skip_space();
        }
        Pipeline { negated, cmds }
    }

    fn command(&mut self) -> Option<Command> {
        self.skip_blanks();
        if self.depth >= MAX_DEPTH {
            // Compound commands are not parsed this deep: their words would be read as commands.
            let compound = matches!(
                self.keyword(),
                Some(
                    "{" | "if" | "while" | "until" | "for" | "select" | "case" | "[[" | "function"
                )
            );
            if compound || self.starts_with("(") {
                self.skip_deep();
            }
            return self.simple();
        }
        if self.starts_with("((") {
            let from = self.pos + 2;
            if let Some(end) = self.arith_end(from) {
                let text: String = self.src[from..end - 2].iter().collect();
                self.advance(end - self.pos);
                let expansions = self.arith_expansions(&text);
                return Some(self.with_redirs(Compound::Arith(text, expansions)));
            }
        }
        if self.eat("(") {
            let body = self.nested_list(Closer::Paren);
            self.eat(")");
            return Some(self.with_redirs(Compound::Subshell(body)));
        }
        let compound = match self.keyword() {
            Some("{") => {
                self.advance(1);
                let body = self.nested_list(Closer::Words(&["}"]));
                self.eat_keyword("}");
                Compound::Group(body)
            }
            Some("if") => self.if_clause(),
            Some(kw @ ("while" | "until")) => {
                self.advance(kw.len());
                let cond = self.nested_list(Closer::Words(&["do"]));
                let body = self.do_group();
                Compound::Loop {
                    keyword: kw,
                    cond,
                    body,
                }
            }
            Some(kw @ ("for" | "select")) => {
                self.advance(kw.len());
                self.for_clause(kw)
            }
            Some("case") => self.case_clause(),
            Some("[[") => self.cond_command(),
            Some("function") => return Some(self.function_keyword()),
            _ => return self.simple(),
        };
        Some(self.with_redirs(compound))
    }

    fn with_redirs(&mut self, compound: Compound) -> Command {
        let mut redirs = Vec::new();
        loop {
            self.skip_blanks();
            match self.redir() {
                Some(r) => redirs.push(r),
                None => break,
            }
        }
        Command::Compound(compound, redirs)
    }

    fn if_clause(&mut self) -> Compound {
        self.eat_keyword("if");
        let mut arms = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.nested_list(Closer::Words(&["then"]));
            self.eat_keyword("then");
            let body = self.nested_list(Closer::Words(&["elif", "else", "fi"]));
            arms.push((cond, body));
            if self.eat_keyword("elif") {
                continue;
            }
            if self.eat_keyword("else") {
                otherwise = Some(self.nested_list(Closer::Words(&["fi"])));
            }
            break;
        }
        self.eat_keyword("fi");
        Compound::If { arms, otherwise }
    }

    /// `do .. done` (or `{ .. }`) after a loop header.
    fn do_group(&mut self) -> List {
        self.skip_blanks();
        self.eat(";");
        self.skip_space();
        let (opening, closing): (&str, &'static [&'static str]) = match self.keyword() {
            Some("do") => ("do", &["done"]),
            Some("{") => ("{", &["}"]),
            _ => return List::default(),
        };
        self.eat_keyword(opening);
        let body = self.nested_list(Closer::Words(closing));
        self.eat_keyword(closing[0]);
        body
    }

    fn for_clause(&mut self, keyword: &'static str) -> Compound {
        self.skip_blanks();
        if self.starts_with("((") {
            // `for ((init; test; step))`: the expressions, evaluated each round, are the condition.
            let from = self.pos + 2;
            let mut cond = List::default();
            if let Some(end) = self.arith_end(from) {
                let text: String = self.src[from..end - 2].iter().collect();
                self.advance(end - self.pos);
                let expansions = self.arith_expansions(&text);
                cond.0.push(Item {
                    pipeline: Pipeline {
                        negated: false,
                        cmds: vec![Command::Compound(
                            Compound::Arith(text, expansions),
                            Vec::new(),
                        )],
                    },
                    sep: Sep::Seq,
                });
            }
            let body = self.do_group();
            return Compound::Loop {
                keyword: "for",
                cond,
                body,
            };
        }
        let var = word_text(&self.word());
        self.skip_space();
        let items = self.eat_keyword("in").then(|| {
            let mut items = Vec::new();
            loop {
                self.skip_blanks();
                match self.peek() {
                    Some(c) if !is_meta(c) => items.push(self.word()),
                    _ => break,
                }
            }
            items
        });
        let body = self.do_group();
        Compound::For {
            keyword,
            var,
            items,
            body,
        }
    }

    fn case_clause(&mut self) -> Compound {
        self.eat_keyword("case");
        self.skip_blanks();
        let subject = self.word();
        self.skip_space();
        self.eat_keyword("in");
        let mut arms = Vec::new();
        loop {
            self.skip_space();
            let before = self.pos;
            if self.peek().is_none() || self.eat_keyword("esac") {
                break;
            }
            self.eat("(");
            let mut patterns = Vec::new();
            loop {
                self.skip_blanks();
                if self.peek().is_some_and(|c| !is_meta(c)) {
                    patterns.push(self.word());
                }
                self.skip_blanks();
                if !self.eat("|") {
                    break;
                }
            }
            self.eat(")");
            let body = self.nested_list(Closer::CaseArm);
            arms.push((patterns, body));
            let ended = self.eat(";;&") || self.eat(";;") || self.eat(";&");
            if !ended && self.pos == before {
                self.advance(1);
            }
        }
        Compound::Case { subject, arms }
    }

    /// `[[ .. ]]`: its operators are not shell operators, so only the words are kept.
    fn cond_command(&mut self) -> Compound {
        self.eat_keyword("[[");
        let mut words = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some('\n' | ';') => break,
                _ if self.eat_keyword("]]") => break,
                Some(c) if is_meta(c) => self.advance(1),
                Some(_) => words.push(self.word()),
            }
        }
        Compound::Cond(words)
    }

    /// `function name [()] body`.
    fn function_keyword(&mut self) -> Command {
        self.eat_keyword("function");
        self.skip_blanks();
        let name = word_text(&self.word());
        self.skip_blanks();
        if self.eat("(") {
            self.skip_blanks();
            self.eat(")");
        }
        self.function_body(name)
    }

    fn function_body(&mut self, name: String) -> Command {
        self.skip_space();
        let body = self
            .deeper(Self::command)
            .unwrap_or_else(|| Command::Compound(Compound::Group(List::default()), Vec::new()));
        Command::Function(name, Rc::new(body))
    }

    fn simple(&mut self) -> Option<Command> {
        let mut s = Simple::default();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            if let Some(r) = self.redir() {
                s.redirs.push(r);
                continue;
            }
            match c {
                ';' | '&' | '|' | '\n' | ')' => break,
                '(' if s.words.len() == 1 && s.assigns.is_empty() && self.empty_parens() => {
                    self.advance(1);
                    self.skip_blanks();
                    self.eat(")");
                    return Some(self.function_body(word_text(&s.words[0])));
                }
                '(' => {
                    let part = self.paren_argument();
                    s.words.push(vec![part]);
                }
                '#' => self.skip_comment(),
                _ => {
                    let word = self.word();
                    if word.is_empty() {
                        self.advance(1);
                    } else if let Some(assign) = s
                        .words
                        .is_empty()
                        .then(|| split_assignment(&word))
                        .flatten()
                    {
                        let assign = if assign.value.is_empty() && self.peek() == Some('(') {
                            Assign {
                                value: vec![self.array()],
                                ..assign
                            }
                        } else {
                            assign
                        };
                        s.assigns.push(assign);
                    } else {
                        let mut word = word;
                        // `declare -a name=(a b c)`: an array, as in an assignment.
                        let declares = s
                            .words
                            .first()
                            .is_some_and(|w| DECLARATIONS.contains(&word_text(w).as_str()));
                        if declares
                            && self.peek() == Some('(')
                            && split_assignment(&word).is_some_and(|a| a.value.is_empty())
                        {
                            word.push(self.array());
                        }
                        s.words.push(word);
                    }
                }
            }
        }
        let empty = s.words.is_empty() && s.assigns.is_empty() && s.redirs.is_empty();
        (!empty).then_some(Command::Simple(s))
    }

    /// `()` follows (a function definition), when nesting allows one.
    fn empty_parens(&self) -> bool {
        let parens = self.src[self.pos + 1..]
            .iter()
            .find(|c| !matches!(c, ' ' | '\t'))
            .is_some_and(|&c| c == ')');
        if parens && self.depth >= MAX_DEPTH {
            self.skip_deep();
            return false;
        }
        parens
    }

    /// A `(..)` argument, a syntax error in sh but PowerShell's grouping (`iex (iwr ..)`): parsed as
    /// a command substitution when it looks like a command, else taken literally.
    fn paren_argument(&mut self) -> Part {
        let first = self.src[self.pos + 1..]
            .iter()
            .find(|c| !matches!(c, ' ' | '\t'));
        let command_like =
            first.is_some_and(|&c| c.is_ascii_alphabetic() || matches!(c, '_' | '$' | '/' | '.'));
        if command_like {
            Part::Subst {
                body: self.subst_body(),
                quoted: false,
            }
        } else {
            Part::Quoted(format!("({})", self.skip_balanced('(', ')')))
        }
    }

    /// The elements of `name=(a b c)`.
    fn array(&mut self) -> Part {
        self.advance(1);
        let mut words = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => break,
                Some(')') => {
                    self.advance(1);
                    break;
                }
                Some(c) if is_meta(c) => self.advance(1),
                Some(_) => words.push(self.word()),
            }
        }
        Part::Array(words)
    }

    // --- redirections ---

    /// A file descriptor number or `{name}` immediately before `<` or `>`.
    fn redir_fd(&mut self) -> Option<u32> {
        let mut i = self.pos;
        let named = self.peek() == Some('{');
        if named {
            i += 1;
            while self
                .src
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            if i == self.pos + 1 || self.src.get(i) != Some(&'}') {
                return None;
            }
            i += 1;
        } else {
            while self.src.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
        }
        if i == self.pos || !matches!(self.src.get(i), Some('<' | '>')) {
            return None;
        }
        let fd = if named {
            10
        } else {
            self.src[self.pos..i].iter().fold(0u32, |n, c| {
                n.saturating_mul(10)
                    .saturating_add(c.to_digit(10).unwrap_or(0))
            })
        };
        self.advance(i - self.pos);
        Some(fd)
    }

    fn redir(&mut self) -> Option<Redir> {
        let start = self.pos;
        let fd = self.redir_fd();
        let op = if self.eat("<<<") {
            RedirOp::HereString
        } else if self.eat("<<-") {
            return Some(self.heredoc(fd, true));
        } else if self.eat("<<") {
            return Some(self.heredoc(fd, false));
        } else if self.eat("<>") {
            RedirOp::ReadWrite
        } else if self.eat("<&") {
            RedirOp::DupIn
        } else if self.starts_with("<(") || self.starts_with(">(") {
            self.reset(start);
            return None;
        } else if self.eat("<") {
            RedirOp::Read
        } else if self.eat(">>") {
            RedirOp::Append
        } else if self.eat(">&") {
            RedirOp::DupOut
        } else if self.eat(">|") || self.eat(">") {
            RedirOp::Write
        } else if fd.is_none() && self.eat("&>>") {
            RedirOp::AppendAll
        } else if fd.is_none() && self.eat("&>") {
            RedirOp::WriteAll
        } else {
            self.reset(start);
            return None;
        };
        self.skip_blanks();
        let target = self.word();
        Some(Redir { fd, op, target })
    }

    fn heredoc(&mut self, fd: Option<u32>, strip_tabs: bool) -> Redir {
        self.skip_blanks();
        let delimiter = self.word();
        let quoted = delimiter.iter().any(|p| !matches!(p, Part::Lit(_)));
        let delimiter = word_text(&delimiter);
        let body = self.heredoc_body(&delimiter, strip_tabs);
        let too_deep = self.depth >= MAX_DEPTH;
        if too_deep && !quoted && body.contains(['$', '`']) {
            self.skip_deep();
        }
        let target = if quoted || too_deep {
            vec![Part::Quoted(body)]
        } else {
            Parser::new(&body, self.depth + 1, self.budget)
                .quoted_run(None)
                .unwrap_or_default()
        };
        Redir {
            fd,
            op: RedirOp::HereDoc(delimiter),
            target,
        }
    }

    /// Reads a heredoc body: the lines after the current one (or after the previous body on this
    /// line) up to the delimiter line.
    fn heredoc_body(&mut self, delimiter: &str, strip_tabs: bool) -> String {
        let len = self.src.len();
        let line_end = |from: usize| (from..len).find(|&i| self.src[i] == '\n').unwrap_or(len);
        let start = self
            .heredoc_resume
            .unwrap_or_else(|| (line_end(self.pos) + 1).min(len));
        let mut i = start;
        let mut body = String::new();
        while i < len {
            let end = line_end(i);
            let line: String = self.src[i..end].iter().collect();
            i = (end + 1).min(len);
            let line = if strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line.as_str()
            };
            if line.trim_end_matches('\r') == delimiter {
                break;
            }
            body.push_str(line);
            body.push('\n');
        }
        self.burn(i.saturating_sub(start));
        self.heredoc_resume = Some(i);
        body
    }
}

/// `name=value`, `name+=value` or `name[index]=value` as the start of a word.
pub(super) fn split_assignment(word: &Word) -> Option<Assign> {
    let Some(Part::Lit(first)) = word.first() else {
        return None;
    };
    let eq = first.find('=')?;
    let target = &first[..eq];
    let (target, append) = match target.strip_suffix('+') {
        Some(t) => (t, true),
        None => (target, false),
    };
    let (name, index) = match target.split_once('[') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(']')?.to_owned())),
        None => (target, None),
    };
    if !is_name(name) {
        return None;
    }
    let mut value = Vec::new();
    let rest = &first[eq + 1..];
    if !rest.is_empty() {
        value.push(Part::Lit(rest.to_owned()));
    }
    value.extend(word[1..].iter().cloned());
    Some(Assign {
        name: name.to_owned(),
        index,
        append,
        value,
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::tests::{argv, assert_clean, has, run};

    #[test]
    fn heredocs() {
        assert!(has("bash <<EOF\nrm -rf /\nEOF", RecursiveDelete));
        assert!(has(
            "sh <<-'EOF'\n\trm -rf ~\n\tEOF\necho done",
            RecursiveDelete
        ));
        assert!(has("cat <<EOF | sh\nrm -rf /\nEOF", RecursiveDelete));
        assert!(has(
            "python3 - <<'PY'\nimport os\nos.system('rm -rf /')\nPY",
            RecursiveDelete
        ));
        // A quoted delimiter keeps the body literal; an unquoted one expands it.
        assert_eq!(run("cat <<'EOF'\n$(rm -rf /)\nEOF").programs, ["cat"]);
        assert_eq!(run("cat <<EOF\n$(rm -rf /)\nEOF").programs, ["rm", "cat"]);
        // Data fed to a non-interpreter is data; commands after the body still count.
        assert_clean(&["cat <<EOF > notes.md\nrm -rf /\nEOF"]);
        let two = run("cat <<A <<B\na\nA\nb\nB\nrm -rf /");
        assert!(
            two.findings.iter().any(|f| f.category == RecursiveDelete),
            "{two:#?}"
        );
        assert!(has("bash <<< 'rm -rf /'", RecursiveDelete));
    }

    #[test]
    fn compound_commands() {
        let a = run("if true; then rm -rf /; elif x; then y; else z; fi");
        assert_eq!(a.programs, ["true", "rm", "x", "y", "z"]);
        assert_eq!(
            a.canonical,
            "if true ; then rm -rf / ; elif x ; then y ; else z ; fi"
        );
        assert!(has("while true; do rm -rf /etc; done", RecursiveDelete));
        assert!(has("until false; do rm -rf /etc; done", RecursiveDelete));
        assert!(has(
            "case $1 in a) rm -rf / ;; b|c) echo ok ;; esac",
            RecursiveDelete
        ));
        assert!(has("{ rm -rf /; }", RecursiveDelete));
        assert!(has("( rm -rf / )", RecursiveDelete));
        assert!(has("[[ -f x ]] && rm -rf / || true", RecursiveDelete));
        assert!(has("(( $(rm -rf /) ))", RecursiveDelete));
        assert!(has("echo $((1 + $(rm -rf /)))", RecursiveDelete));
        assert!(has(
            "for ((i=0; i<3; i++)); do rm -rf /; done",
            RecursiveDelete
        ));
        assert!(has("select x in a; do rm -rf /; done", RecursiveDelete));
    }

    #[test]
    fn comments_and_operators() {
        assert_clean(&["echo hi # rm -rf /", "echo hi;# rm -rf /", "echo a#b"]);
        assert_eq!(argv("echo a#b"), ["echo", "a#b"]);
        let a = run("ls -la | grep foo && echo ok || echo no & wait");
        assert_eq!(a.programs, ["ls", "grep", "echo", "wait"]);
        assert_eq!(
            run("rm -r -f /; curl https://x | bash").canonical,
            "rm -r -f / ; curl https://x | bash"
        );
        assert_eq!(run("a |& b\nc").programs, ["a", "b", "c"]);
    }

    #[test]
    fn unbalanced_input_is_read_not_rejected() {
        assert!(has("echo 'unterminated ; rm -rf /", RecursiveDelete));
        assert!(has("echo \"unterminated ; rm -rf /", RecursiveDelete));
        assert!(has("echo `unterminated ; rm -rf /", RecursiveDelete));
        assert!(has("echo $(rm -rf /", RecursiveDelete));
        assert!(has(") ; fi ; done ; rm -rf /", RecursiveDelete));
        assert!(has("if true; then rm -rf /", RecursiveDelete));
        for s in [
            "(((", "$(", "${", "$((", "<<", "case", "for", "f()", "{", "'", "\"", "`", "\\", "<(",
            "a=(", "[[", "$'", "${x:-",
        ] {
            run(s);
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{}rm -rf /{}", "$(".repeat(200), ")".repeat(200));
        let a = run(&deep);
        assert!(a.programs.contains(&"?".to_owned()), "{a:?}");
        // Each `eval` runs the rest as code one level deeper.
        assert!(
            run(&("eval ".repeat(40) + "rm -rf /"))
                .programs
                .contains(&"?".to_owned())
        );
        assert!(has(&("eval ".repeat(8) + "rm -rf /"), RecursiveDelete));
        assert!(has(
            "sh -c \"sh -c 'sh -c \\\"rm -rf /\\\"'\"",
            RecursiveDelete
        ));
    }

    #[test]
    fn hostile_inputs_stay_fast() {
        let inputs = [
            "$(".repeat(20_000),
            "((((".repeat(10_000),
            "\"$(\"".repeat(5_000),
            "'".repeat(20_001),
            "`".repeat(10_001),
            "{a,b}".repeat(500),
            "x=$x$x$x$x;".repeat(200),
            "f(){ f|f& };f;".repeat(500),
            "if ".repeat(10_000),
            "<<A ".repeat(2_000) + "\n",
            "${x:-".repeat(10_000),
            "$((".repeat(10_000),
            "for i in 1 2 3 4 5 6 7 8; do ".repeat(100) + &"done;".repeat(100),
            "nice ".repeat(20_000) + "rm -rf /",
            "a() b() ".repeat(5_000),
            "echo $'\\x".repeat(10_000),
            "sh -c '".repeat(5_000),
            format!("x={}; y=${{x//a*a*a*a*a*a*b/c}}", "a".repeat(60_000)),
            format!(
                "x={}; echo ${{x,,}} ${{x^^[a-z]}} ${{x%%*a}} ${{x/%a*/}}",
                "a".repeat(60_000)
            ),
            format!(
                "x={}; {}",
                "a".repeat(2_000),
                "echo ${x//?/b}; ".repeat(500)
            ),
            "while :; do x=$x$x; done; ".repeat(200),
            "while :; do x=$x.; ".repeat(30) + &"done;".repeat(30),
            "for f in *; do a=$b; b=$c; c=$d; d=$f; ".repeat(20) + &"done;".repeat(20),
        ];
        for input in &inputs {
            let start = Instant::now();
            let a = run(input);
            assert!(
                start.elapsed() < Duration::from_secs(4),
                "slow on {:?}…",
                &input[..20]
            );
            drop(a);
        }
        assert!(has(&("nice ".repeat(20_000) + "rm -rf /"), RecursiveDelete));
    }
}
