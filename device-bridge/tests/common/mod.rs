//! An SBI 0.9.5 client written from the specification for the tests, independent of the bridge's
//! own types: raw JSON over reqwest with the custom verbs, JWS verification against the x5c
//! certificate and the device-provider CA, the hash chain, M-JPEG frame reading, ISO header
//! checks and CTK schema validation. Also starts bridges in-process on port 0.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use der::{Decode, DecodePem, Encode};
use enrol_bridge::device::DeviceKind;
use enrol_bridge::http::{self, AppState};
use enrol_bridge::keys::KeyStore;
use enrol_bridge::service::{Bridge, BridgeConfig};
use enrol_bridge::simulator::{SimControl, SimSettings};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

/// A running bridge and the means to talk to it.
pub struct TestBridge {
    pub base: String,
    pub client: reqwest::Client,
    pub ca: Certificate,
    pub state: AppState,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestBridge {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts a bridge with simulated devices on 127.0.0.1:0 with keys in a fresh temp dir.
pub async fn start(kinds: &[DeviceKind], settings: SimSettings) -> TestBridge {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().to_path_buf();
    start_in(&dir, Some(temp), kinds, settings).await
}

/// Starts a bridge whose keys live in `dir` (shared by several bridges).
pub async fn start_in(
    dir: &Path,
    temp: Option<tempfile::TempDir>,
    kinds: &[DeviceKind],
    settings: SimSettings,
) -> TestBridge {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let keys = KeyStore::open(dir).expect("key store");
    let ca = Certificate::from_pem(keys.ca_certificate_pem().expect("pem").as_bytes()).expect("ca");
    let mut bridge = Bridge::new(keys, BridgeConfig::new(port));
    bridge
        .attach_simulated(kinds, SimControl::new(settings))
        .expect("simulated devices");
    let state = AppState::new(Arc::new(bridge));
    let (shutdown, wait) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(http::serve(listener, state.clone(), async move {
        let _ = wait.await;
    }));
    TestBridge {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        ca,
        state,
        data_dir: dir.to_path_buf(),
        _temp: temp,
        shutdown: Some(shutdown),
    }
}

pub fn fast() -> SimSettings {
    SimSettings {
        latency_ms: 5,
        ..SimSettings::default()
    }
}

impl TestBridge {
    /// Sends `verb path` with an optional JSON body; returns the status and the parsed JSON.
    pub async fn call(&self, verb: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, bytes) = self
            .call_raw(verb, path, body.map(|b| b.to_string().into_bytes()))
            .await;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&bytes) }));
        (status, value)
    }

    pub async fn call_raw(&self, verb: &str, path: &str, body: Option<Vec<u8>>) -> (u16, Vec<u8>) {
        let method = reqwest::Method::from_bytes(verb.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("bridge answers");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }

    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.call("POST", path, Some(&body)).await;
        assert_eq!(status, 200, "admin call {path}: {value}");
        value
    }

    /// The deviceId of the first device of this type and subtype, via MOSIPDISC.
    pub async fn device_id(&self, bio_type: &str, device_sub_type: &str) -> String {
        let (_, devices) = self
            .call("MOSIPDISC", "/device", Some(&json!({ "type": bio_type })))
            .await;
        for device in devices.as_array().expect("array") {
            let digital = decode_unsigned(device["digitalId"].as_str().expect("digitalId"));
            if digital["deviceSubType"] == device_sub_type {
                return device["deviceId"].as_str().expect("deviceId").to_string();
            }
        }
        panic!("no {bio_type}/{device_sub_type} device in {devices}");
    }

    /// Verifies a JWS against its x5c leaf, checks the leaf chains to the bridge CA and returns
    /// the payload.
    pub fn verify(&self, token: &str) -> Value {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "compact JWS has three parts");
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64url header"))
                .expect("header json");
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        let leaf_der = STANDARD
            .decode(header["x5c"][0].as_str().expect("x5c[0]"))
            .expect("x5c is base64");
        let leaf = Certificate::from_der(&leaf_der).expect("x5c[0] is a certificate");
        let spki = leaf
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("spki");
        let key = RsaPublicKey::from_public_key_der(&spki).expect("rsa key");
        let signature = Signature::try_from(
            URL_SAFE_NO_PAD
                .decode(parts[2])
                .expect("b64url sig")
                .as_slice(),
        )
        .expect("sig");
        VerifyingKey::<Sha256>::new(key)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("JWS signature verifies against x5c");
        // Trust: the leaf is signed by the device-provider CA.
        let ca_spki = self
            .ca
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("ca spki");
        let ca_key = RsaPublicKey::from_public_key_der(&ca_spki).expect("ca key");
        let tbs = leaf.tbs_certificate.to_der().expect("tbs");
        let leaf_signature = Signature::try_from(leaf.signature.raw_bytes()).expect("leaf sig");
        VerifyingKey::<Sha256>::new(ca_key)
            .verify(&tbs, &leaf_signature)
            .expect("leaf certificate chains to the device-provider CA");
        assert_eq!(leaf.tbs_certificate.issuer, self.ca.tbs_certificate.subject);
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64url payload"))
            .expect("payload json")
    }
}

