//! Payment card numbers: 13 to 19 digits, contiguous or in the groups cards are printed in
//! (4-4-4-4, 4-6-5 for American Express, …) joined by single spaces or single dashes, with the
//! prefix of a known issuer, a length that issuer uses, and a valid Luhn check digit. Numbers of
//! one repeated digit are rejected.
//!
//! Candidates are [`digit_runs`] of 13 or more digits; within a run, a card is a single group of
//! 13–19 digits or consecutive groups in a printed layout, all joined by the same separator. What
//! surrounds it must not continue it ([`standalone`]): this rejects a Luhn-valid stretch of a
//! longer number, the tail of a dashed identifier, a number after `+` (an international phone
//! number) and four groups of four among five. A shorter group after a spaced card
//! (`4111 1111 1111 1111 12/25`) is an expiry date or a code, not part of the number.

use std::ops::Range;

use super::runs::laid_out;
use super::standalone;

/// How cards are printed in groups, as group lengths, longest first so that a group that could
/// belong to the number or be next to it is first tried as part of it.
const LAYOUTS: &[&[usize]] = &[
    &[4, 4, 4, 4, 3],
    &[4, 4, 4, 4, 2],
    &[4, 4, 4, 4, 1],
    &[4, 4, 4, 4],
    &[4, 6, 5],
    &[4, 4, 4, 3],
    &[4, 6, 4],
    &[4, 4, 4, 2],
    &[4, 4, 5],
];

/// Issuer prefixes and the lengths they use: the leading digits of a number, taken as many as
/// `first` has, must lie in `first..=last`.
struct Issuer {
    first: u32,
    last: u32,
    lengths: &'static [usize],
}

const SIXTEEN_TO_NINETEEN: &[usize] = &[16, 17, 18, 19];
const FOURTEEN_TO_NINETEEN: &[usize] = &[14, 15, 16, 17, 18, 19];
const THIRTEEN_TO_NINETEEN: &[usize] = &[13, 14, 15, 16, 17, 18, 19];

const fn issuer(first: u32, last: u32, lengths: &'static [usize]) -> Issuer {
    Issuer {
        first,
        last,
        lengths,
    }
}

const ISSUERS: &[Issuer] = &[
    // Visa
    issuer(4, 4, &[13, 16, 19]),
    // Mastercard
    issuer(51, 55, &[16]),
    issuer(2221, 2720, &[16]),
    // American Express
    issuer(34, 34, &[15]),
    issuer(37, 37, &[15]),
    // Discover
    issuer(6011, 6011, SIXTEEN_TO_NINETEEN),
    issuer(644, 649, SIXTEEN_TO_NINETEEN),
    issuer(65, 65, SIXTEEN_TO_NINETEEN),
    // JCB
    issuer(3528, 3589, SIXTEEN_TO_NINETEEN),
    // Diners Club
    issuer(300, 305, FOURTEEN_TO_NINETEEN),
    issuer(36, 36, FOURTEEN_TO_NINETEEN),
    issuer(38, 38, FOURTEEN_TO_NINETEEN),
    // UnionPay
    issuer(62, 62, SIXTEEN_TO_NINETEEN),
    // Maestro
    issuer(50, 50, THIRTEEN_TO_NINETEEN),
    issuer(56, 69, THIRTEEN_TO_NINETEEN),
];

/// Fewest digits a card number has: shorter runs need no look.
pub(super) const MIN_DIGITS: usize = 13;

/// Every card number in `text`, one run at a time: the reference [`super::scan`]'s shared pass
/// over the digit runs must agree with.
#[cfg(test)]
pub(super) fn cards(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut groups = Vec::new();
    for run in super::runs::digit_runs(text, MIN_DIGITS) {
        super::runs::split_groups(text, run, &mut groups);
        cards_in_run(text, &groups, &mut found);
    }
    found
}

/// The card numbers among the digit `groups` of one run, appended to `found`.
pub(super) fn cards_in_run(text: &str, groups: &[Range<usize>], found: &mut Vec<Range<usize>>) {
    let mut first = 0;
    while first < groups.len() {
        match card_at(text, groups, first) {
            Some(end) => {
                found.push(groups[first].start..groups[end - 1].end);
                first = end;
            }
            None => first += 1,
        }
    }
}

/// Where a card number starting with group `first` ends (the index past its last group), if one
/// does: the group alone, or the first layout that the next groups follow with one separator.
fn card_at(text: &str, groups: &[Range<usize>], first: usize) -> Option<usize> {
    let contiguous = (13..=19)
        .contains(&groups[first].len())
        .then_some((first + 1, false));
    let laid_out = LAYOUTS
        .iter()
        .filter_map(|layout| laid_out(text, groups, first, layout));
    contiguous
        .into_iter()
        .chain(laid_out)
        .find_map(|(end, spaced)| {
            let span = groups[first].start..groups[end - 1].end;
            (standalone(text, span.clone(), spaced) && is_card_number(&text[span])).then_some(end)
        })
}

