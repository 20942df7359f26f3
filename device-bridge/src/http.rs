//! The HTTP face of the bridge (the only module that knows axum): binding 127.0.0.1 on the first
//! free port in 4501–4600, dispatch on SBI's custom verbs, CORS and preflights, the Host check,
//! the body limit, the M-JPEG STREAM body, and the simulator admin endpoints under `/admin/`.

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::service::{Bridge, SbiError, error_array};
use crate::simulator::{Fault, SimSettings};
use crate::stream;

/// The SBI port range (§1.1).
pub const PORT_RANGE: std::ops::RangeInclusive<u16> = 4501..=4600;
/// Largest request body accepted; SBI requests are a few hundred bytes.
pub const MAX_BODY: usize = 64 * 1024;
const ALLOW_METHODS: &str = "OPTIONS, RCAPTURE, CAPTURE, MOSIPDINFO, MOSIPINFO, MOSIPDISC, SBIDISC, SBIINFO, STREAM, GET, POST";
const ALLOW_HEADERS: &str = "Content-Type, Authorization, X-Requested-With, Accept, Origin, EXT";

/// Shared state of the HTTP layer.
#[derive(Debug, Clone)]
pub struct AppState {
    pub bridge: Arc<Bridge>,
    /// Set when the server shuts down, so open streams end.
    pub closing: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(bridge: Arc<Bridge>) -> AppState {
        AppState {
            bridge,
            closing: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Binds 127.0.0.1 on `port`, or on the first free port of 4501–4600.
pub async fn bind(port: Option<u16>) -> std::io::Result<TcpListener> {
    if let Some(port) = port {
        return TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await;
    }
    for port in PORT_RANGE {
        if let Ok(listener) = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
        {
            return Ok(listener);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "no free port in 4501-4600 on 127.0.0.1",
    ))
}

/// The router: every request goes through one dispatcher, since SBI's verbs are not HTTP's.
pub fn router(state: AppState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Serves until `shutdown` resolves; open streams are told to end.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = Arc::clone(&state.closing);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.store(true, Ordering::SeqCst);
        })
        .await
}

async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let headers = request.headers().clone();
    if !host_allowed(&headers) {
        return with_cors(json(
            StatusCode::FORBIDDEN,
            &error_array(SbiError::InvalidVerb),
        ));
    }
    if method == Method::OPTIONS {
        return preflight(&headers);
    }
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return with_cors(json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &error_array(SbiError::BadRequest),
            ));
        }
    };
    let bridge = &state.bridge;
    let response = match (method.as_str(), path.as_str()) {
        ("MOSIPDISC" | "SBIDISC", _) | ("POST" | "GET", "/device") => {
            json(StatusCode::OK, &bridge.discover(&body))
        }
        ("MOSIPDINFO" | "MOSIPINFO" | "SBIINFO", _) => json(StatusCode::OK, &bridge.info()),
        ("RCAPTURE", _) => json(StatusCode::OK, &bridge.rcapture(&body).await),
        ("CAPTURE", _) => json(StatusCode::OK, &bridge.capture_unsupported()),
        ("STREAM", _) => stream_response(&state, &body),
        (_, admin) if admin.starts_with("/admin/") => {
            admin_response(bridge, method.as_str(), admin, &body)
        }
        _ => json(
            StatusCode::METHOD_NOT_ALLOWED,
            &error_array(SbiError::InvalidVerb),
        ),
    };
    tracing::debug!(%method, %path, elapsed_ms = started.elapsed().as_millis() as u64, "sbi request");
    with_cors(response)
}

/// Rejects requests whose Host is not a loopback name (DNS rebinding).
fn host_allowed(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_string()
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "[::1]"
    )
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// CORS headers on every answer; and, as MockMDS does, one request per connection.
fn with_cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    response
}

fn preflight(headers: &HeaderMap) -> Response {
    let mut response = with_cors(Response::new(Body::empty()));
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    if headers
        .get("access-control-request-private-network")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
    {
        out.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
    }
    response
}

