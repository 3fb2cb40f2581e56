//! An [`Event`] made into a record: every text from the message or the decision redacted, the
//! payload summarized (or not kept, per `audit.detail`), and what was found listed by type and
//! tag.

use portcullis_core::audit::{Detail, Leak, Redactor, command_words, summarize};

use super::SessionInfo;
use super::queue::Queued;
use crate::audit::{Entry, SecretRef, time};

/// The summary of an event whose payload was not kept because the queue's budget was spent.
pub(super) const NOT_SUMMARIZED: &str = "[not summarized: the audit writer was behind]";

/// The record of `queued` for `session`; `id` and `hash` are left for `append` to assign.
pub(super) fn entry(
    queued: Queued,
    session: &SessionInfo,
    redactor: &Redactor,
    detail: Detail,
) -> Entry {
    let Queued { event, shed, .. } = queued;
    #[cfg(test)]
    assert_ne!(
        event.method,
        super::tests::PANIC_METHOD,
        "a test made the audit writer panic"
    );
    let mut leaks = Leaks {
        redactor,
        found: Vec::new(),
    };
    let summary = match (detail, &event.payload) {
        (Detail::None, _) => None,
        (Detail::Redacted, Some(payload)) => {
            let (summary, found) = summarize(payload, redactor);
            leaks.found.extend(found);
            Some(summary)
        }
        (Detail::Redacted, None) => shed.then(|| NOT_SUMMARIZED.to_owned()),
    };
    let mut entry = Entry {
        id: 0,
        at: time::stored_system(event.at),
        session: session.id.clone(),
        server: session.server.clone(),
        server_key: session.server_key.clone(),
        client: leaks.optional(event.client.as_deref()),
        direction: event.direction.name().to_owned(),
        kind: event.kind.name().to_owned(),
        method: leaks.text(&event.method),
        target: leaks.optional(event.target.as_deref()),
        rpc_id: leaks.optional(event.rpc_id.as_deref()),
        verdict: event.verdict.name().to_owned(),
        outcome: leaks.optional(event.outcome.as_deref()),
        rule: leaks.optional(event.rule.as_deref()),
        reason: leaks.text(&event.reason),
        evidence: event.evidence.iter().map(|e| leaks.text(e)).collect(),
        summary,
        secrets: Vec::new(),
        bytes: i64::try_from(event.bytes).unwrap_or(i64::MAX),
        added_us: i64::try_from(event.added.as_micros()).unwrap_or(i64::MAX),
        hash: String::new(),
    };
    entry.secrets = leaks.refs();
    entry
}

/// The server's command as the `sessions` row keeps it: a JSON array of its words, each redacted
/// (an option's value also by the option's name: `--password hunter2`).
pub(super) fn command(words: &[String], redactor: &Redactor) -> String {
    let redacted: Vec<String> = command_words(words)
        .map(|(option, word)| redactor.text_under(option, word).text.into_owned())
        .collect();
    serde_json::to_string(&redacted).expect("strings serialize")
}

/// Redacts texts and gathers what was taken out of them.
struct Leaks<'r> {
    redactor: &'r Redactor,
    found: Vec<Leak>,
}

impl Leaks<'_> {
    fn text(&mut self, text: &str) -> String {
        let redacted = self.redactor.text(text);
        self.found.extend(redacted.leaks);
        redacted.text.into_owned()
    }

    fn optional(&mut self, text: Option<&str>) -> Option<String> {
        text.map(|text| self.text(text))
    }

    /// Each value found once, in a stable order.
    fn refs(mut self) -> Vec<SecretRef> {
        self.found.sort();
        self.found.dedup();
        self.found
            .into_iter()
            .map(|leak| SecretRef {
                kind: leak.kind.to_owned(),
                tag: leak.tag,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use portcullis_core::audit::{Event, KEY_LEN, Verdict};
    use portcullis_core::message::{Direction, Kind};
    use serde_json::json;

    use super::*;
    use crate::audit::writer::tests::{AWS_ID, CARD, TOKEN, session};

    fn redactor() -> Redactor {
        Redactor::new([9; KEY_LEN])
    }

    fn event() -> Event {
        Event {
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_309_323_456),
            direction: Direction::ToClient,
            kind: Kind::Error,
            method: "tools/call".into(),
            target: Some(format!("read {TOKEN}")),
            rpc_id: Some("7".into()),
            verdict: Verdict::Deny,
            outcome: Some("denied".into()),
            rule: Some("secrets".into()),
            reason: format!("found {AWS_ID}").into(),
            evidence: vec![format!("card {CARD}"), "plain".into()],
            bytes: 321,
            added: Duration::from_micros(1500),
            client: Some("claude-code 1.0".into()),
            payload: Some(json!({"token": TOKEN, "path": "/tmp/a"})),
        }
    }

    fn queued(event: Event, shed: bool) -> Queued {
        Queued { event, shed }
    }

    #[test]
    fn every_text_is_redacted_and_the_leaks_listed_once() {
        let r = redactor();
        let e = entry(queued(event(), false), &session(), &r, Detail::Redacted);
        assert_eq!(e.at, "2026-11-22T01:02:03.456Z");
        assert_eq!(
            (e.direction.as_str(), e.kind.as_str()),
            ("to_client", "error")
        );
        assert_eq!(
            (e.verdict.as_str(), e.bytes, e.added_us),
            ("deny", 321, 1500)
        );
        assert_eq!(e.session, session().id);
        let text = serde_json::to_string(&e).unwrap();
        for secret in [TOKEN, AWS_ID, CARD] {
            assert!(!text.contains(secret), "{text}");
        }
        let kinds: Vec<&str> = e.secrets.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["aws-access-key-id", "github-token", "payment-card"]);
        assert_eq!(e.secrets[1].tag, r.tag(TOKEN));
        assert!(e.summary.unwrap().contains("[REDACTED:github-token#"));
    }

    #[test]
    fn the_detail_setting_decides_the_summary() {
        let r = redactor();
        let none = entry(queued(event(), false), &session(), &r, Detail::None);
        assert_eq!(none.summary, None);
        let mut bare = event();
        bare.payload = None;
        let e = entry(
            queued(bare.clone(), false),
            &session(),
            &r,
            Detail::Redacted,
        );
        assert_eq!(e.summary, None);
        let e = entry(queued(bare, true), &session(), &r, Detail::Redacted);
        assert_eq!(e.summary.as_deref(), Some(NOT_SUMMARIZED));
    }

    #[test]
    fn command_words_are_redacted_also_as_option_values() {
        let words = [
            "server",
            "--token",
            TOKEN,
            "--password",
            "hunter2-but-longer",
        ];
        let words: Vec<String> = words.map(String::from).to_vec();
        let stored = command(&words, &redactor());
        assert!(
            !stored.contains(TOKEN) && !stored.contains("hunter2"),
            "{stored}"
        );
        let parsed: Vec<String> = serde_json::from_str(&stored).unwrap();
        assert_eq!(parsed[..2], ["server", "--token"]);
    }
}
