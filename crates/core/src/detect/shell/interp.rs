//! Interpreters and `eval`-like builtins: where each takes its code from (options, operands, files,
//! standard input), and analysing that code.

use super::analyze::Analyzer;
use super::args::{option_value, parse_args};
use super::decode::decode_powershell;
use super::embedded::{evaluates_stdin, printed_taint};
use super::exec::MAPFILE_OPTS;
use super::parse::Parser;
use super::value::{Field, Flow, Scope, Taint, join_fields};
use super::{CommandCategory, MAX_DEPTH};

/// Languages whose code is inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Shell,
    Python,
    Perl,
    Ruby,
    Node,
    Php,
    Lua,
    PowerShell,
    AppleScript,
    Awk,
}

/// Command-line syntax of an interpreter (short options are listed only when they matter).
struct InterpSpec {
    /// Options whose value is code (`python -c`, `perl -e`).
    code: &'static str,
    /// Options that make the first operand the code (`sh -c`).
    code_operand: &'static str,
    /// Options that make it read code from standard input (`sh -s`).
    stdin: &'static str,
    /// Options whose value is a module, inspected with the code (`ruby -rsocket`, `lua -l`).
    module: &'static str,
    /// Options that run a module: nothing to inspect (`python -m`).
    run_module: &'static str,
    /// Options whose value is the script file (`php -f`, `awk -f`).
    file: &'static str,
    /// Other options with a value in the same or the next word.
    valued: &'static str,
    /// Options whose value, if any, is the rest of the word (`perl -i.bak -MIO::Socket`).
    glued: &'static str,
    /// Options followed by optional digits (`perl -l0 -0777`).
    digits: &'static str,
    long_code: &'static [&'static str],
    long_valued: &'static [&'static str],
    /// The first operand is the program (awk).
    operand_is_code: bool,
}

const INTERP_BASE: InterpSpec = InterpSpec {
    code: "",
    code_operand: "",
    stdin: "",
    module: "",
    run_module: "",
    file: "",
    valued: "",
    glued: "",
    digits: "",
    long_code: &[],
    long_valued: &[],
    operand_is_code: false,
};

impl InterpSpec {
    fn takes_value(&self, c: char) -> bool {
        [
            self.code,
            self.module,
            self.run_module,
            self.file,
            self.valued,
        ]
        .iter()
        .any(|s| s.contains(c))
    }
}

impl Lang {
    /// The language of a program name (`python3.12` → Python).
    fn of(key: &str) -> Option<Lang> {
        let base = key.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        Some(match base {
            "sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "fish" | "tcsh" | "csh"
            | "rbash" | "yash" | "posh" => Lang::Shell,
            "python" | "pypy" => Lang::Python,
            "perl" => Lang::Perl,
            "ruby" | "jruby" => Lang::Ruby,
            "node" | "nodejs" => Lang::Node,
            "php" => Lang::Php,
            "lua" | "luajit" => Lang::Lua,
            "pwsh" | "powershell" => Lang::PowerShell,
            "osascript" => Lang::AppleScript,
            "awk" | "gawk" | "mawk" | "nawk" => Lang::Awk,
            _ => return None,
        })
    }

    fn spec(self) -> InterpSpec {
        match self {
            Lang::Shell => InterpSpec {
                code_operand: "c",
                stdin: "s",
                valued: "oO",
                long_code: &["command"],
                long_valued: &["rcfile", "init-file"],
                ..INTERP_BASE
            },
            Lang::Python => InterpSpec {
                code: "c",
                run_module: "m",
                valued: "WXQ",
                ..INTERP_BASE
            },
            Lang::Perl => InterpSpec {
                code: "eE",
                module: "mM",
                valued: "I",
                glued: "ixCdDmM",
                digits: "l0",
                ..INTERP_BASE
            },
            Lang::Ruby => InterpSpec {
                code: "e",
                module: "r",
                valued: "ICE",
                glued: "xKF",
                digits: "0TW",
                ..INTERP_BASE
            },
            Lang::Node => InterpSpec {
                code: "ep",
                module: "r",
                valued: "C",
                long_code: &["eval", "print"],
                long_valued: &[
                    "require",
                    "import",
                    "loader",
                    "experimental-loader",
                    "input-type",
                    "conditions",
                    "title",
                ],
                ..INTERP_BASE
            },
            Lang::Php => InterpSpec {
                code: "rBRFE",
                file: "f",
                valued: "dcztS",
                ..INTERP_BASE
            },
            Lang::Lua => InterpSpec {
                code: "e",
                module: "l",
                ..INTERP_BASE
            },
            Lang::AppleScript => InterpSpec {
                code: "e",
                valued: "ls",
                ..INTERP_BASE
            },
            Lang::Awk => InterpSpec {
                code: "e",
                file: "f",
                valued: "Fv",
                long_code: &["source"],
                long_valued: &["file", "assign", "field-separator"],
                operand_is_code: true,
                ..INTERP_BASE
            },
            Lang::PowerShell => INTERP_BASE,
        }
    }
}

