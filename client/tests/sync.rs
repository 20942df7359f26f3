//! Packet sync against the real `enrol-sync` server (in process, port 0, temp data dir):
//! several packets with verified receipts, resume after connections cut mid-upload (through a
//! proxy), idempotent re-sync, forged receipts refused, clock skew reported, retention.

mod kit;
mod server;
mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use enrol_client::clock::ManualClock;
use enrol_client::roles::Role;
use enrol_client::sync::{SyncError, SyncOptions, SyncReport};
use enrol_client::{Client, Options, Session};
use enrol_schema::sync::PacketState;
use kit::{ATTRIBUTES, Kit, SUPERVISOR, SUPERVISOR_PASSWORD, strs};
use rsa::pkcs8::DecodePublicKey;
use server::Server;

/// A server that knows the kit's machine (approved, with its key).
fn start_for(kit: &Kit) -> Server {
    let server = Server::start();
    let spki = supervisor(kit).machine().unwrap().public_key_spki;
    let public_key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    server.register_machine(
        "10011",
        Some(enrol_client::packet::public_key_pem(&public_key).unwrap()),
    );
    server
}

/// A loopback proxy to `target` whose first `cuts` connections are closed after `budget` bytes
/// from the client; later connections pass untouched.
fn cutting_proxy(target: SocketAddr, cuts: usize, budget: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let left = Arc::new(AtomicUsize::new(cuts));
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            let cut = left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            let limit = if cut { budget } else { usize::MAX };
            let (mut up_from, mut up_to) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let mut passed = 0usize;
                let mut buffer = [0u8; 8192];
                loop {
                    let n = match up_from.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let allowed = n.min(limit - passed);
                    if up_to.write_all(&buffer[..allowed]).is_err() {
                        break;
                    }
                    passed += allowed;
                    if passed >= limit {
                        break;
                    }
                }
                let _ = up_from.shutdown(Shutdown::Both);
                let _ = up_to.shutdown(Shutdown::Both);
            });
            let (mut down_from, mut down_to) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut down_from, &mut down_to);
                let _ = down_to.shutdown(Shutdown::Both);
            });
        }
    });
    addr
}

fn supervisor(kit: &Kit) -> Session {
    kit.session(SUPERVISOR, SUPERVISOR_PASSWORD)
}

/// A session whose clock is `offset` seconds off the system clock.
fn supervisor_at(kit: &Kit, offset: i64) -> Session {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let options = Options {
        clock: Arc::new(ManualClock::starting_at(now + offset)),
        ..kit.options()
    };
    Client::open(kit.data_dir(), options)
        .unwrap()
        .login(SUPERVISOR, SUPERVISOR_PASSWORD)
        .unwrap()
}

/// A kit with `count` approved packets; returns their RIDs.
fn approved_packets(count: usize) -> (Kit, Vec<String>) {
    let kit = Kit::new();
    kit.add("op1", &[Role::Operator]);
    kit.login("op1", "op1-password");
    let mut rids = Vec::new();
    for index in 0..count {
        let args = kit.resident(
            &format!("r{index}"),
            "Amara Test",
            "1990/04/12",
            "+123456789",
            &ATTRIBUTES,
            4_000,
        );
        let json = kit.check(&strs(&args), "op1-password\n", Ok(()));
        rids.push(json["rid"].as_str().unwrap().to_owned());
    }
    kit.login(SUPERVISOR, SUPERVISOR_PASSWORD);
    kit.check(
        &["approve", "--all", "--password-stdin"],
        &format!("{SUPERVISOR_PASSWORD}\n"),
        Ok(()),
    );
    (kit, rids)
}

fn options(server: String) -> SyncOptions {
    SyncOptions {
        server: Some(server),
        first_chunk: 32 * 1024,
        ..SyncOptions::default()
    }
}

fn sync(session: &mut Session, server: String) -> Result<SyncReport, SyncError> {
    session.sync_packets(&options(server), &mut |_| {})
}

