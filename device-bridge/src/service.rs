//! The SBI 0.9.5 semantics, independent of HTTP: discovery, device info, registration capture
//! (validation, timeout and requestedScore loop, ISO records, signing, hash chain) and the
//! checks that open a preview stream. The HTTP layer turns bytes into calls to this module.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use enrol_schema::sbi::{
    self, BioType, CaptureBio, CaptureData, CaptureEntry, CaptureRequest, CaptureResponse,
    DeviceInfo, DeviceInfoEntry, DeviceStatus, DigitalId, DiscoverRequest, DiscoveredDevice,
    ErrorEntry, ErrorInfo, StreamRequest,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::device::{
    Acquisition, CaptureSpec, DeviceDescriptor, DeviceKind, Driver, DriverError, Registry,
    SegmentImage, Slot,
};
use crate::keys::{KeyError, KeyStore, SigningIdentity};
use crate::simulator::{SimControl, SimulatedDevice};
use crate::{iso, jp2, jws, quality};

/// Longest capture the bridge waits for (the schema docs' default, 300000 ms).
const MAX_TIMEOUT: Duration = Duration::from_millis(300_000);
/// Default STREAM timeout (spec: 5 minutes).
pub const DEFAULT_STREAM_TIMEOUT: Duration = Duration::from_secs(300);
const ENVS: [&str; 4] = ["Staging", "Developer", "Pre-Production", "Production"];

/// SBI error codes this bridge answers with (§2.8 and the MockMDS vendor codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbiError {
    NotRegistered,
    NoBiometric,
    Extraction,
    DeviceNotFound,
    CountNotSupported,
    NotReady,
    Busy,
    InvalidTransactionId,
    TypeMismatch,
    BadEnv,
    ExceptionMismatch,
    SubTypeMismatch,
    PurposeMismatch,
    BadRequest,
    InvalidVerb,
    BadDiscoveryType,
    NoDevices,
    StreamOtherSubId,
    AuthCaptureUnsupported,
}

impl SbiError {
    pub fn code(self) -> u16 {
        match self {
            SbiError::NotRegistered => 100,
            SbiError::NoBiometric => 101,
            SbiError::Extraction => 102,
            SbiError::DeviceNotFound => 106,
            SbiError::CountNotSupported => 109,
            SbiError::NotReady => 110,
            SbiError::Busy => 111,
            SbiError::InvalidTransactionId => 112,
            SbiError::TypeMismatch => 114,
            SbiError::BadEnv => 115,
            SbiError::ExceptionMismatch => 117,
            SbiError::SubTypeMismatch => 119,
            SbiError::PurposeMismatch => 121,
            SbiError::BadRequest => 123,
            SbiError::InvalidVerb => 500,
            SbiError::BadDiscoveryType => 502,
            SbiError::NoDevices => 503,
            SbiError::StreamOtherSubId => 702,
            SbiError::AuthCaptureUnsupported => 809,
        }
    }

    pub fn info(self) -> &'static str {
        match self {
            SbiError::NotRegistered => "Device not registered",
            SbiError::NoBiometric => "Unable to detect a biometric object",
            SbiError::Extraction => "Technical error during extraction",
            SbiError::DeviceNotFound => "Device not found",
            SbiError::CountNotSupported => {
                "Requested number of biometric (Finger/IRIS) not supported"
            }
            SbiError::NotReady => "Device is not ready",
            SbiError::Busy => "Device is Busy",
            SbiError::InvalidTransactionId => "Invalid Transaction ID",
            SbiError::TypeMismatch => "Device type mismatch",
            SbiError::BadEnv => "Invalid env value",
            SbiError::ExceptionMismatch => "Exception value not valid for the device sub id",
            SbiError::SubTypeMismatch => "bioSubType value not valid for the device sub id",
            SbiError::PurposeMismatch => "Purpose must be Registration",
            SbiError::BadRequest => "Invalid request JSON",
            SbiError::InvalidVerb => "Invalid URL or verb",
            SbiError::BadDiscoveryType => "Invalid type value in the discovery request",
            SbiError::NoDevices => "No devices found",
            SbiError::StreamOtherSubId => "A stream is open for another deviceSubId",
            SbiError::AuthCaptureUnsupported => {
                "CAPTURE is for L1 auth devices; this bridge serves L0 registration devices (use RCAPTURE)"
            }
        }
    }

    pub fn to_info(self) -> ErrorInfo {
        ErrorInfo::new(self.code(), self.info())
    }
}

