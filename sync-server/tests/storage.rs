//! One storage story, run against SQLite and PostgreSQL: onboarding, a packet through
//! announce → tus → receipt → status → pipeline state, idempotency, conflicts, and a restart;
//! and concurrent intake filling the outbox in order.

mod common;

use common::*;
use enrol_schema::sync::PacketState;

async fn story(db: Db) {
    let server = Server::start(db, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;

    let bytes = random_bytes(300_000);
    let signed = machine.packet(1, &bytes);
    let rid = signed.manifest.rid.clone();
    let done = upload_packet(&server, &machine, &signed, &bytes).await;
    assert_eq!(done.status, 204, "{}", done.text());
    let receipt = receipt_from_header(&done);
    assert!(receipt_verifies(&server, &receipt));
    assert_eq!(receipt.rid, rid);
    assert_eq!(receipt.size, bytes.len() as u64);
    assert_eq!(receipt.packet_hash, signed.manifest.packet_hash);

    // The stored bytes are the uploaded bytes.
    let stored = server.state.blobs.packet_path(
        CENTRE,
        &machine.id,
        &signed.manifest.packet_id,
        &signed.manifest.packet_hash,
    );
    assert_eq!(std::fs::read(&stored).unwrap(), bytes);

    // Announcing the same packet again answers with the same receipt and no upload.
    let again = announce(&server, &machine, &signed).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["uploadToken"], serde_json::Value::Null);
    assert_eq!(
        again.json()["receipt"],
        serde_json::to_value(&receipt).unwrap()
    );

    // A different packet under the same RID is refused loudly.
    let other = machine.packet(1, &random_bytes(1000));
    let clash = announce(&server, &machine, &other).await;
    assert_eq!((clash.status, clash.code().as_str()), (409, "RID_CONFLICT"));

    // Status: received, pending, unknown.
    let pending = machine.packet(2, &random_bytes(10));
    assert_eq!(announce(&server, &machine, &pending).await.status, 201);
    let query =
        serde_json::json!({"rids": [rid, pending.manifest.rid, "10001100770000320261128131500"]});
    let status = server
        .request(machine.sign_request(Req::new("POST", "/v1/packets/status").json(&query)))
        .await;
    assert_eq!(status.status, 200, "{}", status.text());
    let status = status.json();
    let states: Vec<&str> = status["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["RECEIVED", "UPLOAD_PENDING", "UNKNOWN"]);

    // The pipeline reports a state; the machine sees it.
    let r = server
        .admin(
            "POST",
            &format!("/admin/v1/packets/{rid}/state"),
            serde_json::json!({"state": "PROCESSED"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());

    // Everything survives a restart, including the server key and the nonce store.
    let server = server.restart().await;
    let fetched = server
        .request(machine.sign_request(Req::new("GET", &format!("/v1/packets/{rid}/receipt"))))
        .await;
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    let fetched: enrol_schema::sync::Receipt = serde_json::from_slice(&fetched.body).unwrap();
    assert_eq!(fetched, receipt);
    let record = server.state.store.packet(&rid).await.unwrap().unwrap();
    assert_eq!(record.state, PacketState::Processed);
    server.stop().await;
}

#[tokio::test]
async fn storage_story_on_sqlite() {
    story(Db::Sqlite).await;
}

#[tokio::test]
async fn storage_story_on_postgres() {
    story(Db::Postgres).await;
}

/// Packets recorded concurrently get feed positions 1, 2, … without gaps or duplicates, each
/// with its outbox entry (on PostgreSQL the positions are handed out under an advisory lock).
async fn concurrent_intake(db: Db) {
    let server = Server::start(db, |_| {}).await;
    let mut tasks = tokio::task::JoinSet::new();
    for sequence in 1..=40i64 {
        let state = server.state.clone();
        tasks.spawn(async move {
            let rid = format!("100011007700{sequence:03}20261128131500");
            let record = enrol_sync::store::PacketRecord {
                seq: 0,
                packet_id: format!("{rid}-10001_10077-20261128131500"),
                rid,
                machine_id: "10077".into(),
                centre_id: CENTRE.into(),
                sequence,
                packet_hash: "AB".into(),
                size: 1,
                received_at: "2026-11-28T13:15:00Z".into(),
                state: PacketState::Received,
                state_updated_at: "2026-11-28T13:15:00Z".into(),
            };
            state.store.insert_packet(&record, "NEW").await.unwrap()
        });
    }
    while let Some(inserted) = tasks.join_next().await {
        assert!(inserted.unwrap().is_some());
    }
    let feed = server.state.store.feed(0, 500).await.unwrap();
    let positions: Vec<i64> = feed.iter().map(|e| e.feed_seq).collect();
    assert_eq!(positions, (1..=40).collect::<Vec<_>>());
    let mut sequences: Vec<i64> = feed.iter().map(|e| e.packet.sequence).collect();
    sequences.sort();
    assert_eq!(sequences, (1..=40).collect::<Vec<_>>());
    assert_eq!(server.state.store.unpublished(500).await.unwrap().len(), 40);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_intake_on_sqlite() {
    concurrent_intake(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_intake_on_postgres() {
    concurrent_intake(Db::Postgres).await;
}
