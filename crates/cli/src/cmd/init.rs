//! `portcullis init`: wrap every stdio MCP server of every client on the machine in
//! `portcullis run`, after showing the plan; `init --undo` puts the files back.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anstream::println;
use anstyle::{AnsiColor, Style};
use anyhow::{Context, bail};
use clap::Args;
use portcullis_clients::doc::section_label;
use portcullis_clients::edit::{self, ServerRef};
use portcullis_clients::inspect::{Content, Inspected, State, inspect};
use portcullis_clients::undo::{CHANGED_MEANWHILE, UndoLog, Undone};

use crate::clients::{command_line, discover, show_path};
use crate::config::state_dir;
use crate::words::count;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Apply the plan without asking.
    #[arg(long, short)]
    yes: bool,
    /// Only print the plan; change nothing.
    #[arg(long, conflicts_with = "yes")]
    dry_run: bool,
    /// Put back every file `init` changed: its exact bytes from before, or, when it was edited
    /// since, the same file with only Portcullis's wrappers taken off.
    #[arg(long, conflicts_with_all = ["dry_run", "config_file"])]
    undo: bool,
    /// Also wrap the servers of this file (any client's format); repeatable.
    #[arg(long, value_name = "PATH")]
    config_file: Vec<PathBuf>,
}

const BOLD: Style = Style::new().bold();
const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const WARN: Style = AnsiColor::Yellow.on_default();

/// How many times a file a client keeps rewriting (Claude Code's `~/.claude.json`) is planned
/// again before giving up.
const ATTEMPTS: usize = 3;

pub fn run(args: InitArgs) -> anyhow::Result<u8> {
    let log = UndoLog::new(&state_dir()?);
    if args.undo {
        return undo(&log);
    }
    let exe = wrapper_program()?;
    let found = discover(&args.config_file)?;
    if found.is_empty() {
        println!(
            "No MCP client configuration found (looked for Claude Desktop, Claude Code, Cursor, \
             VS Code, Windsurf, Codex, Gemini CLI and Zed, and in this directory). Name a file \
             with --config-file."
        );
        return Ok(0);
    }
    let mut plans = Vec::new();
    let mut troubled = false;
    for inspected in &found {
        troubled |= print_file(inspected);
        if let Content::Read { text, .. } = &inspected.content {
            match edit::wrap(text, &inspected.file, &exe) {
                Ok(Some((after, wrapped))) => {
                    print_diff(text, &after);
                    plans.push((inspected, wrapped));
                }
                Ok(None) => {}
                Err(why) => {
                    troubled = true;
                    println!("  {WARN}left alone{WARN:#}: {why}");
                }
            }
        }
        println!();
    }
    if plans.is_empty() {
        println!("Nothing to change: every stdio server found is already protected.");
        return Ok(u8::from(troubled));
    }
    let servers: usize = plans.iter().map(|(_, w)| w.len()).sum();
    let summary = format!(
        "{} in {}",
        count(servers as u64, "server", None),
        count(plans.len() as u64, "file", None)
    );
    if args.dry_run {
        println!("Dry run: {summary} would be wrapped; nothing was changed.");
        return Ok(u8::from(troubled));
    }
    if !args.yes && !confirm(&format!("Wrap {summary}?"))? {
        println!("Nothing was changed.");
        return Ok(0);
    }
    for (inspected, _) in &plans {
        match write_with_retries(&log, inspected, &exe) {
            Ok(wrapped) => println!(
                "{ADDED}protected{ADDED:#} {} in {}",
                names(&wrapped),
                show_path(&inspected.file.path)
            ),
            Err(why) => {
                troubled = true;
                println!(
                    "{WARN}not changed{WARN:#} {}: {why}",
                    show_path(&inspected.file.path)
                );
            }
        }
    }
    println!(
        "Restart your MCP clients (or reload their servers) to start the servers through \
         Portcullis. `portcullis status` shows what is protected; `portcullis init --undo` puts \
         every file back."
    );
    Ok(u8::from(troubled))
}

/// The program written into wrapped entries: this binary, by absolute path, because clients
/// start servers with a PATH of their own (Claude Desktop on macOS barely has one).
fn wrapper_program() -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot tell where the portcullis binary is")?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    exe.into_os_string()
        .into_string()
        .map_err(|p| anyhow::anyhow!("the path of the portcullis binary is not UTF-8: {p:?}"))
}

