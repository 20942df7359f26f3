//! Capture as the desktop app drives it, against the real `enrol-bridge` simulator: the
//! device-provider CAs kept in the store (supervisors only), discovery judged against them, one
//! group at a time from the chosen device with the operator's attempts (under the threshold
//! reported and not kept, kept as forced once the attempts run out), exceptions left out of the
//! capture and taken back.

mod kit;
mod sbi_bridge;
mod support;

use std::time::Duration;

use enrol_client::Session;
use enrol_client::registration::{CaptureAttempt, Form, Registration};
use enrol_client::roles::Role;
use enrol_client::sbi::{DiscoveryOptions, FoundDevice};
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use enrol_schema::sbi::BioType;
use kit::Kit;
use sbi_bridge::{admin, ca_pem, start_bridge};

const FIELD: &str = "individualBiometrics";

fn options(port: u16) -> DiscoveryOptions {
    DiscoveryOptions {
        ports: port..=port,
        ..DiscoveryOptions::default()
    }
}

/// A registration past its demographics, for operator `op1`.
fn registration(session: &mut Session) -> (Form, Registration) {
    let form = session.form(Process::New).unwrap();
    let record = Record::parse(
        "example",
        enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
    )
    .unwrap();
    let mut registration = session.start_registration(Process::New).unwrap();
    session
        .enter_demographics(&mut registration, &form, record.identity, Vec::new())
        .unwrap();
    (form, registration)
}

fn device(devices: &[FoundDevice], bio_type: BioType) -> &FoundDevice {
    devices
        .iter()
        .find(|d| {
            d.digital_id
                .as_ref()
                .is_some_and(|id| id.bio_type == bio_type)
        })
        .unwrap()
}