/// Each packet's phase and server status as `enrol status` shows them, checked against
/// `expected` (RID, phase, server status).
#[track_caller]
fn check(session: &mut Session, expected: &[(&str, &str, Option<&str>)]) {
    let mut actual: Vec<(String, String, Option<String>)> = session
        .packet_sync_statuses()
        .unwrap()
        .into_iter()
        .map(|s| (s.rid, s.phase, s.server_status))
        .collect();
    actual.sort();
    let mut expected: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|(rid, phase, status)| {
            (
                (*rid).to_owned(),
                (*phase).to_owned(),
                status.map(str::to_owned),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(actual, expected);
}

#[test]
fn packets_sync_with_verified_receipts_resume_and_are_idempotent() {
    let (kit, rids) = approved_packets(3);
    let server = start_for(&kit);
    let mut session = supervisor(&kit);

    // Without the server's key nothing is sent: receipts could not be checked.
    let error = sync(&mut session, server.url()).unwrap_err();
    assert_eq!(error.code(), "SYNC_NO_SERVER_KEY");

    // A key that is not the server's: every receipt is refused, nothing is marked received.
    let impostor =
        enrol_sync::crypto::ServerKey::from_pkcs8(&enrol_sync::crypto::ServerKey::generate_pkcs8())
            .unwrap();
    session
        .trust_server_key(&impostor.public_key_pem())
        .unwrap();
    let report = sync(&mut session, server.url()).unwrap();
    assert_eq!(report.packets.len(), 3);
    for packet in &report.packets {
        let (code, _) = packet.error.as_ref().unwrap();
        assert_eq!(code, "SYNC_RECEIPT_INVALID");
        assert_eq!(session.packet_receipt(&packet.rid).unwrap(), None);
    }
    let uploading: Vec<_> = rids
        .iter()
        .map(|rid| (rid.as_str(), "UPLOADING", None))
        .collect();
    check(&mut session, &uploading);

    // The real key; connections are cut after 100 kB twice: the upload resumes from the
    // server's offset, and the packets already on the server come back with their receipts.
    session.trust_server_key(&server.key_pem()).unwrap();
    let proxy = cutting_proxy(server.addr, 2, 100_000);
    let report = sync(&mut session, format!("http://{proxy}")).unwrap();
    assert!(
        report.packets.iter().all(|p| p.error.is_none()),
        "{report:?}"
    );
    let received: Vec<_> = rids
        .iter()
        .map(|rid| (rid.as_str(), "RECEIVED", Some("RECEIVED")))
        .collect();
    check(&mut session, &received);
    for rid in &rids {
        let receipt = session.packet_receipt(rid).unwrap().unwrap();
        let bytes = session.packet_bytes(rid).unwrap();
        assert_eq!(receipt.size, bytes.len() as u64);
        assert_eq!(
            receipt.packet_hash,
            enrol_sync::crypto::hex(
                ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref(),
                true
            )
        );
    }

    // Fresh packets through the cutting proxy resume mid-file, not from zero.
    let (kit2, rids2) = approved_packets(1);
    let server2 = start_for(&kit2);
    let mut session2 = supervisor(&kit2);
    session2.trust_server_key(&server2.key_pem()).unwrap();
    let proxy2 = cutting_proxy(server2.addr, 2, 100_000);
    let report = sync(&mut session2, format!("http://{proxy2}")).unwrap();
    let packet = &report.packets[0];
    assert_eq!(packet.error, None);
    assert!(
        packet.resumed_from.iter().any(|offset| *offset > 0),
        "{packet:?}"
    );
    let size = session2.packet_bytes(&rids2[0]).unwrap().len() as u64;
    assert!(packet.bytes_sent < 2 * size, "{packet:?}");
    check(&mut session2, &[(&rids2[0], "RECEIVED", Some("RECEIVED"))]);

    // Syncing again sends nothing and changes nothing.
    let report = sync(&mut session, server.url()).unwrap();
    assert!(report.packets.is_empty());
    check(&mut session, &received);

    // The pipeline processes one packet: its status arrives with the next sync, and its file is
    // removed only once the retention period has passed (the receipt stays).
    server.set_state(&rids[0], PacketState::Processed);
    let report = sync(&mut session, server.url()).unwrap();
    assert_eq!(report.statuses_changed, 1);
    assert!(report.deleted.is_empty());
    assert!(session.prune_delivered().unwrap().is_empty());
    drop(session);
    let mut later = supervisor_at(&kit, 2 * 86_400);
    assert_eq!(later.prune_delivered().unwrap(), [rids[0].clone()]);
    assert!(later.packet_receipt(&rids[0]).unwrap().is_some());
    assert!(later.packet_bytes(&rids[0]).is_err());
    assert!(later.packet_bytes(&rids[1]).is_ok());
}

#[test]
fn clock_skew_is_reported_with_a_clear_code() {
    let (kit, rids) = approved_packets(1);
    let server = start_for(&kit);
    supervisor(&kit)
        .trust_server_key(&server.key_pem())
        .unwrap();
    let mut ahead = supervisor_at(&kit, 3600);
    let error = ahead
        .sync_packets(&options(server.url()), &mut |_| {})
        .unwrap_err();
    assert_eq!(error.code(), "SYNC_CLOCK_SKEW");
    assert!(
        error.to_string().contains("s ahead of the server's"),
        "{error}"
    );
    let SyncError::ClockSkew { seconds } = error else {
        panic!("{error}")
    };
    assert!((3590..=3610).contains(&seconds), "{seconds}");
    drop(ahead);
    check(&mut supervisor(&kit), &[(&rids[0], "APPROVED", None)]);

    // With the right clock, through the CLI: `enrol sync`, then `enrol status`.
    let report = kit.check(&["sync", "--server", &server.url()], "", Ok(()));
    assert_eq!(report["packets"][0]["phase"], "RECEIVED");
    assert_eq!(report["packets"][0]["error"], serde_json::Value::Null);
    let status = kit.check(&["status"], "", Ok(()));
    assert_eq!(status[0]["rid"], rids[0].as_str());
    assert_eq!(status[0]["phase"], "RECEIVED");
    assert_eq!(status[0]["server_status"], "RECEIVED");
    check(
        &mut supervisor(&kit),
        &[(&rids[0], "RECEIVED", Some("RECEIVED"))],
    );
}

#[test]
fn a_successful_sync_restarts_the_offline_limit_and_lets_audit_retention_run() {
    const DAY: i64 = 86_400;
    let (kit, _) = approved_packets(1);
    let server = start_for(&kit);
    // The sync runs two seconds ahead (well inside the server's clock window), so every entry
    // made so far is older than it at the log's one-second precision.
    let mut session = supervisor_at(&kit, 2);
    let before = session.freeze_facts().unwrap().last_sync_at;
    // Nothing synced yet: retention keeps every entry, even far in the future.
    assert_eq!(supervisor_at(&kit, 30 * DAY).prune_audit().unwrap(), 0);

    session.trust_server_key(&server.key_pem()).unwrap();
    let report = sync(&mut session, server.url()).unwrap();
    assert!(report.packets.iter().all(|p| p.error.is_none()));
    let synced_at = session.freeze_facts().unwrap().last_sync_at;
    assert!(
        synced_at >= before,
        "the sync is what the freeze rule counts from"
    );
    let kept = session.verify_audit().unwrap().unwrap().entries;

    // Within the retention period nothing goes; beyond it, what came before the sync does.
    assert_eq!(supervisor_at(&kit, 9 * DAY).prune_audit().unwrap(), 0);
    let mut later = supervisor_at(&kit, 11 * DAY);
    let removed = later.prune_audit().unwrap();
    assert!(removed > 0 && removed < kept + 2, "{removed} of {kept}");
    let report = later
        .verify_audit()
        .unwrap()
        .expect("the kept log verifies");
    assert_eq!(report.unanchored, 0);
    assert!(report.entries < kept);
    drop(later);
    kit.login(SUPERVISOR, SUPERVISOR_PASSWORD);
    kit.check(&["audit", "verify"], "", Ok(()));
}

/// The server's import of the bundle in `folder`.
fn import(server: &Server, folder: &std::path::Path) -> enrol_sync::bundle::ImportReport {
    server
        .block_on(enrol_sync::bundle::import(&server.state, folder))
        .unwrap()
}

fn sorted(mut rids: Vec<String>) -> Vec<String> {
    rids.sort();
    rids
}

#[test]
fn a_sneakernet_round_trip_delivers_each_packet_once_with_receipts_back() {
    let (kit, rids) = approved_packets(2);
    let server = start_for(&kit);
    supervisor(&kit)
        .trust_server_key(&server.key_pem())
        .unwrap();
    let drive = tempfile::tempdir().unwrap();
    let folder = drive.path().display().to_string();
    let exported = kit.check(&["export", "--to", &folder], "", Ok(()));
    assert_eq!(exported["rids"], serde_json::json!(rids));

    // Imported twice: the second stores nothing and writes the same receipts.
    let first = import(&server, drive.path());
    assert_eq!(sorted(first.received.clone()), sorted(rids.clone()));
    assert!(first.already.is_empty() && first.refused.is_empty());
    let receipts = std::fs::read(drive.path().join("receipts.json")).unwrap();
    let second = import(&server, drive.path());
    assert!(second.received.is_empty() && second.refused.is_empty());
    assert_eq!(sorted(second.already), sorted(rids.clone()));
    assert_eq!(
        std::fs::read(drive.path().join("receipts.json")).unwrap(),
        receipts
    );
    // On the server once each, byte for byte.
    let mut session = supervisor(&kit);
    for rid in &rids {
        let record = server
            .block_on(server.state.store.packet(rid))
            .unwrap()
            .expect("stored");
        let path = server.state.blobs.packet_path(
            &record.centre_id,
            &record.machine_id,
            &record.packet_id,
            &record.packet_hash,
        );
        assert_eq!(
            std::fs::read(path).unwrap(),
            session.packet_bytes(rid).unwrap()
        );
    }

    // The receipts come back: the packets are received; a second time changes nothing, and an
    // online sync then has nothing to send.
    let back = kit.check(&["import-receipts", &folder], "", Ok(()));
    assert_eq!(back["received"].as_array().unwrap().len(), 2);
    let again = kit.check(&["import-receipts", &folder], "", Ok(()));
    assert_eq!(again["already"], 2);
    let received: Vec<(&str, &str, Option<&str>)> = rids
        .iter()
        .map(|rid| (rid.as_str(), "RECEIVED", Some("RECEIVED")))
        .collect();
    check(&mut session, &received);
    assert!(sync(&mut session, server.url()).unwrap().packets.is_empty());
    kit.check(&["audit", "verify"], "", Ok(()));
}

#[test]
fn a_tampered_bundle_is_refused_and_stores_nothing() {
    let (kit, rids) = approved_packets(2);
    let server = start_for(&kit);
    let drive = tempfile::tempdir().unwrap();
    let folder = drive.path().display().to_string();
    let exported = kit.check(&["export", "--to", &folder], "", Ok(()));
    assert_eq!(exported["rids"].as_array().unwrap().len(), 2);

    // One flipped byte in the first packet: that packet is refused, the other goes through.
    let listing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drive.path().join("bundle.json")).unwrap()).unwrap();
    let packet_id = listing["bundle"]["packets"][0]["manifest"]["packetId"]
        .as_str()
        .unwrap();
    let file = drive.path().join(format!("packets/{packet_id}.zip"));
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let report = import(&server, drive.path());
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].1, "PACKET_HASH_MISMATCH");
    assert_eq!(report.received, [rids[1].clone()]);
    let stored = server
        .block_on(server.state.store.packet(&rids[0]))
        .unwrap();
    assert!(stored.is_none(), "nothing of the tampered packet is kept");

    // A listing changed after signing is refused whole.
    let mut forged = listing.clone();
    forged["bundle"]["createdAt"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(
        drive.path().join("bundle.json"),
        serde_json::to_vec(&forged).unwrap(),
    )
    .unwrap();
    let error = server
        .block_on(enrol_sync::bundle::import(&server.state, drive.path()))
        .unwrap_err();
    assert_eq!(error.code, "BUNDLE_SIGNATURE_INVALID");
}

