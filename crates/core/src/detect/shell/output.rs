//! What commands print, as far as it matters: known text, and whether the bytes were downloaded or
//! decoded.

use super::MAX_VALUE_LEN;
use super::analyze::Analyzer;
use super::args::operands;
use super::decode::{base64_decode, decode_escapes, has_byte_escapes, hex_decode};
use super::delete::find_roots;
use super::download::{Decoder, Download, decoder, download_target};
use super::render::describe;
use super::value::{Field, Flow, Scope, Taint};

/// Builtins and file utilities that print nothing.
const QUIET: [&str; 24] = [
    "cd", "pushd", "popd", "export", "local", "declare", "typeset", "readonly", "unset", "true",
    "false", ":", "shift", "umask", "wait", "sleep", "mkdir", "rm", "rmdir", "touch", "chmod",
    "chown", "ln", "kill",
];

/// Filters whose output is a selection of their input lines.
const SELECTORS: [&str; 8] = [
    "grep", "egrep", "fgrep", "head", "tail", "sort", "uniq", "tac",
];

impl Analyzer {
    /// What a command prints, as far as it matters: known text, and where the bytes came from.
    pub(super) fn stdout_flow(
        &mut self,
        key: &str,
        argv: &[Field],
        stdin: &Flow,
        scope: &Scope,
    ) -> Flow {
        let args = &argv[1..];
        if let Some(download) = download_target(key, args) {
            let taint = Taint {
                downloaded: Some(describe(argv)),
                ..Taint::default()
            };
            return match download {
                Download::Stdout => Flow {
                    taint,
                    ..Flow::default()
                },
                Download::Files(files) => {
                    let content = Flow {
                        taint,
                        ..Flow::default()
                    };
                    for f in files {
                        self.record_written(&Field::known(&f), &content, false, scope);
                    }
                    Flow::empty()
                }
            };
        }
        if let Some(d) = decoder(key, args) {
            return self.decode_flow(&d, argv, stdin, scope);
        }
        match key {
            "echo" => echo_flow(argv),
            "printf" => printf_flow(argv),
            "cat" => match operands(args).as_slice() {
                [] => stdin.clone(),
                [f] if f.text == "-" => stdin.clone(),
                [f] => self.file_flow(f, scope),
                files => files
                    .iter()
                    .fold(Flow::empty(), |flow, f| flow.then(self.file_flow(f, scope))),
            },
            "tee" => {
                let append = args.iter().any(|a| a.text == "-a" || a.text == "--append");
                for f in operands(args) {
                    self.record_written(f, stdin, append, scope);
                }
                stdin.clone()
            }
            "find" => Flow {
                found_under: Some(find_roots(args).roots),
                ..Flow::default()
            },
            k if QUIET.contains(&k) => Flow::empty(),
            k if SELECTORS.contains(&k) => Flow {
                text: None,
                ..stdin.clone()
            },
            _ => Flow {
                taint: stdin.taint.clone(),
                ..Flow::default()
            },
        }
    }

    fn decode_flow(&self, d: &Decoder, argv: &[Field], stdin: &Flow, scope: &Scope) -> Flow {
        let args = &argv[1..];
        let file = args
            .iter()
            .position(|a| a.text == "-in")
            .and_then(|i| args.get(i + 1))
            .or_else(|| {
                operands(args)
                    .into_iter()
                    .find(|a| a.text != "-" && !matches!(a.text.as_str(), "base64" | "enc"))
            });
        let input = file.map_or_else(|| stdin.clone(), |f| self.file_flow(f, scope));
        let text = input.text.as_deref().and_then(|t| match d {
            Decoder::Base64 => base64_decode(t).map(|b| String::from_utf8_lossy(&b).into_owned()),
            Decoder::Hex => hex_decode(t).map(|b| String::from_utf8_lossy(&b).into_owned()),
            Decoder::Reverse => Some(
                t.lines()
                    .map(|l| l.chars().rev().collect::<String>() + "\n")
                    .collect(),
            ),
            Decoder::Opaque => None,
        });
        let mut flow = text.map_or_else(Flow::default, Flow::text);
        flow.taint.merge(&input.taint);
        flow.taint.decoded.get_or_insert_with(|| describe(argv));
        flow
    }
}

/// `echo`: its words, with escapes decoded when `-e` is given or bytes are spelled as escapes
/// (which several shells' `echo` decode by default).
fn echo_flow(argv: &[Field]) -> Flow {
    let args = &argv[1..];
    let is_option = |t: &str| {
        t.len() > 1 && t.starts_with('-') && t[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
    };
    let options = args.iter().take_while(|a| is_option(&a.text)).count();
    let flags: String = args[..options].iter().map(|a| &a.text[1..]).collect();
    let words = &args[options..];
    let raw = words
        .iter()
        .map(|a| a.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let encoded = has_byte_escapes(&raw);
    let mut text = if encoded || flags.contains('e') {
        decode_escapes(&raw)
    } else {
        raw
    };
    if !flags.contains('n') {
        text.push('\n');
    }
    printed(text, words, encoded.then(|| describe(argv)))
}

/// `printf FORMAT ARGS..`, with `%s`, `%b`, `%c`, escapes, and the format reused for extra args.
fn printf_flow(argv: &[Field]) -> Flow {
    let args = match &argv[1..] {
        [v, ..] if v.text == "-v" => return Flow::empty(),
        [dashes, rest @ ..] if dashes.text == "--" => rest,
        rest => rest,
    };
    let Some((format, values)) = args.split_first() else {
        return Flow::empty();
    };
    let encoded = args.iter().any(|a| has_byte_escapes(&a.text));
    printed(
        printf_format(&format.text, values),
        args,
        encoded.then(|| describe(argv)),
    )
}

fn printed(text: String, words: &[Field], decoded: Option<String>) -> Flow {
    let mut flow = Flow::text(text);
    flow.taint.decoded = decoded;
    words.iter().for_each(|w| flow.taint.merge(&w.taint));
    flow
}

pub(super) fn printf_format(format: &str, values: &[Field]) -> String {
    let mut out = String::new();
    let mut next = 0;
    // Each round uses up a value, or prints at least what the format says literally: this ends, and
    // past `MAX_VALUE_LEN` the output is not tracked anyway.
    loop {
        let before = next;
        let mut literal = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    literal.push(c);
                    literal.extend(chars.next());
                }
                '%' if chars.peek() == Some(&'%') => {
                    chars.next();
                    literal.push('%');
                }
                '%' => {
                    out.push_str(&decode_escapes(&std::mem::take(&mut literal)));
                    while chars.next_if(|c| "-+ #0123456789.*".contains(*c)).is_some() {}
                    let conversion = chars.next();
                    let value = values.get(next).map_or("", |v| v.text.as_str());
                    next += 1;
                    match conversion {
                        Some('b') => out.push_str(&decode_escapes(value)),
                        Some('c') => out.extend(value.chars().next()),
                        Some(_) => out.push_str(value),
                        None => {}
                    }
                }
                _ => literal.push(c),
            }
        }
        out.push_str(&decode_escapes(&literal));
        if next >= values.len() || next == before || out.len() > MAX_VALUE_LEN {
            break;
        }
    }
    out
}
