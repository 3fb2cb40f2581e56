//! The installation's audit key: 32 random bytes in [`FILE_NAME`] next to the databases, readable
//! by the user alone. It keys the chain hashes and the tags of redacted values. Whoever holds it
//! can forge a chain; keep a copy elsewhere to verify the trail against (`--key`).

use std::io::Write;
use std::path::{Path, PathBuf};

use portcullis_core::audit::{KEY_LEN, Redactor};

/// The key file in the state directory.
pub const FILE_NAME: &str = "audit.key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the audit key {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the audit key {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the audit key {} is not {KEY_LEN} bytes of hex; restore it from a copy (without it the \
         trail cannot be verified)",
        path.display()
    )]
    Malformed { path: PathBuf },
}

/// The key in `dir`, or `None` when there is none yet.
pub fn load(dir: &Path) -> Result<Option<Redactor>, KeyError> {
    load_file(&dir.join(FILE_NAME))
}

/// The key in `path` (a copy kept elsewhere, or the state directory's).
pub fn load_file(path: &Path) -> Result<Option<Redactor>, KeyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(KeyError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(text.trim())
        .map(|key| Some(Redactor::new(key)))
        .ok_or_else(|| KeyError::Malformed {
            path: path.to_path_buf(),
        })
}

/// The key in `dir`, created when there is none. Processes creating it at once agree on one: the
/// key is written to a temporary file and linked into place, which fails for all but the first.
pub fn load_or_create(dir: &Path) -> Result<Redactor, KeyError> {
    if let Some(key) = load(dir)? {
        return Ok(key);
    }
    let path = dir.join(FILE_NAME);
    let created = |source| KeyError::Create {
        path: path.clone(),
        source,
    };
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| created(std::io::Error::other(e)))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".audit.key.")
        .tempfile_in(dir)
        .map_err(created)?;
    tmp.write_all(format!("{}\n", hex::encode(key)).as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(created)?;
    match std::fs::hard_link(tmp.path(), &path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(source) => return Err(created(source)),
    }
    load(dir)?.ok_or(KeyError::Malformed { path })
}

fn parse(text: &str) -> Option<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    hex::decode_to_slice(text, &mut key).ok()?;
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_is_created_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_none());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let dir = dir.path().to_path_buf();
                std::thread::spawn(move || load_or_create(&dir).unwrap().tag("x"))
            })
            .collect();
        let tags: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(tags.windows(2).all(|w| w[0] == w[1]), "{tags:?}");
        assert_eq!(load(dir.path()).unwrap().unwrap().tag("x"), tags[0]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files remain");
    }

    #[test]
    fn a_damaged_key_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "not hex").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("restore it"), "{err}");
    }
}
