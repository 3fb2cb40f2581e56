//! International Bank Account Numbers: a country code, two check digits and the national account
//! number (BBAN), contiguous (`DE89370400440532013000`) or in groups of four joined by single
//! spaces (`DE89 3704 0044 0532 0130 00`, the last group shorter), upper case as printed;
//! exactly as long as the IBAN registry says for the country, and passing the ISO 7064 mod-97
//! check.
//!
//! Candidates are found by hand, not by a regex: two capitals and two digits, looked for 32
//! positions at a time by a test the compiler vectorizes (capitals are common, that pattern is
//! not), and from there the country's length tells how far to read.

use std::ops::Range;

use super::standalone;

/// Positions tested at once by [`next_start`].
const BLOCK: usize = 32;

/// IBAN lengths by country, from the SWIFT IBAN registry. Territories that use another country's
/// code (Åland uses FI, Jersey GB, Réunion FR, …) have no row of their own.
const LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// Every IBAN in `text`.
pub(super) fn ibans(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(start) = next_start(text.as_bytes(), at) {
            match iban_at(text, start) {
                Some(end) => {
                    at = end;
                    return Some(start..end);
                }
                None => at = start + 1,
            }
        }
        None
    })
}

/// The first byte at or after `from` that begins two capitals and two digits.
fn next_start(bytes: &[u8], from: usize) -> Option<usize> {
    let begins = |window: &[u8]| {
        window[0].is_ascii_uppercase()
            & window[1].is_ascii_uppercase()
            & window[2].is_ascii_digit()
            & window[3].is_ascii_digit()
    };
    let mut at = from;
    while let Some(block) = bytes
        .get(at..)
        .and_then(<[u8]>::first_chunk::<{ BLOCK + 3 }>)
    {
        if (0..BLOCK).fold(false, |any, k| any | begins(&block[k..k + 4])) {
            break;
        }
        at += BLOCK;
    }
    let found = bytes.get(at..)?.windows(4).position(begins)?;
    Some(at + found)
}

/// Where the IBAN that begins at byte `start` (two capitals and two digits) ends, if it is one.
fn iban_at(text: &str, start: usize) -> Option<usize> {
    let country = &text[start..start + 2];
    let length = LENGTHS.iter().find(|(code, _)| *code == country)?.1;
    let end = iban_end(text.as_bytes(), start, length)?;
    let valid = standalone(text, start..end, false) && checksum_valid(&text[start..end]);
    valid.then_some(end)
}

/// Where the `length` characters of an IBAN that begins at byte `start` end: all capitals and
/// digits, either contiguous or, when a space follows the check digits, in groups of four after
/// single spaces.
fn iban_end(bytes: &[u8], start: usize, length: usize) -> Option<usize> {
    let grouped = bytes.get(start + 4) == Some(&b' ');
    let mut at = start + 4;
    for count in 4..length {
        if grouped && count.is_multiple_of(4) {
            if bytes.get(at) != Some(&b' ') {
                return None;
            }
            at += 1;
        }
        if !bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return None;
        }
        at += 1;
    }
    Some(at)
}

/// The ISO 7064 mod-97 check: the country code and check digits moved to the end, letters read
/// as 10–35, the whole as a number is 1 modulo 97.
fn checksum_valid(iban: &str) -> bool {
    let characters: Vec<char> = iban.chars().filter(|&c| c != ' ').collect();
    let (head, bban) = characters.split_at(4);
    let remainder = bban.iter().chain(head).try_fold(0, |remainder, &c| {
        let value = c.to_digit(36)?;
        let shift = if value < 10 { 10 } else { 100 };
        Some((remainder * shift + value) % 97)
    });
    remainder == Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::pii::PiiKind::Iban;
    use crate::detect::pii::tests::{assert_clean, assert_found, assert_found_in};

    /// Examples from the IBAN registry, in print form.
    const EXAMPLES: &[&str] = &[
        "GB82 WEST 1234 5698 7654 32",
        "GB29 NWBK 6016 1331 9268 19",
        "DE89 3704 0044 0532 0130 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "BE68 5390 0754 7034",
        "CH93 0076 2011 6238 5295 7",
        "NO93 8601 1117 947",
        "ES91 2100 0418 4502 0005 1332",
        "IT60 X054 2811 1010 0000 0123 456",
        "AT61 1904 3002 3457 3201",
        "PL61 1090 1014 0000 0712 1981 2874",
        "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
        "LC55 HEMM 0001 0001 0012 0012 0002 3015",
        "SA03 8000 0000 6080 1016 7519",
        "BR18 0036 0305 0000 1000 9795 493C 1",
        "SC18 SSCB 1101 0000 0000 0000 1497 USD",
        "QA58 DOHB 0000 1234 5678 90AB CDEF G",
        "MK07 2501 2000 0058 984",
    ];

    #[test]
    fn registry_examples_are_found_grouped_and_contiguous() {
        for example in EXAMPLES {
            assert_found(example, Iban);
            assert_found(&example.replace(' ', ""), Iban);
        }
    }

    #[test]
    fn ibans_in_context_are_found_with_their_exact_span() {
        for (text, iban) in [
            (
                "IBAN: DE89 3704 0044 0532 0130 00, BIC: COBADEFFXXX",
                "DE89 3704 0044 0532 0130 00",
            ),
            (
                "iban=GB82WEST12345698765432&amount=10",
                "GB82WEST12345698765432",
            ),
            ("BE68 5390 0754 7034 EUR", "BE68 5390 0754 7034"),
            ("(NL91ABNA0417164300)", "NL91ABNA0417164300"),
        ] {
            assert_found_in(text, iban, Iban);
        }
    }

    #[test]
    fn near_misses_are_not_ibans() {
        for text in [
            // One character changed: the checksum fails.
            "GB82 WEST 1234 5698 7654 33",
            "GB82WEST12345698765433",
            "DE89 3704 0044 0532 0130 01",
            "GB28 NWBK 6016 1331 9268 19",
            // Too short or too long for the country.
            "GB82 WEST 1234 5698 7654 3",
            "DE89 3704 0044 0532 0130 000",
            "DE8937040044053201300",
            // An unknown country, lower case, glued to a word, badly grouped.
            "ZZ82 WEST 1234 5698 7654 32",
            "gb82 west 1234 5698 7654 32",
            "XGB82WEST12345698765432",
            "GB82WEST12345698765432X",
            "GB82WEST12345698765432_1",
            "GB82 WEST1234 5698 7654 32",
            "GB82 WES T123 4569 8765 432",
            "GB82  WEST 1234 5698 7654 32",
        ] {
            assert_clean(text, Iban);
        }
    }

    #[test]
    fn capitals_and_digits_that_are_no_iban() {
        for text in [
            "HTTP2 and AB12CD34 and SHA256SUMS",
            "ISO8601 DE12 GB2312 UTF8 RFC3339",
            "MD5 AB12 3456 7890",
            "TX1234567890ABCDEF1234",
        ] {
            assert_clean(text, Iban);
        }
    }

    #[test]
    fn mod97() {
        assert!(checksum_valid("GB82WEST12345698765432"));
        assert!(!checksum_valid("GB82WEST12345698765423"));
        assert!(!checksum_valid("GB82WEST1234569876543$"));
    }
}
