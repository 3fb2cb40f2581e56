//! Compiling the `audit:` section. Only the user's configuration may have one: a project file
//! that could switch the trail off, or point its JSON Lines copy at a file of its choosing, would
//! be a way to hide what a server did.

use std::path::{Path, PathBuf};

use super::compile::PROJECT_HINT;
use super::config::ConfigFile;
use super::error::ConfigError;
use crate::audit::{AuditSettings, JsonlSettings};

const MB: u64 = 1 << 20;
const JSONL_MAX_MB: u64 = 64;
const JSONL_KEEP: u32 = 5;

/// The settings from the user's file over the defaults; a project file's `audit:` is an error.
pub(super) fn compile(
    user: Option<(&Path, &ConfigFile)>,
    project: Option<(&Path, &ConfigFile)>,
    home: Option<&Path>,
) -> Result<AuditSettings, ConfigError> {
    if let Some((file, project)) = project
        && let Some(audit) = &project.audit
    {
        return Err(ConfigError::at(
            file,
            audit.referenced,
            "a project file cannot change the audit trail",
            PROJECT_HINT,
        ));
    }
    let mut settings = AuditSettings::default();
    let Some((file, Some(audit))) = user.map(|(f, c)| (f, c.audit.as_ref())) else {
        return Ok(settings);
    };
    let config = &audit.value;
    settings.enabled = config.enabled.unwrap_or(settings.enabled);
    settings.allowed = config.allowed.unwrap_or(settings.allowed);
    settings.detail = config.detail.unwrap_or(settings.detail);
    settings.stderr = config.stderr.unwrap_or(settings.stderr);
    if let Some(retention) = &config.retention {
        settings.retention_days = retention.days.unwrap_or(settings.retention_days);
        if let Some(mb) = retention.max_mb {
            settings.max_bytes = mb.saturating_mul(MB);
        }
    }
    if let Some(jsonl) = &config.jsonl {
        let path = absolute(&jsonl.value.path, home).ok_or_else(|| {
            ConfigError::at(
                file,
                jsonl.referenced,
                format!(
                    "`audit.jsonl.path` must be an absolute path or start with `~/`, not {:?}",
                    jsonl.value.path
                ),
                "write the full path, e.g. ~/.local/state/portcullis/audit.jsonl",
            )
        })?;
        let max_mb = jsonl.value.max_mb.unwrap_or(JSONL_MAX_MB);
        if max_mb == 0 {
            return Err(ConfigError::at(
                file,
                jsonl.referenced,
                "`audit.jsonl.max_mb` must be at least 1",
                "the file is rotated when it grows past this size",
            ));
        }
        settings.jsonl = Some(JsonlSettings {
            path,
            max_bytes: max_mb.saturating_mul(MB),
            keep: jsonl.value.keep.unwrap_or(JSONL_KEEP),
        });
    }
    Ok(settings)
}

fn absolute(path: &str, home: Option<&Path>) -> Option<PathBuf> {
    let expanded = match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        (Some(_), None) => return None,
        (None, _) => PathBuf::from(path),
    };
    expanded.is_absolute().then_some(expanded)
}
