//! Tests of [`scan`] as a whole, the assertions the tests of each kind share, and a false-positive
//! guard: a megabyte of ordinary text full of numbers in which nothing is personal data.

use proptest::prelude::*;

use super::*;

/// The set of `kind` alone.
fn only(kind: PiiKind) -> PiiKinds {
    PiiKinds::none().with(kind)
}

fn every_kind() -> PiiKinds {
    PiiKind::ALL
        .into_iter()
        .fold(PiiKinds::none(), PiiKinds::with)
}

/// What [`scan`] finds of `kinds` in `text`, as kinds and the text they span.
fn found(text: &str, kinds: PiiKinds) -> Vec<(PiiKind, &str)> {
    scan(text, kinds)
        .iter()
        .map(|finding| (finding.kind, &text[finding.start..finding.end]))
        .collect()
}

/// `value` is one value of `kind`, alone and in a sentence, however the other kinds are set.
pub(super) fn assert_found(value: &str, kind: PiiKind) {
    assert_eq!(found(value, only(kind)), [(kind, value)], "{value:?}");
    let sentence = format!("Details: {value}. Thanks!");
    assert_eq!(
        found(&sentence, every_kind()),
        [(kind, value)],
        "in {sentence:?}"
    );
}

/// `text` holds one value of `kind`: `value`, where it first occurs.
pub(super) fn assert_found_in(text: &str, value: &str, kind: PiiKind) {
    let start = text.find(value).expect("the value is in the text");
    let expected = PiiFinding {
        kind,
        start,
        end: start + value.len(),
    };
    assert_eq!(scan(text, only(kind)), [expected], "in {text:?}");
}

/// `text` holds nothing of `kind`.
pub(super) fn assert_clean(text: &str, kind: PiiKind) {
    assert_eq!(found(text, only(kind)), [], "in {text:?}");
}

#[test]
fn names_round_trip_and_kinds_form_a_set() {
    for kind in PiiKind::ALL {
        assert_eq!(PiiKind::from_name(kind.name()), Some(kind));
        assert!(!kind.describe().is_empty());
    }
    assert_eq!(PiiKind::from_name("credit-card"), None);
    let set = PiiKinds::none().with(PiiKind::Iban).with(PiiKind::UsSsn);
    assert!(set.contains(PiiKind::Iban) && set.contains(PiiKind::UsSsn));
    assert!(!set.contains(PiiKind::PaymentCard) && !set.contains(PiiKind::Email));
    assert!(!set.is_empty());
    assert!(PiiKinds::none().is_empty());
    assert_eq!(PiiKinds::default(), PiiKinds::none());
    for kind in PiiKind::ALL {
        assert!(every_kind().contains(kind), "{kind:?}");
    }
}

#[test]
fn only_enabled_kinds_are_reported() {
    let text = "card 4111 1111 1111 1111, ssn 536-22-1234, iban DE89370400440532013000, \
                mail alice@example.com, phone +44 20 7946 0958";
    assert_eq!(found(text, PiiKinds::none()), []);
    assert_eq!(
        found(text, every_kind()),
        [
            (PiiKind::PaymentCard, "4111 1111 1111 1111"),
            (PiiKind::UsSsn, "536-22-1234"),
            (PiiKind::Iban, "DE89370400440532013000"),
            (PiiKind::Email, "alice@example.com"),
            (PiiKind::Phone, "+44 20 7946 0958"),
        ]
    );
    let defaults = only(PiiKind::PaymentCard)
        .with(PiiKind::UsSsn)
        .with(PiiKind::Iban);
    assert_eq!(found(text, defaults).len(), 3);
    assert_eq!(
        found(text, only(PiiKind::Email)),
        [(PiiKind::Email, "alice@example.com")]
    );
}

#[test]
fn overlapping_values_keep_the_first_and_longest() {
    // The address's local part is a phone number: the address starts first.
    let text = "+12125550123@example.com";
    assert_eq!(found(text, every_kind()), [(PiiKind::Email, text)]);
}

