//! The SBI client against the real `enrol-bridge` binary in simulator mode: discovery, trust,
//! captures (slaps with an exception, thumbs, irises, face), the hash chain across captures,
//! STREAM previews, error codes, and CBEFF assembly into a packet that opens.
//!
//! The bridge binary is looked up beside this crate's `enrol` binary (see `sbi_bridge/`).

mod sbi_bridge;

use std::time::Duration;

use enrol_client::packet::{
    self, BioAttribute, Limits, MachineKey, PipelineCertificate, reference,
};
use enrol_client::sbi::{
    self, CaptureSpec, DiscoveryOptions, FoundDevice, SbiError, TrustedCas, Verdict,
};
use enrol_schema::sbi::BioType;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::RsaPrivateKey;
use sbi_bridge::{admin, ca_pem, start_bridge};

fn trusting(pems: &[&str]) -> TrustedCas {
    let mut trusted = TrustedCas::none();
    for pem in pems {
        trusted.add_pem(pem).unwrap();
    }
    trusted
}

fn scan(port: u16, trusted: &TrustedCas) -> Vec<FoundDevice> {
    let options = DiscoveryOptions {
        ports: port..=port,
        ..DiscoveryOptions::default()
    };
    let found = sbi::discover(&options, trusted);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    found.devices
}

fn device(devices: &[FoundDevice], bio_type: BioType) -> &FoundDevice {
    devices
        .iter()
        .find(|d| {
            d.digital_id
                .as_ref()
                .is_some_and(|id| id.bio_type == bio_type)
        })
        .unwrap_or_else(|| panic!("no {bio_type:?} device"))
}

fn spec(
    sub_id: u32,
    count: u32,
    exceptions: &[BioAttribute],
    previous: Option<&str>,
) -> CaptureSpec {
    CaptureSpec {
        device_sub_id: sub_id,
        count,
        bio_sub_types: Vec::new(),
        exceptions: exceptions.to_vec(),
        requested_score: 40.0,
        timeout: Duration::from_secs(10),
        previous_hash: previous.map(str::to_owned),
        preview_open: false,
    }
}

/// Captures and checks the attributes returned, their ISO headers and qualities.
#[track_caller]
fn check(
    device: &FoundDevice,
    trusted: &TrustedCas,
    spec: &CaptureSpec,
    expected: Result<&[BioAttribute], &str>,
) -> Option<sbi::Capture> {
    let outcome = sbi::capture(device, spec, trusted);
    match (outcome, expected) {
        (Ok(capture), Ok(attributes)) => {
            let got: Vec<_> = capture.biometrics.iter().map(|b| b.attribute).collect();
            assert_eq!(got, attributes);
            for biometric in &capture.biometrics {
                let magic: &[u8] = match biometric.attribute.modality() {
                    packet::Modality::Finger => b"FIR\0",
                    packet::Modality::Iris => b"IIR\0",
                    packet::Modality::Face => b"FAC\0",
                };
                assert!(
                    biometric.iso.starts_with(magic),
                    "{:?}",
                    biometric.attribute
                );
                assert!((0.0..=100.0).contains(&biometric.quality));
                assert_eq!(biometric.hash.len(), 64);
            }
            assert_eq!(capture.last_hash, capture.biometrics.last().unwrap().hash);
            Some(capture)
        }
        (Err(error), Err(code)) => {
            assert_eq!(error.code(), code, "{error}");
            None
        }
        (outcome, expected) => panic!(
            "expected {expected:?}, got {:?}",
            outcome.map(|c| c.transaction_id)
        ),
    }
}

