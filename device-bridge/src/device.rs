//! The narrow driver contract every device implements (simulated, serial, USB), the device kinds
//! the SBI exposes, and the registry that owns the live devices and broadcasts hot-plug events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use enrol_schema::sbi::{BioType, DeviceStatus};
use tokio::sync::broadcast;

use crate::synth::Raster;

/// The device classes the bridge exposes over SBI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// 4-4-2 slap scanner: sub-id 1 left slap, 2 right slap, 3 both thumbs.
    FingerSlap,
    /// One finger at a time, sub-id 0.
    FingerSingle,
    /// Both eyes: sub-id 1 left, 2 right, 3 both.
    IrisDouble,
    /// Full face camera, sub-id 0.
    Face,
}

pub const LEFT_SLAP: [&str; 4] = [
    "Left IndexFinger",
    "Left MiddleFinger",
    "Left RingFinger",
    "Left LittleFinger",
];
pub const RIGHT_SLAP: [&str; 4] = [
    "Right IndexFinger",
    "Right MiddleFinger",
    "Right RingFinger",
    "Right LittleFinger",
];
pub const THUMBS: [&str; 2] = ["Left Thumb", "Right Thumb"];

impl DeviceKind {
    pub const ALL: [DeviceKind; 4] = [
        DeviceKind::FingerSlap,
        DeviceKind::FingerSingle,
        DeviceKind::IrisDouble,
        DeviceKind::Face,
    ];

    /// The command-line name (`finger-slap`, `finger-single`, `iris`, `face`).
    pub fn cli_name(self) -> &'static str {
        match self {
            DeviceKind::FingerSlap => "finger-slap",
            DeviceKind::FingerSingle => "finger-single",
            DeviceKind::IrisDouble => "iris",
            DeviceKind::Face => "face",
        }
    }

    pub fn from_cli_name(name: &str) -> Option<DeviceKind> {
        DeviceKind::ALL
            .into_iter()
            .find(|kind| kind.cli_name() == name.trim())
    }

    pub fn bio_type(self) -> BioType {
        match self {
            DeviceKind::FingerSlap | DeviceKind::FingerSingle => BioType::Finger,
            DeviceKind::IrisDouble => BioType::Iris,
            DeviceKind::Face => BioType::Face,
        }
    }

    /// `deviceSubType` in the digital ID.
    pub fn device_sub_type(self) -> &'static str {
        match self {
            DeviceKind::FingerSlap => "Slap",
            DeviceKind::FingerSingle => "Single",
            DeviceKind::IrisDouble => "Double",
            DeviceKind::Face => "Full face",
        }
    }

    pub fn sub_ids(self) -> &'static [u32] {
        match self {
            DeviceKind::FingerSlap | DeviceKind::IrisDouble => &[1, 2, 3],
            DeviceKind::FingerSingle | DeviceKind::Face => &[0],
        }
    }

    /// The segments a sub-id can deliver, in the order they are returned (index → little).
    pub fn segments(self, sub_id: u32) -> &'static [&'static str] {
        match (self, sub_id) {
            (DeviceKind::FingerSlap, 1) => &LEFT_SLAP,
            (DeviceKind::FingerSlap, 2) => &RIGHT_SLAP,
            (DeviceKind::FingerSlap, 3) => &THUMBS,
            (DeviceKind::FingerSingle, 0) => &[
                "Left IndexFinger",
                "Left MiddleFinger",
                "Left RingFinger",
                "Left LittleFinger",
                "Left Thumb",
                "Right IndexFinger",
                "Right MiddleFinger",
                "Right RingFinger",
                "Right LittleFinger",
                "Right Thumb",
            ],
            (DeviceKind::IrisDouble, 1) => &["Left"],
            (DeviceKind::IrisDouble, 2) => &["Right"],
            (DeviceKind::IrisDouble, 3) => &["Left", "Right"],
            _ => &[],
        }
    }

    /// How many segments a capture of this sub-id returns at most (count + exceptions).
    pub fn max_count(self, sub_id: u32) -> usize {
        match self {
            DeviceKind::FingerSingle | DeviceKind::Face => 1,
            _ => self.segments(sub_id).len(),
        }
    }
}

/// Identity of a device as a driver reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDescriptor {
    pub kind: DeviceKind,
    /// ≥ 12 alphanumerics, unique per device.
    pub serial_no: String,
    pub make: String,
    pub model: String,
    /// Which driver serves it (`simulator`, `r30x`, …), for `enrol-bridge devices`.
    pub driver: &'static str,
}

