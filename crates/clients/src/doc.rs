//! A client's configuration file as a document that can be read and edited in place: every
//! comment, blank line, key order and line ending not part of an edit stays as it was.
//!
//! JSON files are edited through a concrete syntax tree (`jsonc-parser`), which also reads the
//! comments and trailing commas VS Code, Zed and Gemini allow; TOML files (Codex) through
//! `toml_edit`. Only the `command` and `args` of a wrapped entry change.

mod json;
mod toml;

use serde_json::Value;

/// The syntax of a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON, or JSON with comments and trailing commas.
    Json,
    Toml,
}

/// Where in a document the server maps sit: each is a path of keys from the top, and `*` stands
/// for every key at that level (Claude Code keeps servers per project:
/// `projects.<dir>.mcpServers`).
pub type Layout = &'static [&'static [&'static str]];

/// One server entry found in a document.
#[derive(Debug, Clone)]
pub struct Found {
    /// The keys that lead to the map holding the entry.
    pub section: Vec<String>,
    pub name: String,
    /// The entry, as JSON whatever the file's format.
    pub value: Value,
}

/// Why a document cannot be read or edited. The file is never touched then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("it does not parse: {0}")]
    Syntax(String),
    #[error("the key `{key}` appears twice in {place}; remove one and run again")]
    DuplicateKey { key: String, place: String },
}

/// A parsed configuration file.
pub enum Document {
    Json(json::JsonDocument),
    Toml(toml::TomlDocument),
}

impl Document {
    pub fn parse(text: &str, format: Format) -> Result<Document, DocError> {
        Ok(match format {
            Format::Json => Document::Json(json::JsonDocument::parse(text)?),
            Format::Toml => Document::Toml(toml::TomlDocument::parse(text)?),
        })
    }

    /// Every server entry under `layout`, in file order.
    pub fn entries(&self, layout: Layout) -> Result<Vec<Found>, DocError> {
        match self {
            Document::Json(doc) => doc.entries(layout),
            Document::Toml(doc) => Ok(doc.entries(layout)),
        }
    }

    /// Puts `portcullis run --name NAME --` (with `exe` as the program) in front of the entry's
    /// command. False when the entry has no string command to wrap.
    pub fn wrap(&mut self, section: &[String], name: &str, exe: &str) -> bool {
        match self {
            Document::Json(doc) => doc.wrap(section, name, exe),
            Document::Toml(doc) => doc.wrap(section, name, exe),
        }
    }

    /// Takes the wrapper off an entry that has one, leaving the server's own command. False when
    /// the entry is not wrapped.
    pub fn unwrap(&mut self, section: &[String], name: &str) -> bool {
        match self {
            Document::Json(doc) => doc.unwrap(section, name),
            Document::Toml(doc) => doc.unwrap(section, name),
        }
    }

    /// The document's text, edits included.
    pub fn text(&self) -> String {
        match self {
            Document::Json(doc) => doc.text(),
            Document::Toml(doc) => doc.text(),
        }
    }
}

/// A section's keys for people: `projects › /home/me/app › mcpServers`.
pub fn section_label(section: &[String]) -> String {
    section.join(" › ")
}
