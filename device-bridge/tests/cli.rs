//! The real `enrol-bridge` binary: `ca-cert` is stable across runs, and a bridge serving an R30x
//! module (`--serial`) on the pty of a separate `sim-sensor` process captures a finger over SBI.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_enrol-bridge");

/// A child process killed (by its own handle) when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Running, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("enrol-bridge starts");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    (Running(child), stdout)
}

fn first_line(reader: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a line");
    line.trim().to_string()
}

#[test]
fn ca_cert_is_created_once_and_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = || {
        let output = Command::new(BIN)
            .args(["ca-cert", "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("runs");
        assert!(output.status.success());
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let first = run();
    assert!(first.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(run(), first, "the CA persists in the data dir");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_captures_from_the_simulated_r30x_sensor_over_a_pty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_sensor, mut sensor_out) = spawn(&["sim-sensor", "--quality", "80"]);
    let pty = first_line(&mut sensor_out);
    assert!(pty.starts_with("/dev/"), "sim-sensor prints its pty: {pty}");
    let data_dir = dir.path().to_str().expect("utf-8 path").to_string();
    let (_bridge, mut bridge_out) =
        spawn(&["--serial", &pty, "--port", "0", "--data-dir", &data_dir]);
    let listening = first_line(&mut bridge_out);
    let base = listening
        .rsplit(' ')
        .next()
        .expect("url")
        .trim_end_matches('/')
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{listening}");

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let call = |verb: &'static str, path: &'static str, body: Value| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let bytes = client
                .request(
                    reqwest::Method::from_bytes(verb.as_bytes()).expect("verb"),
                    url,
                )
                .body(body.to_string())
                .send()
                .await
                .expect("answers")
                .bytes()
                .await
                .expect("body");
            serde_json::from_slice::<Value>(&bytes).expect("json")
        }
    };
    let devices = call("MOSIPDISC", "/device", json!({"type": "Finger"})).await;
    assert_eq!(devices[0]["deviceStatus"], "Ready", "{devices}");
    let device_id = devices[0]["deviceId"].as_str().expect("id").to_string();
    let request = json!({"env":"Developer","purpose":"Registration","specVersion":"0.9.5","timeout":"5000",
        "transactionId":"CLI-R30X-1","bio":[{"type":"Finger","count":"1","bioSubType":["Left IndexFinger"],
        "requestedScore":"20","deviceId":device_id,"deviceSubId":"0"}]});
    let response = call("RCAPTURE", "/capture", request).await;
    let entry = &response["biometrics"][0];
    assert_eq!(entry["error"]["errorCode"], "0", "{response}");
    assert_eq!(entry["hash"].as_str().map(str::len), Some(64));
}
