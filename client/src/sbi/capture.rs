//! Registration capture: `MOSIPDISC` to confirm the device is still there and Ready, then
//! `RCAPTURE` with sub-types, exceptions, requested score and timeout; every returned entry is
//! checked (data JWS and trust, digitalId, transaction id, hash chain) before it is returned.

use std::time::{Duration, SystemTime};

use enrol_schema::sbi::{
    CaptureBio, CaptureData, CaptureRequest, CaptureResponse, DeviceStatus, DigitalId,
    DiscoveredDevice, ErrorInfo, SPEC_VERSION,
};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::discovery::FoundDevice;
use super::error::SbiError;
use super::http::{self, Timeouts};
use super::jws;
use super::trust::TrustedCas;
use crate::packet::BioAttribute;

/// Largest capture answer read (a slap of four JPEG 2000 lossless records fits many times).
const CAPTURE_LIMIT: u64 = 64 << 20;
const DISCOVER_LIMIT: u64 = 1 << 20;
/// Time allowed beyond the capture `timeout` for the device to answer.
const ANSWER_MARGIN: Duration = Duration::from_secs(10);

/// What to capture from one device.
#[derive(Debug, Clone)]
pub struct CaptureSpec {
    /// `deviceSubId`: 1 left slap / left iris, 2 right, 3 thumbs / both irises, 0 face.
    pub device_sub_id: u32,
    /// How many biometrics to capture, not counting exceptions.
    pub count: u32,
    /// The wanted segments; empty lets the device decide.
    pub bio_sub_types: Vec<BioAttribute>,
    /// Missing fingers or irises.
    pub exceptions: Vec<BioAttribute>,
    /// Auto-capture threshold, 0–100.
    pub requested_score: f64,
    pub timeout: Duration,
    /// The last `hash` of this registration's previous capture, to chain across captures.
    pub previous_hash: Option<String>,
    /// A preview STREAM of this sub-device is open: the device then reports Busy until this
    /// capture ends the stream (§4), so Busy is accepted.
    pub preview_open: bool,
}

/// One verified biometric.
#[derive(Debug, Clone)]
pub struct CapturedBiometric {
    pub attribute: BioAttribute,
    /// The ISO 19794-4/5/6 record (decoded `bioValue`).
    pub iso: Vec<u8>,
    pub quality: f64,
    pub requested_score: f64,
    pub captured_at: OffsetDateTime,
    /// Uppercase hex hash chain value (§3.5).
    pub hash: String,
    /// The signed `data` JWS as the device returned it.
    pub data_jws: String,
    /// The decoded `data` block.
    pub data: Value,
    pub spec_version: String,
}

/// A verified RCAPTURE answer.
#[derive(Debug, Clone)]
pub struct Capture {
    pub transaction_id: String,
    pub device_sub_id: u32,
    pub biometrics: Vec<CapturedBiometric>,
    pub exceptions: Vec<BioAttribute>,
    /// The chain head to pass as the next capture's `previous_hash`.
    pub last_hash: String,
}

