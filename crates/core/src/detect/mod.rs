//! Detectors: pure functions that turn raw argument text into facts the policy can match on.
//!
//! Each detector is independent of the policy engine: it takes strings (and a small context such as
//! the home and working directories) and returns canonical forms or findings. None of them touches the
//! network, and only [`paths`] reads the filesystem (to resolve symlinks of paths that exist).

pub mod hidden;
pub mod instructions;
pub mod key_block;
pub mod paths;
pub mod pii;
pub mod secrets;
pub mod shell;
