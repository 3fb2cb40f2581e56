//! The report for people: per server a header, each item with a problem and what is wrong with it
//! (the offending text quoted and marked, a changed definition's lines), the clean items in one
//! line, and a final count. Everything a server sent is escaped.

use std::fmt::Write as _;
use std::io::Write as _;

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use portcullis_core::audit::redact_command;
use portcullis_core::detect::instructions::poisoning::{PoisonCategory, Strength};
use portcullis_core::pins::{Comparison, Definition};
use portcullis_core::text::shell_word;

use super::judge::{Finding, ItemKind, ItemReport, Problem, ServerReport, Status, Summary};
use portcullis_relay::probe::Failure;

use super::quote::{BAD, Mark, quote};
use crate::escape::visible;
use crate::words::count;

/// Findings shown per problem before the rest are counted.
const FINDINGS_SHOWN: usize = 8;

/// Findings of one category in one field shown before the rest are counted.
const PER_KIND: usize = 2;

/// Changed lines of a definition shown before the rest are counted.
const DIFF_LINES: usize = 20;

/// Lines of a failed server's stderr shown.
const STDERR_LINES: usize = 10;

/// Prints the report to stdout, in colour when stdout takes it.
pub fn print(reports: &[ServerReport]) -> anyhow::Result<()> {
    let colour = AutoStream::choice(&std::io::stdout()) != ColorChoice::Never;
    let mark = if colour { Mark::Colour } else { Mark::Plain };
    let mut out = anstream::stdout().lock();
    out.write_all(render(reports, mark).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The whole report.
pub fn render(reports: &[ServerReport], mark: Mark) -> String {
    let mut out = String::new();
    for report in reports {
        server(report, mark, &mut out);
        out.push('\n');
    }
    out.push_str(&summary(reports));
    out.push('\n');
    out
}

/// `3 servers scanned: 1 with problems, 1 failed, 1 clean`.
pub fn summary(reports: &[ServerReport]) -> String {
    let Summary {
        problems,
        failed,
        clean,
    } = Summary::of(reports);
    let servers = match reports.len() {
        1 => "1 server".to_owned(),
        n => format!("{n} servers"),
    };
    format!("{servers} scanned: {problems} with problems, {failed} failed, {clean} clean")
}

fn server(report: &ServerReport, mark: Mark, out: &mut String) {
    let (word, colour) = match report.status() {
        Status::Problems => ("PROBLEMS".to_owned(), AnsiColor::Red),
        Status::Failed => {
            let stage = report.failure.as_ref().map_or("?", |f| f.stage);
            (format!("FAILED ({stage})"), AnsiColor::Yellow)
        }
        Status::Clean => ("clean".to_owned(), AnsiColor::Green),
    };
    let status = mark.style(&word, Style::new().bold().fg_color(Some(colour.into())));
    let target = &report.target;
    let _ = writeln!(
        out,
        "== {} ({}) == {status}",
        visible(&target.name),
        visible(&target.origin)
    );
    let _ = writeln!(out, "  command: {}", command_line(&target.command));
    if let Some(label) = report.server_label() {
        let c = report.counts;
        let _ = writeln!(
            out,
            "  server:  {}; {}, {}, {}, {}",
            visible(&label),
            count(c.tools as u64, "tool", None),
            count(c.prompts as u64, "prompt", None),
            count(c.resources as u64, "resource", None),
            count(c.resource_templates as u64, "resource template", None),
        );
    }
    if let Some(failure) = &report.failure {
        failed(failure, mark, out);
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "  note: {}", visible(warning));
    }
    for item in report.items.iter().filter(|i| !i.problems.is_empty()) {
        problem_item(item, mark, out);
    }
    clean_items(report, out);
    pins_line(report, out);
}

fn failed(failure: &Failure, mark: Mark, out: &mut String) {
    let yellow = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
    let stage = mark.style(&format!("failed at {}", failure.stage), yellow);
    let _ = writeln!(out, "  {stage}: {}", visible(&failure.message));
    let lines: Vec<&str> = failure.stderr.lines().collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "  its stderr ended with:");
        for line in &lines[lines.len().saturating_sub(STDERR_LINES)..] {
            let _ = writeln!(out, "    | {}", visible(line));
        }
    }
}

fn problem_item(item: &ItemReport, mark: Mark, out: &mut String) {
    let _ = writeln!(out, "  {} {}", item.kind.name(), visible(&item.name));
    for problem in &item.problems {
        match problem {
            Problem::Poisoned { summary, findings } => {
                let word = mark.style("POISONED", BAD);
                let _ = writeln!(out, "    {word}: {}", visible(summary));
                findings_lines(findings, mark, out);
            }
            Problem::Changed { pinned, current } => {
                let word = mark.style("CHANGED since pinned (rug pull?)", BAD);
                let _ = writeln!(out, "    {word}: pinned {}", pinned.pinned_at);
                diff(&pinned.definition, current, out);
            }
            Problem::Held(held) => {
                let word = mark.style("HELD for review", BAD);
                let _ = writeln!(
                    out,
                    "    {word} since {}: {}",
                    held.held_at,
                    visible(&held.reason)
                );
            }
            Problem::DeniedByPolicy { rule, reason } => {
                let word = mark.style("DENIED by policy", BAD);
                let _ = writeln!(
                    out,
                    "    {word} (rule {}): {}",
                    visible(rule),
                    visible(reason)
                );
            }
        }
    }
    if let Some(state) = item.pin.filter(|s| *s != Comparison::Changed) {
        let _ = writeln!(out, "    pin: {}", pin_words(state));
    }
}

