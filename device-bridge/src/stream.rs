//! STREAM: M-JPEG preview frames (with a quality bar drawn in) in the exact `multipart/x-mixed-replace` framing MockMDS and
//! the SBI docs use (§4), produced at a fixed pace until the capture on the same device ends,
//! the timeout passes, the device goes away, the client disconnects or the server closes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use enrol_schema::sbi::BioType;

use crate::device::{Slot, StreamState};
use crate::jp2::Channels;
use crate::quality;
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

fn estimate(bio_type: BioType, image: &Raster) -> f64 {
    match bio_type {
        BioType::Finger => quality::finger(image),
        BioType::Iris => quality::iris(image),
        BioType::Face => quality::face(image),
    }
}

/// Draws the quality marking the spec asks for: a bar along the bottom edge, its length the
/// estimated quality (0–100) of the live image.
pub fn draw_quality_bar(image: &mut Raster, score: f64) {
    let channels = image.channels.count();
    let (w, h) = (image.width as usize, image.height as usize);
    if w < 20 || h < 20 {
        return;
    }
    let filled = ((w - 20) as f64 * score.clamp(0.0, 100.0) / 100.0) as usize;
    for y in h - 14..h - 4 {
        for x in 10..w - 10 {
            let value = if x - 10 < filled { 20 } else { 250 };
            let at = (y * w + x) * channels;
            image.pixels[at..at + channels].fill(value);
        }
    }
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
    let mut score = 0.0;
    for frame_no in 0u64.. {
        if state.stop.load(Ordering::SeqCst)
            || closing.load(Ordering::SeqCst)
            || started.elapsed() >= timeout
            || !slot.is_connected()
        {
            break;
        }
        let Ok(mut image) = slot.driver.preview(state.sub_id, frame_no) else {
            break;
        };
        if frame_no % 10 == 0 {
            score = estimate(slot.driver.descriptor().kind.bio_type(), &image);
        }
        draw_quality_bar(&mut image, score);
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
        let mut marked = Raster::gray(100, 40, 128);
        draw_quality_bar(&mut marked, 50.0);
        let row = &marked.pixels[30 * 100..31 * 100];
        assert_eq!(
            (row[10], row[49], row[50], row[89], row[95]),
            (20, 20, 250, 250, 128)
        );
    }
}