/// Who the bridge says it is.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub port: u16,
    pub env: String,
    pub service_version: String,
    pub device_provider: String,
    pub device_provider_id: String,
}

impl BridgeConfig {
    pub fn new(port: u16) -> BridgeConfig {
        BridgeConfig {
            port,
            env: "Developer".to_string(),
            service_version: env!("CARGO_PKG_VERSION").to_string(),
            device_provider: crate::keys::PROVIDER_ORGANISATION.to_string(),
            device_provider_id: "ENROL-DP".to_string(),
        }
    }

    pub fn callback_id(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

/// Signing material of one attached device, prepared once.
#[derive(Debug, Clone)]
struct DeviceCredentials {
    identity: SigningIdentity,
    digital_id: DigitalId,
    signed_digital_id: String,
    unsigned_digital_id: String,
}

/// The SBI service: registry, keys, configuration and the simulator handle.
pub struct Bridge {
    pub registry: Arc<Registry>,
    pub config: BridgeConfig,
    pub sim: Option<Arc<SimControl>>,
    sim_devices: Vec<Arc<SimulatedDevice>>,
    keys: KeyStore,
    credentials: RwLock<HashMap<String, DeviceCredentials>>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// ISO 8601 UTC without fractions, as SBI wants (`yyyy-MM-ddTHH:mm:ssZ`).
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

impl Bridge {
    pub fn new(keys: KeyStore, config: BridgeConfig) -> Bridge {
        Bridge {
            registry: Arc::new(Registry::default()),
            config,
            sim: None,
            sim_devices: Vec::new(),
            keys,
            credentials: RwLock::new(HashMap::new()),
        }
    }

    /// Attaches a driver, creating its key and certificate on first use.
    pub fn attach(&self, driver: Arc<dyn Driver>) -> Result<String, KeyError> {
        let identity = self.keys.device(&driver.descriptor().serial_no)?;
        let credentials = self.credentials_for(driver.descriptor(), identity)?;
        let device_id = self.registry.attach(driver);
        self.credentials
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(device_id.clone(), credentials);
        Ok(device_id)
    }

    /// Rotates a device's key pair and certificate (what a management server would order).
    /// Returns false for an unknown device.
    pub fn rotate_key(&self, device_id: &str) -> Result<bool, KeyError> {
        let Some(slot) = self.registry.get(device_id) else {
            return Ok(false);
        };
        let descriptor = slot.driver.descriptor();
        let identity = self.keys.rotate_device(&descriptor.serial_no)?;
        let credentials = self.credentials_for(descriptor, identity)?;
        self.credentials
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(device_id.to_string(), credentials);
        Ok(true)
    }

    fn credentials_for(
        &self,
        descriptor: &DeviceDescriptor,
        identity: SigningIdentity,
    ) -> Result<DeviceCredentials, KeyError> {
        let digital_id = DigitalId {
            serial_no: descriptor.serial_no.clone(),
            make: descriptor.make.clone(),
            model: descriptor.model.clone(),
            bio_type: descriptor.kind.bio_type(),
            device_sub_type: descriptor.kind.device_sub_type().to_string(),
            device_provider: self.config.device_provider.clone(),
            device_provider_id: self.config.device_provider_id.clone(),
            date_time: timestamp(OffsetDateTime::now_utc()),
        };
        let signed_digital_id =
            identity
                .jws
                .sign(&digital_id)
                .map_err(|error| KeyError::Create {
                    what: "the signed digitalId",
                    message: error.to_string(),
                })?;
        Ok(DeviceCredentials {
            signed_digital_id,
            unsigned_digital_id: jws::unsigned(&digital_id),
            identity,
            digital_id,
        })
    }

    /// Attaches the simulated devices of the given kinds, sharing one control.
    pub fn attach_simulated(
        &mut self,
        kinds: &[DeviceKind],
        control: Arc<SimControl>,
    ) -> Result<(), KeyError> {
        for (position, kind) in kinds.iter().enumerate() {
            // Serial numbers (and so keys) stay stable per kind whatever else is simulated.
            let index = kinds[..position].iter().filter(|k| *k == kind).count();
            let device = Arc::new(SimulatedDevice::new(*kind, index, Arc::clone(&control)));
            self.attach(Arc::clone(&device) as Arc<dyn Driver>)?;
            self.sim_devices.push(device);
        }
        self.sim = Some(control);
        Ok(())
    }

    /// Plugs every simulated device back in.
    pub fn replug_simulated(&self) {
        for device in &self.sim_devices {
            device.replug();
        }
        for slot in self.registry.all() {
            if slot.driver.descriptor().driver == "simulator" {
                self.registry.set_connected(&slot.device_id, true);
            }
        }
    }

    fn credentials(&self, device_id: &str) -> Option<DeviceCredentials> {
        self.credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(device_id)
            .cloned()
    }

    /// `MOSIPDISC`: the devices matching the requested type.
    pub fn discover(&self, body: &[u8]) -> serde_json::Value {
        let wanted = if body.iter().all(u8::is_ascii_whitespace) {
            "Biometric Device".to_string()
        } else {
            match serde_json::from_slice::<DiscoverRequest>(body) {
                Ok(request) => request.device_type,
                Err(_) => return error_array(SbiError::BadRequest),
            }
        };
        let filter = match wanted.as_str() {
            "Biometric Device" => None,
            other => match BioType::parse(other) {
                Some(bio_type) => Some(bio_type),
                None => return error_array(SbiError::BadDiscoveryType),
            },
        };
        let devices: Vec<DiscoveredDevice> = self
            .registry
            .all()
            .iter()
            .filter(|slot| filter.is_none_or(|t| slot.driver.descriptor().kind.bio_type() == t))
            .filter_map(|slot| self.discovered(slot))
            .collect();
        if devices.is_empty() {
            return error_array(SbiError::NoDevices);
        }
        to_value(&devices)
    }

    fn discovered(&self, slot: &Slot) -> Option<DiscoveredDevice> {
        let credentials = self.credentials(&slot.device_id)?;
        let status = slot.status();
        let registered = status != DeviceStatus::NotRegistered;
        Some(DiscoveredDevice {
            device_id: slot.device_id.clone(),
            device_status: status,
            certification: "L0".to_string(),
            service_version: self.config.service_version.clone(),
            device_sub_id: sub_id_strings(slot.driver.descriptor().kind),
            callback_id: self.config.callback_id(),
            digital_id: credentials.unsigned_digital_id.clone(),
            device_code: credentials.digital_id.serial_no.clone(),
            spec_version: vec![sbi::SPEC_VERSION.to_string()],
            purpose: if registered {
                "Registration".to_string()
            } else {
                String::new()
            },
            error: status.error(),
        })
    }

    /// `MOSIPDINFO`: one signed deviceInfo per device.
    pub fn info(&self) -> serde_json::Value {
        let entries: Vec<DeviceInfoEntry> = self
            .registry
            .all()
            .iter()
            .filter_map(|slot| {
                let credentials = self.credentials(&slot.device_id)?;
                let status = slot.status();
                let kind = slot.driver.descriptor().kind;
                let registered = status != DeviceStatus::NotRegistered;
                let info = DeviceInfo {
                    device_status: status,
                    device_id: if registered {
                        slot.device_id.clone()
                    } else {
                        String::new()
                    },
                    firmware: self.config.service_version.clone(),
                    certification: "L0".to_string(),
                    service_version: self.config.service_version.clone(),
                    device_sub_id: sub_id_strings(kind),
                    callback_id: self.config.callback_id(),
                    digital_id: if registered {
                        credentials.signed_digital_id.clone()
                    } else {
                        credentials.unsigned_digital_id.clone()
                    },
                    device_code: if registered {
                        credentials.digital_id.serial_no.clone()
                    } else {
                        String::new()
                    },
                    env: if registered {
                        self.config.env.clone()
                    } else {
                        "None".to_string()
                    },
                    purpose: if registered {
                        "Registration".to_string()
                    } else {
                        String::new()
                    },
                    spec_version: vec![sbi::SPEC_VERSION.to_string()],
                };
                let device_info = if registered {
                    match credentials.identity.jws.sign(&info) {
                        Ok(signed) => signed,
                        Err(error) => {
                            tracing::error!(device = %slot.device_id, "deviceInfo not signed: {error}");
                            return None;
                        }
                    }
                } else {
                    jws::unsigned(&info)
                };
                Some(DeviceInfoEntry {
                    device_info,
                    error: status.error(),
                })
            })
            .collect();
        if entries.is_empty() {
            return error_array(SbiError::NoDevices);
        }
        to_value(&entries)
    }

    /// `RCAPTURE`: validates, captures until the score or the timeout, signs and chains.
    pub async fn rcapture(&self, body: &[u8]) -> CaptureResponse {
        match self.try_rcapture(body).await {
            Ok(response) => response,
            Err(error) => capture_error(error),
        }
    }

    async fn try_rcapture(&self, body: &[u8]) -> Result<CaptureResponse, SbiError> {
        let request: CaptureRequest =
            serde_json::from_slice(body).map_err(|_| SbiError::BadRequest)?;
        if !sbi::valid_transaction_id(&request.transaction_id) {
            return Err(SbiError::InvalidTransactionId);
        }
        if request.purpose != "Registration" {
            return Err(SbiError::PurposeMismatch);
        }
        if !ENVS.contains(&request.env.as_str()) {
            return Err(SbiError::BadEnv);
        }
        let bio = request.bio.first().ok_or(SbiError::BadRequest)?;
        let slot = self
            .registry
            .get(&bio.device_id)
            .ok_or(SbiError::DeviceNotFound)?;
        let credentials = self
            .credentials(&slot.device_id)
            .ok_or(SbiError::DeviceNotFound)?;
        let kind = slot.driver.descriptor().kind;
        if BioType::parse(&bio.bio_type) != Some(kind.bio_type()) {
            return Err(SbiError::TypeMismatch);
        }
        let spec = capture_spec(kind, bio)?;
        let previous = match bio.previous_hash.as_deref().map(str::trim) {
            None | Some("") => Sha256::digest(b"").to_vec(),
            Some(hex) => decode_hex(hex)
                .filter(|digest| digest.len() == 32)
                .ok_or(SbiError::BadRequest)?,
        };
        match slot.status() {
            DeviceStatus::NotRegistered => return Err(SbiError::NotRegistered),
            DeviceStatus::NotReady => return Err(SbiError::NotReady),
            _ => {}
        }
        let stream = slot.stream();
        if let Some(stream) = &stream
            && stream.sub_id != spec.sub_id
        {
            return Err(SbiError::StreamOtherSubId);
        }
        let _capture = slot.try_begin_capture().ok_or(SbiError::Busy)?;
        let timeout = Duration::from_millis(request.timeout).min(MAX_TIMEOUT);
        let requested = bio.requested_score.unwrap_or(0.0).clamp(0.0, 100.0);
        let deadline = Instant::now() + timeout;
        let best = self.acquire_best(&slot, &spec, requested, deadline).await;
        if let Some(stream) = stream {
            slot.end_stream(&stream.stop);
        }
        let (segments, scores, score_met) = best?;
        let context = SignContext {
            credentials,
            bio_type: kind.bio_type(),
            env: request.env.clone(),
            transaction_id: request.transaction_id.clone(),
            requested_score: sbi::score_string(requested),
            service_version: self.config.service_version.clone(),
        };
        let biometrics = tokio::task::spawn_blocking(move || {
            build_entries(&context, segments, &scores, previous)
        })
        .await
        .map_err(|_| SbiError::Extraction)??;
        // Below the requested score the best frame is returned at the timeout, never before.
        if !score_met {
            tokio::time::sleep_until(deadline.into()).await;
        }
        Ok(CaptureResponse { biometrics })
    }

    /// Acquires frames until the average quality reaches `requested` or no further frame fits
    /// before the deadline, and returns the best frame, its per-segment scores and whether the
    /// requested score was met. With no frame at all it waits out the timeout and fails (101).
    async fn acquire_best(
        &self,
        slot: &Arc<Slot>,
        spec: &CaptureSpec,
        requested: f64,
        deadline: Instant,
    ) -> Result<(Vec<SegmentImage>, Vec<f64>, bool), SbiError> {
        let mut best: Option<(Vec<SegmentImage>, Vec<f64>, f64)> = None;
        loop {
            let started = Instant::now();
            let driver = Arc::clone(&slot.driver);
            let frame_spec = spec.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                driver
                    .acquire(&frame_spec, deadline)
                    .map(|acquisition| match acquisition {
                        Acquisition::Frame(segments) => {
                            let scores =
                                parallel_map(&segments, |segment, _| score_segment(segment));
                            Some((segments, scores))
                        }
                        Acquisition::NothingPresented => None,
                    })
            })
            .await
            .map_err(|_| SbiError::Extraction)?;
            match outcome {
                Err(DriverError::Unplugged) => {
                    self.registry.set_connected(&slot.device_id, false);
                    return Err(SbiError::NotReady);
                }
                Err(_) => return Err(SbiError::Extraction),
                Ok(Some((segments, scores))) => {
                    let average = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
                    if average >= requested {
                        return Ok((segments, scores, true));
                    }
                    if best.as_ref().is_none_or(|(_, _, b)| average > *b) {
                        best = Some((segments, scores, average));
                    }
                }
                Ok(None) => {}
            }
            // Stop when another frame (plus encoding the best one) would overrun the timeout.
            let frame_time = started.elapsed();
            if Instant::now() + frame_time * 2 >= deadline {
                break;
            }
        }
        match best {
            Some((segments, scores, _)) => Ok((segments, scores, false)),
            None => {
                tokio::time::sleep_until(deadline.into()).await;
                Err(SbiError::NoBiometric)
            }
        }
    }

    /// Checks a STREAM request and opens the stream on the device.
    pub fn open_stream(
        &self,
        body: &[u8],
    ) -> Result<(Arc<Slot>, crate::device::StreamState, Duration), SbiError> {
        let request: StreamRequest =
            serde_json::from_slice(body).map_err(|_| SbiError::BadRequest)?;
        let slot = self
            .registry
            .get(&request.device_id)
            .ok_or(SbiError::DeviceNotFound)?;
        if !slot
            .driver
            .descriptor()
            .kind
            .sub_ids()
            .contains(&request.device_sub_id)
        {
            return Err(SbiError::DeviceNotFound);
        }
        match slot.status() {
            DeviceStatus::NotRegistered => return Err(SbiError::NotRegistered),
            DeviceStatus::NotReady => return Err(SbiError::NotReady),
            DeviceStatus::Busy => return Err(SbiError::Busy),
            DeviceStatus::Ready => {}
        }
        let state = slot
            .begin_stream(request.device_sub_id)
            .ok_or(SbiError::Busy)?;
        let timeout = request
            .timeout
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_STREAM_TIMEOUT)
            .min(DEFAULT_STREAM_TIMEOUT);
        Ok((slot, state, timeout))
    }

