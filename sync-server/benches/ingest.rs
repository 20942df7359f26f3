//! Ingest benchmark: 2 MB packets over loopback from 8 concurrent clients, each packet going
//! the whole way (signed manifest, tus creation, one PATCH, verification, fsync, move, receipt),
//! side by side with a raw baseline measured in the same run: a trivial receiver on the same
//! HTTP stack that writes the same bytes to a file and fsyncs it.
//!
//! Run: `cargo bench -p enrol-sync --bench ingest` (PACKETS_PER_CLIENT to change the load).

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use common::*;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;

const CLIENTS: usize = 8;
const PACKET_SIZE: usize = 2_000_000;

/// The baseline receiver: writes the body to `dir/<n>` and fsyncs it.
async fn raw_put(
    State(dir): State<std::path::PathBuf>,
    Path(n): Path<String>,
    body: Body,
) -> StatusCode {
    let Ok(mut file) = tokio::fs::File::create(dir.join(n)).await else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    let mut body = body;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(chunk) = frame.into_data()
            && file.write_all(&chunk).await.is_err()
        {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    match file.sync_all().await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn baseline(payloads: &[Vec<Vec<u8>>]) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let app = axum::Router::new()
        .route("/raw/{n}", axum::routing::put(raw_put))
        .with_state(dir.path().to_path_buf());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let started = Instant::now();
    let mut clients = Vec::new();
    for (c, packets) in payloads.iter().enumerate() {
        let packets = packets.clone();
        clients.push(tokio::spawn(async move {
            for (i, bytes) in packets.iter().enumerate() {
                let r = Req::new("PUT", &format!("/raw/{c}-{i}"))
                    .body(bytes)
                    .send(addr)
                    .await;
                assert_eq!(r.status, 204);
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = started.elapsed();
    server.abort();
    elapsed
}

async fn enrol(payloads: &[Vec<Vec<u8>>], db: Db) -> Duration {
    let server = Server::start(db, |_| {}).await;
    let machines: Vec<MachineKey> = (0..CLIENTS)
        .map(|c| MachineKey::generate(&format!("{}", 10071 + c)))
        .collect();
    for machine in &machines {
        server.onboard(machine).await;
    }
    let work: Vec<_> = machines
        .iter()
        .zip(payloads)
        .map(|(machine, packets)| {
            let manifests: Vec<_> = packets
                .iter()
                .enumerate()
                .map(|(i, bytes)| machine.packet(i as u32 + 1, bytes))
                .collect();
            (machine.clone(), packets.clone(), manifests)
        })
        .collect();
    let addr = server.addr;
    let server = std::sync::Arc::new(server);
    let started = Instant::now();
    let mut clients = Vec::new();
    let count = work.iter().map(|(_, p, _)| p.len()).sum::<usize>() as u32;
    for (machine, packets, manifests) in work {
        let server = server.clone();
        clients.push(tokio::spawn(async move {
            let mut phases = [Duration::ZERO; 3];
            for (bytes, signed) in packets.iter().zip(&manifests) {
                let t0 = Instant::now();
                let announced = announce(&server, &machine, signed).await;
                assert_eq!(announced.status, 201, "{}", announced.text());
                let token = announced.json()["uploadToken"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let t1 = Instant::now();
                let path = create_upload(&server, signed, &token).await;
                let t2 = Instant::now();
                let done = server.request(patch(&path, 0, bytes)).await;
                assert_eq!(done.status, 204, "{}", done.text());
                assert!(done.header("x-enrol-receipt").is_some());
                phases[0] += t1 - t0;
                phases[1] += t2 - t1;
                phases[2] += t2.elapsed();
            }
            phases
        }));
    }
    let mut phases = [Duration::ZERO; 3];
    for client in clients {
        for (total, phase) in phases.iter_mut().zip(client.await.unwrap()) {
            *total += phase;
        }
    }
    let elapsed = started.elapsed();
    let _ = addr;
    let ms = |d: Duration| d.as_secs_f64() * 1e3 / f64::from(count.max(1));
    println!(
        "  per packet: announce {:.1} ms, create {:.1} ms, patch + verify + store {:.1} ms",
        ms(phases[0]),
        ms(phases[1]),
        ms(phases[2])
    );
    if let Ok(server) = std::sync::Arc::try_unwrap(server) {
        server.stop().await;
    }
    elapsed
}

fn report(name: &str, packets: usize, elapsed: Duration, baseline: Option<Duration>) {
    let secs = elapsed.as_secs_f64();
    let rate = packets as f64 / secs;
    let mbps = (packets * PACKET_SIZE) as f64 / 1e6 / secs;
    let share = baseline.map_or(String::new(), |b| {
        format!("  ({:.0}% of baseline)", 100.0 * b.as_secs_f64() / secs)
    });
    println!(
        "{name:<34} {packets:>4} packets in {secs:>6.2} s: {rate:>7.1} packets/s {mbps:>7.1} MB/s{share}"
    );
}

fn main() {
    let per_client: usize = std::env::var("PACKETS_PER_CLIENT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let payloads: Vec<Vec<Vec<u8>>> = (0..CLIENTS)
        .map(|_| (0..per_client).map(|_| random_bytes(PACKET_SIZE)).collect())
        .collect();
    let total = CLIENTS * per_client;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        println!("ingest: {CLIENTS} concurrent clients, {PACKET_SIZE} byte packets, loopback");
        let raw = baseline(&payloads).await;
        report("baseline (PUT + fsync)", total, raw, None);
        let sqlite = enrol(&payloads, Db::Sqlite).await;
        report("enrol-sync, SQLite", total, sqlite, Some(raw));
        if std::env::var("BENCH_POSTGRES").is_ok() {
            let pg = enrol(&payloads, Db::Postgres).await;
            report("enrol-sync, PostgreSQL", total, pg, Some(raw));
        }
    });
}