/// Prints a file's heading and each server's fate; true when the file cannot be handled.
fn print_file(inspected: &Inspected) -> bool {
    let file = &inspected.file;
    let scope = if file.project { " (project)" } else { "" };
    println!(
        "{BOLD}{}{scope}{BOLD:#}  {}",
        file.client,
        show_path(&file.path)
    );
    match &inspected.content {
        Content::Unreadable(why) | Content::Broken(why) => {
            println!("  {WARN}left alone{WARN:#}: {why}");
            true
        }
        Content::Read { servers, .. } => {
            if servers.is_empty() {
                println!("  {DIM}no MCP servers{DIM:#}");
            }
            for server in servers {
                let name = qualified(&server.section, &server.name);
                match &server.state {
                    State::Unprotected(launch) => println!(
                        "  {ADDED}wrap{ADDED:#}         {name}  {DIM}{}{DIM:#}",
                        command_line(&launch.argv())
                    ),
                    State::Protected(_) => println!("  protected    {name}"),
                    State::Remote { url } => println!(
                        "  {WARN}unprotected{WARN:#}  {name}  {DIM}{url}: an HTTP/SSE server; \
                         `portcullis run` wraps stdio servers only, until the HTTP gateway \
                         (`portcullis serve`) exists{DIM:#}"
                    ),
                    State::Unsupported(why) => {
                        println!("  {WARN}skipped{WARN:#}      {name}  {DIM}{why}{DIM:#}")
                    }
                }
            }
            false
        }
    }
}

/// A server's name, with the project it belongs to when it is not at the top level.
fn qualified(section: &[String], name: &str) -> String {
    if section.len() > 1 {
        format!("{name} ({})", section_label(&section[..section.len() - 1]))
    } else {
        name.to_owned()
    }
}

/// The lines that change, with a line of context.
fn print_diff(before: &str, after: &str) {
    let diff = similar::TextDiff::from_lines(before, after);
    for group in diff.grouped_ops(1) {
        println!("  {DIM}…{DIM:#}");
        for op in group {
            for change in diff.iter_changes(&op) {
                let line = change.value().trim_end_matches(['\n', '\r']);
                match change.tag() {
                    similar::ChangeTag::Delete => println!("  {REMOVED}- {line}{REMOVED:#}"),
                    similar::ChangeTag::Insert => println!("  {ADDED}+ {line}{ADDED:#}"),
                    similar::ChangeTag::Equal => println!("  {DIM}  {line}{DIM:#}"),
                }
            }
        }
    }
}

/// Asks on the terminal; without one, refuses rather than guess.
fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "not changing anything without confirmation: run `portcullis init --yes` to apply \
             this plan, or `--dry-run` to only print it"
        );
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Wraps a file's servers, planning again when its client rewrote it since it was read.
fn write_with_retries(
    log: &UndoLog,
    inspected: &Inspected,
    exe: &str,
) -> Result<Vec<ServerRef>, String> {
    let mut current = inspected.clone();
    for _ in 0..ATTEMPTS {
        let Content::Read { text, .. } = &current.content else {
            return Err("it can no longer be read".to_owned());
        };
        let Some((after, wrapped)) = edit::wrap(text, &current.file, exe)? else {
            return Ok(Vec::new());
        };
        match log.write(&current.file, text, &after, wrapped.clone()) {
            Ok(()) => return Ok(wrapped),
            Err(why) if why == CHANGED_MEANWHILE => {
                current = inspect(current.file.clone()).ok_or("it was deleted")?;
            }
            Err(why) => return Err(why),
        }
    }
    Err(format!(
        "{CHANGED_MEANWHILE}, again and again; run init again"
    ))
}

fn undo(log: &UndoLog) -> anyhow::Result<u8> {
    if log.is_empty().map_err(anyhow::Error::msg)? {
        println!("Nothing to undo: `portcullis init` has not changed any file.");
        return Ok(0);
    }
    let mut failed = false;
    for undone in log.undo().map_err(anyhow::Error::msg)? {
        match undone {
            Undone::Restored { path } => println!(
                "{ADDED}restored{ADDED:#} {}: its exact bytes from before `portcullis init`",
                show_path(&path)
            ),
            Undone::Unwrapped { path, servers } => println!(
                "{WARN}unwrapped{WARN:#} {}: it was edited since `portcullis init`, so only \
                 Portcullis's wrappers were taken off ({}); every other edit stays",
                show_path(&path),
                if servers.is_empty() {
                    "none were left".to_owned()
                } else {
                    names(&servers)
                }
            ),
            Undone::Gone { path } => println!(
                "{DIM}gone{DIM:#} {}: the file no longer exists; nothing to put back",
                show_path(&path)
            ),
            Undone::Failed { path, why } => {
                failed = true;
                println!(
                    "{REMOVED}not undone{REMOVED:#} {}: {why} (run `portcullis init --undo` \
                     again once fixed)",
                    show_path(&path)
                );
            }
        }
    }
    Ok(u8::from(failed))
}

fn names(servers: &[ServerRef]) -> String {
    let names: Vec<String> = servers
        .iter()
        .map(|(section, name)| qualified(section, name))
        .collect();
    names.join(", ")
}
