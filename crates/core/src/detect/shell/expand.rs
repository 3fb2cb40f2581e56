//! Word expansion: tilde, parameters, command and process substitutions, `$IFS` splitting and globs.

use std::rc::Rc;

use super::MAX_BRACE_WORDS;
use super::analyze::Analyzer;
use super::ast::{Assign, List, Param, ParamOp, Part, Word};
use super::brace::{brace_expand, has_brace};
use super::value::{Field, Flow, Scope, join_fields};

/// Builds the fields of one word during expansion, splitting unquoted expansion results.
struct Builder {
    split: bool,
    ifs: String,
    fields: Vec<Field>,
    cur: Field,
    started: bool,
}

impl Builder {
    fn new(split: bool, ifs: String) -> Self {
        Self {
            split,
            ifs,
            fields: Vec::new(),
            cur: Field::default(),
            started: false,
        }
    }

    fn lit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.cur.glob |= self.split && has_glob(s);
        self.cur.push_str(s);
        self.started = true;
    }

    fn quoted(&mut self, s: &str) {
        self.cur.push_str(s);
        self.started = true;
    }

    /// An expansion result; split on `$IFS` and globbed when unquoted in a splitting context.
    fn value(&mut self, v: &Field, unquoted: bool) {
        let first_new = self.fields.len();
        if v.dynamic || !(self.split && unquoted) {
            self.cur.push_str(&v.text);
            self.cur.dynamic |= v.dynamic;
            if v.found_under.is_some() {
                self.cur.found_under.clone_from(&v.found_under);
            }
            if v.content.is_some() {
                self.cur.content.clone_from(&v.content);
            }
            self.started = true;
        } else {
            for c in v.text.chars() {
                if self.ifs.contains(c) {
                    self.boundary();
                } else {
                    self.cur.push_str(c.encode_utf8(&mut [0; 4]));
                    self.cur.glob |= matches!(c, '*' | '?' | '[');
                    self.started = true;
                }
            }
        }
        for f in self.fields[first_new..]
            .iter_mut()
            .chain(std::iter::once(&mut self.cur))
        {
            f.taint.merge(&v.taint);
        }
    }

    fn boundary(&mut self) {
        if self.started {
            self.fields.push(std::mem::take(&mut self.cur));
            self.started = false;
        }
    }

    fn finish(mut self, out: &mut Vec<Field>) {
        self.boundary();
        out.append(&mut self.fields);
    }
}

/// Unquoted glob characters that make a pattern (`[` only with a closing `]`).
pub(super) fn has_glob(s: &str) -> bool {
    s.contains(['*', '?'])
        || s.find('[').is_some_and(|i| s[i..].contains(']'))
        || s.contains("!(")
        || s.contains("@(")
        || s.contains("+(")
}

impl Analyzer {
    /// Expands one word into fields: braces, tilde, parameters, substitutions, splitting.
    pub(super) fn expand(&mut self, word: &Word, scope: &mut Scope) -> Vec<Field> {
        let mut out = Vec::new();
        if has_brace(word) {
            let (alternatives, cut) = brace_expand(word);
            if cut {
                self.give_up(&format!(
                    "a brace expansion makes more than {MAX_BRACE_WORDS} words, past what is analysed"
                ));
            }
            for alt in alternatives {
                self.expand_parts(&alt, scope, true, &mut out);
            }
        } else {
            self.expand_parts(word, scope, true, &mut out);
        }
        out
    }

    /// Expands a word that stays one field (assignment values, redirection targets).
    pub(super) fn expand_one(&mut self, word: &Word, scope: &mut Scope) -> Field {
        let mut out = Vec::new();
        self.expand_parts(word, scope, false, &mut out);
        join_fields(out, " ")
    }

    pub(super) fn assignment_value(&mut self, word: &Word, scope: &mut Scope) -> Vec<Field> {
        match word.as_slice() {
            [Part::Array(words)] => {
                let mut values = Vec::new();
                for w in words {
                    values.extend(self.expand(w, scope));
                }
                values
            }
            _ => vec![self.expand_one(word, scope)],
        }
    }

