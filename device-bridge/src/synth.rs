//! Synthetic biometric images for the simulator: fingerprints with a ridge orientation field
//! around a core, irises with radial texture, pupil and eyelids, and a simple frontal face.
//! A quality knob (0–100) degrades them the way real captures degrade: fingers lose contrast
//! and gain noise, irises blur and get occluded by the eyelids, faces blur and lose exposure.
//! Every image is a pure function of its parameters and seed.

use crate::jp2::Channels;

/// An 8-bit image, grey or interleaved RGB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub pixels: Vec<u8>,
}

impl Raster {
    pub fn gray(width: u32, height: u32, fill: u8) -> Raster {
        Raster {
            width,
            height,
            channels: Channels::Gray,
            pixels: vec![fill; width as usize * height as usize],
        }
    }

    /// Luma (grey) view: the image itself, or Rec. 601 luma of RGB.
    pub fn luma(&self) -> std::borrow::Cow<'_, [u8]> {
        match self.channels {
            Channels::Gray => std::borrow::Cow::Borrowed(&self.pixels),
            Channels::Rgb => self
                .pixels
                .chunks_exact(3)
                .map(|p| {
                    ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000)
                        as u8
                })
                .collect(),
        }
    }
}

/// SplitMix64: a small, fast, seedable generator (determinism matters more than quality here).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Approximately normal (mean 0, sd 1), from the sum of four uniforms.
    pub fn normal(&mut self) -> f32 {
        let sum: f32 = (0..4).map(|_| self.unit()).sum();
        (sum - 2.0) * 1.732
    }
}

fn knob(quality: u8) -> f32 {
    f32::from(quality.min(100)) / 100.0
}

/// A fingerprint of `width`×`height` at 500 ppi: ridges about 9 px apart following a loop-like
/// orientation field, inside an elliptical finger pad.
pub fn fingerprint(width: u32, height: u32, quality: u8, seed: u64) -> Raster {
    let mut rng = Rng::new(seed);
    let q = knob(quality);
    let core_x = width as f32 * (0.4 + 0.2 * rng.unit());
    let core_y = height as f32 * (0.35 + 0.2 * rng.unit());
    let period = 8.5 + 1.5 * rng.unit();
    let phase = rng.unit() * std::f32::consts::TAU;
    // Low-frequency warps make ridges wander like real ones instead of perfect ellipses.
    let warps: Vec<(f32, f32, f32, f32)> = (0..3)
        .map(|_| {
            (
                20.0 + 30.0 * rng.unit(),
                25.0 + 40.0 * rng.unit(),
                rng.unit() * 6.3,
                2.0 + 3.0 * rng.unit(),
            )
        })
        .collect();
    let amplitude = 25.0 + 90.0 * q;
    let noise = 8.0 + 70.0 * (1.0 - q);
    let mut out = Raster::gray(width, height, 235);
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let (rx, ry) = (width as f32 * 0.46, height as f32 * 0.48);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32, y as f32);
            let ex = (fx - cx) / rx;
            let ey = (fy - cy) / ry;
            let pad = ex * ex + ey * ey;
            if pad > 1.0 {
                continue;
            }
            let dx = fx - core_x;
            let dy = fy - core_y;
            let radius = (dx * dx + dy * dy).sqrt();
            // Concentric arcs near the core that flatten into horizontal ridges further down.
            let warp: f32 = warps
                .iter()
                .map(|(fx_, fy_, p, a)| a * (fx / fx_ + p).sin() * (fy / fy_ - p).cos())
                .sum();
            let arcs = radius + 0.45 * dy + warp;
            let value = (std::f32::consts::TAU * arcs / period + phase).cos();
            let fade = (1.0 - pad).min(0.15) / 0.15;
            let shade = 140.0 - amplitude * value * fade + noise * rng.normal();
            out.pixels[(y * width + x) as usize] = shade.clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// An eye at `width`×`height`: pupil, textured iris (radius about 120 px), sclera, eyelids.
