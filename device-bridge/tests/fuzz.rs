//! Property-based fuzzing of the input parsers: SBI request bodies (discovery, capture, stream)
//! through the service, and the R30x serial frame parser. Nothing may panic, every bad body
//! gets an SBI error, and valid frames round-trip.

use std::sync::OnceLock;

use enrol_bridge::device::DeviceKind;
use enrol_bridge::keys::KeyStore;
use enrol_bridge::r30x::{FrameError, Packet, PacketKind, parse_packet};
use enrol_bridge::service::{Bridge, BridgeConfig};
use enrol_bridge::simulator::{SimControl, SimSettings};
use proptest::prelude::*;
use serde_json::{Value, json};

struct Fixture {
    bridge: Bridge,
    runtime: tokio::runtime::Runtime,
    _keys: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys = tempfile::tempdir().expect("temp dir");
        let mut bridge = Bridge::new(
            KeyStore::open(keys.path()).expect("keys"),
            BridgeConfig::new(4501),
        );
        let control = SimControl::new(SimSettings {
            latency_ms: 0,
            ..SimSettings::default()
        });
        bridge
            .attach_simulated(&[DeviceKind::Face], control)
            .expect("device");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Fixture {
            bridge,
            runtime,
            _keys: keys,
        }
    })
}

/// JSON values shaped like capture requests, with wrong types mixed in.
fn request_like() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        Just(json!("Face")),
        Just(json!("1")),
        Just(json!("0")),
        Just(json!("Developer")),
        Just(json!("Registration")),
    ];
    let bio = (scalar.clone(), scalar.clone(), scalar.clone(), scalar.clone(), scalar.clone()).prop_map(
        |(kind, count, id, sub_id, score)| json!({"type": kind, "count": count, "deviceId": id, "deviceSubId": sub_id, "requestedScore": score}),
    );
    let timeout = prop_oneof![Just(json!(1)), Just(json!("1")), Just(json!("x"))];
    (scalar.clone(), scalar, "[A-Za-z0-9_-]{0,60}", prop::collection::vec(bio, 0..3), timeout).prop_map(
        |(env, purpose, transaction, bio, timeout)| {
            json!({"env": env, "purpose": purpose, "specVersion": "0.9.5", "transactionId": transaction, "bio": bio, "timeout": timeout})
        },
    )
}

fn error_code(response: &enrol_schema::sbi::CaptureResponse) -> String {
    response
        .biometrics
        .first()
        .map(|e| e.error.error_code.clone())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_the_service(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let f = fixture();
        let discovered = f.bridge.discover(&body);
        prop_assert!(discovered.as_array().is_some_and(|a| !a.is_empty()));
        let response = f.runtime.block_on(f.bridge.rcapture(&body));
        prop_assert_eq!(response.biometrics.len(), 1);
    }

    #[test]
    fn request_shaped_json_gets_an_answer(request in request_like()) {
        let f = fixture();
        let body = request.to_string();
        let response = f.runtime.block_on(f.bridge.rcapture(body.as_bytes()));
        let code = error_code(&response);
        prop_assert!(code == "0" || (code.len() == 3 && !code.starts_with('0')), "code {}", code);
    }

    #[test]
    fn serial_frames_parse_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        match parse_packet(&bytes) {
            Ok((packet, used)) => {
                prop_assert!(used <= bytes.len());
                prop_assert_eq!(&packet.to_bytes()[..], &bytes[..used]);
            }
            Err(FrameError::Incomplete) => prop_assert!(bytes.len() < 9 + 514),
            Err(_) => {}
        }
    }

    #[test]
    fn valid_frames_round_trip(kind in 0usize..4, payload in prop::collection::vec(any::<u8>(), 0..256), split in 0usize..300) {
        let kind = [PacketKind::Command, PacketKind::Data, PacketKind::Ack, PacketKind::EndData][kind];
        let packet = Packet::new(kind, payload);
        let bytes = packet.to_bytes();
        prop_assert_eq!(parse_packet(&bytes), Ok((packet, bytes.len())));
        let cut = split.min(bytes.len().saturating_sub(1));
        prop_assert_eq!(parse_packet(&bytes[..cut]), Err(FrameError::Incomplete));
    }
}