/// Captures from a trusted device and verifies everything it returns.
pub fn capture(
    device: &FoundDevice,
    spec: &CaptureSpec,
    trusted: &TrustedCas,
) -> Result<Capture, SbiError> {
    let device_id = device.info.device_id.clone();
    if let super::Verdict::Rejected { reason, .. } = &device.verdict {
        return Err(SbiError::NotUsable {
            device_id,
            reason: reason.clone(),
        });
    }
    let digital_id = device
        .digital_id
        .as_ref()
        .ok_or_else(|| SbiError::NotUsable {
            device_id: device_id.clone(),
            reason: "no digitalId".into(),
        })?;
    let mut previous = chain_start(spec.previous_hash.as_deref())?;
    confirm_ready(device, digital_id, spec.preview_open)?;
    let transaction_id = new_transaction_id()?;
    let request = CaptureRequest {
        env: device.info.env.clone(),
        purpose: "Registration".into(),
        spec_version: SPEC_VERSION.into(),
        timeout: u64::try_from(spec.timeout.as_millis()).unwrap_or(u64::MAX),
        capture_time: Some(now_text()),
        domain_uri: None,
        transaction_id: transaction_id.clone(),
        bio: vec![CaptureBio {
            bio_type: digital_id.bio_type.as_str().into(),
            count: spec.count,
            bio_sub_type: spec
                .bio_sub_types
                .iter()
                .map(|a| a.subtype().to_owned())
                .collect(),
            exception: spec
                .exceptions
                .iter()
                .map(|a| a.subtype().to_owned())
                .collect(),
            requested_score: Some(spec.requested_score),
            device_id: device_id.clone(),
            device_sub_id: spec.device_sub_id,
            previous_hash: spec.previous_hash.clone(),
        }],
        custom_opts: None,
    };
    let port = device.port;
    let body = serde_json::to_vec(&request).map_err(|e| SbiError::Mismatch(e.to_string()))?;
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Some(spec.timeout + ANSWER_MARGIN),
    };
    let answer = http::call(port, "RCAPTURE", "/capture", body, timeouts, CAPTURE_LIMIT)?;
    let response: CaptureResponse =
        serde_json::from_slice(&answer).map_err(|e| SbiError::BadResponse {
            port,
            reason: format!("not a capture response: {e}"),
        })?;
    let checks = Checks {
        transaction_id: &transaction_id,
        digital_id,
        trusted,
        exceptions: &spec.exceptions,
        now: SystemTime::now(),
    };
    let mut biometrics = Vec::with_capacity(response.biometrics.len());
    for (index, entry) in response.biometrics.iter().enumerate() {
        if !entry.error.is_success() {
            return Err(device_error(&entry.error));
        }
        let biometric = checks.entry(&entry.data, &entry.spec_version)?;
        let hash = chain(&previous, &biometric.iso);
        if !entry.hash.eq_ignore_ascii_case(&hex(&hash)) {
            return Err(SbiError::HashChain { index });
        }
        previous = hash;
        if biometrics
            .iter()
            .any(|b: &CapturedBiometric| b.attribute == biometric.attribute)
        {
            return Err(SbiError::Mismatch(format!(
                "{} returned twice",
                biometric.attribute.as_str()
            )));
        }
        biometrics.push(CapturedBiometric {
            hash: entry.hash.to_ascii_uppercase(),
            ..biometric
        });
    }
    if biometrics.len() != spec.count as usize {
        return Err(SbiError::Mismatch(format!(
            "asked for {} biometrics, got {}",
            spec.count,
            biometrics.len()
        )));
    }
    Ok(Capture {
        transaction_id,
        device_sub_id: spec.device_sub_id,
        biometrics,
        exceptions: spec.exceptions.clone(),
        last_hash: hex(&previous),
    })
}

/// MOSIPDISC: the device must still be offered, Ready, 0.9.5, and the same as when found.
fn confirm_ready(
    device: &FoundDevice,
    digital_id: &DigitalId,
    preview_open: bool,
) -> Result<(), SbiError> {
    let port = device.port;
    let body = serde_json::to_vec(&serde_json::json!({"type": digital_id.bio_type.as_str()}))
        .map_err(|e| SbiError::Mismatch(e.to_string()))?;
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Some(Duration::from_secs(5)),
    };
    let answer = http::call(port, "MOSIPDISC", "/device", body, timeouts, DISCOVER_LIMIT)?;
    let entries: Vec<Value> =
        serde_json::from_slice(&answer).map_err(|e| SbiError::BadResponse {
            port,
            reason: format!("not a discovery array: {e}"),
        })?;
    let info = &device.info;
    let offered = entries
        .into_iter()
        .filter_map(|entry| serde_json::from_value::<DiscoveredDevice>(entry).ok())
        .find(|found| found.device_id == info.device_id)
        .ok_or_else(|| SbiError::NotDiscovered {
            device_id: info.device_id.clone(),
        })?;
    let busy_with_preview = preview_open && offered.device_status == DeviceStatus::Busy;
    if offered.device_status != DeviceStatus::Ready && !busy_with_preview {
        let error = if offered.error.is_success() {
            offered.device_status.error()
        } else {
            offered.error
        };
        return Err(device_error(&error));
    }
    let same = offered.certification == info.certification
        && offered.device_code == info.device_code
        && offered
            .spec_version
            .iter()
            .any(|v| v.contains(SPEC_VERSION));
    if !same {
        return Err(SbiError::NotDiscovered {
            device_id: info.device_id.clone(),
        });
    }
    Ok(())
}