/// Where an interpreter's code comes from.
enum Source {
    /// Code given on the command line, with the positional parameters of `sh -c`.
    Inline(Field, Option<Vec<Field>>),
    File(Field),
    Stdin,
    /// `powershell -EncodedCommand`.
    Encoded(Field),
    Nothing,
}

struct Code {
    lang: Lang,
    source: Source,
    /// Indices (in the arguments) of words that hold code, which names no file.
    code_args: Vec<usize>,
    /// Modules loaded by options (`-MIO::Socket`), inspected along with the code.
    modules: String,
}

impl Code {
    fn new(lang: Lang, source: Source, code_args: Vec<usize>) -> Self {
        Self {
            lang,
            source,
            code_args,
            modules: String::new(),
        }
    }
}

/// The code a program runs, if it is an interpreter or `eval`-like builtin.
fn code_source(key: &str, args: &[Field]) -> Option<Code> {
    let all: Vec<usize> = (0..args.len()).collect();
    let joined = || join_fields(args.to_vec(), " ");
    Some(match key {
        "eval" if !args.is_empty() => Code::new(Lang::Shell, Source::Inline(joined(), None), all),
        "trap" => match args.first() {
            Some(code) if !code.text.starts_with('-') => {
                Code::new(Lang::Shell, Source::Inline(code.clone(), None), vec![0])
            }
            _ => return None,
        },
        // cmd.exe: what follows `/c` (or `/k`) is a command line, close enough to sh for this.
        "cmd" => {
            let at = args
                .iter()
                .position(|a| matches!(a.text.to_ascii_lowercase().as_str(), "/c" | "/k" | "/r"))?;
            let rest = args[at + 1..].to_vec();
            Code::new(
                Lang::Shell,
                Source::Inline(join_fields(rest, " "), None),
                (at + 1..args.len()).collect(),
            )
        }
        // `mapfile -C CODE`: the callback is evaluated every few lines read.
        "mapfile" | "readarray" => {
            let (opts, _) = parse_args(args, MAPFILE_OPTS, false);
            let code = option_value(&opts, &["C"])?;
            let at = args
                .iter()
                .position(|a| a.text.starts_with("-C") && a.text.len() > 2)
                .or_else(|| args.iter().position(|a| a.text == "-C").map(|i| i + 1));
            Code::new(
                Lang::Shell,
                Source::Inline(code.clone(), None),
                at.into_iter().collect(),
            )
        }
        "source" | "." => Code::new(
            Lang::Shell,
            args.first()
                .map_or(Source::Nothing, |f| Source::File(f.clone())),
            Vec::new(),
        ),
        "iex" | "invoke-expression" => match args {
            [] => Code::new(Lang::PowerShell, Source::Stdin, Vec::new()),
            _ => Code::new(Lang::PowerShell, Source::Inline(joined(), None), all),
        },
        _ => match Lang::of(key)? {
            Lang::PowerShell => powershell_source(args),
            lang => cluster_source(lang, args),
        },
    })
}

/// What an interpreter's options say about its code.
#[derive(Default)]
struct InterpOptions {
    code: Vec<Field>,
    code_args: Vec<usize>,
    modules: String,
    file: Option<Field>,
    code_operand: bool,
    stdin: bool,
    run_module: bool,
}

/// An option's value: glued to it (`-cCODE`, `--eval=CODE`) or the next word, which is consumed.
/// Returns the value and the index of the word holding it (`i` is just past the option).
fn take_value(
    option: &Field,
    glued: Option<&str>,
    args: &[Field],
    i: &mut usize,
) -> Option<(Field, usize)> {
    match glued {
        Some(v) => Some((
            Field {
                text: v.to_owned(),
                ..option.clone()
            },
            *i - 1,
        )),
        None => {
            let value = args.get(*i)?.clone();
            *i += 1;
            Some((value, *i - 1))
        }
    }
}