/// What a capture asks of a driver: the sub-id and the segments to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSpec {
    pub sub_id: u32,
    /// Segment names (bioSubType) to deliver; empty for face.
    pub segments: Vec<String>,
    /// Face with exceptions: an exception photo (waist-up with palms) is wanted.
    pub exception_photo: bool,
}

/// One segment of a frame: one finger, one eye, or the face.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentImage {
    pub bio_sub_type: Option<String>,
    pub image: Raster,
}

/// What one acquisition attempt yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Acquisition {
    Frame(Vec<SegmentImage>),
    /// Nothing was presented before the deadline.
    NothingPresented,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    #[error("device was unplugged")]
    Unplugged,
    #[error("device did not answer in time")]
    Timeout,
    #[error("device protocol error: {0}")]
    Protocol(String),
    #[error("device i/o error: {0}")]
    Io(String),
}

impl DriverError {
    pub fn code(&self) -> &'static str {
        match self {
            DriverError::Unplugged => "DEVICE_UNPLUGGED",
            DriverError::Timeout => "DEVICE_TIMEOUT",
            DriverError::Protocol(_) => "DEVICE_PROTOCOL",
            DriverError::Io(_) => "DEVICE_IO",
        }
    }
}

/// The contract between the SBI service and a device. Calls block (they run on blocking threads)
/// and never wait past the deadline they are given.
pub trait Driver: Send + Sync {
    fn descriptor(&self) -> &DeviceDescriptor;
    /// Acquires one frame for `spec`, returning by `deadline`.
    fn acquire(&self, spec: &CaptureSpec, deadline: Instant) -> Result<Acquisition, DriverError>;
    /// One preview frame for STREAM (grey or RGB, any size).
    fn preview(&self, sub_id: u32, frame_no: u64) -> Result<Raster, DriverError>;
}

/// A hot-plug event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryEvent {
    Attached { device_id: String },
    Detached { device_id: String },
}

/// A live device: the driver plus the SBI-side state.
pub struct Slot {
    pub device_id: String,
    pub driver: Arc<dyn Driver>,
    connected: AtomicBool,
    capturing: AtomicBool,
    streaming: Mutex<Option<StreamState>>,
    status_override: RwLock<Option<DeviceStatus>>,
}

/// The stream currently open on a device.
#[derive(Debug, Clone)]
pub struct StreamState {
    pub sub_id: u32,
    pub stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("device_id", &self.device_id)
            .field("descriptor", self.driver.descriptor())
            .finish_non_exhaustive()
    }
}

/// Releases the capture flag when a capture ends, however it ends.
#[derive(Debug)]
pub struct CaptureGuard(Arc<Slot>);

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        self.0.capturing.store(false, Ordering::SeqCst);
    }
}

impl Slot {
    /// The status SBI reports: an administrator override, else Not Ready when unplugged, Busy
    /// while capturing or streaming, Ready otherwise.
    pub fn status(&self) -> DeviceStatus {
        if let Some(status) = *self
            .status_override
            .read()
            .unwrap_or_else(|e| e.into_inner())
        {
            return status;
        }
        if !self.connected.load(Ordering::SeqCst) {
            DeviceStatus::NotReady
        } else if self.capturing.load(Ordering::SeqCst) || self.stream().is_some() {
            DeviceStatus::Busy
        } else {
            DeviceStatus::Ready
        }
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Claims the device for one capture; `None` when a capture already runs.
    pub fn try_begin_capture(self: &Arc<Self>) -> Option<CaptureGuard> {
        self.capturing
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .ok()
            .map(|_| CaptureGuard(Arc::clone(self)))
    }

    pub fn stream(&self) -> Option<StreamState> {
        self.streaming
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Opens a stream; `None` when one is already open.
    pub fn begin_stream(&self, sub_id: u32) -> Option<StreamState> {
        let mut current = self.streaming.lock().unwrap_or_else(|e| e.into_inner());
        if current.is_some() {
            return None;
        }
        let state = StreamState {
            sub_id,
            stop: Arc::new(AtomicBool::new(false)),
        };
        *current = Some(state.clone());
        Some(state)
    }

    /// Ends the stream identified by `stop` (no effect if another stream replaced it).
    pub fn end_stream(&self, stop: &Arc<AtomicBool>) {
        stop.store(true, Ordering::SeqCst);
        let mut current = self.streaming.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|s| Arc::ptr_eq(&s.stop, stop)) {
            *current = None;
        }
    }

    pub fn set_status_override(&self, status: Option<DeviceStatus>) {
        *self
            .status_override
            .write()
            .unwrap_or_else(|e| e.into_inner()) = status;
    }
}

/// The set of devices the bridge serves, with hot-plug notifications.
#[derive(Debug)]
pub struct Registry {
    slots: RwLock<Vec<Arc<Slot>>>,
    events: broadcast::Sender<RegistryEvent>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            slots: RwLock::new(Vec::new()),
            events: broadcast::channel(64).0,
        }
    }
}

