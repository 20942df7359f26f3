//! The audit chain: every action is an entry that hashes its predecessor, so an edit, a
//! deletion, a reordering or a gap breaks the chain, and the head recorded outside the database
//! catches a truncated tail. Retention removes the oldest entries only behind a base (the last
//! removed entry's sequence number and hash) that is recorded outside the database first, so the
//! kept log still verifies and no other removal does. Entries hold ids and codes only, never
//! personal data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::seal::{hex, sha256_fields};

/// What happened; the stable codes stored in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    MachineInit,
    Login,
    LoginFailed,
    LoginLocked,
    Logout,
    SessionExpired,
    OperatorAdded,
    OperatorActivated,
    OperatorDeactivated,
    /// Name or roles changed by user sync.
    OperatorUpdated,
    /// A pending key slot was made from the server's verifier (user sync).
    FirstLoginPrepared,
    /// A first login could not be confirmed: the server was unreachable.
    LoginNeedsServer,
    /// A first login was refused by the server.
    LoginRefusedByServer,
    PasswordChanged,
    Capture,
    RegistrationStarted,
    RegistrationStep,
    SignedOff,
    RegistrationDiscarded,
    SignOffFailed,
    ExceptionAuthorised,
    PacketCreated,
    OrphanRemoved,
    TrustedKeyChanged,
    /// The sync server's address was changed by a supervisor or an administrator.
    ServerChanged,
    /// A publication (schema, UI spec, master data, settings, certificate) was applied.
    ConfigUpdated,
    Approved,
    Rejected,
    Exported,
    Synced,
    AuditPruned,
}

impl AuditAction {
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::MachineInit => "machine.init",
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login.failed",
            AuditAction::LoginLocked => "login.locked",
            AuditAction::Logout => "logout",
            AuditAction::SessionExpired => "session.expired",
            AuditAction::OperatorAdded => "operator.added",
            AuditAction::OperatorActivated => "operator.activated",
            AuditAction::OperatorDeactivated => "operator.deactivated",
            AuditAction::OperatorUpdated => "operator.updated",
            AuditAction::FirstLoginPrepared => "operator.first_login_prepared",
            AuditAction::LoginNeedsServer => "login.needs_server",
            AuditAction::LoginRefusedByServer => "login.refused_by_server",
            AuditAction::PasswordChanged => "operator.password_changed",
            AuditAction::Capture => "registration.capture",
            AuditAction::RegistrationStarted => "registration.started",
            AuditAction::RegistrationStep => "registration.step",
            AuditAction::SignedOff => "registration.signed_off",
            AuditAction::RegistrationDiscarded => "registration.discarded",
            AuditAction::SignOffFailed => "registration.sign_off_failed",
            AuditAction::ExceptionAuthorised => "registration.exception_authorised",
            AuditAction::PacketCreated => "packet.created",
            AuditAction::OrphanRemoved => "packet.orphan_removed",
            AuditAction::TrustedKeyChanged => "machine.trusted_key_changed",
            AuditAction::ServerChanged => "machine.server_changed",
            AuditAction::ConfigUpdated => "machine.config_updated",
            AuditAction::Approved => "registration.approved",
            AuditAction::Rejected => "registration.rejected",
            AuditAction::Exported => "packet.exported",
            AuditAction::Synced => "sync",
            AuditAction::AuditPruned => "audit.pruned",
        }
    }
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: i64,
    /// Operator id, or `system`.
    pub actor: String,
    pub action: String,
    /// The id the action was about (an operator id, a RID), or empty.
    pub subject: String,
    #[serde(with = "hex_hash")]
    pub prev_hash: [u8; 32],
    #[serde(with = "hex_hash")]
    pub hash: [u8; 32],
}

impl AuditEntry {
    /// The entry that follows `head` (or starts the chain).
    pub fn next(
        head: Option<&AuditHead>,
        at: i64,
        actor: &str,
        action: &str,
        subject: &str,
    ) -> Self {
        let (seq, prev_hash) = match head {
            Some(head) => (head.seq + 1, head.hash),
            None => (1, GENESIS),
        };
        let hash = entry_hash(&prev_hash, seq, at, actor, action, subject);
        AuditEntry {
            seq,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            prev_hash,
            hash,
        }
    }

    pub fn head(&self) -> AuditHead {
        AuditHead {
            seq: self.seq,
            hash: self.hash,
        }
    }
}

/// The previous hash of the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

