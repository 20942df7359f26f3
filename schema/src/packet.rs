//! Packet wire types: the signed packet manifest a machine sends before the bytes, shared by the
//! client packet builder, the sync server and the pipeline.
//!
//! The packet file itself is MOSIP's encrypted container (see `../shared/reference/
//! mosip-packet-and-sync.md` §1). The sync server never holds the pipeline's private key, so it
//! cannot open the container; instead the machine signs this manifest, which binds the RID, the
//! packet id and the SHA-256 of the encrypted bytes to the machine key. The server verifies the
//! manifest signature and the uploaded bytes against it; the pipeline, which can decrypt, also
//! verifies each sub-packet's own signature.

use serde::{Deserialize, Serialize};

/// Version tag of the manifest's canonical signing form; bump on any change to [`PacketManifest::signing_bytes`].
pub const MANIFEST_VERSION: &str = "enrol-manifest-1";

/// The registration process a packet belongs to (MOSIP process ids, upper case in paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Process {
    New,
    Update,
    Lost,
    BiometricCorrection,
}

impl Process {
    /// MOSIP's process id as used in container paths (`REGISTRATION_CLIENT/<process>/…`).
    pub fn as_str(self) -> &'static str {
        match self {
            Process::New => "NEW",
            Process::Update => "UPDATE",
            Process::Lost => "LOST",
            Process::BiometricCorrection => "BIOMETRIC_CORRECTION",
        }
    }

    /// Parses MOSIP's process id (case-insensitive).
    pub fn parse(s: &str) -> Option<Process> {
        [
            Process::New,
            Process::Update,
            Process::Lost,
            Process::BiometricCorrection,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }
}

/// The supervisor's decision on a packet at the time it is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SupervisorStatus {
    Approved,
    Rejected,
}

/// One sub-packet (`id`, `evidence` or `optional`) as listed in the container's
/// `<RID>_<sub>.json` metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubpacketEntry {
    /// `id`, `evidence` or `optional`.
    pub name: String,
    /// URL-safe base64 SHA-256 of the encrypted sub-packet (MOSIP `encryptedhash`).
    pub encrypted_hash: String,
    /// URL-safe base64 SHA256withRSA signature of the plaintext sub-packet zip (MOSIP `signature`).
    pub signature: String,
}

/// What a machine declares about a packet before uploading its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PacketManifest {
    /// 29-digit registration id.
    pub rid: String,
    /// `<RID>-<centreId>_<machineId>-<yyyyMMddHHmmss>` (the file name without `.zip`).
    pub packet_id: String,
    pub process: Process,
    pub centre_id: String,
    pub machine_id: String,
    /// The per-machine sequence embedded in the RID.
    pub sequence: u32,
    /// Uppercase hex SHA-256 of the whole encrypted packet file (MOSIP `packetHashValue`).
    pub packet_hash: String,
    /// Size in bytes of the encrypted packet file.
    pub size: u64,
    pub supervisor_status: SupervisorStatus,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
    /// Head of the machine's audit chain when the packet was made (hex SHA-256).
    pub audit_head: String,
    pub subpackets: Vec<SubpacketEntry>,
}

impl PacketManifest {
    /// The exact bytes the machine signs (SHA256withRSA): a versioned, line-based canonical form
    /// that does not depend on JSON formatting or field order.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{MANIFEST_VERSION}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.rid,
            self.packet_id,
            self.process.as_str(),
            self.centre_id,
            self.machine_id,
            self.sequence,
            self.packet_hash,
            self.size,
            match self.supervisor_status {
                SupervisorStatus::Approved => "APPROVED",
                SupervisorStatus::Rejected => "REJECTED",
            },
            self.created_at,
            self.audit_head,
        );
        for sub in &self.subpackets {
            out.push_str(&format!(
                "{} {} {}\n",
                sub.name, sub.encrypted_hash, sub.signature
            ));
        }
        out.into_bytes()
    }
}

/// A manifest together with the machine's signature over [`PacketManifest::signing_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedManifest {
    pub manifest: PacketManifest,
    /// URL-safe base64 (no padding) SHA256withRSA signature by the machine key.
    pub signature: String,
}

/// Digits of the centre id, the machine id and the sequence in a RID.
pub const RID_PART_LEN: usize = 5;
/// Digits of the UTC `yyyyMMddHHmmss` timestamp ending a RID.
pub const RID_TIMESTAMP_LEN: usize = 14;
/// Digits of a RID.
pub const RID_LEN: usize = 3 * RID_PART_LEN + RID_TIMESTAMP_LEN;
/// The largest sequence that fits in a RID.
pub const RID_MAX_SEQUENCE: u32 = 99_999;