/// One attempt at a group; the outcome's `(kept, attempt, qualities)` or the error code.
#[allow(clippy::too_many_arguments)]
/// Whether the capture was kept, and each attribute's threshold; or the refusal's code.
type Outcome = Result<(bool, Vec<(&'static str, u32)>), &'static str>;

fn attempt(
    session: &mut Session,
    form: &Form,
    registration: &mut Registration,
    device: &FoundDevice,
    bio_type: BioType,
    device_sub_id: u32,
    attempt: u32,
) -> Outcome {
    session
        .capture_attempt(
            registration,
            form,
            CaptureAttempt {
                field: FIELD,
                bio_type,
                device_sub_id,
                device,
                timeout: Duration::from_secs(2),
                attempt,
                preview_open: false,
            },
        )
        .map(|outcome| {
            assert_eq!(outcome.attempt, attempt);
            let mut qualities: Vec<(&'static str, u32)> = outcome
                .qualities
                .iter()
                .map(|q| (q.attribute, q.threshold))
                .collect();
            qualities.sort();
            (outcome.kept, qualities)
        })
        .map_err(|error| error.code())
}

fn captured(registration: &Registration) -> Vec<(&str, bool, u32)> {
    let mut held: Vec<(&str, bool, u32)> = registration
        .biometrics
        .iter()
        .map(|b| (b.attribute.as_str(), b.forced, b.retries))
        .collect();
    held.sort();
    held
}

#[test]
fn device_providers_are_trusted_by_supervisors_and_judge_discovery() {
    let bridge = start_bridge("finger-slap,face", None);
    let kit = Kit::new();
    kit.add("op1", &[Role::Operator]);
    let mut operator = kit.session("op1", "op1-password");
    let untrusted = operator.discover_devices(&options(bridge.port)).unwrap();
    assert_eq!(untrusted.devices.len(), 2);
    assert!(untrusted.devices.iter().all(|d| !d.is_trusted()));

    let pem = ca_pem(bridge.data_dir.path());
    let refused = operator.trust_device_providers(&pem).unwrap_err();
    assert_eq!(refused.code(), "AUTH_FORBIDDEN");
    let mut supervisor = kit.session(kit::SUPERVISOR, kit::SUPERVISOR_PASSWORD);
    let refused = supervisor
        .trust_device_providers("not a certificate")
        .unwrap_err();
    assert_eq!(refused.code(), "SBI_UNTRUSTED");
    assert_eq!(supervisor.trust_device_providers(&pem).unwrap(), 1);

    let mut operator = kit.session("op1", "op1-password");
    let trusted = operator.discover_devices(&options(bridge.port)).unwrap();
    assert!(trusted.devices.iter().all(FoundDevice::is_trusted));
    let entries = supervisor.audit_entries_after(0, 1000).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "machine.trusted_key_changed"
                && e.subject == "device_provider_cas"
                && e.actor == kit::SUPERVISOR)
    );
}

#[test]
fn the_operator_captures_a_group_again_until_it_is_kept() {
    let bridge = start_bridge("finger-slap,face", None);
    let kit = Kit::new();
    kit.add("op1", &[Role::Operator]);
    kit.session(kit::SUPERVISOR, kit::SUPERVISOR_PASSWORD)
        .trust_device_providers(&ca_pem(bridge.data_dir.path()))
        .unwrap();
    let mut session = kit.session("op1", "op1-password");
    let (form, mut registration) = registration(&mut session);
    let devices = session
        .discover_devices(&options(bridge.port))
        .unwrap()
        .devices;
    let fingers = device(&devices, BioType::Finger);

    // Under the slap threshold (40): reported, not kept, until the third (last) attempt.
    admin(bridge.port, "simulator", serde_json::json!({"quality": 5}));
    let left = [
        ("leftIndex", 40),
        ("leftLittle", 40),
        ("leftMiddle", 40),
        ("leftRing", 40),
    ];
    for number in 1..=2 {
        let outcome = attempt(
            &mut session,
            &form,
            &mut registration,
            fingers,
            BioType::Finger,
            1,
            number,
        );
        assert_eq!(outcome, Ok((false, left.to_vec())));
        assert_eq!(captured(&registration), []);
    }
    let outcome = attempt(
        &mut session,
        &form,
        &mut registration,
        fingers,
        BioType::Finger,
        1,
        3,
    );
    assert_eq!(outcome, Ok((true, left.to_vec())));
    assert_eq!(
        captured(&registration),
        [
            ("leftIndex", true, 3),
            ("leftLittle", true, 3),
            ("leftMiddle", true, 3),
            ("leftRing", true, 3),
        ]
    );

    // Exceptions are left out of the capture; an all-exception group has nothing to capture.
    admin(bridge.port, "simulator", serde_json::json!({"quality": 95}));
    session
        .mark_exception(&mut registration, &form, FIELD, "rightLittle", "Missing")
        .unwrap();
    let outcome = attempt(
        &mut session,
        &form,
        &mut registration,
        fingers,
        BioType::Finger,
        2,
        1,
    );
    assert_eq!(
        outcome,
        Ok((
            true,
            vec![("rightIndex", 40), ("rightMiddle", 40), ("rightRing", 40)]
        ))
    );
    for attribute in ["leftThumb", "rightThumb"] {
        session
            .mark_exception(&mut registration, &form, FIELD, attribute, "Missing")
            .unwrap();
    }
    let thumbs = attempt(
        &mut session,
        &form,
        &mut registration,
        fingers,
        BioType::Finger,
        3,
        1,
    );
    assert_eq!(thumbs, Err("BIOMETRIC_NOTHING_TO_CAPTURE"));
    session
        .remove_exception(&mut registration, &form, FIELD, "rightThumb")
        .unwrap();
    let thumbs = attempt(
        &mut session,
        &form,
        &mut registration,
        fingers,
        BioType::Finger,
        3,
        1,
    );
    assert_eq!(thumbs, Ok((true, vec![("rightThumb", 40)])));

    // The face group needs a face device; the draft is unchanged by the refusal.
    let before = captured(&registration).len();
    let wrong = attempt(
        &mut session,
        &form,
        &mut registration,
        fingers,
        BioType::Face,
        0,
        1,
    );
    assert_eq!(wrong, Err("SBI_NO_DEVICE"));
    assert_eq!(captured(&registration).len(), before);
    let resumed = session.resume_registration(&registration.id).unwrap();
    assert_eq!(captured(&resumed), captured(&registration));
    let excepted: Vec<&str> = resumed
        .exceptions
        .iter()
        .map(|e| e.attribute.as_str())
        .collect();
    assert_eq!(excepted, ["rightLittle", "leftThumb"]);
}
