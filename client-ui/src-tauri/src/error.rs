//! The one error shape the front end receives: the core's stable code, its English message,
//! and the structured details a translated message needs.

use enrol_client::Error;
use enrol_client::audit::ChainBreak;
use enrol_client::freeze::FreezeReason;
use enrol_client::registration::RegistrationError;
use enrol_client::sync::SyncError;
use enrol_schema::validate::ValidationError;
use serde::Serialize;

/// A refused or failed command as serialised to the front end.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    /// When a locked operator may try again (RFC 3339), for `AUTH_LOCKED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Every broken freeze rule with its figures, for `FREEZE_*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze: Option<Vec<FreezeReason>>,
    /// Every field the validator refused, for a message beside each one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ValidationError>>,
}

impl CommandError {
    /// A request the front end should never send (`INVALID_INPUT`).
    pub fn invalid(field: &str, reason: &str) -> CommandError {
        CommandError::coded("INVALID_INPUT", format!("invalid {field}: {reason}"))
    }
}

impl CommandError {
    fn coded(code: &'static str, message: String) -> CommandError {
        CommandError {
            code,
            message,
            until: None,
            freeze: None,
            errors: None,
        }
    }

    /// A command that could not finish for a reason of the app itself (`INTERNAL`), such as
    /// its worker thread panicking.
    pub fn internal(message: impl std::fmt::Display) -> CommandError {
        CommandError::coded("INTERNAL", message.to_string())
    }
}

/// A sync failure keeps its own code (`SYNC_NETWORK`, `SYNC_CLOCK_SKEW`, …); a store failure
/// met during the sync is converted as any other.
impl From<SyncError> for CommandError {
    fn from(error: SyncError) -> CommandError {
        match error {
            SyncError::Store(error) => error.into(),
            other => CommandError::coded(other.code(), other.to_string()),
        }
    }
}

/// A broken audit chain (`AUDIT_*`, where and how).
impl From<ChainBreak> for CommandError {
    fn from(error: ChainBreak) -> CommandError {
        CommandError::coded(error.code(), error.to_string())
    }
}

impl From<Error> for CommandError {
    fn from(error: Error) -> CommandError {
        CommandError {
            code: error.code(),
            message: error.to_string(),
            until: match &error {
                Error::Locked { until, .. } => Some(until.clone()),
                _ => None,
            },
            freeze: match &error {
                Error::Frozen(reasons) => Some(reasons.clone()),
                _ => None,
            },
            errors: match error {
                Error::Registration(RegistrationError::Invalid(errors)) => Some(errors),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The JSON the front end's adapter (`src/lib/backend/tauri.ts`) receives for `error`.
    #[track_caller]
    fn check(error: Error, expected: Value) {
        let actual = serde_json::to_value(CommandError::from(error)).unwrap_or(Value::Null);
        assert_eq!(actual, expected);
    }

    #[test]
    fn errors_reach_the_front_end_as_code_message_and_details() {
        check(
            Error::WrongPassword,
            json!({"code": "AUTH_WRONG_PASSWORD", "message": "wrong user id or password"}),
        );
        check(
            Error::Locked {
                operator: "SUP1".into(),
                until: "2026-11-28T14:30:00Z".into(),
            },
            json!({
                "code": "AUTH_LOCKED",
                "message": "operator SUP1 is locked until 2026-11-28T14:30:00Z (too many failed logins)",
                "until": "2026-11-28T14:30:00Z",
            }),
        );
        check(
            Error::Frozen(vec![
                FreezeReason::SyncOverdue {
                    days: 31,
                    limit: 30,
                },
                FreezeReason::TooManyUnexported {
                    count: 70,
                    limit: 70,
                },
            ]),
            json!({
                "code": "FREEZE_SYNC_OVERDUE",
                "message": "new registrations are frozen: last sync was 31 days ago (limit 30): sync first; 70 approved packets are not exported or uploaded (limit 70): sync or export them",
                "freeze": [
                    {"reason": "sync_overdue", "days": 31, "limit": 30},
                    {"reason": "too_many_unexported", "count": 70, "limit": 70},
                ],
            }),
        );
        let refused = enrol_schema::validate::ValidationError {
            field: "fullName".into(),
            language: Some("eng".into()),
            code: enrol_schema::validate::ErrorCode::Pattern,
            message: "does not match ^[A-Za-z]+$".into(),
        };
        check(
            Error::Registration(RegistrationError::Invalid(vec![refused])),
            json!({
                "code": "PATTERN",
                "message": "the record is invalid: fullName (eng): PATTERN",
                "errors": [{"field": "fullName", "language": "eng", "code": "PATTERN",
                            "message": "does not match ^[A-Za-z]+$"}],
            }),
        );
        check(
            Error::NoSession,
            json!({"code": "AUTH_NO_SESSION", "message": "no session: run `enrol login` first"}),
        );
    }

    #[test]
    fn sync_failures_and_audit_breaks_keep_their_own_codes() {
        let actual = |error: CommandError| serde_json::to_value(error).unwrap_or(Value::Null);
        assert_eq!(
            actual(SyncError::ClockSkew { seconds: 600 }.into()),
            json!({"code": "SYNC_CLOCK_SKEW",
                   "message": "this machine's clock is 600 s ahead of the server's: set the date and time, then sync again"}),
        );
        assert_eq!(
            actual(SyncError::Store(Error::DiskFull).into()),
            json!({"code": "DISK_FULL", "message": "the disk is full: nothing was written"}),
        );
        assert_eq!(
            actual(ChainBreak::Altered(12).into()),
            json!({"code": "AUDIT_ALTERED", "message": "entry 12 was altered"}),
        );
    }
}
