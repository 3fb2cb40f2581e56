//! Brace expansion: `{a,b}c` → `ac bc`, `{1..3}` → `1 2 3`, bounded.

use super::MAX_BRACE_WORDS;
use super::ast::{Part, Word, WordBuf};

/// A word as brace-expansion tokens: unquoted characters, and other parts kept whole.
#[derive(Clone)]
enum Tok {
    Char(char),
    Part(Part),
}

pub(super) fn has_brace(word: &Word) -> bool {
    word.iter()
        .any(|p| matches!(p, Part::Lit(s) if s.contains('{')))
}

/// `{a,b}c` → `ac bc`, `{1..3}` → `1 2 3`, at most [`MAX_BRACE_WORDS`] words (the rest stay
/// unexpanded, literal), and whether that cap cut the expansion short. A long sequence is cut
/// without that: the numbers past the cap are like those kept.
pub(super) fn brace_expand(word: &Word) -> (Vec<Word>, bool) {
    let toks: Vec<Tok> = word
        .iter()
        .flat_map(|p| match p {
            Part::Lit(s) => s.chars().map(Tok::Char).collect::<Vec<_>>(),
            other => vec![Tok::Part(other.clone())],
        })
        .collect();
    let mut pending = vec![toks];
    let mut done = Vec::new();
    let mut cut = false;
    while let Some(toks) = pending.pop() {
        if done.len() + pending.len() >= MAX_BRACE_WORDS {
            cut |= find_brace(&toks).is_some();
            done.push(toks);
            continue;
        }
        match expand_first_brace(&toks, &mut cut) {
            Some(alternatives) => pending.extend(alternatives.into_iter().rev()),
            None => done.push(toks),
        }
    }
    (done.into_iter().map(untokenize).collect(), cut)
}

fn untokenize(toks: Vec<Tok>) -> Word {
    let mut w = WordBuf::default();
    for t in toks {
        match t {
            Tok::Char(c) => w.char(c, false),
            Tok::Part(p) => w.push(p),
        }
    }
    w.finish()
}

/// Expands the leftmost outermost brace expression, if any; sets `cut` when it has more
/// alternatives than are kept.
fn expand_first_brace(toks: &[Tok], cut: &mut bool) -> Option<Vec<Vec<Tok>>> {
    let (open, close, commas) = find_brace(toks)?;
    let inner = &toks[open + 1..close];
    let alternatives: Vec<Vec<Tok>> = if commas {
        split_top_commas(inner)
    } else {
        sequence(inner)?
            .into_iter()
            .map(|s| s.chars().map(Tok::Char).collect())
            .collect()
    };
    *cut |= alternatives.len() > MAX_BRACE_WORDS;
    Some(
        alternatives
            .into_iter()
            .take(MAX_BRACE_WORDS)
            .map(|alt| {
                let mut out = toks[..open].to_vec();
                out.extend(alt);
                out.extend_from_slice(&toks[close + 1..]);
                out
            })
            .collect(),
    )
}

/// The leftmost `{..}` holding a top-level comma or a sequence: (open, close, has comma).
fn find_brace(toks: &[Tok]) -> Option<(usize, usize, bool)> {
    let mut stack: Vec<(usize, bool)> = Vec::new();
    let mut best: Option<(usize, usize, bool)> = None;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Char('{') => stack.push((i, false)),
            Tok::Char(',') => {
                if let Some(top) = stack.last_mut() {
                    top.1 = true;
                }
            }
            Tok::Char('}') => {
                if let Some((open, commas)) = stack.pop()
                    && (commas || (i - open <= 32 && sequence(&toks[open + 1..i]).is_some()))
                    && best.is_none_or(|(b, _, _)| open < b)
                {
                    best = Some((open, i, commas));
                }
            }
            _ => {}
        }
    }
    best
}

fn split_top_commas(toks: &[Tok]) -> Vec<Vec<Tok>> {
    let mut out = vec![Vec::new()];
    let mut depth = 0usize;
    for t in toks {
        match t {
            Tok::Char('{') => depth += 1,
            Tok::Char('}') => depth = depth.saturating_sub(1),
            Tok::Char(',') if depth == 0 => {
                out.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(t.clone());
        }
    }
    out
}

/// `1..5`, `05..10..5`, `a..e`: the values of a sequence expression.
fn sequence(toks: &[Tok]) -> Option<Vec<String>> {
    let text: String = toks
        .iter()
        .map(|t| match t {
            Tok::Char(c) => Some(*c),
            Tok::Part(_) => None,
        })
        .collect::<Option<String>>()?;
    let pieces: Vec<&str> = text.split("..").collect();
    let (from, to, step) = match pieces.as_slice() {
        [a, b] => (*a, *b, 1),
        [a, b, s] => (*a, *b, s.parse::<i64>().ok()?.unsigned_abs().max(1)),
        _ => return None,
    };
    let step = usize::try_from(step).unwrap_or(1);
    if let (Ok(a), Ok(b)) = (from.parse::<i64>(), to.parse::<i64>()) {
        let width = if [from, to]
            .iter()
            .any(|s| s.trim_start_matches('-').starts_with('0') && s.len() > 1)
        {
            from.len().max(to.len())
        } else {
            0
        };
        let values: Vec<i64> = if a <= b {
            (a..=b).step_by(step).take(MAX_BRACE_WORDS).collect()
        } else {
            (b..=a).rev().step_by(step).take(MAX_BRACE_WORDS).collect()
        };
        return Some(values.into_iter().map(|v| format!("{v:0width$}")).collect());
    }
    let (mut a, mut b) = (from.chars(), to.chars());
    match (a.next(), a.next(), b.next(), b.next()) {
        (Some(x), None, Some(y), None) if x.is_ascii_alphabetic() && y.is_ascii_alphabetic() => {
            let (lo, hi) = (x.min(y), x.max(y));
            let mut values: Vec<String> = (lo..=hi).step_by(step).map(String::from).collect();
            if x > y {
                values.reverse();
            }
            Some(values)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::shell::tests::argv;

    #[test]
    fn brace_expansion() {
        assert_eq!(argv("{rm,-rf,/}"), ["rm", "-rf", "/"]);
        assert_eq!(argv("r{m,}"), ["rm", "r"]);
        assert_eq!(
            argv("echo a{1..3} {c..a} {01..03} {1..7..3}"),
            [
                "echo", "a1", "a2", "a3", "c", "b", "a", "01", "02", "03", "1", "4", "7"
            ]
        );
        assert_eq!(
            argv("echo {a,b}{c,d} {x,{y,z}}"),
            ["echo", "ac", "ad", "bc", "bd", "x", "y", "z"]
        );
        assert_eq!(
            argv("echo '{a,b}' {a} {} \\{a,b} ${HOME}"),
            ["echo", "{a,b}", "{a}", "{}", "{a,b}", "/home/alice"]
        );
        assert_eq!(argv("echo {\"a b\",c}"), ["echo", "a b", "c"]);
        // Past the cap the remaining alternatives stay unexpanded, so each word yields at most
        // twice the cap.
        let many = argv("echo {1..100000} {a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}");
        assert!(many.len() <= 4 * MAX_BRACE_WORDS + 1, "{}", many.len());
    }
}
