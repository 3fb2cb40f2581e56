//! Running a command: aliases, functions and wrappers are resolved, then the program is handed to the
//! detectors and interpreters and its effect on the shell's state applied.

use std::borrow::Cow;
use std::rc::Rc;

use super::analyze::{Analyzer, Outcome};
use super::ast::is_name;
use super::detectors::is_network_tool;
use super::interp::Lang;
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
        self.builtin(key, args, scope);
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
    fn builtin(&mut self, key: &str, args: &[Field], scope: &mut Scope) {
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
            // Values read at run time are unknown: forget them.
            "unset" | "read" | "mapfile" | "readarray" => {
                for a in args {
                    scope.vars.remove(&a.text);
                }
            }
            "set" if args.first().is_some_and(|a| a.text == "--") => {
                let mut positional = vec![Field::known("sh")];
                positional.extend_from_slice(&args[1..]);
                scope.positional = Some(positional);
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

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::tests::{assert_clean, has, run};

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
}
