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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::audit::{AuditSettings, Detail};
    use crate::detect::paths::PathContext;
    use crate::policy::{ConfigError, Policy, Source, Sources};

    fn compile(user: &str, project: Option<&str>) -> Result<AuditSettings, ConfigError> {
        let source = |path: &str, text: &str| Source {
            path: PathBuf::from(path),
            text: text.to_owned(),
        };
        let sources = Sources {
            user: Some(source("user.yaml", user)),
            project: project.map(|text| source(".portcullis.yaml", text)),
        };
        let paths = PathContext::for_host(Some(PathBuf::from("/home/u")), PathBuf::from("/p"));
        Policy::compile(&sources, paths).map(|policy| policy.audit)
    }

    #[test]
    fn defaults_record_everything_redacted_for_thirty_days() {
        let settings = compile("", None).unwrap();
        assert_eq!(settings, AuditSettings::default());
        assert!(settings.enabled && settings.allowed && !settings.stderr);
        assert_eq!(settings.detail, Detail::Redacted);
        assert_eq!(settings.retention_days, 30);
        assert_eq!(settings.jsonl, None);
    }

    #[test]
    fn the_user_sets_every_field() {
        let yaml = "audit:\n  allowed: false\n  detail: none\n  stderr: true\n  \
                    retention: {days: 7, max_mb: 10}\n  jsonl: {path: ~/log/a.jsonl, max_mb: 2, keep: 1}\n";
        let settings = compile(yaml, None).unwrap();
        assert!(!settings.allowed && settings.stderr);
        assert_eq!(settings.detail, Detail::None);
        assert_eq!((settings.retention_days, settings.max_bytes), (7, 10 << 20));
        let jsonl = settings.jsonl.unwrap();
        assert_eq!(jsonl.path, PathBuf::from("/home/u/log/a.jsonl"));
        assert_eq!((jsonl.max_bytes, jsonl.keep), (2 << 20, 1));
    }

    #[test]
    fn mistakes_are_reported_at_their_line() {
        let err = compile("audit:\n  jsonl: {path: logs/a.jsonl}\n", None).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("absolute path"), "{err}");
        let err = compile("audit:\n  detail: full\n", None).unwrap_err();
        assert!(err.message.contains("unknown variant"), "{err}");
        let err = compile("audit:\n  retain: 3\n", None).unwrap_err();
        assert!(err.message.contains("unknown field"), "{err}");
    }

    #[test]
    fn a_project_cannot_touch_the_trail() {
        let err = compile("", Some("rules: []\naudit:\n  enabled: false\n")).unwrap_err();
        assert_eq!(err.file, PathBuf::from(".portcullis.yaml"));
        assert_eq!(err.line, 3, "{err}");
        assert!(
            err.message.contains("cannot change the audit trail"),
            "{err}"
        );
    }
}
