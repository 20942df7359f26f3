//! `enrol register --capture` against the real `enrol-bridge` in simulator mode: every biometric
//! of the form comes from the devices (exceptions passed to them), the packet carries each
//! device's data block and digitalId, and without a trusted device nothing is left behind.

mod kit;
mod sbi_bridge;
mod support;

use enrol_client::roles::Role;
use enrol_schema::settings::RegistrationSettings;
use kit::{Kit, pipeline_key, strs};
use sbi_bridge::{admin, ca_pem, start_bridge};

const PASSWORD_LINE: &str = "op1-password\n";

/// A kit with operator `op1` logged in, and the bridge's CA written to a file. The face
/// threshold is lowered to what the simulator's honest face estimate reaches (MOSIP's 90 is
/// meant for real cameras).
fn kit_trusting(bridge: &sbi_bridge::Bridge) -> (Kit, String) {
    let mut settings = RegistrationSettings::default();
    settings.quality.face = 60;
    let kit = Kit::with_settings(settings);
    kit.add("op1", &[Role::Operator]);
    kit.login("op1", "op1-password");
    let ca = kit.file("device-ca.pem", ca_pem(bridge.data_dir.path()).as_bytes());
    (kit, ca)
}

/// `enrol register` for a resident with no biometric files, capturing from `port`.
fn capture_args(kit: &Kit, port: u16, ca: &str, extra: &[&str]) -> Vec<String> {
    let mut args = kit.resident(
        "c",
        "Idris Okonkwo-Berg",
        "1979/11/03",
        "+2347011223",
        &[],
        0,
    );
    let ports = format!("{port}-{port}");
    args.extend(
        [
            "--capture",
            "--trusted-ca",
            ca,
            "--ports",
            &ports,
            "--capture-timeout",
            "20",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string()),
    );
    args
}

#[test]
fn register_captures_every_biometric_from_the_devices_into_the_packet() {
    let bridge = start_bridge("finger-slap,iris,face", None);
    // Above every threshold, so each group is kept at its first attempt (below one, the device
    // keeps trying until the capture timeout, as requestedScore asks).
    admin(bridge.port, "simulator", serde_json::json!({"quality": 95}));
    let (kit, ca) = kit_trusting(&bridge);
    let proof = kit.file("poe.jpg", &kit::payload(b"\xff\xd8\xff\xe0", 20_000));
    let args = capture_args(
        &kit,
        bridge.port,
        &ca,
        &[
            "--exception",
            "rightEye=Missing",
            "--proof-of-exception",
            &proof,
            "--supervisor",
            kit::SUPERVISOR,
        ],
    );
    let stdin = format!("op1-password\n{}\n", kit::SUPERVISOR_PASSWORD);
    let json = kit.check(&strs(&args), &stdin, Ok(()));
    let groups: Vec<(u64, u64)> = json["device_captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let id = g["device_sub_id"].as_u64().unwrap();
            (id, g["attempts"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        groups,
        [(1, 1), (2, 1), (3, 1), (3, 1), (0, 1)],
        "left, right, thumbs, irises, face"
    );

    let rid = json["rid"].as_str().unwrap();
    let mut session = kit.session("op1", "op1-password");
    let opened = session.open_packet(rid, &pipeline_key()).unwrap();
    let records: Vec<_> = opened.biometrics.iter().flat_map(|b| &b.records).collect();
    let captured: Vec<_> = records.iter().filter(|r| r.bdb.is_some()).collect();
    assert_eq!(captured.len(), 12, "10 fingers, the left iris, the face");
    for record in &captured {
        let iso = record.bdb.as_deref().unwrap();
        let magic: &[u8] = match record.modality.as_str() {
            "Finger" => b"FIR\0",
            "Iris" => b"IIR\0",
            _ => b"FAC\0",
        };
        assert!(
            iso.starts_with(magic),
            "{} is an ISO record",
            record.modality
        );
        let payload: serde_json::Value =
            serde_json::from_str(&record.others["PAYLOAD"]).expect("the device's data block");
        assert_eq!(payload["bioValue"], "<bioValue>");
        assert_eq!(payload["bioType"], record.modality);
    }
    assert_eq!(
        records.len() - captured.len(),
        1,
        "the right iris is an exception"
    );
    let devices: Vec<String> = opened
        .subpackets
        .iter()
        .find(|s| s.name == "id")
        .and_then(|s| s.meta_info.get("capturedRegisteredDevices"))
        .and_then(|v| v.as_array())
        .expect("the id sub-packet lists the devices")
        .iter()
        .map(|d| d["digitalId"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(devices, ["Finger", "Iris", "Face"]);
}

#[test]
fn without_a_trusted_device_register_refuses_and_leaves_nothing() {
    let bridge = start_bridge("face", None);
    let (kit, ca) = kit_trusting(&bridge);
    let json = kit.check(
        &strs(&capture_args(&kit, bridge.port, &ca, &[])),
        PASSWORD_LINE,
        Err("SBI_NO_DEVICE"),
    );
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Finger")
    );
    let untrusted = kit.file("other-ca.pem", b"not a certificate");
    let args = capture_args(&kit, bridge.port, &untrusted, &[]);
    let output = kit.run(&strs(&args), PASSWORD_LINE);
    assert!(!output.status.success(), "an unreadable CA file is refused");
    assert_eq!(kit::packet_files(kit.data_dir()), Vec::<String>::new());
    let mut session = kit.session("op1", "op1-password");
    assert_eq!(session.registration_drafts().unwrap(), []);
}
