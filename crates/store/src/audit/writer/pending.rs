//! Records and stderr lines converted and not yet written: normally one batch, and everything
//! since the database became unavailable while it is. Bounded: beyond the limit the oldest
//! allowed records go first, so that denials and questions to the user survive longest.

use std::collections::VecDeque;

use portcullis_core::audit::Verdict;

use super::stderr::Line;
use crate::audit::Entry;

pub(super) struct Pending {
    pub records: VecDeque<Entry>,
    pub lines: VecDeque<Line>,
    max_records: usize,
    max_lines: usize,
    /// Records lost to the limit.
    pub records_lost: u64,
    /// Lines lost to the limit.
    pub lines_lost: u64,
}

impl Pending {
    pub fn new(max_records: usize, max_lines: usize) -> Self {
        Self {
            records: VecDeque::new(),
            lines: VecDeque::new(),
            max_records,
            max_lines,
            records_lost: 0,
            lines_lost: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.lines.is_empty()
    }

    pub fn push_records(&mut self, records: impl IntoIterator<Item = Entry>) {
        self.records.extend(records);
        let mut excess = self.records.len().saturating_sub(self.max_records);
        if excess == 0 {
            return;
        }
        self.records_lost += excess as u64;
        self.records.retain(|record| {
            let expendable = !Verdict::from_name(&record.verdict).is_some_and(Verdict::must_keep);
            let lose = excess > 0 && expendable;
            excess -= usize::from(lose);
            !lose
        });
        // Only records that must be kept are left: the oldest of them go.
        self.records.drain(..excess);
    }

    pub fn push_lines(&mut self, lines: impl IntoIterator<Item = Line>) {
        self.lines.extend(lines);
        let excess = self.lines.len().saturating_sub(self.max_lines);
        self.lines_lost += excess as u64;
        self.lines.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::entry;

    fn record(n: i64, verdict: &str) -> Entry {
        Entry {
            verdict: verdict.into(),
            ..entry(n)
        }
    }

    #[test]
    fn the_oldest_allowed_records_go_first() {
        let mut pending = Pending::new(3, 10);
        pending.push_records([record(1, "deny"), record(2, "allow"), record(3, "redact")]);
        pending.push_records([record(4, "ask"), record(5, "allow")]);
        let kept: Vec<i64> = pending.records.iter().map(|e| e.bytes - 100).collect();
        assert_eq!(kept, [1, 4, 5]);
        assert_eq!(pending.records_lost, 2);
        pending.push_records([record(6, "deny"), record(7, "deny"), record(8, "deny")]);
        let kept: Vec<i64> = pending.records.iter().map(|e| e.bytes - 100).collect();
        assert_eq!(
            kept,
            [6, 7, 8],
            "when only kept ones are left, the oldest go"
        );
        assert_eq!(pending.records_lost, 5);
    }
}
