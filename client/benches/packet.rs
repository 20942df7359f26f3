//! Benchmark: create + seal + write a reference packet (demographics, 10 fingerprints, 2 irises,
//! face, 2 documents), side by side with the floor measured in the same run: AES-256-GCM of the
//! same number of bytes plus one fsync'd write of the same size. Prints figures.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use enrol_client::packet::{self, PipelineCertificate, reference};
use rand_core::{OsRng, RngCore};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rsa::RsaPrivateKey;

const RUNS: usize = 21;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// AES-256-GCM of `data` in place plus one fsync'd write of the result.
fn floor(data: &mut Vec<u8>, dir: &Path) -> Duration {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
    let start = Instant::now();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key([1u8; 12]), Aad::empty(), data)
        .unwrap();
    let mut file = File::create(dir.join("floor.bin")).unwrap();
    file.write_all(data).unwrap();
    file.sync_all().unwrap();
    let elapsed = start.elapsed();
    data.truncate(data.len() - 16);
    elapsed
}

fn main() {
    let mut rng = OsRng;
    let machine = packet::MachineKey::new(&RsaPrivateKey::new(&mut rng, 2048).unwrap()).unwrap();
    let pipeline_key = RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let year = Duration::from_secs(365 * 86_400);
    let pipeline = PipelineCertificate::self_signed(&pipeline_key, "pipeline", year).unwrap();
    let created_at = time::OffsetDateTime::now_utc();
    let input = reference::registration(
        "10001",
        "10077",
        1,
        created_at,
        reference::PayloadSizes::default(),
        false,
        &mut rng,
    )
    .unwrap();
    let payload: usize = input.documents.iter().map(|d| d.bytes.len()).sum::<usize>()
        + input.biometrics[0]
            .captures
            .iter()
            .map(|c| c.iso.len())
            .sum::<usize>();
    let dir =
        tempfile::tempdir_in(std::env::var_os("ENROL_BENCH_DIR").unwrap_or_else(|| ".".into()))
            .unwrap();

    let (mut build, mut total, mut floors) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let sealed = packet::build(&input, &machine, &pipeline, &mut rng).unwrap();
        build.push(start.elapsed());
        packet::write_packet_file(dir.path(), &sealed.packet_id, &sealed.bytes).unwrap();
        total.push(start.elapsed());
        size = sealed.bytes.len();
        let mut same_size = vec![0u8; size];
        rng.fill_bytes(&mut same_size);
        floors.push(floor(&mut same_size, dir.path()));
    }
    let (build, total, floor) = (median(build), median(total), median(floors));
    println!(
        "reference packet: {} biometric records, {} documents",
        input.biometrics[0].captures.len(),
        input.documents.len()
    );
    println!(
        "  payload (ISO records + documents) {:.2} MB, packet file {:.2} MB, {RUNS} runs, medians",
        payload as f64 / 1e6,
        size as f64 / 1e6
    );
    println!(
        "  create + seal          {:8.2} ms  {:7.1} MB/s",
        ms(build),
        mb_per_s(size, build)
    );
    println!(
        "  create + seal + write  {:8.2} ms  {:7.1} MB/s",
        ms(total),
        mb_per_s(size, total)
    );
    println!(
        "  floor (AES-GCM + fsync'd write of {:.2} MB) {:8.2} ms  {:7.1} MB/s",
        size as f64 / 1e6,
        ms(floor),
        mb_per_s(size, floor)
    );
    let sample = vec![0x5au8; size];
    let time = |f: &mut dyn FnMut()| {
        median(
            (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed()
                })
                .collect(),
        )
    };
    let sha = time(&mut || {
        packet::crypto::sha256(&sample);
    });
    let sign = time(&mut || {
        packet::crypto::sign(&machine, b"x").unwrap();
    });
    let seal = time(&mut || {
        packet::crypto::seal(&sample, &pipeline, &mut OsRng).unwrap();
    });
    println!(
        "  parts: SHA-256 of {:.2} MB {:.2} ms, one RSA-2048 signature {:.2} ms, one seal (OAEP + AES-GCM) {:.2} ms",
        size as f64 / 1e6,
        ms(sha),
        ms(sign),
        ms(seal)
    );
    println!(
        "  ratio to floor         {:8.2}x (target within 3x)",
        total.as_secs_f64() / floor.as_secs_f64()
    );
}