    fn expand_parts(
        &mut self,
        parts: &[Part],
        scope: &mut Scope,
        split: bool,
        out: &mut Vec<Field>,
    ) {
        // A lone variable passes its value through whole, keeping what it stands for (a glob
        // pattern from `for f in *`, a `find` placeholder, a process substitution).
        if let [Part::Param(p)] = parts
            && split
            && matches!(p.op, ParamOp::Plain)
            && let Some(values) = self.lookup(&p.name, p.index.as_deref(), scope)
        {
            let ifs = self.ifs(scope);
            if p.quoted
                || values
                    .iter()
                    .all(|v| v.dynamic || !v.text.contains(|c| ifs.contains(c)))
            {
                for mut v in values {
                    if !p.quoted {
                        if v.text.is_empty() && !v.dynamic {
                            continue;
                        }
                        v.glob |= !v.dynamic && has_glob(&v.text);
                    }
                    out.push(v);
                }
                return;
            }
        }
        let mut b = Builder::new(split, self.ifs(scope));
        for (i, part) in parts.iter().enumerate() {
            match part {
                Part::Lit(s) if i == 0 && s.starts_with('~') => {
                    let rest = self.tilde(s, scope, &mut b);
                    b.lit(rest);
                }
                Part::Lit(s) => b.lit(s),
                Part::Quoted(s) => b.quoted(s),
                Part::Param(p) => {
                    let v = self.param(p, scope);
                    b.value(&v, !p.quoted);
                }
                Part::Subst { body, quoted } => {
                    let v = self.substitute(body.as_deref(), scope);
                    b.value(&v, !quoted);
                }
                Part::ProcSubst { body, output } => {
                    let v = self.process_substitution(body.as_deref(), *output, scope);
                    b.value(&v, false);
                }
                Part::Arith(expansions) => {
                    self.expand_one(expansions, scope);
                    b.value(&Field::dynamic("$((…))"), false);
                }
                Part::Array(words) => {
                    let values = self.assignment_value(&vec![Part::Array(words.clone())], scope);
                    b.value(&join_fields(values, " "), false);
                }
            }
        }
        b.finish(out);
    }

