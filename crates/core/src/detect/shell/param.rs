//! Parameter expansion operators: defaults, lengths, indirection, pattern removal and replacement,
//! case changes, slices and transformations, computed on known values.
//!
//! The expansions inside an operator's words (a pattern, a replacement, an offset, an index) run
//! whatever the value is, so they are always expanded, and analysed. An operator that cannot be
//! computed (its value or its pattern unknown) yields a value unknown until run time.

use std::rc::Rc;

use super::analyze::Analyzer;
use super::ast::{Anchor, Param, ParamOp, Word, is_name};
use super::decode::decode_escapes;
use super::expand::has_glob;
use super::parse::Budget;
use super::value::{Field, Scope, Taint};

/// The value of a parameter before its operator: the fields (`None` when unknown), and whether it
/// is a list (`$@`, `$*`, `${a[@]}`, `${a[*]}`).
struct Base {
    values: Option<Vec<Field>>,
    list: bool,
}

impl Analyzer {
    /// The values of a parameter expansion: one, or several for `$@`, `${a[@]}` and what operators
    /// make of them. A value unknown until run time is a dynamic field rendered as the expansion.
    pub(super) fn param_values(&mut self, p: &Param, scope: &mut Scope) -> Vec<Field> {
        let base = self.param_base(p, scope);
        // What a value not computed here is made from: the variable's bytes (a length is not).
        let mut taint = Taint::default();
        if !matches!(p.op, ParamOp::Length) {
            for f in base.values.iter().flatten() {
                taint.merge(&f.taint);
            }
        }
        let values = match &p.op {
            ParamOp::Plain => base.values,
            ParamOp::Default { word, assign } => {
                return self.param_default(p, base.values, word, *assign, scope);
            }
            ParamOp::Alternative(word) => {
                let known = base.values.filter(|v| v.iter().all(|f| !f.dynamic));
                let alternative = self.expand_one(word, scope);
                return match known {
                    Some(v) if v.iter().all(|f| f.text.is_empty()) => vec![Field::default()],
                    Some(_) => vec![alternative],
                    // Unknown here, it may well be set when the command runs.
                    None => vec![Field {
                        dynamic: true,
                        ..alternative
                    }],
                };
            }
            ParamOp::Required(word) => {
                self.expand_one(word, scope);
                base.values
            }
            ParamOp::Length => base
                .values
                .filter(|v| v.iter().all(|f| !f.dynamic))
                .map(|v| {
                    let n = if base.list {
                        v.len()
                    } else {
                        v.iter().map(|f| f.text.chars().count()).sum()
                    };
                    vec![Field::known(&n.to_string())]
                }),
            ParamOp::Remove {
                suffix,
                longest,
                pattern,
            } => {
                let pattern = self.expand_pattern(pattern, scope);
                self.map_values(base.values, |a, text| {
                    a.remove_match(text, &pattern, *suffix, *longest)
                })
            }
            ParamOp::Replace {
                anchor,
                pattern,
                replacement,
            } => {
                let pattern = self.expand_pattern(pattern, scope);
                let replacement = self.expand_one(replacement, scope);
                taint.merge(&replacement.taint);
                // `&` stands for the match (bash's patsub_replacement): not computed.
                let known = !replacement.dynamic && !replacement.text.contains('&');
                self.map_values(base.values.filter(|_| known), |a, text| {
                    a.replace_match(text, &pattern, &replacement.text, *anchor)
                })
            }
            ParamOp::Case { kind, all, pattern } => {
                let pattern = self.expand_pattern(pattern, scope);
                self.map_values(base.values, |a, text| {
                    a.change_case(text, &pattern, *kind, *all)
                })
            }
            ParamOp::Slice { offset, length } => {
                let offset = self.expand_one(offset, scope);
                let length = length.as_ref().map(|w| self.expand_one(w, scope));
                let offset = arith_int(&offset);
                let length = match length {
                    Some(l) => arith_int(&l).map(Some),
                    None => Some(None),
                };
                match (offset, length) {
                    (Some(offset), Some(length)) => self.slice(p, base, offset, length, scope),
                    _ => None,
                }
            }
            ParamOp::Transform(op) => self.map_values(base.values, |_, text| transform(text, *op)),
            ParamOp::Opaque(word) => {
                taint.merge(&self.expand_one(word, scope).taint);
                None
            }
        };
        values.unwrap_or_else(|| {
            let mut unknown = Field::dynamic(&p.render());
            unknown.taint = taint;
            vec![unknown]
        })
    }

