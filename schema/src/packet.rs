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
}
