//! Interop: `pyfingerprint`, a Python R30x / ZFM host library Enrol did not write, reads a
//! fingerprint image from the `enrol-bridge sim-sensor` pty (`tests/interop/r30x_pyfingerprint.py`:
//! verifyPassword, readImage, downloadImage to a BMP). The BMP must be the sensor's 256×288 image,
//! pixel for pixel as the protocol carries it (4 bits a pixel), and not blank.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use enrol_bridge::r30x::{IMAGE_HEIGHT, IMAGE_WIDTH};

const BIN: &str = env!("CARGO_BIN_EXE_enrol-bridge");
const QUALITY: u8 = 80;
const SEED: u64 = 7;

/// The simulated sensor, killed (by its own handle) when the test ends.
struct Sensor(Child);

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The interpreter of the venv that scripts/setup fills (path exported by scripts/env).
fn python_with_pyfingerprint() -> PathBuf {
    let venv = std::env::var_os("ENROL_PYENV").unwrap_or_else(|| "/var/tmp/enrol-pyenv".into());
    let python = PathBuf::from(venv).join("bin/python");
    let found = Command::new(&python)
        .args(["-c", "import pyfingerprint.pyfingerprint"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{} with pyfingerprint is needed for this interop test: run scripts/setup (it creates the \
         venv at $ENROL_PYENV from tests/interop/requirements.txt)",
        python.display()
    );
    python
}

#[test]
fn pyfingerprint_downloads_the_simulated_sensors_image() {
    let python = python_with_pyfingerprint();
    let mut child = Command::new(BIN)
        .args(["sim-sensor", "--quality", &QUALITY.to_string()])
        .args(["--seed", &SEED.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("enrol-bridge sim-sensor starts");
    let stdout = child.stdout.take().expect("stdout");
    let _sensor = Sensor(child);
    let mut pty = String::new();
    BufReader::new(stdout)
        .read_line(&mut pty)
        .expect("the pty path");
    let pty = pty.trim();
    assert!(pty.starts_with("/dev/"), "sim-sensor prints its pty: {pty}");

    let dir = tempfile::tempdir().expect("temp dir");
    let bmp = dir.path().join("finger.bmp");
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/r30x_pyfingerprint.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(pty)
        .arg(&bmp)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "pyfingerprint failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let image = image::open(&bmp).expect("a readable BMP").to_luma8();
    assert_eq!(image.dimensions(), (IMAGE_WIDTH, IMAGE_HEIGHT));
    let pixels = image.as_raw();
    let mean = pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / pixels.len() as f64;
    let spread = (pixels
        .iter()
        .map(|&p| (f64::from(p) - mean).powi(2))
        .sum::<f64>()
        / pixels.len() as f64)
        .sqrt();
    assert!(spread > 20.0, "ridges, not a blank frame (sd {spread:.1})");

    // The first readImage is the sensor's first frame: seed + 1. Pixels travel as 4 bits, which
    // pyfingerprint scales back by 17.
    let sent = enrol_bridge::synth::fingerprint(IMAGE_WIDTH, IMAGE_HEIGHT, QUALITY, SEED + 1);
    let expected: Vec<u8> = sent.pixels.iter().map(|p| (p >> 4) * 17).collect();
    assert!(
        pixels == &expected,
        "the BMP holds the sensor's image pixel for pixel"
    );
}
