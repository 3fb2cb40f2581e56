//! Settings for what comes back from servers: redaction of secrets and personal data, prompt
//! injection in results, hidden text, poisoned definitions, pinning and client capabilities.
//!
//! Each setting is resolved layer by layer: the built-in defaults (in `builtin.yaml`), then the
//! user's configuration, then the project file, which may only make a setting stricter.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::config::ConfigFile;
use super::error::ConfigError;
use crate::detect::pii::{PiiKind, PiiKinds};
use crate::detect::secrets::SecretKind;

/// What to do with one type of sensitive data in a server's message. Ordered by strictness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedactAction {
    Off,
    /// Record the finding and deliver the message unchanged.
    Log,
    /// Replace the value whole with `[REDACTED:<type>]`.
    Redact,
    /// Withhold the whole message (a request's answer becomes an error).
    Deny,
}

impl RedactAction {
    pub fn name(self) -> &'static str {
        match self {
            RedactAction::Off => "off",
            RedactAction::Log => "log",
            RedactAction::Redact => "redact",
            RedactAction::Deny => "deny",
        }
    }
}

/// What to do with a result that carries instructions aimed at the model. Ordered by strictness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectionAction {
    Off,
    Log,
    /// Deliver the result after a warning that tells the model the content is untrusted data.
    Warn,
    Deny,
}

impl InjectionAction {
    pub fn name(self) -> &'static str {
        match self {
            InjectionAction::Off => "off",
            InjectionAction::Log => "log",
            InjectionAction::Warn => "warn",
            InjectionAction::Deny => "deny",
        }
    }
}

/// What to do with a poisoned tool, prompt or resource template. Ordered by strictness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoisoningAction {
    Off,
    Log,
    /// Remove the offending text and hidden characters, keep the item.
    Sanitize,
    /// Hide the item from the client and deny calls to it until the user accepts it.
    Quarantine,
}

impl PoisoningAction {
    pub fn name(self) -> &'static str {
        match self {
            PoisoningAction::Off => "off",
            PoisoningAction::Log => "log",
            PoisoningAction::Sanitize => "sanitize",
            PoisoningAction::Quarantine => "quarantine",
        }
    }
}

/// A client capability a server can use against it, which configuration can withhold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The server may ask the client's model to generate text (`sampling/createMessage`).
    Sampling,
    /// The server may ask the user for input (`elicitation/create`).
    Elicitation,
    /// The server may list the client's workspace roots (`roots/list`).
    Roots,
}

impl Capability {
    /// The key in `initialize`'s `capabilities`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Sampling => "sampling",
            Capability::Elicitation => "elicitation",
            Capability::Roots => "roots",
        }
    }

    /// The capability a server-to-client request needs, if any.
    pub fn needed_by(method: &str) -> Option<Self> {
        match method {
            "sampling/createMessage" => Some(Capability::Sampling),
            "elicitation/create" => Some(Capability::Elicitation),
            "roots/list" => Some(Capability::Roots),
            _ => None,
        }
    }
}

/// `capabilities:` in a configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilitiesConfig {
    /// Capabilities removed from the client's `initialize` request.
    #[serde(default)]
    pub strip: Vec<Spanned<Capability>>,
}

/// A type of sensitive data: a secret format or a kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    Secret(SecretKind),
    Pii(PiiKind),
}

impl DataKind {
    /// What a redacted value of this kind becomes where no tag is added: `[REDACTED:<name>]`.
    pub fn marker(self) -> String {
        format!("[REDACTED:{}]", self.name())
    }

    /// The name used in configuration and in `[REDACTED:<name>]`.
    pub fn name(self) -> &'static str {
        match self {
            DataKind::Secret(kind) => kind.name(),
            DataKind::Pii(kind) => kind.name(),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            DataKind::Secret(kind) => kind.describe(),
            DataKind::Pii(kind) => kind.describe(),
        }
    }
}

/// The key of `redact:` that sets every secret kind at once.
const ALL_SECRETS: &str = "secrets";

