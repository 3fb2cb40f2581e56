//! What `init` changed, kept so `init --undo` can put it back: for each write, the file's exact
//! previous bytes (a private backup) and a hash of the bytes written.
//!
//! Undo walks a file's writes from the last: while the file still holds exactly what a write
//! left, the backup before it comes back byte for byte. Once the file holds something else (the
//! user or the client edited it since), only the wrappers Portcullis added are taken off, and
//! every other edit stays.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::doc::Format;
use crate::edit::{self, ServerRef};
use crate::known::ConfigFile;
use crate::write;

const MANIFEST: &str = "changes.json";
const BACKUPS: &str = "backups";

/// One write `init` made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub path: PathBuf,
    pub format: Format,
    pub strict_json: bool,
    /// The backup's file name in the backups directory.
    pub backup: String,
    pub written_sha256: String,
    /// The servers wrapped: section keys and name.
    pub servers: Vec<ServerRef>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    changes: Vec<Change>,
}

/// Where undo information lives: a directory in Portcullis's state directory.
pub struct UndoLog {
    dir: PathBuf,
}

/// What undo did to one file.
#[derive(Debug)]
pub enum Undone {
    /// Back to its exact bytes from before `init`.
    Restored { path: PathBuf },
    /// Edited since: only these wrappers were taken off.
    Unwrapped {
        path: PathBuf,
        servers: Vec<ServerRef>,
    },
    /// The file is gone; nothing to put back.
    Gone { path: PathBuf },
    /// It could not be undone; the file and its undo information are as they were.
    Failed { path: PathBuf, why: String },
}

impl UndoLog {
    pub fn new(state_dir: &Path) -> UndoLog {
        UndoLog {
            dir: state_dir.join("init"),
        }
    }

    /// Whether there is anything to undo.
    pub fn is_empty(&self) -> Result<bool, String> {
        Ok(self.load()?.changes.is_empty())
    }

    /// Writes `after` over `file`, whose bytes must still be `before`, keeping what undo needs.
    pub fn write(
        &self,
        file: &ConfigFile,
        before: &str,
        after: &str,
        servers: Vec<ServerRef>,
    ) -> Result<(), String> {
        let now = std::fs::read(&file.path).map_err(|e| e.to_string())?;
        if now != before.as_bytes() {
            return Err(CHANGED_MEANWHILE.to_owned());
        }
        let mut manifest = self.load()?;
        let backups = self.dir.join(BACKUPS);
        portcullis_store::private::create_dir(&backups).map_err(|e| e.to_string())?;
        let backup = backup_name(&file.path, &sha256(before.as_bytes()));
        let backup_path = backups.join(&backup);
        write_private(&backup_path, before.as_bytes())?;
        manifest.changes.push(Change {
            path: file.path.clone(),
            format: file.format,
            strict_json: file.strict_json,
            backup,
            written_sha256: sha256(after.as_bytes()),
            servers,
        });
        self.save(&manifest)?;
        if let Err(e) = write::replace(&file.path, after.as_bytes()) {
            manifest.changes.pop();
            self.save(&manifest)?;
            let _ = std::fs::remove_file(&backup_path);
            return Err(e.to_string());
        }
        Ok(())
    }

    /// Undoes every recorded write, newest first within each file.
    pub fn undo(&self) -> Result<Vec<Undone>, String> {
        let mut manifest = self.load()?;
        let mut paths: Vec<PathBuf> = Vec::new();
        for change in &manifest.changes {
            if !paths.contains(&change.path) {
                paths.push(change.path.clone());
            }
        }
        let mut report = Vec::new();
        for path in paths {
            let changes: Vec<Change> = manifest
                .changes
                .iter()
                .filter(|c| c.path == path)
                .cloned()
                .collect();
            let undone = self.undo_file(&path, &changes);
            if !matches!(undone, Undone::Failed { .. }) {
                manifest.changes.retain(|c| c.path != path);
                self.save(&manifest)?;
                for change in &changes {
                    // The backups hold secrets the configs held: keep none longer than needed.
                    let _ = std::fs::remove_file(self.dir.join(BACKUPS).join(&change.backup));
                }
            }
            report.push(undone);
        }
        Ok(report)
    }

