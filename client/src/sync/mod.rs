//! Packet sync with the centre's server: a per-packet state machine (pure, `plan`), its records
//! in the store (`records`), machine-signed HTTP (`transport`) and the engine that drives them;
//! and the sneakernet bundle for machines without a link (`bundle`).

mod bundle;
mod engine;
mod plan;
mod records;
mod transport;

pub use bundle::{ExportReport, ReceiptsReport};
pub use engine::{PacketOutcome, Progress, SyncOptions, SyncReport};
pub use plan::{
    Event, Phase, backoff_delay, clock_skew, ed25519_key_from_pem, next_chunk_size, verify_receipt,
};
pub use records::PacketSyncStatus;

/// Why a sync (or one packet's upload) failed; each has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] crate::Error),
    #[error("no server address: enrol the machine with a server or pass --server")]
    NoServer,
    #[error("the server's receipt key is not trusted yet: install it from the enrolment file")]
    NoServerKey,
    #[error("the server's receipt key is not an Ed25519 public key")]
    ServerKeyInvalid,
    #[error(
        "this machine's clock is {seconds} s {} the server's: set the date and time, then sync again",
        if *seconds > 0 { "ahead of" } else { "behind" }
    )]
    ClockSkew { seconds: i64 },
    #[error("network: {0}")]
    Network(String),
    #[error("the server refused ({code}): {message}")]
    Refused { code: String, message: String },
    #[error("invalid receipt: {0}")]
    ReceiptInvalid(String),
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
}

impl SyncError {
    /// A stable code for scripts and user interfaces.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Store(error) => error.code(),
            SyncError::NoServer => "SYNC_NO_SERVER",
            SyncError::NoServerKey => "SYNC_NO_SERVER_KEY",
            SyncError::ServerKeyInvalid => "SYNC_SERVER_KEY_INVALID",
            SyncError::ClockSkew { .. } => "SYNC_CLOCK_SKEW",
            SyncError::Network(_) => "SYNC_NETWORK",
            SyncError::Refused { .. } => "SYNC_REFUSED",
            SyncError::ReceiptInvalid(_) => "SYNC_RECEIPT_INVALID",
            SyncError::Protocol(_) => "SYNC_PROTOCOL",
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Network(_))
    }
}
