//! Where `portcullis scan` finds servers when none is named on its command line: the stdio
//! servers of every MCP client configuration `init` and `status` see, unwrapped from
//! `portcullis run` so the server itself is started (a scan writes no pin and no audit record).

use std::path::PathBuf;

use portcullis_clients::inspect::State;

use super::ScanTarget;
use crate::clients::{discover, show_path};

/// The stdio servers the MCP clients' configuration files on this machine name, each once.
pub fn discovered_targets(given: &[PathBuf]) -> anyhow::Result<Vec<ScanTarget>> {
    let mut targets: Vec<ScanTarget> = Vec::new();
    for inspected in discover(given)? {
        let origin = format!(
            "{} ({})",
            inspected.file.client,
            show_path(&inspected.file.path)
        );
        for server in inspected.servers() {
            let (name, launch) = match &server.state {
                State::Unprotected(launch) => (server.name.clone(), launch),
                State::Protected(wrapped) => (
                    wrapped.name.clone().unwrap_or_else(|| "default".to_owned()),
                    &wrapped.inner,
                ),
                State::Remote { .. } | State::Unsupported(_) => continue,
            };
            let target = ScanTarget {
                origin: origin.clone(),
                name,
                command: launch.argv().iter().map(|a| expand(a)).collect(),
                env: launch
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v)))
                    .collect(),
                cwd: launch
                    .cwd
                    .as_deref()
                    .map(expand)
                    .filter(|c| !c.contains("${"))
                    .map(PathBuf::from),
            };
            let seen = targets.iter().any(|t| {
                t.name == target.name
                    && t.command == target.command
                    && t.env == target.env
                    && t.cwd == target.cwd
            });
            if !seen {
                targets.push(target);
            }
        }
    }
    Ok(targets)
}

/// Expands what clients expand from the environment before starting a server: `${NAME}`,
/// `${NAME:-default}` (Claude Code) and `${env:NAME}` (VS Code, Cursor, Windsurf). Anything else
/// (`${input:…}`, `${workspaceFolder}`) is left as written: only the client knows it.
fn expand(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &rest[start + 2..start + len];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        let name = name.strip_prefix("env:").unwrap_or(name);
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match (plain, std::env::var(name).ok(), default) {
            (true, Some(value), _) => out.push_str(&value),
            (true, None, Some(default)) => out.push_str(default),
            _ => out.push_str(&rest[start..start + len + 1]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn what_clients_expand_is_expanded_and_nothing_else() {
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(expand("${HOME}/bin"), format!("{home}/bin"));
        assert_eq!(expand("${env:HOME}"), home);
        assert_eq!(expand("${PORTCULLIS_SURELY_UNSET:-dflt}/x"), "dflt/x");
        assert_eq!(expand("${input:key}"), "${input:key}");
        assert_eq!(expand("${workspaceFolder}/a"), "${workspaceFolder}/a");
        assert_eq!(expand("a ${unclosed"), "a ${unclosed");
    }
}
