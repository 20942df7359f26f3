//! The biometric device picker's commands: discovery of the SBI devices on this machine (judged
//! against the device providers the store trusts) and a device's live STREAM preview, whose
//! JPEG frames reach the front end as base64 text through a channel (Tauri's IPC on Linux would
//! turn raw bytes into a JSON array of numbers, several times larger).

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use enrol_client::sbi::{self, DiscoveryOptions, FoundDevice, Verdict};
use enrol_schema::sbi::{BioType, DeviceStatus};
use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;

use super::with_session;
use crate::error::CommandError;
use crate::state::AppState;

/// Longest a preview may run when no capture ends it first.
const PREVIEW_LIMIT: Duration = Duration::from_secs(120);
/// Shortest time between two frames handed to the front end: a preview needs no more than
/// 10 fps, and every frame is a decode in the web process, so faster devices' frames are dropped.
const PREVIEW_FRAME_INTERVAL: Duration = Duration::from_millis(100);

/// A device as the picker lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub port: u16,
    pub device_id: String,
    pub bio_type: Option<BioType>,
    pub device_sub_type: String,
    pub sub_ids: Vec<u32>,
    pub status: DeviceStatus,
    pub make: String,
    pub model: String,
    pub serial_no: String,
    pub trusted: bool,
    /// Why an untrusted device may not be used (`SBI_*` code).
    pub refusal: Option<String>,
}

impl From<&FoundDevice> for DeviceView {
    fn from(device: &FoundDevice) -> DeviceView {
        let id = device.digital_id.as_ref();
        let text = |value: Option<&String>| value.cloned().unwrap_or_default();
        DeviceView {
            port: device.port,
            device_id: device.info.device_id.clone(),
            bio_type: id.map(|id| id.bio_type),
            device_sub_type: text(id.map(|id| &id.device_sub_type)),
            sub_ids: device
                .info
                .device_sub_id
                .iter()
                .filter_map(|sub| sub.trim().parse().ok())
                .collect(),
            status: device.info.device_status,
            make: text(id.map(|id| &id.make)),
            model: text(id.map(|id| &id.model)),
            serial_no: text(id.map(|id| &id.serial_no)),
            trusted: device.is_trusted(),
            refusal: match &device.verdict {
                Verdict::Trusted => None,
                Verdict::Rejected { code, .. } => Some(code.clone()),
            },
        }
    }
}

/// Scans the SBI ports and keeps what it found for captures and previews.
#[tauri::command(async)]
pub fn discover_devices(state: State<'_, AppState>) -> Result<Vec<DeviceView>, CommandError> {
    let options = DiscoveryOptions {
        ports: state.sbi.ports.clone(),
        ..DiscoveryOptions::default()
    };
    let found = with_session(&state, |session| session.discover_devices(&options))?;
    let views = found.devices.iter().map(DeviceView::from).collect();
    state.keep_devices(found.devices);
    Ok(views)
}

/// Streams a device's preview (at most 10 frames a second) until the capture that follows ends it, the device stops, or
/// the front end goes away; resolves then, or fails with the device's `SBI_*` error.
#[tauri::command(async)]
pub fn preview_stream(
    state: State<'_, AppState>,
    port: u16,
    device_id: String,
    device_sub_id: u32,
    frames: Channel<String>,
) -> Result<(), CommandError> {
    let device = state.device(port, &device_id)?;
    let stream =
        sbi::stream(&device, device_sub_id, PREVIEW_LIMIT).map_err(enrol_client::Error::from)?;
    let mut last_sent: Option<Instant> = None;
    for frame in stream {
        let frame = frame.map_err(enrol_client::Error::from)?;
        if last_sent.is_some_and(|sent| sent.elapsed() < PREVIEW_FRAME_INTERVAL) {
            continue;
        }
        last_sent = Some(Instant::now());
        if frames.send(STANDARD.encode(frame)).is_err() {
            break;
        }
    }
    Ok(())
}
