//! `portcullis logs verify`: whether the audit trail is as it was written, and if not, where it
//! first differs and what that means.

use std::io::{self, Write};
use std::path::Path;

use anyhow::bail;
use portcullis_store::audit::{self, AuditLog, Problem, Verification, key};

use crate::words::count;

/// Exit codes: 0 intact, 1 broken; errors are 2 (main).
pub fn verify(dir: &Path, log: &AuditLog, key_file: Option<&Path>) -> anyhow::Result<u8> {
    let trail = dir.join(audit::FILE_NAME);
    let own_key = dir.join(key::FILE_NAME);
    let key_path = key_file.unwrap_or(&own_key);
    let Some(redactor) = key::load_file(key_path)? else {
        match key_file {
            Some(_) => bail!(
                "there is no key file {}: give the path of a copy of the audit key (the one \
                 portcullis uses is {})",
                key_path.display(),
                own_key.display()
            ),
            None => bail!(
                "the audit key {} is missing, and without it the trail {} cannot be checked: \
                 restore the file from a copy, or give a copy with --key FILE",
                key_path.display(),
                trail.display()
            ),
        }
    };
    let (report, code) = match log.verify(&redactor)? {
        Verification::Intact {
            records,
            first,
            last,
            anchor,
        } => (intact(records, first.zip(last), anchor), 0),
        Verification::Broken { verified, problem } => {
            let report = format!(
                "the audit trail {} is broken: {problem}\n{}\n{} before it verified; nothing \
                 after it was checked\na key other than the one the trail was written with \
                 breaks every hash: if {} was replaced, or --key names the wrong copy, this is \
                 the result too",
                trail.display(),
                meaning(&problem),
                count(verified, "record", None),
                own_key.display()
            );
            (report, 1)
        }
    };
    // One write: a reader that stops early gets whole lines or nothing.
    writeln!(io::stdout().lock(), "{report}")?;
    Ok(code)
}

/// The verdict on an intact trail: how many records, which ids, and where the chain starts.
fn intact(records: u64, ids: Option<(i64, i64)>, anchor: Option<i64>) -> String {
    let ids = match ids {
        Some((first, last)) if first == last => format!(" (id {first})"),
        Some((first, last)) => format!(" (ids {first}–{last})"),
        None => String::new(),
    };
    let anchor = anchor.map_or(String::new(), |id| {
        format!(", continuing from the anchor left by pruning at id {id}")
    });
    format!(
        "verified {}{ids}{anchor}: none was edited, deleted or reordered",
        count(records, "record", None)
    )
}

/// What `problem` means happened.
fn meaning(problem: &Problem) -> String {
    match problem {
        Problem::Missing { from, to } if from == to => {
            format!("record {from} was deleted after it was written")
        }
        Problem::Missing { from, to } => {
            format!("records {from} to {to} were deleted after they were written")
        }
        Problem::Altered { id } => format!(
            "record {id} was edited after it was written, or is a record from elsewhere in the \
             trail moved here (records reordered, or copied in)"
        ),
        Problem::ForgedAnchor => "the anchor, which says where pruning stopped, was written or \
             changed by something other than portcullis: records before the trail's start may \
             have been deleted and the anchor moved to hide it"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intact_trail_says_what_was_checked() {
        assert_eq!(
            intact(1, Some((7, 7)), None),
            "verified 1 record (id 7): none was edited, deleted or reordered"
        );
        assert_eq!(
            intact(5, Some((4, 8)), Some(3)),
            "verified 5 records (ids 4–8), continuing from the anchor left by pruning at id 3: \
             none was edited, deleted or reordered"
        );
        assert_eq!(
            intact(0, None, Some(9)),
            "verified 0 records, continuing from the anchor left by pruning at id 9: none was \
             edited, deleted or reordered"
        );
    }
}
