//! Code of languages other than sh: reverse shells, fork loops, evaluated downloads, tree deletes, and
//! the shell commands and programs the code runs.

use std::sync::LazyLock;

use regex::Regex;

use super::analyze::Analyzer;
use super::interp::Lang;
use super::render::describe;
use super::value::{Field, Flow, Scope, Taint};
use super::{CommandCategory, MAX_DEPTH, MAX_LOOP_VALUES, MAX_VALUE_LEN};

fn regex(pattern: &str) -> Regex {
    // The patterns are constants, exercised by the tests.
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("invalid built-in pattern: {e}"))
}

/// Opens a network socket.
static SOCKET: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)socket|fsockopen|tcpclient|net\.connect|createconnection|/inet/(?:tcp|udp)/|/dev/(?:tcp|udp)/",
    )
});

/// Runs a shell or commands, or wires a process to file descriptors.
static SPAWN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)dup2|pty\.spawn|/bin/[a-z]*sh\b|\b(?:ba|z|da|k)?sh\b|cmd(?:\.exe)?\b|powershell|\bexec|spawn|popen|proc_open|shell_exec|passthru|\bsystem\b|subprocess|child_process|os\.execute|getline|\biex\b|invoke-expression|start-process",
    )
});

/// Forks in an endless loop.
static FORK_LOOP: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?is)\b(?:while|loop|until|repeat|for\s*\(\s*;\s*;\s*\))\b.{0,80}?\bfork\b|\bfork\b[^;\n]{0,30}\b(?:while|until)\b",
    )
});

/// Fetches data from the network.
static FETCH: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)urlopen|urllib|urlretrieve|requests\.(?:get|post|request)|httpx\.|http\.client|httplib|\bwget\b|\bcurl\b|lwp::|\bget(?:store|print)?\s*\(?\s*["']https?://|http::tiny|net::http|open-uri|uri\.open|\bopen\s*\(\s*["']https?://|file_get_contents\s*\(\s*["']https?://|\bfetch\s*\(|\bhttps?\.(?:get|request)\s*\(|socket\.http|xmlhttprequest|downloadstring|downloaddata|downloadfile|webclient|invoke-webrequest|invoke-restmethod|\biwr\b|\birm\b|start-bitstransfer|\b(?:include|require)(?:_once)?\s*\(?\s*["']https?://"#,
    )
});

/// Decodes hidden text.
static DECODE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)b64decode|b32decode|b85decode|a85decode|decodebytes|decodestring|base64|\batob\s*\(|decode_base64|unpack\s*\(?\s*["']m|frombase64string|unhexlify|fromhex|zlib\.decompress|gzinflate|gzuncompress|str_rot13|codecs\.decode|marshal\.loads"#,
    )
});

/// Evaluates a string as code, per language.
static SINKS: LazyLock<[(Lang, Regex); 9]> = LazyLock::new(|| {
    [
        (
            Lang::Python,
            regex(
                r"(?:^|[^.\w])(?:exec|eval|execfile|compile)\s*\(|\bos\.(?:system|popen)\s*\(|\bsubprocess\.",
            ),
        ),
        (Lang::Perl, regex(r"\b(?:eval|system|exec)\b|`|\bqx\b")),
        (
            Lang::Ruby,
            regex(r"\b(?:eval|instance_eval|class_eval|module_eval|system|exec|spawn)\b|`|%x"),
        ),
        (
            Lang::Node,
            regex(r"\beval\b|\bFunction\s*\(|runIn(?:This|New)Context|child_process|\bexecSync\b"),
        ),
        (
            Lang::Php,
            regex(
                r"(?i)\b(?:eval|assert|system|exec|shell_exec|passthru|popen|proc_open|include|require)(?:_once)?\s*\(|`",
            ),
        ),
        (
            Lang::Lua,
            regex(r"\b(?:load|loadstring|dofile|os\.execute|io\.popen)\s*\("),
        ),
        (
            Lang::PowerShell,
            regex(
                r"(?i)\biex\b|invoke-expression|\.invoke\s*\(|scriptblock\]::create|invoke-command",
            ),
        ),
        (Lang::AppleScript, regex(r"(?i)do shell script|run script")),
        (Lang::Awk, regex(r"\bsystem\s*\(|\|\s*getline|\|&")),
    ]
});

