//! Words: quotes, escapes, `$'..'`, parameters, command, arithmetic and process substitutions,
//! backticks.

use std::rc::Rc;

use super::{Closer, Parser, is_meta};
use crate::detect::shell::MAX_DEPTH;
use crate::detect::shell::ast::{Anchor, List, Param, ParamOp, Part, Word, WordBuf};
use crate::detect::shell::decode::decode_escapes;

impl Parser<'_> {
    pub(super) fn word(&mut self) -> Word {
        let mut w = WordBuf::default();
        // `C:\Users\x` is a Windows path (cmd, PowerShell), not three escapes.
        let windows_path = self.peek().is_some_and(|c| c.is_ascii_alphabetic())
            && self.peek_at(1) == Some(':')
            && self.peek_at(2) == Some('\\');
        while let Some(c) = self.peek() {
            match c {
                '\\' if windows_path => {
                    self.advance(1);
                    w.char(c, true);
                }
                '<' | '>' if w.is_empty() && self.peek_at(1) == Some('(') => {
                    self.advance(1);
                    let body = self.subst_body();
                    w.push(Part::ProcSubst {
                        body,
                        output: c == '>',
                    });
                }
                '(' if w.ends_with_extglob() => {
                    let text = self.skip_balanced('(', ')');
                    w.text(&format!("({text})"), false);
                }
                c if is_meta(c) => break,
                _ => self.word_char(&mut w),
            }
        }
        w.finish()
    }

    /// One character, quoted run or expansion of an unquoted word.
    fn word_char(&mut self, w: &mut WordBuf) {
        let Some(c) = self.peek() else { return };
        match c {
            '\\' => {
                self.advance(1);
                match self.bump() {
                    Some('\n') => {}
                    Some(e) => w.char(e, true),
                    None => w.char('\\', false),
                }
            }
            '\'' => match self.single_quoted() {
                Some(s) => w.quoted(&s),
                None => {
                    self.advance(1);
                    w.char('\'', false);
                }
            },
            '"' => match self.quoted_run(Some('"')) {
                Some(parts) => w.extend(parts),
                None => {
                    self.advance(1);
                    w.char('"', false);
                }
            },
            '$' => self.dollar(w, false),
            '`' => self.backtick_or_literal(w, false),
            _ => {
                self.advance(1);
                w.char(c, false);
            }
        }
    }

    /// One character or expansion inside double quotes or a heredoc (`end` is the closing quote).
    fn quoted_char(&mut self, w: &mut WordBuf, end: Option<char>) {
        let Some(c) = self.peek() else { return };
        match c {
            '\\' => {
                self.advance(1);
                match self.peek() {
                    Some('\n') => self.advance(1),
                    Some(e) if matches!(e, '$' | '`' | '\\') || Some(e) == end => {
                        self.advance(1);
                        w.char(e, true);
                    }
                    _ => w.char('\\', true),
                }
            }
            '$' => self.dollar(w, true),
            '`' => self.backtick_or_literal(w, true),
            _ => {
                self.advance(1);
                w.char(c, true);
            }
        }
    }

    /// A double-quoted string (`end` = `"`, cursor on it) or a heredoc body (`end` = `None`, up to
    /// the end of input). `None` when the closing quote is missing.
    pub(super) fn quoted_run(&mut self, end: Option<char>) -> Option<Word> {
        let start = self.pos;
        if end.is_some() {
            self.advance(1);
        }
        let mut w = WordBuf::default();
        loop {
            match self.peek() {
                None if end.is_some() => {
                    self.reset(start);
                    return None;
                }
                None => break,
                Some(c) if Some(c) == end => {
                    self.advance(1);
                    break;
                }
                Some(_) => self.quoted_char(&mut w, end),
            }
        }
        let mut parts = w.finish();
        if parts.is_empty() {
            parts.push(Part::Quoted(String::new()));
        }
        Some(parts)
    }

    fn single_quoted(&mut self) -> Option<String> {
        let close = (self.pos + 1..self.src.len()).find(|&i| self.src[i] == '\'')?;
        let text = self.src[self.pos + 1..close].iter().collect();
        self.advance(close + 1 - self.pos);
        Some(text)
    }

    /// `$'..'` with its escapes decoded; cursor on `$`.
    fn ansi_c(&mut self) -> Option<String> {
        let start = self.pos + 2;
        let mut i = start;
        while let Some(&c) = self.src.get(i) {
            match c {
                '\\' => i += 2,
                '\'' => break,
                _ => i += 1,
            }
        }
        if i >= self.src.len() {
            return None;
        }
        let raw: String = self.src[start..i].iter().collect();
        self.advance(i + 1 - self.pos);
        Some(decode_escapes(&raw))
    }

    fn dollar(&mut self, w: &mut WordBuf, quoted: bool) {
        match self.peek_at(1) {
            Some('\'') if !quoted => match self.ansi_c() {
                Some(s) => w.quoted(&s),
                None => {
                    self.advance(1);
                    w.char('$', false);
                }
            },
            // `$"..."` is a double-quoted string: drop the `$` and read the quotes next.
            Some('"') if !quoted => self.advance(1),
            Some('(') if self.peek_at(2) == Some('(') && self.arith_end(self.pos + 3).is_some() => {
                let from = self.pos + 3;
                let end = self.arith_end(from).unwrap_or(from);
                let text: String = self.src[from..end.saturating_sub(2).max(from)]
                    .iter()
                    .collect();
                self.advance(end - self.pos);
                w.push(Part::Arith(self.arith_expansions(&text)));
            }
            Some('(') => {
                self.advance(1);
                let body = self.subst_body();
                w.push(Part::Subst { body, quoted });
            }
            Some('[') => {
                self.advance(1);
                let text = self.skip_balanced('[', ']');
                w.push(Part::Arith(self.arith_expansions(&text)));
            }
            Some('{') => {
                self.advance(2);
                let param = self.param_brace(quoted);
                w.push(param);
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                self.advance(1);
                let name = self.ident();
                w.push(Part::Param(Box::new(Param::plain(name, quoted))));
            }
            Some(c) if c.is_ascii_digit() || "@*#?-$!".contains(c) => {
                self.advance(2);
                w.push(Part::Param(Box::new(Param::plain(c.to_string(), quoted))));
            }
            _ => {
                self.advance(1);
                w.char('$', quoted);
            }
        }
    }

    /// The expansions inside an arithmetic expression (`$((1 + $(cmd)))` runs `cmd`).
    pub(super) fn arith_expansions(&self, text: &str) -> Word {
        if !text.contains(['$', '`']) {
            return Word::new();
        }
        if self.depth >= MAX_DEPTH {
            self.skip_deep();
            return Word::new();
        }
        Parser::new(text, self.depth + 1, self.budget)
            .quoted_run(None)
            .unwrap_or_default()
    }

    fn ident(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            name.push(c);
            self.advance(1);
        }
        name
    }

    /// `${..}`, cursor after the brace. Every word inside (defaults, patterns, replacements,
    /// offsets, indices) is parsed, so the substitutions in it are seen.
    fn param_brace(&mut self, quoted: bool) -> Part {
        if self.depth >= MAX_DEPTH {
            let text = self.skip_until_close('{', '}');
            self.eat("}");
            if text.contains(['$', '`']) {
                self.skip_deep();
            }
            return Part::Param(Box::new(Param {
                op: ParamOp::Opaque(Word::new()),
                ..Param::plain(text, quoted)
            }));
        }
        let param = self.deeper(|p| p.param_body(quoted));
        self.eat("}");
        Part::Param(Box::new(param))
    }

    /// What is between `${` and `}`.
    fn param_body(&mut self, quoted: bool) -> Param {
        let start = self.pos;
        // `${#name}` and `${!name}`; `${#}` and `${!}` are the parameters `#` and `!`.
        let prefix = match self.peek() {
            Some(c @ ('#' | '!')) if self.peek_at(1).is_some_and(|n| n != '}') => {
                self.advance(1);
                Some(c)
            }
            _ => None,
        };
        // `$` followed by more is an expansion (`${#$(cmd)}`), not the parameter `$`.
        let expansion = self.peek() == Some('$')
            && self
                .peek_at(1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || "_({['\"".contains(n));
        let name = match self.peek() {
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => self.ident(),
            Some(c) if "@*#?-$!".contains(c) && !expansion => {
                self.advance(1);
                c.to_string()
            }
            _ => String::new(),
        };
        let index = (self.peek() == Some('[')).then(|| self.skip_balanced('[', ']'));
        let index_word = index
            .as_deref()
            .map(|i| self.arith_expansions(i))
            .unwrap_or_default();
        let mut param = Param {
            index,
            index_word,
            indirect: prefix == Some('!'),
            ..Param::plain(name, quoted)
        };
        let keys = prefix == Some('!')
            && (matches!(self.peek(), Some('*' | '@')) && self.peek_at(1) == Some('}')
                || matches!(param.index.as_deref(), Some("@" | "*")));
        param.op = if param.name.is_empty() || keys {
            // `${!prefix*}`, `${!a[@]}`, or no name at all (`${#$(cmd)}`, a syntax error): the
            // text as its name, for rendering.
            let word = self.brace_word(quoted, &[]);
            param.name = self.src[start..self.pos].iter().collect();
            param.index = None;
            param.indirect = false;
            ParamOp::Opaque(word)
        } else if prefix == Some('#') {
            let rest = self.brace_word(quoted, &[]);
            if rest.is_empty() {
                ParamOp::Length
            } else {
                ParamOp::Opaque(rest)
            }
        } else {
            self.param_op(quoted)
        };
        param
    }

    /// The operator after a parameter's name, and its words. Patterns and replacements are read
    /// with their quotes even inside double quotes, as bash does; defaults keep the quoting around.
    fn param_op(&mut self, quoted: bool) -> ParamOp {
        let Some(c) = self.peek() else {
            return ParamOp::Plain;
        };
        match c {
            '}' => ParamOp::Plain,
            ':' if !matches!(self.peek_at(1), Some('-' | '=' | '+' | '?')) => {
                self.advance(1);
                let offset = self.brace_word(quoted, &[':']);
                let length = self.eat(":").then(|| self.brace_word(quoted, &[]));
                ParamOp::Slice { offset, length }
            }
            ':' | '-' | '=' | '+' | '?' => {
                if c == ':' {
                    self.advance(1);
                }
                let kind = self.bump();
                let word = self.brace_word(quoted, &[]);
                match kind {
                    Some('=') => ParamOp::Default { word, assign: true },
                    Some('+') => ParamOp::Alternative(word),
                    Some('?') => ParamOp::Required(word),
                    _ => ParamOp::Default {
                        word,
                        assign: false,
                    },
                }
            }
            '#' | '%' => {
                self.advance(1);
                let longest = self.eat(&c.to_string());
                ParamOp::Remove {
                    suffix: c == '%',
                    longest,
                    pattern: self.brace_word(false, &[]),
                }
            }
            '/' => {
                self.advance(1);
                let anchor = if self.eat("/") {
                    Anchor::All
                } else if self.eat("#") {
                    Anchor::Start
                } else if self.eat("%") {
                    Anchor::End
                } else {
                    Anchor::First
                };
                let pattern = self.brace_word(false, &['/']);
                let replacement = if self.eat("/") {
                    self.brace_word(false, &[])
                } else {
                    Word::new()
                };
                ParamOp::Replace {
                    anchor,
                    pattern,
                    replacement,
                }
            }
            '^' | ',' | '~' => {
                self.advance(1);
                let all = self.eat(&c.to_string());
                ParamOp::Case {
                    kind: c,
                    all,
                    pattern: self.brace_word(false, &[]),
                }
            }
            '@' if self
                .peek_at(1)
                .is_some_and(|t| t.is_ascii_alphabetic() && self.peek_at(2) == Some('}')) =>
            {
                self.advance(1);
                ParamOp::Transform(self.bump().unwrap_or('?'))
            }
            _ => ParamOp::Opaque(self.brace_word(quoted, &[])),
        }
    }

    /// A word inside `${..}`, up to the closing brace (the first one outside quotes and
    /// expansions, as in bash) or one of `stops`.
    fn brace_word(&mut self, quoted: bool, stops: &[char]) -> Word {
        let mut w = WordBuf::default();
        while self.peek().is_some_and(|c| c != '}' && !stops.contains(&c)) {
            if quoted {
                self.quoted_char(&mut w, Some('"'));
            } else {
                self.word_char(&mut w);
            }
        }
        w.finish()
    }

    /// Consumes up to (not including) the `close` matching an already consumed `open`, skipping
    /// quotes and escapes; returns the text consumed.
    fn skip_until_close(&mut self, open: char, close: char) -> String {
        let mut depth = 1usize;
        let mut text = String::new();
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.advance(1);
                text.push('\\');
                text.extend(self.bump());
                continue;
            }
            if c == '\''
                && open != '\''
                && let Some(s) = self.single_quoted()
            {
                text.push('\'');
                text.push_str(&s);
                text.push('\'');
                continue;
            }
            if c == close {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            } else if c == open {
                depth += 1;
            }
            self.advance(1);
            text.push(c);
        }
        text
    }

    /// Consumes a balanced `open .. close` (cursor on `open`); returns the text between.
    pub(super) fn skip_balanced(&mut self, open: char, close: char) -> String {
        self.advance(1);
        let text = self.skip_until_close(open, close);
        self.eat(&close.to_string());
        text
    }

    /// Where `$((..))` / `((..))` starting at `from` (after the two parentheses) ends, if it is
    /// arithmetic: its parentheses must close with `))`, not as `$( (..) .. )`.
    pub(super) fn arith_end(&mut self, from: usize) -> Option<usize> {
        let mut depth = 2usize;
        let mut last_inner_close = None;
        let mut i = from;
        while let Some(&c) = self.src.get(i) {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 1 {
                        last_inner_close = Some(i);
                    } else if depth == 0 {
                        self.burn(i - from);
                        return (last_inner_close == Some(i - 1)).then_some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.burn(i - from);
        None
    }

    /// The list inside `(..)` for `$(`, `<(`, `>(` (cursor on the parenthesis).
    pub(super) fn subst_body(&mut self) -> Option<Rc<List>> {
        if self.depth >= MAX_DEPTH {
            self.skip_deep();
            self.skip_balanced('(', ')');
            return None;
        }
        self.advance(1);
        let outer = std::mem::replace(&mut self.closers, vec![Closer::Paren]);
        let body = self.deeper(Self::list);
        self.closers = outer;
        self.eat(")");
        Some(Rc::new(body))
    }

    fn backtick_or_literal(&mut self, w: &mut WordBuf, quoted: bool) {
        match self.backtick(quoted) {
            Some(part) => w.push(part),
            None => {
                self.advance(1);
                w.char('`', quoted);
            }
        }
    }

    /// `` `..` `` (cursor on the backtick); `None` when unterminated.
    fn backtick(&mut self, quoted: bool) -> Option<Part> {
        let mut inner = String::new();
        let mut i = self.pos + 1;
        loop {
            let c = *self.src.get(i)?;
            match c {
                '`' => break,
                '\\' => match self.src.get(i + 1) {
                    Some(&e) if matches!(e, '`' | '\\' | '$') || (quoted && e == '"') => {
                        inner.push(e);
                        i += 2;
                    }
                    _ => {
                        inner.push('\\');
                        i += 1;
                    }
                },
                _ => {
                    inner.push(c);
                    i += 1;
                }
            }
        }
        self.advance(i + 1 - self.pos);
        let body = (self.depth < MAX_DEPTH)
            .then(|| Rc::new(Parser::new(&inner, self.depth + 1, self.budget).script()));
        if body.is_none() {
            self.skip_deep();
        }
        Some(Part::Subst { body, quoted })
    }
}