impl Registry {
    /// Adds a device and returns its SBI deviceId (1, 2, 3, … in attach order).
    pub fn attach(&self, driver: Arc<dyn Driver>) -> String {
        let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
        let device_id = (slots.len() + 1).to_string();
        slots.push(Arc::new(Slot {
            device_id: device_id.clone(),
            driver,
            connected: AtomicBool::new(true),
            capturing: AtomicBool::new(false),
            streaming: Mutex::new(None),
            status_override: RwLock::new(None),
        }));
        let _ = self.events.send(RegistryEvent::Attached {
            device_id: device_id.clone(),
        });
        device_id
    }

    /// Marks a device unplugged (it stays listed as Not Ready) or plugged back in.
    pub fn set_connected(&self, device_id: &str, connected: bool) {
        if let Some(slot) = self.get(device_id) {
            let was = slot.connected.swap(connected, Ordering::SeqCst);
            if was != connected {
                let device_id = device_id.to_string();
                let _ = self.events.send(if connected {
                    RegistryEvent::Attached { device_id }
                } else {
                    RegistryEvent::Detached { device_id }
                });
            }
        }
    }

    pub fn get(&self, device_id: &str) -> Option<Arc<Slot>> {
        self.slots
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|slot| slot.device_id == device_id)
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<Slot>> {
        self.slots.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<RegistryEvent> {
        self.events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(DeviceDescriptor);

    impl Driver for Fixed {
        fn descriptor(&self) -> &DeviceDescriptor {
            &self.0
        }
        fn acquire(&self, _: &CaptureSpec, _: Instant) -> Result<Acquisition, DriverError> {
            Ok(Acquisition::NothingPresented)
        }
        fn preview(&self, _: u32, _: u64) -> Result<Raster, DriverError> {
            Err(DriverError::Unplugged)
        }
    }

    fn fixed() -> Arc<dyn Driver> {
        Arc::new(Fixed(DeviceDescriptor {
            kind: DeviceKind::Face,
            serial_no: "FIXED0000001".into(),
            make: "Test".into(),
            model: "Fixed".into(),
            driver: "test",
        }))
    }

    #[test]
    fn status_follows_capture_stream_and_plug_state() {
        let registry = Registry::default();
        let mut events = registry.subscribe();
        let id = registry.attach(fixed());
        assert_eq!(
            events.try_recv().ok(),
            Some(RegistryEvent::Attached {
                device_id: id.clone()
            })
        );
        let slot = registry.get(&id).expect("attached");
        assert_eq!(slot.status(), DeviceStatus::Ready);
        let guard = slot.try_begin_capture().expect("free");
        assert!(
            slot.try_begin_capture().is_none(),
            "a second capture is refused"
        );
        assert_eq!(slot.status(), DeviceStatus::Busy);
        drop(guard);
        assert_eq!(slot.status(), DeviceStatus::Ready);
        let stream = slot.begin_stream(0).expect("stream opens");
        assert!(slot.begin_stream(0).is_none());
        assert_eq!(slot.status(), DeviceStatus::Busy);
        slot.end_stream(&stream.stop);
        assert_eq!(slot.status(), DeviceStatus::Ready);
        registry.set_connected(&id, false);
        assert_eq!(
            events.try_recv().ok(),
            Some(RegistryEvent::Detached {
                device_id: id.clone()
            })
        );
        assert_eq!(slot.status(), DeviceStatus::NotReady);
        slot.set_status_override(Some(DeviceStatus::NotRegistered));
        assert_eq!(slot.status(), DeviceStatus::NotRegistered);
    }

    #[test]
    fn kinds_map_to_sbi_names() {
        assert_eq!(
            DeviceKind::from_cli_name("iris"),
            Some(DeviceKind::IrisDouble)
        );
        assert_eq!(DeviceKind::from_cli_name("palm"), None);
        assert_eq!(DeviceKind::FingerSlap.segments(3), &THUMBS);
        assert_eq!(DeviceKind::IrisDouble.max_count(3), 2);
        assert_eq!(DeviceKind::Face.device_sub_type(), "Full face");
    }
}