fn entry_hash(
    prev: &[u8; 32],
    seq: u64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
) -> [u8; 32] {
    sha256_fields(&[
        b"enrol-audit-v1",
        prev,
        &seq.to_be_bytes(),
        &at.to_be_bytes(),
        actor.as_bytes(),
        action.as_bytes(),
        subject.as_bytes(),
    ])
}

/// The last entry's sequence number and hash: what packets carry and what the key slots file
/// records so that a truncated tail is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: u64,
    #[serde(with = "hex_hash")]
    pub hash: [u8; 32],
}

impl fmt::Display for AuditHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, hex(&self.hash))
    }
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {found} follows entry {previous}: entries are missing or reordered")]
    Gap { previous: u64, found: u64 },
    #[error("entry {0} does not link to the entry before it")]
    Unlinked(u64),
    #[error("entry {0} was altered")]
    Altered(u64),
    #[error("the log ends at entry {last} but entry {recorded} was recorded: the tail was removed")]
    Truncated { last: u64, recorded: u64 },
    #[error("entry {0} differs from the recorded head")]
    HeadMismatch(u64),
    #[error("entry {0} differs from the recorded base of the kept log")]
    BaseMismatch(u64),
}

impl ChainBreak {
    pub fn code(&self) -> &'static str {
        match self {
            ChainBreak::Gap { .. } => "AUDIT_GAP",
            ChainBreak::Unlinked(_) => "AUDIT_UNLINKED",
            ChainBreak::Altered(_) => "AUDIT_ALTERED",
            ChainBreak::Truncated { .. } => "AUDIT_TRUNCATED",
            ChainBreak::HeadMismatch(_) => "AUDIT_HEAD_MISMATCH",
            ChainBreak::BaseMismatch(_) => "AUDIT_BASE_MISMATCH",
        }
    }
}

/// What a successful verification saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries: u64,
    pub head: Option<AuditHead>,
    /// Entries after the recorded head (a crash between the commit and the head update leaves
    /// at most a few; they are chained but not anchored outside the database).
    pub unanchored: u64,
}

/// Verifies entries read in sequence order against the anchors recorded outside the database:
/// `base`, the last entry removed by retention (the kept log must continue from it), and
/// `recorded`, the head.
pub fn verify(
    entries: impl IntoIterator<Item = AuditEntry>,
    base: Option<&AuditHead>,
    recorded: Option<&AuditHead>,
) -> Result<ChainReport, ChainBreak> {
    let mut head: Option<AuditHead> = base.copied();
    let mut count = 0u64;
    let mut anchored = recorded.is_none_or(|recorded| base.is_some_and(|b| recorded.seq <= b.seq));
    for entry in entries {
        // Entries up to the base that a crash left before their removal; the base itself must
        // be the recorded one.
        if let Some(base) = base
            && entry.seq <= base.seq
        {
            if entry.seq == base.seq && entry.hash != base.hash {
                return Err(ChainBreak::BaseMismatch(entry.seq));
            }
            continue;
        }
        let (expected_seq, expected_prev) = match &head {
            Some(head) => (head.seq + 1, head.hash),
            None => (1, GENESIS),
        };
        if entry.seq != expected_seq {
            return Err(ChainBreak::Gap {
                previous: expected_seq - 1,
                found: entry.seq,
            });
        }
        if entry.prev_hash != expected_prev {
            return Err(ChainBreak::Unlinked(entry.seq));
        }
        let hash = entry_hash(
            &entry.prev_hash,
            entry.seq,
            entry.at,
            &entry.actor,
            &entry.action,
            &entry.subject,
        );
        if hash != entry.hash {
            return Err(ChainBreak::Altered(entry.seq));
        }
        if let Some(recorded) = recorded
            && recorded.seq == entry.seq
        {
            if recorded.hash != entry.hash {
                return Err(ChainBreak::HeadMismatch(entry.seq));
            }
            anchored = true;
        }
        head = Some(entry.head());
        count += 1;
    }
    if !anchored && let Some(recorded) = recorded {
        return Err(ChainBreak::Truncated {
            last: head.map_or(0, |head| head.seq),
            recorded: recorded.seq,
        });
    }
    let unanchored = match (head, recorded) {
        (Some(head), Some(recorded)) => head.seq - recorded.seq,
        (Some(head), None) => head.seq,
        (None, _) => 0,
    };
    Ok(ChainReport {
        entries: count,
        head,
        unanchored,
    })
}

mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::seal::{hex, unhex};

    pub fn serialize<S: Serializer>(hash: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex(hash))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(deserializer)?;
        unhex(&text)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("expected 64 hexadecimal digits"))
    }
}