    /// `CAPTURE` (auth) is not offered by L0 registration devices.
    pub fn capture_unsupported(&self) -> CaptureResponse {
        capture_error(SbiError::AuthCaptureUnsupported)
    }
}

fn score_segment(segment: &SegmentImage) -> f64 {
    let score = match segment.image.channels {
        jp2::Channels::Rgb => quality::face(&segment.image),
        jp2::Channels::Gray
            if segment
                .bio_sub_type
                .as_deref()
                .is_some_and(|s| s == "Left" || s == "Right") =>
        {
            quality::iris(&segment.image)
        }
        jp2::Channels::Gray => quality::finger(&segment.image),
    };
    (score * 100.0).round() / 100.0
}

/// Works out which segments to capture from count, bioSubType and exception.
fn capture_spec(kind: DeviceKind, bio: &CaptureBio) -> Result<CaptureSpec, SbiError> {
    let sub_id = bio.device_sub_id;
    if !kind.sub_ids().contains(&sub_id) {
        return Err(SbiError::DeviceNotFound);
    }
    let available = kind.segments(sub_id);
    let count = bio.count as usize;
    if kind == DeviceKind::Face {
        if count != 1 {
            return Err(SbiError::CountNotSupported);
        }
        return Ok(CaptureSpec {
            sub_id,
            segments: Vec::new(),
            exception_photo: !bio.exception.is_empty(),
        });
    }
    if bio
        .exception
        .iter()
        .any(|name| !available.contains(&name.as_str()))
    {
        return Err(SbiError::ExceptionMismatch);
    }
    if count == 0 || count + bio.exception.len() > kind.max_count(sub_id) {
        return Err(SbiError::CountNotSupported);
    }
    let mut segments: Vec<String> = Vec::with_capacity(count);
    for name in bio.bio_sub_type.iter().filter(|name| *name != "UNKNOWN") {
        if !available.contains(&name.as_str()) || bio.exception.contains(name) {
            return Err(SbiError::SubTypeMismatch);
        }
        if !segments.contains(name) {
            segments.push(name.clone());
        }
    }
    for name in available {
        if segments.len() >= count {
            break;
        }
        let name = name.to_string();
        if !segments.contains(&name) && !bio.exception.contains(&name) {
            segments.push(name);
        }
    }
    if segments.len() != count {
        return Err(SbiError::CountNotSupported);
    }
    // Return in the device's natural order (index → little, left → right).
    segments.sort_by_key(|name| available.iter().position(|a| a == name));
    Ok(CaptureSpec {
        sub_id,
        segments,
        exception_photo: false,
    })
}

