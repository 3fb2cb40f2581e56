//! Every client's real-format fixture: wrapping changes only the stdio entries, keeps comments
//! and formatting, and unwrapping gives the servers back as they were.

use std::path::{Path, PathBuf};

use portcullis_clients::edit;
use portcullis_clients::inspect::{State, servers};
use portcullis_clients::known::{ConfigFile, Places, project_files, user_files};

const EXE: &str = "/opt/portcullis/bin/portcullis";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The catalogue's entry for a fixture, by client and file name.
fn file_for(client: &str, file_name: &str) -> ConfigFile {
    let places = Places {
        home: PathBuf::from("/home/alice"),
        xdg_config: PathBuf::from("/home/alice/.config"),
        app_config: PathBuf::from("/home/alice/.config"),
        codex_home: PathBuf::from("/home/alice/.codex"),
    };
    user_files(&places)
        .into_iter()
        .chain(project_files(Path::new("/src/app")))
        .find(|f| f.client == client && f.path.file_name().is_some_and(|n| n == file_name))
        .unwrap_or_else(|| panic!("no {client} {file_name}"))
}

struct Case {
    fixture: &'static str,
    client: &'static str,
    file: &'static str,
    /// Servers that get wrapped, and the rest by what they are.
    wrapped: &'static [&'static str],
    remote: &'static [&'static str],
    unsupported: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        fixture: "claude_desktop_config.json",
        client: "Claude Desktop",
        file: "claude_desktop_config.json",
        wrapped: &[
            "filesystem",
            "brave-search",
            "windows-node",
            "windows-cmd",
            "linear-remote",
        ],
        remote: &[],
        unsupported: &[],
    },
    Case {
        fixture: "claude.json",
        client: "Claude Code",
        file: ".claude.json",
        wrapped: &["memory", "postgres"],
        remote: &["stripe"],
        unsupported: &[],
    },
    Case {
        fixture: "mcp.json.claude-project",
        client: "Claude Code",
        file: ".mcp.json",
        wrapped: &["db"],
        remote: &["api", "internal"],
        unsupported: &[],
    },
    Case {
        fixture: "cursor-mcp.json",
        client: "Cursor",
        file: "mcp.json",
        wrapped: &["github", "local-tools"],
        remote: &["context7"],
        unsupported: &[],
    },
    Case {
        fixture: "vscode-mcp.json",
        client: "VS Code",
        file: "mcp.json",
        wrapped: &["perplexity", "gistpad"],
        remote: &["context7"],
        unsupported: &[],
    },
    Case {
        fixture: "vscode-settings.json",
        client: "VS Code",
        file: "settings.json",
        wrapped: &["mcp-server-time"],
        remote: &[],
        unsupported: &[],
    },
    Case {
        fixture: "windsurf-mcp_config.json",
        client: "Windsurf",
        file: "mcp_config.json",
        wrapped: &["github"],
        remote: &["zapier", "userjot"],
        unsupported: &[],
    },
    Case {
        fixture: "codex-config.toml",
        client: "Codex",
        file: "config.toml",
        wrapped: &["inline", "github", "windows", "multi"],
        remote: &["docs"],
        unsupported: &[],
    },
    Case {
        fixture: "gemini-settings.json",
        client: "Gemini CLI",
        file: "settings.json",
        wrapped: &["pythonTools"],
        remote: &["httpServerWithAuth", "myIapProtectedServer"],
        unsupported: &[],
    },
    Case {
        fixture: "zed-settings.json",
        client: "Zed",
        file: "settings.json",
        wrapped: &["filesystem", "sqlite", "git"],
        remote: &["linear"],
        unsupported: &["github-ext"],
    },
];

fn names(servers: &[portcullis_clients::inspect::Server], pick: fn(&State) -> bool) -> Vec<&str> {
    servers
        .iter()
        .filter(|s| pick(&s.state))
        .map(|s| s.name.as_str())
        .collect()
}

#[test]
fn every_fixture_wraps_in_place_and_unwraps_to_the_same_servers() {
    for case in CASES {
        let file = file_for(case.client, case.file);
        let text = fixture(case.fixture);
        let before = servers(&text, &file).unwrap();
        let (after, wrapped) = edit::wrap(&text, &file, EXE)
            .unwrap_or_else(|e| panic!("{}: {e}", case.fixture))
            .unwrap();
        let wrapped: Vec<&str> = wrapped.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(wrapped, case.wrapped, "{}", case.fixture);
        let now = servers(&after, &file).unwrap();
        assert_eq!(
            names(&now, |s| matches!(s, State::Protected(_))),
            case.wrapped
        );
        assert_eq!(
            names(&now, |s| matches!(s, State::Remote { .. })),
            case.remote
        );
        assert_eq!(
            names(&now, |s| matches!(s, State::Unsupported(_))),
            case.unsupported,
            "{}",
            case.fixture
        );
        // Wrapping again changes nothing.
        assert!(edit::wrap(&after, &file, EXE).unwrap().is_none());
        // Every comment survives, and so does every line ending style.
        for comment in text
            .lines()
            .filter_map(|l| l.find("//").or(l.find('#')).map(|i| &l[i..]))
        {
            assert!(
                after.contains(comment),
                "{}: lost {comment:?}",
                case.fixture
            );
        }
        assert_eq!(
            text.contains("\r\n"),
            after.contains("\r\n"),
            "{}",
            case.fixture
        );
        assert_eq!(
            trailing_commas(&text),
            trailing_commas(&after),
            "{}",
            case.fixture
        );
        if file.strict_json {
            serde_json::from_str::<serde_json::Value>(&after).unwrap();
        }
        // Unwrapping gives back the same servers.
        let ours: Vec<_> = now
            .iter()
            .filter(|s| matches!(s.state, State::Protected(_)))
            .map(|s| (s.section.clone(), s.name.clone()))
            .collect();
        let (restored, _) = edit::unwrap(&after, &file, &ours).unwrap();
        let again = servers(&restored, &file).unwrap();
        for (old, new) in before.iter().zip(&again) {
            assert_eq!(
                old.state.launch().map(|l| l.argv()),
                new.state.launch().map(|l| l.argv())
            );
        }
        if std::env::var_os("SHOW").is_some() {
            println!("=== {}\n{after}\n--- unwrapped\n{restored}", case.fixture);
        }
    }
}

/// Commas right before a closing bracket, which JSONC files may have and strict ones may not.
fn trailing_commas(text: &str) -> usize {
    let compact: String = text.split_whitespace().collect();
    compact.matches(",}").count() + compact.matches(",]").count()
}
