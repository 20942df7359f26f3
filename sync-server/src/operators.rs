//! Operators as machines see them: the first, online login (password checked here, roles
//! returned) and the user list of the machine's centre, signed by the server key and carrying
//! the active operators' Argon2id verifiers (a machine prepares their first login from them).

use axum::extract::State;
use axum::http::StatusCode;
use enrol_schema::sync::{ErrorBody, LoginRequest, Operator, OperatorList};

use crate::AppState;
use crate::auth::SignedRequest;
use crate::clock;
use crate::crypto::verify_password;
use crate::error::AppError;
use crate::store::OperatorRecord;

/// An operator without their verifier (a login answer).
fn public(op: OperatorRecord) -> Operator {
    Operator {
        user_id: op.user_id,
        name: op.name,
        centre_id: op.centre_id,
        roles: op.roles,
        active: op.active,
        password_verifier: None,
    }
}

/// An operator of the list: active ones with their verifier.
fn listed(op: OperatorRecord) -> Operator {
    let verifier = op.active.then(|| op.password_hash.clone());
    Operator {
        password_verifier: verifier,
        ..public(op)
    }
}

/// `POST /v1/operators/login`: checks an operator's password for the calling machine.
#[utoipa::path(post, path = "/v1/operators/login", tag = "machine",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "the operator and their roles", body = Operator),
        (status = 401, description = "LOGIN_FAILED (or a request signature error)", body = ErrorBody),
        (status = 403, description = "OPERATOR_INACTIVE, OPERATOR_WRONG_CENTRE (or a machine error)", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    req: SignedRequest,
) -> Result<axum::Json<Operator>, AppError> {
    let body: LoginRequest = req.json()?;
    let failed = || {
        state.metrics.verification_failure("LOGIN_FAILED");
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "LOGIN_FAILED",
            "unknown user or wrong password",
        )
    };
    let Some(op) = state.store.operator(&body.user_id).await? else {
        return Err(failed());
    };
    let phc = op.password_hash.clone();
    let password = body.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    if !matches {
        return Err(failed());
    }
    if !op.active {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "OPERATOR_INACTIVE",
            "this operator was deactivated",
        ));
    }
    if op.centre_id != req.machine.centre_id {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "OPERATOR_WRONG_CENTRE",
            "this operator belongs to another centre than this machine",
        ));
    }
    Ok(axum::Json(public(op)))
}

/// `GET /v1/operators`: every operator of the calling machine's centre, signed for that machine.
#[utoipa::path(get, path = "/v1/operators", tag = "machine",
    responses((status = 200, description = "the operators of the machine's centre, active ones with their Argon2id verifier, signed", body = OperatorList)))]
pub async fn list(
    State(state): State<AppState>,
    req: SignedRequest,
) -> Result<axum::Json<OperatorList>, AppError> {
    let operators = state
        .store
        .operators_of_centre(&req.machine.centre_id)
        .await?;
    let mut list = OperatorList {
        machine_id: req.machine.id,
        centre_id: req.machine.centre_id,
        issued_at: clock::rfc3339_now(),
        operators: operators.into_iter().map(listed).collect(),
        signature: String::new(),
    };
    list.signature = state.key.sign(&list.signing_bytes());
    Ok(axum::Json(list))
}