#[test]
fn values_are_found_deep_in_a_large_text() {
    let corpus = ordinary_text(200_000);
    let values = [
        (PiiKind::PaymentCard, "5555 5555 5555 4444"),
        (PiiKind::UsSsn, "536-22-1234"),
        (PiiKind::Iban, "GB82 WEST 1234 5698 7654 32"),
        (PiiKind::Email, "alice@example.com"),
        (PiiKind::Phone, "(212) 555-0123"),
    ];
    let mut text = corpus.clone();
    for (kind, value) in values {
        text.push_str(&format!("\n{kind:?}: {value}\n"));
        text.push_str(&corpus);
    }
    assert_eq!(found(&text, every_kind()), values);
}

#[test]
fn a_megabyte_of_ordinary_text_full_of_numbers_holds_no_personal_data() {
    let text = ordinary_text(1_000_000);
    assert_eq!(found(&text, every_kind()), []);
}

/// Pieces that make up every kind and its near misses: digits, separators, capitals, the
/// punctuation the rules look at, and non-ASCII characters next to which byte offsets break.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "4111",
        "1111",
        "5555",
        "4444",
        "536",
        "22",
        "1234",
        "0",
        "9",
        " ",
        "-",
        ".",
        "+",
        "(",
        ")",
        "@",
        ":",
        "/",
        "_",
        "GB82",
        "WEST",
        "DE89",
        "3704",
        "ab",
        "x.com",
        "é",
        "€",
        "\u{1F600}",
    ])
}

proptest! {
    #[test]
    fn findings_are_sorted_disjoint_and_on_char_boundaries(
        pieces in prop::collection::vec(piece(), 0..40)
    ) {
        let text = pieces.concat();
        let findings = scan(&text, every_kind());
        let mut reach = 0;
        for finding in &findings {
            prop_assert!(reach <= finding.start && finding.start < finding.end);
            prop_assert!(text.is_char_boundary(finding.start));
            prop_assert!(text.is_char_boundary(finding.end));
            reach = finding.end;
        }
    }

    /// The shared pass over digit runs finds what a pass of each kind of its own finds.
    #[test]
    fn cards_and_ssns_share_a_pass_without_losing_any(
        pieces in prop::collection::vec(piece(), 0..60)
    ) {
        let text = pieces.concat();
        let alone = |kind| -> Vec<Range<usize>> {
            scan(&text, only(kind)).iter().map(|f| f.start..f.end).collect()
        };
        prop_assert_eq!(alone(PiiKind::PaymentCard), cards::cards(&text));
        prop_assert_eq!(alone(PiiKind::UsSsn), ssn::ssns(&text));
        let both = scan(&text, only(PiiKind::PaymentCard).with(PiiKind::UsSsn));
        let mut separately: Vec<PiiFinding> = Vec::new();
        for kind in [PiiKind::PaymentCard, PiiKind::UsSsn] {
            separately.extend(scan(&text, only(kind)));
        }
        separately.sort_by_key(|f| (f.start, usize::MAX - f.end));
        let mut reach = 0;
        separately.retain(|f| {
            let clear = f.start >= reach;
            if clear {
                reach = f.end;
            }
            clear
        });
        prop_assert_eq!(both, separately);
    }
}

/// Deterministic pseudo-random numbers for [`ordinary_text`].
struct Noise(u64);

impl Noise {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
}

