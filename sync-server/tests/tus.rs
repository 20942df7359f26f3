//! tus 1.0 intake: options, creation, resume after an interrupted PATCH, checksum mismatch,
//! offset mismatch, oversize, termination, expiry, verification of finished uploads, and
//! concurrent uploads of the same packet.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use sha2::{Digest, Sha256};

#[track_caller]
fn check(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.text());
    if !code.is_empty() {
        assert_eq!(resp.code(), code, "{}", resp.text());
    }
}

async fn token_for(
    server: &Server,
    machine: &MachineKey,
    signed: &enrol_schema::packet::SignedManifest,
) -> String {
    let r = announce(server, machine, signed).await;
    check(&r, 201, "");
    r.json()["uploadToken"].as_str().unwrap().to_owned()
}

async fn offset(server: &Server, path: &str) -> u64 {
    let r = server.request(Req::new("HEAD", path).tus()).await;
    assert_eq!(r.status, 200);
    r.header("upload-offset").unwrap().parse().unwrap()
}

#[tokio::test]
async fn options_advertise_the_extensions() {
    let server = Server::start(Db::Sqlite, |c| c.max_packet_size = 1234).await;
    let r = server.request(Req::new("OPTIONS", "/v1/uploads")).await;
    check(&r, 204, "");
    assert_eq!(r.header("tus-version"), Some("1.0.0"));
    assert_eq!(
        r.header("tus-extension"),
        Some("creation,checksum,termination,expiration")
    );
    assert_eq!(r.header("tus-max-size"), Some("1234"));
    assert_eq!(r.header("tus-checksum-algorithm"), Some("sha256"));
    server.stop().await;
}

