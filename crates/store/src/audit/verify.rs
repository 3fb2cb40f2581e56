//! Checking the chain: that no record was edited, deleted, reordered or slipped in since it was
//! written, and that pruning's anchor is the one pruning left.

use std::fmt;

use portcullis_core::audit::Redactor;
use rusqlite::OptionalExtension;

use super::read::AuditLog;
use super::{COLUMNS, Entry, anchor_mac};
use crate::StoreError;

/// What [`AuditLog::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every record chains to the one before it, from the anchor or the first record on.
    Intact {
        records: u64,
        /// The first and last record's ids (`None` without records).
        first: Option<i64>,
        last: Option<i64>,
        /// The last pruned record's id, where the chain continues from.
        anchor: Option<i64>,
    },
    /// The chain breaks at `problem`; `verified` records before it were intact.
    Broken { verified: u64, problem: Problem },
}

/// The first break in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Records `from` to `to` (inclusive) should be there and are not: deleted.
    Missing { from: i64, to: i64 },
    /// Record `id` is not the record its hash was made for: edited, or moved from elsewhere
    /// (reordered, copied in), or hashed with another key.
    Altered { id: i64 },
    /// The anchor pruning leaves does not match its keyed hash: written by someone else, or
    /// checked with another key.
    ForgedAnchor,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { from, to } if from == to => write!(f, "record {from} is missing"),
            Problem::Missing { from, to } => write!(f, "records {from} to {to} are missing"),
            Problem::Altered { id } => write!(f, "record {id} does not match its chain hash"),
            Problem::ForgedAnchor => write!(
                f,
                "the anchor left by pruning does not match its keyed hash"
            ),
        }
    }
}

impl AuditLog {
    /// Walks the records in id order with `redactor` (the installation's key), from the anchor
    /// when pruning left one, and stops at the first problem. Runs in one read transaction, so
    /// records appended meanwhile neither count nor break it.
    pub fn verify(&self, redactor: &Redactor) -> Result<Verification, StoreError> {
        let snapshot = self.snapshot()?;
        let anchor: Option<(i64, String, i64, String)> = snapshot
            .query_row(
                "SELECT last_id, last_hash, pruned, mac FROM anchor",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let mut chain = match &anchor {
            Some((last_id, last_hash, pruned, mac)) => {
                if anchor_mac(redactor, *last_id, last_hash, *pruned) != *mac {
                    return Ok(Verification::Broken {
                        verified: 0,
                        problem: Problem::ForgedAnchor,
                    });
                }
                Chain::after(*last_id, last_hash.clone())
            }
            None => Chain::after(0, String::new()),
        };
        let mut statement =
            snapshot.prepare(&format!("SELECT {COLUMNS} FROM records ORDER BY id"))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let entry = match Entry::from_row(row) {
                Ok(entry) => Some(entry),
                // A JSON column that no longer parses was edited.
                Err(rusqlite::Error::FromSqlConversionFailure(..)) => None,
                Err(err) => return Err(err.into()),
            };
            if let Some(problem) = chain.next(id, entry.as_ref(), redactor) {
                return Ok(chain.broken(problem));
            }
        }
        // AUTOINCREMENT remembers the highest id ever given: above the last record, the newest
        // records were deleted.
        let highest: Option<i64> = snapshot
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'records'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(highest) = highest.filter(|&h| h > chain.last_id) {
            let problem = Problem::Missing {
                from: chain.last_id + 1,
                to: highest,
            };
            return Ok(chain.broken(problem));
        }
        Ok(Verification::Intact {
            records: chain.verified,
            first: chain.first,
            last: (chain.verified > 0).then_some(chain.last_id),
            anchor: anchor.map(|(last_id, ..)| last_id),
        })
    }
}

/// The walk so far: where the chain stands after the records verified.
struct Chain {
    /// The last verified record's id (the anchor's, or 0, before the first).
    last_id: i64,
    last_hash: String,
    first: Option<i64>,
    verified: u64,
}