/// Why a RID, a packet id or one of their parts is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RidError {
    #[error("a RID has {RID_LEN} digits, got {0} characters")]
    Length(usize),
    #[error("a RID has only digits")]
    NotDigits,
    #[error("{part} must be {RID_PART_LEN} digits, got {value:?}")]
    Part { part: &'static str, value: String },
    #[error("sequence {0} is outside 1..={RID_MAX_SEQUENCE}")]
    Sequence(u32),
    #[error("{0:?} is not a valid yyyyMMddHHmmss date and time")]
    Timestamp(String),
    #[error("{0:?} is not a packet id <RID>-<centre>_<machine>-<yyyyMMddHHmmss>")]
    PacketId(String),
}

impl RidError {
    /// Stable code, e.g. for the sync server's rejection of a RID.
    pub fn code(&self) -> &'static str {
        match self {
            RidError::Length(_) => "RID_LENGTH",
            RidError::NotDigits => "RID_NOT_DIGITS",
            RidError::Part { .. } => "RID_PART",
            RidError::Sequence(_) => "RID_SEQUENCE",
            RidError::Timestamp(_) => "RID_TIMESTAMP",
            RidError::PacketId(_) => "RID_PACKET_ID",
        }
    }
}

/// A valid 29-digit MOSIP registration id: centre id (5) + machine id (5) + zero-padded sequence
/// (5) + UTC `yyyyMMddHHmmss` (14), as `RidGeneratorImpl` makes and `RidValidatorImpl` checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rid(String);

impl Rid {
    /// Formats a RID from its parts; `timestamp` is UTC `yyyyMMddHHmmss`.
    pub fn from_parts(
        centre_id: &str,
        machine_id: &str,
        sequence: u32,
        timestamp: &str,
    ) -> Result<Rid, RidError> {
        check_part("centre id", centre_id)?;
        check_part("machine id", machine_id)?;
        if sequence == 0 || sequence > RID_MAX_SEQUENCE {
            return Err(RidError::Sequence(sequence));
        }
        check_timestamp(timestamp)?;
        Ok(Rid(format!(
            "{centre_id}{machine_id}{sequence:05}{timestamp}"
        )))
    }

