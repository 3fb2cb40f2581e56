//! The MCP client configurations on this machine, for `init`, `status` and `scan`: the user's
//! files of every known client, the project files in the current directory, and any named with
//! `--config-file`.

use std::path::{Path, PathBuf};

use anyhow::bail;
use portcullis_clients::inspect::{Inspected, inspect};
use portcullis_clients::known::{ConfigFile, Places, given_file, project_files, user_files};
use portcullis_core::text::shell_word;

/// Every configuration file that exists, each once (a project in the home directory shares its
/// files with the user's).
pub fn discover(given: &[PathBuf]) -> anyhow::Result<Vec<Inspected>> {
    let mut files: Vec<ConfigFile> = Vec::new();
    if let Some(places) = Places::from_env() {
        files.extend(user_files(&places));
    }
    if let Ok(cwd) = std::env::current_dir() {
        files.extend(project_files(&cwd));
    }
    for path in given {
        if !path.is_file() {
            bail!(
                "{} does not exist or is not a file (check the path given to --config-file)",
                path.display()
            );
        }
        files.push(given_file(std::path::absolute(path)?));
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut found = Vec::new();
    for file in files {
        let key = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
        if seen.contains(&key) {
            continue;
        }
        if let Some(inspected) = inspect(file) {
            seen.push(key);
            found.push(inspected);
        }
    }
    Ok(found)
}

/// A path for people: `~/…` under the home directory.
pub fn show_path(path: &Path) -> String {
    let home = Places::from_env().map(|p| p.home);
    match home.as_deref().and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

/// A command line as a shell would take it.
pub fn command_line(argv: &[String]) -> String {
    let words: Vec<_> = argv.iter().map(|w| shell_word(w)).collect();
    words.join(" ")
}