/// At least `len` bytes of what tools return: logs, JSON, code, prose, CSV and diffs, full of
/// timestamps, identifiers, hashes, versions, amounts, addresses and ranges, with no personal data.
fn ordinary_text(len: usize) -> String {
    let mut noise = Noise(7);
    let mut text = String::with_capacity(len + 512);
    while text.len() < len {
        let n = &mut noise;
        let line = match n.below(8) {
            0 => format!(
                "2024-11-{:02}T{:02}:{:02}:{:02}.{:06}Z INFO [req {}-{}-4{}-a{}-{}] \
                 GET /api/v2/orders/{} 200 {}ms bytes={} pid={}\n",
                n.below(28) + 1,
                n.below(24),
                n.below(60),
                n.below(60),
                n.below(1_000_000),
                n.hex(8),
                n.hex(4),
                n.hex(3),
                n.hex(3),
                n.hex(12),
                n.below(10_000_000),
                n.below(5000),
                n.below(10_000_000),
                n.below(65_536),
            ),
            1 => format!(
                "{{\"id\":1{:018},\"created_at\":17{:011},\"ts_ns\":17{:017},\
                 \"order\":\"ORD-2024-{:06}\",\"amount\":{}.{:02},\"version\":\"{}.{}.{}\",\
                 \"sha\":\"{}\",\"ip\":\"10.{}.{}.{}\",\"port\":{},\"count\":{}}}\n",
                n.below(1_000_000_000_000_000_000),
                n.below(100_000_000_000),
                n.below(100_000_000_000_000_000),
                n.below(1_000_000),
                n.below(100_000),
                n.below(100),
                n.below(20),
                n.below(50),
                n.below(200),
                n.hex(40),
                n.below(256),
                n.below(256),
                n.below(256),
                n.below(65_536),
                n.below(1_000_000),
            ),
            2 => format!(
                "In {} the team shipped {} releases; build 2023{:04}.{} took {}:{:02} minutes \
                 and pages {}-{} of the report cover ports {}-{}. See RFC {} and ISO 8601.\n",
                n.below(30) + 1995,
                n.below(50),
                n.below(10_000),
                n.below(10),
                n.below(60),
                n.below(60),
                n.below(500),
                n.below(500) + 500,
                n.below(10_000),
                n.below(10_000) + 10_000,
                n.below(9000) + 1000,
            ),
            3 => format!(
                "    let total: u64 = (0..{}).map(|i| i * {} + {}).sum(); // 0x{} sha256:{}\n",
                n.below(100_000),
                n.below(1000),
                n.below(1000),
                n.hex(16),
                n.hex(64),
            ),
            4 => format!(
                "{:04}-{:02}-{:02},{:02}:{:02}:{:02},user_{},{}.{:02},EUR,{}.{}.{}.{},{}/{}/{}\n",
                n.below(30) + 1995,
                n.below(12) + 1,
                n.below(28) + 1,
                n.below(24),
                n.below(60),
                n.below(60),
                n.below(100_000),
                n.below(10_000),
                n.below(100),
                n.below(256),
                n.below(256),
                n.below(256),
                n.below(256),
                n.below(12) + 1,
                n.below(28) + 1,
                n.below(30) + 1995,
            ),
            5 => format!(
                "@@ -{},{} +{},{} @@\n+version = \"{}.{}.{}\"\n-version = \"{}.{}.{}\"\n\
                 +{}-{:02}-{:02} release\n",
                n.below(5000),
                n.below(50),
                n.below(5000),
                n.below(50),
                n.below(10),
                n.below(40),
                n.below(20),
                n.below(10),
                n.below(40),
                n.below(20),
                n.below(30) + 1995,
                n.below(12) + 1,
                n.below(28) + 1,
            ),
            6 => format!(
                "commit {}\nMerge: {} {}\nDate: Thu Nov {} {:02}:{:02}:{:02} 2024 +0100\n\n    \
                 Fix #{} (closes GH-{}), bump SHA256SUMS and UTF8 handling in HTTP2 layer\n",
                n.hex(40),
                n.hex(7),
                n.hex(7),
                n.below(28) + 1,
                n.below(24),
                n.below(60),
                n.below(60),
                n.below(100_000),
                n.below(100_000),
            ),
            _ => format!(
                "Table {}: {} | {} | {} | {} | total {} | {:.3} ms | {}x{} px | {}% | \
                 v{}.{}.{}-rc.{}\n",
                n.below(100),
                n.below(10_000),
                n.below(10_000),
                n.below(10_000),
                n.below(10_000),
                n.below(100_000_000),
                n.below(100_000) as f64 / 1000.0,
                n.below(4000),
                n.below(4000),
                n.below(100),
                n.below(10),
                n.below(30),
                n.below(30),
                n.below(5),
            ),
        };
        text.push_str(&line);
    }
    text
}
