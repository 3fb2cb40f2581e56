//! `portcullis validate`: load configuration the way `run` would, and report precisely.

use std::path::PathBuf;

use portcullis_core::policy::{Policy, Sources};

use crate::config::{path_context, project_config_path, read_source, user_config_path};

/// Exit codes: 0 valid, 1 invalid, 2 error (unreadable file).
pub fn run(file: Option<PathBuf>, project: bool) -> anyhow::Result<u8> {
    let paths = path_context()?;
    let sources = match file {
        Some(path) if project => Sources {
            user: None,
            project: Some(read_source(&path)?),
        },
        Some(path) => Sources {
            user: Some(read_source(&path)?),
            project: None,
        },
        None => Sources {
            user: user_config_path(None)?
                .map(|p| read_source(&p))
                .transpose()?,
            project: project_config_path(&paths.cwd)
                .map(|p| read_source(&p))
                .transpose()?,
        },
    };
    let checked: Vec<String> = sources
        .user
        .iter()
        .chain(sources.project.iter())
        .map(|s| s.path.display().to_string())
        .collect();
    match Policy::compile(&sources, paths) {
        Ok(policy) => {
            let files = if checked.is_empty() {
                "built-in policy only".to_owned()
            } else {
                checked.join(", ")
            };
            println!("ok: {files} ({} rules in effect)", policy.rules().count());
            Ok(0)
        }
        Err(err) => {
            eprintln!("error: {err}");
            Ok(1)
        }
    }
}
