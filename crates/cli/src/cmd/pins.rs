//! `portcullis pins`: what trust on first use pinned, what it held back since, and the user's
//! decisions on it. The store answers and changes (`portcullis-store`); this is its presentation.

use std::fmt::Write as _;

use clap::Subcommand;
use portcullis_core::pins::Definition;
use portcullis_store::{
    FILE_NAME, ItemRef, PinStore, Review, Scope, ServerItems, StoreError, item_name,
};
use serde_json::{Value, json};
use similar::{Algorithm, DiffTag, capture_diff_slices};

use crate::config::state_dir;
use crate::escape::visible;
use crate::words::count;

/// The diff's width when `COLUMNS` does not say.
const DEFAULT_WIDTH: usize = 160;

/// Below this, two columns would wrap most lines: the diff is listed unified instead.
const MIN_COLUMN: usize = 40;

#[derive(Debug, Subcommand)]
pub enum PinsCommand {
    /// Every server identity with its pinned items and the items held back for review.
    List {
        /// A server's name (`portcullis run --name`), or a key prefix when two share the name.
        server: Option<String>,
        /// Print JSON, definitions included.
        #[arg(long)]
        json: bool,
    },
    /// Each held definition beside the pinned one it would replace, changed lines marked.
    Diff {
        /// A server's name, or a key prefix; without it, every server.
        server: Option<String>,
        /// `name` or `kind:name` (`tool:greet`); without it, every held item.
        item: Option<ItemRef>,
    },
    /// Trust held definitions: each replaces its pin and is served from the next listing on.
    Accept {
        /// A server's name, or a key prefix.
        server: String,
        /// `name` or `kind:name` (`tool:greet`); without it, every held item of SERVER.
        item: Option<ItemRef>,
    },
    /// Forget pins and held definitions, so the next listing pins afresh.
    Reset {
        /// A server's name, or a key prefix.
        server: Option<String>,
        /// `name` or `kind:name`; without it, all of SERVER.
        item: Option<ItemRef>,
        /// Forget every server.
        #[arg(long, conflicts_with_all = ["server", "item"])]
        all: bool,
    },
}

/// Exit codes: 0 done, 1 the request named nothing that fits (the message says what does),
/// 2 error.
pub fn run(command: PinsCommand) -> anyhow::Result<u8> {
    if let PinsCommand::Reset {
        server: None,
        all: false,
        ..
    } = command
    {
        eprintln!(
            "portcullis: error: name the server to reset (`portcullis pins list` shows them), \
             or pass --all to forget every pin of every server"
        );
        return Ok(1);
    }
    let dir = state_dir()?;
    if !dir.join(FILE_NAME).exists() {
        // Nothing was ever pinned here; reading must not create the state directory.
        return Ok(match command {
            PinsCommand::List { json: true, .. } => {
                println!("[]");
                0
            }
            PinsCommand::List { .. } | PinsCommand::Diff { .. } => {
                println!("nothing is pinned yet (no state in {})", dir.display());
                0
            }
            PinsCommand::Accept { .. } | PinsCommand::Reset { .. } => {
                eprintln!(
                    "portcullis: error: nothing is pinned yet (no state in {})",
                    dir.display()
                );
                1
            }
        });
    }
    let mut store = PinStore::open(&dir)?;
    let outcome = match &command {
        PinsCommand::List { server, json } => list(&store, server.as_deref(), *json),
        PinsCommand::Diff { server, item } => diff(&store, scope(server, item)),
        PinsCommand::Accept { server, item } => accept(&mut store, server, item.as_ref()),
        PinsCommand::Reset { server, item, .. } => reset(&mut store, scope(server, item)),
    };
    match outcome {
        Ok(()) => Ok(0),
        Err(StoreError::User(err)) => {
            eprintln!("portcullis: error: {err}");
            Ok(1)
        }
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "the state database {}",
            dir.join(FILE_NAME).display()
        ))),
    }
}

/// Clap takes ITEM only after SERVER, so an item always comes with its server.
fn scope<'a>(server: &'a Option<String>, item: &'a Option<ItemRef>) -> Scope<'a> {
    match (server, item) {
        (None, _) => Scope::Everything,
        (Some(server), None) => Scope::Server(server),
        (Some(server), Some(item)) => Scope::Item(server, item),
    }
}

fn list(store: &PinStore, server: Option<&str>, json: bool) -> Result<(), StoreError> {
    let servers = store.servers(server)?;
    if json {
        println!("{}", list_json(&servers));
    } else if servers.is_empty() {
        println!(
            "nothing is pinned yet: a server's tools, prompts and resource templates are pinned \
             the first time it lists them through `portcullis run`"
        );
    } else {
        let blocks: Vec<String> = servers.iter().map(server_block).collect();
        print!("{}", blocks.join("\n"));
    }
    Ok(())
}

