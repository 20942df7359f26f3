//! The outbox through NATS JetStream: packets received while NATS is down wait in the outbox
//! and are published once it is up (each with its JetStream acknowledgement); `enrol-pipeline
//! --nats` judges them from a durable pull consumer; a second consumer getting every message
//! again (a duplicate delivery) reports identical verdicts, which the server ignores.

mod common;

use std::time::{Duration, Instant};

use common::{ConsumerFiles, Db, Kit, Nats, Server, free_port};
use serde_json::Value;

fn lines(output: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn packets_reach_the_pipeline_through_nats_even_when_it_was_down() {
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let server = Server::start_with(Db::Sqlite, |config| {
        config.pipeline_nats_url = Some(url.clone());
        config.pipeline_nats_stream = "ENROL_E2E".into();
        config.pipeline_nats_subject = "enrol.e2e.packets".into();
    });
    let kit = Kit::new();
    server.onboard(&kit);
    kit.trust(&server);
    let (good, _) = kit.register("Amina Good");
    let (flipped, _) = kit.register("Byte Flipped");
    kit.approve_all();
    kit.sync(&server);
    server.flip_stored_byte(&flipped);
    // NATS is down: the receipts were issued and the packets wait in the outbox.
    assert_eq!(server.unpublished(), 2);

    let _nats = Nats::start(port);
    let start = Instant::now();
    while server.unpublished() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the outbox was never published"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let files = ConsumerFiles::new();
    let output = files.drain_nats(&server, &url, "pipeline");
    assert!(output.status.success(), "{output:?}");
    let mut verdicts: Vec<(String, String, bool)> = lines(&output)
        .iter()
        .map(|l| {
            (
                l["rid"].as_str().unwrap().to_owned(),
                l["status"].as_str().unwrap().to_owned(),
                l["changed"].as_bool().unwrap(),
            )
        })
        .collect();
    verdicts.sort();
    let mut expected = vec![
        (good.clone(), "PROCESSED".to_owned(), true),
        (flipped.clone(), "REJECTED".to_owned(), true),
    ];
    expected.sort();
    assert_eq!(verdicts, expected);
    kit.sync(&server);
    assert_eq!(kit.server_status(&good).as_deref(), Some("PROCESSED"));
    assert_eq!(kit.server_status(&flipped).as_deref(), Some("REJECTED"));

    // The durable consumer has acknowledged everything: nothing comes again.
    assert!(lines(&files.drain_nats(&server, &url, "pipeline")).is_empty());
    // Another consumer gets every message again: the same verdicts, ignored by the server.
    let again = lines(&files.drain_nats(&server, &url, "second"));
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(again.iter().all(|l| l["changed"] == false), "{again:?}");
    assert_eq!(kit.server_status(&good).as_deref(), Some("PROCESSED"));
}