impl InterpOptions {
    fn add_code(&mut self, (code, at): (Field, usize)) {
        self.code.push(code);
        self.code_args.push(at);
    }

    fn add_module(&mut self, module: &str) {
        self.modules.push_str(module);
        self.modules.push('\n');
    }

    /// `--name` or `--name=value`.
    fn long(
        &mut self,
        spec: &InterpSpec,
        option: &Field,
        long: &str,
        args: &[Field],
        i: &mut usize,
    ) {
        let (name, glued) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (long, None),
        };
        if spec.long_code.contains(&name) {
            if let Some(value) = take_value(option, glued, args, i) {
                self.add_code(value);
            }
        } else if spec.long_valued.contains(&name) {
            take_value(option, glued, args, i);
        }
    }

    /// A cluster of short options (`-c`, `-lne`, `-MIO::Socket`, `-e'code'`).
    fn short(&mut self, spec: &InterpSpec, option: &Field, args: &[Field], i: &mut usize) {
        let t = option.text.as_str();
        let mut chars = t.char_indices().skip(1);
        while let Some((k, c)) = chars.next() {
            let rest = &t[k + c.len_utf8()..];
            if spec.code_operand.contains(c) {
                self.code_operand = true;
            } else if spec.stdin.contains(c) {
                self.stdin = true;
            } else if spec.digits.contains(c) {
                let n = rest.chars().take_while(char::is_ascii_digit).count();
                chars.by_ref().take(n).for_each(drop);
            } else if spec.glued.contains(c) {
                if spec.module.contains(c) {
                    self.add_module(rest);
                }
                return;
            } else if spec.takes_value(c) {
                let Some(value) = take_value(option, Some(rest).filter(|r| !r.is_empty()), args, i)
                else {
                    return;
                };
                if spec.run_module.contains(c) {
                    self.run_module = true;
                } else if spec.code.contains(c) {
                    self.add_code(value);
                } else if spec.module.contains(c) {
                    self.add_module(&value.0.text);
                } else if spec.file.contains(c) {
                    self.file = Some(value.0);
                }
                return;
            }
        }
    }

    /// Where the code comes from, given the words after the options (from index `first`).
    fn into_code(mut self, lang: Lang, spec: &InterpSpec, args: &[Field], first: usize) -> Code {
        let operands = &args[first..];
        let source = if self.run_module {
            Source::Nothing
        } else if !self.code.is_empty() {
            Source::Inline(join_fields(self.code, "\n"), None)
        } else if self.code_operand || spec.operand_is_code {
            match operands.split_first() {
                Some((code, rest)) => {
                    self.code_args.push(first);
                    Source::Inline(code.clone(), self.code_operand.then(|| rest.to_vec()))
                }
                None => Source::Nothing,
            }
        } else if let Some(file) = self.file {
            Source::File(file)
        } else {
            match operands.first() {
                _ if self.stdin => Source::Stdin,
                None => Source::Stdin,
                Some(f) if f.text == "-" && !f.dynamic => Source::Stdin,
                Some(f) => Source::File(f.clone()),
            }
        };
        Code {
            lang,
            source,
            code_args: self.code_args,
            modules: self.modules,
        }
    }
}

/// Reads the options of a Unix-style interpreter (`-c CODE`, `-e CODE`, clusters like `-lne`).
fn cluster_source(lang: Lang, args: &[Field]) -> Code {
    let spec = lang.spec();
    let mut options = InterpOptions::default();
    let mut i = 0;
    while let Some(a) = args
        .get(i)
        .filter(|a| !a.dynamic && a.text.starts_with('-') && a.text != "-")
    {
        i += 1;
        match a.text.strip_prefix("--") {
            Some("") => break,
            Some(long) => options.long(&spec, a, long, args, &mut i),
            None => options.short(&spec, a, args, &mut i),
        }
        if options.run_module {
            break;
        }
    }
    options.into_code(lang, &spec, args, i.min(args.len()))
}