/// Calls that run a shell command (a string) or a program (a list), per language.
static COMMAND_CALLS: LazyLock<[(Lang, Regex); 8]> = LazyLock::new(|| {
    [
        (
            Lang::Python,
            regex(
                r#"(?:\bos|__import__\(\s*["']os["']\s*\))\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(|\b(?:subprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)|commands\.getoutput|pty\.spawn)\s*\("#,
            ),
        ),
        (Lang::Perl, regex(r"\b(?:system|exec)\b\s*\(?")),
        (
            Lang::Ruby,
            regex(r"\b(?:system|exec|spawn|IO\.popen|Open3\.(?:capture[23]e?|popen[23]e?))\s*\(?"),
        ),
        (
            Lang::Php,
            regex(r"(?i)\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*\("),
        ),
        (
            Lang::Node,
            regex(r"\b(?:exec|execSync|spawn|spawnSync|execFile|execFileSync)\s*\("),
        ),
        (Lang::Lua, regex(r"\b(?:os\.execute|io\.popen)\s*\(?")),
        (Lang::Awk, regex(r"\bsystem\s*\(")),
        (Lang::AppleScript, regex(r"(?i)do shell script\s+")),
    ]
});

/// Library calls that delete a directory tree, per language (Node's need a `recursive` option).
static TREE_DELETES: LazyLock<[(Lang, Regex); 4]> = LazyLock::new(|| {
    [
        (Lang::Python, regex(r"\brmtree\s*\(")),
        (Lang::Perl, regex(r"\b(?:rmtree|remove_tree)\b\s*\(?")),
        (
            Lang::Ruby,
            regex(r"\b(?:rm_rf|rm_r|remove_dir|remove_entry(?:_secure)?|rmtree)\b\s*\(?"),
        ),
        (
            Lang::Node,
            regex(r"\b(?:rimraf(?:\.sync)?|rmSync|rmdirSync|rm|rmdir)\s*\("),
        ),
    ]
});

/// Reads standard input as data (`sys.stdin`, `<STDIN>`, `process.stdin`, ...).
static STDIN_READ: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"sys\.stdin|<STDIN>|<>|\$stdin|\bSTDIN\b|\bgets\b|process\.stdin|readFileSync\(\s*(?:0|["']/dev/stdin["'])|io\.read|php://stdin|/dev/stdin|\binput\s*\("#,
    )
});

/// Interpolations in a string another language builds a command from (`f"rm -rf {p}"`,
/// `"%s" % p`, `"#{p}"`): their values are unknown.
static INTERPOLATION: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(\$?)\{[^{}]*\}|#\{[^{}]*\}|%[-#0-9.]*[sdr]"));

/// Backtick command strings of Perl, Ruby and PHP.
static BACKTICKS: LazyLock<Regex> = LazyLock::new(|| regex(r"`([^`]*)`"));

fn rule(rules: &[(Lang, Regex)], lang: Lang) -> Option<&Regex> {
    rules.iter().find(|(l, _)| *l == lang).map(|(_, r)| r)
}

/// A command found in another language's code.
enum Embedded {
    Script(String),
    Argv(Vec<String>),
}

/// A literal argument of a call: a string or a list of strings.
enum Literal {
    Str(String),
    List(Vec<String>),
}

/// At most [`MAX_LOOP_VALUES`] items, and whether there were more (which are not looked at).
fn at_most<I: Iterator>(mut items: I) -> (Vec<I::Item>, bool) {
    let kept = items.by_ref().take(MAX_LOOP_VALUES).collect();
    (kept, items.next().is_some())
}