#[test]
fn discovers_verifies_captures_streams_and_packs() {
    use BioAttribute::*;
    let bridge = start_bridge("finger-slap,iris,face", Some(0));
    let trusted = trusting(&[&ca_pem(bridge.data_dir.path())]);

    // Discovery: all three devices, each signature verified and trusted.
    let devices = scan(bridge.port, &trusted);
    assert_eq!(devices.len(), 3, "{devices:?}");
    for found in &devices {
        assert_eq!(found.verdict, Verdict::Trusted, "{found:?}");
        assert_eq!(found.port, bridge.port);
    }
    let (slap, iris, face) = (
        device(&devices, BioType::Finger),
        device(&devices, BioType::Iris),
        device(&devices, BioType::Face),
    );

    // Captures, chained: each starts from the previous capture's last hash.
    let left = check(
        slap,
        &trusted,
        &spec(1, 3, &[LeftLittle], None),
        Ok(&[LeftIndex, LeftMiddle, LeftRing]),
    )
    .unwrap();
    let right = check(
        slap,
        &trusted,
        &spec(2, 4, &[], Some(&left.last_hash)),
        Ok(&[RightIndex, RightMiddle, RightRing, RightLittle]),
    )
    .unwrap();
    let thumbs = check(
        slap,
        &trusted,
        &spec(3, 2, &[], Some(&right.last_hash)),
        Ok(&[LeftThumb, RightThumb]),
    )
    .unwrap();
    let eyes = check(
        iris,
        &trusted,
        &spec(3, 2, &[], Some(&thumbs.last_hash)),
        Ok(&[LeftEye, RightEye]),
    )
    .unwrap();
    let portrait = check(
        face,
        &trusted,
        &spec(0, 1, &[], Some(&eyes.last_hash)),
        Ok(&[Face]),
    )
    .unwrap();
    // Refused requests come back as typed errors with stable codes.
    check(
        slap,
        &trusted,
        &spec(1, 5, &[], None),
        Err("SBI_DEVICE_ERROR"),
    );
    check(
        slap,
        &trusted,
        &spec(1, 4, &[], Some("not hex")),
        Err("SBI_CAPTURE_MISMATCH"),
    );

    // STREAM: JPEG frames until we stop; the device is Busy while it streams.
    let mut frames = sbi::stream(face, 0, Duration::from_secs(5)).unwrap();
    for _ in 0..3 {
        let frame = frames.next().unwrap().unwrap();
        assert!(frame.starts_with(&[0xFF, 0xD8]) && frame.ends_with(&[0xFF, 0xD9]));
    }
    check(face, &trusted, &spec(0, 1, &[], None), Err("SBI_BUSY"));
    let during_preview = CaptureSpec {
        preview_open: true,
        ..spec(0, 1, &[], None)
    };
    check(face, &trusted, &during_preview, Ok(&[Face]));
    drop(frames);

    // CBEFF assembly: the captures replace the reference registration's biometrics.
    let captures = [&left, &right, &thumbs, &eyes, &portrait];
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let sizes = reference::PayloadSizes {
        finger: 16,
        iris: 16,
        face: 16,
        document: 64,
    };
    let created_at = packet::rid::parse_timestamp("20261128131500").unwrap();
    let mut input =
        reference::registration("10001", "10077", 7, created_at, sizes, true, &mut rng).unwrap();
    let field = &mut input.biometrics[0];
    field.captures = captures
        .iter()
        .flat_map(|c| sbi::packet::biometric_captures(c, 1))
        .collect();
    field.exceptions = sbi::packet::biometric_exceptions(&left, "Missing finger", "Permanent");
    input.devices = [slap, iris, face]
        .into_iter()
        .filter_map(sbi::packet::registered_device)
        .collect();
    assert_eq!(input.devices.len(), 3);
    let machine = RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let pipeline = RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let certificate =
        PipelineCertificate::self_signed(&pipeline, "pipeline", Duration::from_secs(86_400))
            .unwrap();
    let machine = MachineKey::new(&machine).unwrap();
    let sealed = packet::build(&input, &machine, &certificate, &mut rng).unwrap();
    let opened = packet::open(
        &sealed.bytes,
        &certificate.key(pipeline).unwrap(),
        machine.public_key(),
        &Limits::default(),
    )
    .unwrap();
    let records: Vec<_> = opened.biometrics.iter().flat_map(|b| &b.records).collect();
    for capture in captures {
        for biometric in &capture.biometrics {
            let record = records
                .iter()
                .find(|r| {
                    BioAttribute::from_cbeff(&r.modality, &r.subtype) == Some(biometric.attribute)
                })
                .unwrap();
            assert_eq!(record.bdb.as_deref(), Some(biometric.iso.as_slice()));
            let payload: serde_json::Value =
                serde_json::from_str(&record.others["PAYLOAD"]).unwrap();
            assert_eq!(payload["bioValue"], sbi::packet::BIO_VALUE_PLACEHOLDER);
            assert_eq!(payload["transactionId"], capture.transaction_id.as_str());
        }
    }
    let exception = records
        .iter()
        .find(|r| r.subtype == "Left LittleFinger")
        .unwrap();
    assert!(exception.bdb.is_none());
}