/// PowerShell's parameters: case-insensitive, `-` or `/`, any unambiguous prefix.
fn powershell_source(args: &[Field]) -> Code {
    const VALUED: [&str; 13] = [
        "executionpolicy",
        "ep",
        "windowstyle",
        "w",
        "workingdirectory",
        "wd",
        "version",
        "v",
        "inputformat",
        "outputformat",
        "configurationname",
        "settingsfile",
        "custompipename",
    ];
    let code = |source, code_args| Code::new(Lang::PowerShell, source, code_args);
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let Some(name) = a
            .text
            .strip_prefix('-')
            .or_else(|| a.text.strip_prefix('/'))
            .filter(|_| !a.dynamic)
        else {
            break;
        };
        let name = name.to_ascii_lowercase();
        let prefix_of = |full: &str| !name.is_empty() && full.starts_with(name.as_str());
        let value = args.get(i + 1);
        if name == "e" || name == "ec" || (name.len() >= 2 && prefix_of("encodedcommand")) {
            return value.map_or(code(Source::Nothing, Vec::new()), |v| {
                code(Source::Encoded(v.clone()), vec![i + 1])
            });
        }
        if prefix_of("command") {
            let rest = &args[i + 1..];
            return match rest {
                [] => code(Source::Nothing, Vec::new()),
                [dash] if dash.text == "-" => code(Source::Stdin, Vec::new()),
                _ => code(
                    Source::Inline(join_fields(rest.to_vec(), " "), None),
                    (i + 1..args.len()).collect(),
                ),
            };
        }
        if prefix_of("file") {
            return value.map_or(code(Source::Nothing, Vec::new()), |v| {
                code(Source::File(v.clone()), Vec::new())
            });
        }
        let valued = VALUED
            .iter()
            .any(|v| *v == name || (name.len() >= 3 && v.starts_with(name.as_str())));
        i += if valued { 2 } else { 1 };
    }
    let rest = &args[i.min(args.len())..];
    match rest.first() {
        None => code(Source::Stdin, Vec::new()),
        Some(f) if f.text.to_ascii_lowercase().ends_with(".ps1") => {
            code(Source::File(f.clone()), Vec::new())
        }
        Some(_) => code(
            Source::Inline(join_fields(rest.to_vec(), " "), None),
            (i..args.len()).collect(),
        ),
    }
}

/// The language a script's `#!` line names (`#!/usr/bin/env python3` → Python).
fn shebang_lang(text: &str) -> Option<Lang> {
    let line = text.strip_prefix("#!")?.lines().next()?;
    let mut words = line.split_whitespace();
    let program = words.next()?.rsplit('/').next()?;
    let program = if program == "env" {
        words.find(|w| !w.starts_with('-'))?
    } else {
        program
    };
    Lang::of(&program.to_lowercase())
}

fn is_stdin_path(text: &str) -> bool {
    matches!(text, "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0")
}

/// What an interpreter run leaves for the caller.
#[derive(Default)]
pub(super) struct Run {
    pub(super) code_args: Vec<usize>,
    pub(super) shell_stdin: bool,
    /// Inline code that fetches or decodes data taints what it prints.
    pub(super) stdout_taint: Taint,
}

impl Analyzer {
    /// Runs the code of an interpreter or `eval`-like builtin.
    pub(super) fn interpret(
        &mut self,
        name: &str,
        key: &str,
        argv: &[Field],
        stdin: &Flow,
        scope: &Scope,
    ) -> Run {
        let args = &argv[1..];
        if key == "?" {
            let who = format!("{} (a program unknown until run time)", argv[0].text);
            // Could be a shell given code (`$SHELL -c CODE`).
            if let Some(Code {
                source: Source::Inline(code, positional),
                code_args,
                ..
            }) = code_source("sh", args)
            {
                self.run_code(
                    &who,
                    Lang::Shell,
                    Some(&code),
                    &Taint::default(),
                    positional,
                    stdin,
                    scope,
                );
                return Run {
                    code_args,
                    ..Run::default()
                };
            }
            // Could be a shell reading its input.
            if args.iter().all(|a| a.text.starts_with('-')) {
                self.run_stdin_code(&who, Lang::Shell, stdin, scope);
            }
            return Run::default();
        }
        let Some(code) = code_source(key, args) else {
            return Run::default();
        };
        if code.lang == Lang::Shell
            && !matches!(
                key,
                "eval" | "trap" | "source" | "." | "mapfile" | "readarray"
            )
            && self.silent == 0
        {
            self.shell = true;
            if key != "cmd" {
                self.shell_startup(name, args, scope);
            }
        }
        let mut run = Run {
            code_args: code.code_args,
            ..Run::default()
        };
        match code.source {
            Source::Inline(field, positional) => {
                let field = if code.modules.is_empty() {
                    field
                } else {
                    Field {
                        text: format!("{}\n{}", field.text, code.modules),
                        ..field
                    }
                };
                if code.lang != Lang::Shell {
                    run.stdout_taint = printed_taint(&field.text, argv);
                    if evaluates_stdin(code.lang, &field.text) {
                        self.run_stdin_code(name, code.lang, stdin, scope);
                    }
                }
                self.run_code(
                    name,
                    code.lang,
                    Some(&field),
                    &Taint::default(),
                    positional,
                    stdin,
                    scope,
                );
            }
            Source::File(file) => self.run_file(name, code.lang, &file, stdin, scope),
            Source::Stdin => {
                run.shell_stdin = code.lang == Lang::Shell;
                self.run_stdin_code(name, code.lang, stdin, scope);
            }
            Source::Encoded(field) => {
                self.add_finding(
                    CommandCategory::DecodeExec,
                    format!("{name} -EncodedCommand runs base64-encoded code"),
                );
                if let Some(decoded) = decode_powershell(&field.text) {
                    self.inspect_code(name, Lang::PowerShell, &decoded, scope);
                }
            }
            Source::Nothing => {}
        }
        run
    }

