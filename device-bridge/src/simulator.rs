//! Simulated devices (finger slap 4-4-2, single finger, double iris, face) producing synthetic
//! images with a quality knob, a per-frame latency and injectable faults. The settings are
//! shared by all simulated devices and can be changed while the bridge runs; everything is
//! deterministic for a given seed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::device::{
    Acquisition, CaptureSpec, DeviceDescriptor, DeviceKind, Driver, DriverError, SegmentImage,
};
use crate::synth::{self, Raster};

/// A fault the simulator injects into captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    #[default]
    None,
    /// The device is unplugged half-way through the next capture (one shot).
    Unplug,
    /// Nothing is presented: captures wait for their timeout and find no biometric.
    Timeout,
    /// Every frame comes out at quality 15 whatever the knob says.
    LowQuality,
}

impl Fault {
    pub fn parse(text: &str) -> Option<Fault> {
        serde_json::from_value(serde_json::Value::String(text.trim().to_string())).ok()
    }
}

/// The simulator knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimSettings {
    /// 0–100: image quality of the synthetic frames.
    pub quality: u8,
    /// Time to produce one frame.
    pub latency_ms: u64,
    pub fault: Fault,
    pub seed: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            quality: 80,
            latency_ms: 50,
            fault: Fault::None,
            seed: 1,
        }
    }
}

/// Settings shared by the simulated devices, changeable at run time.
#[derive(Debug, Default)]
pub struct SimControl {
    settings: RwLock<SimSettings>,
}

impl SimControl {
    pub fn new(settings: SimSettings) -> Arc<SimControl> {
        Arc::new(SimControl {
            settings: RwLock::new(settings),
        })
    }