#[test]
fn untrusted_and_tampered_devices_are_never_used() {
    let bridge = start_bridge("face", Some(0));
    let stranger_dir = tempfile::tempdir().unwrap();
    let stranger_ca = ca_pem(stranger_dir.path());
    let cases: [(&str, TrustedCas); 2] = [
        ("no trusted CA", TrustedCas::none()),
        ("another provider's CA", trusting(&[&stranger_ca])),
    ];
    for (what, trusted) in cases {
        let devices = scan(bridge.port, &trusted);
        let face = device(&devices, BioType::Face);
        let Verdict::Rejected { code, .. } = &face.verdict else {
            panic!("{what}: trusted");
        };
        assert_eq!(code, "SBI_UNTRUSTED", "{what}");
        let error = sbi::capture(face, &spec(0, 1, &[], None), &trusted).unwrap_err();
        assert_eq!(error.code(), "SBI_DEVICE_UNUSABLE", "{what}");
    }

    // A digitalId whose payload was changed after signing fails its signature.
    let devices = scan(bridge.port, &TrustedCas::none());
    let signed = &devices[0].info.digital_id;
    let mut parts: Vec<String> = signed.split('.').map(str::to_owned).collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&sbi::jws::b64url_decode(&parts[1]).unwrap()).unwrap();
    payload["serialNo"] = "FORGED0000001".into();
    parts[1] = base64_url(&serde_json::to_vec(&payload).unwrap());
    let error = sbi::jws::verify(&parts.join("."), "digitalId").unwrap_err();
    assert_eq!(error.code(), "SBI_SIGNATURE");
    assert!(sbi::jws::verify(signed, "digitalId").is_ok());
}

fn base64_url(bytes: &[u8]) -> String {
    packet::crypto::base64_url(bytes)
}

#[test]
fn stream_parser_reads_frames_and_refuses_bad_input() {
    let jpeg = |n: u8| [0xFF, 0xD8, n, 0xFF, 0xD9];
    let frame = |n: u8, delimiter: &str| {
        let mut part =
            format!("{delimiter}\r\nContent-Type:image/jpeg\r\nContent-Length:5\r\n\r\n")
                .into_bytes();
        part.extend(jpeg(n));
        part.extend(b"\r\n\r\n");
        part
    };
    let mock_mds: Vec<u8> = [frame(1, "--BoundaryString"), frame(2, "--BoundaryString")].concat();
    let rfc: Vec<u8> = [
        frame(1, "--frame"),
        frame(2, "--frame"),
        b"--frame--\r\n".to_vec(),
    ]
    .concat();
    let truncated = mock_mds[..mock_mds.len() - 8].to_vec();
    let huge = b"--b\r\nContent-Length:99999999999\r\n\r\n".to_vec();
    type Case<'a> = (&'a str, &'a str, Vec<u8>, Result<usize, &'a str>);
    let cases: [Case; 6] = [
        (
            "MockMDS boundary",
            "multipart/x-mixed-replace; boundary=--BoundaryString",
            mock_mds.clone(),
            Ok(2),
        ),
        (
            "RFC 2046 boundary",
            "multipart/x-mixed-replace; boundary=\"frame\"",
            rfc,
            Ok(2),
        ),
        (
            "empty stream",
            "multipart/x-mixed-replace; boundary=b",
            Vec::new(),
            Ok(0),
        ),
        (
            "cut inside a frame",
            "multipart/x-mixed-replace; boundary=--BoundaryString",
            truncated,
            Err("SBI_STREAM"),
        ),
        (
            "oversized frame",
            "multipart/x-mixed-replace; boundary=b",
            huge,
            Err("SBI_STREAM"),
        ),
        (
            "not multipart",
            "application/octet-stream",
            mock_mds,
            Err("SBI_STREAM"),
        ),
    ];
    for (what, content_type, body, expected) in cases {
        let frames = sbi::Frames::new(content_type, body.as_slice())
            .and_then(|frames| frames.collect::<Result<Vec<_>, SbiError>>());
        match (frames, expected) {
            (Ok(frames), Ok(count)) => {
                assert_eq!(frames.len(), count, "{what}");
                assert!(
                    frames.iter().all(|f| f.starts_with(&[0xFF, 0xD8])),
                    "{what}"
                );
            }
            (Err(error), Err(code)) => assert_eq!(error.code(), code, "{what}"),
            (frames, expected) => panic!(
                "{what}: expected {expected:?}, got {:?}",
                frames.map(|f| f.len())
            ),
        }
    }
}