#[test]
fn home_overview_server_address_and_health_follow_the_packets() {
    let (kit, rids) = approved_packets(2);
    let server = start_for(&kit);
    let mut session = supervisor(&kit);
    let overview = session.sync_overview().unwrap();
    assert_eq!(
        overview.by_phase.into_iter().collect::<Vec<_>>(),
        [("APPROVED".to_owned(), 2)]
    );
    assert_eq!(
        (overview.last_success_at, overview.last_receipt_at),
        (None, None)
    );
    let health = session.server_health(Duration::from_secs(2)).unwrap();
    assert_eq!((health.server_url, health.online), (None, false));

    // Only http(s) addresses; the trailing slash goes; an operator may not change it.
    let refused = session.set_server_url("ftp://10.0.0.5").unwrap_err();
    assert_eq!(refused.code(), "INVALID_INPUT");
    let machine = session
        .set_server_url(&format!(" {}/ ", server.url()))
        .unwrap();
    assert_eq!(machine.server_url, Some(server.url()));
    let mut operator = kit.session("op1", "op1-password");
    assert_eq!(
        operator
            .set_server_url("http://10.0.0.6")
            .unwrap_err()
            .code(),
        "AUTH_FORBIDDEN"
    );
    let health = operator.server_health(Duration::from_secs(2)).unwrap();
    assert_eq!(
        (health.server_url, health.online),
        (Some(server.url()), true)
    );
    // Newest first: the operator's login came after the change.
    let recent: Vec<String> = session
        .recent_audit_entries(2)
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(recent, ["login", "machine.server_changed"]);

    // A sync to the enrolled address: both received, the run and the receipts counted.
    session.trust_server_key(&server.key_pem()).unwrap();
    let report = session
        .sync_packets(&SyncOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(report.packets.len(), rids.len());
    let overview = session.sync_overview().unwrap();
    assert_eq!(
        overview.by_phase.into_iter().collect::<Vec<_>>(),
        [("RECEIVED".to_owned(), 2)]
    );
    assert!(overview.last_receipt_at.is_some());
    assert_eq!(overview.last_success_at, overview.last_attempt_at);
    assert_eq!(overview.last_error, None);

    // Nothing listens there: offline, within the timeout; no address: no server.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    session.set_server_url(&format!("http://{closed}")).unwrap();
    let started = std::time::Instant::now();
    let health = session.server_health(Duration::from_secs(2)).unwrap();
    assert!(!health.online);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(session.set_server_url("").unwrap().server_url, None);
    assert_eq!(
        session
            .server_health(Duration::from_secs(2))
            .unwrap()
            .server_url,
        None
    );
}
