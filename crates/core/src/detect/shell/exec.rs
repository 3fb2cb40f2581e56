//! Running a command: aliases, functions and wrappers are resolved, then the program is handed to the
//! detectors and interpreters and its effect on the shell's state applied.

use std::borrow::Cow;
use std::rc::Rc;

use super::analyze::{Analyzer, Outcome};
use super::args::{Arg, OptSpec, has_flag, option_value, parse_args};
use super::ast::is_name;
use super::detectors::is_network_tool;
use super::interp::Lang;
use super::output::printf_format;
use super::render::render_fields;
use super::value::{Field, Flow, Scope, Taint};
use super::wrappers::Step;

/// Program name as the detectors see it: the basename without `.exe`, `?` when unknown until run
/// time (a variable, a substitution, a glob like `/???/r?`).
fn program_name(f: &Field) -> String {
    if f.dynamic || f.glob {
        return "?".to_owned();
    }
    let trimmed = f.text.trim_end_matches(['/', '\\']);
    let base = trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed);
    let len = base.len();
    if len > 4 && base.is_char_boundary(len - 4) && base[len - 4..].eq_ignore_ascii_case(".exe") {
        base[..len - 4].to_owned()
    } else {
        base.to_owned()
    }
}

impl Analyzer {
    /// Runs a command line: sees through wrappers, then dispatches the program.
    pub(super) fn exec(&mut self, argv: &[Field], stdin: &Flow, scope: &mut Scope) -> Outcome {
        let mut cur: Cow<'_, [Field]> = Cow::Borrowed(argv);
        let mut start = 0;
        let mut items_added = false;
        loop {
            let Some(first) = cur.get(start) else {
                return Outcome::default();
            };
            if let Some(value) = scope
                .aliases
                .get(&first.text)
                .filter(|_| !first.dynamic)
                .cloned()
            {
                return self.expand_alias(&first.text, &value, &cur[start + 1..], stdin, scope);
            }
            let name = program_name(first);
            self.add_program(&name);
            if !first.dynamic
                && let Some(body) = scope.functions.get(&first.text).cloned()
            {
                let call = cur[start..].to_vec();
                self.add_arg_path_words(&call, &[], scope);
                return self.call_function(&call[0].text, &body, &call, scope, stdin);
            }
            let key = name.to_lowercase();
            match self.unwrap(&key, &cur[start..], stdin, &mut items_added, scope) {
                Step::Into(n) => {
                    self.add_arg_path_words(&cur[start..start + n], &[], scope);
                    start += n;
                }
                Step::Rewrite(next) => {
                    cur = Cow::Owned(next);
                    start = 0;
                }
                Step::Code(code) => {
                    self.run_code(
                        &name,
                        Lang::Shell,
                        Some(&code),
                        &Taint::default(),
                        None,
                        stdin,
                        scope,
                    );
                    return Outcome::ran(&key);
                }
                Step::Stop => {
                    self.add_arg_path_words(&cur[start..], &[], scope);
                    return Outcome::ran(&key);
                }
                Step::Final => {
                    let argv = cur[start..].to_vec();
                    return self.dispatch(&name, &key, &argv, stdin, scope);
                }
            }
        }
    }

    /// Runs an alias: its text with the arguments appended, read as shell code (without the alias
    /// itself, as shells do, so `alias ls='ls -F'` ends).
    fn expand_alias(
        &mut self,
        name: &str,
        value: &str,
        args: &[Field],
        stdin: &Flow,
        scope: &Scope,
    ) -> Outcome {
        let mut inner = scope.clone();
        inner.aliases.remove(name);
        let script = format!("{value} {}", render_fields(args));
        self.nested_script(&script, None, stdin, &inner);
        Outcome::default()
    }

    /// Runs the program at the end of any wrappers.
    fn dispatch(
        &mut self,
        name: &str,
        key: &str,
        argv: &[Field],
        stdin: &Flow,
        scope: &mut Scope,
    ) -> Outcome {
        let args = &argv[1..];
        self.taint_findings("running a command named by data", &argv[0].taint);
        self.detect(name, key, argv, scope);
        let run = self.interpret(name, key, argv, stdin, scope);
        if argv[0].text.contains('/') {
            self.run_written(
                name,
                Lang::Shell,
                &argv[0],
                &format!("{} is run, and was", argv[0].text),
                scope,
            );
        }
        let skip: Vec<usize> = run.code_args.iter().map(|i| i + 1).collect();
        self.add_arg_path_words(argv, &skip, scope);
        self.builtin(key, args, stdin, scope);
        let mut stdout = self.stdout_flow(key, argv, stdin, scope);
        stdout.taint.merge(&run.stdout_taint);
        Outcome {
            stdout,
            program: Some(key.to_owned()),
            network: is_network_tool(key, args),
            shell_stdin: run.shell_stdin,
        }
    }