struct Checks<'a> {
    transaction_id: &'a str,
    digital_id: &'a DigitalId,
    trusted: &'a TrustedCas,
    exceptions: &'a [BioAttribute],
    now: SystemTime,
}

impl Checks<'_> {
    /// Verifies one `data` JWS and decodes it (the hash is checked by the caller).
    fn entry(&self, data_jws: &str, spec_version: &str) -> Result<CapturedBiometric, SbiError> {
        let verified = jws::verify(data_jws, "capture data")?;
        self.trusted.check(&verified.certificate_der, self.now)?;
        let data: CaptureData = serde_json::from_slice(&verified.payload)
            .map_err(|e| SbiError::Mismatch(format!("bad capture data: {e}")))?;
        let signed_id = jws::verify(&data.digital_id, "digitalId")?;
        self.trusted.check(&signed_id.certificate_der, self.now)?;
        let digital_id: DigitalId = serde_json::from_slice(&signed_id.payload)
            .map_err(|e| SbiError::Mismatch(format!("bad digitalId: {e}")))?;
        if digital_id.serial_no != self.digital_id.serial_no
            || digital_id.bio_type != self.digital_id.bio_type
        {
            return Err(SbiError::Mismatch(format!(
                "captured by device {}, not {}",
                digital_id.serial_no, self.digital_id.serial_no
            )));
        }
        if data.transaction_id != self.transaction_id {
            return Err(SbiError::Transaction {
                expected: self.transaction_id.to_owned(),
                found: data.transaction_id,
            });
        }
        let modality = data.bio_type.as_str();
        let subtype = data.bio_sub_type.as_deref().unwrap_or_default();
        let attribute = BioAttribute::from_cbeff(modality, subtype)
            .ok_or_else(|| SbiError::Mismatch(format!("unknown segment {modality} {subtype:?}")))?;
        if self.exceptions.contains(&attribute) {
            return Err(SbiError::Mismatch(format!(
                "{} was captured although it is an exception",
                attribute.as_str()
            )));
        }
        let iso = jws::b64url_decode(&data.bio_value)
            .ok_or_else(|| SbiError::Mismatch("bioValue is not base64url".into()))?;
        let score = |text: &str, what: &str| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|score| (0.0..=100.0).contains(score))
                .ok_or_else(|| SbiError::Mismatch(format!("bad {what} {text:?}")))
        };
        let captured_at = OffsetDateTime::parse(&data.timestamp, &Rfc3339)
            .map_err(|_| SbiError::Mismatch(format!("bad timestamp {:?}", data.timestamp)))?;
        Ok(CapturedBiometric {
            attribute,
            iso,
            quality: score(&data.quality_score, "qualityScore")?,
            requested_score: score(&data.requested_score, "requestedScore")?,
            captured_at,
            hash: String::new(),
            data_jws: data_jws.trim().to_owned(),
            data: serde_json::from_slice(&verified.payload)
                .map_err(|e| SbiError::Mismatch(e.to_string()))?,
            spec_version: spec_version.to_owned(),
        })
    }
}

fn device_error(error: &ErrorInfo) -> SbiError {
    SbiError::from_device(&error.error_code, &error.error_info)
}

/// `hash = SHA256(prev ‖ SHA256(iso))` over raw digests (§3.5).
pub fn chain(previous: &[u8; 32], iso: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(Sha256::digest(iso));
    hasher.finalize().into()
}

/// The chain start: the previous hash, or SHA256("") when there is none.
pub fn chain_start(previous_hash: Option<&str>) -> Result<[u8; 32], SbiError> {
    match previous_hash.map(str::trim).filter(|h| !h.is_empty()) {
        None => Ok(Sha256::digest(b"").into()),
        Some(text) => unhex(text)
            .ok_or_else(|| SbiError::Mismatch(format!("previous hash {text:?} is not hex"))),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        *slot = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// A random UUID-shaped transaction id (36 of `[0-9a-f-]`).
fn new_transaction_id() -> Result<String, SbiError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| SbiError::Mismatch("no randomness for a transaction id".into()))?;
    let h = hex(&bytes).to_ascii_lowercase();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// The current UTC time as `yyyy-MM-ddTHH:mm:ssZ`.
fn now_text() -> String {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .unwrap_or_default()
}
