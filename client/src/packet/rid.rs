//! RIDs and packet ids from the clock: UTC `yyyyMMddHHmmss` formatting and parsing around the
//! pure [`Rid`] of `enrol-schema` (which the sync server shares). The never-repeating sequence
//! counter lives in the store; this module only formats.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

pub use enrol_schema::packet::{Rid, RidError, check_timestamp};

/// The RID for a registration made at `at` (converted to UTC).
pub fn new_rid(
    centre_id: &str,
    machine_id: &str,
    sequence: u32,
    at: OffsetDateTime,
) -> Result<Rid, RidError> {
    Rid::from_parts(centre_id, machine_id, sequence, &timestamp(at))
}

/// UTC `yyyyMMddHHmmss`.
pub fn timestamp(at: OffsetDateTime) -> String {
    let t = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses a UTC `yyyyMMddHHmmss` timestamp.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, RidError> {
    check_timestamp(s)?;
    let bad = || RidError::Timestamp(s.to_owned());
    let num = |from: usize, to: usize| s[from..to].parse::<u8>().map_err(|_| bad());
    let year = s[..4].parse::<i32>().map_err(|_| bad())?;
    let month = Month::try_from(num(4, 6)?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, num(6, 8)?).map_err(|_| bad())?;
    let time = Time::from_hms(num(8, 10)?, num(10, 12)?, num(12, 14)?).map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_utc() {
        let at = parse_timestamp("20220128223618").unwrap();
        assert_eq!(timestamp(at), "20220128223618");
        let local = at.to_offset(UtcOffset::from_hms(5, 30, 0).unwrap());
        let rid = new_rid("10001", "10077", 10069, local).unwrap();
        assert_eq!(rid.as_str(), "10001100771006920220128223618");
        assert_eq!(
            parse_timestamp("20220230000000").unwrap_err().code(),
            "RID_TIMESTAMP"
        );
    }
}
