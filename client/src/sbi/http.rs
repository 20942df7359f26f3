//! The HTTP exchange with an SBI service on 127.0.0.1: custom verbs (MOSIPDISC, MOSIPDINFO,
//! RCAPTURE, STREAM), explicit timeouts and bounded bodies.

use std::io::Read;
use std::time::Duration;

use ureq::http::{Method, Request};

use super::error::SbiError;

/// Timeouts of one exchange.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// The whole exchange, body included; `None` for streams.
    pub total: Option<Duration>,
}

fn agent(timeouts: Timeouts) -> ureq::Agent {
    ureq::Agent::config_builder()
        .allow_non_standard_methods(true)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(timeouts.connect))
        .timeout_global(timeouts.total)
        .build()
        .new_agent()
}

fn send(
    port: u16,
    verb: &str,
    path: &str,
    body: Vec<u8>,
    timeouts: Timeouts,
) -> Result<ureq::http::Response<ureq::Body>, SbiError> {
    let unreachable = |reason: String| SbiError::Unreachable { port, reason };
    let method = Method::from_bytes(verb.as_bytes()).map_err(|e| unreachable(e.to_string()))?;
    let request = Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .header("Content-Type", "application/json")
        .header("EXT", "enrol")
        .body(body)
        .map_err(|e| unreachable(e.to_string()))?;
    agent(timeouts)
        .run(request)
        .map_err(|e| unreachable(e.to_string()))
}

/// Sends `verb path` with a JSON body and reads a response of at most `limit` bytes.
pub fn call(
    port: u16,
    verb: &str,
    path: &str,
    body: Vec<u8>,
    timeouts: Timeouts,
    limit: u64,
) -> Result<Vec<u8>, SbiError> {
    let mut response = send(port, verb, path, body, timeouts)?;
    let status = response.status();
    if !status.is_success() {
        return Err(SbiError::BadResponse {
            port,
            reason: format!("HTTP {status} to {verb}"),
        });
    }
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| SbiError::BadResponse {
            port,
            reason: format!("reading the {verb} answer: {e}"),
        })
}

/// Opens a long-lived response (STREAM): its `Content-Type` and a reader over the body.
pub fn open(
    port: u16,
    verb: &str,
    path: &str,
    body: Vec<u8>,
    timeouts: Timeouts,
) -> Result<(String, Box<dyn Read + Send>), SbiError> {
    let response = send(port, verb, path, body, timeouts)?;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((content_type, Box::new(response.into_body().into_reader())))
}