pub fn iris(width: u32, height: u32, quality: u8, seed: u64) -> Raster {
    let mut rng = Rng::new(seed);
    let q = knob(quality);
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let iris_r = height as f32 * 0.25;
    let pupil_r = iris_r * (0.35 + 0.1 * rng.unit());
    let spokes: Vec<(f32, f32)> = (0..5)
        .map(|k| {
            (
                4.0 + 7.0 * k as f32 + rng.unit() * 3.0,
                rng.unit() * std::f32::consts::TAU,
            )
        })
        .collect();
    // Lower quality lowers the upper eyelid over the iris.
    let lid = iris_r * (1.1 - 1.2 * (1.0 - q));
    let mut out = Raster::gray(width, height, 0);
    for y in 0..height {
        for x in 0..width {
            let dx = x as f32 - cx;
            let dy = y as f32 - cy;
            let r = (dx * dx + dy * dy).sqrt();
            let angle = dy.atan2(dx);
            let upper_lid = -lid + (dx / (width as f32 * 0.45)).powi(2) * iris_r * 1.5;
            let lower_lid = iris_r * 1.05 - (dx / (width as f32 * 0.45)).powi(2) * iris_r * 1.5;
            let value = if dy < upper_lid || dy > lower_lid {
                175.0 + 10.0 * ((x + y) % 7) as f32 / 7.0 // skin
            } else if r < pupil_r {
                18.0
            } else if r < iris_r {
                let t = (r - pupil_r) / (iris_r - pupil_r);
                let texture: f32 = spokes
                    .iter()
                    .map(|(f, p)| (angle * f + p + t * 3.0).sin())
                    .sum();
                95.0 + 14.0 * texture + 25.0 * (t * 9.0).sin() * (1.0 - t)
            } else {
                215.0 // sclera
            };
            out.pixels[(y * width + x) as usize] = value.clamp(0.0, 255.0) as u8;
        }
    }
    // Specular reflection inside the pupil.
    disc(
        &mut out,
        cx - pupil_r * 0.4,
        cy - pupil_r * 0.4,
        pupil_r * 0.2,
        &[250],
    );
    box_blur(&mut out, blur_radius(q));
    out
}

/// A frontal face on a light background, `width`×`height` RGB; with `palms`, the exception
/// photo: both open palms held up beside the face.
pub fn face(width: u32, height: u32, quality: u8, seed: u64, palms: bool) -> Raster {
    let mut rng = Rng::new(seed);
    let q = knob(quality);
    let w = width as f32;
    let h = height as f32;
    let skin = [
        200.0 + 30.0 * rng.unit(),
        150.0 + 30.0 * rng.unit(),
        120.0 + 30.0 * rng.unit(),
    ];
    let mut out = Raster {
        width,
        height,
        channels: Channels::Rgb,
        pixels: vec![235; width as usize * height as usize * 3],
    };
    let (cx, cy) = (w / 2.0, h * 0.48);
    ellipse(&mut out, cx, h * 0.95, w * 0.45, h * 0.22, &[60, 70, 110]); // shoulders
    ellipse(&mut out, cx, h * 0.72, w * 0.1, h * 0.1, &rgb(skin, 0.9)); // neck
    ellipse(&mut out, cx, cy - h * 0.05, w * 0.3, h * 0.3, &[50, 35, 25]); // hair
    ellipse(&mut out, cx, cy, w * 0.26, h * 0.28, &rgb(skin, 1.0)); // face
    for side in [-1.0, 1.0] {
        ellipse(
            &mut out,
            cx + side * w * 0.1,
            cy - h * 0.04,
            w * 0.05,
            h * 0.022,
            &[245, 245, 245],
        );
        disc(
            &mut out,
            cx + side * w * 0.1,
            cy - h * 0.04,
            w * 0.022,
            &[60, 40, 30],
        );
        disc(
            &mut out,
            cx + side * w * 0.1,
            cy - h * 0.04,
            w * 0.009,
            &[10, 10, 10],
        );
        ellipse(
            &mut out,
            cx + side * w * 0.1,
            cy - h * 0.085,
            w * 0.06,
            h * 0.008,
            &[60, 40, 30],
        );
    }
    ellipse(
        &mut out,
        cx,
        cy + h * 0.04,
        w * 0.025,
        h * 0.05,
        &rgb(skin, 0.85),
    ); // nose
    ellipse(
        &mut out,
        cx,
        cy + h * 0.14,
        w * 0.08,
        h * 0.018,
        &[150, 60, 60],
    ); // mouth
    if palms {
        for side in [-1.0, 1.0] {
            ellipse(
                &mut out,
                cx + side * w * 0.38,
                cy + h * 0.1,
                w * 0.09,
                h * 0.12,
                &rgb(skin, 0.95),
            );
        }
    }
    // Lower quality: under- or over-exposure and defocus.
    let exposure = 1.0 - 0.75 * (1.0 - q);
    let bias = if rng.unit() < 0.5 {
        0.0
    } else {
        255.0 * (1.0 - exposure)
    };
    for value in &mut out.pixels {
        *value = (f32::from(*value) * exposure + bias).clamp(0.0, 255.0) as u8;
    }
    box_blur(&mut out, blur_radius(q));
    out
}

