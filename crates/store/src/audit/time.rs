//! Times in and out: the user's `--since`/`--until` to the store's form, the store's timestamps
//! (RFC 3339 UTC) to the user's local time.

use std::time::SystemTime;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Zoned};

/// The forms a time argument takes, for help and errors alike.
pub const FORMS: &str = "a duration back from now (30s, 15m, 2h, 7d, 1w, 2h30m) or a time \
     (2026-11-22, 2026-11-22T03:00, 2026-11-22T03:00:00+01:00); a time without an offset is local";

/// Parses a `--since`/`--until` value: clap's value parser.
pub fn parse(text: &str) -> Result<Timestamp, String> {
    parse_at(text, &Zoned::now())
}

/// `text` as an instant: a duration back from `now`, or a time, local to `now`'s zone when it
/// names no offset. Days and weeks back are calendar days in that zone.
fn parse_at(text: &str, now: &Zoned) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(span) = text.parse::<Span>() {
        return now
            .checked_sub(span.abs())
            .map(|then| then.timestamp())
            .map_err(|e| format!("{text} back from now is out of range: {e}"));
    }
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant);
    }
    // A named zone (`2026-11-22T03:00[Europe/Paris]`) before a civil time, which would ignore it.
    if let Ok(zoned) = text.parse::<Zoned>() {
        return Ok(zoned.timestamp());
    }
    let zone = now.time_zone().clone();
    let local = match (text.parse::<DateTime>(), text.parse::<Date>()) {
        (Ok(civil), _) => civil.to_zoned(zone),
        (_, Ok(date)) => date.to_zoned(zone),
        _ => return Err(format!("not a duration or a time: give {FORMS}")),
    };
    local
        .map(|zoned| zoned.timestamp())
        .map_err(|e| format!("{text} is not a time here: {e}"))
}

/// `instant` as the store writes times: RFC 3339 UTC to the millisecond
/// (`2026-11-22T01:02:03.456Z`), so that comparing the text compares the times.
pub fn stored(instant: Timestamp) -> String {
    format!("{instant:.3}")
}

/// A system time as the store writes times. A clock outside jiff's range (years beyond ±9999)
/// is clamped to the nearest end rather than failing: the record matters more.
pub fn stored_system(at: SystemTime) -> String {
    let at = Timestamp::try_from(at).unwrap_or_else(|_| {
        if at < SystemTime::UNIX_EPOCH {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        }
    });
    stored(at)
}

/// A stored time in local time, short (`11-22 03:51:45`): a table cell. A value that is not a
/// time is shown as it is (escaped by the caller).
pub fn short(at: &str) -> String {
    local(at, "%m-%d %H:%M:%S")
}

/// A stored time in local time, whole (`2026-11-22 03:51:45.123 +01:00`).
pub fn long(at: &str) -> String {
    local(at, "%Y-%m-%d %H:%M:%S%.3f %:z")
}

fn local(at: &str, format: &str) -> String {
    match at.parse::<Timestamp>() {
        Ok(instant) => instant
            .to_zoned(TimeZone::system())
            .strftime(format)
            .to_string(),
        Err(_) => at.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Zoned {
        "2026-11-22T12:00:00+01:00[Europe/Paris]".parse().unwrap()
    }

    fn at(text: &str) -> String {
        stored(parse_at(text, &now()).unwrap())
    }

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(at("30s"), "2026-11-22T10:59:30.000Z");
        assert_eq!(at("15m"), "2026-11-22T10:45:00.000Z");
        assert_eq!(at("2h30m"), "2026-11-22T08:30:00.000Z");
        assert_eq!(at("7d"), "2026-11-15T11:00:00.000Z");
        assert_eq!(at("1w"), "2026-11-15T11:00:00.000Z");
    }

    #[test]
    fn times_without_an_offset_are_local() {
        assert_eq!(at("2026-11-22"), "2026-11-21T23:00:00.000Z");
        assert_eq!(at("2026-11-22T03:00"), "2026-11-22T02:00:00.000Z");
        assert_eq!(at("2026-07-01 03:00:00"), "2026-07-01T01:00:00.000Z");
        assert_eq!(at("2026-11-22T03:00:00Z"), "2026-11-22T03:00:00.000Z");
        assert_eq!(
            at("2026-11-22T03:00:00.5-05:00"),
            "2026-11-22T08:00:00.500Z"
        );
        assert_eq!(
            at("2026-11-22T03:00[America/New_York]"),
            "2026-11-22T08:00:00.000Z"
        );
    }

    #[test]
    fn other_values_are_refused_with_the_forms() {
        for bad in ["yesterday", "", "5", "2026-13-01", "2026-11-22T25:00"] {
            let err = parse_at(bad, &now()).unwrap_err();
            assert!(
                err.contains("2h30m") && err.contains("2026-11-22T03:00"),
                "{err}"
            );
        }
    }

    #[test]
    fn milliseconds_are_always_written() {
        use std::time::Duration;
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_309_323_456);
        assert_eq!(stored_system(at), "2026-11-22T01:02:03.456Z");
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_309_323);
        assert_eq!(stored_system(whole), "2026-11-22T01:02:03.000Z");
    }

    #[test]
    fn stored_times_read_back_in_local_time() {
        // The test's zone is whatever the machine's is: compare with jiff's own conversion.
        let expected = "2026-11-22T01:02:03.456Z"
            .parse::<Timestamp>()
            .unwrap()
            .to_zoned(TimeZone::system());
        assert_eq!(
            short("2026-11-22T01:02:03.456Z"),
            expected.strftime("%m-%d %H:%M:%S").to_string()
        );
        assert!(long("2026-11-22T01:02:03.456Z").contains(".456 "));
        assert_eq!(short("garbage"), "garbage");
    }
}
