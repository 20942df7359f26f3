//! SBI 0.9.5 wire types (device discovery, device info, capture and stream requests and
//! responses) shared by the device bridge and the client's SBI client.
//!
//! Requests parse leniently (numbers or strings for counts, sub-ids, timeouts and scores; `null`
//! for optional lists; unknown keys ignored). Responses emit strictly what the compliance
//! toolkit's schemas require: strings where they say strings and no extra fields.

use serde::{Deserialize, Deserializer, Serialize};

/// The spec version this crate speaks.
pub const SPEC_VERSION: &str = "0.9.5";

/// Biometric modality of a device or a capture entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BioType {
    Finger,
    Iris,
    Face,
}

impl BioType {
    /// The wire name (`Finger`, `Iris`, `Face`).
    pub fn as_str(self) -> &'static str {
        match self {
            BioType::Finger => "Finger",
            BioType::Iris => "Iris",
            BioType::Face => "Face",
        }
    }

    /// Parses an exact wire name (the spec's enums are case-sensitive).
    pub fn parse(text: &str) -> Option<BioType> {
        match text {
            "Finger" => Some(BioType::Finger),
            "Iris" => Some(BioType::Iris),
            "Face" => Some(BioType::Face),
            _ => None,
        }
    }
}

/// `deviceStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceStatus {
    Ready,
    Busy,
    #[serde(rename = "Not Ready")]
    NotReady,
    #[serde(rename = "Not Registered")]
    NotRegistered,
}

impl DeviceStatus {
    /// The error that must accompany this status in device info (§2.4, §2.8).
    pub fn error(self) -> ErrorInfo {
        match self {
            DeviceStatus::Ready => ErrorInfo::success(),
            DeviceStatus::Busy => ErrorInfo::new(111, "Device is Busy"),
            DeviceStatus::NotReady => ErrorInfo::new(110, "Device is not ready"),
            DeviceStatus::NotRegistered => ErrorInfo::new(100, "Device not registered"),
        }
    }
}

/// The `error` object every response carries; codes are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    pub error_code: String,
    pub error_info: String,
}

impl ErrorInfo {
    pub fn new(code: u16, info: &str) -> ErrorInfo {
        ErrorInfo {
            error_code: code.to_string(),
            error_info: info.to_string(),
        }
    }

    pub fn success() -> ErrorInfo {
        ErrorInfo::new(0, "Success")
    }

    pub fn is_success(&self) -> bool {
        self.error_code == "0"
    }
}

/// The digital ID payload (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigitalId {
    pub serial_no: String,
    pub make: String,
    pub model: String,
    #[serde(rename = "type")]
    pub bio_type: BioType,
    pub device_sub_type: String,
    pub device_provider: String,
    pub device_provider_id: String,
    pub date_time: String,
}

/// `MOSIPDISC` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoverRequest {
    #[serde(rename = "type")]
    pub device_type: String,
}

/// One entry of the `MOSIPDISC` response array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredDevice {
    pub device_id: String,
    pub device_status: DeviceStatus,
    pub certification: String,
    pub service_version: String,
    pub device_sub_id: Vec<String>,
    pub callback_id: String,
    /// Unsigned: base64url of the digital ID payload.
    pub digital_id: String,
    pub device_code: String,
    pub spec_version: Vec<String>,
    pub purpose: String,
    pub error: ErrorInfo,
}

/// An error-only entry (discovery with a bad type, stream errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub error: ErrorInfo,
}

/// One entry of the `MOSIPDINFO` response array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfoEntry {
    /// JWS over [`DeviceInfo`], or only its base64url payload when Not Registered.
    pub device_info: String,
    pub error: ErrorInfo,
}

/// The device info payload (§2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub device_status: DeviceStatus,
    pub device_id: String,
    pub firmware: String,
    pub certification: String,
    pub service_version: String,
    pub device_sub_id: Vec<String>,
    pub callback_id: String,
    /// Signed digital ID (JWS), unsigned when Not Registered.
    pub digital_id: String,
    pub device_code: String,
    pub env: String,
    pub purpose: String,
    pub spec_version: Vec<String>,
}

