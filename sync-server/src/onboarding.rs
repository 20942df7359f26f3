//! Online onboarding: the single-use, expiring code an administrator issues for a machine they
//! created, and `POST /v1/machines/onboard`, where the machine presents that code with its new
//! public key and its first supervisor's password, and receives its enrolment (the same
//! `MachineEnrolment` as the enrolment-file export).
//!
//! Only the code's SHA-256 is stored. A code is used at most once (the use and the key binding
//! are one transaction), expires, and dies after [`MAX_FAILURES`] wrong codes or supervisor
//! passwords, so guessing through this endpoint is bounded.

use axum::extract::State;
use axum::http::StatusCode;
use enrol_schema::enrolment::MachineEnrolment;
use enrol_schema::sync::{ErrorBody, OnboardRequest};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::{self, AdminError};
use crate::clock;
use crate::crypto::{MachineKey, constant_time_eq, sha256_hex, verify_password};
use crate::error::{AppError, Json};
use crate::store::Store;

/// How long a code stays valid unless the administrator says otherwise.
pub const DEFAULT_VALIDITY_SECS: i64 = 24 * 3600;

/// Failed attempts (wrong code or wrong supervisor password) after which a code is dead.
pub const MAX_FAILURES: i64 = 5;

/// Crockford's base-32 alphabet: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A code as the administrator receives it (shown once; only its digest is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCode {
    pub machine_id: String,
    /// 20 characters in four groups (100 random bits), e.g. `7KQ2M-…`.
    pub code: String,
    /// RFC 3339 UTC.
    pub expires_at: String,
}

/// A fresh random code: four groups of five Crockford base-32 characters.
pub fn new_code() -> String {
    let mut bytes = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    chars
        .chunks(5)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The digest stored for a code: case, dashes and spaces do not count.
pub fn code_digest(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    sha256_hex(normal.as_bytes())
}

/// Issues (or replaces) machine `machine_id`'s code, valid for `valid_secs`.
pub async fn issue_code(
    store: &Store,
    machine_id: &str,
    valid_secs: i64,
) -> Result<IssuedCode, AdminError> {
    if store.machine(machine_id).await?.is_none() {
        return Err(AdminError::NoMachine(machine_id.to_owned()));
    }
    let code = new_code();
    let expires_at = clock::unix_now().saturating_add(valid_secs);
    store
        .put_onboarding_code(machine_id, &code_digest(&code), expires_at)
        .await?;
    Ok(IssuedCode {
        machine_id: machine_id.to_owned(),
        code,
        expires_at: time::OffsetDateTime::from_unix_timestamp(expires_at)
            .map(clock::rfc3339)
            .unwrap_or_default(),
    })
}

/// `POST /v1/machines/onboard`.
#[utoipa::path(post, path = "/v1/machines/onboard", tag = "onboarding",
    request_body = OnboardRequest,
    responses(
        (status = 200, description = "the machine enrolment (enrol-schema MachineEnrolment): the machine is active with this key", body = Object),
        (status = 400, description = "JSON_INVALID", body = ErrorBody),
        (status = 401, description = "ONBOARDING_CODE_INVALID (unknown, used, expired or dead after too many failures), LOGIN_FAILED", body = ErrorBody),
        (status = 403, description = "OPERATOR_INACTIVE, OPERATOR_WRONG_CENTRE, SUPERVISOR_REQUIRED", body = ErrorBody),
        (status = 404, description = "MACHINE_UNKNOWN, CENTRE_UNKNOWN", body = ErrorBody),
        (status = 413, description = "BODY_TOO_LARGE", body = ErrorBody),
        (status = 422, description = "MACHINE_KEY_INVALID, PIPELINE_CERTIFICATE_MISSING, OPERATORS_MISSING, SETTINGS_INVALID", body = ErrorBody)))]
pub async fn onboard(
    State(state): State<AppState>,
    Json(request): Json<OnboardRequest>,
) -> Result<axum::Json<MachineEnrolment>, AppError> {
    let store = &state.store;
    let invalid = || {
        state
            .metrics
            .verification_failure("ONBOARDING_CODE_INVALID");
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "ONBOARDING_CODE_INVALID",
            "the onboarding code is unknown, used, expired or was tried too often: ask the administrator for a new one",
        )
    };
    MachineKey::from_pem(&request.public_key_pem).map_err(AdminError::BadKey)?;
    let now = clock::unix_now();
    let digest = code_digest(&request.code);
    let Some(code) = store.onboarding_code(&request.machine_id).await? else {
        return Err(invalid());
    };
    if code.used || code.expires_at <= now || code.failures >= MAX_FAILURES {
        return Err(invalid());
    }
    if !constant_time_eq(digest.as_bytes(), code.code_sha256.as_bytes()) {
        store.count_onboarding_failure(&request.machine_id).await?;
        return Err(invalid());
    }
    let machine = store
        .machine(&request.machine_id)
        .await?
        .ok_or_else(|| AdminError::NoMachine(request.machine_id.clone()))?;
    let supervisor = store.operator(&request.supervisor.user_id).await?;
    let password = request.supervisor.password.clone();
    let phc = supervisor
        .as_ref()
        .map(|op| op.password_hash.clone())
        .unwrap_or_default();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let Some(supervisor) = supervisor.filter(|_| matches) else {
        store.count_onboarding_failure(&request.machine_id).await?;
        state.metrics.verification_failure("LOGIN_FAILED");
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "LOGIN_FAILED",
            "unknown user or wrong password",
        ));
    };
    let forbidden = |code, message| AppError::new(StatusCode::FORBIDDEN, code, message);
    if !supervisor.active {
        return Err(forbidden(
            "OPERATOR_INACTIVE",
            "this operator was deactivated",
        ));
    }
    if supervisor.centre_id != machine.centre_id {
        return Err(forbidden(
            "OPERATOR_WRONG_CENTRE",
            "this operator belongs to another centre than this machine",
        ));
    }
    if !supervisor
        .roles
        .iter()
        .any(|role| role == "supervisor" || role == "administrator")
    {
        return Err(forbidden(
            "SUPERVISOR_REQUIRED",
            "a supervisor or an administrator installs a machine",
        ));
    }
    // Built before the code is used, so a refusal here leaves the code usable.
    let enrolment = admin::export_enrolment(store, &state.key, &machine.id, None).await?;
    let public_key_pem = request.public_key_pem.trim().to_owned() + "\n";
    if !store
        .complete_onboarding(&machine.id, &digest, now, MAX_FAILURES, &public_key_pem)
        .await?
    {
        return Err(invalid());
    }
    tracing::info!(machine = %machine.id, "machine onboarded");
    Ok(axum::Json(enrolment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_four_groups_of_unambiguous_characters() {
        let code = new_code();
        assert_eq!(code.len(), 23, "{code}");
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(
            code.bytes()
                .all(|b| b == b'-' || ALPHABET.contains(&b) && !b"ILOU".contains(&b))
        );
        assert_ne!(new_code(), code);
    }

    #[test]
    fn digests_ignore_case_dashes_and_spaces() {
        assert_eq!(code_digest("7kq2m-abcde"), code_digest(" 7KQ2MABCDE "));
        assert_ne!(code_digest("7KQ2M-ABCDE"), code_digest("7KQ2M-ABCDF"));
    }
}
