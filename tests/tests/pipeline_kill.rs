//! Crashes on the way to the pipeline: the `enrol-pipeline` consumer SIGKILLed again and again
//! at random moments, on the HTTP feed and on NATS (where the server is also stopped in the
//! middle of publishing and started again on the same data), and the `enrol-sync` process
//! SIGKILLed while its dispatcher publishes: every packet still ends PROCESSED, none is judged to
//! another outcome, and the server ignores the repeated reports.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ConsumerFiles, Db, Kit, Nats, PIPELINE_TOKEN, Server, free_port, sibling_binary};
use rand_core::RngCore;
use serde_json::Value;

const PACKETS: usize = 10;

/// Names take letters only.
fn name(index: usize) -> String {
    format!("Resident {}", char::from(b'a' + index as u8))
}

/// Runs the consumer with `args`, SIGKILLs it after a random 50–400 ms, returns its lines.
fn run_and_kill(files: &ConsumerFiles, server_url: &str, args: &[&str]) -> Vec<Value> {
    let mut child = files
        .command(server_url, PIPELINE_TOKEN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pause = 50 + rand_core::OsRng.next_u64() % 350;
    std::thread::sleep(Duration::from_millis(pause));
    child.kill().unwrap();
    parse(&child.wait_with_output().unwrap().stdout)
}

fn parse(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Every line is a PROCESSED verdict (never an error or another status), every RID was judged,
/// and the client sees PROCESSED for all.
#[track_caller]
fn check_all_processed(kit: &Kit, server_url: &str, rids: &[String], lines: &[Value]) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for line in lines {
        assert_eq!(line["status"], "PROCESSED", "{line}");
        *seen.entry(line["rid"].as_str().unwrap()).or_default() += 1;
    }
    for rid in rids {
        assert!(
            seen.contains_key(rid.as_str()),
            "{rid} was never judged: {seen:?}"
        );
    }
    kit.sync_to(server_url);
    for rid in rids {
        assert_eq!(
            kit.server_status(rid).as_deref(),
            Some("PROCESSED"),
            "{rid}"
        );
    }
}

fn registered(kit: &Kit, server: &Server) -> Vec<String> {
    server.onboard(kit);
    kit.trust(server);
    let rids: Vec<String> = (0..PACKETS).map(|i| kit.register(&name(i)).0).collect();
    kit.approve_all();
    kit.sync(server);
    rids
}

#[test]
fn a_consumer_killed_mid_feed_loses_nothing_and_never_changes_a_verdict() {
    let server = Server::start(Db::Sqlite);
    let kit = Kit::new();
    let rids = registered(&kit, &server);
    let files = ConsumerFiles::new();
    let mut lines = Vec::new();
    for _ in 0..4 {
        lines.extend(run_and_kill(&files, &server.url(), &["--poll-ms", "20"]));
    }
    let last = files.drain(&server);
    assert!(last.status.success(), "{last:?}");
    lines.extend(parse(&last.stdout));
    check_all_processed(&kit, &server.url(), &rids, &lines);
}

#[test]
fn a_server_stopped_mid_publish_and_a_consumer_killed_mid_stream_lose_nothing() {
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let _nats = Nats::start(port);
    let data = tempfile::tempdir().unwrap();
    let configure = |config: &mut enrol_sync::config::Config| {
        config.data_dir = data.path().to_owned();
        config.pipeline_nats_url = Some(url.clone());
        config.pipeline_nats_stream = "ENROL_E2E".into();
        config.pipeline_nats_subject = "enrol.e2e.packets".into();
    };
    let kit = Kit::new();
    let server = Server::start_with(Db::Sqlite, configure);
    let rids = registered(&kit, &server);
    // Stopped while it publishes (the runtime and every task in it go away at once), then
    // started again on the same data until the outbox is empty.
    let pause = 5 + rand_core::OsRng.next_u64() % 40;
    std::thread::sleep(Duration::from_millis(pause));
    drop(server);
    let server = Server::start_with(Db::Sqlite, configure);
    let start = Instant::now();
    while server.unpublished() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the outbox was never published"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let files = ConsumerFiles::new();
    let stream = [
        "--nats",
        url.as_str(),
        "--stream",
        "ENROL_E2E",
        "--ack-wait-secs",
        "1",
    ];
    let mut lines = Vec::new();
    for _ in 0..4 {
        lines.extend(run_and_kill(&files, &server.url(), &stream));
    }
    // Messages taken by a killed consumer come back after the acknowledgement wait.
    std::thread::sleep(Duration::from_millis(1200));
    let last = files
        .command(&server.url(), PIPELINE_TOKEN)
        .args(stream)
        .arg("--once")
        .output()
        .unwrap();
    assert!(last.status.success(), "{last:?}");
    lines.extend(parse(&last.stdout));
    check_all_processed(&kit, &server.url(), &rids, &lines);
}

/// `enrol-sync serve` as its own process on `data`, listening on `port`, its dispatcher
/// publishing to the NATS server at `nats`; returns once it answers `/healthz`.
fn spawn_server(data: &Path, port: u16, nats: &str) -> Child {
    let child = Command::new(sibling_binary("enrol-sync", "enrol-sync"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .args([
            "--set",
            &format!("pipeline_nats_url={nats}"),
            "--set",
            "pipeline_nats_stream=ENROL_E2E",
            "--set",
            "pipeline_nats_subject=enrol.e2e.packets",
            "--set",
            &format!("pipeline_token={PIPELINE_TOKEN}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("enrol-sync starts");
    let start = Instant::now();
    while ureq::get(format!("http://127.0.0.1:{port}/healthz"))
        .call()
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "enrol-sync never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn a_server_process_killed_while_it_publishes_loses_nothing() {
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let _nats = Nats::start(port);
    let data = tempfile::tempdir().unwrap();
    let kit = Kit::new();
    // The packets arrive while no dispatcher runs: they wait in the outbox.
    let server = Server::start_with(Db::Sqlite, |config| {
        config.data_dir = data.path().to_owned();
    });
    let rids = registered(&kit, &server);
    assert_eq!(server.unpublished(), PACKETS);
    drop(server);
    // The server, now its own process with the dispatcher on, is SIGKILLed at a random instant
    // of its publishing, three times, then left running.
    let http = free_port();
    for _ in 0..3 {
        let mut child = spawn_server(data.path(), http, &url);
        let pause = rand_core::OsRng.next_u64() % 30;
        std::thread::sleep(Duration::from_millis(pause));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let mut child = spawn_server(data.path(), http, &url);
    let server_url = format!("http://127.0.0.1:{http}");
    let files = ConsumerFiles::new();
    let mut lines: Vec<Value> = Vec::new();
    let start = Instant::now();
    let judged = |lines: &[Value]| {
        let rids: std::collections::BTreeSet<&str> =
            lines.iter().filter_map(|l| l["rid"].as_str()).collect();
        rids.len()
    };
    while judged(&lines) < rids.len() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "only {} of {} packets reached the pipeline",
            judged(&lines),
            rids.len()
        );
        let output = files
            .command(&server_url, PIPELINE_TOKEN)
            .args(["--nats", &url, "--stream", "ENROL_E2E", "--once"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        lines.extend(parse(&output.stdout));
    }
    check_all_processed(&kit, &server_url, &rids, &lines);
    child.kill().unwrap();
    child.wait().unwrap();
}