    /// The variable (or element) a parameter names, through `${!ref}` indirection.
    fn param_base(&mut self, p: &Param, scope: &mut Scope) -> Base {
        let is_list = |name: &str, index: Option<&str>| {
            matches!(name, "@" | "*") || matches!(index.map(str::trim), Some("@" | "*"))
        };
        let index = if p.index_word.is_empty() {
            Some(p.index.clone())
        } else {
            // `${a[$i]}`: the index's expansions run; it is used when known.
            let f = self.expand_one(&p.index_word, scope);
            (!f.dynamic).then_some(Some(f.text))
        };
        let Some(index) = index else {
            return Base {
                values: None,
                list: false,
            };
        };
        if !p.indirect {
            return Base {
                values: self.lookup(&p.name, index.as_deref(), scope),
                list: is_list(&p.name, index.as_deref()),
            };
        }
        // `${!ref}`: the value of `ref` names the variable, possibly with an index.
        let reference = self
            .lookup(&p.name, index.as_deref(), scope)
            .and_then(|v| v.into_iter().next())
            .filter(|f| !f.dynamic);
        let target = reference.as_ref().and_then(|r| {
            let text = r.text.as_str();
            match text.split_once('[') {
                Some((name, rest)) => Some((name, Some(rest.strip_suffix(']')?))),
                None => Some((text, None)),
            }
        });
        match target {
            Some((name, index))
                if is_name(name) || name.bytes().all(|b| b.is_ascii_digit()) || name == "@" =>
            {
                Base {
                    values: self.lookup(name, index, scope),
                    list: is_list(name, index),
                }
            }
            _ => Base {
                values: None,
                list: false,
            },
        }
    }

    /// `${x:-word}` / `${x:=word}`.
    fn param_default(
        &mut self,
        p: &Param,
        values: Option<Vec<Field>>,
        word: &Word,
        assign: bool,
        scope: &mut Scope,
    ) -> Vec<Field> {
        match values {
            Some(mut v) if v.iter().any(|f| f.dynamic || !f.text.is_empty()) => {
                if v.iter().any(|f| f.dynamic) {
                    // Empty when the command runs, the default is used: its expansions run.
                    let default = self.expand_one(word, scope);
                    v.iter_mut().for_each(|f| f.taint.merge(&default.taint));
                }
                v
            }
            // Unset here, the default is what the script means (the environment rarely sets it).
            _ => {
                let v = self.expand_one(word, scope);
                if assign && p.index.is_none() && !p.indirect {
                    scope.vars.insert(p.name.clone(), Rc::from([v.clone()]));
                }
                vec![v]
            }
        }
    }

