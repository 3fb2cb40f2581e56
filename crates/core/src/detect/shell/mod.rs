//! Shell command analysis: what a command line would run, and on what.
//!
//! Tool arguments that hold shell commands are parsed here with POSIX sh / bash semantics (quotes,
//! escapes, `$'..'`, parameter and command substitution, brace expansion, `$IFS` splitting,
//! heredocs, compound commands, functions) and then walked in execution order over a small model of
//! the shell: variables, the working directory, files written so far and what flows through each
//! pipe. Wrappers (`sudo`, `env`, `xargs`, `find -exec`, ...) are seen through, and code handed to
//! interpreters (`sh -c`, `eval`, `python -c`, heredocs, decoded payloads, ...) is analysed in turn.
//!
//! The pipeline, one module per step:
//! 1. **Parse** ([`parse`], into the tree of [`ast`]): text becomes lists of pipelines of commands,
//!    whose words are still the pieces they are glued from.
//! 2. **Expand** ([`expand`], [`param`], [`brace`], [`decode`]): each word becomes fields (the
//!    values of [`value`]) against the current shell state, as the shell expands it before running
//!    a command; the words inside `${..}` operators are expanded too, for what they run.
//! 3. **Analyse** ([`analyze`], [`loops`], [`exec`]): the tree is walked in execution order, loops
//!    again while a round changes what the next one reads; each command is resolved through
//!    aliases, functions and wrappers ([`wrappers`], option syntax in [`args`]), code it hands to
//!    an interpreter is analysed in turn ([`interp`], [`embedded`]), and what it prints or writes
//!    is followed to where it is read ([`output`], [`download`]).
//! 4. **Detect** ([`delete`], [`detectors`]): each command that runs is judged by what it does to
//!    what; findings quote it in its canonical rendering ([`render`]).
//!
//! Design choices:
//! - **Fail towards seeing more.** An unbalanced quote is taken literally and parsing goes on, so
//!   text after it is still seen as commands. Values that cannot be known statically are *dynamic*;
//!   a dynamic program name (`$x`, `$(..)`, `/???/r?`) is reported as `?` and may be any program.
//! - **Judge by what is done to what.** A recursive delete is a finding only when a target is not
//!   strictly inside the project, as spelled or where symlinks really lead; a download only when the
//!   bytes reach an interpreter; quoted arguments of ordinary programs are data (`echo "rm -rf /"`
//!   is harmless).
//! - **Bounded work.** Nesting is capped at [`MAX_DEPTH`], brace expansion at [`MAX_BRACE_WORDS`],
//!   loop rounds at [`MAX_LOOP_PASSES`], repeated work at [`MAX_EXTRA_PASSES`] and values at
//!   [`MAX_VALUE_LEN`]; every character parsed (or matched against a pattern) burns fuel, so
//!   hostile input stays roughly linear.
//! - **Fail closed.** Where a bound makes the analysis give up on part of a command (fuel spent,
//!   code nested too deep, a brace bomb, too long to run as code, repeated work), the command
//!   cannot be judged and is reported as [`CommandCategory::Unanalyzable`].
//!
//! Nothing here panics, and the disk is only read to resolve the symlinks of deletion targets,
//! when the caller's context asks for that.

mod analyze;
mod args;
mod ast;
mod brace;
mod decode;
mod delete;
mod detectors;
mod download;
mod embedded;
mod exec;
mod expand;
mod interp;
mod loops;
mod output;
mod param;
mod parse;
mod render;
#[cfg(test)]
mod tests;
mod value;
mod wrappers;

use crate::detect::paths::PathContext;
use analyze::Analyzer;
use parse::Parser;
use render::render_fields;
use value::{Field, Flow};

/// Deepest nesting (syntax, substitutions, nested interpreters, function calls) that is analysed;
/// anything deeper is treated as unknown code.
const MAX_DEPTH: usize = 16;
/// Most words one brace expansion may produce.
const MAX_BRACE_WORDS: usize = 256;
/// Most values a `for` loop is unrolled over.
const MAX_LOOP_VALUES: usize = 16;
/// Most rounds of a loop walked while each changes what the next reads; what still changes then
/// becomes unknown for one last round.
const MAX_LOOP_PASSES: usize = 3;
/// Total extra analysis passes (loop iterations, repeated function calls) for one input, and the
/// number of commands analysed after which no more are made.
const MAX_EXTRA_PASSES: usize = 64;
const MAX_REPEATED_WORK: usize = 4096;
/// Highest array index assigned exactly (`a[5]=x`); past it the array becomes unknown.
const MAX_ARRAY_INDEX: usize = 1024;
/// Longest value tracked exactly; longer values become dynamic.
const MAX_VALUE_LEN: usize = 1 << 16;
/// Parsing fuel per input byte, plus a fixed allowance for nested code found on the way.
const FUEL_PER_BYTE: usize = 64;
const FUEL_BASE: usize = 200_000;
/// Most findings reported for one input; past it, only the first of each category.
const MAX_FINDINGS: usize = 256;
/// Longest command quoted in a finding.
const MAX_QUOTE: usize = 120;
/// The word standing for items a command reads at run time (`find -exec .. {}`, `xargs`).
const PLACEHOLDER: &str = "{}";

