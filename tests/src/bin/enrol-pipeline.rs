//! `enrol-pipeline`: the reference pipeline consumer. Follows the sync server's feed, opens each
//! packet with the pipeline's private key, judges it and reports PROCESSED or REJECTED back;
//! prints one JSON line per packet. `--nats URL` reads the server's JetStream stream instead.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use enrol_client::packet::PipelineCertificate;
use enrol_e2e::pipeline::api::Api;
use enrol_e2e::pipeline::consumer::{Consumer, Outcome};
use enrol_e2e::pipeline::cursor::Cursor;
use enrol_e2e::pipeline::nats::{NatsSource, follow_stream};
use enrol_schema::pipeline::FeedItem;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "enrol-pipeline",
    version,
    about = "Enrol's reference pipeline consumer"
)]
struct Cli {
    /// Base URL of the sync server.
    #[arg(
        long,
        env = "ENROL_PIPELINE_SERVER",
        default_value = "http://127.0.0.1:8420"
    )]
    server: String,
    /// The pipeline bearer token (`enrol-sync admin pipeline-token`).
    #[arg(long, env = "ENROL_PIPELINE_TOKEN", hide_env_values = true)]
    token: String,
    /// The pipeline's private key (PKCS#8 PEM).
    #[arg(long)]
    key: PathBuf,
    /// The pipeline's certificate (PEM), as published to the machines.
    #[arg(long)]
    cert: PathBuf,
    /// File keeping the feed position between runs.
    #[arg(long, default_value = "enrol-pipeline.cursor")]
    cursor: PathBuf,
    /// Folder receiving `<rid>.json` per packet (verdict and decrypted identity).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Stop when the feed is drained instead of polling for more.
    #[arg(long)]
    once: bool,
    /// Milliseconds between polls of an empty feed.
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
    /// Feed entries per request.
    #[arg(long, default_value_t = 100)]
    batch: u32,
    /// Read the NATS JetStream stream at this URL instead of the HTTP feed.
    #[arg(long)]
    nats: Option<String>,
    /// The JetStream stream the server publishes to.
    #[arg(long, default_value = "ENROL_PACKETS")]
    stream: String,
    /// Name of the durable pull consumer (its position is kept by NATS).
    #[arg(long, default_value = "enrol-pipeline")]
    durable: String,
    /// Seconds before an unacknowledged message is delivered again.
    #[arg(long, default_value_t = 30)]
    ack_wait_secs: u64,
}

fn main() {
    if let Err(error) = run(Cli::parse()) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    };
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&read(&cli.key)?)
        .with_context(|| format!("{} is not a PKCS#8 RSA key", cli.key.display()))?;
    let key = PipelineCertificate::from_pem(&read(&cli.cert)?)
        .and_then(|cert| cert.key(private))
        .context("the pipeline certificate does not match the key")?;
    if let Some(out) = &cli.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }
    let mut consumer = Consumer::new(Api::new(&cli.server, &cli.token), key, cli.out.clone());
    let mut print = |item: &FeedItem, outcome: &Outcome| {
        let line = match outcome {
            Ok((verdict, ack)) => json!({
                "rid": item.rid,
                "status": verdict.status,
                "reason": verdict.refusal.as_ref().map(|r| r.code),
                "changed": ack.changed,
            }),
            Err(e) => json!({"rid": item.rid, "error": {"code": e.code, "message": e.message}}),
        };
        println!("{line}");
    };
    match &cli.nats {
        Some(url) => {
            let source = NatsSource {
                url: url.clone(),
                stream: cli.stream.clone(),
                durable: cli.durable.clone(),
                ack_wait: Duration::from_secs(cli.ack_wait_secs.max(1)),
            };
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("starting the async runtime")?
                .block_on(follow_stream(&mut consumer, &source, cli.once, &mut print))
        }
        None => consumer.follow_feed(
            &Cursor::new(&cli.cursor),
            cli.batch,
            Duration::from_millis(cli.poll_ms),
            cli.once,
            &mut print,
        ),
    }
}
