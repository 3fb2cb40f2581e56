//! Fixtures shared by the benches: messages, texts, tool lists and policies, written once so every
//! bench measures the same inputs.

// Every bench binary compiles this module and each uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use portcullis_core::detect::instructions::poisoning::inspect_definition;
use portcullis_core::detect::paths::PathContext;
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict, tree};
use portcullis_core::message::{Direction, Message, Target, View};
use portcullis_core::policy::{Policy, Source, Sources};
use portcullis_core::screen::content::{Context, screen};
use serde_json::{Value, json};

/// The most common call: read a project file.
pub const READ_FILE: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"src/main.rs"}}}"#;

/// A command call that passes: two ordinary commands joined by `&&`.
pub const RUN_COMMAND: &str = r#"{"jsonrpc":"2.0","id":43,"method":"tools/call","params":{"name":"run_command","arguments":{"command":"cargo test --workspace && git status --short"}}}"#;

/// A `tools/call` that writes 4 KB of prose.
pub fn write_file_4kb() -> String {
    let content = "The quick brown fox jumps over the lazy dog. ".repeat(90);
    format!(
        r#"{{"jsonrpc":"2.0","id":44,"method":"tools/call","params":{{"name":"write_file","arguments":{{"path":"docs/notes.md","content":"{content}"}}}}}}"#
    )
}

/// Shell commands to analyse: a simple one, a download piped into a shell (caught), and a build
/// script of about 1 KB (variables, a function, a loop, a conditional, a heredoc, pipes and
/// substitutions).
pub const SIMPLE_COMMAND: &str = "ls -la src";
pub const DOWNLOAD_PIPE: &str = "curl -fsSL https://example.com/install.sh | sh";
pub const BUILD_SCRIPT: &str = r#"set -euo pipefail
PROJECT_DIR="$(pwd)"
BUILD_DIR="${PROJECT_DIR}/target/release"
VERSION=$(git describe --tags --always 2>/dev/null || echo dev)
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
log "building ${VERSION} in ${BUILD_DIR}"
for crate in core store cli; do
  if [ -d "crates/${crate}" ]; then
    cargo build --release -p "portcullis-${crate}" --locked 2>&1 | tee -a build.log
  else
    log "skipping ${crate}"
  fi
