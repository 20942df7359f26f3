//! Prometheus counters in a small hand-written text exposition, and the request middleware that
//! counts and logs every request (method, route template, status, duration: no personal data).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    failures: Mutex<BTreeMap<&'static str, u64>>,
    upload_bytes: AtomicU64,
    packets_received: AtomicU64,
    packets_duplicate: AtomicU64,
    packets_published: AtomicU64,
}

impl Metrics {
    pub fn upload_bytes(&self, n: u64) {
        self.upload_bytes.fetch_add(n, Ordering::Relaxed);
    }

    pub fn packet_received(&self) {
        self.packets_received.fetch_add(1, Ordering::Relaxed);
    }

    pub fn packet_duplicate(&self) {
        self.packets_duplicate.fetch_add(1, Ordering::Relaxed);
    }

    pub fn packet_published(&self) {
        self.packets_published.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed verification by its error code.
    pub fn verification_failure(&self, code: &'static str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(code).or_default() += 1;
    }

    fn request(&self, method: &str, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP enrol_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE enrol_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "enrol_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP enrol_verification_failures_total Refused signatures, manifests and packets by code.\n");
        out.push_str("# TYPE enrol_verification_failures_total counter\n");
        for (code, n) in self
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "enrol_verification_failures_total{{code=\"{code}\"}} {n}"
            );
        }
        for (name, help, value) in [
            (
                "enrol_upload_bytes_total",
                "Packet bytes written by tus PATCH requests.",
                &self.upload_bytes,
            ),
            (
                "enrol_packets_received_total",
                "Packets verified and stored.",
                &self.packets_received,
            ),
            (
                "enrol_packets_duplicate_total",
                "Packets received again (answered with their receipt).",
                &self.packets_duplicate,
            ),
            (
                "enrol_packets_published_total",
                "Outbox entries acknowledged by NATS JetStream.",
                &self.packets_published,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// Counts and logs each request.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.request(&method, &route, status);
    tracing::info!(
        method,
        route,
        status,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
