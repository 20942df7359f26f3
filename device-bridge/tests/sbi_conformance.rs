//! The bridge seen by an independent SBI client: discovery, signed info, captures with the hash
//! chain, STREAM, CORS, and bad input, every response checked against the CTK schemas.

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{check_schema, fast, iso_facts, next_hash, start, with_decoded};
use enrol_bridge::device::DeviceKind;
use serde_json::{Value, json};

const ALL: [DeviceKind; 4] = [
    DeviceKind::FingerSlap,
    DeviceKind::FingerSingle,
    DeviceKind::IrisDouble,
    DeviceKind::Face,
];

#[track_caller]
fn assert_schema(name: &str, instance: &Value) {
    if let Err(error) = check_schema(name, instance) {
        panic!("{error}\ninstance: {instance}");
    }
}

fn capture_request(bio: Value, transaction_id: &str) -> Value {
    json!({
        "env": "Developer", "purpose": "Registration", "specVersion": "0.9.5", "timeout": "10000",
        "captureTime": "2026-01-01T10:00:00.000Z", "transactionId": transaction_id,
        "bio": [bio], "customOpts": null
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_info_are_signed_and_schema_valid() {
    let bridge = start(&ALL, fast()).await;
    let (status, devices) = bridge
        .call(
            "MOSIPDISC",
            "/device",
            Some(&json!({"type": "Biometric Device"})),
        )
        .await;
    assert_eq!(status, 200);
    let devices = devices.as_array().expect("array").clone();
    assert_eq!(devices.len(), 4);
    for device in &devices {
        assert_schema("DiscoverResponseSchema", &with_decoded(&json!([device])));
        assert_eq!(device["callbackId"], format!("{}/", bridge.base));
    }
    if common::sbi_data().is_some() {
        let mut extra = devices[0].clone();
        extra["vendorNote"] = json!("not in the schema");
        assert!(
            check_schema("DiscoverResponseSchema", &with_decoded(&json!([extra]))).is_err(),
            "the validator rejects extra fields"
        );
    }
    let (_, fingers) = bridge
        .call("MOSIPDISC", "/device", Some(&json!({"type": "Finger"})))
        .await;
    assert_eq!(fingers.as_array().map(Vec::len), Some(2));

    for verb in ["MOSIPDINFO", "MOSIPINFO"] {
        let (status, infos) = bridge.call(verb, "/info", None).await;
        assert_eq!(status, 200);
        for entry in infos.as_array().expect("array") {
            let info = bridge.verify(entry["deviceInfo"].as_str().expect("deviceInfo"));
            let digital = bridge.verify(info["digitalId"].as_str().expect("signed digitalId"));
            assert_schema("DigitalIdResponseSchema", &digital);
            assert_eq!(info["deviceStatus"], "Ready");
            assert_eq!(info["certification"], "L0");
            assert_schema("DeviceInfoResponseSchema", &with_decoded(&json!([entry])));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_every_modality_and_chains_hashes() {
    let bridge = start(
        &[
            DeviceKind::FingerSlap,
            DeviceKind::IrisDouble,
            DeviceKind::Face,
        ],
        fast(),
    )
    .await;
    let slap = bridge.device_id("Finger", "Slap").await;
    let iris = bridge.device_id("Iris", "Double").await;
    let face = bridge.device_id("Face", "Full face").await;
    let mut previous = String::new();
    let cases = [
        (
            json!({"type":"Finger","count":"4","bioSubType":["UNKNOWN"],"exception":[],"requestedScore":"40","deviceId":slap,"deviceSubId":"1"}),
            vec![
                "Left IndexFinger",
                "Left MiddleFinger",
                "Left RingFinger",
                "Left LittleFinger",
            ],
            "FIR",
        ),
        (
            json!({"type":"Finger","count":2,"bioSubType":null,"exception":["Right IndexFinger","Right RingFinger"],"requestedScore":40,"deviceId":slap,"deviceSubId":2}),
            vec!["Right MiddleFinger", "Right LittleFinger"],
            "FIR",
        ),
        (
            json!({"type":"Finger","count":"2","exception":[],"requestedScore":"40","deviceId":slap,"deviceSubId":"3"}),
            vec!["Left Thumb", "Right Thumb"],
            "FIR",
        ),
        (
            json!({"type":"Iris","count":"2","bioSubType":["Left","Right"],"requestedScore":"40","deviceId":iris,"deviceSubId":"3"}),
            vec!["Left", "Right"],
            "IIR",
        ),
        (
            json!({"type":"Face","count":"1","requestedScore":"40","deviceId":face,"deviceSubId":"0"}),
            vec![],
            "FAC",
        ),
        (
            json!({"type":"Face","count":"1","exception":["Left Thumb"],"requestedScore":"10","deviceId":face,"deviceSubId":"0"}),
            vec![],
            "FAC",
        ),
    ];
    for (index, (mut bio, expected, format)) in cases.into_iter().enumerate() {
        bio["previousHash"] = json!(previous.to_lowercase());
        let transaction = format!("TXN-{index}-abcdef");
        let (status, response) = bridge
            .call(
                "RCAPTURE",
                "/capture",
                Some(&capture_request(bio, &transaction)),
            )
            .await;
        assert_eq!(status, 200);
        let entries = response["biometrics"]
            .as_array()
            .expect("biometrics")
            .clone();
        assert_eq!(entries.len(), expected.len().max(1), "{response}");
        let mut sub_types = Vec::new();
        for entry in &entries {
            assert_eq!(
                entry["error"],
                json!({"errorCode":"0","errorInfo":"Success"})
            );
            assert_schema(
                "RegistrationCaptureResponseSchema",
                &with_decoded(&json!({"biometrics":[entry]})),
            );
            let data = bridge.verify(entry["data"].as_str().expect("data"));
            bridge.verify(data["digitalId"].as_str().expect("digitalId"));
            assert_eq!(data["transactionId"], transaction.as_str());
            let iso = URL_SAFE_NO_PAD
                .decode(data["bioValue"].as_str().expect("bioValue"))
                .expect("b64url");
            let (iso_format, length, jp2) = iso_facts(&iso);
            assert!(iso_format.starts_with(format), "{iso_format}");
            assert_eq!(length as usize, iso.len());
            assert!(
                jpeg2k::Image::from_bytes(&jp2).is_ok(),
                "bioValue holds a decodable JPEG 2000 image"
            );
            let hash = entry["hash"].as_str().expect("hash");
            assert_eq!(hash, next_hash(&previous, &iso), "hash chain");
            previous = hash.to_string();
            if let Some(name) = data["bioSubType"].as_str() {
                sub_types.push(name.to_string());
            }
        }
        assert_eq!(sub_types, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_serves_mjpeg_and_survives_a_disconnect() {
    let bridge = start(&[DeviceKind::FingerSlap], fast()).await;
    let id = bridge.device_id("Finger", "Slap").await;
    let open = || async {
        bridge
            .client
            .request(
                reqwest::Method::from_bytes(b"STREAM").expect("verb"),
                format!("{}/stream", bridge.base),
            )
            .body(json!({"deviceId": id, "deviceSubId": "1", "timeout": "30000"}).to_string())
            .send()
            .await
            .expect("stream opens")
    };
    let response = open().await;
    assert_eq!(
        response.headers()["content-type"],
        "multipart/x-mixed-replace; boundary=--BoundaryString"
    );
    let frames = common::read_frames(response, 3).await;
    assert_eq!(frames.len(), 3);
    for frame in &frames {
        let decoded = image::load_from_memory_with_format(frame, image::ImageFormat::Jpeg)
            .expect("JPEG frame");
        assert_eq!((decoded.width(), decoded.height()), (640, 480));
    }
    // The disconnect above (response dropped) frees the device.
    let started = Instant::now();
    loop {
        let (_, devices) = bridge
            .call("MOSIPDISC", "/device", Some(&json!({"type":"Finger"})))
            .await;
        if devices[0]["deviceStatus"] == "Ready" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "device freed after disconnect: {devices}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A capture on the streamed sub-id ends the stream; another sub-id is refused.
    let response = open().await;
    let other = json!({"type":"Finger","count":"2","deviceId":id,"deviceSubId":"3"});
    let (_, refused) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(other, "TXN-other")),
        )
        .await;
    assert_eq!(refused["biometrics"][0]["error"]["errorCode"], "702");
    let same = json!({"type":"Finger","count":"4","deviceId":id,"deviceSubId":"1"});
    let (_, captured) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(same, "TXN-same")),
        )
        .await;
    assert_eq!(
        captured["biometrics"][0]["error"]["errorCode"], "0",
        "{captured}"
    );
    let body = tokio::time::timeout(Duration::from_secs(5), response.bytes()).await;
    assert!(body.is_ok(), "the stream ends when the capture completes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_sbi_errors_and_the_service_keeps_answering() {
    let bridge = start(&[DeviceKind::FingerSlap, DeviceKind::Face], fast()).await;
    let slap = bridge.device_id("Finger", "Slap").await;
    let good = json!({"type":"Finger","count":"4","deviceId":slap,"deviceSubId":"1"});

    let error_code = |response: &Value| {
        response["biometrics"][0]["error"]["errorCode"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    // Malformed JSON, wrong types, missing keys.
    for body in [
        b"{not json".to_vec(),
        json!({"env":"Developer"}).to_string().into_bytes(),
        capture_request(
            json!({"type":"Finger","count":"four","deviceId":slap,"deviceSubId":"1"}),
            "TXN-types",
        )
        .to_string()
        .into_bytes(),
    ] {
        let (status, bytes) = bridge.call_raw("RCAPTURE", "/capture", Some(body)).await;
        assert_eq!(status, 200);
        let response: Value = serde_json::from_slice(&bytes).expect("json error");
        assert_eq!(error_code(&response), "123");
        assert_schema("ErrorCaptureResponseSchema", &response);
    }
    // A previousHash that is not a SHA-256 digest in hex.
    let mut bad_hash = good.clone();
    bad_hash["previousHash"] = json!("abc");
    let (_, response) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(bad_hash, "TXN-hash")),
        )
        .await;
    assert_eq!(error_code(&response), "123");
    // Transaction id rule.
    let (_, response) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(good.clone(), &"X".repeat(60))),
        )
        .await;
    assert_eq!(error_code(&response), "112");
    assert_schema("TransactionIdErrorRCaptureResponseSchema", &response);
    // Counts.
    let five = json!({"type":"Finger","count":"5","deviceId":slap,"deviceSubId":"1"});
    let (_, response) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(five, "TXN-count")),
        )
        .await;
    assert_eq!(error_code(&response), "109");
    // Auth CAPTURE is refused by an L0 registration device.
    let (_, response) = bridge
        .call(
            "CAPTURE",
            "/capture",
            Some(&capture_request(good.clone(), "TXN-auth")),
        )
        .await;
    assert_eq!(error_code(&response), "809");
    assert_schema("ErrorCaptureResponseSchema", &response);
    // Unknown verbs and discovery types.
    let (status, response) = bridge.call("FROBNICATE", "/device", None).await;
    assert_eq!(
        (status, response[0]["error"]["errorCode"].as_str()),
        (405, Some("500"))
    );
    let (_, response) = bridge
        .call("MOSIPDISC", "/device", Some(&json!({"type":"FINGER"})))
        .await;
    assert_eq!(response[0]["error"]["errorCode"], "502");
    assert_schema("DiscoverResponseErrorSchema", &response);
    // Huge bodies.
    let (status, _) = bridge
        .call_raw("RCAPTURE", "/capture", Some(vec![b' '; 200_000]))
        .await;
    assert_eq!(status, 413);
    // Host check (DNS rebinding).
    let response = bridge
        .client
        .request(
            reqwest::Method::from_bytes(b"MOSIPDINFO").expect("verb"),
            format!("{}/info", bridge.base),
        )
        .header("Host", "attacker.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 403);
    // CORS preflight.
    let response = bridge
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/capture", bridge.base))
        .header("Origin", "https://ctk.example")
        .header("Access-Control-Request-Method", "RCAPTURE")
        .header("Access-Control-Request-Private-Network", "true")
        .send()
        .await
        .expect("preflight");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(
        response.headers()["access-control-allow-methods"]
            .to_str()
            .expect("ascii")
            .contains("RCAPTURE")
    );
    assert_eq!(
        response.headers()["access-control-allow-private-network"],
        "true"
    );

    // Busy: a second capture while one runs.
    let slow = json!({"type":"Finger","count":"4","requestedScore":"100","deviceId":slap,"deviceSubId":"1"});
    let mut slow_request = capture_request(slow, "TXN-slow");
    slow_request["timeout"] = json!(1500);
    let first = {
        let client = bridge.client.clone();
        let url = format!("{}/capture", bridge.base);
        tokio::spawn(async move {
            client
                .request(reqwest::Method::from_bytes(b"RCAPTURE").expect("verb"), url)
                .body(slow_request.to_string())
                .send()
                .await
                .expect("first capture")
                .bytes()
                .await
                .map(|b| serde_json::from_slice::<Value>(&b).expect("json"))
                .expect("body")
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, infos) = bridge.call("MOSIPDINFO", "/info", None).await;
    let busy = infos
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["error"]["errorCode"] == "111")
        .cloned()
        .expect("a Busy device");
    assert_schema(
        "DeviceInfoBusyResponseSchema",
        &with_decoded(&json!([busy])),
    );
    let (_, response) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(good.clone(), "TXN-second")),
        )
        .await;
    assert_eq!(error_code(&response), "111");
    let first = first.await.expect("joined");
    assert_eq!(
        error_code(&first),
        "0",
        "the slow capture returns its best frame at the timeout"
    );

    // Nothing presented: error 101, never before the timeout.
    bridge
        .admin("/admin/simulator", json!({"fault":"timeout"}))
        .await;
    let mut timed = capture_request(good.clone(), "TXN-timeout");
    timed["timeout"] = json!("500");
    let started = Instant::now();
    let (_, response) = bridge.call("RCAPTURE", "/capture", Some(&timed)).await;
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(error_code(&response), "101");

    // Unplugged mid-capture: error 110, Not Ready until plugged back in.
    bridge
        .admin(
            "/admin/simulator",
            json!({"fault":"unplug","latencyMs":100}),
        )
        .await;
    let (_, response) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(good.clone(), "TXN-unplug")),
        )
        .await;
    assert_eq!(error_code(&response), "110");
    let (_, infos) = bridge.call("MOSIPDINFO", "/info", None).await;
    let not_ready = infos
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["error"]["errorCode"] == "110")
        .cloned()
        .expect("Not Ready");
    assert_schema(
        "DeviceInfoNotReadyResponseSchema",
        &with_decoded(&json!([not_ready])),
    );
    bridge.admin("/admin/replug", json!({})).await;

    // Not Registered: unsigned info and digitalId.
    bridge
        .admin(
            "/admin/status",
            json!({"deviceId": slap, "deviceStatus": "Not Registered"}),
        )
        .await;
    let (_, infos) = bridge.call("MOSIPDINFO", "/info", None).await;
    let unregistered = infos
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["error"]["errorCode"] == "100")
        .cloned()
        .expect("Not Registered");
    assert!(
        !unregistered["deviceInfo"]
            .as_str()
            .expect("info")
            .contains('.')
    );
    assert_schema(
        "DeviceInfoNotRegisteredResponseSchema",
        &with_decoded(&json!([unregistered])),
    );
    bridge
        .admin(
            "/admin/status",
            json!({"deviceId": slap, "deviceStatus": "Ready"}),
        )
        .await;

    // Still answering, and captures work again.
    let (_, response) = bridge
        .call(
            "RCAPTURE",
            "/capture",
            Some(&capture_request(good, "TXN-after")),
        )
        .await;
    assert_eq!(error_code(&response), "0", "{response}");
}