/// The findings, at most [`PER_KIND`] of a category in a field (an invisible character
/// between every word is one finding each) and [`FINDINGS_SHOWN`] in all; the rest counted.
fn findings_lines(findings: &[Finding], mark: Mark, out: &mut String) {
    let mut groups: Vec<((PoisonCategory, &str), usize)> = Vec::new();
    let mut shown = 0;
    for finding in findings {
        let key = (finding.finding.category, finding.finding.field.as_str());
        let seen = match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => n,
            None => {
                groups.push((key, 0));
                &mut groups.last_mut().expect("just pushed").1
            }
        };
        *seen += 1;
        if *seen <= PER_KIND && shown < FINDINGS_SHOWN {
            finding_line(finding, mark, out);
            shown += 1;
        }
    }
    let more = findings.len() - shown;
    if more > 0 {
        let _ = writeln!(out, "      and {more} more like these");
    }
}

fn finding_line(finding: &Finding, mark: Mark, out: &mut String) {
    let f = &finding.finding;
    let weak = match f.strength {
        Strength::Weak => ", weak",
        Strength::Strong => "",
    };
    let _ = writeln!(
        out,
        "      {} in {}{weak}: {}",
        f.category.name(),
        visible(&f.field),
        quote(&finding.text, f.start, f.end, mark)
    );
    // Hidden text spelled out character by character is unreadable; the detector decoded it.
    if f.category == PoisonCategory::InvisibleText && !f.evidence.is_empty() {
        let _ = writeln!(out, "        reads: {}", visible(&f.evidence));
    }
}

/// The changed lines of a definition, with the line before each change for context.
fn diff(pinned: &Definition, current: &Definition, out: &mut String) {
    let (old, new) = (pinned.pretty_lines(), current.pretty_lines());
    let changes = Definition::line_changes(&old, &new);
    let mut shown = 0;
    for (i, (mark, line)) in changes.iter().enumerate() {
        let next_changes = changes.get(i + 1).is_some_and(|(m, _)| *m != ' ');
        if *mark == ' ' && !next_changes {
            continue;
        }
        if shown == DIFF_LINES {
            let left = changes[i..].iter().filter(|(m, _)| *m != ' ').count();
            let _ = writeln!(out, "      ... and {left} more changed lines");
            return;
        }
        let _ = writeln!(out, "      {mark} {}", visible(line));
        shown += 1;
    }
}

/// The items without problems, by kind: `clean: 3 tools (a, b, c); 1 prompt (p)`.
fn clean_items(report: &ServerReport, out: &mut String) {
    let clean: Vec<&ItemReport> = report
        .items
        .iter()
        .filter(|i| i.problems.is_empty())
        .collect();
    if clean.is_empty() {
        return;
    }
    let mut groups: Vec<(ItemKind, Vec<String>)> = Vec::new();
    for item in clean {
        let name = visible(&item.name).into_owned();
        match groups.iter_mut().find(|(kind, _)| *kind == item.kind) {
            Some((_, names)) => names.push(name),
            None => groups.push((item.kind, vec![name])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(kind, names)| {
            let what = match kind {
                ItemKind::Instructions => "instructions".to_owned(),
                ItemKind::Listed(_) => count(names.len() as u64, kind.name(), None),
            };
            match kind {
                ItemKind::Instructions => what,
                ItemKind::Listed(_) => format!("{what} ({})", names.join(", ")),
            }
        })
        .collect();
    let _ = writeln!(out, "  clean: {}", parts.join("; "));
}

/// How the pinned items compare with their pins, counted.
fn pins_line(report: &ServerReport, out: &mut String) {
    let states: Vec<Comparison> = report.items.iter().filter_map(|i| i.pin).collect();
    if states.is_empty() {
        return;
    }
    if !report.known_to_pins {
        let _ = writeln!(
            out,
            "  pins: none yet (`portcullis run --name {} -- ...` with this exact command pins \
             its items on first use)",
            shell_word(&report.target.name)
        );
        return;
    }
    let mut parts = Vec::new();
    for state in [
        Comparison::Changed,
        Comparison::NotPinned,
        Comparison::Unchanged,
        Comparison::Accepted,
    ] {
        let n = states.iter().filter(|s| **s == state).count();
        if n > 0 {
            parts.push(format!("{n} {}", pin_words(state)));
        }
    }
    let _ = writeln!(out, "  pins: {}", parts.join(", "));
}

fn pin_words(state: Comparison) -> &'static str {
    match state {
        Comparison::NotPinned => "not pinned yet",
        Comparison::Unchanged => "pinned, unchanged",
        Comparison::Accepted => "accepted by you, unchanged",
        Comparison::Changed => "CHANGED since pinned",
    }
}

/// The command as a shell would take it, secrets redacted and hidden characters written out.
pub fn command_line(command: &[String]) -> String {
    let words: Vec<String> = redact_command(command)
        .iter()
        .map(|w| shell_word(w).into_owned())
        .collect();
    visible(&words.join(" ")).into_owned()
}
