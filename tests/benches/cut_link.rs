//! A 5 MB packet over a bad link (`cargo bench -p enrol-e2e --bench cut_link`): the proxy holds
//! the link to 256 kbit/s (32,000 bytes/s each way) and cuts it every 20 s on average
//! (exponential gaps); prints the completion time against the ideal transfer time at that rate
//! (target: within 1.3×; an upload that restarted from zero after each cut would never finish).
//! `ENROL_BENCH_QUICK=1` sends a packet of about 1 MB instead.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::proxy::{Link, Proxy};
use common::{Db, Kit, Server};
use enrol_client::sync::SyncOptions;
use enrol_schema::settings::RegistrationSettings;

/// 256 kbit/s.
const RATE: u64 = 32_000;
const MEAN_GAP: Duration = Duration::from_secs(20);

fn main() {
    let quick = std::env::var_os("ENROL_BENCH_QUICK").is_some();
    // Two documents make up nearly all of the packet (5,000,000 bytes, or 1,000,000 when quick).
    let document_bytes = if quick { 495_000 } else { 2_495_000 };
    let kit = Kit::with_settings(RegistrationSettings {
        max_document_size_bytes: 2_500_000,
        ..RegistrationSettings::default()
    });
    let server = Server::start(Db::Sqlite);
    server.onboard(&kit);
    kit.trust(&server);
    let (rid, _) = kit.register_sized("Resident Big", common::tiny_iso, document_bytes);
    kit.approve_all();
    let size = kit
        .supervisor()
        .packet_summary(&rid)
        .unwrap()
        .expect("the packet")
        .size;
    let proxy = Proxy::start(
        server.addr,
        Link {
            mean_gap: Some(MEAN_GAP),
            rate: Some(RATE),
        },
    );
    let options = SyncOptions {
        server: Some(proxy.url()),
        ..SyncOptions::default()
    };
    let ideal = size as f64 / RATE as f64;
    println!(
        "cut_link: packet of {size} bytes, link {} kbit/s cut every {} s on average; ideal {ideal:.1} s",
        RATE * 8 / 1000,
        MEAN_GAP.as_secs()
    );

    let start = Instant::now();
    let (mut runs, mut resumes) = (0, 0usize);
    let mut session = kit.supervisor();
    while session.packet_receipt(&rid).unwrap().is_none() {
        runs += 1;
        // A run that gives up (retries used, or the status poll cut) is followed by another,
        // as the background sync would.
        if let Ok(report) = session.sync_packets(&options, &mut |_| {}) {
            resumes += report
                .packets
                .iter()
                .map(|outcome| outcome.resumed_from.len())
                .sum::<usize>();
        }
    }
    let measured = start.elapsed().as_secs_f64();
    let ratio = measured / ideal;
    println!(
        "cut_link: ideal {ideal:.1} s, measured {measured:.1} s, ratio {ratio:.2} (target <= 1.30), \
         {} cuts, {resumes} resumes, {runs} sync run(s), {:.3}× the packet's size sent to the server",
        proxy.cuts(),
        proxy.upstream_bytes() as f64 / size as f64
    );
}