#[tokio::test]
async fn uploads_resume_and_refuse_bad_input() {
    let server = Server::start(Db::Sqlite, |c| c.max_packet_size = 1_000_000).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let bytes = random_bytes(200_000);
    let signed = machine.packet(1, &bytes);
    let token = token_for(&server, &machine, &signed).await;

    // Creation needs the token, the version header and the manifest's size.
    let create = |length: u64, token: &str| {
        Req::new("POST", "/v1/uploads")
            .tus()
            .header("upload-length", &length.to_string())
            .header("upload-metadata", &upload_metadata(&signed, token))
    };
    check(
        &server.request(create(200_000, "wrong")).await,
        403,
        "UPLOAD_TOKEN_INVALID",
    );
    check(
        &server.request(create(199_999, &token)).await,
        400,
        "PACKET_SIZE_MISMATCH",
    );
    check(
        &server.request(create(2_000_000, &token)).await,
        413,
        "PACKET_TOO_LARGE",
    );
    // Another tus version is 412 (tus 1.0); a missing or malformed header a bad request.
    for (version, status, code) in [
        (None, 400, "TUS_VERSION_REQUIRED"),
        (Some("latest"), 400, "TUS_VERSION_REQUIRED"),
        (Some("0.2.2"), 412, "TUS_VERSION_UNSUPPORTED"),
    ] {
        let mut request = create(200_000, &token);
        request.headers.retain(|(k, _)| k != "tus-resumable");
        if let Some(version) = version {
            request = request.header("tus-resumable", version);
        }
        check(&server.request(request).await, status, code);
    }
    let path = create_upload(&server, &signed, &token).await;
    assert_eq!(offset(&server, &path).await, 0);

    // An interrupted PATCH keeps what arrived; the client resumes from HEAD's offset.
    let mut cut = patch(&path, 0, &bytes[..100_000]);
    cut.cut_after = Some(60_000);
    cut.send(server.addr).await;
    let mut resumed_at = 0;
    for _ in 0..200 {
        resumed_at = offset(&server, &path).await;
        if resumed_at == 60_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(resumed_at, 60_000);

    // Wrong offset.
    check(
        &server.request(patch(&path, 10, &bytes[10..20])).await,
        409,
        "UPLOAD_OFFSET_MISMATCH",
    );
    // Checksum mismatch: 460 and nothing written.
    let wrong = patch(&path, 60_000, &bytes[60_000..70_000]).header(
        "upload-checksum",
        &format!("sha256 {}", STANDARD.encode(Sha256::digest(b"other"))),
    );
    check(&server.request(wrong).await, 460, "CHECKSUM_MISMATCH");
    assert_eq!(offset(&server, &path).await, 60_000);
    let unsupported =
        patch(&path, 60_000, &bytes[60_000..70_000]).header("upload-checksum", "md5 AAAA");
    check(
        &server.request(unsupported).await,
        400,
        "CHECKSUM_ALGORITHM_UNSUPPORTED",
    );
    // Right checksum.
    let right = patch(&path, 60_000, &bytes[60_000..70_000]).header(
        "upload-checksum",
        &format!(
            "sha256 {}",
            STANDARD.encode(Sha256::digest(&bytes[60_000..70_000]))
        ),
    );
    let r = server.request(right).await;
    check(&r, 204, "");
    assert_eq!(r.header("upload-offset"), Some("70000"));
    // Past the declared length.
    let mut too_much = bytes[70_000..].to_vec();
    too_much.extend_from_slice(b"extra");
    check(
        &server.request(patch(&path, 70_000, &too_much)).await,
        413,
        "UPLOAD_TOO_LARGE",
    );
    assert_eq!(offset(&server, &path).await, 70_000);
    // Wrong content type.
    let mut plain = patch(&path, 70_000, &bytes[70_000..]);
    plain.headers.retain(|(k, _)| k != "content-type");
    check(&server.request(plain).await, 415, "CONTENT_TYPE_INVALID");

    // The rest, after a server restart: offsets are durable.
    let server = server.restart().await;
    assert_eq!(offset(&server, &path).await, 70_000);
    let done = server.request(patch(&path, 70_000, &bytes[70_000..])).await;
    check(&done, 204, "");
    let receipt = receipt_from_header(&done);
    assert!(receipt_verifies(&server, &receipt));
    // HEAD and GET of the finished upload show the receipt.
    let head = server.request(Req::new("HEAD", &path).tus()).await;
    assert_eq!(head.header("upload-offset"), Some("200000"));
    assert_eq!(receipt_from_header(&head), receipt);
    let get = server.request(Req::new("GET", &path)).await;
    check(&get, 200, "");
    assert_eq!(
        get.json()["receipt"],
        serde_json::to_value(&receipt).unwrap()
    );
    // A repeated final PATCH (lost answer) gets the same receipt.
    let again = server.request(patch(&path, 200_000, b"")).await;
    check(&again, 204, "");
    assert_eq!(receipt_from_header(&again), receipt);
    server.stop().await;
}

#[tokio::test]
async fn termination_and_expiry() {
    let server = Server::start(Db::Sqlite, |c| c.upload_expiry_secs = 1).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let bytes = random_bytes(1000);
    let signed = machine.packet(1, &bytes);
    let token = token_for(&server, &machine, &signed).await;

    let path = create_upload(&server, &signed, &token).await;
    check(
        &server.request(patch(&path, 0, &bytes[..10])).await,
        204,
        "",
    );
    let r = server.request(Req::new("DELETE", &path).tus()).await;
    check(&r, 204, "");
    assert_eq!(
        server.request(Req::new("HEAD", &path).tus()).await.status,
        404
    );
    check(
        &server.request(patch(&path, 10, &bytes[10..])).await,
        404,
        "UPLOAD_NOT_FOUND",
    );

    // An upload left alone expires: gone for clients at once, swept from disk by the sweeper.
    let path = create_upload(&server, &signed, &token).await;
    let created = server.request(Req::new("HEAD", &path).tus()).await;
    assert!(
        created
            .header("upload-expires")
            .is_some_and(|e| e.ends_with("GMT"))
    );
    let id = path.rsplit('/').next().unwrap().to_owned();
    let staging = server.state.blobs.upload_path(&id);
    assert!(staging.exists());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        server.request(Req::new("HEAD", &path).tus()).await.status,
        404
    );
    enrol_sync::sweep(&server.state).await.unwrap();
    assert!(!staging.exists());
    assert!(server.state.store.upload(&id).await.unwrap().is_none());
    server.stop().await;
}