struct SignContext {
    credentials: DeviceCredentials,
    bio_type: BioType,
    env: String,
    transaction_id: String,
    requested_score: String,
    service_version: String,
}

/// Runs `work` over the items of one frame (at most a slap's four segments) on a scoped thread
/// each, keeping the order. Each call is told how many cores it may use itself: all of them for
/// a single item, an equal share (at least one) otherwise.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T, usize) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if items.len() <= 1 {
        return items.iter().map(|item| work(item, cores)).collect();
    }
    let cores_each = (cores / items.len()).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || work(item, cores_each)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Encodes, records and signs the captured segments in parallel (CPU-bound; runs on a blocking
/// thread), then chains their hashes in order.
fn build_entries(
    context: &SignContext,
    segments: Vec<SegmentImage>,
    scores: &[f64],
    mut previous: Vec<u8>,
) -> Result<Vec<CaptureEntry>, SbiError> {
    let now = OffsetDateTime::now_utc();
    let indexed: Vec<(&SegmentImage, f64)> = segments.iter().zip(scores.iter().copied()).collect();
    let signed = parallel_map(&indexed, |(segment, score), cores| {
        sign_segment(context, segment, *score, now, cores)
    });
    let mut entries = Vec::with_capacity(signed.len());
    for result in signed {
        let (record_digest, data) = result?;
        let hash = chain_hash(&previous, &record_digest);
        previous = hash.to_vec();
        entries.push(CaptureEntry {
            spec_version: sbi::SPEC_VERSION.to_string(),
            data,
            hash: hex_upper(&hash),
            error: ErrorInfo::success(),
        });
    }
    Ok(entries)
}

/// One segment's ISO record digest and its signed capture data.
fn sign_segment(
    context: &SignContext,
    segment: &SegmentImage,
    score: f64,
    now: OffsetDateTime,
    cores: usize,
) -> Result<([u8; 32], String), SbiError> {
    let image = &segment.image;
    let encoded = jp2::encode_lossless(
        image.width,
        image.height,
        image.channels,
        &image.pixels,
        cores,
    )
    .map_err(|_| SbiError::Extraction)?;
    let (w, h) = (image.width as u16, image.height as u16);
    let iso_quality = score.round() as u8;
    let record = match (context.bio_type, segment.bio_sub_type.as_deref()) {
        (BioType::Finger, Some(name)) => {
            iso::finger_record(iso::finger_position(name), w, h, iso_quality, &encoded, now)
        }
        (BioType::Iris, Some(name)) => {
            iso::iris_record(iso::eye_label(name), w, h, iso_quality, &encoded, now)
        }
        _ => iso::face_record(w, h, iso_quality, &encoded, now),
    };
    let data = CaptureData {
        digital_id: context.credentials.signed_digital_id.clone(),
        device_code: context.credentials.digital_id.serial_no.clone(),
        device_service_version: context.service_version.clone(),
        bio_type: context.bio_type,
        bio_sub_type: segment.bio_sub_type.clone(),
        purpose: "Registration".to_string(),
        env: context.env.clone(),
        bio_value: jws::b64url(&record),
        transaction_id: context.transaction_id.clone(),
        timestamp: timestamp(now),
        requested_score: context.requested_score.clone(),
        quality_score: sbi::score_string(score),
    };
    let signed = context
        .credentials
        .identity
        .jws
        .sign(&data)
        .map_err(|_| SbiError::Extraction)?;
    Ok((Sha256::digest(&record).into(), signed))
}

/// §3.5: SHA256(previous raw digest ‖ SHA256(ISO bytes)), given SHA256(ISO bytes).
pub fn chain_hash(previous: &[u8], record_digest: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(record_digest);
    hasher.finalize().into()
}

pub fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn sub_id_strings(kind: DeviceKind) -> Vec<String> {
    kind.sub_ids().iter().map(u32::to_string).collect()
}

fn to_value<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

pub fn error_array(error: SbiError) -> serde_json::Value {
    to_value(&[ErrorEntry {
        error: error.to_info(),
    }])
}

pub fn capture_error(error: SbiError) -> CaptureResponse {
    CaptureResponse {
        biometrics: vec![CaptureEntry::error(error.to_info())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bio(count: u32, sub_types: &[&str], exceptions: &[&str], sub_id: u32) -> CaptureBio {
        CaptureBio {
            bio_type: "Finger".into(),
            count,
            bio_sub_type: sub_types.iter().map(|s| s.to_string()).collect(),
            exception: exceptions.iter().map(|s| s.to_string()).collect(),
            requested_score: None,
            device_id: "1".into(),
            device_sub_id: sub_id,
            previous_hash: None,
        }
    }

    #[track_caller]
    fn check_spec(kind: DeviceKind, bio: CaptureBio, expected: Result<&[&str], SbiError>) {
        let got = capture_spec(kind, &bio).map(|spec| spec.segments);
        let expected =
            expected.map(|names| names.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(got, expected);
    }

    #[test]
    fn segments_follow_count_subtypes_and_exceptions() {
        use DeviceKind::*;
        check_spec(
            FingerSlap,
            bio(4, &[], &[], 1),
            Ok(&crate::device::LEFT_SLAP),
        );
        check_spec(
            FingerSlap,
            bio(3, &["UNKNOWN"], &["Left MiddleFinger"], 1),
            Ok(&["Left IndexFinger", "Left RingFinger", "Left LittleFinger"]),
        );
        check_spec(
            FingerSlap,
            bio(2, &["Right Thumb", "Left Thumb"], &[], 3),
            Ok(&["Left Thumb", "Right Thumb"]),
        );
        check_spec(
            FingerSlap,
            bio(5, &[], &[], 1),
            Err(SbiError::CountNotSupported),
        );
        check_spec(
            FingerSlap,
            bio(0, &[], &crate::device::LEFT_SLAP, 1),
            Err(SbiError::CountNotSupported),
        );
        check_spec(
            FingerSlap,
            bio(1, &["Right IndexFinger"], &[], 1),
            Err(SbiError::SubTypeMismatch),
        );
        check_spec(
            FingerSlap,
            bio(3, &[], &["Right Thumb"], 1),
            Err(SbiError::ExceptionMismatch),
        );
        check_spec(
            FingerSlap,
            bio(4, &[], &[], 0),
            Err(SbiError::DeviceNotFound),
        );
        check_spec(IrisDouble, bio(1, &[], &["Left"], 3), Ok(&["Right"]));
        check_spec(Face, bio(1, &[], &[], 0), Ok(&[]));
        check_spec(Face, bio(2, &[], &[], 0), Err(SbiError::CountNotSupported));
    }

    #[test]
    fn hash_chain_matches_the_byte_definition() {
        let empty = Sha256::digest(b"");
        let first = chain_hash(&empty, &Sha256::digest(b"iso"));
        let mut manual = Sha256::new();
        manual.update(empty);
        manual.update(Sha256::digest(b"iso"));
        assert_eq!(first.to_vec(), manual.finalize().to_vec());
        let hex = hex_upper(&first);
        assert_eq!(hex.len(), 64);
        assert_eq!(decode_hex(&hex.to_lowercase()), Some(first.to_vec()));
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("abc"), None);
    }

    #[test]
    fn timestamps_have_no_fraction() {
        assert_eq!(
            timestamp(OffsetDateTime::UNIX_EPOCH),
            "1970-01-01T00:00:00Z"
        );
    }
}
