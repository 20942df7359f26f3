//! The whole chain with the real device bridge: `enrol-bridge` in simulator mode (its own
//! process) → the client discovers it, trusts its CA and captures every biometric over SBI →
//! approval and sync to the server (SQLite) → the pull feed → `enrol-pipeline` → PROCESSED at the
//! client's next sync, with the consumer's decrypted fields equal to what was entered.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{ConsumerFiles, Db, Kit, Server};
use enrol_client::registration::DeviceCapture;
use enrol_client::sbi::{self, DiscoveryOptions, TrustedCas};
use enrol_schema::settings::RegistrationSettings;

fn bridge_binary() -> PathBuf {
    common::sibling_binary("enrol-bridge", "enrol-bridge")
}

/// The simulator bridge on an ephemeral port, killed when dropped.
struct Bridge {
    child: Child,
    port: u16,
    data: tempfile::TempDir,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bridge {
    fn start() -> Bridge {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(bridge_binary())
            .args([
                "--simulate",
                "finger-slap,iris,face",
                "--latency-ms",
                "5",
                "--quality",
                "95",
                "--port=0",
                "--data-dir",
            ])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("enrol-bridge starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let rest = line.strip_prefix("enrol-bridge listening on http://127.0.0.1:")?;
                rest.trim_end_matches('/').parse::<u16>().ok()
            })
            .expect("the bridge prints its port");
        std::thread::spawn(move || lines.for_each(drop));
        Bridge { child, port, data }
    }

    /// The device-provider CA the client is told to trust.
    fn trusted(&self) -> TrustedCas {
        let output = Command::new(bridge_binary())
            .args(["ca-cert", "--data-dir"])
            .arg(self.data.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        let mut trusted = TrustedCas::none();
        trusted
            .add_pem(&String::from_utf8(output.stdout).unwrap())
            .unwrap();
        trusted
    }
}

#[test]
fn a_registration_captured_from_the_bridge_ends_processed_at_the_client() {
    let bridge = Bridge::start();
    let trusted = bridge.trusted();
    let found = sbi::discover(
        &DiscoveryOptions {
            ports: bridge.port..=bridge.port,
            ..DiscoveryOptions::default()
        },
        &trusted,
    );
    assert_eq!(found.devices.len(), 3, "{:?}", found.problems);
    assert!(found.devices.iter().all(|d| d.is_trusted()));

    let server = Server::start(Db::Sqlite);
    // The simulator's honest face estimate stays under MOSIP's 90 (meant for real cameras).
    let mut settings = RegistrationSettings::default();
    settings.quality.face = 60;
    let kit = Kit::with_settings(settings);
    server.onboard(&kit);
    kit.trust(&server);
    let (rid, entered) =
        kit.register_capturing("Kwame Bridge", 20_000, |session, draft, form, field| {
            let groups = session
                .capture_from_devices(
                    draft,
                    form,
                    field,
                    DeviceCapture {
                        devices: &found.devices,
                        trusted: &trusted,
                        timeout: Duration::from_secs(10),
                    },
                )
                .unwrap();
            assert_eq!(groups.len(), 5, "left, right, thumbs, irises, face");
            assert_eq!(draft.biometrics.len(), 13);
            assert!(draft.biometrics.iter().all(|b| b.device.is_some()));
        });
    kit.approve_all();
    let report = kit.sync(&server);
    assert!(report.packets.iter().all(|p| p.error.is_none()));

    let files = ConsumerFiles::new();
    let output = files.drain(&server);
    assert!(output.status.success(), "{output:?}");
    let verdict = files.verdict(&rid);
    assert_eq!(verdict["status"], "PROCESSED", "{verdict}");
    assert_eq!(
        verdict["identity"]["fullName"], entered["fullName"],
        "the consumer decrypted what was entered"
    );
    assert_eq!(verdict["identity"]["dateOfBirth"], entered["dateOfBirth"]);
    kit.sync(&server);
    assert_eq!(kit.server_status(&rid).as_deref(), Some("PROCESSED"));
}