/// Whether the digits of `value` (separators skipped) make a card number.
fn is_card_number(value: &str) -> bool {
    let mut buffer = [0; 19];
    let mut len = 0;
    for digit in value.bytes().filter(u8::is_ascii_digit) {
        let Some(slot) = buffer.get_mut(len) else {
            return false;
        };
        *slot = u32::from(digit - b'0');
        len += 1;
    }
    let digits = &buffer[..len];
    len >= 13
        && digits.iter().any(|&digit| digit != digits[0])
        && ISSUERS.iter().any(|issuer| issues(issuer, digits))
        && luhn_valid(digits)
}

/// Whether `issuer` issues numbers like `digits`.
fn issues(issuer: &Issuer, digits: &[u32]) -> bool {
    let prefix_len = issuer.first.ilog10() as usize + 1;
    let prefix = digits[..prefix_len].iter().fold(0, |acc, &d| acc * 10 + d);
    (issuer.first..=issuer.last).contains(&prefix) && issuer.lengths.contains(&digits.len())
}

/// The Luhn check: doubling every second digit from the right, the digit sum is a multiple of 10.
fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &digit)| match (i % 2, digit * 2) {
            (0, _) => digit,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::pii::PiiKind::PaymentCard;
    use crate::detect::pii::tests::{assert_clean, assert_found, assert_found_in};

    #[test]
    fn public_test_numbers_are_found_in_every_print_layout() {
        for number in [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111111111111111",
            "5555555555554444",
            "5555 5555 5555 4444",
            "2223003122003222",
            "378282246310005",
            "3782 822463 10005",
            "3714-496353-98431",
            "6011111111111117",
            "6011 0009 9013 9424",
            "3530111333300000",
            "30569309025904",
            "3056 930902 5904",
            "6200000000000005",
            "4222222222222",
            "6759649826438453",
        ] {
            assert_found(number, PaymentCard);
        }
    }

    #[test]
    fn cards_in_context_are_found_with_their_exact_span() {
        let cases = [
            ("Card: 4111 1111 1111 1111 exp 12/25", "4111 1111 1111 1111"),
            ("4111 1111 1111 1111 12/25 123", "4111 1111 1111 1111"),
            ("{\"pan\":\"4111111111111111\"}", "4111111111111111"),
            ("{\"pan\": 4111111111111111}", "4111111111111111"),
            ("paid on 2024-11-21 4111111111111111.", "4111111111111111"),
            (
                "paid on 2024-11-21 4111 1111 1111 1111.",
                "4111 1111 1111 1111",
            ),
            ("qty 2 4111 1111 1111 1111", "4111 1111 1111 1111"),
            ("(amex 378282246310005)", "378282246310005"),
            ("card=5555555555554444&cvv=123", "5555555555554444"),
            ("/cards/4111111111111111/charge", "4111111111111111"),
            ("ref-4111111111111111", "4111111111111111"),
        ];
        for (text, card) in cases {
            assert_found_in(text, card, PaymentCard);
        }
        let two = "4111111111111111 and 5555 5555 5555 4444";
        assert_eq!(cards(two).len(), 2);
    }

    #[test]
    fn near_misses_are_not_cards() {
        for text in [
            // Luhn fails, or unknown issuer, or wrong length for the issuer.
            "4111 1111 1111 1112",
            "1234 5678 9012 3456",
            "9111111111111111",
            "411111111111116",
            "37828224631000",
            "5555555555554444555",
            // One repeated digit.
            "0000 0000 0000 0000",
            "4444444444444444",
            // Mixed or doubled separators, wrong groups.
            "4111-1111 1111-1111",
            "4111  1111  1111  1111",
            "41111 1111 1111 111",
            "411 1111 1111 11111",
        ] {
            assert_clean(text, PaymentCard);
        }
    }

    #[test]
    fn numbers_that_only_contain_a_card_are_not_cards() {
        for text in [
            // A Luhn-valid stretch inside a longer run, before or after.
            "94111111111111111",
            "41111111111111119",
            "004111111111111111",
            "1234 4111 1111 1111 1111",
            "4111 1111 1111 1111 5555",
            "555-4111111111111111",
            "4111111111111111-2",
            "v1.4111111111111111",
            "4111111111111111.5",
            "+4111111111111111",
            "id_4111111111111111",
            "x4111111111111111",
            "4111111111111111abc",
        ] {
            assert_clean(text, PaymentCard);
        }
    }

    #[test]
    fn everyday_numbers_are_not_cards() {
        for text in [
            "order 100023456789012 shipped",
            "\"created_at\": 1700000000000, \"ts_ns\": 1700000000000000000",
            "\"id\": 1234567890123456789, \"user_id\": 987654321098765432",
            "call +1 212 555 0123 or 212-555-0123",
            "version 4.111.1111.1111 and 2.14.3",
            "123e4567-e89b-12d3-a456-426614174000",
            "commit 4f5b2c0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
            "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
            "IBAN DE89 3704 0044 0532 0130 00",
            "phone 0049 30 1234 5678",
            "2024-11-21 14:05:09.123456 pid 4111 tid 1111",
        ] {
            assert_clean(text, PaymentCard);
        }
    }

    #[test]
    fn luhn_check() {
        let digits = |s: &str| -> Vec<u32> { s.chars().filter_map(|c| c.to_digit(10)).collect() };
        assert!(luhn_valid(&digits("79927398713")));
        assert!(!luhn_valid(&digits("79927398710")));
        assert!(luhn_valid(&digits("4111111111111111")));
    }
}
