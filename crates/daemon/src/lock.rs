//! One daemon per user: the running daemon holds an exclusive `flock` on `daemon.lock`, released
//! by the kernel however it ends.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Another daemon of this user is running.
#[derive(Debug, thiserror::Error)]
#[error("another portcullis daemon is already running for this user")]
pub struct AlreadyRunning;

/// Takes the lock, or fails with [`AlreadyRunning`]; held while the file stays open.
pub fn acquire(path: &Path) -> anyhow::Result<File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open the daemon lock {}: {e}", path.display()))?;
    // SAFETY: flock on a descriptor we own; it cannot touch memory.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if !locked {
        return Err(AlreadyRunning.into());
    }
    Ok(file)
}