/// The compiled settings.
#[derive(Debug, Clone)]
pub struct Screening {
    secrets: Vec<(SecretKind, RedactAction)>,
    pii: Vec<(PiiKind, RedactAction)>,
    pub injection: InjectionAction,
    /// Remove ANSI escapes and invisible Unicode from text a server sends.
    pub strip_hidden: bool,
    pub poisoning: PoisoningAction,
    pub pinning: bool,
    pub strip_capabilities: Vec<Capability>,
}

impl Screening {
    pub fn action(&self, kind: DataKind) -> RedactAction {
        let found = match kind {
            DataKind::Secret(k) => self.secrets.iter().find(|(s, _)| *s == k).map(|e| e.1),
            DataKind::Pii(k) => self.pii.iter().find(|(p, _)| *p == k).map(|e| e.1),
        };
        found.unwrap_or(RedactAction::Off)
    }

    /// Whether any secret kind is looked for at all.
    pub fn scans_secrets(&self) -> bool {
        self.secrets.iter().any(|(_, a)| *a != RedactAction::Off)
    }

    /// The kinds of personal data that are looked for.
    pub fn pii_kinds(&self) -> PiiKinds {
        self.pii
            .iter()
            .filter(|(_, a)| *a != RedactAction::Off)
            .fold(PiiKinds::none(), |set, (k, _)| set.with(*k))
    }

    /// Every data kind with its action, for `portcullis rules`.
    pub fn data_actions(&self) -> impl Iterator<Item = (DataKind, RedactAction)> + '_ {
        let secrets = self.secrets.iter().map(|(k, a)| (DataKind::Secret(*k), *a));
        secrets.chain(self.pii.iter().map(|(k, a)| (DataKind::Pii(*k), *a)))
    }
}

/// One configuration layer with the file it came from.
pub(super) struct Layer<'a> {
    pub file: &'a Path,
    pub config: &'a ConfigFile,
}

/// Resolves the settings over the built-in, user and project layers.
pub(super) fn compile(
    builtin: Layer<'_>,
    user: Option<Layer<'_>>,
    project: Option<Layer<'_>>,
) -> Result<Screening, ConfigError> {
    for layer in std::iter::once(&builtin).chain(&user).chain(&project) {
        check_redact_keys(layer)?;
    }
    let base: Vec<&Layer<'_>> = std::iter::once(&builtin).chain(&user).collect();
    let data = |kind: DataKind| -> Result<RedactAction, ConfigError> {
        let base = base
            .iter()
            .rev()
            .find_map(|l| redact_setting(l.config, kind));
        let base = base.unwrap_or(RedactAction::Off);
        tighten(
            project.as_ref(),
            base,
            |c| Some((redact_setting(c, kind)?, c.redact.as_ref()?.referenced)),
            &format!("redact: {}", kind.name()),
        )
    };
    let secrets = SecretKind::ALL
        .into_iter()
        .map(|k| Ok((k, data(DataKind::Secret(k))?)))
        .collect::<Result<_, ConfigError>>()?;
    let pii = PiiKind::ALL
        .into_iter()
        .map(|k| Ok((k, data(DataKind::Pii(k))?)))
        .collect::<Result<_, ConfigError>>()?;

    let setting = |get: &dyn Fn(&ConfigFile) -> Option<bool>| {
        base.iter()
            .rev()
            .find_map(|l| get(l.config))
            .unwrap_or(false)
    };
    let spanned_bool = |c: &ConfigFile, get: fn(&ConfigFile) -> Option<&Spanned<bool>>| {
        get(c).map(|s| (s.value, s.referenced))
    };
    let strip_hidden = tighten(
        project.as_ref(),
        setting(&|c| c.strip_hidden.as_ref().map(|s| s.value)),
        |c| spanned_bool(c, |c| c.strip_hidden.as_ref()),
        "strip_hidden",
    )?;
    let pinning = tighten(
        project.as_ref(),
        setting(&|c| c.pinning.as_ref().map(|s| s.value)),
        |c| spanned_bool(c, |c| c.pinning.as_ref()),
        "pinning",
    )?;
    let injection = tighten(
        project.as_ref(),
        last(&base, |c| c.injection.as_ref().map(|s| s.value)).unwrap_or(InjectionAction::Off),
        |c| c.injection.as_ref().map(|s| (s.value, s.referenced)),
        "injection",
    )?;
    let poisoning = tighten(
        project.as_ref(),
        last(&base, |c| c.poisoning.as_ref().map(|s| s.value)).unwrap_or(PoisoningAction::Off),
        |c| c.poisoning.as_ref().map(|s| (s.value, s.referenced)),
        "poisoning",
    )?;
    // Stripping a capability only ever tightens, so every layer adds to the list.
    let mut strip_capabilities: Vec<Capability> = std::iter::once(&builtin)
        .chain(&user)
        .chain(&project)
        .filter_map(|l| l.config.capabilities.as_ref())
        .flat_map(|c| c.strip.iter().map(|s| s.value))
        .collect();
    strip_capabilities.sort();
    strip_capabilities.dedup();
    Ok(Screening {
        secrets,
        pii,
        injection,
        strip_hidden,
        poisoning,
        pinning,
        strip_capabilities,
    })
}

