//! `portcullis rules`: the effective rules, in the order they are evaluated.

use std::path::PathBuf;

use portcullis_core::audit::{AuditSettings, Detail};
use portcullis_core::policy::{RedactAction, Screening};

use crate::config::load_policy;

pub fn run(config: Option<PathBuf>) -> anyhow::Result<u8> {
    let policy = load_policy(config)?;
    let rows: Vec<[String; 5]> = policy
        .rules()
        .enumerate()
        .map(|(i, r)| {
            [
                (i + 1).to_string(),
                r.name.clone(),
                action_text(r),
                r.direction_name().to_owned(),
                r.origin.to_string(),
            ]
        })
        .collect();
    let header = ["#", "rule", "action", "direction", "from"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    println!(
        "default: {} (when no rule matches)",
        policy.default_action().name()
    );
    for r in policy.disabled_rules() {
        println!(
            "disabled: {} (built-in, switched off by disable_builtin)",
            r.name
        );
    }
    print_screening(&policy.screening);
    print_audit(&policy.audit);
    Ok(0)
}

/// What the audit trail keeps (docs/audit.md).
fn print_audit(audit: &AuditSettings) {
    if !audit.enabled {
        println!("\naudit trail: off");
        return;
    }
    let days = match audit.retention_days {
        0 => "forever".to_owned(),
        n => format!("{n} days"),
    };
    let size = match audit.max_bytes {
        0 => "no size limit".to_owned(),
        bytes => format!("at most {} MB", bytes >> 20),
    };
    let detail = match audit.detail {
        Detail::Redacted => "redacted summaries",
        Detail::None => "no summaries",
    };
    let which = if audit.allowed {
        "every message"
    } else {
        "messages something was done to"
    };
    println!("\naudit trail: {which}, {detail}, kept {days}, {size}");
    if audit.stderr {
        println!("  servers' stderr kept, redacted");
    }
    if let Some(jsonl) = &audit.jsonl {
        println!(
            "  JSON Lines copy: {} (rotated past {} MB, {} kept)",
            jsonl.path.display(),
            jsonl.max_bytes >> 20,
            jsonl.keep
        );
    }
}

/// The action, with an `ask` rule's timeout and what "always" may cover.
fn action_text(rule: &portcullis_core::policy::Rule) -> String {
    if rule.action != portcullis_core::policy::Action::Ask {
        return rule.action.name().to_owned();
    }
    let always = match rule.ask.always {
        portcullis_core::policy::Always::Pattern => "exact or pattern",
        portcullis_core::policy::Always::Exact => "exact only",
        portcullis_core::policy::Always::Never => "never",
    };
    format!("ask ({} s, always: {always})", rule.ask.timeout.as_secs())
}

/// The settings for what servers send back, grouped by action.
fn print_screening(screening: &Screening) {
    println!("\nwhat servers send back:");
    for action in [
        RedactAction::Deny,
        RedactAction::Redact,
        RedactAction::Log,
        RedactAction::Off,
    ] {
        let kinds: Vec<&str> = screening
            .data_actions()
            .filter(|(_, a)| *a == action)
            .map(|(kind, _)| kind.name())
            .collect();
        if !kinds.is_empty() {
            println!("  {:<8}{}", action.name(), kinds.join(", "));
        }
    }
    let stripped: Vec<&str> = screening
        .strip_capabilities
        .iter()
        .map(|c| c.name())
        .collect();
    println!(
        "  injection: {}, strip_hidden: {}, poisoning: {}, pinning: {}, capabilities stripped: {}",
        screening.injection.name(),
        screening.strip_hidden,
        screening.poisoning.name(),
        screening.pinning,
        if stripped.is_empty() {
            "none".to_owned()
        } else {
            stripped.join(", ")
        }
    );
}