done
cat > dist/VERSION <<END
version=${VERSION}
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
END
find dist -name '*.tmp' -type f -print | xargs -r rm -f
tar -czf "dist/portcullis-${VERSION}.tar.gz" -C "${BUILD_DIR}" portcullis
sha256sum dist/*.tar.gz | sort > dist/SHA256SUMS
grep -c warning build.log || true
git status --short | awk '{print $2}' | head -n 20
rm -rf target/tmp && mkdir -p target/tmp
log "done: $(ls -1 dist | wc -l) files""#;

/// 30 real tool definitions, as the servers list them (from the poisoning detector's corpus of
/// benign tools: filesystem, git, fetch, time and postgres, unedited).
pub fn thirty_tools() -> Vec<Value> {
    let servers = [
        include_str!("../../tests/corpus/tools/filesystem.json"),
        include_str!("../../tests/corpus/tools/git.json"),
        include_str!("../../tests/corpus/tools/fetch.json"),
        include_str!("../../tests/corpus/tools/time.json"),
        include_str!("../../tests/corpus/tools/postgres.json"),
    ];
    let tools: Vec<Value> = servers
        .iter()
        .flat_map(|text| {
            let server: Value = serde_json::from_str(text).expect("corpus file is JSON");
            server["tools"].as_array().cloned().unwrap_or_default()
        })
        .collect();
    assert_eq!(tools.len(), 30, "the corpus files changed");
    tools
}

/// A server's answer to `tools/list` with [`thirty_tools`] (about 22 KB).
pub fn tools_list_response() -> String {
    json!({"jsonrpc":"2.0","id":1,"result":{"tools":thirty_tools()}}).to_string()
}

/// Each tool with the names of the other tools in its list, as the listing judge passes them to
/// the poisoning detector.
pub fn with_other_names(tools: &[Value]) -> Vec<(&Value, Vec<&str>)> {
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    tools
        .iter()
        .map(|tool| {
            let own = tool["name"].as_str();
            let others = names.iter().copied().filter(|n| Some(*n) != own).collect();
            (tool, others)
        })
        .collect()
}

/// How many tools of `list` (from [`with_other_names`]) the poisoning detector finds poisoned.
pub fn poisoned_tools(list: &[(&Value, Vec<&str>)]) -> usize {
    list.iter()
        .filter(|(tool, others)| inspect_definition(tool, others).is_poisoned())
        .count()
}

/// A real project directory, so path resolution does what it does in use: the file exists. Its
/// parent serves as the home directory.
pub fn project() -> PathBuf {
    let root = std::env::temp_dir().join(format!("portcullis-bench-{}", std::process::id()));
    let project = root.join("project");
    std::fs::create_dir_all(project.join("src")).expect("create the bench project");
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").expect("write a project file");
    project
}

/// Paths of the real [`project`], symlinks resolved or not.
pub fn project_paths(resolve_symlinks: bool) -> PathContext {
    let project = project();
    let mut paths = PathContext::for_host(project.parent().map(PathBuf::from), project);
    paths.resolve_symlinks = resolve_symlinks;
    paths
}

/// Paths of a project that is not on disk, symlink resolution off: nothing reads the filesystem,
/// so instruction counts do not depend on the machine.
pub fn lexical_paths() -> PathContext {
    let mut paths =
        PathContext::for_host(Some(PathBuf::from("/home/u")), PathBuf::from("/home/u/p"));
    paths.resolve_symlinks = false;
    paths
}

/// The built-in policy alone.
pub fn builtin_policy(paths: PathContext) -> Policy {
    Policy::compile(&Sources::default(), paths).expect("built-in policy compiles")
}

/// The built-in policy after a user configuration of [`user_rules_yaml`] with `count` rules.
pub fn policy_with_user_rules(count: usize, paths: PathContext) -> Policy {
    let sources = Sources {
        user: Some(Source {
            path: Path::new("bench-config.yaml").to_path_buf(),
            text: user_rules_yaml(count),
        }),
        project: None,
    };
    Policy::compile(&sources, paths).expect("generated user policy compiles")
}

/// A large organisation's user configuration: `count` rules that mix tool, server, method, path,
/// command and regex matchers, as teams add them one by one. None matches [`READ_FILE`] or
/// [`RUN_COMMAND`], so both are judged against every rule before the built-in ones, the most an
/// allowed call costs.
pub fn user_rules_yaml(count: usize) -> String {
    let mut yaml = String::from("rules:\n");
    for i in 0..count {
        let rule = match i % 6 {
            0 => format!(
                r#"  - name: team-{i}-admin-tools
    action: deny
    reason: team {i}'s admin tools are not for AI agents
    tool: ["team{i}_admin_*", "purge_team{i}_*"]
"#
            ),
            1 => format!(
                r#"  - name: dataset-{i}
    action: deny
    reason: dataset {i} is confidential
    arguments:
      - key: "*path*"
        path: {{ under: ["/srv/data/dataset-{i}", "~/archive/dataset-{i}"] }}
"#
            ),
            2 => format!(
                r#"  - name: exports-{i}
    action: ask
    reason: exports of report {i} need a person
    arguments:
      - path: {{ glob: ["**/exports/report-{i}-*.csv", "**/*.report{i}"] }}
"#
            ),
            3 => format!(
                r#"  - name: deploy-tool-{i}
    action: ask
    reason: deploying service {i} needs a person
    arguments:
      - command: {{ program: ["deploy-svc{i}", "svc{i}ctl"] }}
"#
            ),
            4 => format!(
                r#"  - name: prod-server-{i}-read-only
    action: deny
    reason: production server {i} is read-only
    server: "prod-{i}-*"
    tool: ["write_*", "delete_*", "update_*"]
"#
            ),
            _ => format!(
                r#"  - name: customer-{i}-ids
    action: log
    reason: mentions customer account {i}
    method: tools/call
    arguments:
      - key: query
        regex: '(?i)\bacct[-_]?{i}\b'
"#
            ),
        };
        yaml.push_str(&rule);
    }
    yaml
}

/// The parts of a message a decision needs: strict parse, JSON-RPC classification, what it targets.
pub fn message_view(line: &[u8]) -> (Message, Target) {
    let value = parse_strict(line, DEFAULT_MAX_DEPTH).expect("valid message");
    let message = Message::from_value(value).expect("JSON-RPC");
    let target = Target::of(
        message.method.as_deref().unwrap_or_default(),
        message.params(),
    );
    (message, target)
}

/// Parse, classify and judge one line: the whole per-message decision.
pub fn decide(policy: &Policy, line: &[u8]) -> bool {
    let (message, target) = message_view(line);
    let view = View {
        direction: Direction::ToServer,
        kind: message.kind,
        server: "bench",
        target: &target,
        payload: message.payload(),
    };
    policy.evaluate(&view).action.passes()
}

/// `bytes` of what tool results hold: logs, JSON, code and prose, with many numbers and a little
/// non-ASCII text, but no personal data, no secrets and no hidden characters.
pub fn mixed_output(bytes: usize) -> String {
    let sample = concat!(
        "2024-11-21T10:04:31.123456Z INFO [req 3f2a9c1e-77b0-4d1e-a3c2-9e8f7d6c5b4a] GET ",
        "/api/v2/orders/1048576?page=3 200 12ms bytes=48213 pid=4021\n",
        "{\"id\":1234567890123456789,\"created_at\":1700000000000,\"order\":\"ORD-2024-000123\",",
        "\"amount\":1299.95,\"currency\":\"EUR\",\"version\":\"2.14.3\",\"ip\":\"10.0.12.7\",",
        "\"sha\":\"4f5b2c0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a\",\"tags\":[\"a\",\"b\"]}\n",
        "    let total: u64 = (0..100_000).map(|i| i * 31 + 7).sum(); // see RFC 9110 §15.5\n",
        "The café’s “quarterly” report — pages 120-145 — shows 3,214 orders in Q3 2024, up 12% ",
        "from 2,870; the median basket was €42.50 and build 20231121.3 took 12:34 minutes.\n",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nDate: Thu Nov 21 10:00:00 2024 +0100\n",
        "2024-11-21,14:05:09,user_8423,42.17,EUR,192.168.1.20,11/21/2024 | 4096 | 8192 | 65536\n",
    );
    let mut text = sample.repeat(bytes / sample.len() + 1);
    let cut = (0..=bytes)
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0);
    text.truncate(cut);
    text
}

/// Ordinary tool output: log lines with timestamps, numbers, paths, ids and some prose.
pub fn log_text(bytes: usize) -> String {
    let lines = [
        "2026-11-22T10:00:00.123Z INFO  http: GET /api/v2/orders/81723 200 in 12.4 ms (user 5512)\n",
        "2026-11-22T10:00:00.456Z DEBUG cache: hit key=session:8f14e45fceea167a5a36dedd4bea2543\n",
        "2026-11-22T10:00:01.002Z WARN  worker-3: retrying job 4410 after timeout (attempt 2 of 5)\n",
        "The build finished: 418 tests passed, 2 skipped, see target/debug/report.html for details.\n",
        "    at Object.<anonymous> (/srv/app/node_modules/express/lib/router/index.js:284:7)\n",
    ];
    let mut text = String::with_capacity(bytes + 128);
    while text.len() < bytes {
        text.push_str(lines[text.len() % lines.len()]);
    }
    text
}

/// A `tools/call` result whose text is `text`.
pub fn result(text: &str) -> Vec<u8> {
    json!({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":text}],"isError":false}})
        .to_string()
        .into_bytes()
}

/// The relay's work on one result: parse, build the span tree, screen, apply the edits.
pub fn screen_result(policy: &Policy, line: &[u8]) -> usize {
    let value = parse_strict(line, DEFAULT_MAX_DEPTH).expect("valid JSON");
    let message = Message::from_value(value).expect("JSON-RPC");
    let text = std::str::from_utf8(line).expect("UTF-8");
    let root = tree::parse(text).expect("tree");
    let target = Target {
        method: "tools/call".into(),
        tool: Some("read_file".into()),
        ..Target::default()
    };
    let cx = Context {
        server: "bench",
        kind: message.kind,
        target: &target,
        screening: &policy.screening,
    };
    let screened = screen(&root, &cx);
    screened.edits.apply(line).len()
}