/// One identity: a header line, then a line per pinned item and per held item.
fn server_block(items: &ServerItems) -> String {
    let server = &items.server;
    let mut out = format!(
        "{}  {}  {}\n  first seen {}, last seen {}\n",
        visible(&server.name),
        server.short_key(),
        visible(&server.command_line()),
        server.first_seen,
        server.last_seen
    );
    let names: Vec<String> = items
        .pinned
        .iter()
        .map(|p| &p.definition)
        .chain(items.held.iter().map(|h| &h.definition))
        .map(|d| visible(&item_name(d)).into_owned())
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let (pinned_names, held_names) = names.split_at(items.pinned.len());
    for (pin, name) in items.pinned.iter().zip(pinned_names) {
        let note = if pin.accepted_by_user {
            "  accepted by you"
        } else {
            ""
        };
        let hash = short(&pin.definition.hash);
        let _ = writeln!(
            out,
            "  pinned  {name:<width$}  {hash}  {}{note}",
            pin.pinned_at
        );
    }
    for (held, name) in items.held.iter().zip(held_names) {
        let hash = short(&held.definition.hash);
        let reason = visible(&held.reason);
        let _ = writeln!(
            out,
            "  HELD    {name:<width$}  {hash}  {}  {reason}",
            held.held_at
        );
    }
    if names.is_empty() {
        out.push_str("  nothing pinned or held\n");
    }
    if !items.held.is_empty() {
        let selector = server.selector();
        let _ = writeln!(
            out,
            "  held items are kept from the client: review with `portcullis pins diff {selector}`, \
             trust with `portcullis pins accept {selector}`"
        );
    }
    out
}

fn list_json(servers: &[ServerItems]) -> Value {
    let servers: Vec<Value> = servers
        .iter()
        .map(|items| {
            let server = &items.server;
            let pinned: Vec<Value> = items
                .pinned
                .iter()
                .map(|p| {
                    let mut item = item_json(&p.definition);
                    item["pinned_at"] = json!(p.pinned_at);
                    item["accepted_by_user"] = json!(p.accepted_by_user);
                    item
                })
                .collect();
            let held: Vec<Value> = items
                .held
                .iter()
                .map(|h| {
                    let mut item = item_json(&h.definition);
                    item["held_at"] = json!(h.held_at);
                    item["reason"] = json!(h.reason);
                    item
                })
                .collect();
            json!({
                "name": server.name,
                "key": server.key,
                "command": server.command,
                "first_seen": server.first_seen,
                "last_seen": server.last_seen,
                "pinned": pinned,
                "held": held,
            })
        })
        .collect();
    json!({ "servers": servers })
}

fn item_json(definition: &Definition) -> Value {
    json!({
        "kind": definition.kind.name(),
        "name": definition.name,
        "hash": definition.hash,
        "definition": serde_json::from_str::<Value>(&definition.canonical)
            .unwrap_or_else(|_| Value::String(definition.canonical.clone())),
    })
}

fn diff(store: &PinStore, scope: Scope<'_>) -> Result<(), StoreError> {
    let reviews = store.reviews(scope)?;
    if reviews.is_empty() {
        let whose = match scope {
            Scope::Server(server) => format!(" for {}", visible(server)),
            _ => String::new(),
        };
        println!("nothing is held{whose}: every item listed matches its pin");
        return Ok(());
    }
    let width = terminal_width();
    let blocks: Vec<String> = reviews.iter().map(|r| review_block(r, width)).collect();
    print!("{}", blocks.join("\n"));
    Ok(())
}

/// `COLUMNS` when the shell exports it, else [`DEFAULT_WIDTH`].
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&c| c > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// One held item: what it is, why it is held, its definition beside the pinned one (or alone),
/// and the command that trusts it.
fn review_block(review: &Review, width: usize) -> String {
    let held = &review.held;
    let mut out = format!(
        "== {} of {} ==\n",
        visible(&item_name(&held.definition)),
        visible(&review.server.label())
    );
    let held_title = format!(
        "held {}  sha256 {}",
        held.held_at,
        short(&held.definition.hash)
    );
    let new = pretty_lines(&held.definition);
    match &review.pinned {
        None => {
            let _ = writeln!(out, "first seen, held because: {}", visible(&held.reason));
            one_column(&held_title, &new, width, &mut out);
        }
        Some(pin) if pin.definition.hash == held.definition.hash => {
            let _ = writeln!(
                out,
                "unchanged since pinned {}, held because: {}",
                pin.pinned_at,
                visible(&held.reason)
            );
            one_column(&held_title, &new, width, &mut out);
        }
        Some(pin) => {
            let _ = writeln!(out, "held because: {}", visible(&held.reason));
            let accepted = if pin.accepted_by_user {
                ", accepted by you"
            } else {
                ""
            };
            let pinned_title = format!(
                "pinned {}{accepted}  sha256 {}",
                pin.pinned_at,
                short(&pin.definition.hash)
            );
            let old = pretty_lines(&pin.definition);
            let column = width.saturating_sub(3) / 2;
            if column >= MIN_COLUMN {
                side_by_side(&pinned_title, &old, &held_title, &new, column, &mut out);
            } else {
                unified(&pinned_title, &old, &held_title, &new, &mut out);
            }
        }
    }
    let _ = writeln!(
        out,
        "trust it with: portcullis pins accept {} {}",
        review.server.selector(),
        visible(&item_name(&held.definition))
    );
    out
}

