//! The per-user Portcullis daemon: it owns approvals (`ask`), remembered decisions and the
//! dashboard. The wrappers never depend on it to protect: policy, redaction and the audit trail
//! stay in `portcullis run`; only a call that asks a person needs the daemon, and it is denied when
//! the daemon cannot be reached.
//!
//! Work in progress (see docs/design/approvals.md): the socket and its protocol so far.

pub mod protocol;
#[cfg(unix)]
pub mod socket;