/// `RCAPTURE` / `CAPTURE` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRequest {
    pub env: String,
    pub purpose: String,
    pub spec_version: String,
    /// Milliseconds; a string or a number on the wire. Required: the CTK treats a request
    /// without it as invalid (SBI1095).
    #[serde(deserialize_with = "lenient::u64")]
    pub timeout: u64,
    #[serde(default)]
    pub capture_time: Option<String>,
    #[serde(default)]
    pub domain_uri: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub transaction_id: String,
    pub bio: Vec<CaptureBio>,
    #[serde(default)]
    pub custom_opts: Option<serde_json::Value>,
}

/// One `bio` element of a capture request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureBio {
    #[serde(rename = "type")]
    pub bio_type: String,
    #[serde(deserialize_with = "lenient::u32")]
    pub count: u32,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    pub bio_sub_type: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    pub exception: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub requested_score: Option<f64>,
    #[serde(deserialize_with = "lenient::string")]
    pub device_id: String,
    #[serde(deserialize_with = "lenient::u32")]
    pub device_sub_id: u32,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub previous_hash: Option<String>,
}

/// `RCAPTURE` response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureResponse {
    pub biometrics: Vec<CaptureEntry>,
}

/// One captured segment (or one error entry with empty `data` and `hash`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureEntry {
    pub spec_version: String,
    /// JWS over [`CaptureData`]; empty in an error entry.
    pub data: String,
    /// Uppercase hex hash chain value (§3.5); empty in an error entry.
    pub hash: String,
    pub error: ErrorInfo,
}

impl CaptureEntry {
    /// An error entry as MockMDS and the CTK error schema expect it.
    pub fn error(error: ErrorInfo) -> CaptureEntry {
        CaptureEntry {
            spec_version: SPEC_VERSION.to_string(),
            data: String::new(),
            hash: String::new(),
            error,
        }
    }
}

/// The signed data block of a capture entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureData {
    pub digital_id: String,
    pub device_code: String,
    pub device_service_version: String,
    pub bio_type: BioType,
    /// Absent for face.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio_sub_type: Option<String>,
    pub purpose: String,
    pub env: String,
    /// base64url of the ISO 19794 record.
    pub bio_value: String,
    pub transaction_id: String,
    pub timestamp: String,
    /// A decimal string, e.g. "40".
    pub requested_score: String,
    /// A decimal string, e.g. "57.25".
    pub quality_score: String,
}

/// `STREAM` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRequest {
    #[serde(deserialize_with = "lenient::string")]
    pub device_id: String,
    #[serde(deserialize_with = "lenient::u32")]
    pub device_sub_id: u32,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub timeout: Option<u64>,
}

/// Formats a score as the strict decimal string the CTK pattern accepts.
pub fn score_string(score: f64) -> String {
    let clamped = score.clamp(0.0, 100.0);
    if clamped.fract() == 0.0 {
        format!("{clamped:.0}")
    } else {
        format!("{clamped:.2}")
    }
}

