//! Personal data in text: payment card numbers, US Social Security numbers, IBANs, email addresses
//! and phone numbers, each with an exact byte span, so that a tool call or result carrying one can
//! be blocked or redacted.
//!
//! Each kind is a validated format, not a bare pattern: a pass finds candidates of the right shape
//! and code checks what a pattern cannot (a card's issuer, length and Luhn digit, an IBAN's
//! registry length and mod-97 checksum, an SSN's reserved ranges). A value must also stand alone
//! ([`standalone`]): a card number inside a longer digit run, a version string or an identifier is
//! no card number. [`cards`], [`ssn`], [`iban`], [`email`] and [`phone`] document their own rules.
//!
//! Speed: [`scan`] makes one linear pass per enabled kind, and none for a disabled kind, but cards
//! and SSNs share theirs. The three kinds a policy looks for by default have hand-written passes,
//! as text full of numbers (logs, JSON) would hold a regex match every few bytes: cards and SSNs
//! are read from one pass over the [`runs`] of digits, IBANs from two capitals followed by two
//! digits, found 32 positions at a time. Emails (an `@` the regex finds by a vectorized search)
//! and phone numbers use a regex each.

mod cards;
mod email;
mod iban;
mod phone;
mod runs;
mod ssn;
#[cfg(test)]
mod tests;

use std::ops::Range;

/// What personal data a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    PaymentCard,
    UsSsn,
    Iban,
    Email,
    Phone,
}

impl PiiKind {
    /// Every kind, in declaration order.
    pub const ALL: [PiiKind; 5] = [
        PiiKind::PaymentCard,
        PiiKind::UsSsn,
        PiiKind::Iban,
        PiiKind::Email,
        PiiKind::Phone,
    ];

    /// The kebab-case name used in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::PaymentCard => "payment-card",
            PiiKind::UsSsn => "us-ssn",
            PiiKind::Iban => "iban",
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
        }
    }

    /// The kind whose [`name`](Self::name) is `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == s)
    }

    /// A noun phrase for messages: "blocked: the arguments contain {describe}".
    pub fn describe(self) -> &'static str {
        match self {
            PiiKind::PaymentCard => "a payment card number",
            PiiKind::UsSsn => "a US Social Security number",
            PiiKind::Iban => "an IBAN (bank account number)",
            PiiKind::Email => "an email address",
            PiiKind::Phone => "a phone number",
        }
    }

    /// This kind's bit in a [`PiiKinds`].
    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`PiiKind`]s: which kinds [`scan`] looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PiiKinds(u8);

impl PiiKinds {
    /// The empty set.
    pub const fn none() -> Self {
        PiiKinds(0)
    }

    /// This set and `kind`.
    pub const fn with(self, kind: PiiKind) -> Self {
        PiiKinds(self.0 | kind.bit())
    }

    pub const fn contains(self, kind: PiiKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Personal data found in a text: the byte span of the whole value, on char boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiFinding {
    pub kind: PiiKind,
    /// Byte offset of the first byte of the value.
    pub start: usize,
    /// Byte offset just past the value.
    pub end: usize,
}

/// Every value of the `kinds` in `text`, sorted by position, non-overlapping: where values of
/// different kinds overlap (rare, as the formats hardly share a shape), the one that starts first
/// wins, and then the longer.
pub fn scan(text: &str, kinds: PiiKinds) -> Vec<PiiFinding> {
    let mut found: Vec<PiiFinding> = Vec::new();
    let (mut cards, mut ssns) = numbers(text, kinds);
    for kind in PiiKind::ALL
        .into_iter()
        .filter(|&kind| kinds.contains(kind))
    {
        let spans: Vec<Range<usize>> = match kind {
            PiiKind::PaymentCard => std::mem::take(&mut cards),
            PiiKind::UsSsn => std::mem::take(&mut ssns),
            PiiKind::Iban => iban::ibans(text).collect(),
            PiiKind::Email => email::emails(text).collect(),
            PiiKind::Phone => phone::phones(text).collect(),
        };
        found.extend(spans.into_iter().map(|span| PiiFinding {
            kind,
            start: span.start,
            end: span.end,
        }));
    }
    found.sort_by_key(|finding| (finding.start, usize::MAX - finding.end));
    let mut reach = 0;
    found.retain(|finding| {
        let clear = finding.start >= reach;
        if clear {
            reach = finding.end;
        }
        clear
    });
    found
}

/// Card numbers and Social Security numbers (when `kinds` holds them), from one pass over the
/// [`runs`] of digits: both are read from the same runs, and in text full of numbers finding the
/// runs is most of what either costs.
fn numbers(text: &str, kinds: PiiKinds) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let (cards_on, ssns_on) = (
        kinds.contains(PiiKind::PaymentCard),
        kinds.contains(PiiKind::UsSsn),
    );
    let (mut cards, mut ssns) = (Vec::new(), Vec::new());
    let min_digits = match (cards_on, ssns_on) {
        (_, true) => ssn::MIN_DIGITS,
        (true, false) => cards::MIN_DIGITS,
        (false, false) => return (cards, ssns),
    };
    let mut groups = Vec::new();
    for run in runs::digit_runs(text, min_digits) {
        runs::split_groups(text, run, &mut groups);
        if ssns_on {
            ssn::ssns_in_run(text, &groups, &mut ssns);
        }
        if cards_on && groups.iter().map(Range::len).sum::<usize>() >= cards::MIN_DIGITS {
            cards::cards_in_run(text, &groups, &mut cards);
        }
    }
    (cards, ssns)
}

/// Whether the value at `span` of `text` stands alone rather than inside a longer word or
/// number: on neither side a letter, digit, `_` or `+` (a `+` makes digits a phone number or a
/// sum), nor a `.` or `-` that goes on with a digit (`1.4111…`, `…1111-2`). A `spaced` value,
/// whose digit groups are joined by spaces, also must not go on with a space and a group of four
/// or more digits, which would be one more group of it; a shorter number next to it (a quantity,
/// an expiry month) is another value.
fn standalone(text: &str, span: Range<usize>, spaced: bool) -> bool {
    !goes_on(text[..span.start].chars().rev(), spaced) && !goes_on(text[span.end..].chars(), spaced)
}

/// Whether the characters next to a value, from the nearest, continue it (see [`standalone`]).
fn goes_on(mut side: impl Iterator<Item = char>, spaced: bool) -> bool {
    match side.next() {
        Some(c) if c.is_alphanumeric() || c == '_' || c == '+' => true,
        Some('.' | '-') => side.next().is_some_and(|c| c.is_ascii_digit()),
        Some(' ') if spaced => side.take_while(char::is_ascii_digit).take(4).count() == 4,
        _ => false,
    }
}
