//! The `audit:` section of the user's configuration, compiled.

use std::path::PathBuf;

/// How much of a message's arguments or result the log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// Nothing: method, target, verdict and rule only.
    None,
    /// A short summary with every secret and personal datum replaced by its type and tag.
    Redacted,
}

/// An extra copy of every record as JSON Lines, for log shippers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonlSettings {
    pub path: PathBuf,
    /// Rotate when the file grows past this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept besides the current one (`file.1` is the newest).
    pub keep: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSettings {
    /// Record decisions at all.
    pub enabled: bool,
    /// Record messages that were allowed untouched, not only the ones something was done to.
    pub allowed: bool,
    pub detail: Detail,
    /// Delete records older than this many days; 0 keeps them forever.
    pub retention_days: u32,
    /// Delete the oldest records while the database is larger than this; 0 for no limit.
    pub max_bytes: u64,
    pub jsonl: Option<JsonlSettings>,
    /// Keep the servers' stderr (redacted) with their sessions.
    pub stderr: bool,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            allowed: true,
            detail: Detail::Redacted,
            retention_days: 30,
            max_bytes: 256 << 20,
            jsonl: None,
            stderr: false,
        }
    }
}
