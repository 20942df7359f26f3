//! Runs the real `enrol-bridge` binary for the SBI client's tests and benchmark. It is looked up
//! beside this crate's `enrol` binary (same target dir and profile) and built there with
//! `cargo build -p enrol-bridge` when missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running simulator bridge on an ephemeral port, killed on drop.
pub struct Bridge {
    child: Child,
    pub port: u16,
    pub data_dir: tempfile::TempDir,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `enrol-bridge` beside the `enrol` binary, built there when missing.
pub fn bridge_binary() -> PathBuf {
    let enrol = PathBuf::from(env!("CARGO_BIN_EXE_enrol"));
    let binary = enrol.with_file_name(format!("enrol-bridge{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let profile_dir = enrol.parent().expect("the enrol binary has a folder");
        let target_dir = profile_dir
            .parent()
            .expect("the profile folder has a target folder");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "-p", "enrol-bridge", "--target-dir"])
            .arg(target_dir);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building enrol-bridge failed");
    }
    binary
}

/// Starts `enrol-bridge --simulate devices` on `port` (its own choice in 4501–4600 when `None`).
pub fn start_bridge(devices: &str, port: Option<u16>) -> Bridge {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(bridge_binary())
        .args(["--simulate", devices, "--latency-ms", "5", "--data-dir"])
        .arg(data_dir.path())
        .args(port.map(|port| format!("--port={port}")))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("enrol-bridge starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            let rest = line.strip_prefix("enrol-bridge listening on http://127.0.0.1:")?;
            rest.trim_end_matches('/').parse::<u16>().ok()
        })
        .expect("the bridge prints its port");
    // Keep draining stdout so the bridge never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Bridge {
        child,
        port,
        data_dir,
    }
}

/// The bridge's device-provider CA certificate (PEM), created in `data_dir` if needed.
pub fn ca_pem(data_dir: &Path) -> String {
    let output = Command::new(bridge_binary())
        .args(["ca-cert", "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// Posts a control request to the bridge's simulator admin API (not part of SBI).
#[allow(
    dead_code,
    reason = "the tests use it; the benchmark that shares this module does not"
)]
pub fn admin(port: u16, path: &str, body: serde_json::Value) {
    let response = ureq::post(format!("http://127.0.0.1:{port}/admin/{path}"))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    assert!(response.status().is_success());
}
