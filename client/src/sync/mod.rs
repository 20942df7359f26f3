//! Sync with the centre's server: signed publications (`publications`) and the centre's
//! operators (`operators`) first, then packets — a per-packet state machine (pure, `plan`), its
//! records in the store (`records`), machine-signed HTTP (`transport`) and the engine that
//! drives them; and the sneakernet bundle for machines without a link (`bundle`).

mod bundle;
mod engine;
mod operators;
mod plan;
mod publications;
mod records;
pub(crate) mod transport;

use std::time::Duration;

use serde::Serialize;

pub use bundle::{ExportReport, ReceiptsReport};
pub use engine::{PacketOutcome, Progress, SyncOptions, SyncReport};
pub use operators::OperatorReport;
pub use plan::{
    Event, Phase, backoff_delay, clock_skew, ed25519_key_from_pem, next_chunk_size, server_signed,
    verify_receipt,
};
pub use publications::{PublicationChange, PublicationReport};
pub use records::{PacketSyncStatus, SyncOverview};

use crate::machine::MachineInfo;
use crate::packet::MachineKey;
use crate::roles::Action;
use crate::session::Session;
use transport::Transport;

/// What `enrol sync` did: publications, operators, then packets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FullSyncReport {
    pub publications: PublicationReport,
    pub operators: OperatorReport,
    #[serde(flatten)]
    pub packets: SyncReport,
}

impl Session {
    /// The whole sync: signed publications, then the centre's operators, then packets (each
    /// step needs the one before to have succeeded).
    pub fn sync(
        &mut self,
        options: &SyncOptions,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<FullSyncReport, SyncError> {
        let publications = self.sync_publications(options)?;
        let operators = self.sync_operators(options)?;
        let packets = self.sync_packets(options, progress)?;
        Ok(FullSyncReport {
            publications,
            operators,
            packets,
        })
    }

    /// The signed connection to the server (`options.server`, else the enrolled one).
    pub(crate) fn transport(
        &mut self,
        options: &SyncOptions,
    ) -> Result<(Transport, MachineInfo), SyncError> {
        let machine = self.machine()?;
        let server = options
            .server
            .clone()
            .or_else(|| machine.server_url.clone())
            .ok_or(SyncError::NoServer)?;
        let key = MachineKey::new(&self.machine_signing_key()?).map_err(crate::Error::from)?;
        let transport = Transport::new(&server, &machine.machine_id, key, options.request_timeout);
        Ok((transport, machine))
    }
}

/// Whether the enrolled sync server answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerHealth {
    /// `None` when the machine has no server (a field kit).
    pub server_url: Option<String>,
    pub online: bool,
}

impl Session {
    /// Asks the enrolled server's health check, waiting at most `timeout`; offline when it
    /// does not answer in time. Any role may ask (it sends nothing of the machine).
    pub fn server_health(&mut self, timeout: Duration) -> Result<ServerHealth, crate::Error> {
        self.authorize(Action::Sync)?;
        let server_url = self.machine()?.server_url;
        let online = server_url
            .as_deref()
            .is_some_and(|url| transport::answers_health_check(url, timeout));
        Ok(ServerHealth { server_url, online })
    }
}

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
    #[error("a {what} from the server is not authentic, nothing of it was applied: {reason}")]
    Forged { what: &'static str, reason: String },
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
            SyncError::Forged { .. } => "SYNC_FORGED",
            SyncError::Protocol(_) => "SYNC_PROTOCOL",
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Network(_))
    }
}

/// A sync failure met outside `enrol sync` (onboarding, a first login), as a client error.
impl From<SyncError> for crate::Error {
    fn from(error: SyncError) -> crate::Error {
        use crate::Error;
        match error {
            SyncError::Store(error) => error,
            SyncError::Network(message) => Error::ServerUnreachable(message),
            SyncError::NoServer => Error::ServerUnreachable("no server address".into()),
            SyncError::Refused { code, .. } if code == "ONBOARDING_CODE_INVALID" => {
                Error::OnboardingCodeInvalid
            }
            SyncError::Refused { code, .. } if code == "LOGIN_FAILED" => Error::WrongPassword,
            SyncError::Refused { code, message } => Error::ServerRefused { code, message },
            other => Error::ServerAnswer(other.to_string()),
        }
    }
}