    /// Builtins that change the shell's state.
    fn builtin(&mut self, key: &str, args: &[Field], stdin: &Flow, scope: &mut Scope) {
        match key {
            "cd" | "pushd" | "chdir" => scope.cwd = self.change_dir(args, scope),
            "popd" => scope.cwd = None,
            "alias" => {
                for (name, value) in args.iter().filter_map(|a| a.text.split_once('=')) {
                    scope.aliases.insert(name.to_owned(), value.to_owned());
                }
            }
            "export" | "local" | "declare" | "typeset" | "readonly" => {
                for a in args.iter().filter(|a| !a.text.starts_with('-')) {
                    if let Some((name, value)) = a.text.split_once('=').filter(|(n, _)| is_name(n))
                    {
                        let field = Field {
                            text: value.to_owned(),
                            ..a.clone()
                        };
                        scope.vars.insert(name.to_owned(), Rc::from([field]));
                    }
                }
            }
            "unset" => {
                for a in args {
                    scope.vars.remove(&a.text);
                }
            }
            "read" => read(args, stdin, scope),
            "mapfile" | "readarray" => mapfile(args, stdin, scope),
            "printf" => {
                if let [v, name, format, values @ ..] = args
                    && v.text == "-v"
                    && is_name(&name.text)
                {
                    let text = printf_format(&format.text, values);
                    let mut field = Field::known(&text);
                    for a in std::iter::once(format).chain(values) {
                        field.dynamic |= a.dynamic;
                        field.taint.merge(&a.taint);
                    }
                    if field.dynamic {
                        field.text = format!("${{{}}}", name.text);
                    }
                    scope.vars.insert(name.text.clone(), Rc::from([field]));
                }
            }
            "set" => {
                // Tracing expands `$PS4` before every command.
                let xtrace = args.iter().any(|a| {
                    !a.dynamic
                        && a.text.starts_with('-')
                        && !a.text.starts_with("--")
                        && a.text.contains('x')
                }) || args.iter().any(|a| a.text == "xtrace");
                if xtrace
                    && let Some(ps4) = self
                        .lookup("PS4", None, scope)
                        .and_then(|v| v.into_iter().next())
                        .filter(|f| !f.dynamic)
                {
                    self.expand_string(&ps4.text, scope);
                }
                if let Some(rest) = set_operands(args) {
                    let mut positional = vec![Field::known("sh")];
                    positional.extend_from_slice(rest);
                    scope.positional = Some(positional);
                }
            }
            "shift" => {
                if let Some(p) = scope.positional.as_mut().filter(|p| p.len() > 1) {
                    p.remove(1);
                }
            }
            _ => {}
        }
    }

    fn change_dir(&self, args: &[Field], scope: &Scope) -> Option<String> {
        match args
            .iter()
            .find(|a| a.dynamic || !a.text.starts_with('-') || a.text == "-")
        {
            None => {
                let home = self.lookup("HOME", None, scope)?.into_iter().next()?;
                (!home.dynamic)
                    .then(|| self.canonical(&home.text, scope))
                    .flatten()
            }
            Some(a) if a.dynamic || a.text == "-" => None,
            Some(a) => self.canonical(&a.text, scope),
        }
    }
}

/// The arguments `set` makes the positional parameters, after its options (`set -e -- a b`,
/// `set -o pipefail a b`, `set a b`); `None` when it leaves them alone.
fn set_operands(args: &[Field]) -> Option<&[Field]> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        if t == "--" || t == "-" {
            return Some(&args[i + 1..]);
        }
        if a.dynamic || !(t.starts_with('-') || t.starts_with('+')) || t.len() < 2 {
            return Some(&args[i..]);
        }
        // `-o NAME` / `+o NAME`.
        i += if t.ends_with('o') { 2 } else { 1 };
    }
    None
}

