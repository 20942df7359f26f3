//! Packet intake rules as pure functions: what a manifest must satisfy against the machine that
//! sent it, and what the uploaded bytes must satisfy against the manifest. The server cannot
//! open packets (they are encrypted to the pipeline), so these are the checks it can make.

use enrol_schema::packet::SignedManifest;

use crate::crypto::MachineKey;
use crate::store::Machine;

/// Why a manifest or its bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("rid must be 29 digits: centre, machine, sequence and a yyyyMMddHHmmss time")]
    RidInvalid,
    #[error("packet id must be <rid>-<centre>_<machine>-<yyyyMMddHHmmss>")]
    PacketIdInvalid,
    #[error("the manifest and the rid must name the calling machine {0}")]
    MachineMismatch(String),
    #[error("the manifest and the rid must name the machine's centre {0}")]
    CentreMismatch(String),
    #[error("the manifest's sequence must be the one in the rid")]
    SequenceMismatch,
    #[error("packet hash must be 64 upper-case hex digits")]
    HashInvalid,
    #[error("packet of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("an empty packet cannot be received")]
    Empty,
    #[error("the manifest signature does not verify with the machine's key")]
    SignatureInvalid,
    #[error("received {actual} bytes, the manifest declares {declared}")]
    SizeMismatch { declared: u64, actual: u64 },
    #[error("the bytes' sha-256 differs from the manifest's packet hash")]
    HashMismatch,
}

impl IntakeError {
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::RidInvalid => "RID_INVALID",
            IntakeError::PacketIdInvalid => "PACKET_ID_INVALID",
            IntakeError::MachineMismatch(_) => "MACHINE_MISMATCH",
            IntakeError::CentreMismatch(_) => "CENTRE_MISMATCH",
            IntakeError::SequenceMismatch => "SEQUENCE_MISMATCH",
            IntakeError::HashInvalid => "PACKET_HASH_INVALID",
            IntakeError::TooLarge { .. } => "PACKET_TOO_LARGE",
            IntakeError::Empty => "PACKET_EMPTY",
            IntakeError::SignatureInvalid => "MANIFEST_SIGNATURE_INVALID",
            IntakeError::SizeMismatch { .. } => "PACKET_SIZE_MISMATCH",
            IntakeError::HashMismatch => "PACKET_HASH_MISMATCH",
        }
    }
}

/// Whether `s` is a `yyyyMMddHHmmss` time with plausible fields.
fn is_timestamp(s: &str) -> bool {
    let field = |from: usize, to: usize| s.get(from..to).and_then(|f| f.parse::<u32>().ok());
    s.len() == 14
        && s.bytes().all(|b| b.is_ascii_digit())
        && matches!(field(4, 6), Some(1..=12))
        && matches!(field(6, 8), Some(1..=31))
        && matches!(field(8, 10), Some(0..=23))
        && matches!(field(10, 12), Some(0..=59))
        && matches!(field(12, 14), Some(0..=59))
}

/// Whether `rid` has MOSIP's RID shape (29 digits ending in a timestamp).
pub fn is_rid(rid: &str) -> bool {
    rid.len() == 29 && rid.bytes().all(|b| b.is_ascii_digit()) && is_timestamp(&rid[15..])
}

/// Whether `id` is a 5-digit centre or machine id (MOSIP's configured length).
pub fn is_short_id(id: &str) -> bool {
    id.len() == 5 && id.bytes().all(|b| b.is_ascii_digit())
}

fn is_upper_hex_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// Checks a signed manifest sent by `machine` before any byte is accepted.
pub fn check_manifest(
    signed: &SignedManifest,
    machine: &Machine,
    key: &MachineKey,
    max_size: u64,
) -> Result<(), IntakeError> {
    let m = &signed.manifest;
    if !is_rid(&m.rid) {
        return Err(IntakeError::RidInvalid);
    }
    if m.machine_id != machine.id || m.rid[5..10] != machine.id {
        return Err(IntakeError::MachineMismatch(machine.id.clone()));
    }
    if m.centre_id != machine.centre_id || m.rid[..5] != machine.centre_id {
        return Err(IntakeError::CentreMismatch(machine.centre_id.clone()));
    }
    if m.rid[10..15].parse::<u32>() != Ok(m.sequence) {
        return Err(IntakeError::SequenceMismatch);
    }
    let prefix = format!("{}-{}_{}-", m.rid, m.centre_id, m.machine_id);
    if !m.packet_id.strip_prefix(&prefix).is_some_and(is_timestamp) {
        return Err(IntakeError::PacketIdInvalid);
    }
    if !is_upper_hex_sha256(&m.packet_hash) {
        return Err(IntakeError::HashInvalid);
    }
    if m.size == 0 {
        return Err(IntakeError::Empty);
    }
    if m.size > max_size {
        return Err(IntakeError::TooLarge {
            size: m.size,
            limit: max_size,
        });
    }
    if !key.verifies(&m.signing_bytes(), &signed.signature) {
        return Err(IntakeError::SignatureInvalid);
    }
    Ok(())
}

/// Checks the received bytes' size and upper-case hex SHA-256 against the manifest.
pub fn check_bytes(
    signed: &SignedManifest,
    size: u64,
    sha256_upper_hex: &str,
) -> Result<(), IntakeError> {
    let m = &signed.manifest;
    if size != m.size {
        return Err(IntakeError::SizeMismatch {
            declared: m.size,
            actual: size,
        });
    }
    if !crate::crypto::constant_time_eq(sha256_upper_hex.as_bytes(), m.packet_hash.as_bytes()) {
        return Err(IntakeError::HashMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rid_shapes() {
        for (rid, ok) in [
            ("10001100770000120261128131500", true),
            ("1000110077000012026112813150", false),
            ("10001100770000120261328131500", false),
            ("10001100770000120261128251500", false),
            ("1000110077000012026112813150a", false),
            ("100011007700001202611281315000", false),
        ] {
            assert_eq!(is_rid(rid), ok, "{rid}");
        }
    }

    #[test]
    fn short_ids() {
        assert!(is_short_id("10077"));
        assert!(!is_short_id("1007"));
        assert!(!is_short_id("1007x"));
    }
}
