//! Following the NATS JetStream stream instead of the HTTP feed: a durable pull consumer with
//! explicit acknowledgements. A message is acknowledged only once its verdict is acknowledged by
//! the server (or refused for good), so a consumer killed mid-packet gets it again after the
//! acknowledgement wait; a failed call is negatively acknowledged for a delayed redelivery.

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use enrol_schema::pipeline::FeedItem;
use futures_util::StreamExt;

use super::consumer::{Consumer, Outcome, is_transient};

/// Where to read: server, stream, durable consumer name, and how long an unacknowledged
/// message waits before it is delivered again.
#[derive(Debug, Clone)]
pub struct NatsSource {
    pub url: String,
    pub stream: String,
    pub durable: String,
    pub ack_wait: Duration,
}

/// Judges every message of the stream; with `once`, returns when a fetch finds nothing.
pub async fn follow_stream(
    consumer: &mut Consumer,
    source: &NatsSource,
    once: bool,
    on_done: &mut dyn FnMut(&FeedItem, &Outcome),
) -> anyhow::Result<()> {
    let client = async_nats::connect(&source.url)
        .await
        .with_context(|| format!("connecting to NATS at {}", source.url))?;
    let js = jetstream::new(client);
    let stream = js
        .get_stream(&source.stream)
        .await
        .with_context(|| format!("opening the stream {}", source.stream))?;
    let durable: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &source.durable,
            pull::Config {
                durable_name: Some(source.durable.clone()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: source.ack_wait,
                ..Default::default()
            },
        )
        .await
        .context("creating the durable consumer")?;
    loop {
        let mut batch = durable
            .fetch()
            .max_messages(20)
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .context("fetching from NATS")?;
        let mut received = 0;
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| anyhow::anyhow!("reading from NATS: {e}"))?;
            received += 1;
            let item: FeedItem = match serde_json::from_slice(&message.payload) {
                Ok(item) => item,
                Err(e) => {
                    eprintln!("dropping an unreadable message: {e}");
                    message.ack_with(AckKind::Term).await.ok();
                    continue;
                }
            };
            let outcome = tokio::task::block_in_place(|| consumer.handle(&item));
            let ack = match &outcome {
                Err(e) if is_transient(e) => AckKind::Nak(Some(Duration::from_secs(1))),
                _ => AckKind::Ack,
            };
            on_done(&item, &outcome);
            message
                .ack_with(ack)
                .await
                .map_err(|e| anyhow::anyhow!("acknowledging {}: {e}", item.rid))?;
        }
        if received == 0 && once {
            return Ok(());
        }
    }
}