/// The records of a known input, split at `delim`; `None` when the input is unknown.
fn records(stdin: &Flow, delim: char) -> Option<Vec<String>> {
    let text = stdin.text.as_deref()?;
    let mut records: Vec<String> = text.split(delim).map(str::to_owned).collect();
    if records.last().is_some_and(String::is_empty) {
        records.pop();
    }
    Some(records)
}

/// The delimiter given with `-d` (`-d ''` is NUL), else newline.
fn delimiter(opts: &[Arg]) -> char {
    option_value(opts, &["d"]).map_or('\n', |d| d.text.chars().next().unwrap_or('\0'))
}

/// A field for a value read from `stdin`.
fn read_field(text: &str, stdin: &Flow) -> Field {
    Field {
        taint: stdin.taint.clone(),
        ..Field::known(text)
    }
}

/// `read [-r] [-a NAME] [-d DELIM] NAME..`: from an input of one record, the variables get its
/// words; otherwise (a loop reads one record per round, or the input is unknown) they are unknown.
fn read(args: &[Field], stdin: &Flow, scope: &mut Scope) {
    const READ_OPTS: OptSpec = OptSpec {
        short: "adinNptu",
        long: &[],
    };
    let (opts, _) = parse_args(args, READ_OPTS, false);
    let array = option_value(&opts, &["a"]).map(|a| a.text.clone());
    let mut names: Vec<String> = opts
        .iter()
        .filter_map(|o| match o {
            Arg::Operand(i) => Some(args[*i].text.clone()),
            _ => None,
        })
        .collect();
    if names.is_empty() && array.is_none() {
        names.push("REPLY".to_owned());
    }
    let partial = ["n", "N", "u", "i"]
        .iter()
        .any(|o| option_value(&opts, &[o]).is_some());
    let record = records(stdin, delimiter(&opts))
        .filter(|r| r.len() == 1 && !partial)
        .map(|mut r| r.remove(0));
    let Some(mut record) = record else {
        for name in names.iter().chain(&array) {
            scope.vars.remove(name);
        }
        return;
    };
    if !has_flag(&opts, &["r"]) {
        record = decode_backslashes(&record);
    }
    let ifs: String = scope
        .vars
        .get("IFS")
        .and_then(|v| v.first())
        .map_or_else(|| " \t\n".to_owned(), |f| f.text.clone());
    let is_sep = |c: char| ifs.contains(c);
    if let Some(array) = array {
        let words: Vec<Field> = record
            .split(is_sep)
            .filter(|w| !w.is_empty())
            .map(|w| read_field(w, stdin))
            .collect();
        scope.vars.insert(array, words.into());
        return;
    }
    if names.len() == 1 && names[0] == "REPLY" {
        scope
            .vars
            .insert(names.remove(0), Rc::from([read_field(&record, stdin)]));
        return;
    }
    // Each name gets a word; the last one the rest of the line.
    let mut rest = record.trim_matches(is_sep);
    for (i, name) in names.iter().enumerate() {
        let value = if i + 1 == names.len() {
            rest
        } else {
            let end = rest.find(is_sep).unwrap_or(rest.len());
            let word = &rest[..end];
            rest = rest[end..].trim_start_matches(is_sep);
            word
        };
        scope
            .vars
            .insert(name.clone(), Rc::from([read_field(value, stdin)]));
    }
}

/// Backslashes in what `read` reads without `-r`: each escapes the next character.
fn decode_backslashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next().filter(|&c| c != '\n')),
            c => out.push(c),
        }
    }
    out
}

