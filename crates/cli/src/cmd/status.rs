//! `portcullis status`: every MCP client and server found, whether Portcullis protects it, the
//! policy in force, the last activity in the audit trail, and its pins and quarantines.

use std::path::PathBuf;

use anstream::println;
use anstyle::{AnsiColor, Style};
use clap::Args;
use portcullis_clients::entry::Wrapped;
use portcullis_clients::inspect::{Content, Inspected, Server, State};
use portcullis_core::pins::ServerIdentity;
use portcullis_store::audit::{AuditLog, Filter, time};
use portcullis_store::{PinReader, ServerItems};
use serde_json::{Value, json};

use crate::clients::{command_line, discover, show_path};
use crate::config::{load_policy, state_dir, user_config_path};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also report the servers of this file (any client's format); repeatable.
    #[arg(long, value_name = "PATH")]
    config_file: Vec<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

const BOLD: Style = Style::new().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const WARN: Style = AnsiColor::Yellow.on_default();
const BAD: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();

/// What Portcullis knows of one protected server.
struct Seen {
    last_activity: Option<String>,
    records: u64,
    pinned: usize,
    held: usize,
}

pub fn run(args: StatusArgs) -> anyhow::Result<u8> {
    let found = discover(&args.config_file)?;
    let policy = policy_in_force();
    let knowledge = Knowledge::open()?;
    if args.json {
        let files: Vec<Value> = found
            .iter()
            .map(|inspected| file_json(inspected, &knowledge))
            .collect();
        let doc = json!({
            "policy": {"source": policy.source, "error": policy.error},
            "files": files,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    match &policy.error {
        None => println!("{BOLD}Policy{BOLD:#}  {}", policy.source),
        Some(error) => println!(
            "{BOLD}Policy{BOLD:#}  {BAD}{} does not load, so protected servers will not \
             start{BAD:#}: {error}",
            policy.source
        ),
    }
    if found.is_empty() {
        println!(
            "No MCP client configuration found. `portcullis init --config-file PATH` handles a \
             file in another place."
        );
        return Ok(0);
    }
    let (mut protected, mut unprotected) = (0, 0);
    for inspected in &found {
        println!();
        println!(
            "{BOLD}{}{}{BOLD:#}  {}",
            inspected.file.client,
            if inspected.file.project {
                " (project)"
            } else {
                ""
            },
            show_path(&inspected.file.path)
        );
        if let Content::Unreadable(why) | Content::Broken(why) = &inspected.content {
            println!("  {WARN}cannot be read{WARN:#}: {why}");
        }
        for server in inspected.servers() {
            match &server.state {
                State::Protected(wrapped) => {
                    protected += 1;
                    print_protected(server, wrapped, &knowledge.seen(wrapped));
                }
                State::Unprotected(launch) => {
                    unprotected += 1;
                    println!(
                        "  {BAD}unprotected{BAD:#}  {}  {DIM}{}; `portcullis init` wraps \
                         it{DIM:#}",
                        server.name,
                        command_line(&launch.argv())
                    );
                }
                State::Remote { url } => {
                    unprotected += 1;
                    println!(
                        "  {WARN}unprotected{WARN:#}  {}  {DIM}{url}: HTTP/SSE, which \
                         Portcullis cannot stand in front of yet{DIM:#}",
                        server.name
                    );
                }
                State::Unsupported(why) => {
                    println!(
                        "  {DIM}not a server Portcullis can wrap{DIM:#}  {}  {why}",
                        server.name
                    )
                }
            }
        }
    }
    println!();
    println!("{protected} protected, {unprotected} unprotected.");
    Ok(0)
}

fn print_protected(server: &Server, wrapped: &Wrapped, seen: &Seen) {
    let mode = if wrapped.monitor_only() {
        format!(" {WARN}(monitor only: blocks nothing){WARN:#}")
    } else {
        String::new()
    };
    println!("  {GOOD}protected{GOOD:#}    {}{mode}", server.name);
    let last = match &seen.last_activity {
        Some(at) => format!(
            "last activity {} ({} records)",
            time::short(at),
            seen.records
        ),
        None => "no activity recorded yet".to_owned(),
    };
    let held = if seen.held > 0 {
        format!(
            ", {BAD}{} held for review{BAD:#} (`portcullis pins diff`)",
            seen.held
        )
    } else {
        String::new()
    };
    println!(
        "               {DIM}{last}; {} pinned{DIM:#}{held}",
        seen.pinned
    );
}

/// The user's policy file (or the built-ins), and why it fails to load if it does.
struct PolicyInForce {
    source: String,
    error: Option<String>,
}

fn policy_in_force() -> PolicyInForce {
    let source = match user_config_path(None) {
        Ok(Some(path)) => show_path(&path),
        Ok(None) => "built-in defaults (no configuration file)".to_owned(),
        Err(e) => format!("unknown ({e:#})"),
    };
    PolicyInForce {
        source,
        error: load_policy(None).err().map(|e| format!("{e:#}")),
    }
}

/// The audit trail and the pin store, read only.
struct Knowledge {
    audit: Option<AuditLog>,
    pins: Vec<ServerItems>,
}

impl Knowledge {
    fn open() -> anyhow::Result<Knowledge> {
        let dir = state_dir()?;
        let audit = AuditLog::open(&dir)?;
        let pins = match PinReader::open(&dir)? {
            Some(reader) => reader.servers()?,
            None => Vec::new(),
        };
        Ok(Knowledge { audit, pins })
    }

    fn seen(&self, wrapped: &Wrapped) -> Seen {
        let name = wrapped.name.clone().unwrap_or_else(|| "default".to_owned());
        let stats = self.audit.as_ref().and_then(|log| {
            log.stats(&Filter {
                server: Some(name.clone()),
                ..Filter::default()
            })
            .ok()
        });
        let key = ServerIdentity {
            name: name.clone(),
            command: wrapped.inner.argv(),
        }
        .key();
        // The key matches unless the client expands `${VAR}` in the command; then the name does.
        let items = self
            .pins
            .iter()
            .find(|s| s.server.key == key)
            .or_else(|| self.pins.iter().find(|s| s.server.name == name));
        Seen {
            last_activity: stats.as_ref().and_then(|s| s.last.clone()),
            records: stats.map(|s| s.total).unwrap_or(0),
            pinned: items.map(|i| i.pinned.len()).unwrap_or(0),
            held: items.map(|i| i.held.len()).unwrap_or(0),
        }
    }
}

fn file_json(inspected: &Inspected, knowledge: &Knowledge) -> Value {
    let problem = match &inspected.content {
        Content::Unreadable(why) | Content::Broken(why) => Some(why.clone()),
        Content::Read { .. } => None,
    };
    let servers: Vec<Value> = inspected
        .servers()
        .iter()
        .map(|server| {
            let mut entry = json!({
                "name": server.name,
                "section": server.section,
            });
            match &server.state {
                State::Protected(wrapped) => {
                    let seen = knowledge.seen(wrapped);
                    entry["status"] = json!("protected");
                    entry["command"] = json!(wrapped.inner.argv());
                    entry["monitor_only"] = json!(wrapped.monitor_only());
                    entry["last_activity"] = json!(seen.last_activity);
                    entry["records"] = json!(seen.records);
                    entry["pinned"] = json!(seen.pinned);
                    entry["held"] = json!(seen.held);
                }
                State::Unprotected(launch) => {
                    entry["status"] = json!("unprotected");
                    entry["command"] = json!(launch.argv());
                }
                State::Remote { url } => {
                    entry["status"] = json!("remote");
                    entry["url"] = json!(url);
                }
                State::Unsupported(why) => {
                    entry["status"] = json!("unsupported");
                    entry["reason"] = json!(why);
                }
            }
            entry
        })
        .collect();
    json!({
        "client": inspected.file.client,
        "path": inspected.file.path,
        "project": inspected.file.project,
        "problem": problem,
        "servers": servers,
    })
}
