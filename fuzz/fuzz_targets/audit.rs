//! Making a message safe to keep never panics, never exceeds its size, and never keeps a secret:
//! no secret the detectors find in any string of the message (of 12 characters or more, which
//! cannot turn up elsewhere by chance) appears in its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_core::audit::{KEY_LEN, Redactor, SUMMARY_MAX, summarize};
use portcullis_core::detect::{hidden, secrets};
use portcullis_core::json::{DEFAULT_MAX_DEPTH, parse_strict};
use serde_json::Value;

/// Every string of `value`, object keys included.
fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(members) => {
            for (k, v) in members {
                out.push(k);
                strings(v, out);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = parse_strict(data, DEFAULT_MAX_DEPTH) else {
        return;
    };
    let redactor = Redactor::new([9; KEY_LEN]);
    let (summary, _) = summarize(&value, &redactor);
    assert!(summary.chars().count() <= SUMMARY_MAX + 1, "{summary}");
    let mut texts = Vec::new();
    strings(&value, &mut texts);
    for text in texts {
        let visible = hidden::strip(text);
        for found in secrets::scan(&visible) {
            let secret = &visible[found.start..found.end];
            // A short match (a URL "password" of `::`) is found anywhere by chance.
            if secret.len() < 12 {
                continue;
            }
            assert!(!summary.contains(secret), "the summary kept {secret:?}: {summary}");
        }
    }
});