/// `mapfile`/`readarray [-t] [-d DELIM] NAME`: the records of a known input, else unknown.
fn mapfile(args: &[Field], stdin: &Flow, scope: &mut Scope) {
    let (opts, _) = parse_args(args, MAPFILE_OPTS, false);
    let name = opts
        .iter()
        .find_map(|o| match o {
            Arg::Operand(i) => Some(args[*i].text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "MAPFILE".to_owned());
    let partial = ["n", "O", "s", "u"]
        .iter()
        .any(|o| option_value(&opts, &[o]).is_some());
    let delim = delimiter(&opts);
    match records(stdin, delim).filter(|_| !partial) {
        Some(records) => {
            let strip = has_flag(&opts, &["t"]);
            let values: Vec<Field> = records
                .iter()
                .map(|r| {
                    let text = if strip {
                        r.clone()
                    } else {
                        format!("{r}{delim}")
                    };
                    read_field(&text, stdin)
                })
                .collect();
            scope.vars.insert(name, values.into());
        }
        None => {
            scope.vars.remove(&name);
        }
    }
}

/// Options of `mapfile`/`readarray` that take a value.
pub(super) const MAPFILE_OPTS: OptSpec = OptSpec {
    short: "dnOsuCc",
    long: &[],
};

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::tests::{assert_clean, assert_flags, has, run};

    #[test]
    fn aliases_expand() {
        assert!(has("alias x='rm -rf'; x /", RecursiveDelete));
        assert_eq!(run("alias ls='ls -F'; ls").programs, ["alias", "ls"]);
        assert_clean(&["alias ll='ls -la'; ll src"]);
    }

    #[test]
    fn program_names() {
        assert_eq!(
            run("/usr/local/bin/python3.12 x.py").programs,
            ["python3.12"]
        );
        assert_eq!(run("C:\\Windows\\cmd.EXE /c dir").programs, ["cmd", "dir"]);
        assert_eq!(
            run("$X y; /???/?m; $(which rm) -f x").programs,
            ["?", "which"]
        );
        assert_clean(&[
            "$PYTHON script.py",
            "${EDITOR:-vi} notes.txt",
            "$CC -O2 -o app main.c",
        ]);
    }

    #[test]
    fn builtins_that_set_variables_are_followed() {
        assert_flags(
            RecursiveDelete,
            &[
                "set rm -rf /; \"$@\"",
                "set -e -- rm -rf /; \"$@\"",
                "set -eu rm -rf /; \"$@\"",
                "set -o pipefail rm -rf /; \"$@\"",
                "x=(); x+=(rm); x+=(-rf /); \"${x[@]}\"",
                "x=rm; x+=(-rf /); \"${x[@]}\"",
                "x[0]=rm; x[1]=-rf; x[2]=/; \"${x[@]}\"",
                "x[3]=rm; x[4]=-rf; x[5]=/; \"${x[@]}\"",
                "x=(rm -rf build); x[2]=/; \"${x[@]}\"",
                "declare -a x=(-rf /); rm \"${x[@]}\"",
                "typeset -a x=(rm -rf /); ${x[0]} ${x[1]} ${x[2]}",
                "printf -v c 'rm -rf /'; $c",
                "printf -v c '%s -rf /' rm; $c",
                "read -r c <<< 'rm -rf /'; $c",
                "read -r a b <<< 'rm -rf /'; $a $b",
                "read -ra x <<< 'rm -rf /'; \"${x[@]}\"",
                "IFS=, read -r a b c <<< 'rm,-rf,/'; $a $b $c",
                "read -d '' c <<'EOF'\nrm -rf /\nEOF\n$c",
                "mapfile -t x <<< $'rm\\n-rf\\n/'; \"${x[@]}\"",
                "readarray -t x < <(printf '%s\\n' rm -rf /); \"${x[@]}\"",
                "mapfile -C 'rm -rf / #' -c 1 x <<< a",
                "readarray -C 'rm -rf / #' x < list.txt",
                "X=1 cd /tmp; rm -rf build",
                "IFS=/ cd /; rm -rf build",
                "declare -n r=a; a='rm -rf /'; $r",
                "a=build; local -n r=a; r=/; rm -rf $a",
                "PS4='$(rm -rf /)' bash -x -c true",
                "export PS4='$(rm -rf /)'; bash -xc true",
                "echo 'rm -rf /' > e.sh; BASH_ENV=e.sh bash -c true",
                "echo 'rm -rf /' > e.sh; ENV=./e.sh sh -i",
                "PS4='$(rm -rf /)'; set -x; true",
                "PROMPT_COMMAND='rm -rf /' bash -i",
            ],
        );
        assert_clean(&[
            "set -e; set -x; set -o pipefail",
            "read -r name < name.txt; echo \"$name\"",
            "printf -v today '%s' 2024; echo $today",
            "x=(build); x+=(dist); rm -rf \"${x[@]}\"",
            "x[0]=build; x[1]=dist; rm -rf \"${x[@]}\"",
            "declare -a dirs=(build dist); rm -rf \"${dirs[@]}\"",
            "mapfile -t files < list.txt; echo \"${files[@]}\"",
            "X=1 cd build; rm -rf out",
            "PS4='+ ${BASH_SOURCE}:${LINENO}: ' bash -x build.sh",
        ]);
    }
}
