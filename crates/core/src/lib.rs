//! The pure decision core of Portcullis.
//!
//! Nothing here performs I/O (apart from resolving symlinks of paths that exist, in
//! [`detect::paths`]) or depends on an async runtime: transports parse bytes into views, ask the
//! core for a verdict and act on it. That keeps every decision testable, fuzzable and benchmarkable.

pub mod audit;
pub mod detect;
pub mod framing;
pub mod json;
pub mod message;
pub mod pins;
pub mod policy;
pub mod reply;
pub mod screen;
pub mod text;