/// The shell commands and programs another language's code runs (`os.system("..")`,
/// `subprocess.run(["rm", "-rf", "/"])`, `` `..` ``), and whether there were more than are
/// looked at.
fn embedded_commands(lang: Lang, code: &str) -> (Vec<Embedded>, bool) {
    let mut out = Vec::new();
    let mut cut = false;
    if let Some(calls) = rule(&COMMAND_CALLS[..], lang) {
        let (calls, more) = at_most(calls.find_iter(code));
        cut |= more;
        for m in calls {
            let (args, more) = literal_args(&code[m.end()..]);
            cut |= more;
            let spawn_style = args.len() > 1;
            match args.into_iter().reduce(|a, b| match (a, b) {
                (Literal::Str(a), Literal::Str(b)) => Literal::List(vec![a, b]),
                (Literal::Str(a), Literal::List(mut b)) => {
                    b.insert(0, a);
                    Literal::List(b)
                }
                (Literal::List(mut a), Literal::Str(b)) if spawn_style => {
                    a.push(b);
                    Literal::List(a)
                }
                (a, _) => a,
            }) {
                Some(Literal::Str(s)) => out.push(Embedded::Script(s)),
                Some(Literal::List(words)) if !words.is_empty() => out.push(Embedded::Argv(words)),
                _ => {}
            }
        }
    }
    if matches!(lang, Lang::Perl | Lang::Ruby | Lang::Php) {
        let (backticks, more) = at_most(BACKTICKS.captures_iter(code));
        cut |= more;
        out.extend(
            backticks
                .into_iter()
                .map(|c| Embedded::Script(c[1].to_owned())),
        );
    }
    for command in &mut out {
        if let Embedded::Script(script) = command {
            *script = mark_interpolations(script);
        }
    }
    (out, cut)
}

/// Replaces interpolations with an unknown variable; `${..}` already reads as one.
fn mark_interpolations(script: &str) -> String {
    INTERPOLATION
        .replace_all(script, |c: &regex::Captures<'_>| {
            if c.get(1).is_some_and(|m| !m.as_str().is_empty()) {
                c[0].to_owned()
            } else {
                "${__interpolated}".to_owned()
            }
        })
        .into_owned()
}

/// Code that evaluates what it reads from standard input (`exec(sys.stdin.read())`, awk's
/// `system($0)`).
pub(super) fn evaluates_stdin(lang: Lang, code: &str) -> bool {
    // awk reads its input line by line without being asked to.
    rule(&SINKS[..], lang).is_some_and(|sink| sink.is_match(code))
        && (lang == Lang::Awk || STDIN_READ.is_match(code))
}

/// Leading literal arguments of a call: strings (with Python prefixes `r`, `b`, `u`, `f`) and
/// lists of strings, up to the first other expression or [`MAX_LOOP_VALUES`] of them; and
/// whether more followed.
fn literal_args(s: &str) -> (Vec<Literal>, bool) {
    let mut it = s.chars().peekable();
    let mut out = Vec::new();
    let skip_ws = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
    };
    skip_ws(&mut it);
    it.next_if_eq(&'(');
    loop {
        skip_ws(&mut it);
        if out.len() == MAX_LOOP_VALUES {
            let more = it.peek() == Some(&'[') || string_literal(&mut it.clone()).is_some();
            return (out, more);
        }
        let literal = if it.next_if_eq(&'[').is_some() {
            let mut items = Vec::new();
            loop {
                skip_ws(&mut it);
                let Some(item) = joined_literal(&mut it) else {
                    break;
                };
                items.push(item);
                skip_ws(&mut it);
                if it.next_if_eq(&',').is_none() {
                    break;
                }
            }
            Literal::List(items)
        } else {
            match joined_literal(&mut it) {
                Some(s) => Literal::Str(s),
                None => break,
            }
        };
        out.push(literal);
        skip_ws(&mut it);
        if it.next_if_eq(&',').is_none() {
            break;
        }
    }
    (out, false)
}

