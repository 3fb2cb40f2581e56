//! The report for machines: one JSON document (its shape is in docs/scan.md). Offsets are bytes
//! of the UTF-8 text; characters a terminal would act on or hide are written as JSON escapes.

use serde_json::{Value, json};

use super::judge::{ItemReport, Problem, ServerReport, Summary};
use crate::escape::visible_json;

/// The document, as text.
pub fn document(reports: &[ServerReport]) -> String {
    let servers: Vec<Value> = reports.iter().map(server).collect();
    let summary = Summary::of(reports);
    let document = json!({
        "servers": servers,
        "summary": {
            "servers": reports.len(),
            "with_problems": summary.problems,
            "failed": summary.failed,
            "clean": summary.clean,
        },
    });
    let text = serde_json::to_string_pretty(&document).expect("JSON values serialize");
    visible_json(&text).into_owned()
}

fn server(report: &ServerReport) -> Value {
    let target = &report.target;
    let c = report.counts;
    json!({
        "origin": target.origin,
        "name": target.name,
        "command": portcullis_core::audit::redact_command(&target.command),
        "status": if report.failed() { "failed" } else { "ok" },
        "failure": report.failure.as_ref().map(|f| json!({
            "stage": f.stage,
            "message": f.message,
            "stderr": f.stderr,
        })),
        "server_info": report.server_info,
        "counts": {
            "tools": c.tools,
            "prompts": c.prompts,
            "resources": c.resources,
            "resource_templates": c.resource_templates,
        },
        "warnings": report.warnings,
        "items": report.items.iter().map(item).collect::<Vec<_>>(),
    })
}

fn item(item: &ItemReport) -> Value {
    let mut value = json!({
        "kind": item.kind.name(),
        "name": item.name,
        "pin": item.pin.map(|p| p.name()),
        "problems": item.problems.iter().map(problem).collect::<Vec<_>>(),
    });
    if !item.problems.is_empty() {
        value["definition"] = item.value.clone();
    }
    value
}

fn problem(problem: &Problem) -> Value {
    let mut value = match problem {
        Problem::Poisoned { summary, findings } => json!({
            "summary": summary,
            "findings": findings.iter().map(|f| json!({
                "field": f.finding.field,
                "category": f.finding.category.name(),
                "strength": match f.finding.strength {
                    portcullis_core::detect::instructions::poisoning::Strength::Strong => "strong",
                    portcullis_core::detect::instructions::poisoning::Strength::Weak => "weak",
                },
                "text": f.span(),
                "start": f.finding.start,
                "end": f.finding.end,
            })).collect::<Vec<_>>(),
        }),
        Problem::Changed { pinned, current } => json!({
            "summary": "the definition changed since it was pinned (possible rug pull)",
            "pinned_at": pinned.pinned_at,
            "pinned_hash": pinned.definition.hash,
            "hash": current.hash,
            "diff": portcullis_core::pins::Definition::line_changes(
                &pinned.definition.pretty_lines(),
                &current.pretty_lines(),
            )
            .iter()
            .filter(|(mark, _)| *mark != ' ')
            .map(|(mark, line)| format!("{mark}{line}"))
            .collect::<Vec<_>>(),
        }),
        Problem::Held(held) => json!({
            "summary": held.reason,
            "held_at": held.held_at,
            "hash": held.definition.hash,
        }),
        Problem::DeniedByPolicy { rule, reason } => json!({
            "summary": reason,
            "rule": rule,
        }),
    };
    value["type"] = json!(problem.name());
    value
}
