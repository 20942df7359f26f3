//! Machine identity: `init` from flags and from an enrolment file, the machine key, the pipeline
//! certificate and refusals.

mod support;

use enrol_client::machine::{InitRequest, PIPELINE_CERTIFICATE, RECEIPT_SIGNING_KEY, init};
use enrol_client::roles::Role;
use enrol_schema::settings::RegistrationSettings;
use rsa::traits::PublicKeyParts;
use support::{Fixture, SUPERVISOR, enrolment, init_request};

#[test]
fn init_creates_the_machine_key_and_the_first_supervisor() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    assert_eq!(session.operator().roles, [Role::Supervisor]);
    let machine = session.machine().unwrap();
    assert_eq!(
        (machine.machine_id.as_str(), machine.centre_id.as_str()),
        ("10011", "10001")
    );
    let key = session.machine_signing_key().unwrap();
    assert_eq!(key.size() * 8, 2048);
    let again = init(
        fixture.path(),
        &init_request(RegistrationSettings::default()),
        fixture.options(),
    );
    assert_eq!(again.unwrap_err().code(), "ALREADY_INITIALISED");
}

#[track_caller]
fn check_refused(change: impl FnOnce(&mut InitRequest), code: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut request = init_request(RegistrationSettings::default());
    change(&mut request);
    let options = Fixture::new().options();
    let error = init(&dir.path().join("data"), &request, options).unwrap_err();
    assert_eq!(error.code(), code, "{error}");
}

#[test]
fn bad_init_requests_are_refused() {
    check_refused(|r| r.machine_id = "123".into(), "INVALID_INPUT");
    check_refused(|r| r.centre_id = "1000a".into(), "INVALID_INPUT");
    check_refused(|r| r.supervisor_id = "a b".into(), "INVALID_INPUT");
    check_refused(|r| r.password = "short".into(), "INVALID_INPUT");
    check_refused(|r| r.settings.idle.warning_secs = 10_000, "INVALID_INPUT");
}

#[test]
fn an_enrolment_file_onboards_the_machine_and_its_operators() {
    let fixture = Fixture::from_enrolment();
    let mut admin = fixture.login("adm");
    let machine = admin.machine().unwrap();
    assert_eq!(machine.machine_id, "10022");
    let certificate = admin.trusted_key(PIPELINE_CERTIFICATE).unwrap().unwrap();
    assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(admin.trusted_key(RECEIPT_SIGNING_KEY).unwrap().is_some());
    // Listed operators wait for activation, where their own password must match the verifier.
    let pending = fixture.client().login("op1", "op1-password").unwrap_err();
    assert_eq!(pending.code(), "AUTH_WRONG_PASSWORD");
    let wrong = admin
        .activate_operator("op1", "not-their-password")
        .unwrap_err();
    assert_eq!(wrong.code(), "AUTH_WRONG_PASSWORD");
    admin.activate_operator("op1", "op1-password").unwrap();
    assert_eq!(fixture.login("op1").operator().roles, [Role::Operator]);
    let twice = admin.activate_operator("op1", "op1-password").unwrap_err();
    assert_eq!(twice.code(), "INVALID_INPUT");
}

#[test]
fn an_enrolment_file_needs_the_installer_listed_with_the_right_password() {
    let wrong = InitRequest::from_enrolment(enrolment(), "adm", "guessed-password".into());
    assert_eq!(wrong.unwrap_err().code(), "AUTH_WRONG_PASSWORD");
    let unlisted = InitRequest::from_enrolment(enrolment(), "stranger", "adm-password".into());
    assert_eq!(unlisted.unwrap_err().code(), "ENROLMENT_FILE");
    let operator_only =
        InitRequest::from_enrolment(enrolment(), "op1", "op1-password".into()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = init(dir.path(), &operator_only, Fixture::new().options()).unwrap_err();
    assert_eq!(error.code(), "ENROLMENT_FILE");
    assert!(!dir.path().join("enrol.db").exists());
    let supervisor = InitRequest::from_enrolment(enrolment(), SUPERVISOR, "sup1-password".into());
    assert!(supervisor.is_ok());
}

#[test]
fn an_init_killed_before_its_end_does_not_block_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("enrol.db"), vec![0u8; 8192]).unwrap();
    std::fs::write(dir.path().join("enrol.db-wal"), b"frames").unwrap();
    let options = Fixture::new().options();
    let mut session = init(
        dir.path(),
        &init_request(RegistrationSettings::default()),
        options,
    )
    .unwrap();
    assert!(session.verify_audit().unwrap().is_ok());
    let names: Vec<String> = support::files_under(dir.path())
        .iter()
        .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
        .filter(|name| name.contains("orphaned"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
