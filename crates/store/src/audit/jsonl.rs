//! The JSON Lines copy of the trail, for log shippers: one [`Entry`] per line, in its documented
//! field order, rotated by size.
//!
//! The writer appends a batch while it holds the audit database's write lock, so the processes
//! sharing a file append and rotate it one at a time and its lines stay in id order (but for the
//! repeats below). The file is opened anew for each batch: cheap, and it follows a rotation
//! another process has just made.
//!
//! The lines are written before the transaction commits. Should the commit then fail, the file
//! keeps lines of records the database never took, and their ids are given again: to the same
//! records when the batch is retried (the very same lines again, unless another writer chained
//! on meanwhile), or to other records. Shippers should therefore de-duplicate on (`id`, `hash`):
//! when an id appears again with another hash, the earlier line was never committed (an id the
//! database took is never given again). The database stays the record: the last lines of a
//! batch that failed may also never be followed by others with their ids.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use portcullis_core::audit::JsonlSettings;

use super::Entry;

/// The copy as the writer keeps it: a failure is reported once, and again only after the copy
/// has worked in between. The database stays the record; the copy never holds it back.
pub(crate) struct JsonlCopy {
    settings: JsonlSettings,
    failing: bool,
}

impl JsonlCopy {
    pub fn new(settings: JsonlSettings) -> Self {
        Self {
            settings,
            failing: false,
        }
    }

    pub fn append(&mut self, entries: &[Entry]) {
        match append(&self.settings, entries) {
            Ok(()) => self.failing = false,
            Err(e) if !self.failing => {
                self.failing = true;
                tracing::warn!(
                    "cannot write the audit trail's JSON Lines copy {} ({e}); the records are \
                     still in the audit store, and the copy resumes when the file can be written",
                    self.settings.path.display()
                );
            }
            Err(_) => {}
        }
    }
}

/// Appends `entries` to the file of `settings`, rotating it first when they would take it past
/// its size limit. The file and its directories are created readable by the user alone.
fn append(settings: &JsonlSettings, entries: &[Entry]) -> io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::with_capacity(entries.len() * 512);
    for entry in entries {
        serde_json::to_writer(&mut lines, entry)?;
        lines.push(b'\n');
    }
    let path = &settings.path;
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    if size > 0 && size + lines.len() as u64 > settings.max_bytes {
        rotate(path, settings.keep)?;
    }
    open_private(path)?.write_all(&lines)
}

/// Shifts `path.1` … `path.{keep-1}` up by one, dropping `path.{keep}`, and moves `path` to
/// `path.1`; with `keep` 0 the file is simply removed.
fn rotate(path: &Path, keep: u32) -> io::Result<()> {
    if keep == 0 {
        return remove_if_present(path);
    }
    remove_if_present(&numbered(path, keep))?;
    for n in (1..keep).rev() {
        rename_if_present(&numbered(path, n), &numbered(path, n + 1))?;
    }
    rename_if_present(path, &numbered(path, 1))
}

/// `path` with `.n` appended to its file name (`audit.jsonl.2`).
fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn open_private(path: &Path) -> io::Result<std::fs::File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::private::create_dir(parent)?;
    }
    crate::private::file_options().append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::entry;

    fn read_entries(path: &Path) -> Vec<Entry> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn rotation_keeps_the_newest_files_and_every_line_parses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/audit.jsonl");
        let one = serde_json::to_vec(&entry(1)).unwrap().len() as u64 + 1;
        let settings = JsonlSettings {
            path: path.clone(),
            max_bytes: one * 3,
            keep: 2,
        };
        for n in 0..20 {
            let mut batch = vec![entry(n), entry(n)];
            batch[0].id = 2 * n + 1;
            batch[1].id = 2 * n + 2;
            append(&settings, &batch).unwrap();
        }
        // Each file takes one batch of two (a third line would pass the limit).
        assert_eq!(
            read_entries(&path).iter().map(|e| e.id).collect::<Vec<_>>(),
            [39, 40]
        );
        assert_eq!(read_entries(&numbered(&path, 1))[0].id, 37);
        assert_eq!(read_entries(&numbered(&path, 2))[0].id, 35);
        assert!(!numbered(&path, 3).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn keeping_none_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let settings = JsonlSettings {
            path: path.clone(),
            max_bytes: 10,
            keep: 0,
        };
        append(&settings, &[entry(1)]).unwrap();
        append(&settings, &[entry(2)]).unwrap();
        assert_eq!(read_entries(&path), [entry(2)]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
