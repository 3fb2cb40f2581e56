//! Where MCP clients (Claude Desktop and Code, Cursor, VS Code, Windsurf, Codex, Gemini CLI, Zed)
//! keep their servers, and wrapping those servers in `portcullis run` in place.
//!
//! - [`known`]: the files each client reads, per platform.
//! - [`inspect`]: a file's servers, and whether each is protected.
//! - [`edit`]: the edited text, checked by reading it back before anything is written.
//! - [`undo`]: writes with exact-byte backups, and undoing them.
//!
//! The files are edited in place ([`doc`]): comments, formatting and every field Portcullis does
//! not own stay as they were.

pub mod doc;
pub mod edit;
pub mod entry;
pub mod inspect;
pub mod known;
pub mod undo;
mod write;
