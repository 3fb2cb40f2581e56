//! `portcullis run -- CMD...`: the stdio wrapper.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use portcullis_core::pins::PinBook;
use portcullis_core::policy::{Mode, Policy};
use portcullis_relay::RelayOptions;
use portcullis_store::PinStore;

use crate::config::{load_policy, server_base_dirs, state_dir};

pub fn run(
    config: Option<PathBuf>,
    name: String,
    monitor: bool,
    command: Vec<OsString>,
) -> anyhow::Result<u8> {
    // A policy that fails to load must not leave the server unprotected: refuse to start it.
    let mut policy = load_policy(config)?;
    let bases = server_base_dirs(&command, &policy.paths().cwd);
    policy.resolve_relative_paths_also_against(bases);
    let monitor = monitor || policy.mode == Mode::Monitor;
    if monitor {
        tracing::warn!(server = %name, "monitor mode: decisions are logged, nothing is blocked");
    }
    let pins = open_pins(&policy)?;
    let code = portcullis_relay::run(
        Arc::new(policy),
        RelayOptions {
            server_name: name,
            monitor,
            command,
        },
        pins,
    )?;
    // Exit codes above 255 do not exist; a shell reports 128+signal the same way.
    Ok(u8::try_from(code).unwrap_or(1))
}

/// The pin store, when pinning is on. A store that cannot be opened stops the wrapper: running
/// without it would let a changed tool through unseen.
fn open_pins(policy: &Policy) -> anyhow::Result<Option<Box<dyn PinBook + Send>>> {
    if !policy.screening.pinning {
        return Ok(None);
    }
    let dir = state_dir()?;
    let store = PinStore::open(&dir).with_context(|| {
        format!(
            "cannot open the pin store in {} (fix its permissions, set PORTCULLIS_HOME, or set \
             `pinning: false` to run without pins)",
            dir.display()
        )
    })?;
    Ok(Some(Box::new(store)))
}
