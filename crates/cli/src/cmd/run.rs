//! `portcullis run -- CMD...`: the stdio wrapper.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portcullis_core::audit::AuditSink;
use portcullis_core::pins::PinBook;
use portcullis_core::policy::{Mode, Policy};
use portcullis_relay::RelayOptions;
use portcullis_store::PinStore;
use portcullis_store::audit::{AuditWriter, SessionInfo, new_session_id};

use crate::config::{load_policy, server_base_dirs, state_dir};

pub fn run(
    config: Option<PathBuf>,
    name: String,
    monitor: bool,
    command: Vec<OsString>,
) -> anyhow::Result<u8> {
    portcullis_relay::lean::limit_arenas();
    // A policy that fails to load must not leave the server unprotected: refuse to start it.
    let mut policy = load_policy(config)?;
    let bases = server_base_dirs(&command, &policy.paths().cwd);
    policy.resolve_relative_paths_also_against(bases);
    let monitor = monitor || policy.mode == Mode::Monitor;
    if monitor {
        tracing::warn!(server = %name, "monitor mode: decisions are logged, nothing is blocked");
    }
    let options = RelayOptions {
        server_name: name,
        monitor,
        command,
    };
    let policy = Arc::new(policy);
    // Before the stores open and the server starts, so the detectors are ready sooner.
    portcullis_relay::warm_up(policy.clone(), options.identity());
    let pins = open_pins(&policy)?;
    let audit = start_audit(&policy, &options);
    let sink = audit
        .clone()
        .map(|writer| Arc::new(writer) as Arc<dyn AuditSink>);
    let approver = approver(&policy);
    let code = portcullis_relay::run(policy, options, pins, sink, approver);
    if let Some(writer) = audit {
        writer.finish(AUDIT_FLUSH);
    }
    let code = code?;
    // Exit codes above 255 do not exist; a shell reports 128+signal the same way.
    Ok(u8::try_from(code).unwrap_or(1))
}

/// Who decides calls that rules ask about: a person through the daemon. Without a state
/// directory (or on a platform without the daemon), nobody: such calls are denied.
fn approver(policy: &Arc<Policy>) -> Option<Arc<dyn portcullis_relay::Approver>> {
    #[cfg(unix)]
    {
        let state_dir = state_dir()
            .inspect_err(|e| tracing::warn!("calls that ask for approval will be denied: {e:#}"))
            .ok()?;
        let exe = std::env::current_exe()
            .inspect_err(|e| tracing::warn!("calls that ask for approval will be denied: {e}"))
            .ok()?;
        Some(Arc::new(crate::approver::DaemonApprover {
            state_dir,
            exe,
            policy: policy.clone(),
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = policy;
        tracing::warn!("approvals are not supported on this platform yet: `ask` rules deny");
        None
    }
}

/// How long the wrapper waits, once the server is gone, for its last records to be written.
const AUDIT_FLUSH: Duration = Duration::from_secs(3);

/// The audit writer, when the trail is on. Unlike the pin store, a trail that cannot be written
/// does not stop the wrapper: the writer keeps protecting, says so, and counts what it loses.
fn start_audit(policy: &Policy, options: &RelayOptions) -> Option<AuditWriter> {
    if !policy.audit.enabled {
        return None;
    }
    let dir = match state_dir() {
        Ok(dir) => dir,
        Err(e) => {
            tracing::warn!("the audit trail is off: {e:#}");
            return None;
        }
    };
    let identity = options.identity();
    let session = SessionInfo {
        id: new_session_id(),
        server_key: identity.key(),
        server: identity.name,
        command: identity.command,
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    Some(AuditWriter::start(dir, policy.audit.clone(), session))
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
