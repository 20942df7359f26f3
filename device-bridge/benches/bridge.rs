//! Bridge benchmarks (print figures; run with `cargo bench -p enrol-bridge`):
//! 1. discovery over the whole 4501–4600 range with one bridge running (target < 300 ms);
//! 2. capture overhead the bridge adds over the simulator's own latency (target < 5 ms median);
//! 3. STREAM at 640×480: frames per second and CPU per second (targets ≥ 15 fps, < 0.5 core).

use std::sync::Arc;
use std::time::{Duration, Instant};

use enrol_bridge::device::{CaptureSpec, DeviceKind, Driver};
use enrol_bridge::http::{self, AppState, PORT_RANGE};
use enrol_bridge::keys::KeyStore;
use enrol_bridge::service::{Bridge, BridgeConfig};
use enrol_bridge::simulator::{SimControl, SimSettings, SimulatedDevice};
use serde_json::json;

const LATENCY_MS: u64 = 50;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Process CPU time (user + system) from /proc/self/stat, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let listener = http::bind(None).await.expect("a free port in 4501-4600");
    let port = listener.local_addr().expect("addr").port();
    let mut bridge = Bridge::new(
        KeyStore::open(keys_dir.path()).expect("keys"),
        BridgeConfig::new(port),
    );
    let kinds = [
        DeviceKind::FingerSlap,
        DeviceKind::FingerSingle,
        DeviceKind::IrisDouble,
        DeviceKind::Face,
    ];
    bridge
        .attach_simulated(
            &kinds,
            SimControl::new(SimSettings {
                latency_ms: LATENCY_MS,
                ..SimSettings::default()
            }),
        )
        .expect("devices");
    let state = AppState::new(Arc::new(bridge));
    tokio::spawn(http::serve(listener, state.clone(), std::future::pending()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    println!(
        "bridge on 127.0.0.1:{port} with {} simulated devices; {} cores, load average {} (wall-clock figures: a busy machine inflates them)",
        kinds.len(),
        std::thread::available_parallelism().map_or(1, usize::from),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or("?")
    );

    // 1. Discovery across the port range, as MOSIP's client does it (MOSIPDINFO, in parallel).
    let mut scans = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let probes = PORT_RANGE.map(|p| {
            let client = client.clone();
            async move {
                client
                    .request(
                        reqwest::Method::from_bytes(b"MOSIPDINFO").expect("verb"),
                        format!("http://127.0.0.1:{p}/info"),
                    )
                    .timeout(Duration::from_millis(1000))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            }
        });
        let found = futures_util::future::join_all(probes)
            .await
            .into_iter()
            .flatten()
            .count();
        scans.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(found >= 1, "the bridge was found");
    }
    println!(
        "discovery 4501-4600 (MOSIPDINFO x100 in parallel): median {:.1} ms, max {:.1} ms   [target < 300 ms]",
        median(scans.clone()),
        scans.iter().cloned().fold(0.0, f64::max)
    );

    // 2. Capture overhead: RCAPTURE through the bridge against the simulator alone (the same
    // device kind and segments acquired directly), medians of 15 each.
    let control = SimControl::new(SimSettings {
        latency_ms: LATENCY_MS,
        ..SimSettings::default()
    });
    for (label, kind, sub_id, count) in [
        ("single finger", DeviceKind::FingerSingle, 0, 1),
        ("left slap (4 fingers)", DeviceKind::FingerSlap, 1, 4),
        ("double iris", DeviceKind::IrisDouble, 3, 2),
        ("face", DeviceKind::Face, 0, 1),
    ] {
        let device = Arc::new(SimulatedDevice::new(kind, 0, Arc::clone(&control)));
        let spec = CaptureSpec {
            sub_id,
            segments: kind.segments(sub_id)[..count.min(kind.segments(sub_id).len())]
                .iter()
                .map(|name| name.to_string())
                .collect(),
            exception_photo: false,
        };
        let mut alone = Vec::new();
        let cpu_before = cpu_seconds();
        for _ in 0..15 {
            let (device, spec) = (Arc::clone(&device), spec.clone());
            let started = Instant::now();
            tokio::task::spawn_blocking(move || {
                device
                    .acquire(&spec, Instant::now() + Duration::from_secs(10))
                    .expect("a frame")
            })
            .await
            .expect("acquires");
            alone.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let cpu_alone = (cpu_seconds() - cpu_before) * 1000.0 / 15.0;
        let device_id = (kinds.iter().position(|k| *k == kind).expect("attached") + 1).to_string();
        let bio = json!({"type": kind.bio_type(), "count": count.to_string(),
            "deviceId": device_id, "deviceSubId": sub_id.to_string()});
        let mut captures = Vec::new();
        let cpu_before = cpu_seconds();
        for i in 0..15 {
            let request = json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5","timeout":"10000",
                "transactionId": format!("BENCH-{i}"),"bio":[bio.clone()]});
            let started = Instant::now();
            let response = client
                .request(
                    reqwest::Method::from_bytes(b"RCAPTURE").expect("verb"),
                    format!("http://127.0.0.1:{port}/capture"),
                )
                .body(request.to_string())
                .send()
                .await
                .expect("capture")
                .bytes()
                .await
                .expect("body");
            captures.push(started.elapsed().as_secs_f64() * 1000.0);
            let value: serde_json::Value = serde_json::from_slice(&response).expect("json");
            assert_eq!(value["biometrics"][0]["error"]["errorCode"], "0", "{value}");
            assert_eq!(value["biometrics"].as_array().map(Vec::len), Some(count));
        }
        let cpu_capture = (cpu_seconds() - cpu_before) * 1000.0 / 15.0;
        let (alone, captures) = (median(alone), median(captures));
        println!(
            "capture, {label}: RCAPTURE median {captures:.1} ms, simulator alone {alone:.1} ms (latency {LATENCY_MS} ms) -> bridge overhead {:.1} ms   [target < 5 ms]",
            captures - alone
        );
        println!(
            "  CPU per capture (whole process, client included): {cpu_capture:.1} ms through the bridge, {cpu_alone:.1} ms for the simulator alone"
        );
    }

    // Where the capture time goes (per finger segment, 280x360 grey).
    let finger = enrol_bridge::synth::fingerprint(280, 360, 80, 1);
    let time = |label: &str, runs: u32, work: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..runs {
            work();
        }
        println!(
            "  {label}: {:.2} ms",
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
    };
    time("synthetic finger render (simulator side)", 20, &|| {
        enrol_bridge::synth::fingerprint(280, 360, 80, 1);
    });
    time("finger quality estimate", 20, &|| {
        enrol_bridge::quality::finger(&finger);
    });
    // Lossless JPEG 2000 of a grey image on one and on two OpenJPEG threads.
    let encode_figures = |what: &str, width: u32, height: u32, pixels: &[u8]| {
        for threads in [1, 2] {
            time(
                &format!("JPEG 2000 lossless encode of {what}, {threads} thread(s)"),
                20,
                &|| {
                    enrol_bridge::jp2::encode_lossless(
                        width,
                        height,
                        enrol_bridge::jp2::Channels::Gray,
                        pixels,
                        threads,
                    )
                    .expect("encodes");
                },
            );
        }
    };
    let finger_bytes = enrol_bridge::jp2::encode_lossless(
        280,
        360,
        enrol_bridge::jp2::Channels::Gray,
        &finger.pixels,
        1,
    )
    .expect("encodes")
    .len();
    encode_figures(
        &format!("the synthetic finger (280x360, {finger_bytes} bytes)"),
        280,
        360,
        &finger.pixels,
    );
    // The same encoder on a real scanner's finger: MOSIP's mock SBI registration sample
    // (ISO 19794-4, 280x448, JPEG 2000 lossless), decoded first; read from ../shared when present.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/sbi-data/mockmds-iso-samples/registration/Left_Index.iso");
    match std::fs::read(&sample) {
        Ok(record) => {
            let start = record
                .windows(4)
                .position(|w| w == b"jP  ")
                .map(|i| i - 4)
                .expect("a JP2 image in the record");
            let image = jpeg2k::Image::from_bytes(&record[start..]).expect("decodes");
            let (width, height) = (image.width(), image.height());
            let pixels: Vec<u8> = image.components()[0]
                .data()
                .iter()
                .map(|v| *v as u8)
                .collect();
            encode_figures(
                &format!(
                    "MOSIP's mock registration finger ({width}x{height}, {} bytes as shipped)",
                    record.len() - start
                ),
                width,
                height,
                &pixels,
            );
        }
        Err(_) => println!(
            "  (MOSIP's mock finger sample not found at {}: skipped)",
            sample.display()
        ),
    }
    let identity = KeyStore::open(keys_dir.path())
        .and_then(|keys| keys.device("BENCH0001"))
        .expect("a device key");
    let data = json!({"bioValue": "A".repeat(180_000)});
    time("JWS RS256 over a 180 KB bioValue", 20, &|| {
        identity.jws.sign(&data).expect("signs");
    });

    // 3. STREAM at 640x480, grey (iris) and colour (face) previews.
    for (label, device_id, sub_id) in [("iris, grey", "3", "3"), ("face, colour", "4", "0")] {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let mut response = client
            .request(
                reqwest::Method::from_bytes(b"STREAM").expect("verb"),
                format!("http://127.0.0.1:{port}/stream"),
            )
            .body(
                json!({"deviceId": device_id, "deviceSubId": sub_id, "timeout": "60000"})
                    .to_string(),
            )
            .send()
            .await
            .expect("stream");
        let (mut frames, mut bytes) = (0usize, 0usize);
        let mut tail: Vec<u8> = Vec::new();
        while started.elapsed() < Duration::from_secs(5) {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    bytes += chunk.len();
                    // Count boundaries, including one split across two chunks.
                    tail.extend_from_slice(&chunk);
                    frames += tail
                        .windows(16)
                        .filter(|w| w == b"--BoundaryString")
                        .count();
                    tail = tail[tail.len().saturating_sub(15)..].to_vec();
                }
                _ => break,
            }
        }
        drop(response);
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu_before;
        println!(
            "STREAM 640x480 {label}: {:.1} fps, {:.0} KiB/s, CPU {:.2} core (whole process, client included)   [targets >= 15 fps, < 0.5 core]",
            frames as f64 / seconds,
            bytes as f64 / 1024.0 / seconds,
            cpu / seconds
        );
        // Let the bridge notice the disconnect and free the device.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
