//! Replacing a file atomically: the new bytes go to a temporary file beside it, which then takes
//! its place, so a client never reads half a file and a crash leaves the old one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces the file at `path` (through any symlink, so a dotfile manager's link stays a link)
/// with `bytes`, keeping its permissions.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = resolve(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".portcullis-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    if let Ok(metadata) = std::fs::metadata(&target) {
        temp.as_file().set_permissions(metadata.permissions())?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// The file a path finally names, or the path itself when it does not exist yet.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(path.to_owned()),
        Err(e) => Err(e),
    }
}
