//! Typed SBI client errors, each with a stable code, including the device's own error codes.

/// What went wrong talking to an SBI device.
#[derive(Debug, thiserror::Error)]
pub enum SbiError {
    #[error("cannot reach the device service on port {port}: {reason}")]
    Unreachable { port: u16, reason: String },
    #[error("the device service on port {port} answered badly: {reason}")]
    BadResponse { port: u16, reason: String },
    #[error("bad signature on the {what}: {reason}")]
    Signature { what: &'static str, reason: String },
    #[error("untrusted device certificate: {0}")]
    Untrusted(String),
    #[error("device {device_id} is not usable for capture: {reason}")]
    NotUsable { device_id: String, reason: String },
    #[error("device {device_id} is no longer offered by MOSIPDISC as it was found")]
    NotDiscovered { device_id: String },
    #[error("the hash chain breaks at capture entry {index}")]
    HashChain { index: usize },
    #[error("the capture answers transaction {found:?}, not {expected:?}")]
    Transaction { expected: String, found: String },
    #[error("the capture does not match the request: {0}")]
    Mismatch(String),
    #[error("device is busy ({code}: {info})")]
    Busy { code: String, info: String },
    #[error("device is not ready ({code}: {info})")]
    NotReady { code: String, info: String },
    #[error("device is not registered ({code}: {info})")]
    NotRegistered { code: String, info: String },
    #[error("capture timed out ({code}: {info})")]
    Timeout { code: String, info: String },
    #[error("no biometric detected ({code}: {info})")]
    NoBiometric { code: String, info: String },
    #[error("device error {code}: {info}")]
    Device { code: String, info: String },
    #[error("bad preview stream: {0}")]
    Stream(String),
    #[error(
        "no trusted {bio_type} device offers sub-id {device_sub_id}: start its device service \
         or trust its provider's CA"
    )]
    NoDevice {
        bio_type: &'static str,
        device_sub_id: u32,
    },
}

impl SbiError {
    /// The stable code shown to users and in `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            SbiError::Unreachable { .. } => "SBI_UNREACHABLE",
            SbiError::BadResponse { .. } => "SBI_BAD_RESPONSE",
            SbiError::Signature { .. } => "SBI_SIGNATURE",
            SbiError::Untrusted(_) => "SBI_UNTRUSTED",
            SbiError::NotUsable { .. } => "SBI_DEVICE_UNUSABLE",
            SbiError::NotDiscovered { .. } => "SBI_NOT_DISCOVERED",
            SbiError::HashChain { .. } => "SBI_HASH_CHAIN",
            SbiError::Transaction { .. } => "SBI_TRANSACTION",
            SbiError::Mismatch(_) => "SBI_CAPTURE_MISMATCH",
            SbiError::Busy { .. } => "SBI_BUSY",
            SbiError::NotReady { .. } => "SBI_NOT_READY",
            SbiError::NotRegistered { .. } => "SBI_NOT_REGISTERED",
            SbiError::Timeout { .. } => "SBI_TIMEOUT",
            SbiError::NoBiometric { .. } => "SBI_NO_BIOMETRIC",
            SbiError::Device { .. } => "SBI_DEVICE_ERROR",
            SbiError::Stream(_) => "SBI_STREAM",
            SbiError::NoDevice { .. } => "SBI_NO_DEVICE",
        }
    }

    /// Maps an SBI error code (§2.8, with MockMDS's vendor codes) to its typed error.
    pub fn from_device(code: &str, info: &str) -> SbiError {
        let (code, info) = (code.to_owned(), info.to_owned());
        match code.as_str() {
            "100" => SbiError::NotRegistered { code, info },
            "110" | "607" => SbiError::NotReady { code, info },
            "111" | "703" => SbiError::Busy { code, info },
            "609" | "701" => SbiError::Timeout { code, info },
            "101" | "707" | "708" => SbiError::NoBiometric { code, info },
            _ => SbiError::Device { code, info },
        }
    }
}
