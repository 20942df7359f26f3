//! Machine-signed HTTP to the sync server (blocking `ureq`, plain HTTP on the centre's network):
//! every request carries the machine id, a timestamp, a nonce and an RSA signature over
//! `enrol_schema::sync::signing_string`; only onboarding, before the machine's key is
//! registered, posts unsigned.

use std::time::Duration;

use base64::Engine as _;
use enrol_schema::sync::{
    ErrorBody, HEADER_MACHINE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, signing_string,
};
use ring::rand::{SecureRandom, SystemRandom};

use super::SyncError;
use super::plan::{backoff_delay, clock_skew};
use crate::packet::MachineKey;
use crate::packet::crypto::{base64_url, sign};

/// Largest answer body read (a page of publications is the largest; packets only go up).
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// Tries of a request that changes nothing on the server before its network failure is
/// returned: a dropped connection costs a retry, not the run.
const REPEATABLE_TRIES: u32 = 4;

/// One answer: status, the headers the engine reads, the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The server's error body, or a stand-in when the body is not one.
    pub fn error(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| ErrorBody {
            code: format!("HTTP_{}", self.status),
            message: String::from_utf8_lossy(&self.body)
                .chars()
                .take(200)
                .collect(),
            server_time: None,
        })
    }

    /// The failure as a typed error: clock skew when the server says the timestamp is stale and
    /// its clock differs from `local_now`; 5xx as transient; the rest as refusals.
    pub fn failure(&self, local_now: i64) -> SyncError {
        if self.status >= 500 {
            return SyncError::Network(format!("server error {}", self.status));
        }
        let body = self.error();
        if let Some(seconds) = body
            .server_time
            .as_deref()
            .and_then(|server| clock_skew(local_now, server))
        {
            return SyncError::ClockSkew { seconds };
        }
        SyncError::Refused {
            code: body.code,
            message: body.message,
        }
    }
}

/// The signed HTTP connection to one server.
pub struct Transport {
    agent: ureq::Agent,
    base: String,
    machine_id: String,
    key: MachineKey,
    random: SystemRandom,
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Sends an unsigned JSON `POST` (onboarding: the machine's key is not registered yet).
pub fn post_unsigned(
    base: &str,
    path: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<Answer, SyncError> {
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}{path}", base.trim_end_matches('/')))
        .header("content-type", "application/json");
    run(&agent(timeout), "POST", request, body)
}

/// Whether the server at `base` answers its health check (`GET /healthz`, 200) within
/// `timeout`: a cheap, unsigned probe for the online / offline indicator.
pub fn answers_health_check(base: &str, timeout: Duration) -> bool {
    let request = ureq::http::Request::builder()
        .method("GET")
        .uri(format!("{}/healthz", base.trim_end_matches('/')));
    run(&agent(timeout), "GET", request, &[]).is_ok_and(|answer| answer.status == 200)
}

impl Transport {
    pub fn new(base: &str, machine_id: &str, key: MachineKey, timeout: Duration) -> Transport {
        Transport {
            agent: agent(timeout),
            base: base.trim_end_matches('/').to_owned(),
            machine_id: machine_id.to_owned(),
            key,
            random: SystemRandom::new(),
        }
    }

    /// Sends one signed request; `path` is the request target (absolute path and query).
    /// Transport failures (refused, reset, timed out) are [`SyncError::Network`].
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
        now_unix: i64,
    ) -> Result<Answer, SyncError> {
        let timestamp = time::OffsetDateTime::from_unix_timestamp(now_unix)
            .ok()
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .ok_or_else(|| SyncError::Protocol("the local clock is out of range".into()))?;
        let mut nonce = [0u8; 16];
        self.random
            .fill(&mut nonce)
            .map_err(|_| SyncError::Protocol("no randomness for the nonce".into()))?;
        let nonce = base64_url(&nonce);
        let body_digest = hex_lower(ring::digest::digest(&ring::digest::SHA256, body).as_ref());
        let message = signing_string(
            method,
            path,
            &body_digest,
            &timestamp,
            &nonce,
            &self.machine_id,
        );
        let signature = sign(&self.key, message.as_bytes()).map_err(crate::Error::from)?;
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(HEADER_MACHINE, &self.machine_id)
            .header(HEADER_TIMESTAMP, &timestamp)
            .header(HEADER_NONCE, &nonce)
            .header(HEADER_SIGNATURE, base64_url(&signature));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        run(&self.agent, method, request, body)
    }

    /// [`Transport::send`] for a request that is safe to repeat (it only reads): network
    /// failures are retried with backoff, each try signed afresh with a new nonce.
    pub fn send_repeatable(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
        now_unix: i64,
    ) -> Result<Answer, SyncError> {
        let mut retries = 0;
        loop {
            match self.send(method, path, headers, body, now_unix) {
                Err(error) if error.is_transient() && retries + 1 < REPEATABLE_TRIES => {
                    std::thread::sleep(backoff_delay(retries, jitter(&self.random)));
                    retries += 1;
                }
                answer => return answer,
            }
        }
    }
}

/// A uniform value in `[0, 1]` for [`backoff_delay`]; 0 if no randomness is available.
pub fn jitter(random: &SystemRandom) -> f64 {
    let mut bytes = [0u8; 4];
    let _ = random.fill(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
}

/// Runs one request and reads its answer (headers, and a bounded body).
fn run(
    agent: &ureq::Agent,
    method: &str,
    request: ureq::http::request::Builder,
    body: &[u8],
) -> Result<Answer, SyncError> {
    let outcome = if body.is_empty() && matches!(method, "GET" | "HEAD") {
        request
            .body(())
            .map_err(|error| SyncError::Protocol(error.to_string()))
            .map(|request| agent.run(request))?
    } else {
        request
            .body(body)
            .map_err(|error| SyncError::Protocol(error.to_string()))
            .map(|request| agent.run(request))?
    };
    let mut response = outcome.map_err(|error| SyncError::Network(error.to_string()))?;
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|value| (name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    let status = response.status().as_u16();
    let body = if method == "HEAD" {
        Vec::new()
    } else {
        response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|error| SyncError::Network(error.to_string()))?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// tus's `Upload-Checksum` value for a body.
pub fn upload_checksum(body: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// tus's `Upload-Metadata` value: `key base64(value)` pairs.
pub fn upload_metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| {
            format!(
                "{key} {}",
                base64::engine::general_purpose::STANDARD.encode(value)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