    fn undo_file(&self, path: &Path, changes: &[Change]) -> Undone {
        let failed = |why: String| Undone::Failed {
            path: path.to_owned(),
            why,
        };
        let mut bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Undone::Gone {
                    path: path.to_owned(),
                };
            }
            Err(e) => return failed(e.to_string()),
        };
        let mut left = changes.len();
        while let Some(change) = left.checked_sub(1).map(|i| &changes[i]) {
            if sha256(&bytes) != change.written_sha256 {
                break;
            }
            match std::fs::read(self.dir.join(BACKUPS).join(&change.backup)) {
                Ok(backup) => bytes = backup,
                Err(e) => return failed(format!("its backup is unreadable: {e}")),
            }
            left -= 1;
        }
        if left == 0 {
            return match write::replace(path, &bytes) {
                Ok(()) => Undone::Restored {
                    path: path.to_owned(),
                },
                Err(e) => failed(e.to_string()),
            };
        }
        let Ok(text) = String::from_utf8(bytes) else {
            return failed("it is no longer UTF-8 text".to_owned());
        };
        let ours: Vec<ServerRef> = changes[..left]
            .iter()
            .flat_map(|c| c.servers.iter().cloned())
            .collect();
        let file = as_config_file(&changes[0]);
        match edit::unwrap(&text, &file, &ours) {
            Ok((after, servers)) => match write::replace(path, after.as_bytes()) {
                Ok(()) => Undone::Unwrapped {
                    path: path.to_owned(),
                    servers,
                },
                Err(e) => failed(e.to_string()),
            },
            Err(why) => failed(why),
        }
    }

    fn load(&self) -> Result<Manifest, String> {
        let path = self.dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("{} is damaged: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn save(&self, manifest: &Manifest) -> Result<(), String> {
        portcullis_store::private::create_dir(&self.dir).map_err(|e| e.to_string())?;
        let json = serde_json::to_vec_pretty(manifest).map_err(|e| e.to_string())?;
        write_private(&self.dir.join(MANIFEST), &json)
    }
}

/// What `write` says when the file changed between reading and writing (Claude Code rewrites
/// `~/.claude.json` often): plan again.
pub const CHANGED_MEANWHILE: &str = "the file changed while Portcullis was editing it";

/// The shape the file was read with, to take the wrappers off again: every layout of its format
/// (the recorded sections say where).
fn as_config_file(change: &Change) -> ConfigFile {
    ConfigFile {
        strict_json: change.strict_json,
        ..crate::known::any_file(change.path.clone(), change.format)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = portcullis_store::private::file_options();
    options.write(true).truncate(true);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A backup's name: readable, and unique per file and content.
fn backup_name(path: &Path, content_hash: &str) -> String {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path_hash = sha256(path.to_string_lossy().as_bytes());
    format!("{}-{}-{file}", &path_hash[..12], &content_hash[..12])
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that rewrote the file between `init` reading and writing it wins: nothing is
    /// written and nothing recorded, so `init` plans again from the new bytes.
    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = crate::known::given_file(dir.path().join("mcp.json"));
        std::fs::write(
            &file.path,
            "{\"mcpServers\": {\"a\": {\"command\": \"b\"}}}",
        )
        .unwrap();
        let log = UndoLog::new(&dir.path().join("state"));
        let stale = "{\"mcpServers\": {}}";
        let result = log.write(&file, stale, "{}", Vec::new());
        assert_eq!(result, Err(CHANGED_MEANWHILE.to_owned()));
        assert!(
            std::fs::read_to_string(&file.path)
                .unwrap()
                .contains("\"b\"")
        );
        assert!(log.is_empty().unwrap());
    }
}