pub fn decode_unsigned(text: &str) -> Value {
    assert!(!text.contains('.'), "unsigned form has no dots");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).expect("b64url")).expect("json")
}

/// §3.5: SHA256(prev digest ‖ SHA256(iso)), upper-case hex.
pub fn next_hash(previous_hex: &str, iso: &[u8]) -> String {
    let previous = if previous_hex.is_empty() {
        Sha256::digest(b"").to_vec()
    } else {
        (0..previous_hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&previous_hex[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let mut hasher = Sha256::new();
    hasher.update(&previous);
    hasher.update(Sha256::digest(iso));
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The folder of the CTK data, or None with a notice.
pub fn sbi_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sbi-data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "notice: {} not found; skipping CTK schema checks",
            dir.display()
        );
        None
    }
}

/// Validates `instance` against the named CTK schema (when the data is present).
pub fn check_schema(name: &str, instance: &Value) -> Result<(), String> {
    let Some(dir) = sbi_data() else { return Ok(()) };
    let path = dir.join("ctk-schemas-0.9.5").join(format!("{name}.json"));
    let schema: Value = serde_json::from_slice(
        &std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
    )
    .map_err(|e| format!("{name}: {e}"))?;
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft201909)
        .build(&schema)
        .map_err(|e| format!("{name} does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}: {}", errors.join("; ")))
    }
}

/// Adds the CTK's derived `*Decoded` fields, as its UI does before validating (§5.5).
pub fn with_decoded(response: &Value) -> Value {
    let decode = |text: &str| -> Value {
        let payload = if text.contains('.') {
            text.split('.').nth(1).unwrap_or("")
        } else {
            text
        };
        URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null)
    };
    let mut out = response.clone();
    let decode_digital = |object: &mut Value| {
        if let Some(digital) = object.get("digitalId").and_then(Value::as_str) {
            let decoded = decode(digital);
            object["digitalIdDecoded"] = decoded;
        }
    };
    match &mut out {
        Value::Array(items) => {
            for item in items {
                decode_digital(item);
                if let Some(info) = item.get("deviceInfo").and_then(Value::as_str) {
                    let mut decoded = decode(info);
                    decode_digital(&mut decoded);
                    item["deviceInfoDecoded"] = decoded;
                }
            }
        }
        Value::Object(object) => {
            if let Some(Value::Array(entries)) = object.get_mut("biometrics") {
                for entry in entries {
                    if let Some(data) = entry
                        .get("data")
                        .and_then(Value::as_str)
                        .filter(|d| !d.is_empty())
                    {
                        let mut decoded = decode(data);
                        decode_digital(&mut decoded);
                        entry["dataDecoded"] = decoded;
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// Reads `count` JPEG frames from a STREAM body the way MOSIP's client does: header lines up
/// to Content-Length, then that many bytes starting at the JPEG SOI marker.
pub async fn read_frames(mut response: reqwest::Response, count: usize) -> Vec<Vec<u8>> {
    let mut buffer: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    while frames.len() < count {
        if let Some((frame, used)) = parse_frame(&buffer) {
            frames.push(frame);
            buffer.drain(..used);
            continue;
        }
        match response.chunk().await {
            Ok(Some(chunk)) => buffer.extend_from_slice(&chunk),
            _ => break,
        }
    }
    frames
}

fn parse_frame(buffer: &[u8]) -> Option<(Vec<u8>, usize)> {
    let text_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buffer[..text_end]);
    assert!(
        head.starts_with("--BoundaryString\r\n"),
        "frame starts with the boundary: {head:?}"
    );
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length:"))
        .and_then(|n| n.trim().parse().ok())?;
    let start = text_end + 4;
    let end = start + length;
    if buffer.len() < end + 4 {
        return None;
    }
    assert_eq!(&buffer[end..end + 4], b"\r\n\r\n", "frame trailer");
    Some((buffer[start..end].to_vec(), end + 4))
}

/// The ISO record's format, compression byte and first-representation image, read from the
/// spec's byte layout (§3.6).
pub fn iso_facts(record: &[u8]) -> (String, u32, Vec<u8>) {
    let format = String::from_utf8_lossy(&record[..8])
        .replace('\0', " ")
        .trim()
        .to_string();
    let length = u32::from_be_bytes([record[8], record[9], record[10], record[11]]);
    let jp2_at = record
        .windows(8)
        .position(|w| w == b"\0\0\0\x0cjP  ")
        .expect("a JP2 signature box");
    (format, length, record[jp2_at..].to_vec())
}
