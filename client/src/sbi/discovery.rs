//! Parallel device discovery over a port range, as MOSIP's registration client does it (§1.4):
//! `MOSIPDINFO /info` on every port, then each deviceInfo and digitalId JWS verified against its
//! `x5c` certificate and that certificate checked against the trusted device-provider CAs.

use std::ops::RangeInclusive;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use enrol_schema::sbi::{DeviceInfo, DeviceInfoEntry, DeviceStatus, DigitalId};
use serde::Serialize;

use super::error::SbiError;
use super::http::{self, Timeouts};
use super::jws;
use super::trust::TrustedCas;

/// The SBI port range (§1.1).
pub const PORTS: RangeInclusive<u16> = 4501..=4600;
/// Largest deviceInfo answer read.
const INFO_LIMIT: u64 = 1 << 20;

/// How to scan.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    pub ports: RangeInclusive<u16>,
    /// Loopback refuses closed ports at once; this bounds a port that accepts but hangs.
    pub connect_timeout: Duration,
    /// The whole MOSIPDINFO exchange of one port.
    pub info_timeout: Duration,
    pub workers: usize,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            ports: PORTS,
            connect_timeout: Duration::from_millis(500),
            info_timeout: Duration::from_secs(5),
            workers: 16,
        }
    }
}

/// Whether a found device may be used for capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "camelCase")]
pub enum Verdict {
    /// Signatures verified and the certificate chains to a trusted CA.
    Trusted,
    /// Listed only; never used for capture.
    Rejected { code: String, reason: String },
}

/// One device a service described in its MOSIPDINFO answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundDevice {
    pub port: u16,
    pub info: DeviceInfo,
    /// The decoded digitalId (from the signed form when the device is registered).
    pub digital_id: Option<DigitalId>,
    #[serde(skip)]
    pub certificate_der: Vec<u8>,
    pub verdict: Verdict,
}

impl FoundDevice {
    pub fn is_trusted(&self) -> bool {
        self.verdict == Verdict::Trusted
    }
}

/// A port that answered, but not with usable device info.
#[derive(Debug, Clone, Serialize)]
pub struct PortProblem {
    pub port: u16,
    pub code: &'static str,
    pub reason: String,
}

/// Everything a scan found, ordered by port.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Discovery {
    pub devices: Vec<FoundDevice>,
    pub problems: Vec<PortProblem>,
}

/// Scans `options.ports` in parallel and judges every device against `trusted`.
pub fn discover(options: &DiscoveryOptions, trusted: &TrustedCas) -> Discovery {
    let ports: Vec<u16> = options.ports.clone().collect();
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Discovery::default());
    let timeouts = Timeouts {
        connect: options.connect_timeout,
        total: Some(options.info_timeout),
    };
    std::thread::scope(|scope| {
        for _ in 0..options.workers.clamp(1, ports.len().max(1)) {
            scope.spawn(|| {
                while let Some(&port) = ports.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = probe(port, timeouts, trusted);
                    let mut found = found.lock().unwrap_or_else(|poison| poison.into_inner());
                    match outcome {
                        Ok(devices) => found.devices.extend(devices),
                        Err(SbiError::Unreachable { .. }) => {}
                        Err(error) => found.problems.push(PortProblem {
                            port,
                            code: error.code(),
                            reason: error.to_string(),
                        }),
                    }
                }
            });
        }
    });
    let mut found = found
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    found
        .devices
        .sort_by(|a, b| (a.port, &a.info.device_id).cmp(&(b.port, &b.info.device_id)));
    found.problems.sort_by_key(|problem| problem.port);
    found
}

/// Asks one port for its device info.
pub fn probe(
    port: u16,
    timeouts: Timeouts,
    trusted: &TrustedCas,
) -> Result<Vec<FoundDevice>, SbiError> {
    let body = http::call(
        port,
        "MOSIPDINFO",
        "/info",
        Vec::new(),
        timeouts,
        INFO_LIMIT,
    )?;
    let entries: Vec<DeviceInfoEntry> =
        serde_json::from_slice(&body).map_err(|e| SbiError::BadResponse {
            port,
            reason: format!("not a deviceInfo array: {e}"),
        })?;
    let now = SystemTime::now();
    entries
        .iter()
        .filter(|entry| !entry.device_info.is_empty())
        .map(|entry| judge(port, &entry.device_info, trusted, now))
        .collect()
}

/// Decodes one deviceInfo block and decides whether it may be used.
fn judge(
    port: u16,
    device_info: &str,
    trusted: &TrustedCas,
    now: SystemTime,
) -> Result<FoundDevice, SbiError> {
    let bad = |reason: String| SbiError::BadResponse { port, reason };
    let signed = device_info.contains('.');
    let (payload, info_check) = if signed {
        match jws::verify(device_info, "deviceInfo") {
            Ok(verified) => (verified.payload.clone(), Ok(verified)),
            Err(error) => {
                // Still list the device: decode the payload without trusting it.
                let payload = device_info
                    .split('.')
                    .nth(1)
                    .and_then(jws::b64url_decode)
                    .ok_or_else(|| bad("unreadable deviceInfo".into()))?;
                (payload, Err(error))
            }
        }
    } else {
        (
            jws::unsigned_payload(device_info, "deviceInfo")?,
            Err(not_registered()),
        )
    };
    let info: DeviceInfo =
        serde_json::from_slice(&payload).map_err(|e| bad(format!("bad deviceInfo: {e}")))?;
    let digital = if info.digital_id.contains('.') {
        jws::verify(&info.digital_id, "digitalId")
    } else {
        Err(not_registered())
    };
    let digital_id = match &digital {
        Ok(verified) => serde_json::from_slice::<DigitalId>(&verified.payload).ok(),
        Err(_) => info
            .digital_id
            .split('.')
            .find_map(|part| serde_json::from_slice(&jws::b64url_decode(part)?).ok()),
    };
    let verdict = (|| {
        if info.device_status == DeviceStatus::NotRegistered {
            return Err(not_registered());
        }
        let info_verified = info_check?;
        let digital_verified = digital?;
        if digital_id.is_none() {
            return Err(bad("unreadable digitalId payload".into()));
        }
        trusted.check(&info_verified.certificate_der, now)?;
        trusted.check(&digital_verified.certificate_der, now)?;
        Ok(info_verified.certificate_der)
    })();
    let (verdict, certificate_der) = match verdict {
        Ok(der) => (Verdict::Trusted, der),
        Err(error) => (
            Verdict::Rejected {
                code: error.code().to_owned(),
                reason: error.to_string(),
            },
            Vec::new(),
        ),
    };
    Ok(FoundDevice {
        port,
        info,
        digital_id,
        certificate_der,
        verdict,
    })
}

fn not_registered() -> SbiError {
    SbiError::NotRegistered {
        code: "100".into(),
        info: "the device has no signed deviceInfo or digitalId".into(),
    }
}