#[tokio::test]
async fn finished_uploads_are_verified_against_the_manifest() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let bytes = random_bytes(5000);
    let signed = machine.packet(1, &bytes);
    let token = token_for(&server, &machine, &signed).await;

    // Same size, other bytes: refused, the upload discarded.
    let path = create_upload(&server, &signed, &token).await;
    let r = server.request(patch(&path, 0, &random_bytes(5000))).await;
    check(&r, 422, "PACKET_HASH_MISMATCH");
    assert_eq!(
        server.request(Req::new("HEAD", &path).tus()).await.status,
        404
    );

    // Manifest checks: forged signature, foreign machine, bad RID, oversize, reused sequence.
    let mut forged = signed.clone();
    forged.manifest.size += 1;
    check(
        &announce(&server, &machine, &forged).await,
        422,
        "MANIFEST_SIGNATURE_INVALID",
    );
    let mut foreign = machine.packet(2, &bytes);
    foreign.manifest.machine_id = "10078".into();
    check(
        &announce(&server, &machine, &foreign).await,
        422,
        "MACHINE_MISMATCH",
    );
    let mut bad_rid = machine.packet(3, &bytes);
    bad_rid.manifest.rid.replace_range(15.., "20261399999999");
    check(
        &announce(&server, &machine, &bad_rid).await,
        422,
        "RID_INVALID",
    );
    let mut bad_id = machine.packet(3, &bytes);
    bad_id.manifest.packet_id.push('x');
    check(
        &announce(&server, &machine, &bad_id).await,
        422,
        "PACKET_ID_INVALID",
    );
    let huge = machine.packet(4, &vec![0u8; 5 * 1024 * 1024 + 1]);
    check(
        &announce(&server, &machine, &huge).await,
        413,
        "PACKET_TOO_LARGE",
    );
    let garbage = machine.sign_request(Req::new("POST", "/v1/packets").body(b"\x00\x01garbage"));
    check(&server.request(garbage).await, 400, "JSON_INVALID");

    // Correct bytes are accepted; the same sequence under another RID is refused.
    let r = server.request(patch(&path, 0, &bytes)).await;
    check(&r, 404, "UPLOAD_NOT_FOUND");
    let done = upload_packet(&server, &machine, &signed, &bytes).await;
    check(&done, 204, "");
    let mut reused = machine.packet(1, &random_bytes(10));
    reused.manifest.rid.replace_range(15.., "20261128131501");
    reused.manifest.packet_id = format!("{}-{CENTRE}_10077-20261128131501", reused.manifest.rid);
    reused.signature = machine.sign(&reused.manifest.signing_bytes());
    check(
        &announce(&server, &machine, &reused).await,
        409,
        "SEQUENCE_REUSED",
    );
    server.stop().await;
}

#[tokio::test]
async fn concurrent_uploads_of_one_packet_store_it_once() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let bytes = random_bytes(400_000);
    let signed = machine.packet(1, &bytes);
    let token = token_for(&server, &machine, &signed).await;

    // Eight uploads of the same packet, and eight writers racing on one upload.
    let mut paths = Vec::new();
    for _ in 0..8 {
        paths.push(create_upload(&server, &signed, &token).await);
    }
    let shared = create_upload(&server, &signed, &token).await;
    let mut tasks = Vec::new();
    for path in paths.iter().chain(std::iter::repeat_n(&shared, 8)) {
        let req = patch(path, 0, &bytes);
        let addr = server.addr;
        tasks.push(tokio::spawn(async move { req.send(addr).await }));
    }
    let mut receipts = Vec::new();
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            204 => receipts.push(receipt_from_header(&r)),
            409 | 423 => {}
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert!(receipts.len() >= 8, "{} receipts", receipts.len());
    assert!(receipts.windows(2).all(|w| w[0] == w[1]));
    assert!(receipt_verifies(&server, &receipts[0]));
    let stored = server.state.blobs.packet_path(
        CENTRE,
        &machine.id,
        &signed.manifest.packet_id,
        &signed.manifest.packet_hash,
    );
    assert_eq!(std::fs::read(stored).unwrap(), bytes);
    let folder = std::fs::read_dir(
        server
            .state
            .config
            .data_dir
            .join("packets")
            .join(format!("{CENTRE}_10077")),
    )
    .unwrap()
    .count();
    assert_eq!(folder, 1);
    server.stop().await;
}