fn stream_response(state: &AppState, body: &[u8]) -> Response {
    let (slot, stream_state, timeout) = match state.bridge.open_stream(body) {
        Ok(opened) => opened,
        Err(error) => {
            return json(
                StatusCode::OK,
                &enrol_schema::sbi::ErrorEntry {
                    error: error.to_info(),
                },
            );
        }
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(2);
    let closing = Arc::clone(&state.closing);
    tokio::task::spawn_blocking(move || {
        stream::produce(&slot, &stream_state, timeout, &closing, |frame| {
            sender.blocking_send(Bytes::from(frame)).is_ok()
        });
        slot.end_stream(&stream_state.stop);
    });
    let frames = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|frame| (Ok::<_, Infallible>(frame), receiver))
    });
    let mut response = Response::new(Body::from_stream(frames));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(stream::CONTENT_TYPE),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::EXPIRES, HeaderValue::from_static("0"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Partial update of the simulator knobs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SimUpdate {
    quality: Option<u8>,
    latency_ms: Option<u64>,
    fault: Option<Fault>,
    seed: Option<u64>,
}

/// Administrator override of a device's reported status.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusUpdate {
    device_id: String,
    /// `Not Registered`, `Not Ready` or `Busy`; `Ready` or null clears the override.
    device_status: Option<enrol_schema::sbi::DeviceStatus>,
}

/// Key rotation order for one device.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotateRequest {
    device_id: String,
}

fn admin_response(bridge: &Bridge, method: &str, path: &str, body: &[u8]) -> Response {
    let bad = |message: String| {
        json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "error": message }),
        )
    };
    match (method, path) {
        ("GET", "/admin/simulator") | ("POST", "/admin/simulator") => {
            let Some(control) = &bridge.sim else {
                return json(
                    StatusCode::NOT_FOUND,
                    &serde_json::json!({ "error": "no simulated devices" }),
                );
            };
            if method == "POST" {
                let update: SimUpdate = match serde_json::from_slice(body) {
                    Ok(update) => update,
                    Err(error) => return bad(format!("invalid simulator settings: {error}")),
                };
                let current = control.get();
                control.set(SimSettings {
                    quality: update.quality.unwrap_or(current.quality).min(100),
                    latency_ms: update.latency_ms.unwrap_or(current.latency_ms).min(60_000),
                    fault: update.fault.unwrap_or(current.fault),
                    seed: update.seed.unwrap_or(current.seed),
                });
            }
            json(StatusCode::OK, &control.get())
        }
        ("POST", "/admin/status") => {
            let update: StatusUpdate = match serde_json::from_slice(body) {
                Ok(update) => update,
                Err(error) => return bad(format!("invalid status update: {error}")),
            };
            let Some(slot) = bridge.registry.get(&update.device_id) else {
                return bad(format!("unknown deviceId {:?}", update.device_id));
            };
            let status = update
                .device_status
                .filter(|s| *s != enrol_schema::sbi::DeviceStatus::Ready);
            slot.set_status_override(status);
            json(
                StatusCode::OK,
                &serde_json::json!({ "deviceId": update.device_id, "deviceStatus": slot.status() }),
            )
        }
        ("POST", "/admin/rotate") => {
            let update: RotateRequest = match serde_json::from_slice(body) {
                Ok(update) => update,
                Err(error) => return bad(format!("invalid rotate request: {error}")),
            };
            match bridge.rotate_key(&update.device_id) {
                Ok(true) => json(
                    StatusCode::OK,
                    &serde_json::json!({ "deviceId": update.device_id, "rotated": true }),
                ),
                Ok(false) => bad(format!("unknown deviceId {:?}", update.device_id)),
                Err(error) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({ "error": error.to_string(), "code": error.code() }),
                ),
            }
        }
        ("POST", "/admin/replug") => {
            bridge.replug_simulated();
            json(StatusCode::OK, &serde_json::json!({ "replugged": true }))
        }
        _ => json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({ "error": "unknown admin endpoint" }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_host(host: Option<&str>, allowed: bool) {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, HeaderValue::from_str(host).expect("header"));
        }
        assert_eq!(host_allowed(&headers), allowed, "{host:?}");
    }

    #[test]
    fn only_loopback_hosts_are_served() {
        check_host(None, true);
        check_host(Some("127.0.0.1:4501"), true);
        check_host(Some("localhost:4501"), true);
        check_host(Some("[::1]:4501"), true);
        check_host(Some("evil.example:4501"), false);
        check_host(Some("127.0.0.1.evil.example"), false);
    }
}