    /// Parses and validates a RID: 29 digits whose last 14 are a real date and time.
    pub fn parse(s: &str) -> Result<Rid, RidError> {
        let chars = s.chars().count();
        if chars != RID_LEN {
            return Err(RidError::Length(chars));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RidError::NotDigits);
        }
        check_timestamp(&s[3 * RID_PART_LEN..])?;
        Ok(Rid(s.to_owned()))
    }

    /// Parses a packet id (the packet file name without `.zip`); returns the RID and the packet's
    /// creation timestamp.
    pub fn from_packet_id(packet_id: &str) -> Result<(Rid, String), RidError> {
        let bad = || RidError::PacketId(packet_id.to_owned());
        let mut parts = packet_id.split('-');
        let (Some(rid), Some(ref_id), Some(timestamp), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let rid = Rid::parse(rid)?;
        if ref_id != rid.ref_id() {
            return Err(bad());
        }
        check_timestamp(timestamp)?;
        Ok((rid, timestamp.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn centre_id(&self) -> &str {
        &self.0[..RID_PART_LEN]
    }

    pub fn machine_id(&self) -> &str {
        &self.0[RID_PART_LEN..2 * RID_PART_LEN]
    }

    /// The sequence segment as a number (a parsed RID may carry sequence 0).
    pub fn sequence(&self) -> u32 {
        self.0[2 * RID_PART_LEN..3 * RID_PART_LEN]
            .bytes()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    }

    /// The `yyyyMMddHHmmss` segment.
    pub fn timestamp(&self) -> &str {
        &self.0[3 * RID_PART_LEN..]
    }

    /// MOSIP's crypto reference id `<centre>_<machine>`.
    pub fn ref_id(&self) -> String {
        format!("{}_{}", self.centre_id(), self.machine_id())
    }

    /// The packet id `<RID>-<centre>_<machine>-<yyyyMMddHHmmss>` for a packet created at
    /// `timestamp` (UTC `yyyyMMddHHmmss`).
    pub fn packet_id(&self, timestamp: &str) -> String {
        format!("{}-{}-{timestamp}", self.0, self.ref_id())
    }
}

impl std::fmt::Display for Rid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a UTC `yyyyMMddHHmmss` timestamp: 14 digits forming a real calendar date and time.
pub fn check_timestamp(s: &str) -> Result<(), RidError> {
    let bad = || RidError::Timestamp(s.to_owned());
    if s.len() != RID_TIMESTAMP_LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |from: usize, to: usize| -> u32 {
        s.as_bytes()[from..to]
            .iter()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (num(0, 4), num(4, 6), num(6, 8));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    let valid =
        (1..=days).contains(&day) && num(8, 10) < 24 && num(10, 12) < 60 && num(12, 14) < 60;
    if valid { Ok(()) } else { Err(bad()) }
}

fn check_part(part: &'static str, value: &str) -> Result<(), RidError> {
    if value.len() == RID_PART_LEN && value.bytes().all(|b| b.is_ascii_digit()) {
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

    fn sample() -> PacketManifest {
        PacketManifest {
            rid: "10001100770000120261128131500".into(),
            packet_id: "10001100770000120261128131500-10001_10077-20261128131500".into(),
            process: Process::New,
            centre_id: "10001".into(),
            machine_id: "10077".into(),
            sequence: 1,
            packet_hash: "AB".repeat(32),
            size: 2_000_000,
            supervisor_status: SupervisorStatus::Approved,
            created_at: "2026-11-28T13:15:00Z".into(),
            audit_head: "00".repeat(32),
            subpackets: vec![SubpacketEntry {
                name: "id".into(),
                encrypted_hash: "h".into(),
                signature: "s".into(),
            }],
        }
    }

    #[test]
    fn manifest_round_trips_through_json() {
        let signed = SignedManifest {
            manifest: sample(),
            signature: "sig".into(),
        };
        let json = serde_json::to_string(&signed).unwrap();
        assert!(json.contains("\"process\":\"NEW\""), "{json}");
        assert_eq!(
            serde_json::from_str::<SignedManifest>(&json).unwrap(),
            signed
        );
    }

    #[test]
    fn signing_bytes_change_with_every_field() {
        let base = sample().signing_bytes();
        let mut other = sample();
        other.size += 1;
        assert_ne!(base, other.signing_bytes());
        let mut other = sample();
        other.subpackets[0].signature = "t".into();
        assert_ne!(base, other.signing_bytes());
    }

    #[test]
    fn process_ids_parse_back() {
        for p in [
            Process::New,
            Process::Update,
            Process::Lost,
            Process::BiometricCorrection,
        ] {
            assert_eq!(Process::parse(p.as_str()), Some(p));
        }
        assert_eq!(Process::parse("new"), Some(Process::New));
        assert_eq!(Process::parse("RENEW"), None);
    }
    #[test]
    fn rid_formats_the_mosip_example() {
        let rid = Rid::from_parts("34532", "67897", 1, "20181122173040").unwrap();
        assert_eq!(rid.as_str(), "34532678970000120181122173040");
        assert_eq!(
            (
                rid.centre_id(),
                rid.machine_id(),
                rid.sequence(),
                rid.timestamp()
            ),
            ("34532", "67897", 1, "20181122173040")
        );
        let packet_id = rid.packet_id("20181122173041");
        assert_eq!(
            packet_id,
            "34532678970000120181122173040-34532_67897-20181122173041"
        );
        assert_eq!(
            Rid::from_packet_id(&packet_id),
            Ok((rid.clone(), "20181122173041".to_owned()))
        );
        assert_eq!(Rid::parse(rid.as_str()), Ok(rid));
    }

    #[track_caller]
    fn check_rid(input: &str, code: &str) {
        assert_eq!(Rid::parse(input).unwrap_err().code(), code, "{input}");
    }

    #[test]
    fn rid_rejects_bad_input() {
        check_rid("1000110077100692022012822361", "RID_LENGTH");
        check_rid("100011007710069202201282236189", "RID_LENGTH");
        check_rid("1000110077100692022012822361a", "RID_NOT_DIGITS");
        check_rid("1000110077100692022012822361é", "RID_NOT_DIGITS");
        check_rid("10001100771006920221328223618", "RID_TIMESTAMP");
        check_rid("10001100771006920220230223618", "RID_TIMESTAMP");
        check_rid("10001100771006920230229223618", "RID_TIMESTAMP");
        check_rid("10001100771006920220128253618", "RID_TIMESTAMP");
        check_rid("10001100771006920220128226018", "RID_TIMESTAMP");
        assert!(
            Rid::parse("10001100771006920240229235959").is_ok(),
            "leap day"
        );
        let code = |r: Result<Rid, RidError>| r.unwrap_err().code();
        let ts = "20260101000000";
        assert_eq!(code(Rid::from_parts("1000", "10077", 1, ts)), "RID_PART");
        assert_eq!(code(Rid::from_parts("10001", "1007a", 1, ts)), "RID_PART");
        assert_eq!(
            code(Rid::from_parts("10001", "10077", 0, ts)),
            "RID_SEQUENCE"
        );
        assert_eq!(
            code(Rid::from_parts("10001", "10077", 100_000, ts)),
            "RID_SEQUENCE"
        );
        assert_eq!(
            code(Rid::from_parts("10001", "10077", 1, "2026")),
            "RID_TIMESTAMP"
        );
        let rid = "10001100771006920220128223618";
        for bad in [
            format!("{rid}-10001_10078-20220128223618"),
            format!("{rid}-10001_10077"),
            format!("{rid}-10001_10077-20220128223618-x"),
        ] {
            assert_eq!(
                code(Rid::from_packet_id(&bad).map(|(r, _)| r)),
                "RID_PACKET_ID",
                "{bad}"
            );
        }
    }
}
