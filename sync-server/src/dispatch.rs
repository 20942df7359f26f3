//! The outbox dispatcher for NATS JetStream (when `pipeline_nats_url` is set): publishes each
//! unpublished outbox entry as its feed item (JSON) to the configured subject, with the
//! `Nats-Msg-Id` header `<rid>.<feed position>` so JetStream drops a repeat of the same entry,
//! awaits JetStream's acknowledgement and only then marks the entry published. A dispatcher
//! killed between the two publishes again, which JetStream deduplicates; while NATS is down it
//! retries with backoff and the entries wait in the outbox (and stay in the pull feed).

use std::time::Duration;

use async_nats::jetstream;

use crate::config::Config;
use crate::pipeline::feed_item;
use crate::{AppState, clock};

/// Entries published per round.
const BATCH: i64 = 100;
/// Longest wait between looks at the outbox when nothing signals new entries.
const IDLE: Duration = Duration::from_secs(1);

/// Why a round of publishing stopped.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("nats: {0}")]
    Nats(String),
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
}

fn nats(error: impl std::fmt::Display) -> DispatchError {
    DispatchError::Nats(error.to_string())
}

/// The JetStream message id of an outbox entry.
pub fn message_id(rid: &str, feed_seq: i64) -> String {
    format!("{rid}.{feed_seq}")
}

/// Connects, makes sure the stream exists and publishes until something fails.
async fn dispatch(state: &AppState, url: &str) -> Result<(), DispatchError> {
    let Config {
        pipeline_nats_stream: stream,
        pipeline_nats_subject: subject,
        ..
    } = &state.config;
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(nats)?;
    let js = jetstream::new(client);
    js.get_or_create_stream(jetstream::stream::Config {
        name: stream.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .map_err(nats)?;
    tracing::info!(stream = %stream, subject = %subject, "publishing the outbox to NATS");
    loop {
        let entries = state.store.unpublished(BATCH).await?;
        if entries.is_empty() {
            let _ = tokio::time::timeout(IDLE, state.outbox_ready.notified()).await;
            continue;
        }
        for entry in entries {
            let feed_seq = entry.feed_seq;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                "Nats-Msg-Id",
                message_id(&entry.packet.rid, feed_seq).as_str(),
            );
            let payload = serde_json::to_vec(&feed_item(entry)).map_err(nats)?;
            js.publish_with_headers(subject.clone(), headers, payload.into())
                .await
                .map_err(nats)?
                .await
                .map_err(nats)?;
            state
                .store
                .mark_published(feed_seq, &clock::rfc3339_now())
                .await?;
            state.metrics.packet_published();
        }
    }
}

/// Runs the dispatcher for good: each failure is logged and retried after a growing pause
/// (100 ms doubling up to 10 s).
pub async fn run(state: AppState, url: String) {
    let mut failures = 0u32;
    loop {
        let started = tokio::time::Instant::now();
        if let Err(error) = dispatch(&state, &url).await {
            tracing::warn!(error = %error, "publishing to NATS failed; retrying");
        }
        if started.elapsed() > Duration::from_secs(30) {
            failures = 0;
        }
        failures = failures.saturating_add(1);
        let pause = Duration::from_millis(100u64 << failures.min(7)).min(Duration::from_secs(10));
        tokio::time::sleep(pause).await;
    }
}