/// The definition as indented JSON, one entry per line, hidden characters made visible.
fn pretty_lines(definition: &Definition) -> Vec<String> {
    definition
        .pretty_lines()
        .iter()
        .map(|l| visible(l).into_owned())
        .collect()
}

fn one_column(title: &str, lines: &[String], width: usize, out: &mut String) {
    let _ = writeln!(out, "{title}");
    for line in lines {
        for piece in wrap(line, width.max(MIN_COLUMN)) {
            let _ = writeln!(out, "{piece}");
        }
    }
}

/// Two columns, marked between them as `sdiff` does: `|` changed, `<` only pinned, `>` only held.
fn side_by_side(
    old_title: &str,
    old: &[String],
    new_title: &str,
    new: &[String],
    column: usize,
    out: &mut String,
) {
    row(old_title, ' ', new_title, column, out);
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        for i in 0..old_range.len().max(new_range.len()) {
            let left = old_range.clone().nth(i).map(|at| old[at].as_str());
            let right = new_range.clone().nth(i).map(|at| new[at].as_str());
            let mark = match (tag, left, right) {
                (DiffTag::Equal, _, _) => ' ',
                (_, Some(_), Some(_)) => '|',
                (_, Some(_), None) => '<',
                _ => '>',
            };
            row(left.unwrap_or(""), mark, right.unwrap_or(""), column, out);
        }
    }
}

/// One line pair, each side wrapped to `column` characters; the mark repeats on every row.
fn row(left: &str, mark: char, right: &str, column: usize, out: &mut String) {
    let (left, right) = (wrap(left, column), wrap(right, column));
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).copied().unwrap_or("");
        let r = right.get(i).copied().unwrap_or("");
        let line = format!("{l:<column$} {mark} {r}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// For a terminal too narrow for two columns: `-` pinned only, `+` held only.
fn unified(old_title: &str, old: &[String], new_title: &str, new: &[String], out: &mut String) {
    let _ = writeln!(out, "--- {old_title}\n+++ {new_title}");
    for (mark, line) in Definition::line_changes(old, new) {
        let _ = writeln!(out, "{mark} {line}");
    }
}

/// `line` cut into pieces of at most `width` characters (one empty piece for an empty line).
fn wrap(line: &str, width: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some((cut, _)) = rest.char_indices().nth(width) {
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    pieces.push(rest);
    pieces
}

fn accept(store: &mut PinStore, server: &str, item: Option<&ItemRef>) -> Result<(), StoreError> {
    let accepted = store.accept(server, item)?;
    for held in &accepted {
        println!(
            "accepted {} of {} (sha256 {})",
            visible(&item_name(&held.definition)),
            visible(server),
            short(&held.definition.hash)
        );
    }
    println!("served from the next listing on, and pinned as accepted by you");
    Ok(())
}

fn reset(store: &mut PinStore, scope: Scope<'_>) -> Result<(), StoreError> {
    let reset = store.reset(scope)?;
    let what = match scope {
        Scope::Everything => format!(
            "every server ({})",
            count(reset.servers as u64, "identity", Some("identities"))
        ),
        Scope::Server(server) => visible(server).into_owned(),
        Scope::Item(server, item) => {
            format!("{} of {}", visible(&item.to_string()), visible(server))
        }
    };
    println!(
        "forgot {what}: {} and {}; pinned afresh at the next listing",
        count(reset.pins as u64, "pin", None),
        count(reset.held as u64, "held definition", None)
    );
    Ok(())
}

fn short(hash: &str) -> &str {
    hash.get(..8).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn side_by_side_marks_changed_removed_and_added_lines() {
        let old = lines("{\n  \"a\": 1,\n  \"b\": 2\n}");
        let new = lines("{\n  \"a\": 1,\n  \"b\": 3,\n  \"c\": 4\n}");
        let mut out = String::new();
        side_by_side("pinned", &old, "held", &new, 12, &mut out);
        let expected = "\
pinned         held
{              {
  \"a\": 1,        \"a\": 1,
  \"b\": 2     |   \"b\": 3,
             >   \"c\": 4
}              }
";
        assert_eq!(out, expected);
    }

    #[test]
    fn long_lines_wrap_within_their_column() {
        let mut out = String::new();
        row("abcdefgh", '|', "0123456789", 4, &mut out);
        assert_eq!(out, "abcd | 0123\nefgh | 4567\n     | 89\n");
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("éééé", 2), ["éé", "éé"]);
    }

    #[test]
    fn unified_lists_removals_before_additions() {
        let mut out = String::new();
        unified("p", &lines("a\nb\nc"), "h", &lines("a\nB\nc"), &mut out);
        assert_eq!(out, "--- p\n+++ h\n  a\n- b\n+ B\n  c\n");
    }
}
