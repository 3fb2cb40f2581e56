//! Timestamps as the audit database writes them: RFC 3339 UTC to the millisecond
//! (`2026-11-22T01:02:03.456Z`), so that text order is time order.

use std::time::SystemTime;

use jiff::Timestamp;

/// `at` in the audit database's format.
pub(crate) fn format(at: Timestamp) -> String {
    format!("{at:.3}")
}

/// A system time in the audit database's format. A clock outside jiff's range (years beyond
/// ±9999) is clamped to the nearest end rather than failing: the record matters more.
pub(crate) fn format_system(at: SystemTime) -> String {
    let at = Timestamp::try_from(at).unwrap_or_else(|_| {
        if at < SystemTime::UNIX_EPOCH {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        }
    });
    format(at)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn milliseconds_are_always_written() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_309_323_456);
        assert_eq!(format_system(at), "2026-11-22T01:02:03.456Z");
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_309_323);
        assert_eq!(format_system(whole), "2026-11-22T01:02:03.000Z");
    }
}
