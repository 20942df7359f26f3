//! The sync server's pipeline API as the consumer calls it (blocking `ureq`, bearer token).

use std::time::Duration;

use enrol_schema::pipeline::{FeedPage, MachineRecord, OperatorRecord, StatusAck, StatusUpdate};
use enrol_schema::sync::ErrorBody;

/// Largest answer read: a packet (the server's default limit is 5 MiB) with room to spare.
const MAX_ANSWER_BYTES: u64 = 64 << 20;

/// A failed call: the server's stable code (or `NETWORK`, `HTTP_<status>`) and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [{code}]")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// A client of one server's pipeline API.
pub struct Api {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            agent,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
        let network = |e: ureq::Error| ApiError {
            status: 0,
            code: "NETWORK".into(),
            message: e.to_string(),
        };
        let invalid = |e: ureq::http::Error| ApiError {
            status: 0,
            code: "REQUEST_INVALID".into(),
            message: e.to_string(),
        };
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token));
        let outcome = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body)
                .map(|request| self.agent.run(request)),
            None => request.body(()).map(|request| self.agent.run(request)),
        };
        let mut response = outcome.map_err(invalid)?.map_err(network)?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(network)?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        Err(match body {
            Some(body) => ApiError {
                status,
                code: body.code,
                message: body.message,
            },
            None => ApiError {
                status,
                code: format!("HTTP_{status}"),
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            },
        })
    }

    fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let bytes = self.call("GET", path, None)?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError {
            status: 200,
            code: "ANSWER_INVALID".into(),
            message: format!("{path}: {e}"),
        })
    }

    pub fn feed(&self, after: i64, limit: u32) -> Result<FeedPage, ApiError> {
        self.json(&format!("/v1/pipeline/feed?after={after}&limit={limit}"))
    }

    /// The packet's bytes from the feed item's download path.
    pub fn download(&self, path: &str) -> Result<Vec<u8>, ApiError> {
        self.call("GET", path, None)
    }

    pub fn machine(&self, id: &str) -> Result<MachineRecord, ApiError> {
        self.json(&format!("/v1/pipeline/machines/{id}"))
    }

    pub fn operator(&self, id: &str) -> Result<OperatorRecord, ApiError> {
        self.json(&format!("/v1/pipeline/operators/{id}"))
    }

    /// The identity schema's text of a published version.
    pub fn identity_schema(&self, version: &str) -> Result<Vec<u8>, ApiError> {
        self.call(
            "GET",
            &format!("/v1/pipeline/identity-schemas/{version}"),
            None,
        )
    }

    pub fn report(&self, update: &StatusUpdate) -> Result<StatusAck, ApiError> {
        let body = serde_json::to_vec(update).map_err(|e| ApiError {
            status: 0,
            code: "REQUEST_INVALID".into(),
            message: e.to_string(),
        })?;
        let bytes = self.call("POST", "/v1/pipeline/status", Some(body))?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError {
            status: 200,
            code: "ANSWER_INVALID".into(),
            message: e.to_string(),
        })
    }
}