    /// Expands a leading `~`, `~+`, `~user`; returns the rest of the text.
    fn tilde<'s>(&mut self, s: &'s str, scope: &Scope, b: &mut Builder) -> &'s str {
        let end = s.find('/').unwrap_or(s.len());
        let (prefix, rest) = s.split_at(end);
        let home_user = self.home.as_deref().and_then(|h| h.rsplit('/').next());
        let value = match &prefix[1..] {
            "" => self
                .lookup("HOME", None, scope)
                .and_then(|v| v.into_iter().next()),
            "+" => scope.cwd.as_deref().map(Field::known),
            "root" => Some(Field::known("/root")),
            user if home_user == Some(user) => self.home.as_deref().map(Field::known),
            _ => None,
        };
        b.value(&value.unwrap_or_else(|| Field::dynamic(prefix)), false);
        rest
    }

    fn ifs(&self, scope: &Scope) -> String {
        self.lookup("IFS", None, scope)
            .and_then(|v| v.into_iter().next())
            .map_or_else(|| " \t\n".to_owned(), |f| f.text)
    }

    /// The value(s) of a variable, `None` when unknown.
    pub(super) fn lookup(
        &self,
        name: &str,
        index: Option<&str>,
        scope: &Scope,
    ) -> Option<Vec<Field>> {
        let positional = scope.positional.as_deref();
        match name {
            "PWD" => scope.cwd.as_deref().map(|c| vec![Field::known(c)]),
            "IFS" if !scope.vars.contains_key("IFS") => Some(vec![Field::known(" \t\n")]),
            "@" | "*" => positional.map(|p| p.iter().skip(1).cloned().collect()),
            "#" => positional.map(|p| vec![Field::known(&p.len().saturating_sub(1).to_string())]),
            n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                let i: usize = n.parse().ok()?;
                positional.map(|p| vec![p.get(i).cloned().unwrap_or_default()])
            }
            _ => {
                let values = scope.vars.get(name)?;
                match index.map(str::trim) {
                    None => values.first().map(|f| vec![f.clone()]),
                    Some("@" | "*") => Some(values.to_vec()),
                    Some(i) => i
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| values.get(i))
                        .map(|f| vec![f.clone()]),
                }
            }
        }
    }

    fn param(&mut self, p: &Param, scope: &mut Scope) -> Field {
        let current = self
            .lookup(&p.name, p.index.as_deref(), scope)
            .map(|v| join_fields(v, " "));
        let unknown = || match &p.index {
            Some(i) => Field::dynamic(&format!("${{{}[{i}]}}", p.name)),
            None => Field::dynamic(&format!("${{{}}}", p.name)),
        };
        match &p.op {
            ParamOp::Plain => current.unwrap_or_else(unknown),
            // Unset here, the default is what the script means (the environment rarely sets it).
            ParamOp::Default { word, assign } => match current {
                Some(v) if v.dynamic || !v.text.is_empty() => v,
                _ => {
                    let v = self.expand_one(word, scope);
                    if *assign {
                        scope.vars.insert(p.name.clone(), Rc::from([v.clone()]));
                    }
                    v
                }
            },
            ParamOp::Alternative(word) => match current {
                Some(v) if !v.dynamic && v.text.is_empty() => Field::default(),
                Some(v) if !v.dynamic => self.expand_one(word, scope),
                _ => unknown(),
            },
            ParamOp::Opaque => unknown(),
        }
    }

    /// `$(..)`: the output when it is known (`$(echo rm)` is `rm`), else a dynamic value that
    /// remembers where it came from.
    fn substitute(&mut self, body: Option<&List>, scope: &Scope) -> Field {
        let Some(body) = body else {
            self.add_program("?");
            return Field::dynamic("$(…)");
        };
        let input = self.pipe_input.clone();
        let (flow, text) = self.capture(|a| a.list(body, &mut scope.clone(), &input));
        self.pipe_input = input;
        match flow.text {
            Some(t) => Field {
                text: t.trim_end_matches('\n').to_owned(),
                taint: flow.taint,
                ..Field::default()
            },
            None => Field {
                text: format!("$({text})"),
                dynamic: true,
                taint: flow.taint,
                found_under: flow.found_under,
                ..Field::default()
            },
        }
    }

    /// `<(..)` (a path whose content is the list's output) or `>(..)` (whose input is this
    /// command's input, as with `tee >(sh)`).
    fn process_substitution(&mut self, body: Option<&List>, output: bool, scope: &Scope) -> Field {
        let Some(body) = body else {
            self.add_program("?");
            return Field::dynamic("<(…)");
        };
        let input = self.pipe_input.clone();
        let stdin = if output {
            input.clone()
        } else {
            Flow::default()
        };
        let (flow, text) = self.capture(|a| a.list(body, &mut scope.clone(), &stdin));
        self.pipe_input = input;
        let sigil = if output { '>' } else { '<' };
        // Reading what `>(..)` stands for yields nothing known.
        let content = if output { Flow::default() } else { flow };
        Field {
            text: format!("{sigil}({text})"),
            dynamic: true,
            content: Some(Rc::new(content)),
            ..Field::default()
        }
    }
}