#[test]
fn enrol_devices_lists_every_device_with_its_verdict() {
    let bridge = start_bridge("finger-slap,face", Some(0));
    let ca = bridge.data_dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem(bridge.data_dir.path())).unwrap();
    let ports = format!("{0}-{0}", bridge.port);
    let ca_arg = ca.to_str().unwrap();
    let cases: [(&[&str], &str); 2] = [(&["--trusted-ca", ca_arg], "trusted"), (&[], "rejected")];
    for (extra, verdict) in cases {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_enrol"))
            .args(["--json", "devices", "--ports", &ports])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let listing: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let devices = listing["devices"].as_array().unwrap();
        let subtypes: Vec<_> = devices
            .iter()
            .map(|d| d["digitalId"]["deviceSubType"].clone())
            .collect();
        assert_eq!(subtypes, ["Slap", "Full face"], "{verdict}");
        assert!(
            devices.iter().all(|d| d["verdict"]["verdict"] == verdict),
            "{listing}"
        );
    }
}

#[test]
fn device_states_map_to_typed_errors() {
    let bridge = start_bridge("face", Some(0));
    let trusted = trusting(&[&ca_pem(bridge.data_dir.path())]);
    let id = scan(bridge.port, &trusted)[0].info.device_id.clone();
    let mut short = spec(0, 1, &[], None);
    short.timeout = Duration::from_millis(300);
    // (state set through the admin API, verdict code at discovery, capture error code)
    let cases = [
        (
            "status",
            serde_json::json!({"deviceId": id, "deviceStatus": "Not Ready"}),
            None,
            "SBI_NOT_READY",
        ),
        (
            "status",
            serde_json::json!({"deviceId": id, "deviceStatus": "Busy"}),
            None,
            "SBI_BUSY",
        ),
        (
            "status",
            serde_json::json!({"deviceId": id, "deviceStatus": "Not Registered"}),
            Some("SBI_NOT_REGISTERED"),
            "SBI_DEVICE_UNUSABLE",
        ),
        (
            "status",
            serde_json::json!({"deviceId": id, "deviceStatus": "Ready"}),
            None,
            "ok",
        ),
        // A rotated device key gets a new certificate from the same CA: still trusted.
        ("rotate", serde_json::json!({"deviceId": id}), None, "ok"),
        (
            "simulator",
            serde_json::json!({"fault": "timeout"}),
            None,
            "SBI_NO_BIOMETRIC",
        ),
    ];
    for (path, body, verdict, expected) in cases {
        admin(bridge.port, path, body.clone());
        let found = scan(bridge.port, &trusted).remove(0);
        match (&found.verdict, verdict) {
            (Verdict::Trusted, None) => {}
            (Verdict::Rejected { code, .. }, Some(want)) => assert_eq!(code, want, "{body}"),
            (got, want) => panic!("{body}: verdict {got:?}, expected {want:?}"),
        }
        let outcome = sbi::capture(&found, &short, &trusted);
        assert_eq!(
            outcome.map_or_else(|e| e.code(), |_| "ok"),
            expected,
            "{body}"
        );
    }
}