/// Whether a transaction id obeys the Oct-2023 rule (4–50 of `[A-Za-z0-9-]`).
pub fn valid_transaction_id(id: &str) -> bool {
    (4..=50).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Lenient deserializers: accept what real clients send.
mod lenient {
    use super::*;
    use serde::de::Error;
    use serde_json::Value;

    fn scalar_text(value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.trim().to_string()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        let value = Value::deserialize(de)?;
        scalar_text(&value).ok_or_else(|| D::Error::custom("expected a string or a number"))
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
        let value = Value::deserialize(de)?;
        match value {
            Value::Null => Ok(None),
            other => scalar_text(&other)
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected a string, a number or null")),
        }
    }

    pub fn u32<'de, D: Deserializer<'de>>(de: D) -> Result<u32, D::Error> {
        let text = string(de)?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("expected a non-negative integer, got {text:?}")))
    }

    pub fn u64<'de, D: Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
        opt_u64(de)?.ok_or_else(|| D::Error::custom("expected milliseconds"))
    }

    pub fn opt_u64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
        match opt_string(de)? {
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| Some(ms as u64))
                .ok_or_else(|| D::Error::custom(format!("expected milliseconds, got {text:?}"))),
        }
    }

    pub fn opt_f64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<f64>, D::Error> {
        match opt_string(de)? {
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|score| score.is_finite())
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("expected a number, got {text:?}"))),
        }
    }

    pub fn opt_strings<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
        let value = Value::deserialize(de)?;
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .iter()
                .filter(|item| !item.is_null())
                .map(|item| scalar_text(item).ok_or_else(|| D::Error::custom("expected strings")))
                .collect(),
            Value::String(text) => Ok(vec![text]),
            _ => Err(D::Error::custom("expected an array of strings")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check_capture_request(body: serde_json::Value, expect: impl Fn(&CaptureRequest)) {
        let parsed: CaptureRequest = serde_json::from_value(body).expect("request parses");
        expect(&parsed);
        let again: CaptureRequest =
            serde_json::from_value(serde_json::to_value(&parsed).expect("serialises"))
                .expect("round trip parses");
        assert_eq!(again, parsed);
    }

    #[test]
    fn capture_requests_parse_leniently() {
        let ctk = json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5",
            "timeout":"10000","captureTime":"2026-01-01T10:00:00.123Z","transactionId":"SBI1002-1",
            "bio":[{"type":"Finger","count":"4","bioSubType":["Left IndexFinger"],"exception":[],
            "requestedScore":"40","deviceId":"1","deviceSubId":"1",
            "previousHash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],
            "customOpts":null});
        check_capture_request(ctk, |r| {
            assert_eq!(r.timeout, 10_000);
            assert_eq!(r.bio[0].count, 4);
            assert_eq!(r.bio[0].requested_score, Some(40.0));
            assert_eq!(r.bio[0].device_sub_id, 1);
        });
        let reg_client = json!({"env":"Staging","purpose":"Registration","specVersion":"0.9.5",
            "timeout":40000,"captureTime":"2026-01-01T10:00:00.123","transactionId":"abcd-1234",
            "bio":[{"type":"Iris","count":2,"bioSubType":null,"exception":null,"requestedScore":60,
            "deviceId":3,"deviceSubId":3,"previousHash":null}],"unknownKey":true});
        check_capture_request(reg_client, |r| {
            assert_eq!(r.bio[0].device_id, "3");
            assert!(r.bio[0].bio_sub_type.is_empty());
            assert_eq!(r.bio[0].previous_hash, None);
        });
    }

    #[test]
    fn wrong_types_are_rejected() {
        for bad in [
            json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5",
                "transactionId":"abcd","bio":[{"type":"Finger","count":"four","deviceId":"1","deviceSubId":"1"}]}),
            json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5",
                "transactionId":"abcd","bio":[{"type":"Finger","count":"-1","deviceId":"1","deviceSubId":"1"}]}),
            json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5",
                "transactionId":"abcd","bio":{"type":"Finger"}}),
            json!({"purpose":"Registration","specVersion":"0.9.5","transactionId":"abcd","bio":[]}),
            json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5",
                "transactionId":"abcd","bio":[{"type":"Finger","count":"4","deviceId":"1","deviceSubId":"1"}]}),
        ] {
            assert!(serde_json::from_value::<CaptureRequest>(bad).is_err());
        }
    }

    #[test]
    fn responses_emit_strings_and_exact_names() {
        let data = CaptureData {
            digital_id: "a.b.c".into(),
            device_code: "code".into(),
            device_service_version: "1.0".into(),
            bio_type: BioType::Face,
            bio_sub_type: None,
            purpose: "Registration".into(),
            env: "Developer".into(),
            bio_value: "AAAA".into(),
            transaction_id: "abcd".into(),
            timestamp: "2026-01-01T10:00:00Z".into(),
            requested_score: score_string(40.0),
            quality_score: score_string(57.256),
        };
        let value = serde_json::to_value(&data).expect("serialises");
        assert_eq!(value["requestedScore"], json!("40"));
        assert_eq!(value["qualityScore"], json!("57.26"));
        assert!(value.get("bioSubType").is_none());
        let status = serde_json::to_value(DeviceStatus::NotRegistered).expect("serialises");
        assert_eq!(status, json!("Not Registered"));
        assert_eq!(DeviceStatus::Busy.error().error_code, "111");
        let back: CaptureData = serde_json::from_value(value).expect("round trip");
        assert_eq!(back, data);
    }

    #[test]
    fn transaction_ids_follow_the_rule() {
        assert!(valid_transaction_id("SBI1002-1700000000000"));
        assert!(!valid_transaction_id("abc"));
        assert!(!valid_transaction_id(&"a".repeat(51)));
        assert!(!valid_transaction_id("abc_def"));
    }
}