    pub fn get(&self) -> SimSettings {
        *self.settings.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set(&self, settings: SimSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    fn take_unplug(&self) -> bool {
        let mut settings = self.settings.write().unwrap_or_else(|e| e.into_inner());
        if settings.fault == Fault::Unplug {
            settings.fault = Fault::None;
            true
        } else {
            false
        }
    }
}

pub const FINGER_SIZE: (u32, u32) = (280, 360);
pub const IRIS_SIZE: (u32, u32) = (640, 480);
pub const FACE_SIZE: (u32, u32) = (480, 640);
pub const PREVIEW_SIZE: (u32, u32) = (640, 480);

/// One simulated device.
pub struct SimulatedDevice {
    descriptor: DeviceDescriptor,
    control: Arc<SimControl>,
    frames: AtomicU64,
    unplugged: AtomicBool,
    previews: Mutex<HashMap<u32, Arc<Raster>>>,
}

impl SimulatedDevice {
    pub fn new(kind: DeviceKind, index: usize, control: Arc<SimControl>) -> SimulatedDevice {
        let model = match kind {
            DeviceKind::FingerSlap => "SIM-SLAP-442",
            DeviceKind::FingerSingle => "SIM-FINGER-1",
            DeviceKind::IrisDouble => "SIM-IRIS-2",
            DeviceKind::Face => "SIM-FACE-1",
        };
        SimulatedDevice {
            descriptor: DeviceDescriptor {
                kind,
                serial_no: format!("ENROLSIM{:04}{:02}", kind as u8 + 1, index),
                make: "Enrol".to_string(),
                model: model.to_string(),
                driver: "simulator",
            },
            control,
            frames: AtomicU64::new(0),
            unplugged: AtomicBool::new(false),
            previews: Mutex::new(HashMap::new()),
        }
    }

    /// Plugs the device back in after an unplug fault.
    pub fn replug(&self) {
        self.unplugged.store(false, Ordering::SeqCst);
    }

    fn wait_until(until: Instant) {
        let now = Instant::now();
        if until > now {
            std::thread::sleep(until - now);
        }
    }

    fn render(&self, spec: &CaptureSpec, settings: &SimSettings, frame: u64) -> Vec<SegmentImage> {
        let quality = if settings.fault == Fault::LowQuality {
            15
        } else {
            settings.quality
        };
        let seed = |segment: usize| {
            settings
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(frame * 97 + segment as u64 * 13 + self.descriptor.kind as u64)
        };
        match self.descriptor.kind {
            DeviceKind::Face => vec![SegmentImage {
                bio_sub_type: None,
                image: synth::face(
                    FACE_SIZE.0,
                    FACE_SIZE.1,
                    quality,
                    seed(0),
                    spec.exception_photo,
                ),
            }],
            DeviceKind::IrisDouble => spec
                .segments
                .iter()
                .enumerate()
                .map(|(index, name)| SegmentImage {
                    bio_sub_type: Some(name.clone()),
                    image: synth::iris(IRIS_SIZE.0, IRIS_SIZE.1, quality, seed(index)),
                })
                .collect(),
            DeviceKind::FingerSlap | DeviceKind::FingerSingle => spec
                .segments
                .iter()
                .enumerate()
                .map(|(index, name)| SegmentImage {
                    bio_sub_type: Some(name.clone()),
                    image: synth::fingerprint(FINGER_SIZE.0, FINGER_SIZE.1, quality, seed(index)),
                })
                .collect(),
        }
    }
}

impl Driver for SimulatedDevice {
    fn descriptor(&self) -> &DeviceDescriptor {
        &self.descriptor
    }

    fn acquire(&self, spec: &CaptureSpec, deadline: Instant) -> Result<Acquisition, DriverError> {
        if self.unplugged.load(Ordering::SeqCst) {
            return Err(DriverError::Unplugged);
        }
        let settings = self.control.get();
        let started = Instant::now();
        let latency = Duration::from_millis(settings.latency_ms);
        match settings.fault {
            Fault::Timeout => {
                Self::wait_until(deadline);
                return Ok(Acquisition::NothingPresented);
            }
            Fault::Unplug if self.control.take_unplug() => {
                Self::wait_until((started + latency / 2).min(deadline));
                self.unplugged.store(true, Ordering::SeqCst);
                return Err(DriverError::Unplugged);
            }
            _ => {}
        }
        let frame = self.frames.fetch_add(1, Ordering::SeqCst);
        let segments = self.render(spec, &settings, frame);
        Self::wait_until((started + latency).min(deadline));
        Ok(Acquisition::Frame(segments))
    }

    fn preview(&self, sub_id: u32, frame_no: u64) -> Result<Raster, DriverError> {
        if self.unplugged.load(Ordering::SeqCst) {
            return Err(DriverError::Unplugged);
        }
        let base = {
            let mut previews = self.previews.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(previews.entry(sub_id).or_insert_with(|| {
                let settings = self.control.get();
                let (w, h) = PREVIEW_SIZE;
                Arc::new(match self.descriptor.kind {
                    DeviceKind::Face => synth::face(w, h, settings.quality, settings.seed, false),
                    DeviceKind::IrisDouble => synth::iris(w, h, settings.quality, settings.seed),
                    DeviceKind::FingerSlap => slap_preview(sub_id, settings.quality, settings.seed),
                    DeviceKind::FingerSingle => {
                        synth::fingerprint(w, h, settings.quality, settings.seed)
                    }
                })
            }))
        };
        // Small cyclic drift so consecutive frames differ, as a live sensor's would.
        let channels = base.channels.count();
        let shift = ((frame_no % 16) as usize) * channels;
        let row = base.width as usize * channels;
        let mut pixels = Vec::with_capacity(base.pixels.len());
        for line in base.pixels.chunks_exact(row) {
            pixels.extend_from_slice(&line[shift..]);
            pixels.extend_from_slice(&line[..shift]);
        }
        Ok(Raster {
            width: base.width,
            height: base.height,
            channels: base.channels,
            pixels,
        })
    }
}

/// A slap platen view: the sub-id's fingers side by side, the middle ones a little higher.
fn slap_preview(sub_id: u32, quality: u8, seed: u64) -> Raster {
    let (w, h) = PREVIEW_SIZE;
    let mut canvas = Raster::gray(w, h, 235);
    let fingers = DeviceKind::FingerSlap.segments(sub_id).len().max(1) as u32;
    let tile_w = w / fingers - 12;
    let tile_h = h * 2 / 3;
    for index in 0..fingers {
        let tile = synth::fingerprint(tile_w, tile_h, quality, seed.wrapping_add(u64::from(index)));
        let x0 = index * (w / fingers) + 6;
        let lift = if fingers == 4 && (index == 1 || index == 2) {
            0
        } else {
            h / 10
        };
        let y0 = h / 12 + lift;
        for row in 0..tile_h.min(h - y0) {
            let source = (row * tile_w) as usize;
            let target = ((y0 + row) * w + x0) as usize;
            canvas.pixels[target..target + tile_w as usize]
                .copy_from_slice(&tile.pixels[source..source + tile_w as usize]);
        }
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(segments: &[&str]) -> CaptureSpec {
        CaptureSpec {
            sub_id: 1,
            segments: segments.iter().map(|s| s.to_string()).collect(),
            exception_photo: false,
        }
    }

    #[test]
    fn faults_shape_acquisitions() {
        let control = SimControl::new(SimSettings {
            latency_ms: 1,
            ..SimSettings::default()
        });
        let device = SimulatedDevice::new(DeviceKind::FingerSlap, 0, Arc::clone(&control));
        let far = Instant::now() + Duration::from_secs(5);
        let Ok(Acquisition::Frame(frame)) = device.acquire(&spec(&["Left IndexFinger"]), far)
        else {
            panic!("a frame is delivered");
        };
        assert_eq!(frame.len(), 1);
        assert_eq!(frame[0].image.width, FINGER_SIZE.0);

        control.set(SimSettings {
            fault: Fault::Timeout,
            ..control.get()
        });
        let started = Instant::now();
        let deadline = started + Duration::from_millis(80);
        assert_eq!(
            device.acquire(&spec(&["Left IndexFinger"]), deadline),
            Ok(Acquisition::NothingPresented)
        );
        assert!(
            started.elapsed() >= Duration::from_millis(80),
            "waits for the deadline"
        );

        control.set(SimSettings {
            fault: Fault::Unplug,
            ..control.get()
        });
        assert_eq!(
            device.acquire(&spec(&["Left IndexFinger"]), far),
            Err(DriverError::Unplugged)
        );
        assert_eq!(control.get().fault, Fault::None, "unplug fires once");
        assert_eq!(
            device.acquire(&spec(&["Left IndexFinger"]), far),
            Err(DriverError::Unplugged)
        );
        device.replug();
        assert!(device.acquire(&spec(&["Left IndexFinger"]), far).is_ok());
    }

    #[test]
    fn previews_are_vga_and_move() {
        let device = SimulatedDevice::new(
            DeviceKind::IrisDouble,
            0,
            SimControl::new(SimSettings::default()),
        );
        let first = device.preview(3, 0).expect("frame");
        let second = device.preview(3, 1).expect("frame");
        assert_eq!((first.width, first.height), PREVIEW_SIZE);
        assert_ne!(first.pixels, second.pixels);
        let slap = SimulatedDevice::new(
            DeviceKind::FingerSlap,
            0,
            SimControl::new(SimSettings::default()),
        );
        for sub_id in [1, 2, 3] {
            let frame = slap.preview(sub_id, 0).expect("slap frame");
            assert_eq!(
                (frame.width, frame.height, frame.pixels.len()),
                (640, 480, 640 * 480)
            );
        }
        assert_eq!(Fault::parse("low-quality"), Some(Fault::LowQuality));
        assert_eq!(Fault::parse("melt"), None);
    }
}
