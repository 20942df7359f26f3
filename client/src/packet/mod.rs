//! MOSIP registration packets: RIDs, the packet builder (sub-packets, CBEFF, meta info, hash
//! files, signatures, encryption to the pipeline's certificate), the verifying reader, and the
//! atomic file write. Pure functions over bytes, except [`write_packet_file`].
//!
//! Format reference: `../shared/reference/mosip-packet-and-sync.md` §1.

mod archive;
mod builder;
pub mod cbeff;
mod cert;
pub mod crypto;
mod error;
mod file;
pub(crate) mod fork;
mod input;
mod manifest;
mod reader;
pub mod reference;
pub mod rid;

pub use archive::{Entries, Limits, Packing, ZipBuilder};
pub use builder::{
    EncryptedPacket, PROVIDER_NAME, PROVIDER_VERSION, PendingManifest, SOURCE, SealedPacket, build,
    encrypt, rfc3339,
};
pub use cert::{PipelineCertificate, public_key_pem};
pub use crypto::{MachineKey, PipelineKey};
pub use enrol_schema::identity_schema::{FieldCategory, Subpacket};
pub use error::PacketError;
pub use file::write_packet_file;
pub use input::{
    AuthMethod, BioAttribute, BiometricCapture, BiometricException, BiometricField, DigitalId,
    Document, Gps, Modality, Operators, PacketInput, RegisteredDevice, SUBPACKETS,
    field_categories,
};
pub use manifest::verify_manifest;
pub use reader::{
    OpenedBiometrics, OpenedDocument, OpenedPacket, OpenedSubpacket, open, sequence_hash,
};
pub use rid::{Rid, RidError};