impl Chain {
    fn after(last_id: i64, last_hash: String) -> Self {
        Chain {
            last_id,
            last_hash,
            first: None,
            verified: 0,
        }
    }

    /// Takes record `id` (`None` when its row no longer reads as an entry) as the next link, or
    /// says why it is not.
    fn next(&mut self, id: i64, entry: Option<&Entry>, redactor: &Redactor) -> Option<Problem> {
        let expected = self.last_id + 1;
        if id > expected {
            return Some(Problem::Missing {
                from: expected,
                to: id - 1,
            });
        }
        // An id at or below the anchor's was pruned: this record was put back, or made up.
        let linked = id == expected
            && entry.is_some_and(|e| e.hash == e.chain_hash(redactor, &self.last_hash));
        let Some(entry) = entry.filter(|_| linked) else {
            return Some(Problem::Altered { id });
        };
        self.last_id = id;
        self.last_hash.clone_from(&entry.hash);
        self.first.get_or_insert(id);
        self.verified += 1;
        None
    }

    fn broken(&self, problem: Problem) -> Verification {
        Verification::Broken {
            verified: self.verified,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use portcullis_core::audit::KEY_LEN;

    use super::super::SecretRef;
    use super::super::read::tests::Trail;
    use super::super::tests::entry;
    use super::*;

    /// A trail of `n` records.
    fn trail(n: i64) -> Trail {
        let mut trail = Trail::new();
        trail.append((0..n).map(entry).collect());
        trail
    }

    fn verify(trail: &Trail) -> Verification {
        trail.log().verify(&trail.redactor).unwrap()
    }

    fn broken(verified: u64, problem: Problem) -> Verification {
        Verification::Broken { verified, problem }
    }

    fn intact(records: u64, first: i64, last: i64, anchor: Option<i64>) -> Verification {
        Verification::Intact {
            records,
            first: Some(first),
            last: Some(last),
            anchor,
        }
    }

    fn sql(trail: &Trail, sql: &str) {
        trail.conn.execute_batch(sql).unwrap();
    }

    /// Prunes the first `k` records as pruning does: the anchor, then the deletion.
    fn prune(trail: &Trail, k: i64) {
        let last_hash: String = trail
            .conn
            .query_row("SELECT hash FROM records WHERE id = ?1", [k], |r| r.get(0))
            .unwrap();
        let mac = anchor_mac(&trail.redactor, k, &last_hash, k);
        trail
            .conn
            .execute(
                "INSERT INTO anchor VALUES (1, ?1, ?2, ?1, '2026-11-23T00:00:00Z', ?3)",
                rusqlite::params![k, last_hash, mac],
            )
            .unwrap();
        trail
            .conn
            .execute("DELETE FROM records WHERE id <= ?1", [k])
            .unwrap();
    }

    #[test]
    fn an_untouched_trail_is_intact() {
        assert_eq!(verify(&trail(5)), intact(5, 1, 5, None));
        let empty = Verification::Intact {
            records: 0,
            first: None,
            last: None,
            anchor: None,
        };
        assert_eq!(verify(&trail(0)), empty);
    }

    #[test]
    fn an_edited_record_is_altered() {
        let trail = trail(5);
        sql(
            &trail,
            "UPDATE records SET reason = 'nothing to see' WHERE id = 3",
        );
        assert_eq!(verify(&trail), broken(2, Problem::Altered { id: 3 }));
    }

    #[test]
    fn an_edit_that_breaks_a_json_column_is_altered() {
        let trail = trail(5);
        sql(
            &trail,
            "UPDATE records SET evidence = 'not json' WHERE id = 4",
        );
        assert_eq!(verify(&trail), broken(3, Problem::Altered { id: 4 }));
    }

    #[test]
    fn a_record_deleted_in_the_middle_is_missing() {
        let trail = trail(6);
        sql(&trail, "DELETE FROM records WHERE id IN (3, 4)");
        let missing = Problem::Missing { from: 3, to: 4 };
        assert_eq!(verify(&trail), broken(2, missing));
    }

    #[test]
    fn deleting_the_newest_records_shows_in_the_sequence() {
        let trail = trail(6);
        sql(&trail, "DELETE FROM records WHERE id >= 5");
        let missing = Problem::Missing { from: 5, to: 6 };
        assert_eq!(verify(&trail), broken(4, missing));
    }

    #[test]
    fn records_appended_after_the_newest_were_deleted_keep_the_gap_visible() {
        let mut trail = trail(5);
        sql(&trail, "DELETE FROM records WHERE id >= 4");
        // More records than were deleted: their ids pass the highest ever given.
        let later = trail.append((5..8).map(entry).collect());
        let ids: Vec<i64> = later.iter().map(|e| e.id).collect();
        assert_eq!(ids, [6, 7, 8], "ids deleted are not given again");
        let missing = Problem::Missing { from: 4, to: 5 };
        assert_eq!(verify(&trail), broken(3, missing));
    }

    #[test]
    fn a_member_added_to_a_secret_is_altered() {
        let mut trail = Trail::new();
        let mut entries: Vec<Entry> = (0..3).map(entry).collect();
        entries[1].secrets = vec![SecretRef {
            kind: "github-token".into(),
            tag: "0123abcd".into(),
        }];
        trail.append(entries);
        sql(
            &trail,
            r#"UPDATE records SET secrets = '[{"kind":"github-token","tag":"0123abcd","note":"x"}]'
               WHERE id = 2"#,
        );
        assert_eq!(verify(&trail), broken(1, Problem::Altered { id: 2 }));
    }

    #[test]
    fn swapped_records_are_altered_at_the_first() {
        let trail = trail(5);
        // Rows 2 and 4 trade contents (hash included): the order of events is rewritten.
        sql(
            &trail,
            "UPDATE records SET id = -2 WHERE id = 2;
             UPDATE records SET id = 2 WHERE id = 4;
             UPDATE records SET id = 4 WHERE id = -2;",
        );
        assert_eq!(verify(&trail), broken(1, Problem::Altered { id: 2 }));
    }

    #[test]
    fn a_pruned_prefix_continues_from_its_anchor() {
        let trail = trail(8);
        prune(&trail, 3);
        assert_eq!(verify(&trail), intact(5, 4, 8, Some(3)));
    }

    #[test]
    fn a_trail_pruned_whole_is_intact_and_empty() {
        let trail = trail(4);
        prune(&trail, 4);
        let expected = Verification::Intact {
            records: 0,
            first: None,
            last: None,
            anchor: Some(4),
        };
        assert_eq!(verify(&trail), expected);
    }

    #[test]
    fn a_forged_anchor_is_reported_before_any_record() {
        let trail = trail(8);
        prune(&trail, 3);
        // Hiding more records by moving the anchor forward.
        sql(
            &trail,
            "UPDATE anchor SET last_id = 5; DELETE FROM records WHERE id <= 5",
        );
        assert_eq!(verify(&trail), broken(0, Problem::ForgedAnchor));
    }

    #[test]
    fn records_before_the_anchor_are_altered() {
        let trail = trail(6);
        prune(&trail, 2);
        sql(
            &trail,
            "INSERT INTO records SELECT 1, at, session, server, server_key, client, direction, \
             kind, method, target, rpc_id, verdict, outcome, rule, reason, evidence, summary, \
             secrets, bytes, added_us, hash FROM records WHERE id = 3",
        );
        assert_eq!(verify(&trail), broken(0, Problem::Altered { id: 1 }));
    }

    #[test]
    fn the_wrong_key_breaks_the_first_record() {
        let trail = trail(3);
        let other = Redactor::new([9; KEY_LEN]);
        let result = trail.log().verify(&other).unwrap();
        assert_eq!(result, broken(0, Problem::Altered { id: 1 }));
    }

    #[test]
    fn problems_read_as_sentences() {
        let one = Problem::Missing { from: 4, to: 4 };
        assert_eq!(one.to_string(), "record 4 is missing");
        let some = Problem::Missing { from: 4, to: 9 };
        assert_eq!(some.to_string(), "records 4 to 9 are missing");
    }
}
