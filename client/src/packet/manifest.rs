//! Verification of a machine-signed packet manifest against the packet bytes it describes, as
//! the sync server does before accepting an upload (it cannot decrypt the packet).

use enrol_schema::packet::SignedManifest;
use rsa::RsaPublicKey;

use super::crypto::{base64_any, hex_upper, sha256, verify};
use super::error::PacketError;
use super::rid::Rid;

/// Checks the manifest's signature with the machine key, its RID and packet id, and that `bytes`
/// are the packet it names (size and SHA-256).
pub fn verify_manifest(
    signed: &SignedManifest,
    machine_key: &RsaPublicKey,
    bytes: &[u8],
) -> Result<(), PacketError> {
    let manifest = &signed.manifest;
    let signature = base64_any(&signed.signature)
        .ok_or_else(|| PacketError::Layout("the manifest signature is not base64".into()))?;
    if !verify(machine_key, &manifest.signing_bytes(), &signature) {
        return Err(PacketError::Signature("manifest".into()));
    }
    let (rid, _) = Rid::from_packet_id(&manifest.packet_id)?;
    let consistent = rid.as_str() == manifest.rid
        && rid.centre_id() == manifest.centre_id
        && rid.machine_id() == manifest.machine_id
        && rid.sequence() == manifest.sequence;
    if !consistent {
        return Err(PacketError::Layout(
            "the manifest's ids do not agree with its RID".into(),
        ));
    }
    if manifest.size != bytes.len() as u64 || manifest.packet_hash != hex_upper(&sha256(bytes)) {
        return Err(PacketError::HashMismatch {
            subpacket: "packet".into(),
            what: "manifest packet hash".into(),
        });
    }
    Ok(())
}
