//! The canonical rendering of commands: expanded words re-quoted as they would be typed.

use super::MAX_QUOTE;
use super::ast::{Redir, RedirOp};
use super::value::Field;

/// A word as it would be typed: quoted when it holds spaces or shell syntax.
pub(super) fn render_field(f: &Field) -> String {
    if f.dynamic {
        let process_substitution = f.text.starts_with("<(") || f.text.starts_with(">(");
        let bare = process_substitution || !f.text.contains(char::is_whitespace);
        return if bare {
            f.text.clone()
        } else {
            format!("\"{}\"", f.text)
        };
    }
    let plain = |c: char| {
        c.is_alphanumeric() || "-_./:=@%+,~^".contains(c) || (f.glob && "*?[]!()|".contains(c))
    };
    if !f.text.is_empty() && f.text.chars().all(plain) {
        f.text.clone()
    } else {
        format!("'{}'", f.text.replace('\'', r"'\''"))
    }
}

pub(super) fn render_fields(fields: &[Field]) -> String {
    fields
        .iter()
        .map(render_field)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A command quoted in a finding, shortened.
pub(super) fn describe(argv: &[Field]) -> String {
    let text = render_fields(argv);
    match text.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

pub(super) fn render_values(values: &[Field]) -> String {
    match values {
        [one] => render_field(one),
        many => format!("({})", render_fields(many)),
    }
}

pub(super) fn render_redir(r: &Redir, target: &Field) -> String {
    let fd = r.fd.map(|n| n.to_string()).unwrap_or_default();
    match &r.op {
        RedirOp::HereDoc(delimiter) => format!("{fd}<<{delimiter}"),
        op => format!("{fd}{}{}", op.symbol(), render_field(target)),
    }
}
