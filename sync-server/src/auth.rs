//! Request authentication: the machine-signed request extractor (SHA256withRSA over the
//! canonical [`signing_string`], ±5 minute window, single-use nonces kept in the database) and
//! the admin bearer-token extractor.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use enrol_schema::sync::{
    HEADER_MACHINE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_CLOCK_SKEW_SECS,
    signing_string,
};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::clock;
use crate::crypto::{MachineKey, constant_time_eq, sha256_hex};
use crate::error::{AppError, parse_json, read_body};
use crate::store::{Machine, MachineStatus};

/// A request whose signature, time and nonce were verified, from an active machine.
#[derive(Debug)]
pub struct SignedRequest {
    pub machine: Machine,
    pub key: MachineKey,
    pub body: Bytes,
}

impl SignedRequest {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        parse_json(&self.body)
    }
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, code, message)
}

fn header<'a>(parts: &'a Parts, name: &str) -> Result<&'a str, AppError> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            unauthorized(
                "SIGNATURE_MISSING",
                format!("the {name} header is required"),
            )
        })
}

impl FromRequest<AppState> for SignedRequest {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let machine_id = header(&parts, HEADER_MACHINE)?;
        let timestamp = header(&parts, HEADER_TIMESTAMP)?;
        let nonce = header(&parts, HEADER_NONCE)?;
        let signature = header(&parts, HEADER_SIGNATURE)?;
        let fail = |code: &'static str, message: &str| {
            state.metrics.verification_failure(code);
            unauthorized(code, message)
        };

        let now = clock::unix_now();
        let sent = clock::parse_rfc3339(timestamp)
            .ok_or_else(|| fail("TIMESTAMP_INVALID", "the timestamp must be RFC 3339 UTC"))?;
        if (now - sent).abs() > MAX_CLOCK_SKEW_SECS {
            return Err(fail(
                "TIMESTAMP_STALE",
                "the request time is more than 5 minutes from the server's; check the machine clock",
            )
            .with_server_time(clock::rfc3339_now()));
        }
        if !(8..=128).contains(&nonce.len()) || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(fail(
                "NONCE_INVALID",
                "the nonce must be 8 to 128 visible ASCII characters",
            ));
        }

        let machine = state
            .store
            .machine(machine_id)
            .await?
            .ok_or_else(|| fail("MACHINE_UNKNOWN", "this machine is not registered"))?;
        match machine.status {
            MachineStatus::Active => {}
            MachineStatus::Pending => {
                state.metrics.verification_failure("MACHINE_NOT_APPROVED");
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    "MACHINE_NOT_APPROVED",
                    "this machine waits for an administrator's approval",
                ));
            }
            MachineStatus::Inactive => {
                state.metrics.verification_failure("MACHINE_INACTIVE");
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    "MACHINE_INACTIVE",
                    "this machine was deactivated",
                ));
            }
        }
        let key = MachineKey::from_pem(&machine.public_key_pem).map_err(|_| {
            AppError::new(
                StatusCode::FORBIDDEN,
                "MACHINE_KEY_INVALID",
                "the machine's registered key is unusable",
            )
        })?;

        let body = read_body(body, state.config.max_json_size).await?;
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
        let signed = signing_string(
            parts.method.as_str(),
            target,
            &sha256_hex(&body),
            timestamp,
            nonce,
            machine_id,
        );
        if !key.verifies(signed.as_bytes(), signature) {
            return Err(fail(
                "SIGNATURE_INVALID",
                "the request signature does not verify with the machine's key",
            ));
        }
        let expires = sent.max(now) + MAX_CLOCK_SKEW_SECS + 60;
        if !state
            .store
            .remember_nonce(machine_id, nonce, expires)
            .await?
        {
            return Err(fail("REQUEST_REPLAYED", "this nonce was already used"));
        }
        Ok(SignedRequest { machine, key, body })
    }
}

/// Proof that the request carried the admin token (`Authorization: Bearer <token>`).
#[derive(Debug)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if constant_time_eq(presented.as_bytes(), state.admin_token.as_bytes()) {
            Ok(Admin)
        } else {
            state.metrics.verification_failure("ADMIN_UNAUTHORIZED");
            Err(unauthorized(
                "ADMIN_UNAUTHORIZED",
                "a valid admin bearer token is required",
            ))
        }
    }
}

/// Setting holding the SHA-256 (hex) of the pipeline token made by `enrol-sync admin
/// pipeline-token`.
pub const PIPELINE_TOKEN_SETTING: &str = "pipeline_token_sha256";

/// Proof that the request carried the pipeline's token (`Authorization: Bearer <token>`): the one
/// in the configuration (`pipeline_token`), or the one whose digest the admin command stored.
#[derive(Debug)]
pub struct Pipeline;

impl FromRequestParts<AppState> for Pipeline {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let configured = state
            .config
            .pipeline_token
            .as_deref()
            .filter(|token| !token.is_empty())
            .is_some_and(|token| constant_time_eq(presented.as_bytes(), token.as_bytes()));
        let stored = match state.store.setting(PIPELINE_TOKEN_SETTING).await? {
            Some(digest) => constant_time_eq(
                sha256_hex(presented.as_bytes()).as_bytes(),
                digest.as_bytes(),
            ),
            None => false,
        };
        if !presented.is_empty() && (configured || stored) {
            Ok(Pipeline)
        } else {
            state.metrics.verification_failure("PIPELINE_UNAUTHORIZED");
            Err(unauthorized(
                "PIPELINE_UNAUTHORIZED",
                "a valid pipeline bearer token is required",
            ))
        }
    }
}
