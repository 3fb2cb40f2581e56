//! What comes back from a server, screened before it reaches the client and its model.
//!
//! - [`content`]: secrets and personal data redacted, hidden text stripped, instructions aimed at
//!   the model flagged, in results, errors, notifications and server-to-client requests.
//! - [`listing`]: `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list`
//!   filtered by policy, by the poisoning detector and by pins.
//! - [`capabilities`]: client capabilities withheld from the server at `initialize`.
//! - [`handshake`]: the server's `instructions` in its `initialize` answer, checked for poisoning.
//!
//! Every function here is pure: it reads a message's [tree](crate::json::tree) and returns
//! [edits](crate::json::edit) to splice into the original bytes, plus what it found. The relay
//! applies them, so what is not changed reaches the client byte for byte.

pub mod capabilities;
pub mod content;
pub mod handshake;
pub mod listing;

/// Why a whole message is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The name reported as the blocking rule, e.g. `sensitive-data`.
    pub rule: &'static str,
    pub reason: String,
    pub evidence: Vec<String>,
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    use crate::detect::paths::PathContext;
    use crate::policy::{Policy, Source, Sources};

    /// The built-in policy with `yaml` as the user's configuration.
    pub(crate) fn policy(yaml: &str) -> Policy {
        let sources = Sources {
            user: Some(Source {
                path: Path::new("user.yaml").to_path_buf(),
                text: yaml.to_owned(),
            }),
            project: None,
        };
        let paths =
            PathContext::for_host(Some(PathBuf::from("/home/u")), PathBuf::from("/home/u/p"));
        Policy::compile(&sources, paths).unwrap_or_else(|e| panic!("{e}"))
    }
}
