//! MOSIP registration ids (RID) and packet ids: formatting from their parts, parsing and validation.
//!
//! A RID is 29 digits: centre id (5) + machine id (5) + zero-padded sequence (5) + UTC timestamp
//! `yyyyMMddHHmmss` (14). The never-repeating sequence counter lives in the store; this module
//! only formats and checks.

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Digits of the centre id, the machine id and the sequence.
pub const PART_LEN: usize = 5;
/// Digits of the timestamp.
pub const TIMESTAMP_LEN: usize = 14;
/// Digits of a RID.
pub const RID_LEN: usize = 3 * PART_LEN + TIMESTAMP_LEN;
/// The largest sequence that fits in five digits.
pub const MAX_SEQUENCE: u32 = 99_999;

/// Why a RID, or one of its parts, is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RidError {
    #[error("a RID has {RID_LEN} digits, got {0} characters")]
    Length(usize),
    #[error("a RID has only digits")]
    NotDigits,
    #[error("{part} must be {PART_LEN} digits, got {value:?}")]
    Part { part: &'static str, value: String },
    #[error("sequence {0} is outside 1..={MAX_SEQUENCE}")]
    Sequence(u32),
    #[error("the RID timestamp {0:?} is not a valid yyyyMMddHHmmss date")]
    Timestamp(String),
}

impl RidError {
    /// Stable code (also used by the sync server when it rejects a RID).
    pub fn code(&self) -> &'static str {
        match self {
            RidError::Length(_) => "RID_LENGTH",
            RidError::NotDigits => "RID_NOT_DIGITS",
            RidError::Part { .. } => "RID_PART",
            RidError::Sequence(_) => "RID_SEQUENCE",
            RidError::Timestamp(_) => "RID_TIMESTAMP",
        }
    }
}

/// A valid 29-digit registration id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rid(String);

impl Rid {
    /// Formats a RID from its parts; `at` is converted to UTC.
    pub fn new(
        centre_id: &str,
        machine_id: &str,
        sequence: u32,
        at: OffsetDateTime,
    ) -> Result<Rid, RidError> {
        check_part("centre id", centre_id)?;
        check_part("machine id", machine_id)?;
        if sequence == 0 || sequence > MAX_SEQUENCE {
            return Err(RidError::Sequence(sequence));
        }
        Ok(Rid(format!(
            "{centre_id}{machine_id}{sequence:05}{}",
            timestamp(at)
        )))
    }

    /// Parses and validates a RID: 29 digits whose last 14 are a real UTC date and time.
    pub fn parse(s: &str) -> Result<Rid, RidError> {
        let chars = s.chars().count();
        if chars != RID_LEN {
            return Err(RidError::Length(chars));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RidError::NotDigits);
        }
        parse_timestamp(&s[3 * PART_LEN..])?;
        Ok(Rid(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn centre_id(&self) -> &str {
        &self.0[..PART_LEN]
    }

    pub fn machine_id(&self) -> &str {
        &self.0[PART_LEN..2 * PART_LEN]
    }

    /// The sequence segment as a number (a parsed RID may carry sequence 0).
    pub fn sequence(&self) -> u32 {
        self.0[2 * PART_LEN..3 * PART_LEN]
            .bytes()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    }

    /// The `yyyyMMddHHmmss` segment.
    pub fn timestamp(&self) -> &str {
        &self.0[3 * PART_LEN..]
    }

    /// MOSIP's crypto reference id `<centre>_<machine>`.
    pub fn ref_id(&self) -> String {
        format!("{}_{}", self.centre_id(), self.machine_id())
    }

    /// The packet id (and file name without `.zip`): `<RID>-<centre>_<machine>-<yyyyMMddHHmmss>`.
    pub fn packet_id(&self, created_at: OffsetDateTime) -> String {
        format!("{}-{}-{}", self.0, self.ref_id(), timestamp(created_at))
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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
    let bad = || RidError::Timestamp(s.to_owned());
    if s.len() != TIMESTAMP_LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u16>().map_err(|_| bad());
    let month = Month::try_from(u8::try_from(num(4..6)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(i32::from(num(0..4)?), month, narrow(num(6..8)?)?)
        .map_err(|_| bad())?;
    let time = Time::from_hms(
        narrow(num(8..10)?)?,
        narrow(num(10..12)?)?,
        narrow(num(12..14)?)?,
    )
    .map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

fn narrow(n: u16) -> Result<u8, RidError> {
    u8::try_from(n).map_err(|_| RidError::Timestamp(n.to_string()))
}

fn check_part(part: &'static str, value: &str) -> Result<(), RidError> {
    if value.len() == PART_LEN && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(RidError::Part {
            part,
            value: value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ts: &str) -> OffsetDateTime {
        parse_timestamp(ts).unwrap()
    }

    #[test]
    fn formats_the_mosip_example() {
        let rid = Rid::new("34532", "67897", 1, at("20181122173040")).unwrap();
        assert_eq!(rid.as_str(), "34532678970000120181122173040");
        assert_eq!(rid.centre_id(), "34532");
        assert_eq!(rid.machine_id(), "67897");
        assert_eq!(rid.sequence(), 1);
        assert_eq!(rid.timestamp(), "20181122173040");
        assert_eq!(
            rid.packet_id(at("20181122173041")),
            "34532678970000120181122173040-34532_67897-20181122173041"
        );
        assert_eq!(Rid::parse(rid.as_str()), Ok(rid));
    }

    #[test]
    fn converts_to_utc() {
        let local = at("20220128223618").to_offset(UtcOffset::from_hms(5, 30, 0).unwrap());
        let rid = Rid::new("10001", "10077", 10069, local).unwrap();
        assert_eq!(rid.as_str(), "10001100771006920220128223618");
    }

    #[track_caller]
    fn check(input: &str, code: &str) {
        assert_eq!(Rid::parse(input).unwrap_err().code(), code, "{input}");
    }

    #[test]
    fn rejects_bad_rids() {
        check("1000110077100692022012822361", "RID_LENGTH");
        check("100011007710069202201282236189", "RID_LENGTH");
        check("1000110077100692022012822361a", "RID_NOT_DIGITS");
        check("1000110077100692022012822361é", "RID_NOT_DIGITS");
        check("10001100771006920221328223618", "RID_TIMESTAMP");
        check("10001100771006920220230223618", "RID_TIMESTAMP");
        check("10001100771006920220128253618", "RID_TIMESTAMP");
        check("10001100771006920220128226018", "RID_TIMESTAMP");
    }

    #[test]
    fn rejects_bad_parts() {
        let now = at("20260101000000");
        let code = |r: Result<Rid, RidError>| r.unwrap_err().code();
        assert_eq!(code(Rid::new("1000", "10077", 1, now)), "RID_PART");
        assert_eq!(code(Rid::new("10001", "1007a", 1, now)), "RID_PART");
        assert_eq!(code(Rid::new("10001", "10077", 0, now)), "RID_SEQUENCE");
        assert_eq!(
            code(Rid::new("10001", "10077", 100_000, now)),
            "RID_SEQUENCE"
        );
        assert_eq!(
            Rid::new("10001", "10077", 99_999, now).unwrap().sequence(),
            99_999
        );
    }
}