fn rgb(base: [f32; 3], factor: f32) -> [u8; 3] {
    base.map(|v| (v * factor).clamp(0.0, 255.0) as u8)
}

fn blur_radius(q: f32) -> u32 {
    ((1.0 - q) * 7.0).round() as u32
}

fn ellipse(img: &mut Raster, cx: f32, cy: f32, rx: f32, ry: f32, colour: &[u8]) {
    let channels = img.channels.count();
    let y0 = (cy - ry).max(0.0) as u32;
    let y1 = ((cy + ry).ceil() as u32).min(img.height);
    let x0 = (cx - rx).max(0.0) as u32;
    let x1 = ((cx + rx).ceil() as u32).min(img.width);
    for y in y0..y1 {
        for x in x0..x1 {
            let ex = (x as f32 - cx) / rx;
            let ey = (y as f32 - cy) / ry;
            if ex * ex + ey * ey <= 1.0 {
                let at = (y * img.width + x) as usize * channels;
                for c in 0..channels {
                    img.pixels[at + c] = colour[c.min(colour.len() - 1)];
                }
            }
        }
    }
}

fn disc(img: &mut Raster, cx: f32, cy: f32, r: f32, colour: &[u8]) {
    ellipse(img, cx, cy, r, r, colour);
}

/// Separable box blur of the given radius (0 = none), per channel.
pub fn box_blur(img: &mut Raster, radius: u32) {
    if radius == 0 {
        return;
    }
    let channels = img.channels.count();
    let (w, h) = (img.width as usize, img.height as usize);
    let r = radius as usize;
    let mut temp = img.pixels.clone();
    for pass in 0..2 {
        let (outer, inner) = if pass == 0 { (h, w) } else { (w, h) };
        let source = if pass == 0 { &img.pixels } else { &temp };
        let mut target = source.clone();
        for o in 0..outer {
            for c in 0..channels {
                let index = |i: usize| {
                    let (x, y) = if pass == 0 { (i, o) } else { (o, i) };
                    (y * w + x) * channels + c
                };
                let mut sum: u32 = 0;
                let mut count: u32 = 0;
                for i in 0..=r.min(inner - 1) {
                    sum += u32::from(source[index(i)]);
                    count += 1;
                }
                for i in 0..inner {
                    target[index(i)] = (sum / count.max(1)) as u8;
                    if i + r + 1 < inner {
                        sum += u32::from(source[index(i + r + 1)]);
                        count += 1;
                    }
                    if i >= r {
                        sum -= u32::from(source[index(i - r)]);
                        count -= 1;
                    }
                }
            }
        }
        if pass == 0 {
            temp = target;
        } else {
            img.pixels = target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_deterministic_per_seed() {
        assert_eq!(fingerprint(64, 80, 70, 7), fingerprint(64, 80, 70, 7));
        assert_ne!(fingerprint(64, 80, 70, 7), fingerprint(64, 80, 70, 8));
        assert_eq!(iris(160, 120, 50, 3), iris(160, 120, 50, 3));
        assert_eq!(face(120, 160, 50, 3, true).pixels.len(), 120 * 160 * 3);
    }

    #[test]
    fn blur_keeps_flat_images_flat() {
        let mut flat = Raster::gray(20, 10, 77);
        box_blur(&mut flat, 3);
        assert!(flat.pixels.iter().all(|v| *v == 77));
    }
}
