//! Where each MCP client keeps its servers. Paths and shapes are from each client's own
//! documentation and source (see `docs/clients.md`); `tests/fixtures` holds a file of each.

use std::path::{Path, PathBuf};

use crate::doc::{Format, Layout};

/// A configuration file a client reads MCP servers from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// The client, for people: "Claude Desktop", "VS Code".
    pub client: &'static str,
    pub path: PathBuf,
    pub format: Format,
    pub layout: Layout,
    /// A project's file rather than the user's.
    pub project: bool,
    /// The client reads this file as strict JSON: it must stay so.
    pub strict_json: bool,
}

/// The per-user directories client configurations live in. Taken from the environment by
/// [`Places::from_env`]; tests build one around a fake home.
#[derive(Debug, Clone)]
pub struct Places {
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, or `~/.config`: where Zed (Linux and macOS) and Linux desktop apps look.
    pub xdg_config: PathBuf,
    /// The platform's directory for application settings: `~/Library/Application Support` on
    /// macOS, `%APPDATA%` on Windows, the XDG directory on Linux.
    pub app_config: PathBuf,
    /// `$CODEX_HOME`, or `~/.codex`.
    pub codex_home: PathBuf,
}

impl Places {
    /// The places for the current user. `None` without a home directory.
    pub fn from_env() -> Option<Places> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("USERPROFILE").map(PathBuf::from))?;
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let xdg_config = var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
        let app_config = if cfg!(target_os = "macos") {
            home.join("Library/Application Support")
        } else if cfg!(windows) {
            var("APPDATA").unwrap_or_else(|| home.join("AppData/Roaming"))
        } else {
            xdg_config.clone()
        };
        let codex_home = var("CODEX_HOME").unwrap_or_else(|| home.join(".codex"));
        Some(Places {
            home,
            xdg_config,
            app_config,
            codex_home,
        })
    }
}

const MCP_SERVERS: Layout = &[&["mcpServers"]];
/// Claude Code's `~/.claude.json`: user servers, and each project's local ones.
const CLAUDE_CODE_USER: Layout = &[&["mcpServers"], &["projects", "*", "mcpServers"]];
const VSCODE_MCP: Layout = &[&["servers"]];
/// Before VS Code 1.102 servers lived under `mcp` in `settings.json`; older installs and
/// workspaces still have them there.
const VSCODE_SETTINGS: Layout = &[&["mcp", "servers"]];
const ZED: Layout = &[&["context_servers"]];
const CODEX: Layout = &[&["mcp_servers"]];
/// A file named with `--config-file`: every shape a client uses.
const ANY_JSON: Layout = &[
    &["mcpServers"],
    &["projects", "*", "mcpServers"],
    &["servers"],
    &["mcp", "servers"],
    &["context_servers"],
];

/// VS Code's flavours, each with its own user directory.
const VSCODE_FLAVOURS: [&str; 3] = ["Code", "Code - Insiders", "VSCodium"];

/// The user-level files, whether or not they exist.
pub fn user_files(places: &Places) -> Vec<ConfigFile> {
    let home = &places.home;
    let mut files = vec![
        json(
            "Claude Desktop",
            places.app_config.join("Claude/claude_desktop_config.json"),
            MCP_SERVERS,
        ),
        json("Claude Code", home.join(".claude.json"), CLAUDE_CODE_USER),
        json("Cursor", home.join(".cursor/mcp.json"), MCP_SERVERS),
        json(
            "Windsurf",
            home.join(".codeium/windsurf/mcp_config.json"),
            MCP_SERVERS,
        ),
        toml("Codex", places.codex_home.join("config.toml")),
        jsonc(
            "Gemini CLI",
            home.join(".gemini/settings.json"),
            MCP_SERVERS,
        ),
        jsonc("Zed", zed_dir(places).join("settings.json"), ZED),
    ];
    for flavour in VSCODE_FLAVOURS {
        let user = places.app_config.join(flavour).join("User");
        let label = vscode_label(flavour);
        files.push(jsonc(label, user.join("mcp.json"), VSCODE_MCP));
        files.push(jsonc(label, user.join("settings.json"), VSCODE_SETTINGS));
        for profile in subdirectories(&user.join("profiles")) {
            files.push(jsonc(label, profile.join("mcp.json"), VSCODE_MCP));
        }
    }
    files
}

/// The project-level files of the project in `dir`, whether or not they exist.
pub fn project_files(dir: &Path) -> Vec<ConfigFile> {
    [
        json("Claude Code", dir.join(".mcp.json"), MCP_SERVERS),
        json("Cursor", dir.join(".cursor/mcp.json"), MCP_SERVERS),
        jsonc("VS Code", dir.join(".vscode/mcp.json"), VSCODE_MCP),
        jsonc(
            "VS Code",
            dir.join(".vscode/settings.json"),
            VSCODE_SETTINGS,
        ),
        toml("Codex", dir.join(".codex/config.toml")),
        jsonc("Gemini CLI", dir.join(".gemini/settings.json"), MCP_SERVERS),
        jsonc("Zed", dir.join(".zed/settings.json"), ZED),
    ]
    .into_iter()
    .map(|file| ConfigFile {
        project: true,
        ..file
    })
    .collect()
}

/// A file named on the command line: TOML by its extension, otherwise JSON with comments.
pub fn given_file(path: PathBuf) -> ConfigFile {
    let format = if path.extension().is_some_and(|e| e == "toml") {
        Format::Toml
    } else {
        Format::Json
    };
    any_file(path, format)
}

/// A file of no particular client, searched for every shape clients use in `format`.
pub fn any_file(path: PathBuf, format: Format) -> ConfigFile {
    match format {
        Format::Toml => toml("--config-file", path),
        Format::Json => jsonc("--config-file", path, ANY_JSON),
    }
}

fn zed_dir(places: &Places) -> PathBuf {
    if cfg!(windows) {
        places.app_config.join("Zed")
    } else {
        places.xdg_config.join("zed")
    }
}

fn vscode_label(flavour: &str) -> &'static str {
    match flavour {
        "Code - Insiders" => "VS Code Insiders",
        "VSCodium" => "VSCodium",
        _ => "VS Code",
    }
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// A file its client reads as strict JSON.
fn json(client: &'static str, path: PathBuf, layout: Layout) -> ConfigFile {
    ConfigFile {
        client,
        path,
        format: Format::Json,
        layout,
        project: false,
        strict_json: true,
    }
}

/// A file its client reads as JSON with comments and trailing commas.
fn jsonc(client: &'static str, path: PathBuf, layout: Layout) -> ConfigFile {
    ConfigFile {
        strict_json: false,
        ..json(client, path, layout)
    }
}

fn toml(client: &'static str, path: PathBuf) -> ConfigFile {
    ConfigFile {
        client,
        path,
        format: Format::Toml,
        layout: CODEX,
        project: false,
        strict_json: false,
    }
}
