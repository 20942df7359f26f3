//! Time as the server writes it: RFC 3339 UTC for records and JSON, unix seconds for expiries,
//! HTTP dates for tus headers.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{OffsetDateTime, UtcOffset};

pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now as RFC 3339 UTC with second precision (`2026-11-28T13:15:00Z`).
pub fn rfc3339_now() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_default()
}

/// Parses an RFC 3339 time into unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// An HTTP date (`Sun, 29 Nov 2026 13:15:00 GMT`) as tus's `Upload-Expires` wants it.
pub fn http_date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|at| at.format(&Rfc2822).ok())
        .map(|text| text.replace("+0000", "GMT"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        let now = rfc3339_now();
        assert!(now.ends_with('Z'), "{now}");
        assert!(parse_rfc3339(&now).is_some());
    }
}