pub(super) fn assign(scope: &mut Scope, a: &Assign, mut value: Vec<Field>) {
    if a.append
        && let (Some(old), [new]) = (
            scope.vars.get(&a.name).and_then(|v| v.first()),
            value.as_slice(),
        )
    {
        let mut joined = old.clone();
        joined.push_str(&new.text);
        joined.dynamic |= new.dynamic;
        joined.taint.merge(&new.taint);
        value = vec![joined];
    }
    scope.vars.insert(a.name.clone(), value.into());
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::tests::{argv, fields, run, words};

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            argv(r#"echo 'a b' "c d" e\ f"#),
            ["echo", "a b", "c d", "e f"]
        );
        assert_eq!(
            argv(r#"echo "a\"b\\c\$d\`e\x""#),
            ["echo", r#"a"b\c$d`e\x"#]
        );
        assert_eq!(argv(r"echo 'a\nb'"), ["echo", r"a\nb"]);
        assert_eq!(argv("echo '' \"\" x"), ["echo", "", "", "x"]);
        for spelling in [
            "r''m",
            "\"r\"m",
            "\\rm",
            "'rm'",
            "r\"\"m",
            "$'rm'",
            "$\"rm\"",
            "r$'\\x6d'",
        ] {
            assert_eq!(argv(spelling), ["rm"], "{spelling}");
        }
    }

    #[test]
    fn ansi_c_strings() {
        assert_eq!(
            argv(r"echo $'a\tb\x41\101\u00e9\'\\'"),
            ["echo", "a\tbAA\u{e9}'\\"]
        );
        assert_eq!(argv(r"echo $'\e[0m\cA\z'"), ["echo", "\u{1b}[0m\u{1}\\z"]);
        assert_eq!(
            argv(r#"echo $'\x72\x6d' $'\162\155' $'\U0000006d'"#),
            ["echo", "rm", "rm", "m"]
        );
    }

    #[test]
    fn ifs_splits_unquoted_expansions() {
        assert_eq!(argv("rm${IFS}-rf${IFS}/"), ["rm", "-rf", "/"]);
        assert_eq!(argv("rm$IFS-rf$IFS/"), ["rm", "-rf", "/"]);
        assert_eq!(
            words("X='a  b'; echo $X \"$X\"")[1],
            ["echo", "a", "b", "a  b"]
        );
        assert_eq!(words("IFS=,; c=rm,-rf,/; $c")[2], ["rm", "-rf", "/"]);
        assert_eq!(words("E=; echo $E \"$E\" x")[1], ["echo", "", "x"]);
    }

    #[test]
    fn parameters_and_assignments() {
        assert_eq!(words("a=rm; $a -rf /")[1], ["rm", "-rf", "/"]);
        assert_eq!(words("X=/ ; rm -rf $X")[1], ["rm", "-rf", "/"]);
        assert_eq!(words("x=r; x+=m; $x")[2], ["rm"]);
        assert_eq!(words("a=(rm -rf /); ${a[@]}")[1], ["rm", "-rf", "/"]);
        assert_eq!(words("a=(rm -rf /); ${a[2]} $a")[1], ["/", "rm"]);
        assert_eq!(
            argv("echo ${U:-def} ${U:=set} ${HOME:+alt} ${HOME} $HOME ~ ~/x ~+/y ~root"),
            [
                "echo",
                "def",
                "set",
                "alt",
                "/home/alice",
                "/home/alice",
                "/home/alice",
                "/home/alice/x",
                "/home/alice/project/y",
                "/root"
            ]
        );
        assert_eq!(argv("echo $PWD"), ["echo", "/home/alice/project"]);
        let unknown = &fields("echo $U ${U}/x ${#HOME} ${HOME%/*} $((1+2)) $1 ~bob")[0];
        assert!(unknown[1..].iter().all(|f| f.dynamic), "{unknown:?}");
    }

    #[test]
    fn substitutions() {
        assert_eq!(argv("$(echo rm) -rf /"), ["rm", "-rf", "/"]);
        assert_eq!(argv("`echo rm` x"), ["rm", "x"]);
        assert_eq!(argv("echo $(echo $(echo `echo hi`))"), ["echo", "hi"]);
        assert_eq!(argv("echo \"$(printf '%s-%s' a b)\""), ["echo", "a-b"]);
        let dynamic = &fields("echo $(ls) `date` <(ls)")[0];
        assert!(dynamic[1..].iter().all(|f| f.dynamic));
        assert_eq!(run("echo $(rm -rf /)").programs, ["rm", "echo"]);
        assert_eq!(
            run("cat <(curl -s x) >(sh)").programs,
            ["curl", "sh", "cat"]
        );
    }
}
