//! STREAM: M-JPEG preview frames in the exact `multipart/x-mixed-replace` framing MockMDS and
//! the SBI docs use (§4), produced at a fixed pace until the capture on the same device ends,
//! the timeout passes, the device goes away, the client disconnects or the server closes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use crate::device::{Slot, StreamState};
use crate::jp2::Channels;
use crate::synth::Raster;

/// The response content type; the boundary parameter itself contains "--" (§4).
pub const CONTENT_TYPE: &str = "multipart/x-mixed-replace; boundary=--BoundaryString";
/// Frames per second the bridge aims for.
pub const FRAMES_PER_SECOND: u32 = 20;
const JPEG_QUALITY: u8 = 75;

/// Wraps one JPEG in the per-frame header and trailer.
pub fn frame(jpeg: &[u8]) -> Vec<u8> {
    let header = format!(
        "--BoundaryString\r\nAccess-Control-Allow-Origin:*\r\nContent-Type:image/jpeg\r\nContent-Length:{}\r\n\r\n",
        jpeg.len()
    );
    let mut out = Vec::with_capacity(header.len() + jpeg.len() + 4);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(jpeg);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// Encodes a preview image as baseline JPEG.
pub fn jpeg(image: &Raster) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::with_capacity(64 * 1024);
    let colour = match image.channels {
        Channels::Gray => ExtendedColorType::L8,
        Channels::Rgb => ExtendedColorType::Rgb8,
    };
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode(
        &image.pixels,
        image.width,
        image.height,
        colour,
    )?;
    Ok(out)
}

/// Produces frames into `send` (which returns false once the client is gone) until a stop
/// condition holds. Runs on a blocking thread.
pub fn produce(
    slot: &Slot,
    state: &StreamState,
    timeout: Duration,
    closing: &AtomicBool,
    mut send: impl FnMut(Vec<u8>) -> bool,
) {
    let started = Instant::now();
    let period = Duration::from_secs(1) / FRAMES_PER_SECOND;
    let mut next = started;
    for frame_no in 0u64.. {
        if state.stop.load(Ordering::SeqCst)
            || closing.load(Ordering::SeqCst)
            || started.elapsed() >= timeout
            || !slot.is_connected()
        {
            break;
        }
        let Ok(image) = slot.driver.preview(state.sub_id, frame_no) else {
            break;
        };
        let Ok(encoded) = jpeg(&image) else {
            break;
        };
        if !send(frame(&encoded)) {
            break;
        }
        next += period;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_use_the_mockmds_framing() {
        let framed = frame(&[0xFF, 0xD8, 0xFF, 0xD9]);
        let text = String::from_utf8_lossy(&framed);
        assert!(text.starts_with("--BoundaryString\r\nAccess-Control-Allow-Origin:*\r\nContent-Type:image/jpeg\r\nContent-Length:4\r\n\r\n"));
        assert!(framed.ends_with(&[0xFF, 0xD9, b'\r', b'\n', b'\r', b'\n']));
        let encoded = jpeg(&Raster::gray(64, 48, 128)).expect("encodes");
        assert_eq!(&encoded[..2], &[0xFF, 0xD8]);
    }
}
