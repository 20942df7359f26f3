//! The client core's error type: one enum, each variant with a stable code for scripts and UIs.

use std::path::PathBuf;

use crate::freeze::FreezeReason;
use crate::roles::Action;

/// Everything the client core can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} is not an initialised data directory: run `enrol init` first")]
    NotInitialised(PathBuf),
    #[error("{0} is already initialised")]
    AlreadyInitialised(PathBuf),
    #[error("the database key is wrong for {0}")]
    WrongKey(PathBuf),
    #[error("the database file {0} is corrupt or truncated")]
    Corrupt(PathBuf),
    #[error("the disk is full: nothing was written")]
    DiskFull,
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the key slots file is malformed: {0}")]
    KeyringMalformed(String),
    #[error("wrong user id or password")]
    WrongPassword,
    #[error("operator {operator} is locked until {until} (too many failed logins)")]
    Locked { operator: String, until: String },
    #[error("operator {0} is deactivated")]
    Deactivated(String),
    #[error("operator {0} does not exist")]
    UnknownOperator(String),
    #[error("operator {0} already exists")]
    OperatorExists(String),
    #[error("the session has expired after {0} s without activity: log in again")]
    SessionExpired(u32),
    #[error("no session: run `enrol login` first")]
    NoSession,
    #[error("operator {operator} may not {action}")]
    Forbidden { operator: String, action: Action },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Every broken rule, in MOSIP's order of checks; never empty.
    #[error("new registrations are frozen: {}", frozen_text(.0))]
    Frozen(Vec<FreezeReason>),
    #[error("machine enrolment file: {0}")]
    Enrolment(String),
    #[error("cryptography failure: {0}")]
    Crypto(&'static str),
    #[error("the sync server cannot be reached: {0}")]
    ServerUnreachable(String),
    #[error("the server refused ({code}): {message}")]
    ServerRefused { code: String, message: String },
    #[error("the server's answer cannot be used: {0}")]
    ServerAnswer(String),
    #[error(
        "the onboarding code is unknown, used, expired or was tried too often: ask the administrator for a new one"
    )]
    OnboardingCodeInvalid,
    #[error(
        "a first login on this machine is confirmed with the sync server, which cannot be reached: connect the machine and try again"
    )]
    LoginNeedsServer,
    #[error(transparent)]
    Registration(#[from] crate::registration::RegistrationError),
    #[error("packet: {0}")]
    Packet(#[from] crate::packet::PacketError),
    #[error(transparent)]
    Sbi(#[from] crate::sbi::SbiError),
}

impl Error {
    /// A stable code for the error, for scripts (`--json`) and user interfaces.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotInitialised(_) => "NOT_INITIALISED",
            Error::AlreadyInitialised(_) => "ALREADY_INITIALISED",
            Error::WrongKey(_) => "STORE_WRONG_KEY",
            Error::Corrupt(_) => "STORE_CORRUPT",
            Error::DiskFull => "DISK_FULL",
            Error::Database(_) => "STORE_DATABASE",
            Error::Io { .. } => "IO",
            Error::KeyringMalformed(_) => "KEYRING_MALFORMED",
            Error::WrongPassword => "AUTH_WRONG_PASSWORD",
            Error::Locked { .. } => "AUTH_LOCKED",
            Error::Deactivated(_) => "AUTH_DEACTIVATED",
            Error::UnknownOperator(_) => "OPERATOR_UNKNOWN",
            Error::OperatorExists(_) => "OPERATOR_EXISTS",
            Error::SessionExpired(_) => "AUTH_SESSION_EXPIRED",
            Error::NoSession => "AUTH_NO_SESSION",
            Error::Forbidden { .. } => "AUTH_FORBIDDEN",
            Error::Invalid { .. } => "INVALID_INPUT",
            Error::Frozen(reasons) => reasons.first().map_or("FREEZE", FreezeReason::code),
            Error::Enrolment(_) => "ENROLMENT_FILE",
            Error::Crypto(_) => "CRYPTO",
            Error::ServerUnreachable(_) => "SERVER_UNREACHABLE",
            Error::ServerRefused { .. } => "SERVER_REFUSED",
            Error::ServerAnswer(_) => "SERVER_ANSWER_INVALID",
            Error::OnboardingCodeInvalid => "ONBOARDING_CODE_INVALID",
            Error::LoginNeedsServer => "LOGIN_NEEDS_SERVER",
            Error::Registration(error) => error.code(),
            Error::Packet(error) => error.code(),
            Error::Sbi(error) => error.code(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        if source.kind() == std::io::ErrorKind::StorageFull {
            return Error::DiskFull;
        }
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Error {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => Error::DiskFull,
            _ => Error::Database(error),
        }
    }
}

fn frozen_text(reasons: &[FreezeReason]) -> String {
    let texts: Vec<String> = reasons.iter().map(ToString::to_string).collect();
    texts.join("; ")
}
