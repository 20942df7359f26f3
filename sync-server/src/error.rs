//! The one error type of the HTTP layer: a status, a stable code and a message, rendered as
//! `{code, message}` JSON; and the JSON extractor that turns malformed bodies into that shape.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enrol_schema::sync::ErrorBody;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::store::StoreError;

/// An error answered to a client.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub server_time: Option<String>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
            server_time: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn with_server_time(mut self, now: String) -> AppError {
        self.server_time = Some(now);
        self
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
            server_time: self.server_time,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> AppError {
        tracing::error!(error = %err, "storage failure");
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORAGE_UNAVAILABLE",
            "the server's storage failed; retry later",
        )
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> AppError {
        StoreError::Io(err).into()
    }
}

/// Parses a JSON body, answering malformed input with `400 {code: "JSON_INVALID", …}`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|err| AppError::bad_request("JSON_INVALID", format!("invalid JSON body: {err}")))
}

/// Reads a whole body of at most `limit` bytes.
pub async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, AppError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
            format!("bodies are limited to {limit} bytes"),
        )
    })
}

/// JSON body extractor whose rejections have the same `{code, message}` shape as every error.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req.into_body(), state.config.max_json_size).await?;
        parse_json(&bytes).map(Json)
    }
}

/// One path parameter, with malformed (non UTF-8) values answered in the common error shape.
#[derive(Debug)]
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParam(value))
            .map_err(|err| AppError::bad_request("PATH_INVALID", err.body_text()))
    }
}
