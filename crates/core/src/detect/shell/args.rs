//! Command-line option parsing, shared by wrappers, downloaders and detectors.

use super::value::Field;

/// Option syntax for [`parse_args`]: short options that take a value (glued or in the next word)
/// and long options that take one (as `--opt=value` or in the next word).
#[derive(Debug, Clone, Copy)]
pub(super) struct OptSpec {
    pub(super) short: &'static str,
    pub(super) long: &'static [&'static str],
}

pub(super) const NO_OPTS: OptSpec = OptSpec {
    short: "",
    long: &[],
};

/// One element of a parsed command line.
#[derive(Debug)]
pub(super) enum Arg {
    Flag(String),
    Valued(String, Field),
    /// Index into the arguments.
    Operand(usize),
}

/// Splits arguments into options and operands. With `stop_at_operand` parsing ends at the first
/// operand (a wrapper's command, whose own options follow); returns where it stopped.
pub(super) fn parse_args(
    args: &[Field],
    spec: OptSpec,
    stop_at_operand: bool,
) -> (Vec<Arg>, usize) {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        if a.dynamic || !t.starts_with('-') || t == "-" {
            if stop_at_operand {
                break;
            }
            out.push(Arg::Operand(i));
            i += 1;
            continue;
        }
        i += 1;
        if t == "--" {
            if !stop_at_operand {
                out.extend((i..args.len()).map(Arg::Operand));
                i = args.len();
            }
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => out.push(Arg::Valued(
                    name.to_owned(),
                    Field {
                        text: value.to_owned(),
                        ..a.clone()
                    },
                )),
                None if spec.long.contains(&long) => {
                    out.push(Arg::Valued(
                        long.to_owned(),
                        args.get(i).cloned().unwrap_or_default(),
                    ));
                    i += 1;
                }
                None => out.push(Arg::Flag(long.to_owned())),
            }
            continue;
        }
        for (k, c) in t.char_indices().skip(1) {
            if spec.short.contains(c) {
                let rest = &t[k + c.len_utf8()..];
                let value = if rest.is_empty() {
                    i += 1;
                    args.get(i - 1).cloned().unwrap_or_default()
                } else {
                    Field {
                        text: rest.to_owned(),
                        ..a.clone()
                    }
                };
                out.push(Arg::Valued(c.to_string(), value));
                break;
            }
            out.push(Arg::Flag(c.to_string()));
        }
    }
    (out, i.min(args.len()))
}

pub(super) fn has_flag(opts: &[Arg], names: &[&str]) -> bool {
    opts.iter()
        .any(|o| matches!(o, Arg::Flag(n) if names.contains(&n.as_str())))
}

pub(super) fn option_value<'a>(opts: &'a [Arg], names: &[&str]) -> Option<&'a Field> {
    opts.iter().rev().find_map(|o| match o {
        Arg::Valued(n, v) if names.contains(&n.as_str()) => Some(v),
        _ => None,
    })
}

/// Words that are not options (a rough cut for programs whose options take no separate value).
pub(super) fn operands(args: &[Field]) -> Vec<&Field> {
    args.iter()
        .filter(|a| a.dynamic || !a.text.starts_with('-') || a.text == "-")
        .collect()
}
