//! Image quality estimates on a 0–100 scale for finger, iris and face images. These are Enrol's
//! own simple measures (not NFIQ, not ISO 29794), computed from pixels so they apply to
//! simulated and real devices alike:
//! - finger: per 16×16 block, ridge orientation coherence of the gradient structure tensor times
//!   local contrast (grey-level standard deviation), averaged over the foreground blocks;
//! - iris: sharpness (mean absolute Laplacian, on a log scale) times the visible fraction of the central disc
//!   (pixels not as bright as eyelid skin or sclera);
//! - face: sharpness (mean absolute Laplacian, on a log scale) times exposure (mean luma near mid-grey and few
//!   clipped pixels).

use crate::synth::Raster;

const BLOCK: usize = 16;

/// Finger quality: orientation coherence × contrast over foreground blocks.
pub fn finger(image: &Raster) -> f64 {
    let luma = image.luma();
    let (w, h) = (image.width as usize, image.height as usize);
    let mut total = 0.0;
    let mut blocks = 0usize;
    for by in (1..h.saturating_sub(BLOCK)).step_by(BLOCK) {
        for bx in (1..w.saturating_sub(BLOCK)).step_by(BLOCK) {
            // Integer sums (exact), then floating point per block.
            let (mut gxx, mut gyy, mut gxy) = (0i64, 0i64, 0i64);
            let (mut sum, mut sum_sq) = (0i64, 0i64);
            for y in by..by + BLOCK {
                let (above, row, below) = (
                    &luma[(y - 1) * w..y * w],
                    &luma[y * w..(y + 1) * w],
                    &luma[(y + 1) * w..(y + 2) * w],
                );
                for x in bx..bx + BLOCK {
                    let gx = i64::from(row[x + 1]) - i64::from(row[x - 1]);
                    let gy = i64::from(below[x]) - i64::from(above[x]);
                    gxx += gx * gx;
                    gyy += gy * gy;
                    gxy += gx * gy;
                    let v = i64::from(row[x]);
                    sum += v;
                    sum_sq += v * v;
                }
            }
            let (gxx, gyy, gxy) = (gxx as f64, gyy as f64, gxy as f64);
            let (sum, sum_sq) = (sum as f64, sum_sq as f64);
            let n = (BLOCK * BLOCK) as f64;
            let mean = sum / n;
            let sd = (sum_sq / n - mean * mean).max(0.0).sqrt();
            if sd < 6.0 {
                continue; // background
            }
            blocks += 1;
            let energy = gxx + gyy;
            if energy <= f64::EPSILON {
                continue;
            }
            let coherence = ((gxx - gyy).powi(2) + 4.0 * gxy * gxy).sqrt() / energy;
            let contrast = (sd / 45.0).min(1.0);
            total += coherence * contrast;
        }
    }
    if blocks == 0 {
        return 0.0;
    }
    scale(total / blocks as f64, 0.05, 0.8)
}

/// Iris quality: sharpness × visible (unoccluded) fraction of the central disc.
pub fn iris(image: &Raster) -> f64 {
    let luma = image.luma();
    let (w, h) = (image.width as usize, image.height as usize);
    let radius = h as f64 * 0.25;
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (mut inside, mut visible) = (0usize, 0usize);
    // Only the disc's bounding box can hold pixels of the disc.
    let span = |centre: f64, len: usize| {
        ((centre - radius).floor().max(0.0) as usize)
            ..(((centre + radius).ceil() as usize) + 1).min(len)
    };
    for y in span(cy, h) {
        for x in span(cx, w) {
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            if dx * dx + dy * dy <= radius * radius {
                inside += 1;
                if luma[y * w + x] < 160 {
                    visible += 1;
                }
            }
        }
    }
    let visible_fraction = if inside == 0 {
        0.0
    } else {
        visible as f64 / inside as f64
    };
    let sharpness = log_scale(laplacian(&luma, w, h), 0.1, 2.0) / 100.0;
    100.0 * sharpness * visible_fraction
}

/// Face quality: sharpness × exposure.
pub fn face(image: &Raster) -> f64 {
    let luma = image.luma();
    let (w, h) = (image.width as usize, image.height as usize);
    let count = luma.len().max(1) as f64;
    let mean = luma.iter().map(|v| u64::from(*v)).sum::<u64>() as f64 / count;
    let clipped = luma.iter().filter(|v| **v <= 5 || **v >= 250).count() as f64 / count;
    let exposure = (1.0 - ((mean - 150.0).abs() / 110.0)).clamp(0.0, 1.0) * (1.0 - clipped);
    let sharpness = log_scale(laplacian(&luma, w, h), 0.1, 1.5) / 100.0;
    100.0 * sharpness * exposure
}

/// Mean absolute 4-neighbour Laplacian.
fn laplacian(luma: &[u8], w: usize, h: usize) -> f64 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mut total = 0u64;
    for y in 1..h - 1 {
        let (above, row, below) = (
            &luma[(y - 1) * w..y * w],
            &luma[y * w..(y + 1) * w],
            &luma[(y + 1) * w..(y + 2) * w],
        );
        for x in 1..w - 1 {
            let value = 4 * i32::from(row[x])
                - i32::from(row[x - 1])
                - i32::from(row[x + 1])
                - i32::from(above[x])
                - i32::from(below[x]);
            total += u64::from(value.unsigned_abs());
        }
    }
    total as f64 / ((w - 2) * (h - 2)) as f64
}

/// Maps `value` logarithmically from [low, high] onto [0, 100] (sharpness spans decades).
fn log_scale(value: f64, low: f64, high: f64) -> f64 {
    if value <= low {
        return 0.0;
    }
    ((value / low).ln() / (high / low).ln() * 100.0).clamp(0.0, 100.0)
}

/// Maps `value` linearly from [low, high] onto [0, 100].
fn scale(value: f64, low: f64, high: f64) -> f64 {
    ((value - low) / (high - low) * 100.0).clamp(0.0, 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth;

    #[track_caller]
    fn check_monotone(name: &str, estimate: impl Fn(u8) -> f64) {
        let scores: Vec<f64> = [10u8, 30, 50, 70, 90]
            .iter()
            .map(|q| estimate(*q))
            .collect();
        eprintln!("{name}: knob 10/30/50/70/90 -> {scores:.1?}");
        for pair in scores.windows(2) {
            assert!(
                pair[1] > pair[0],
                "{name} estimate must rise with the quality knob: {scores:?}"
            );
        }
        assert!(
            scores[0] < 40.0 && scores[4] > 60.0,
            "{name} spans the scale: {scores:?}"
        );
    }

    #[test]
    fn estimates_follow_the_simulator_quality_knob() {
        check_monotone("finger", |q| finger(&synth::fingerprint(280, 360, q, 11)));
        check_monotone("iris", |q| iris(&synth::iris(640, 480, q, 11)));
        check_monotone("face", |q| face(&synth::face(480, 640, q, 11, false)));
    }

    #[test]
    fn blank_images_score_zero() {
        let blank = Raster::gray(64, 64, 200);
        assert_eq!(finger(&blank), 0.0);
        assert_eq!(face(&blank), 0.0);
    }
}
