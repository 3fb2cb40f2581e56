//! `portcullis init`, `init --undo` and `status`: the real binary over a fake home holding a
//! real-format configuration of every client (comments, CRLF, unusual fields, env blocks,
//! Windows-style commands) and one broken file.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portcullis_testkit::drive::Wrapped;
use portcullis_testkit::locate::binary;
use serde_json::{Value, json};
use support::Home;

/// Each fixture and where its client keeps it, relative to the fake home.
const PLACES: &[(&str, &str)] = &[
    (
        "claude_desktop_config.json",
        ".config/Claude/claude_desktop_config.json",
    ),
    ("claude.json", ".claude.json"),
    ("mcp.json.claude-project", "project/.mcp.json"),
    ("cursor-mcp.json", ".cursor/mcp.json"),
    ("vscode-mcp.json", ".config/Code/User/mcp.json"),
    ("vscode-settings.json", ".config/Code/User/settings.json"),
    ("vscode-mcp.json", "project/.vscode/mcp.json"),
    (
        "windsurf-mcp_config.json",
        ".codeium/windsurf/mcp_config.json",
    ),
    ("codex-config.toml", ".codex/config.toml"),
    ("gemini-settings.json", ".gemini/settings.json"),
    ("zed-settings.json", ".config/zed/settings.json"),
];

/// Cursor reads strict JSON: a trailing comma breaks it, and `init` must leave it alone.
const BROKEN: (&str, &str) = (
    "project/.cursor/mcp.json",
    "{\n  \"mcpServers\": {\n    \"x\": {\"command\": \"npx\", \"args\": [\"y\"]},\n  }\n}\n",
);

fn fixture(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/tests/fixtures");
    std::fs::read(dir.join(name)).unwrap()
}