/// The value the last layer that sets it gives.
fn last<T>(layers: &[&Layer<'_>], get: impl Fn(&ConfigFile) -> Option<T>) -> Option<T> {
    layers.iter().rev().find_map(|l| get(l.config))
}

/// `base`, or the project's setting when it is at least as strict; a looser one is an error.
fn tighten<T: Ord + Copy + std::fmt::Debug>(
    project: Option<&Layer<'_>>,
    base: T,
    get: impl Fn(&ConfigFile) -> Option<(T, serde_saphyr::Location)>,
    what: &str,
) -> Result<T, ConfigError> {
    let Some(layer) = project else {
        return Ok(base);
    };
    match get(layer.config) {
        Some((value, _)) if value >= base => Ok(value),
        Some((value, at)) => Err(ConfigError::at(
            layer.file,
            at,
            format!(
                "a project file cannot loosen `{what}` to {} (the user's setting is {})",
                shown(value),
                shown(base)
            ),
            super::compile::PROJECT_HINT,
        )),
        None => Ok(base),
    }
}

/// A setting as written in YAML (`Redact` → `redact`, `false` → `false`).
fn shown<T: std::fmt::Debug>(value: T) -> String {
    format!("{value:?}").to_lowercase()
}

/// The action a layer's `redact:` gives `kind`: its own key, else `secrets` for a secret kind.
fn redact_setting(config: &ConfigFile, kind: DataKind) -> Option<RedactAction> {
    let map: &BTreeMap<String, RedactAction> = &config.redact.as_ref()?.value;
    map.get(kind.name()).copied().or_else(|| match kind {
        DataKind::Secret(_) => map.get(ALL_SECRETS).copied(),
        DataKind::Pii(_) => None,
    })
}

/// Every key of `redact:` must name a data kind.
fn check_redact_keys(layer: &Layer<'_>) -> Result<(), ConfigError> {
    let Some(redact) = &layer.config.redact else {
        return Ok(());
    };
    let known = |key: &str| {
        key == ALL_SECRETS
            || SecretKind::from_name(key).is_some()
            || PiiKind::from_name(key).is_some()
    };
    match redact.value.keys().find(|k| !known(k)) {
        None => Ok(()),
        Some(key) => {
            let names: Vec<&str> = std::iter::once(ALL_SECRETS)
                .chain(SecretKind::ALL.iter().map(|k| k.name()))
                .chain(PiiKind::ALL.iter().map(|k| k.name()))
                .collect();
            Err(ConfigError::at(
                layer.file,
                redact.referenced,
                format!("`redact` names {key:?}, which is not a type of data Portcullis detects"),
                &format!("use one of: {}", names.join(", ")),
            ))
        }
    }
}