/// A dangerous behaviour a command can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandCategory {
    RecursiveDelete,
    FilesystemFormat,
    RawDeviceWrite,
    ForkBomb,
    DownloadExec,
    DecodeExec,
    ReverseShell,
    /// The analysis gave up (too large, nested too deep, too much repeated work): the command
    /// could not be judged, so whatever it does is unknown.
    Unanalyzable,
}

impl CommandCategory {
    /// Every category, in a stable order.
    pub const ALL: [CommandCategory; 8] = [
        Self::RecursiveDelete,
        Self::FilesystemFormat,
        Self::RawDeviceWrite,
        Self::ForkBomb,
        Self::DownloadExec,
        Self::DecodeExec,
        Self::ReverseShell,
        Self::Unanalyzable,
    ];

    /// The kebab-case name used in policies.
    pub fn name(self) -> &'static str {
        match self {
            Self::RecursiveDelete => "recursive-delete",
            Self::FilesystemFormat => "filesystem-format",
            Self::RawDeviceWrite => "raw-device-write",
            Self::ForkBomb => "fork-bomb",
            Self::DownloadExec => "download-exec",
            Self::DecodeExec => "decode-exec",
            Self::ReverseShell => "reverse-shell",
            Self::Unanalyzable => "unanalyzable",
        }
    }

    /// The category called `name` (see [`CommandCategory::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// A phrase a person understands.
    pub fn describe(self) -> &'static str {
        match self {
            Self::RecursiveDelete => "recursive deletion outside the project",
            Self::FilesystemFormat => "formatting or repartitioning a disk",
            Self::RawDeviceWrite => "writing directly to a disk device",
            Self::ForkBomb => "a fork bomb that exhausts the machine's processes",
            Self::DownloadExec => "running code downloaded from the network",
            Self::DecodeExec => "running code hidden by an encoding",
            Self::ReverseShell => "a reverse shell handing control to a remote host",
            Self::Unanalyzable => "a command too large or convoluted to analyse",
        }
    }
}

/// One dangerous behaviour found in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFinding {
    pub category: CommandCategory,
    /// What exactly, e.g. "rm -rf targets the home directory (/home/alice)".
    pub detail: String,
}

/// What a command line does, as far as can be known statically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandAnalysis {
    /// The parsed commands rendered readably (quotes removed, expansions done, words re-quoted).
    pub canonical: String,
    /// Basename of every program invoked anywhere, in order; `?` for one unknown until run time.
    pub programs: Vec<String>,
    /// Every word that may name a file (arguments, redirection targets, `@file` forms), expanded.
    pub path_words: Vec<String>,
    pub findings: Vec<CommandFinding>,
}

/// Analyses a shell command line or script.
pub fn analyze(script: &str, ctx: &PathContext) -> CommandAnalysis {
    let mut analyzer = Analyzer::new(ctx, script.len());
    let list = Parser::new(script, 0, &analyzer.budget).script();
    let mut scope = analyzer.initial_scope();
    analyzer.list(&list, &mut scope, &Flow::default());
    analyzer.finish()
}

/// Analyses a command given as an argv array: the elements are words, not re-parsed, but code they
/// hand to interpreters (`sh -c`, `eval`, `python -c`, ...) is.
pub fn analyze_argv(argv: &[&str], ctx: &PathContext) -> CommandAnalysis {
    let mut analyzer = Analyzer::new(ctx, argv.iter().map(|a| a.len() + 1).sum());
    let fields: Vec<Field> = argv.iter().map(|a| Field::known(a)).collect();
    let mut scope = analyzer.initial_scope();
    analyzer.emit(&render_fields(&fields));
    analyzer.exec(&fields, &Flow::default(), &mut scope);
    analyzer.finish()
}