/// The source text of a call's first argument (`s` starts after the opening parenthesis).
fn first_argument(s: &str) -> &str {
    let mut depth = 0usize;
    let end = s
        .char_indices()
        .find(|&(_, c)| match c {
            '(' | '[' | '{' => {
                depth += 1;
                false
            }
            ')' | ']' | '}' if depth == 0 => true,
            ')' | ']' | '}' => {
                depth -= 1;
                false
            }
            ',' | ';' | '\n' => depth == 0,
            _ => false,
        })
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// A string literal, joined with the literals concatenated to it (`"r" "m -rf ~"`, `'r'+'m'`,
/// `"r" . "m"`, `"r" .. "m"`).
fn joined_literal(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut text = string_literal(it)?;
    loop {
        let mut probe = it.clone();
        while probe.next_if(|c| c.is_whitespace()).is_some() {}
        if probe.next_if(|c| matches!(c, '+' | '.')).is_some() {
            probe.next_if_eq(&'.');
        }
        while probe.next_if(|c| c.is_whitespace()).is_some() {}
        match string_literal(&mut probe) {
            Some(more) if text.len() + more.len() <= MAX_VALUE_LEN => {
                text.push_str(&more);
                *it = probe;
            }
            _ => return Some(text),
        }
    }
}

fn string_literal(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut probe = it.clone();
    let mut raw = false;
    for _ in 0..2 {
        match probe.next_if(|c| "rRbBuUfF".contains(*c)) {
            Some(c) => raw |= c == 'r' || c == 'R',
            None => break,
        }
    }
    let quote = probe.next().filter(|q| matches!(q, '\'' | '"' | '`'))?;
    let mut text = String::new();
    loop {
        match probe.next()? {
            c if c == quote => break,
            '\\' if !raw => match probe.next()? {
                'n' => text.push('\n'),
                't' => text.push('\t'),
                c => text.push(c),
            },
            c => text.push(c),
        }
    }
    *it = probe;
    Some(text)
}

static PY_IMPORT_AS: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\bimport\s+(os|subprocess|shutil|pty|commands)\s+as\s+([A-Za-z_]\w*)")
});
static PY_FROM_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\bfrom\s+(os|subprocess|shutil|pty|commands)\s+import\s+\(?([\w\s,]+)")
});

/// Python code with the module aliases and imported names that run commands or delete trees
/// spelled out (`import subprocess as s; s.call(..)` → `subprocess.call(..)`, `from shutil import
/// rmtree as r; r(..)` → `shutil.rmtree(..)`).
fn python_unalias(code: &str) -> String {
    let mut names: Vec<(String, String)> = Vec::new();
    for c in PY_IMPORT_AS.captures_iter(code).take(MAX_LOOP_VALUES) {
        names.push((format!(r"\b{}\s*\.", &c[2]), format!("{}.", &c[1])));
    }
    for c in PY_FROM_IMPORT.captures_iter(code).take(MAX_LOOP_VALUES) {
        for item in c[2].split(',').take(MAX_LOOP_VALUES) {
            let mut words = item.split_whitespace();
            let (Some(name), alias) = (words.next(), words.nth(1)) else {
                continue;
            };
            let alias = alias.unwrap_or(name);
            names.push((format!(r"\b{alias}\s*\("), format!("{}.{name}(", &c[1])));
        }
    }
    let mut out = code.to_owned();
    for (pattern, replacement) in names {
        if let Ok(re) = Regex::new(&pattern) {
            let replaced = re.replace_all(&out, regex::NoExpand(&replacement));
            if replaced.len() <= MAX_VALUE_LEN {
                out = replaced.into_owned();
            }
        }
    }
    out
}

/// What inline code of another language prints: data it fetches or decodes (`python -c
/// 'print(urlopen(..).read())' | sh`).
pub(super) fn printed_taint(code: &str, argv: &[Field]) -> Taint {
    Taint {
        downloaded: FETCH.is_match(code).then(|| describe(argv)),
        decoded: DECODE.is_match(code).then(|| describe(argv)),
        truncated: false,
    }
}

