//! Phone numbers in two unambiguous notations:
//! - international (E.164), `+` and 8 to 15 digits, grouped by single spaces, dashes or dots, with
//!   at most one group in parentheses (`+1 (212) 555-0123`, `+44 (0)20 7946 0958`,
//!   `+33 1 23 45 67 89`);
//! - North American, `(212) 555-0123`, `212-555-0123` or `212.555.0123`, optionally after `1`,
//!   with area code and exchange starting with 2–9.
//!
//! National notations without `+` other than the North American ones are not matched: digit
//! groups alone cannot be told from amounts, identifiers and dates. For the same reason the North
//! American form needs its punctuation (no `212 555 0123`), and a `+` before a date
//! (`+2024-11-21`, a line added in a diff) or an address (`+10.0.0.1`) is not a phone number. A
//! phone number directly followed by a space and more digits is taken as one longer number, and is
//! missed when that number is too long.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::standalone;

/// `+`, then digit groups, each after at most one space, dash or dot, one of them possibly in
/// parentheses.
static INTERNATIONAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\+[1-9][0-9]*(?:[ .-]?(?:\([0-9]+\)|[0-9]+))*").expect("valid regex")
});

static NORTH_AMERICAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:1[ .-]?)?(?:",
        r"\([2-9][0-9]{2}\) ?[2-9][0-9]{2}[-.][0-9]{4}",
        r"|[2-9][0-9]{2}-[2-9][0-9]{2}-[0-9]{4}",
        r"|[2-9][0-9]{2}\.[2-9][0-9]{2}\.[0-9]{4}",
        r")"
    ))
    .expect("valid regex")
});

/// Every phone number in `text`, in order.
pub(super) fn phones(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let international = INTERNATIONAL
        .find_iter(text)
        .filter(|found| is_international(found.as_str()))
        .map(|found| found.range());
    let north_american = NORTH_AMERICAN.find_iter(text).map(|found| found.range());
    let mut spans: Vec<Range<usize>> = international
        .chain(north_american)
        .filter(|span| standalone(text, span.clone(), false))
        .collect();
    spans.sort_by_key(|span| span.start);
    spans.into_iter()
}

/// Whether an international candidate (`+` and digit groups) has a phone number's digit count and
/// is no date or network address.
fn is_international(candidate: &str) -> bool {
    let body = &candidate[1..];
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let groups: Vec<&str> = body.split([' ', '.', '-']).collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    let separated_by = |separator: char| body.matches(separator).count() == groups.len() - 1;
    let date = separated_by('-') && matches!(lengths.as_slice(), [4, 2, 2] | [2, 2, 4]);
    let address = separated_by('.') && lengths.len() == 4 && lengths.iter().all(|&n| n <= 3);
    (8..=15).contains(&digits) && body.matches('(').count() <= 1 && !date && !address
}

#[cfg(test)]
mod tests {
    use crate::detect::pii::PiiKind::Phone;
    use crate::detect::pii::tests::{assert_clean, assert_found, assert_found_in};

    #[test]
    fn international_numbers_are_found() {
        for number in [
            "+12125550123",
            "+1 212 555 0123",
            "+1-212-555-0123",
            "+1.212.555.0123",
            "+1 (212) 555-0123",
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "+33 1 23 45 67 89",
            "+49 30 12345678",
            "+81 3-1234-5678",
            "+861012345678",
        ] {
            assert_found(number, Phone);
        }
    }

    #[test]
    fn north_american_numbers_are_found() {
        for number in [
            "(212) 555-0123",
            "(212)555-0123",
            "212-555-0123",
            "212.555.0123",
            "1-800-555-0199",
            "1 (800) 555-0199",
            "1.800.555.0199",
        ] {
            assert_found(number, Phone);
        }
    }

    #[test]
    fn phones_in_context_are_found_with_their_exact_span() {
        for (text, number) in [
            ("Call me at (212) 555-0123 tomorrow.", "(212) 555-0123"),
            ("tel: +44 20 7946 0958, fax: none", "+44 20 7946 0958"),
            ("\"phone\":\"+12125550123\"", "+12125550123"),
            ("<a href=\"tel:+1-212-555-0123\">", "+1-212-555-0123"),
        ] {
            assert_found_in(text, number, Phone);
        }
    }

    #[test]
    fn numbers_that_are_no_phone_numbers() {
        for text in [
            // Dates, times, addresses, versions, ranges.
            "2024-11-21",
            "+2024-11-21 released",
            "21.11.2024 10:30:00",
            "192.168.100.200",
            "+192.168.100.200",
            "version 2.345.6789",
            "pages 100-200, ports 8000-8999",
            "UTC+01:00 and +5 and +1.5% and +100",
            // Too short or too long, or the wrong first digits.
            "+1234567",
            "+1234567890123456",
            "+0 123 456 7890",
            "123-555-0123",
            "212-055-0123",
            "(112) 555-0123",
            // Inside longer numbers or words.
            "9212-555-0123",
            "212-555-01234",
            "212-555-0123-4",
            "x212-555-0123",
            "1.212.555.0123.5",
            "C++12345678",
            // Spaces only, or mixed separators.
            "212 555 0123",
            "212-555.0123",
            // An SSN and a card.
            "536-22-1234",
            "4111 1111 1111 1111",
        ] {
            assert_clean(text, Phone);
        }
    }
}
