//! Reading a configuration file into its servers, and what Portcullis can do for each.

use crate::doc::{Document, Format};
use crate::entry::{Launch, Transport, Wrapped, transport};
use crate::known::ConfigFile;

/// A server a client's configuration names.
#[derive(Debug, Clone)]
pub struct Server {
    /// The keys that lead to the map holding it (`mcpServers`, `projects › /dir › mcpServers`).
    pub section: Vec<String>,
    pub name: String,
    pub state: State,
}

/// Whether Portcullis stands between the client and a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// A stdio server started directly: `init` wraps it.
    Unprotected(Launch),
    /// Started through `portcullis run`.
    Protected(Wrapped),
    /// Reached over HTTP or SSE, which `portcullis run` cannot stand in front of.
    Remote { url: String },
    /// Not something Portcullis can wrap, and why.
    Unsupported(String),
}

impl State {
    /// The server's own launch, wrapped or not.
    pub fn launch(&self) -> Option<&Launch> {
        match self {
            State::Unprotected(launch) => Some(launch),
            State::Protected(wrapped) => Some(&wrapped.inner),
            _ => None,
        }
    }
}

/// What reading a configuration file gave.
#[derive(Debug, Clone)]
pub enum Content {
    /// It could not be read (permissions, not UTF-8): left alone.
    Unreadable(String),
    /// It does not parse, or parses in a way no edit could be sure of: left alone.
    Broken(String),
    Read {
        text: String,
        servers: Vec<Server>,
    },
}

/// A configuration file and what it holds.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub file: ConfigFile,
    pub content: Content,
}

impl Inspected {
    pub fn servers(&self) -> &[Server] {
        match &self.content {
            Content::Read { servers, .. } => servers,
            _ => &[],
        }
    }
}

/// Reads `file`; `None` when it does not exist.
pub fn inspect(file: ConfigFile) -> Option<Inspected> {
    let content = match std::fs::read(&file.path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => Content::Unreadable(e.to_string()),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(e) => Content::Unreadable(format!("it is not UTF-8 text ({})", e.utf8_error())),
            Ok(text) => match servers(&text, &file) {
                Ok(servers) => Content::Read { text, servers },
                Err(why) => Content::Broken(why),
            },
        },
    };
    Some(Inspected { file, content })
}

/// The servers in `text`, read as `file` says.
pub fn servers(text: &str, file: &ConfigFile) -> Result<Vec<Server>, String> {
    if file.strict_json {
        strict_json(text, file.client)?;
    }
    let doc = Document::parse(text, file.format).map_err(|e| e.to_string())?;
    let found = doc.entries(file.layout).map_err(|e| e.to_string())?;
    Ok(found
        .into_iter()
        .map(|found| {
            let state = match transport(&found.value) {
                Transport::Stdio(launch) => match launch.wrapped() {
                    Some(wrapped) => State::Protected(wrapped),
                    None => State::Unprotected(launch),
                },
                Transport::Remote { url } => State::Remote { url },
                Transport::Unsupported(why) => State::Unsupported(why),
            };
            Server {
                section: found.section,
                name: found.name,
                state,
            }
        })
        .collect())
}

/// Refuses a file its client reads as strict JSON that is not: the client itself would not
/// load it, and an edit would only hide the fault.
fn strict_json(text: &str, client: &str) -> Result<(), String> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(body) else {
        return Ok(());
    };
    let at = format!("line {} column {}", e.line(), e.column());
    Err(match Document::parse(text, Format::Json) {
        Ok(_) => format!(
            "it has a comment or a trailing comma ({at}), which {client} does not accept: it \
             reads strict JSON; remove it and run again"
        ),
        Err(_) => format!("it is not valid JSON ({e}), which {client} needs; fix it and run again"),
    })
}