impl Analyzer {
    /// `shutil.rmtree("/")` and its kin, judged by their first literal argument (a path
    /// computed at run time is unknown).
    fn check_tree_deletes(&mut self, who: &str, lang: Lang, code: &str, scope: &Scope) {
        let Some(calls) = rule(&TREE_DELETES[..], lang) else {
            return;
        };
        let (calls, more) = at_most(calls.find_iter(code));
        if more {
            self.give_up(&format!("{who} code deletes more trees than are analysed"));
        }
        for m in calls {
            let argument = first_argument(&code[m.end()..]);
            // Node's `fs.rm` and kin only delete trees when asked to.
            if lang == Lang::Node
                && !m.as_str().starts_with("rimraf")
                && !code[m.end()..]
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .contains("recursive")
            {
                continue;
            }
            let target = match literal_args(argument).0.into_iter().next() {
                Some(Literal::Str(path)) => Field::known(&path),
                _ => Field::dynamic(argument.trim()),
            };
            if let Some(risk) = self.deletion_risk(&target, scope, false) {
                self.add_finding(
                    CommandCategory::RecursiveDelete,
                    format!("{who} code deletes the tree at {risk}"),
                );
            }
        }
    }

    /// Inspects code of a language other than sh: reverse shells, fork loops, evaluating
    /// downloaded or decoded data, and the shell commands and programs it runs.
    pub(super) fn inspect_code(&mut self, who: &str, lang: Lang, code: &str, scope: &Scope) {
        let unaliased;
        let code = if lang == Lang::Python {
            unaliased = python_unalias(code);
            unaliased.as_str()
        } else {
            code
        };
        let finding = |category, what: &str| (category, format!("{who} code {what}"));
        let mut findings = Vec::new();
        let socket = SOCKET.is_match(code);
        // awk's `/inet/tcp/` files are rarely anything else.
        if socket && (lang == Lang::Awk || SPAWN.is_match(code)) {
            findings.push(finding(
                CommandCategory::ReverseShell,
                "opens a network socket and runs commands through it",
            ));
        }
        if FORK_LOOP.is_match(code) {
            findings.push(finding(
                CommandCategory::ForkBomb,
                "forks in an endless loop",
            ));
        }
        let evaluates = matches!(
            who.to_ascii_lowercase().as_str(),
            "iex" | "invoke-expression"
        );
        if evaluates || rule(&SINKS[..], lang).is_some_and(|sink| sink.is_match(code)) {
            if FETCH.is_match(code) {
                findings.push(finding(
                    CommandCategory::DownloadExec,
                    "evaluates data fetched from the network",
                ));
            }
            if DECODE.is_match(code) {
                findings.push(finding(
                    CommandCategory::DecodeExec,
                    "evaluates decoded data",
                ));
            }
        }
        for (category, detail) in findings {
            self.add_finding(category, detail);
        }
        self.check_tree_deletes(who, lang, code, scope);
        let (commands, cut) = embedded_commands(lang, code);
        if cut {
            self.give_up(&format!("{who} code runs more commands than are analysed"));
        }
        if commands.is_empty() {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.give_up_nesting();
            return;
        }
        self.depth += 1;
        for command in commands {
            match command {
                Embedded::Script(script) => {
                    self.nested_script(&script, None, &Flow::default(), scope)
                }
                Embedded::Argv(words) => {
                    let argv: Vec<Field> = words.iter().map(|w| Field::known(w)).collect();
                    self.exec(&argv, &Flow::default(), &mut scope.clone());
                }
            }
        }
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::RecursiveDelete;
    use crate::detect::shell::tests::assert_flags;

    #[test]
    fn concatenated_and_aliased() {
        assert_flags(
            RecursiveDelete,
            &[
                "python3 -c \"import os;os.system('r'+'m -rf ~')\"",
                "awk 'BEGIN{system(\"r\" \"m -rf ~\")}'",
                "perl -e 'system(\"r\" . \"m -rf ~\")'",
                "lua -e 'os.execute(\"r\" .. \"m -rf ~\")'",
                "python3 -c 'import subprocess as s;s.call(\"rm -rf ~\",shell=True)'",
                "python3 -c 'from shutil import rmtree as r;r(\"/home/alice\")'",
                "python3 -c 'from os import system;system(\"rm -rf ~\")'",
                "python3 -c 'from subprocess import call as c, run;c([\"rm\",\"-rf\",\"/\"])'",
            ],
        );
    }
}
