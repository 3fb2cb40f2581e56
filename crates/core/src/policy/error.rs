//! Configuration errors that say what is wrong, where, and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error in a configuration file, located at `file:line:column` (line 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: String,
}

impl ConfigError {
    pub(crate) fn from_yaml(file: &Path, err: &serde_saphyr::Error) -> Self {
        let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
        let message = first_line_without_location(&err.to_string());
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            hint: hint_for(&message).to_owned(),
            message,
        }
    }
}

/// serde-saphyr adds its own `error: line L column C:` text; ours is the `file:line:col` prefix.
fn first_line_without_location(text: &str) -> String {
    let mut first = text.lines().next().unwrap_or(text).trim();
    first = first.strip_prefix("error:").unwrap_or(first).trim_start();
    if let Some(rest) = first.strip_prefix("line ")
        && let Some((_, message)) = rest.split_once(": ")
    {
        first = message;
    }
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

fn hint_for(message: &str) -> &'static str {
    if message.contains("unknown field") {
        "check the spelling; docs/policy.md lists every field"
    } else if message.contains("unknown variant") {
        "use one of the values listed above"
    } else if message.contains("duplicate") {
        "each key may appear once per mapping"
    } else if message.contains("missing field") {
        "add the field; docs/policy.md shows a complete rule"
    } else {
        "see docs/policy.md for the configuration format"
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