    /// Runs what arrives on standard input as code (`curl ... | sh`, `python3 -` reading a pipe).
    fn run_stdin_code(&mut self, who: &str, lang: Lang, stdin: &Flow, scope: &Scope) {
        let text = stdin.text.as_deref().map(Field::known);
        self.run_code(
            who,
            lang,
            text.as_ref(),
            &stdin.taint,
            None,
            &Flow::default(),
            scope,
        );
    }

    /// Runs code: `code` (if known) has its own taint, `taint` is that of where it was read from.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_code(
        &mut self,
        who: &str,
        lang: Lang,
        code: Option<&Field>,
        taint: &Taint,
        positional: Option<Vec<Field>>,
        stdin: &Flow,
        scope: &Scope,
    ) {
        let subject = format!("{who} runs code");
        self.taint_findings(&subject, taint);
        let Some(code) = code else { return };
        self.taint_findings(&subject, &code.taint);
        if code.is_placeholder() {
            // Code read at run time.
            self.add_program("?");
            return;
        }
        match lang {
            Lang::Shell => self.nested_script(&code.text, positional, stdin, scope),
            // PowerShell runs commands much as sh does (`Remove-Item -Recurse ~; iwr .. | iex`).
            Lang::PowerShell => {
                self.inspect_code(who, lang, &code.text, scope);
                self.nested_script(&code.text, None, &Flow::default(), scope);
            }
            _ => self.inspect_code(who, lang, &code.text, scope),
        }
    }

    fn run_file(&mut self, who: &str, lang: Lang, file: &Field, stdin: &Flow, scope: &Scope) {
        if let Some(content) = &file.content {
            let text = content.text.as_deref().map(Field::known);
            self.run_code(
                who,
                lang,
                text.as_ref(),
                &content.taint,
                None,
                &Flow::default(),
                scope,
            );
        } else if !file.dynamic && is_stdin_path(&file.text) {
            self.run_stdin_code(who, lang, stdin, scope);
        } else {
            self.taint_findings(&format!("{who} runs a script named by data"), &file.taint);
            self.run_written(
                who,
                lang,
                file,
                &format!("{who} runs {}, which was", file.text),
                scope,
            );
        }
    }

    /// What a shell does on its own as it starts: it sources `$BASH_ENV` (or `$ENV`) and expands
    /// its prompts (`$PS4` for traces; when interactive, `$PS0`..`$PS2`, and runs
    /// `$PROMPT_COMMAND`), whose substitutions run.
    fn shell_startup(&mut self, name: &str, args: &[Field], scope: &Scope) {
        let known = |a: &Self, var: &str| {
            a.lookup(var, None, scope)
                .and_then(|v| v.into_iter().next())
                .filter(|f| !f.dynamic && !f.text.is_empty())
        };
        for var in ["BASH_ENV", "ENV"] {
            if let Some(file) = known(self, var) {
                self.run_file(name, Lang::Shell, &file, &Flow::default(), scope);
            }
        }
        let interactive = args
            .iter()
            .take_while(|a| !a.dynamic && a.text.starts_with('-'))
            .any(|a| !a.text.starts_with("--") && a.text.contains('i'));
        let prompts: &[&str] = if interactive {
            &["PS4", "PS0", "PS1", "PS2"]
        } else {
            &["PS4"]
        };
        for var in prompts {
            if let Some(prompt) = known(self, var) {
                self.expand_string(&prompt.text, scope);
            }
        }
        if interactive && let Some(code) = known(self, "PROMPT_COMMAND") {
            self.nested_script(&code.text, None, &Flow::default(), scope);
        }
    }

    /// Expands text as a double-quoted string (a prompt), analysing the commands it runs.
    pub(super) fn expand_string(&mut self, text: &str, scope: &Scope) {
        if !text.contains(['$', '`']) {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.give_up_nesting();
            return;
        }
        let word = Parser::new(text, self.depth + 1, &self.budget).string();
        self.depth += 1;
        self.capture(|a| a.expand_one(&word, &mut scope.clone()));
        self.depth -= 1;
    }

    /// Analyses shell code found inside a command (`sh -c`, `eval`, heredocs, decoded payloads).
    pub(super) fn nested_script(
        &mut self,
        text: &str,
        positional: Option<Vec<Field>>,
        stdin: &Flow,
        scope: &Scope,
    ) {
        if self.depth >= MAX_DEPTH {
            self.add_program("?");
            self.give_up_nesting();
            return;
        }
        let list = Parser::new(text, self.depth + 1, &self.budget).script();
        let mut inner = scope.clone();
        if positional.is_some() {
            inner.positional = positional;
        }
        self.depth += 1;
        self.capture(|a| a.list(&list, &mut inner, stdin));
        self.depth -= 1;
    }

    /// Runs a file written earlier in the input (downloaded, decoded, or with known content).
    pub(super) fn run_written(
        &mut self,
        who: &str,
        lang: Lang,
        file: &Field,
        subject: &str,
        scope: &Scope,
    ) {
        if file.dynamic {
            return;
        }
        if let Some(content) = self.written.get(&self.file_key(&file.text, scope)).cloned() {
            self.taint_findings(subject, &content.taint);
            let text = content.text.as_deref().map(Field::known);
            let lang = text
                .as_ref()
                .and_then(|t| shebang_lang(&t.text))
                .filter(|_| lang == Lang::Shell)
                .unwrap_or(lang);
            self.run_code(
                who,
                lang,
                text.as_ref(),
                &Taint::default(),
                None,
                &Flow::default(),
                scope,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::tests::{assert_flags, run};

    #[test]
    fn interpreters_are_analysed() {
        assert_flags(
            RecursiveDelete,
            &[
                "sh -c 'rm -rf /'",
                "bash -c \"rm -rf ~\"",
                "bash -xc 'rm -rf /'",
                "zsh -c -- 'rm -rf /'",
                "sh -c \"sh -c 'rm -rf /'\"",
                "sh -c 'rm -rf \"$1\"' _ /",
                "eval 'rm -rf /'",
                "eval rm -rf /",
                "x='rm -rf /'; eval \"$x\"",
                "python3 -c 'import os; os.system(\"rm -rf /\")'",
                "python3 -c '__import__(\"os\").system(\"rm -rf /\")'",
                "python -c \"import subprocess; subprocess.run(['rm', '-rf', '/'])\"",
                "perl -e 'system(\"rm -rf /\")'",
                "perl -le 'system(\"rm -rf /\")'",
                "perl -0777 -ne 'system(\"rm -rf /\")'",
                "ruby -e '`rm -rf /`'",
                "node -e 'require(\"child_process\").execSync(\"rm -rf /\")'",
                "php -r 'shell_exec(\"rm -rf /\");'",
                "lua -e 'os.execute(\"rm -rf /\")'",
                "awk 'BEGIN { system(\"rm -rf /\") }'",
                "osascript -e 'do shell script \"rm -rf ~\"'",
                "echo 'rm -rf /' | sh",
                "echo 'rm -rf /' > x.sh; bash x.sh",
                "printf 'rm -rf /' > x.sh && chmod +x x.sh && ./x.sh",
                "source <(echo 'rm -rf /')",
            ],
        );
    }

    #[test]
    fn unknown_program_given_code() {
        assert_flags(
            RecursiveDelete,
            &[
                "$SHELL -c 'rm -rf ~'",
                "$BASH -c 'rm -rf ~'",
                "$x -c 'rm -rf ~'",
                "$(which bash) -c 'rm -rf ~'",
                "`which sh` -c 'rm -rf ~'",
                "$SHELL -xc 'rm -rf ~'",
            ],
        );
    }

    #[test]
    fn nested_programs_are_listed() {
        let a = run("sh -c 'bash -c \"python3 -c pass\"'");
        assert_eq!(a.programs, ["sh", "bash", "python3"]);
        assert!(!a.path_words.iter().any(|w| w.contains("python3")), "{a:?}");
    }
}