    /// Applies `f` to each known value; `None` when a value is unknown or `f` cannot compute it.
    fn map_values(
        &mut self,
        values: Option<Vec<Field>>,
        mut f: impl FnMut(&mut Self, &str) -> Option<String>,
    ) -> Option<Vec<Field>> {
        let values = values?;
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            if v.dynamic {
                return None;
            }
            let mut f_out = v;
            let text = f(self, &f_out.text)?;
            f_out.glob &= has_glob(&text);
            f_out.text = text;
            // What a computed value stands for is no longer what the variable stood for.
            f_out.found_under = None;
            f_out.content = None;
            out.push(f_out);
        }
        Some(out)
    }

    /// `${x:offset:length}`: a substring, or a part of a list (`${@:1}`, `${a[@]:1:2}`).
    fn slice(
        &self,
        p: &Param,
        base: Base,
        offset: i64,
        length: Option<i64>,
        scope: &Scope,
    ) -> Option<Vec<Field>> {
        if base.list {
            // `${@:0}` starts at `$0`.
            let items: Vec<Field> = match (p.indirect, p.name.as_str()) {
                (false, "@" | "*") => scope.positional.clone()?,
                _ => base.values?,
            };
            let (start, end) = bounds(items.len(), offset, length)?;
            return Some(items[start..end].to_vec());
        }
        let values = base.values?;
        let [value] = values.as_slice() else {
            return None;
        };
        if value.dynamic {
            return None;
        }
        let chars: Vec<char> = value.text.chars().collect();
        let (start, end) = bounds(chars.len(), offset, length)?;
        Some(vec![Field {
            text: chars[start..end].iter().collect(),
            ..value.clone()
        }])
    }

    /// `${x#pat}`, `${x##pat}`, `${x%pat}`, `${x%%pat}`.
    fn remove_match(
        &self,
        text: &str,
        pattern: &Field,
        suffix: bool,
        longest: bool,
    ) -> Option<String> {
        if pattern.dynamic {
            return None;
        }
        let mut toks = tokens(&pattern.text, pattern.glob);
        let mut chars: Vec<char> = text.chars().collect();
        if suffix {
            toks.reverse();
            chars.reverse();
        }
        let ok = prefix_matches(&toks, &chars, &self.budget)?;
        let mut lengths = (0..ok.len()).filter(|&i| ok[i]);
        let cut = if longest {
            lengths.next_back()
        } else {
            lengths.next()
        };
        let Some(cut) = cut else {
            return Some(text.to_owned());
        };
        let mut rest: Vec<char> = chars[cut..].to_vec();
        if suffix {
            rest.reverse();
        }
        Some(rest.into_iter().collect())
    }

    /// `${x/pat/rep}` and its anchored and global forms; the longest match at each position.
    fn replace_match(
        &self,
        text: &str,
        pattern: &Field,
        replacement: &str,
        anchor: Anchor,
    ) -> Option<String> {
        if pattern.dynamic {
            return None;
        }
        if pattern.text.is_empty() {
            return Some(text.to_owned());
        }
        let toks = tokens(&pattern.text, pattern.glob);
        let chars: Vec<char> = text.chars().collect();
        let longest_at = |a: &Self, from: usize| -> Option<Option<usize>> {
            let ok = prefix_matches(&toks, &chars[from..], &a.budget)?;
            Some((1..ok.len()).rev().find(|&i| ok[i]))
        };
        let mut out = String::new();
        match anchor {
            Anchor::Start => match longest_at(self, 0)? {
                Some(len) => {
                    out.push_str(replacement);
                    out.extend(&chars[len..]);
                }
                None => out.push_str(text),
            },
            Anchor::End => {
                let mut rev_toks = toks.clone();
                rev_toks.reverse();
                let rev: Vec<char> = chars.iter().rev().copied().collect();
                let ok = prefix_matches(&rev_toks, &rev, &self.budget)?;
                match (1..ok.len()).rev().find(|&i| ok[i]) {
                    Some(len) => {
                        out.extend(&chars[..chars.len() - len]);
                        out.push_str(replacement);
                    }
                    None => out.push_str(text),
                }
            }
            Anchor::First | Anchor::All => {
                let mut i = 0;
                let mut replaced = false;
                while i < chars.len() {
                    if replaced && anchor == Anchor::First {
                        out.extend(&chars[i..]);
                        break;
                    }
                    match longest_at(self, i)? {
                        Some(len) => {
                            out.push_str(replacement);
                            i += len;
                            replaced = true;
                        }
                        None => {
                            out.push(chars[i]);
                            i += 1;
                        }
                    }
                }
            }
        }
        Some(out)
    }

    /// `${x^}`, `${x^^}`, `${x,}`, `${x,,}`, `${x~}`, `${x~~}`, limited to characters matching the
    /// pattern when there is one.
    fn change_case(&self, text: &str, pattern: &Field, kind: char, all: bool) -> Option<String> {
        if pattern.dynamic {
            return None;
        }
        let toks = tokens(&pattern.text, pattern.glob);
        let mut out = String::with_capacity(text.len());
        for (i, c) in text.chars().enumerate() {
            let applies = (all || i == 0)
                && (toks.is_empty()
                    || prefix_matches(&toks, &[c], &self.budget)?.get(1) == Some(&true));
            if applies {
                let upper = match kind {
                    '^' => true,
                    ',' => false,
                    _ => !c.is_uppercase(),
                };
                if upper {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
            } else {
                out.push(c);
            }
        }
        Some(out)
    }
}

/// `${x@op}` for the operators whose result is plain text.
fn transform(text: &str, op: char) -> Option<String> {
    Some(match op {
        'E' => decode_escapes(text),
        'L' => text.to_lowercase(),
        'U' => text.to_uppercase(),
        'u' => {
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        'Q' => format!("'{}'", text.replace('\'', r"'\''")),
        _ => return None,
    })
}

/// An offset or length: a known integer, possibly in parentheses (`${x:(-1)}`).
fn arith_int(f: &Field) -> Option<i64> {
    if f.dynamic {
        return None;
    }
    let t = f.text.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(t)
        .trim();
    if t.is_empty() {
        return Some(0);
    }
    t.parse().ok()
}

/// The range `${x:offset:length}` selects from `len` items (negative values count from the end).
fn bounds(len: usize, offset: i64, length: Option<i64>) -> Option<(usize, usize)> {
    let len = i64::try_from(len).ok()?;
    let start = if offset < 0 { len + offset } else { offset };
    if start < 0 {
        return Some((0, 0));
    }
    let start = start.min(len);
    let end = match length {
        None => len,
        Some(l) if l < 0 => len + l,
        Some(l) => start.saturating_add(l).min(len),
    };
    let end = end.max(start);
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

/// One element of a shell pattern.
#[derive(Debug, Clone)]
enum Tok {
    Star,
    Any,
    Char(char),
    /// `[..]`: whether negated, and the ranges it lists.
    Class(bool, Vec<(char, char)>),
}

impl Tok {
    fn matches(&self, c: char) -> bool {
        match self {
            Tok::Star | Tok::Any => true,
            Tok::Char(x) => *x == c,
            Tok::Class(negated, ranges) => {
                ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *negated
            }
        }
    }
}

/// The tokens of a pattern; without `glob` (quoted) every character stands for itself.
fn tokens(pattern: &str, glob: bool) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    if !glob {
        return chars.into_iter().map(Tok::Char).collect();
    }
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if !matches!(toks.last(), Some(Tok::Star)) {
                    toks.push(Tok::Star);
                }
            }
            '?' => toks.push(Tok::Any),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                toks.push(Tok::Char(chars[i]));
            }
            '[' => match class(&chars, i) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                    continue;
                }
                None => toks.push(Tok::Char('[')),
            },
            c => toks.push(Tok::Char(c)),
        }
        i += 1;
    }
    toks
}

