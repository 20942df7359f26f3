//! SBI discovery over the whole port range (4501–4600) with one simulator bridge running.
//! Target: under 300 ms. Prints min / median / max over repeated scans.

#[path = "../tests/sbi_bridge/mod.rs"]
mod sbi_bridge;

use std::time::{Duration, Instant};

use enrol_client::sbi::{self, DiscoveryOptions, TrustedCas};

const RUNS: usize = 30;

fn main() {
    let bridge = sbi_bridge::start_bridge("finger-slap,iris,face", None);
    let mut trusted = TrustedCas::none();
    trusted
        .add_pem(&sbi_bridge::ca_pem(bridge.data_dir.path()))
        .expect("the bridge's CA parses");
    let options = DiscoveryOptions::default();
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut devices = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let found = sbi::discover(&options, &trusted);
        times.push(started.elapsed());
        devices = found
            .devices
            .iter()
            .filter(|d| d.port == bridge.port && d.is_trusted())
            .count();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "discovery 4501-4600 ({} workers, bridge on {} with {devices} trusted devices, {RUNS} runs): \
         min {:.1} ms, median {:.1} ms, max {:.1} ms (target < 300 ms)",
        options.workers,
        bridge.port,
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1]),
    );
}
