//! The daemon's Unix socket: in a directory only the user can open, and every connection's peer
//! checked to be the same user. A process of another user cannot even reach the socket, and if it
//! could (a shared, misconfigured directory), it would be refused.

use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

/// Where the daemon keeps its files in the state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonPaths {
    pub dir: PathBuf,
    pub socket: PathBuf,
    /// Held (flock) by the running daemon: one per user.
    pub lock: PathBuf,
    /// What a detached daemon prints.
    pub log: PathBuf,
}

impl DaemonPaths {
    pub fn in_state_dir(state: &Path) -> Self {
        let dir = state.join("daemon");
        Self {
            socket: dir.join("portcullis.sock"),
            lock: dir.join("daemon.lock"),
            log: dir.join("daemon.log"),
            dir,
        }
    }

    /// Creates the daemon's directory, readable by this user only.
    pub fn create_dir(&self) -> Result<(), SocketError> {
        portcullis_store::private::create_dir(&self.dir).map_err(|source| SocketError::Dir {
            path: self.dir.clone(),
            source,
        })?;
        // An existing directory keeps its mode; make sure nobody else can reach the socket.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).map_err(
            |source| SocketError::Dir {
                path: self.dir.clone(),
                source,
            },
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("cannot create the daemon directory {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {}: {source}", path.display())]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Listens on the socket, replacing one a dead daemon left behind. The caller created the
/// directory and holds the daemon lock, so no live daemon listens there.
pub fn listen(paths: &DaemonPaths) -> Result<UnixListener, SocketError> {
    let _ = std::fs::remove_file(&paths.socket);
    let bind = |source| SocketError::Bind {
        path: paths.socket.clone(),
        source,
    };
    let listener = UnixListener::bind(&paths.socket).map_err(bind)?;
    // The directory already keeps others out; the socket's own mode says the same.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&paths.socket, std::fs::Permissions::from_mode(0o600))
        .map_err(bind)?;
    Ok(listener)
}

/// Whether the peer of `stream` runs as this user.
pub fn same_user(stream: &UnixStream) -> bool {
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    stream.peer_cred().is_ok_and(|cred| cred.uid() == me)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_lives_in_a_private_directory_and_knows_its_peer() {
        let state = tempfile::tempdir().unwrap();
        let paths = DaemonPaths::in_state_dir(state.path());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        paths.create_dir().unwrap();
        runtime.block_on(async {
            let listener = listen(&paths).unwrap();
            // A stale socket file is replaced.
            drop(listener);
            let listener = listen(&paths).unwrap();
            let client = UnixStream::connect(&paths.socket).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            assert!(same_user(&server));
            assert!(same_user(&client));
        });
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&paths.dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
