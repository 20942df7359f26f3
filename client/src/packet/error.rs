//! Typed errors of packet building and reading, each with a stable code.

use super::rid::RidError;

/// Everything that can go wrong building, sealing, writing or opening a packet.
#[derive(Debug, thiserror::Error)]
pub enum PacketError {
    #[error(transparent)]
    Rid(#[from] RidError),
    #[error("invalid packet input: {0}")]
    Input(String),
    #[error("a packet needs at least one audit entry")]
    AuditsRequired,
    #[error("bad packet layout: {0}")]
    Layout(String),
    #[error("packet is not encrypted to this key: {0}")]
    WrongKey(String),
    #[error("decryption failed: {0} was altered or the key is wrong")]
    AuthTag(String),
    #[error("signature of the {0} sub-packet does not verify with the machine key")]
    Signature(String),
    #[error("{what} does not match in the {subpacket} sub-packet")]
    HashMismatch { subpacket: String, what: String },
    #[error("missing entry {0}")]
    MissingEntry(String),
    #[error("{what} exceeds the limit of {limit}")]
    Oversize { what: String, limit: u64 },
    #[error("bad certificate: {0}")]
    Certificate(String),
    #[error("bad CBEFF XML: {0}")]
    Cbeff(String),
    #[error("cannot write a zip: {0}")]
    Zip(String),
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
    #[error("cannot write the packet file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl PacketError {
    /// Stable code for logs, the CLI's `--json` output and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            PacketError::Rid(e) => e.code(),
            PacketError::Input(_) => "PACKET_INPUT",
            PacketError::AuditsRequired => "PACKET_AUDITS_REQUIRED",
            PacketError::Layout(_) => "PACKET_LAYOUT",
            PacketError::WrongKey(_) => "PACKET_WRONG_KEY",
            PacketError::AuthTag(_) => "PACKET_AUTH_TAG",
            PacketError::Signature(_) => "PACKET_SIGNATURE",
            PacketError::HashMismatch { .. } => "PACKET_HASH_MISMATCH",
            PacketError::MissingEntry(_) => "PACKET_MISSING_ENTRY",
            PacketError::Oversize { .. } => "PACKET_OVERSIZE",
            PacketError::Certificate(_) => "PACKET_CERTIFICATE",
            PacketError::Cbeff(_) => "PACKET_CBEFF",
            PacketError::Zip(_) => "PACKET_ZIP",
            PacketError::Crypto(_) => "PACKET_CRYPTO",
            PacketError::Io { .. } => "PACKET_IO",
        }
    }
}

/// Shorthand for a layout error.
pub(crate) fn layout(msg: impl Into<String>) -> PacketError {
    PacketError::Layout(msg.into())
}
