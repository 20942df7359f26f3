//! Registration drafts across sessions: a resumed draft holds exactly the documents and ISO
//! records last saved (kept as attachment rows beside the draft body), a replaced capture comes
//! back as its latest version, and a discarded draft is gone.

mod support;

use enrol_client::Session;
use enrol_client::registration::{Form, Registration};
use enrol_client::roles::Role;
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use rand_core::RngCore;
use support::Fixture;

fn payload(magic: &[u8], len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[..magic.len()].copy_from_slice(magic);
    bytes
}

/// The documents and ISO records of a registration, by field and attribute.
fn captures(registration: &Registration) -> Vec<(String, Vec<u8>)> {
    let documents = registration
        .documents
        .iter()
        .map(|doc| (doc.field.clone(), doc.bytes.clone()));
    let biometrics = registration
        .biometrics
        .iter()
        .map(|bio| (bio.attribute.clone(), bio.iso.clone()));
    documents.chain(biometrics).collect()
}

#[track_caller]
fn check_resumed(fixture: &Fixture, saved: &Registration) -> (Session, Registration) {
    let mut session = fixture.login("op1");
    let resumed = session.resume_registration(&saved.id).unwrap();
    assert_eq!(captures(&resumed), captures(saved));
    assert_eq!(resumed.identity, saved.identity);
    assert_eq!(resumed.step, saved.step);
    (session, resumed)
}

#[test]
fn a_resumed_draft_holds_its_latest_captures() {
    let fixture = Fixture::new();
    fixture.add("op1", &[Role::Operator]);
    let mut session = fixture.login("op1");
    let form: Form = session.form(Process::New).unwrap();
    let field = form.applicant_biometrics_field().unwrap().to_owned();
    let record = Record::parse(
        "example",
        enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
    )
    .unwrap();
    let mut registration = session.start_registration(Process::New).unwrap();
    session
        .enter_demographics(&mut registration, &form, record.identity, Vec::new())
        .unwrap();
    let pdf = payload(b"%PDF-1.7\n", 20_000);
    session
        .attach_document(&mut registration, &form, "proofOfAddress", "pdf", None, pdf)
        .unwrap();
    for attribute in ["leftThumb", "rightThumb"] {
        let iso = payload(b"FIR\0", 5_000);
        session
            .capture_biometric(&mut registration, &form, &field, attribute, iso, 95, 1)
            .unwrap();
    }
    drop(session);
    let (mut session, mut resumed) = check_resumed(&fixture, &registration);

    let again = payload(b"FIR\0", 6_000);
    session
        .capture_biometric(
            &mut resumed,
            &form,
            &field,
            "leftThumb",
            again.clone(),
            90,
            2,
        )
        .unwrap();
    let jpeg = payload(b"\xff\xd8\xff\xe0", 30_000);
    session
        .attach_document(&mut resumed, &form, "proofOfAddress", "jpg", None, jpeg)
        .unwrap();
    drop(session);
    let (mut session, resumed) = check_resumed(&fixture, &resumed);
    assert!(captures(&resumed).contains(&("leftThumb".to_owned(), again)));

    session.discard_registration(&resumed).unwrap();
    let error = session.resume_registration(&resumed.id).unwrap_err();
    assert_eq!(error.code(), "DRAFT_NOT_FOUND");
}
