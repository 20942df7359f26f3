//! Interop: a packet built by Enrol's code is opened and verified by an independent
//! implementation of MOSIP's documented layout (`tests/interop/mosip_packet_verify.py`, Python
//! `cryptography`), which also refuses a tampered copy.

use std::path::{Path, PathBuf};
use std::process::Command;

use enrol_client::packet::{self, MachineKey, PipelineCertificate, reference};
use rand_core::OsRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::json;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/mosip_packet_verify.py")
}

fn require_python_cryptography() {
    let found = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "python3 with the `cryptography` package is needed for this interop test: run scripts/setup \
         (it installs the Debian package python3-cryptography)"
    );
}

fn run_verifier(packet: &Path, dir: &Path) -> std::process::Output {
    Command::new("python3")
        .arg(script())
        .arg(packet)
        .arg("--pipeline-key")
        .arg(dir.join("pipeline-key.pem"))
        .arg("--machine-public-key")
        .arg(dir.join("machine-public.pem"))
        .arg("--pipeline-cert")
        .arg(dir.join("pipeline-cert.pem"))
        .arg("--expected")
        .arg(dir.join("expected.json"))
        .output()
        .expect("python3 runs")
}

#[test]
fn independent_verifier_accepts_our_packet_and_refuses_a_tampered_one() {
    require_python_cryptography();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = OsRng;
    let machine_rsa = RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let pipeline_rsa = RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let year = std::time::Duration::from_secs(365 * 86_400);
    let cert = PipelineCertificate::self_signed(&pipeline_rsa, "pipeline", year).unwrap();
    let machine = MachineKey::new(&machine_rsa).unwrap();

    let sizes = reference::PayloadSizes {
        finger: 20_000,
        iris: 15_000,
        face: 30_000,
        document: 40_000,
    };
    let created_at = packet::rid::parse_timestamp("20261128141516").unwrap();
    let input =
        reference::registration("10001", "10077", 7, created_at, sizes, true, &mut rng).unwrap();
    let sealed = packet::build(&input, &machine, &cert, &mut rng).unwrap();
    let path = packet::write_packet_file(dir.path(), &sealed.packet_id, &sealed.bytes).unwrap();

    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "pipeline-key.pem",
        &pipeline_rsa.to_pkcs8_pem(LineEnding::LF).unwrap(),
    );
    write(
        "machine-public.pem",
        &packet::public_key_pem(machine.public_key()).unwrap(),
    );
    write("pipeline-cert.pem", &cert.to_pem().unwrap());
    let identity: serde_json::Map<_, _> = input
        .demographics
        .iter()
        .filter(|(field, _)| field != "introducerName")
        .cloned()
        .collect();
    let expected = json!({
        "rid": input.rid.as_str(),
        "packetHash": sealed.signed_manifest.manifest.packet_hash,
        "identity": identity,
    });
    write("expected.json", &expected.to_string());

    let out = run_verifier(&path, dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "verifier refused our packet: {stdout}{stderr}"
    );
    assert!(
        stdout.contains("sub-packets id, evidence, optional"),
        "{stdout}"
    );
    println!("{stdout}");

    let mut tampered = sealed.bytes.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let tampered_path = dir.path().join("tampered").join(path.file_name().unwrap());
    std::fs::create_dir(tampered_path.parent().unwrap()).unwrap();
    std::fs::write(&tampered_path, &tampered).unwrap();
    // Without the expected packet hash, so that the verifier gets as far as decrypting.
    write(
        "expected.json",
        &json!({"rid": input.rid.as_str()}).to_string(),
    );
    let out = run_verifier(&tampered_path, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "verifier accepted a tampered packet");
    assert!(stderr.contains("tag does not verify"), "{stderr}");

    write(
        "expected.json",
        &json!({"identity": {"fullName": "Someone Else"}}).to_string(),
    );
    let out = run_verifier(&path, dir.path());
    assert!(
        !out.status.success(),
        "verifier accepted a wrong expected value"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("fullName"));
}
