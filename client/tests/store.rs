//! The encrypted store at rest: unreadable without the key, no personal data in clear anywhere
//! under the data directory, typed errors for a wrong key, a damaged file and a full disk.

mod support;

use std::fs;

use enrol_client::fsio::Disk;
use enrol_client::machine::init;
use enrol_client::seal::KdfParams;
use enrol_client::store::{DbKey, Store};
use enrol_client::{Client, Options};
use enrol_schema::settings::RegistrationSettings;
use support::{Fixture, SUPERVISOR, SUPERVISOR_PASSWORD, contains, files_under, init_request};

const CANARIES: [&str; 3] = ["Zebulon Quartermaine", "1987-03-14", "+212600998877"];

#[test]
fn the_database_file_is_not_a_readable_sqlite_file() {
    let fixture = Fixture::new();
    let db = fixture.path().join("enrol.db");
    let bytes = fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    for clear in ["CREATE TABLE", "audit_log", SUPERVISOR, "First Supervisor"] {
        assert!(!contains(&bytes, clear.as_bytes()), "{clear} in clear");
    }
    let wrong = Store::open(&db, &DbKey::generate().unwrap(), &Disk::default()).unwrap_err();
    assert_eq!(wrong.code(), "STORE_WRONG_KEY");
}

#[test]
fn the_sqlite3_tool_reports_it_is_not_a_database() {
    let fixture = Fixture::new();
    let db = fixture.path().join("enrol.db");
    let output = match std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM sqlite_master;")
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            eprintln!("notice: sqlite3 is not installed ({error}); skipping this check");
            return;
        }
    };
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("file is not a database"), "{stderr}");
}

#[test]
fn no_personal_data_appears_in_clear_under_the_data_directory() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    let record = serde_json::json!({
        "fullName": CANARIES[0], "dateOfBirth": CANARIES[1], "phone": CANARIES[2]
    });
    for n in 0..50 {
        session
            .save_draft(&format!("draft-{n}"), "NEW", record.to_string().as_bytes())
            .unwrap();
    }
    assert!(fixture.path().join("enrol.db-wal").exists());
    let check = |moment: &str| {
        for file in files_under(fixture.path()) {
            let bytes = fs::read(&file).unwrap();
            for canary in CANARIES {
                assert!(
                    !contains(&bytes, canary.as_bytes()),
                    "{canary} in clear in {} {moment}",
                    file.display()
                );
            }
        }
    };
    check("while the session is open");
    let draft = session.load_draft("draft-7").unwrap().unwrap();
    assert_eq!(draft.body, record.to_string().as_bytes());
    drop(session);
    check("after closing");
}

#[track_caller]
fn check_damaged(damage: impl FnOnce(&std::path::Path), code: &str) {
    let fixture = Fixture::new();
    let db = fixture.path().join("enrol.db");
    damage(&db);
    let error = fixture
        .client()
        .login(SUPERVISOR, SUPERVISOR_PASSWORD)
        .unwrap_err();
    assert_eq!(error.code(), code, "{error}");
}

#[test]
fn a_damaged_database_gives_a_typed_error() {
    let len = |db: &std::path::Path| fs::metadata(db).unwrap().len();
    check_damaged(|db| fs::write(db, b"").unwrap(), "STORE_CORRUPT");
    check_damaged(
        |db| {
            let bytes = fs::read(db).unwrap();
            fs::write(db, &bytes[..bytes.len() / 2 + 100]).unwrap();
        },
        "STORE_CORRUPT",
    );
    check_damaged(
        |db| {
            let file = fs::OpenOptions::new().write(true).open(db).unwrap();
            file.set_len(len(db) - 4096).unwrap();
        },
        "STORE_CORRUPT",
    );
    check_damaged(
        |db| {
            let mut bytes = fs::read(db).unwrap();
            bytes[100..200].fill(0xAB);
            fs::write(db, bytes).unwrap();
        },
        "STORE_CORRUPT",
    );
    check_damaged(|db| fs::remove_file(db).unwrap(), "STORE_CORRUPT");
}

#[test]
fn a_damaged_slots_file_gives_a_typed_error() {
    let fixture = Fixture::new();
    let keyring = fixture.path().join("keyring.json");
    let text = fs::read_to_string(&keyring).unwrap();
    fs::write(&keyring, &text[..text.len() / 2]).unwrap();
    let error = fixture
        .client()
        .login(SUPERVISOR, SUPERVISOR_PASSWORD)
        .unwrap_err();
    assert_eq!(error.code(), "KEYRING_MALFORMED");
    // Slots that claim a cheaper key derivation than the floor are refused, not tried.
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["slots"][SUPERVISOR]["kdf"]["m_kib"] = 8.into();
    fs::write(&keyring, json.to_string()).unwrap();
    let error = fixture
        .client()
        .login(SUPERVISOR, SUPERVISOR_PASSWORD)
        .unwrap_err();
    assert_eq!(error.code(), "KEYRING_MALFORMED");
}

#[test]
fn a_full_disk_during_init_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data");
    for free in [0, 4096, 64 * 1024] {
        let options = Options {
            disk: Disk::with_free_bytes(free),
            kdf: KdfParams::FLOOR,
            ..Options::default()
        };
        let error = init(
            &target,
            &init_request(RegistrationSettings::default()),
            options,
        )
        .unwrap_err();
        assert_eq!(error.code(), "DISK_FULL", "{free} bytes free: {error}");
        assert_eq!(files_under(&target), Vec::<std::path::PathBuf>::new());
        assert_eq!(
            Client::open(&target, Options::default())
                .unwrap_err()
                .code(),
            "NOT_INITIALISED"
        );
    }
}

#[test]
fn a_full_disk_during_a_write_loses_nothing_already_committed() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    session.save_draft("kept", "NEW", b"first version").unwrap();
    drop(session);
    let options = Options {
        disk: Disk::with_free_bytes(8 * 1024),
        ..fixture.options()
    };
    let mut session = Client::open(fixture.path(), options)
        .unwrap()
        .login(SUPERVISOR, SUPERVISOR_PASSWORD)
        .unwrap();
    let big = vec![7u8; 1024 * 1024];
    let error = session.save_draft("kept", "NEW", &big).unwrap_err();
    assert_eq!(error.code(), "DISK_FULL", "{error}");
    let error = session.save_draft("new", "NEW", &big).unwrap_err();
    assert_eq!(error.code(), "DISK_FULL", "{error}");
    drop(session);
    let mut session = fixture.supervisor();
    assert_eq!(
        session.load_draft("kept").unwrap().unwrap().body,
        b"first version"
    );
    assert_eq!(session.load_draft("new").unwrap(), None);
    assert!(session.verify_audit().unwrap().is_ok());
}
