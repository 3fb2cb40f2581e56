//! Runs of digit groups: digits, possibly in groups joined by single spaces or dashes
//! (`4111 1111 1111 1111`, `536-22-1234`), which card numbers and Social Security numbers are
//! read from. A hand-written scan rather than a regex: text full of numbers (logs, JSON) holds a
//! digit run every few bytes, and this passes over a short one in a few instructions, where each
//! regex match costs far more.

use std::ops::Range;

/// Every run in `text` that has at least `min_digits` digits.
pub(super) fn digit_runs(text: &str, min_digits: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(found) = bytes[at..].iter().position(u8::is_ascii_digit) {
            let start = at + found;
            let (end, digits) = run_end(bytes, start);
            at = end;
            if digits >= min_digits {
                return Some(start..end);
            }
        }
        None
    })
}

/// Where the run that starts with the digit at `start` ends, and how many digits it has.
fn run_end(bytes: &[u8], start: usize) -> (usize, usize) {
    let mut end = start;
    let mut digits = 0;
    loop {
        let group = bytes[end..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        end += group;
        digits += group;
        match bytes.get(end..end + 2) {
            Some([b' ' | b'-', next]) if next.is_ascii_digit() => end += 1,
            _ => return (end, digits),
        }
    }
}

/// Fills `groups` with the digit groups of `run`, as byte ranges (a buffer the caller reuses from
/// run to run).
pub(super) fn split_groups(text: &str, run: Range<usize>, groups: &mut Vec<Range<usize>>) {
    groups.clear();
    let mut start = run.start;
    for (offset, b) in text.as_bytes()[run.clone()].iter().enumerate() {
        if !b.is_ascii_digit() {
            groups.push(start..run.start + offset);
            start = run.start + offset + 1;
        }
    }
    groups.push(start..run.end);
}

/// Whether the groups from `first` on have the lengths of `layout`, all joined by the same
/// separator: where they end (the index past the last), and whether that separator is a space.
pub(super) fn laid_out(
    text: &str,
    groups: &[Range<usize>],
    first: usize,
    layout: &[usize],
) -> Option<(usize, bool)> {
    let end = first + layout.len();
    let candidate = groups.get(first..end)?;
    if !candidate.iter().map(Range::len).eq(layout.iter().copied()) {
        return None;
    }
    let mut separators = candidate[..layout.len() - 1]
        .iter()
        .map(|group| text.as_bytes()[group.end]);
    let joiner = separators.next();
    separators
        .all(|separator| Some(separator) == joiner)
        .then_some((end, joiner == Some(b' ')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str, min_digits: usize) -> Vec<Vec<&str>> {
        let mut groups = Vec::new();
        digit_runs(text, min_digits)
            .map(|run| {
                split_groups(text, run, &mut groups);
                groups.iter().map(|group| &text[group.clone()]).collect()
            })
            .collect()
    }

    #[test]
    fn runs_are_maximal_and_split_into_groups() {
        let text = "a 12 - 34 4111 1111-2222 x 536-22-1234- 7  8 99-";
        assert_eq!(
            runs(text, 1),
            [
                vec!["12"],
                vec!["34", "4111", "1111", "2222"],
                vec!["536", "22", "1234"],
                vec!["7"],
                vec!["8", "99"],
            ]
        );
        assert_eq!(
            runs(text, 9),
            [
                vec!["34", "4111", "1111", "2222"],
                vec!["536", "22", "1234"]
            ]
        );
        assert_eq!(runs("", 1).len(), 0);
    }

    #[test]
    fn layouts_need_their_lengths_and_one_separator() {
        let groups = |text: &str| {
            let mut groups = Vec::new();
            split_groups(text, 0..text.len(), &mut groups);
            groups
        };
        let text = "536-22-1234";
        assert_eq!(
            laid_out(text, &groups(text), 0, &[3, 2, 4]),
            Some((3, false))
        );
        let text = "536 22 1234";
        assert_eq!(
            laid_out(text, &groups(text), 0, &[3, 2, 4]),
            Some((3, true))
        );
        let text = "536-22 1234";
        assert_eq!(laid_out(text, &groups(text), 0, &[3, 2, 4]), None);
        let text = "9 536-22-1234";
        assert_eq!(laid_out(text, &groups(text), 0, &[3, 2, 4]), None);
        assert_eq!(
            laid_out(text, &groups(text), 1, &[3, 2, 4]),
            Some((4, false))
        );
        assert_eq!(laid_out(text, &groups(text), 2, &[3, 2, 4]), None);
    }
}