/// A fake home with every client's configuration in place.
fn home_with_clients() -> Home {
    let home = Home::new();
    for (name, place) in PLACES {
        write(&home.path().join(place), &fixture(name));
    }
    write(&home.path().join(BROKEN.0), BROKEN.1.as_bytes());
    home
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Every configuration file's bytes, by path.
fn snapshot(home: &Home) -> BTreeMap<PathBuf, Vec<u8>> {
    PLACES
        .iter()
        .map(|(_, place)| *place)
        .chain([BROKEN.0])
        .map(|place| {
            let path = home.path().join(place);
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn portcullis(home: &Home, args: &[&str]) -> Output {
    let mut command = home.portcullis(args);
    command
        .env_remove("CODEX_HOME")
        .env_remove("APPDATA")
        .env("NO_COLOR", "1");
    command.output().expect("portcullis runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn init_then_undo_restores_every_file_byte_for_byte() {
    let home = home_with_clients();
    let before = snapshot(&home);

    let init = portcullis(&home, &["init", "--yes"]);
    let text = stdout(&init);
    // The broken file is reported, so init says something needs attention.
    assert_eq!(init.status.code(), Some(1), "{text}");
    assert!(text.contains("left alone"), "{text}");
    assert!(text.contains("trailing comma"), "{text}");
    assert!(text.contains("unprotected  stripe"), "{text}");
    let after = snapshot(&home);
    for (path, bytes) in &before {
        if path.ends_with(BROKEN.0) {
            assert_eq!(&after[path], bytes, "the broken file was touched");
        } else {
            assert_ne!(&after[path], bytes, "{} was not wrapped", path.display());
            let now = String::from_utf8(after[path].clone()).unwrap();
            assert!(now.contains("\"--name\""), "{now}");
        }
    }

    let undo = portcullis(&home, &["init", "--undo"]);
    assert!(undo.status.success(), "{}", stdout(&undo));
    assert_eq!(snapshot(&home), before, "{}", stdout(&undo));
    assert!(stdout(&undo).contains("restored"), "{}", stdout(&undo));
    // The backups went with the undo: they held the same secrets the files do.
    let backups = home.path().join("state/init/backups");
    assert_eq!(std::fs::read_dir(backups).unwrap().count(), 0);
    let again = portcullis(&home, &["init", "--undo"]);
    assert!(
        stdout(&again).contains("Nothing to undo"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn init_twice_changes_nothing_the_second_time() {
    let home = home_with_clients();
    portcullis(&home, &["init", "--yes"]);
    let once = snapshot(&home);
    let twice = portcullis(&home, &["init", "--yes"]);
    assert!(
        stdout(&twice).contains("Nothing to change"),
        "{}",
        stdout(&twice)
    );
    assert_eq!(snapshot(&home), once);
    // And undo still goes all the way back.
    portcullis(&home, &["init", "--undo"]);
    for (name, place) in PLACES {
        assert_eq!(
            std::fs::read(home.path().join(place)).unwrap(),
            fixture(name)
        );
    }
}

#[test]
fn a_dry_run_or_an_unconfirmed_init_changes_nothing() {
    let home = home_with_clients();
    let before = snapshot(&home);
    let dry = portcullis(&home, &["init", "--dry-run"]);
    assert!(stdout(&dry).contains("Dry run"), "{}", stdout(&dry));
    assert!(
        stdout(&dry).contains("+       \"command\": "),
        "{}",
        stdout(&dry)
    );
    assert_eq!(snapshot(&home), before);
    // No terminal to ask on and no --yes: refuse, rather than guess.
    let unconfirmed = portcullis(&home, &["init"]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("--yes"));
    assert_eq!(snapshot(&home), before);
}

#[test]
fn undo_after_an_edit_takes_off_only_our_wrappers() {
    let home = home_with_clients();
    let cursor = home.path().join(".cursor/mcp.json");
    let original: Value = serde_json::from_slice(&fixture("cursor-mcp.json")).unwrap();
    portcullis(&home, &["init", "--yes"]);
    // The user adds a server by hand, and wraps it in Portcullis too, after init.
    let mut edited: Value = serde_json::from_slice(&std::fs::read(&cursor).unwrap()).unwrap();
    edited["mcpServers"]["mine"] = json!({
        "command": "portcullis", "args": ["run", "--name", "mine", "--", "my-server"]
    });
    std::fs::write(&cursor, serde_json::to_string_pretty(&edited).unwrap()).unwrap();

    let undo = portcullis(&home, &["init", "--undo"]);
    let text = stdout(&undo);
    assert!(text.contains("unwrapped ~/.cursor/mcp.json"), "{text}");
    assert!(text.contains("github, local-tools"), "{text}");
    let now: Value = serde_json::from_slice(&std::fs::read(&cursor).unwrap()).unwrap();
    for name in ["github", "local-tools", "context7"] {
        assert_eq!(
            now["mcpServers"][name]["command"], original["mcpServers"][name]["command"],
            "{name}"
        );
    }
    assert_eq!(
        now["mcpServers"]["github"]["args"],
        original["mcpServers"]["github"]["args"]
    );
    // The user's own edit stays, wrapper and all.
    assert_eq!(now["mcpServers"]["mine"]["command"], "portcullis");
    // Untouched files still come back exactly.
    assert_eq!(
        std::fs::read(home.path().join(".codex/config.toml")).unwrap(),
        fixture("codex-config.toml")
    );
}

/// The wrapped entry, started the way the client would start it, is the server behind
/// Portcullis: the handshake completes and listing tools goes through the wrapper.
#[test]
fn a_wrapped_entry_starts_its_server_through_portcullis() {
    let home = Home::new();
    let config = home.path().join(".cursor/mcp.json");
    let server = binary("recording-server");
    write(
        &config,
        serde_json::to_string_pretty(&json!({
            "mcpServers": {"rec": {"command": server, "env": {"RECORD_FILE": home.record()}}}
        }))
        .unwrap()
        .as_bytes(),
    );
    let init = portcullis(&home, &["init", "--yes"]);
    assert!(init.status.success(), "{}", stdout(&init));
    let entry: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    let entry = &entry["mcpServers"]["rec"];
    let program = entry["command"].as_str().unwrap();
    assert_eq!(
        Path::new(program),
        std::fs::canonicalize(binary("portcullis")).unwrap()
    );
    let args: Vec<&str> = entry["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[..4], ["run", "--name", "rec", "--"]);

    let mut client = Command::new(program);
    client
        .args(&args)
        .current_dir(home.project())
        .env("HOME", home.path())
        .env("PORTCULLIS_HOME", home.path().join("state"))
        .env("RECORD_FILE", entry["env"]["RECORD_FILE"].as_str().unwrap());
    let mut wrapped = Wrapped::spawn(client);
    let init = wrapped.call(&json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}
    }));
    assert!(init["result"]["serverInfo"].is_object(), "{init}");
    wrapped.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    let tools = wrapped.call(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    // A call the policy denies never reaches the server: Portcullis is in between.
    let denied = wrapped.call(&json!({
        "jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "read_file", "arguments": {"path": "~/.ssh/id_rsa"}}
    }));
    assert!(denied["error"].is_object(), "{denied}");
    assert!(!home.received().contains("id_rsa"));
    wrapped.close_stdin();
    wrapped.wait_within(std::time::Duration::from_secs(10));

    // `status` sees it protected, with the definitions pinned by that session.
    let status = portcullis(&home, &["status", "--json"]);
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["client"] == "Cursor")
        .unwrap();
    let rec = &file["servers"][0];
    assert_eq!(rec["status"], "protected", "{report}");
    assert!(rec["pinned"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(rec["held"], 0);
}

#[test]
fn status_tells_protected_from_unprotected_and_remote() {
    let home = home_with_clients();
    let before = portcullis(&home, &["status"]);
    let text = stdout(&before);
    // Status only reads: it creates no database.
    let state: Vec<_> = std::fs::read_dir(home.path().join("state"))
        .unwrap()
        .collect();
    assert!(state.is_empty(), "{state:?}");
    assert!(text.contains("unprotected  filesystem"), "{text}");
    assert!(text.contains("built-in defaults"), "{text}");
    assert!(text.contains("0 protected"), "{text}");
    portcullis(&home, &["init", "--yes"]);
    let after = portcullis(&home, &["status", "--json"]);
    let report: Value = serde_json::from_slice(&after.stdout).unwrap();
    let statuses: Vec<(String, String)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["servers"].as_array().unwrap().clone())
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let of = |name: &str| {
        statuses
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
            .unwrap()
    };
    assert_eq!(of("filesystem"), "protected");
    assert_eq!(of("stripe"), "remote");
    assert_eq!(of("github-ext"), "unsupported");
    let broken = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(BROKEN.0))
        .unwrap();
    assert!(
        broken["problem"]
            .as_str()
            .unwrap()
            .contains("trailing comma")
    );
    // A policy that does not load is the first thing status says: wrapped servers won't start.
    home.user_config("rules: [oops\n");
    let broken_policy = stdout(&portcullis(&home, &["status"]));
    assert!(broken_policy.contains("does not load"), "{broken_policy}");
}

#[test]
fn a_config_file_named_on_the_command_line_is_handled_like_the_others() {
    let home = Home::new();
    let elsewhere = home.path().join("elsewhere/servers.json");
    write(
        &elsewhere,
        b"{\n  // my servers\n  \"mcpServers\": {\"a\": {\"command\": \"a-server\"}}\n}\n",
    );
    let missing = portcullis(&home, &["init", "--yes", "--config-file", "nope.json"]);
    assert_eq!(missing.status.code(), Some(2));
    let out = portcullis(
        &home,
        &[
            "init",
            "--yes",
            "--config-file",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let text = std::fs::read_to_string(&elsewhere).unwrap();
    assert!(text.contains("// my servers"), "{text}");
    assert!(
        text.contains(r#""args": ["run", "--name", "a", "--", "a-server"]"#),
        "{text}"
    );
    portcullis(&home, &["init", "--undo"]);
    assert!(
        std::fs::read_to_string(&elsewhere)
            .unwrap()
            .contains(r#"{"command": "a-server"}"#)
    );
}

/// Dotfile managers link configurations into place: the link stays a link, and the file it
/// points to is what changes and comes back. A byte-order mark stays too.
#[cfg(unix)]
#[test]
fn a_symlinked_file_is_edited_through_its_link() {
    let home = Home::new();
    let real = home.path().join("dotfiles/cursor.json");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(&fixture("cursor-mcp.json"));
    write(&real, &bytes);
    // Configurations hold tokens: a private file stays private.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();

    let init = portcullis(&home, &["init", "--yes"]);
    assert!(init.status.success(), "{}", stdout(&init));
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    let wrapped = std::fs::read_to_string(&real).unwrap();
    assert!(wrapped.starts_with('\u{feff}'));
    assert!(wrapped.contains("\"--name\", \"github\""), "{wrapped}");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    portcullis(&home, &["init", "--undo"]);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), bytes);
}

/// Without a command, `scan` checks every stdio server the clients' files name, wrapped or not,
/// and starts the server itself rather than the wrapper.
#[test]
fn scan_checks_the_servers_the_clients_name() {
    let home = Home::new();
    let cursor = home.path().join(".cursor/mcp.json");
    write(
        &cursor,
        serde_json::to_string_pretty(&json!({"mcpServers": {
            "notes": {"command": binary("mischief-server")},
            "rec": {"command": binary("recording-server"), "env": {"RECORD_FILE": home.record()}},
            "remote": {"url": "https://mcp.example.com/mcp"}
        }}))
        .unwrap()
        .as_bytes(),
    );
    portcullis(&home, &["init", "--yes"]);
    let out = portcullis(&home, &["scan", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let servers = report["servers"].as_array().unwrap();
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{report}");
    assert!(
        names.contains(&"notes") && names.contains(&"rec"),
        "{report}"
    );
    for server in servers {
        assert!(
            server["origin"].as_str().unwrap().starts_with("Cursor"),
            "{server}"
        );
        assert_eq!(server["status"], "ok", "{server}");
        let program = server["command"][0].as_str().unwrap();
        assert!(!program.ends_with("/portcullis"), "{server}");
    }
    let notes = servers.iter().find(|s| s["name"] == "notes").unwrap();
    assert!(notes.to_string().contains("poisoned"), "{notes}");
    // A scan writes nothing: no audit trail, no pins.
    assert!(!home.path().join("state/audit.sqlite").exists());
    assert!(!home.path().join("state/state.sqlite").exists());
}

/// `--config-file` adds files to discovery; beside a command given after `--` it would be
/// silently ignored, so it is refused.
#[test]
fn scan_refuses_a_config_file_beside_a_command() {
    let home = Home::new();
    let out = portcullis(&home, &["scan", "--config-file", "x.json", "--", "server"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}
