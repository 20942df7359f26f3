//! Pipeline figures over loopback (`cargo bench -p enrol-e2e --bench pipeline`): creation →
//! PROCESSED at the client for 200 packets one after the other (median, p95; target p95 < 2 s),
//! then the consumer's throughput over the same packets beside raw decrypt + verify of their
//! bytes in the same run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{ConsumerFiles, Db, Kit, PIPELINE_TOKEN, Server, pipeline};
use enrol_client::packet::{Limits, open};
use enrol_e2e::pipeline::api::Api;
use enrol_e2e::pipeline::consumer::Consumer;
use enrol_schema::pipeline::FeedItem;
use rsa::pkcs8::DecodePublicKey;

const PACKETS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let server = Server::start(Db::Sqlite);
    let kit = Kit::new();
    server.onboard(&kit);
    kit.trust(&server);
    let files = ConsumerFiles::new();
    let consumer = Killed(
        files
            .command(&server.url(), PIPELINE_TOKEN)
            .args(["--poll-ms", "10"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let mut latencies = Vec::with_capacity(PACKETS);
    let mut polls = 0usize;
    for index in 0..PACKETS {
        let (rid, _) = kit.register(&format!("Resident {}", common::letters(index)));
        let created = Instant::now();
        kit.approve_all();
        kit.sync(&server);
        while kit.server_status(&rid).as_deref() != Some("PROCESSED") {
            kit.sync(&server);
            polls += 1;
            assert!(
                created.elapsed() < Duration::from_secs(60),
                "{rid} never ended PROCESSED"
            );
        }
        latencies.push(created.elapsed());
    }
    drop(consumer);
    latencies.sort();
    println!("creation → PROCESSED at the client, {PACKETS} packets over loopback, one at a time");
    println!(
        "  (approve + sync + consumer polling every 10 ms + status polls by `sync`; {polls} extra polls)"
    );
    println!(
        "  median {:.1} ms, p95 {:.1} ms, max {:.1} ms (target p95 < 2000 ms)",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(*latencies.last().unwrap())
    );

    // The same packets again: the consumer's whole work per packet (download, checks, report —
    // ignored as a repeat) against decrypt + verify alone of the same bytes.
    let api = Api::new(&server.url(), PIPELINE_TOKEN);
    let mut items: Vec<FeedItem> = Vec::new();
    let mut after = 0;
    loop {
        let page = api.feed(after, 500).unwrap();
        if page.items.is_empty() {
            break;
        }
        after = page.next;
        items.extend(page.items);
    }
    let (key, cert) = pipeline();
    let pipeline_key = cert.key(key.clone()).unwrap();
    let mut consumer = Consumer::new(
        Api::new(&server.url(), PIPELINE_TOKEN),
        pipeline_key.clone(),
        None,
    );
    let start = Instant::now();
    for item in &items {
        let (verdict, ack) = consumer.handle(item).unwrap();
        assert!(!ack.changed && verdict.refusal.is_none());
    }
    let whole = start.elapsed();
    let bytes: Vec<Vec<u8>> = items
        .iter()
        .map(|item| api.download(&item.download).unwrap())
        .collect();
    let machine = api.machine("10011").unwrap();
    let machine_key = rsa::RsaPublicKey::from_public_key_pem(&machine.public_key_pem).unwrap();
    let start = Instant::now();
    for packet in &bytes {
        open(packet, &pipeline_key, &machine_key, &Limits::default()).unwrap();
    }
    let raw = start.elapsed();
    let size: usize = bytes.iter().map(Vec::len).sum::<usize>() / bytes.len();
    println!(
        "consumer throughput over the same {} packets ({:.0} kB each), one thread",
        items.len(),
        size as f64 / 1000.0
    );
    let rate = |d: Duration| items.len() as f64 / d.as_secs_f64();
    println!(
        "  consumer (download, open, checks, report): {:.1} packets/s",
        rate(whole)
    );
    println!(
        "  raw decrypt + verify (packet reader only): {:.1} packets/s",
        rate(raw)
    );
}
