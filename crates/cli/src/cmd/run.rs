//! `portcullis run -- CMD...`: the stdio wrapper.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use portcullis_core::policy::Mode;
use portcullis_relay::RelayOptions;

use crate::config::{load_policy, server_base_dirs};

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
    let code = portcullis_relay::run(
        Arc::new(policy),
        RelayOptions {
            server_name: name,
            monitor,
            command,
        },
    )?;
    // Exit codes above 255 do not exist; a shell reports 128+signal the same way.
    Ok(u8::try_from(code).unwrap_or(1))
}
