//! Shared set-up: a fake HOME with fake secrets, and the real binary around the recording server.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis_testkit::drive::Wrapped;
use portcullis_testkit::locate::binary;
use serde_json::{Value, json};
use tempfile::TempDir;

/// A fake home directory with a project inside and fake secrets around it.
pub struct Home {
    pub dir: TempDir,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".ssh")).unwrap();
        std::fs::write(
            root.join(".ssh/id_rsa"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("project/src")).unwrap();
        std::fs::write(root.join("project/src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::create_dir_all(root.join("state")).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn project(&self) -> PathBuf {
        self.path().join("project")
    }

    pub fn record(&self) -> PathBuf {
        self.path().join("received.bin")
    }

    /// What the recording server has received so far.
    pub fn received(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.record()).unwrap_or_default()).into_owned()
    }

    /// Writes the user configuration (`$PORTCULLIS_HOME/config.yaml`).
    pub fn user_config(&self, yaml: &str) {
        std::fs::write(self.path().join("state/config.yaml"), yaml).unwrap();
    }

    /// `portcullis <args>` with this home's environment, run in the project directory.
    pub fn portcullis(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary("portcullis"));
        command
            .args(args)
            .current_dir(self.project())
            .env("HOME", self.path())
            .env("PORTCULLIS_HOME", self.path().join("state"))
            .env_remove("PORTCULLIS_CONFIG")
            .env_remove("XDG_CONFIG_HOME")
            .env("PORTCULLIS_LOG", "debug")
            .env("RECORD_FILE", self.record());
        command
    }

    /// `portcullis run <extra> -- recording-server`, started.
    pub fn wrap(&self, extra: &[&str]) -> Wrapped {
        let server = binary("recording-server");
        let mut args = vec!["run", "--name", "rec"];
        args.extend_from_slice(extra);
        args.push("--");
        let mut command = self.portcullis(&args);
        command.arg(server);
        Wrapped::spawn(command)
    }
}

pub fn initialize(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
}

pub fn call(id: Value, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

/// Asserts that `answer` is Portcullis's denial by `rule`.
pub fn assert_blocked(answer: &Value, rule: &str) {
    let error = answer
        .get("error")
        .unwrap_or_else(|| panic!("expected a denial, got {answer}"));
    assert_eq!(error["code"], -32090, "{answer}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("portcullis: blocked by rule {rule}: ")),
        "{message}"
    );
    assert_eq!(error["data"]["rule"], rule);
}
