//! The pure checks of a packet's verdict: its bytes against the feed, ISO 19794 record headers,
//! the standing of its machine and operators when it was made, and the stable reason codes.

use enrol_schema::pipeline::Standing;

/// Why a packet is refused: a stable code first, then what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub detail: String,
}

impl Refusal {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal {
            code,
            detail: detail.into(),
        }
    }

    /// The comment sent with the status: `CODE: detail`.
    pub fn comment(&self) -> String {
        format!("{}: {}", self.code, self.detail)
    }
}

/// The downloaded bytes are the ones the server received (size and upper-case hex SHA-256).
pub fn check_bytes(bytes: &[u8], size: u64, hash: &str) -> Result<(), Refusal> {
    use sha2::Digest;
    let actual: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    if bytes.len() as u64 != size || !actual.eq_ignore_ascii_case(hash) {
        return Err(Refusal::new(
            "PACKET_HASH_MISMATCH",
            format!(
                "the packet's bytes ({} bytes, SHA-256 {actual}) are not the ones received ({size} bytes, {hash})",
                bytes.len()
            ),
        ));
    }
    Ok(())
}

/// An ISO/IEC 19794 record a MOSIP pipeline can read: finger (`FIR 020`), face (`FAC 030`) or
/// iris (`IIR 020`), whose header's record length is its own length.
pub fn check_iso_record(attribute: &str, record: &[u8]) -> Result<(), Refusal> {
    const FORMATS: [&[u8; 8]; 3] = [b"FIR\x00020\x00", b"FAC\x00030\x00", b"IIR\x00020\x00"];
    let refuse = |why: &str| Refusal::new("BIOMETRIC_INVALID", format!("{attribute}: {why}"));
    let header = record
        .get(..12)
        .ok_or_else(|| refuse("shorter than an ISO 19794 header"))?;
    if !FORMATS.iter().any(|magic| header[..8] == magic[..]) {
        return Err(refuse("not an ISO 19794-4/-5/-6 record"));
    }
    let length = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    if u64::from(length) != record.len() as u64 {
        return Err(refuse(&format!(
            "the header says {length} bytes, the record has {}",
            record.len()
        )));
    }
    Ok(())
}

/// Whether a machine or operator (`what`, for the message) with `history` was active at unix
/// time `at`; `code` names the refusal.
pub fn check_standing(
    code: &'static str,
    what: &str,
    history: &[Standing],
    at: i64,
) -> Result<(), Refusal> {
    if enrol_schema::pipeline::active_at(history, at, parse_time) {
        Ok(())
    } else {
        Err(Refusal::new(
            code,
            format!("{what} was not active when the packet was made"),
        ))
    }
}

/// RFC 3339 to unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_headers() {
        let record = |magic: &[u8; 8], len: usize, declared: u32| {
            let mut bytes = magic.to_vec();
            bytes.extend_from_slice(&declared.to_be_bytes());
            bytes.resize(len, 0);
            bytes
        };
        let check = |bytes: Vec<u8>, ok: bool| {
            assert_eq!(check_iso_record("x", &bytes).is_ok(), ok, "{bytes:?}");
        };
        check(record(b"FIR\x00020\x00", 40, 40), true);
        check(record(b"FAC\x00030\x00", 40, 40), true);
        check(record(b"IIR\x00020\x00", 12, 12), true);
        check(record(b"FIR\x00030\x00", 40, 40), false);
        check(record(b"FIR\x00020\x00", 40, 41), false);
        check(b"FIR".to_vec(), false);
    }

    #[test]
    fn bytes_against_the_feed() {
        let hash = "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824";
        assert!(check_bytes(b"hello", 5, hash).is_ok());
        assert!(check_bytes(b"hello", 5, &hash.to_lowercase()).is_ok());
        assert_eq!(
            check_bytes(b"hellp", 5, hash).unwrap_err().code,
            "PACKET_HASH_MISMATCH"
        );
        assert!(check_bytes(b"hello", 6, hash).is_err());
    }
}
