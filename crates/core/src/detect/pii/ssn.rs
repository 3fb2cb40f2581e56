//! US Social Security numbers, written `AAA-GG-SSSS` (or with spaces): area not 000, 666 or
//! 900–999, group not 00, serial not 0000, and not one of the numbers published in advertising
//! (078-05-1120, from a wallet insert, and 219-09-9999). Bare nine-digit runs are not matched: any
//! number of that length would be, so the separators are what says "SSN". Candidates are groups
//! of 3, 2 and 4 digits in [`digit_runs`].

use std::ops::Range;

use super::runs::laid_out;
use super::standalone;

/// Area, group and serial number.
const LAYOUT: &[usize] = &[3, 2, 4];

/// Numbers of valid form that were published, and so belong to no one (or to everyone), as area,
/// group and serial.
const PUBLISHED: &[(&str, &str, &str)] = &[("078", "05", "1120"), ("219", "09", "9999")];

/// Fewest digits a Social Security number has: shorter runs need no look.
pub(super) const MIN_DIGITS: usize = 9;

/// Every Social Security number in `text`, one run at a time: the reference [`super::scan`]'s
/// shared pass over the digit runs must agree with.
#[cfg(test)]
pub(super) fn ssns(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut groups = Vec::new();
    for run in super::runs::digit_runs(text, MIN_DIGITS) {
        super::runs::split_groups(text, run, &mut groups);
        ssns_in_run(text, &groups, &mut found);
    }
    found
}

/// The Social Security numbers among the digit `groups` of one run, appended to `found`.
pub(super) fn ssns_in_run(text: &str, groups: &[Range<usize>], found: &mut Vec<Range<usize>>) {
    found.extend((0..groups.len()).filter_map(|first| {
        let (end, spaced) = laid_out(text, groups, first, LAYOUT)?;
        let span = groups[first].start..groups[end - 1].end;
        (standalone(text, span.clone(), spaced) && is_ssn(&text[span.clone()])).then_some(span)
    }));
}

/// Whether `value` (`AAA-GG-SSSS` or `AAA GG SSSS`) is a number the SSA could have issued.
fn is_ssn(value: &str) -> bool {
    let (area, group, serial) = (&value[..3], &value[4..6], &value[7..]);
    area != "000"
        && area != "666"
        && !area.starts_with('9')
        && group != "00"
        && serial != "0000"
        && !PUBLISHED.contains(&(area, group, serial))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::pii::PiiKind::UsSsn;
    use crate::detect::pii::tests::{assert_clean, assert_found};

    #[test]
    fn valid_numbers_are_found() {
        for number in [
            "123-45-6789",
            "001-01-0001",
            "665-99-9999",
            "899 12 3456",
            "536-22-1234",
        ] {
            assert_found(number, UsSsn);
        }
        let text = "SSN: 536-22-1234, spouse 536 22 4321.";
        let spans: Vec<_> = ssns(text).into_iter().map(|span| &text[span]).collect();
        assert_eq!(spans, ["536-22-1234", "536 22 4321"]);
    }

    #[test]
    fn reserved_and_published_numbers_are_not() {
        for text in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "123-00-4567",
            "123-45-0000",
            "078-05-1120",
            "219-09-9999",
        ] {
            assert_clean(text, UsSsn);
        }
    }

    #[test]
    fn other_numbers_are_not() {
        for text in [
            "123456789",
            "123-456-789",
            "555-123-45678",
            "1-555-12-3456",
            "123-45-67890",
            "2123-45-6789",
            "123-45-6789-1",
            "123.45.6789",
            "123-45 6789",
            "1.123-45-6789",
            "+123-45-6789",
            "id123-45-6789",
            "5555 123 45 6789",
            "123 45 6789 1234",
            "2024-11-21",
            "call 212-555-0123",
            "ISBN 978-3-16-148410-0",
        ] {
            assert_clean(text, UsSsn);
        }
    }
}
