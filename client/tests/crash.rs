//! The acceptance check for atomic packet creation: `enrol register` is SIGKILLed at random
//! instants across its whole run, 200 times; afterwards every registration is complete and
//! verifiable or absent, no RID repeats, and the audit chain verifies. Also: residents' names,
//! dates of birth and phone numbers are never in clear anywhere under the data directory.

mod kit;
mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use enrol_client::roles::Role;
use enrol_schema::settings::RegistrationSettings;
use kit::{ATTRIBUTES, Kit, SUPERVISOR, SUPERVISOR_PASSWORD, files_under, packet_files, strs};
use rand_core::{RngCore, SeedableRng};

const KILLS: usize = 200;
const NAME: &str = "Quillon Vandersnatch-Oyelaran";
const DOB: &str = "1949/11/03";
const PHONE: &str = "+4477009911";

fn kit() -> Kit {
    let mut settings = RegistrationSettings::default();
    settings.freeze.max_pending_approval_packets = 10_000;
    let kit = Kit::with_settings(settings);
    kit.add("op1", &[Role::Operator]);
    kit.login("op1", "op1-password");
    kit
}

/// Nothing the residents told the operator may be readable in any file under the data folder
/// (database, WAL, slots file, sessions, packets, temporary files).
#[track_caller]
fn check_no_personal_data(kit: &Kit, secrets: &[&str]) {
    for path in files_under(kit.data_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        for secret in secrets {
            let found = bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes());
            assert!(!found, "{secret:?} is readable in {}", path.display());
        }
    }
}

#[test]
fn registrations_survive_sigkill_at_any_instant_complete_or_absent() {
    let kit = kit();
    let args = kit.resident("crash", NAME, DOB, PHONE, &ATTRIBUTES, 8_000);
    let args = strs(&args);
    let start = Instant::now();
    let full_run = (0..3)
        .map(|_| {
            let run = Instant::now();
            kit.check(&args, "op1-password\n", Ok(()));
            run.elapsed()
        })
        .min()
        .unwrap_or_default();
    eprintln!("fastest full `enrol register`: {} ms", full_run.as_millis());

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2026);
    let window = full_run.as_micros() as u64 * 21 / 20;
    let mut completed_before_kill = 0;
    for _ in 0..KILLS {
        let mut child = kit.spawn(&args, "op1-password\n");
        std::thread::sleep(Duration::from_micros(rng.next_u64() % window.max(1)));
        if child.try_wait().unwrap().is_some() {
            completed_before_kill += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
    }
    eprintln!(
        "{KILLS} runs killed at random instants in {} s ({completed_before_kill} had finished)",
        start.elapsed().as_secs()
    );

    // Reopen: the session start removes orphan files left between a file and its commit.
    let mut session = kit.session(SUPERVISOR, SUPERVISOR_PASSWORD);
    let packets = session.packet_page(None, 1000).unwrap();
    assert!(!packets.is_empty());
    let key = kit::pipeline_key();
    let mut sequences = BTreeSet::new();
    let mut names = Vec::new();
    for packet in &packets {
        let opened = session
            .open_packet(&packet.rid, &key)
            .unwrap_or_else(|e| panic!("{}: {e}", packet.rid));
        assert_eq!(opened.identity["phone"], PHONE);
        assert!(
            sequences.insert(packet.rid[10..15].to_owned()),
            "RID sequence repeated in {}",
            packet.rid
        );
        names.push(format!("{}.zip", opened.packet_id));
        assert_eq!(
            session.status_history(&packet.rid).unwrap()[0].status,
            "REGISTERED"
        );
    }
    names.sort();
    assert_eq!(
        packet_files(kit.data_dir()),
        names,
        "no orphan file, no row without file"
    );
    let report = session
        .verify_audit()
        .unwrap()
        .expect("the audit chain verifies");
    eprintln!(
        "{} packets complete and verified, audit log of {} entries intact",
        packets.len(),
        report.entries
    );
    kit.login(SUPERVISOR, SUPERVISOR_PASSWORD);
    kit.check(&["audit", "verify"], "", Ok(()));
    check_no_personal_data(&kit, &[NAME, DOB, PHONE]);
}

#[test]
fn residents_personal_data_is_never_in_clear_under_the_data_directory() {
    let kit = kit();
    let residents = [
        ("Xanthippe Goldwasser-Mbeki", "1961/08/17", "+3312345678"),
        ("Bartholomew Ekwueme", "2001/01/30", "+2347011122"),
        ("Zoraida Fitzwilliam", "1977/12/05", "+1555013377"),
    ];
    for (n, (name, dob, phone)) in residents.iter().enumerate() {
        let args = kit.resident(&format!("p{n}"), name, dob, phone, &ATTRIBUTES, 4_000);
        kit.check(&strs(&args), "op1-password\n", Ok(()));
    }
    // A registration abandoned half-way leaves its draft in the store: also never in clear.
    let args = kit.resident(
        "half",
        "Half Way Person",
        "1950/05/05",
        "+4400000000",
        &ATTRIBUTES[..3],
        4_000,
    );
    kit.check(&strs(&args), "op1-password\n", Err("BIOMETRIC_REQUIRED"));
    let secrets: Vec<&str> = residents
        .iter()
        .flat_map(|(name, dob, phone)| [*name, *dob, *phone])
        .chain(["Half Way Person", "1950/05/05", "+4400000000"])
        .collect();
    check_no_personal_data(&kit, &secrets);
}
