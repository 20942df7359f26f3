//! A tus client the project did not write (tuspy, Python; installed by scripts/setup into
//! $ENROL_PYENV) uploads a packet to `/v1/uploads` in two runs: the first stops part-way (the
//! interruption), the second resumes from the server's offset and finishes; the server then
//! holds the packet, byte for byte, with its receipt.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// The interpreter of the venv that scripts/setup fills (path exported by scripts/env).
fn python_with_tuspy() -> PathBuf {
    let venv = std::env::var_os("ENROL_PYENV").unwrap_or_else(|| "/var/tmp/enrol-pyenv".into());
    let python = PathBuf::from(venv).join("bin/python");
    let found = Command::new(&python)
        .args(["-c", "import tusclient"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{} with tuspy is needed for this interop test: run scripts/setup (it creates the venv at \
         $ENROL_PYENV from tests/interop/requirements.txt)",
        python.display()
    );
    python
}

/// Runs the tuspy script; returns the offset it printed.
async fn tuspy(args: Vec<String>) -> u64 {
    let python = python_with_tuspy();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/tus_upload.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "tuspy failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn tuspy_uploads_and_resumes_after_an_interruption() {
    let server = Server::start(Db::Sqlite, |c| c.max_packet_size = 2_000_000).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let bytes = random_bytes(600_000);
    let signed = machine.packet(1, &bytes);
    let announced = announce(&server, &machine, &signed).await;
    assert_eq!(announced.status, 201, "{}", announced.text());
    let token = announced.json()["uploadToken"].as_str().unwrap().to_owned();
    let file = server.dir.path().join("packet.zip");
    std::fs::write(&file, &bytes).unwrap();
    let url_file = server.dir.path().join("upload-url");
    let m = &signed.manifest;
    let args = |stop_at: u64| {
        vec![
            format!("http://{}/v1/uploads", server.addr),
            file.display().to_string(),
            m.rid.clone(),
            m.packet_id.clone(),
            token.clone(),
            "100000".into(),
            stop_at.to_string(),
            url_file.display().to_string(),
        ]
    };

    // Interrupted after 250 kB (two chunks and a half): no receipt yet, the server kept what
    // arrived.
    assert_eq!(tuspy(args(250_000)).await, 250_000);
    let receipt_path = format!("/v1/packets/{}/receipt", m.rid);
    let r = server
        .request(machine.sign_request(Req::new("GET", &receipt_path)))
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let url = std::fs::read_to_string(&url_file).unwrap();
    let path = url
        .trim()
        .trim_start_matches(&format!("http://{}", server.addr));
    let head = server.request(Req::new("HEAD", path).tus()).await;
    assert_eq!(head.header("upload-offset"), Some("250000"));

    // A second run resumes from the server's offset and finishes.
    assert_eq!(tuspy(args(0)).await, 600_000);
    let r = server
        .request(machine.sign_request(Req::new("GET", &receipt_path)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["packetHash"], m.packet_hash.as_str());
    assert_eq!(r.json()["size"], 600_000);
    server.stop().await;
}