/// A bracket expression starting at `chars[at]`; the token and the index after it.
fn class(chars: &[char], at: usize) -> Option<(Tok, usize)> {
    let mut i = at + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Tok::Class(negated, ranges), i + 1));
        }
        first = false;
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let end = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == ':' && chars[j + 1] == ']')?;
            let name: String = chars[i + 2..end].iter().collect();
            ranges.extend(named_class(&name));
            i = end + 2;
            continue;
        }
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
}

/// The ASCII ranges of `[:name:]`.
fn named_class(name: &str) -> Vec<(char, char)> {
    match name {
        "alpha" => vec![('a', 'z'), ('A', 'Z')],
        "digit" => vec![('0', '9')],
        "alnum" => vec![('a', 'z'), ('A', 'Z'), ('0', '9')],
        "upper" => vec![('A', 'Z')],
        "lower" => vec![('a', 'z')],
        "space" => vec![(' ', ' '), ('\t', '\r')],
        "blank" => vec![(' ', ' '), ('\t', '\t')],
        "xdigit" => vec![('0', '9'), ('a', 'f'), ('A', 'F')],
        "punct" => vec![('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "print" => vec![(' ', '~')],
        "graph" => vec![('!', '~')],
        "cntrl" => vec![('\0', '\u{1f}'), ('\u{7f}', '\u{7f}')],
        _ => Vec::new(),
    }
}

/// For each `i` in `0..=text.len()`, whether `text[..i]` matches the whole pattern, in one pass
/// over the text (a set of pattern positions, as an automaton would); past the end of the result
/// nothing matches. Each character looked at burns fuel; `None` when it runs out.
fn prefix_matches(toks: &[Tok], text: &[char], budget: &Budget) -> Option<Vec<bool>> {
    let m = toks.len();
    if !budget.spend(m + 1) {
        return None;
    }
    let closure = |set: &mut [bool]| {
        for j in 0..m {
            if set[j] && matches!(toks[j], Tok::Star) {
                set[j + 1] = true;
            }
        }
    };
    let mut cur = vec![false; m + 1];
    cur[0] = true;
    closure(&mut cur);
    let mut out = Vec::with_capacity(text.len() + 1);
    out.push(cur[m]);
    for &c in text {
        if !budget.spend(m + 1) {
            return None;
        }
        let mut next = vec![false; m + 1];
        let mut alive = false;
        for j in 0..m {
            if !cur[j] {
                continue;
            }
            match &toks[j] {
                Tok::Star => next[j] = true,
                t if t.matches(c) => next[j + 1] = true,
                _ => {}
            }
        }
        closure(&mut next);
        for &b in &next {
            alive |= b;
        }
        out.push(next[m]);
        if !alive {
            break;
        }
        cur = next;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{prefix_matches, tokens};
    use crate::detect::shell::parse::Budget;

    fn matches_as(pattern: &str, glob: bool, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let budget = Budget::new(1_000);
        prefix_matches(&tokens(pattern, glob), &chars, &budget)
            .is_some_and(|ok| ok.get(chars.len()) == Some(&true))
    }

    fn matches(pattern: &str, text: &str) -> bool {
        matches_as(pattern, true, text)
    }

    #[test]
    fn patterns_match_as_the_shell_does() {
        for (pattern, text) in [
            ("*", ""),
            ("*.c", "main.c"),
            ("a?c", "abc"),
            ("[a-c]x", "bx"),
            ("[!a-c]x", "dx"),
            ("[[:digit:]]*", "1abc"),
            ("\\*", "*"),
            ("a*b*c", "aXXbYYc"),
            ("[]]", "]"),
        ] {
            assert!(matches(pattern, text), "{pattern} {text}");
        }
        for (pattern, text) in [
            ("*.c", "main.h"),
            ("a?c", "ac"),
            ("[!a-c]x", "ax"),
            ("\\*", "a"),
        ] {
            assert!(!matches(pattern, text), "{pattern} {text}");
        }
        assert!(!matches_as("*", false, "a"));
        assert!(matches_as("*", false, "*"));
        // Matching burns fuel: without any, nothing is matched.
        assert!(prefix_matches(&tokens("*", true), &['a'], &Budget::new(0)).is_none());
    }
}
