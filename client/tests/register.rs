//! `enrol register`, `packets`, `approve` and `reject` through the real binary: a full NEW
//! registration opens with the pipeline key and holds the entered values; each bad input gives
//! its code and leaves nothing behind; the approval rules.

mod kit;
mod support;

use enrol_client::approval::Decision;
use enrol_client::roles::Role;
use enrol_schema::packet::SupervisorStatus;
use enrol_schema::settings::RegistrationSettings;
use kit::{ATTRIBUTES, Kit, SUPERVISOR, SUPERVISOR_PASSWORD, packet_files, payload, strs};
use serde_json::Value;

const PASSWORD_LINE: &str = "op1-password\n";

fn kit_with_operator(settings: RegistrationSettings) -> Kit {
    let kit = Kit::with_settings(settings);
    kit.add("op1", &[Role::Operator]);
    kit.login("op1", "op1-password");
    kit
}

fn register(kit: &Kit, tag: &str) -> String {
    let args = kit.resident(
        tag,
        "Amara Test",
        "1990/04/12",
        "+123456789",
        &ATTRIBUTES,
        4_000,
    );
    let json = kit.check(&strs(&args), PASSWORD_LINE, Ok(()));
    json["rid"].as_str().unwrap().to_owned()
}

#[test]
fn a_new_registration_through_the_cli_opens_with_the_pipeline_key() {
    let kit = kit_with_operator(RegistrationSettings::default());
    let args = kit.resident(
        "a",
        "Ngozi Adeyemi-Larsson",
        "1984/02/29",
        "+2348012345",
        &ATTRIBUTES,
        4_000,
    );
    let mut args = args;
    args.extend(["--gps".into(), "34.26,-6.58".into()]);
    let json = kit.check(&strs(&args), PASSWORD_LINE, Ok(()));
    let rid = json["rid"].as_str().unwrap();
    assert_eq!(rid.len(), 29);
    assert_eq!(json["approval"], "pending");
    assert_eq!(
        packet_files(kit.data_dir()),
        [format!("{}.zip", json["packet_id"].as_str().unwrap())]
    );

    let key = kit::pem_of_pipeline_key(kit.files.path());
    let opened = kit.check(
        &["packets", "verify", rid, "--pipeline-key", &key],
        "",
        Ok(()),
    );
    assert_eq!(opened["verified"], true);
    assert_eq!(
        opened["identity"]["fullName"][0]["value"],
        "Ngozi Adeyemi-Larsson"
    );
    assert_eq!(opened["identity"]["dateOfBirth"], "1984/02/29");
    assert_eq!(opened["identity"]["phone"], "+2348012345");
    assert_eq!(opened["identity"]["proofOfAddress"]["type"], "UTB");
    assert_eq!(opened["identity"]["proofOfIdentity"]["type"], "PAS");
    let records: u64 = opened["biometrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["records"].as_u64().unwrap())
        .sum();
    assert_eq!(records, 13);

    let list = kit.check(&["packets", "list", "--status", "pending"], "", Ok(()));
    assert_eq!(list["packets"][0]["rid"], rid);
    let shown = kit.check(&["packets", "show", rid], "", Ok(()));
    assert_eq!(shown["history"][0]["status"], "REGISTERED");
    assert_eq!(
        shown["manifest"],
        Value::Null,
        "no final manifest before the decision"
    );
    let mut session = kit.session("op1", "op1-password");
    assert_eq!(session.registration_drafts().unwrap(), []);
    kit.login(SUPERVISOR, SUPERVISOR_PASSWORD);
    kit.check(&["audit", "verify"], "", Ok(()));
}

/// Runs `enrol register` with a change to the standard arguments and checks the code, then that
/// nothing was left: no packet file, no row, no draft.
#[track_caller]
fn check_refused(kit: &Kit, change: impl FnOnce(&Kit, &mut Vec<String>), stdin: &str, code: &str) {
    let mut args = kit.resident(
        "bad",
        "Refused Person",
        "1990/04/12",
        "+123456789",
        &ATTRIBUTES,
        4_000,
    );
    change(kit, &mut args);
    let json = kit.check(&strs(&args), stdin, Err(code));
    assert!(json["error"]["message"].is_string());
    assert_eq!(packet_files(kit.data_dir()), Vec::<String>::new(), "{code}");
    let listed = kit.check(&["packets", "list"], "", Ok(()));
    assert_eq!(listed["packets"], Value::Array(vec![]), "{code}");
    let mut session = kit.session(SUPERVISOR, SUPERVISOR_PASSWORD);
    assert_eq!(session.packet_page(None, 10).unwrap(), []);
}

fn replace_arg(args: &mut [String], prefix: &str, value: String) {
    let at = args.iter().position(|a| a.starts_with(prefix)).unwrap();
    args[at] = value;
}

#[test]
fn bad_input_is_refused_with_its_code_and_leaves_nothing() {
    let settings = RegistrationSettings {
        max_document_size_bytes: 100_000,
        ..RegistrationSettings::default()
    };
    let kit = kit_with_operator(settings);
    let record_without_name = |kit: &Kit, args: &mut Vec<String>| {
        let mut record: Value =
            serde_json::from_str(enrol_schema::defaults::EXAMPLE_RECORD_JSON).unwrap();
        record["identity"]
            .as_object_mut()
            .unwrap()
            .remove("fullName");
        let at = args.iter().position(|a| a == "--record").unwrap() + 1;
        args[at] = kit.file("no-name.json", record.to_string().as_bytes());
    };
    check_refused(&kit, record_without_name, PASSWORD_LINE, "REQUIRED");
    let not_json = |kit: &Kit, args: &mut Vec<String>| {
        let at = args.iter().position(|a| a == "--record").unwrap() + 1;
        args[at] = kit.file("broken.json", b"{\"identity\": ");
    };
    check_refused(&kit, not_json, PASSWORD_LINE, "JSON_TRUNCATED");
    let png_declared_pdf_given = |kit: &Kit, args: &mut Vec<String>| {
        let path = kit.file("poa.png", &payload(b"%PDF-1.7\n", 1_000));
        replace_arg(args, "proofOfAddress=", format!("proofOfAddress={path}"));
    };
    check_refused(
        &kit,
        png_declared_pdf_given,
        PASSWORD_LINE,
        "DOCUMENT_FORMAT_MISMATCH",
    );
    let unknown_format = |kit: &Kit, args: &mut Vec<String>| {
        let path = kit.file("poa.pdf", b"GIF89a-not-a-pdf");
        replace_arg(args, "proofOfAddress=", format!("proofOfAddress={path}"));
    };
    check_refused(
        &kit,
        unknown_format,
        PASSWORD_LINE,
        "DOCUMENT_FORMAT_UNKNOWN",
    );
    let too_large = |kit: &Kit, args: &mut Vec<String>| {
        let path = kit.file("big.pdf", &payload(b"%PDF-1.7\n", 100_001));
        replace_arg(args, "proofOfAddress=", format!("proofOfAddress={path}"));
    };
    check_refused(&kit, too_large, PASSWORD_LINE, "DOCUMENT_TOO_LARGE");
    let wrong_type_code = |kit: &Kit, args: &mut Vec<String>| {
        let path = kit.file("poa2.pdf", &payload(b"%PDF-1.7\n", 1_000));
        replace_arg(
            args,
            "proofOfAddress=",
            format!("proofOfAddress={path}:NIC"),
        );
    };
    check_refused(
        &kit,
        wrong_type_code,
        PASSWORD_LINE,
        "DOCUMENT_TYPE_INVALID",
    );
    let face_record_as_finger = |kit: &Kit, args: &mut Vec<String>| {
        let path = kit.file("wrong.iso", &payload(b"FAC\0", 1_000));
        replace_arg(args, "leftThumb=", format!("leftThumb={path}"));
    };
    check_refused(
        &kit,
        face_record_as_finger,
        PASSWORD_LINE,
        "BIOMETRIC_RECORD_INVALID",
    );
    let low_quality = |kit: &Kit, args: &mut Vec<String>| {
        let path = kit.file("low.iso", &payload(b"FIR\0", 1_000));
        replace_arg(args, "leftThumb=", format!("leftThumb={path}:10:1"));
    };
    check_refused(&kit, low_quality, PASSWORD_LINE, "BIOMETRIC_QUALITY_LOW");
    let missing_finger = |_: &Kit, args: &mut Vec<String>| {
        let at = args
            .iter()
            .position(|a| a.starts_with("leftLittle="))
            .unwrap();
        args.drain(at - 1..=at);
    };
    check_refused(&kit, missing_finger, PASSWORD_LINE, "BIOMETRIC_REQUIRED");
    let exception_without_supervisor = |kit: &Kit, args: &mut Vec<String>| {
        missing_finger(kit, args);
        let proof = kit.file("proof.jpg", &payload(b"\xff\xd8\xff\xe0", 2_000));
        args.extend(["--exception".into(), "leftLittle=Missing finger".into()]);
        args.extend(["--proof-of-exception".into(), proof]);
    };
    check_refused(
        &kit,
        exception_without_supervisor,
        PASSWORD_LINE,
        "EXCEPTION_NOT_AUTHORISED",
    );
    let exception_without_proof = |kit: &Kit, args: &mut Vec<String>| {
        missing_finger(kit, args);
        args.extend(["--exception".into(), "leftLittle=Missing finger".into()]);
        args.extend(["--supervisor".into(), SUPERVISOR.into()]);
    };
    check_refused(
        &kit,
        exception_without_proof,
        &format!("{PASSWORD_LINE}{SUPERVISOR_PASSWORD}\n"),
        "EXCEPTION_PROOF_REQUIRED",
    );
    check_refused(&kit, |_, _| {}, "wrong-password\n", "AUTH_WRONG_PASSWORD");
    let operator_as_supervisor = |kit: &Kit, args: &mut Vec<String>| {
        exception_without_supervisor(kit, args);
        args.extend(["--supervisor".into(), "op1".into()]);
    };
    check_refused(
        &kit,
        operator_as_supervisor,
        "op1-password\nop1-password\n",
        "EXCEPTION_NOT_AUTHORISED",
    );

    let mut session = kit.session("op1", "op1-password");
    assert_eq!(
        session.registration_drafts().unwrap(),
        [],
        "refused registrations keep no draft"
    );
}

#[test]
fn a_frozen_machine_refuses_new_registrations_with_the_reason() {
    let mut settings = RegistrationSettings::default();
    settings.freeze.max_pending_approval_packets = 1;
    let kit = kit_with_operator(settings);
    register(&kit, "first");
    let args = kit.resident(
        "second",
        "Second Person",
        "1990/04/12",
        "+123456789",
        &ATTRIBUTES,
        4_000,
    );
    let json = kit.check(
        &strs(&args),
        PASSWORD_LINE,
        Err("FREEZE_PENDING_APPROVAL_COUNT"),
    );
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("await approval")
    );
    assert_eq!(packet_files(kit.data_dir()).len(), 1);
}

#[test]
fn approval_rules() {
    let kit = kit_with_operator(RegistrationSettings::default());
    let first = register(&kit, "r1");
    let second = register(&kit, "r2");
    let third = register(&kit, "r3");

    // Operators may not approve; supervisors must give their password.
    kit.check(
        &["approve", &first, "--password-stdin"],
        PASSWORD_LINE,
        Err("AUTH_FORBIDDEN"),
    );
    kit.login(SUPERVISOR, SUPERVISOR_PASSWORD);
    let sup_line = format!("{SUPERVISOR_PASSWORD}\n");
    kit.check(
        &["approve", &first, "--password-stdin"],
        "nope\n",
        Err("AUTH_WRONG_PASSWORD"),
    );
    kit.check(&["approve", &first, "--password-stdin"], &sup_line, Ok(()));
    kit.check(
        &["approve", &first, "--password-stdin"],
        &sup_line,
        Err("APPROVAL_NOT_PENDING"),
    );
    kit.check(
        &["reject", &second, "--reason", "", "--password-stdin"],
        &sup_line,
        Err("APPROVAL_REASON_REQUIRED"),
    );
    kit.check(
        &[
            "reject",
            &second,
            "--reason",
            "blurred documents",
            "--password-stdin",
        ],
        &sup_line,
        Ok(()),
    );
    let shown = kit.check(&["packets", "show", &second], "", Ok(()));
    assert_eq!(shown["history"][1]["status"], "REJECTED");
    assert_eq!(shown["history"][1]["reason"], "blurred documents");
    assert_eq!(
        shown["manifest"]["manifest"]["supervisorStatus"],
        "REJECTED"
    );
    assert_eq!(
        packet_files(kit.data_dir()).len(),
        3,
        "rejected packets keep their file"
    );

    let bulk = kit.check(&["approve", "--all", "--password-stdin"], &sup_line, Ok(()));
    assert_eq!(bulk["approved"], serde_json::json!([third]));
    let pending = kit.check(&["packets", "list", "--status", "pending"], "", Ok(()));
    assert_eq!(pending["packets"], Value::Array(vec![]));

    // The stored manifest carries the decision, signed by the machine, and matches the file.
    let mut session = kit.session(SUPERVISOR, SUPERVISOR_PASSWORD);
    let machine = session.machine().unwrap();
    let public_key = {
        use rsa::pkcs8::DecodePublicKey;
        rsa::RsaPublicKey::from_public_key_der(&machine.public_key_spki).unwrap()
    };
    for (rid, status) in [
        (&first, SupervisorStatus::Approved),
        (&second, SupervisorStatus::Rejected),
        (&third, SupervisorStatus::Approved),
    ] {
        let manifest = session.packet_manifest(rid).unwrap();
        assert_eq!(manifest.manifest.supervisor_status, status);
        let bytes = session.packet_bytes(rid).unwrap();
        enrol_client::packet::verify_manifest(&manifest, &public_key, &bytes).unwrap();
    }
    let nothing_left = session
        .decide(None, &Decision::Approve, SUPERVISOR_PASSWORD)
        .unwrap();
    assert!(nothing_left.is_empty());
    kit.check(&["audit", "verify"], "", Ok(()));
}

#[test]
fn a_supervisor_reviews_each_registration_then_decides_them_all_with_one_password() {
    let kit = kit_with_operator(RegistrationSettings::default());
    let first = register(&kit, "r1");
    let second = register(&kit, "r2");
    let third = register(&kit, "r3");
    let mut operator = kit.session("op1", "op1-password");
    assert_eq!(
        operator.approval_review(&first).unwrap_err().code(),
        "AUTH_FORBIDDEN"
    );

    // The summary kept at sign-off: values with their labels, documents, qualities against
    // their thresholds; no document or biometric field among the values, no bytes anywhere.
    let mut session = kit.session(SUPERVISOR, SUPERVISOR_PASSWORD);
    let review = session.approval_review(&first).unwrap();
    assert_eq!(review.pending.rid, first);
    assert_eq!(review.pending.operator_id, "op1");
    assert_eq!(review.summary.age_group.as_deref(), Some("ADULT"));
    let field = |id: &str| {
        review
            .summary
            .fields
            .iter()
            .find(|field| field.id == id)
            .unwrap()
    };
    let name = field("fullName");
    assert_eq!(name.label["eng"], "Full name");
    let values: Vec<_> = name
        .values
        .iter()
        .map(|v| (v.language.as_deref(), v.value.as_str()))
        .collect();
    assert_eq!(
        values,
        [
            (Some("eng"), "Amara Test"),
            (Some("fra"), "Amara Test"),
            (Some("ara"), "Amara Test")
        ]
    );
    let birth = field("dateOfBirth");
    assert_eq!(birth.values[0].value, "1990/04/12");
    assert!(birth.values[0].names.is_empty());
    // Codes chosen from lists carry their names, in each value's language.
    let named = |id: &str| -> Vec<(String, String, String)> {
        field(id)
            .values
            .iter()
            .map(|v| {
                let language = v.language.clone().unwrap_or_default();
                let name = v.names.get(&language).cloned().unwrap_or_default();
                (language, v.value.clone(), name)
            })
            .collect()
    };
    let expected = |code: &str, names: [&str; 3]| -> Vec<(String, String, String)> {
        ["eng", "fra", "ara"]
            .into_iter()
            .zip(names)
            .map(|(language, name)| (language.into(), code.into(), name.into()))
            .collect()
    };
    assert_eq!(
        named("gender"),
        expected("FLE", ["Female", "Féminin", "أنثى"])
    );
    assert_eq!(
        named("region"),
        expected(
            "NTH",
            ["Northern Region", "Région du Nord", "المنطقة الشمالية"]
        )
    );
    let address = review
        .summary
        .documents
        .iter()
        .find(|d| d.field == "proofOfAddress")
        .unwrap();
    assert_eq!(
        (
            address.type_code.as_str(),
            address.type_names["eng"].as_str()
        ),
        ("UTB", "Utility bill")
    );
    assert!(!address.label.is_empty());
    assert!(
        review
            .summary
            .fields
            .iter()
            .all(|f| !["proofOfAddress", "individualBiometrics"].contains(&f.id.as_str()))
    );
    let mut documents: Vec<_> = review
        .summary
        .documents
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    documents.sort_unstable();
    assert_eq!(documents, ["proofOfAddress", "proofOfIdentity"]);
    assert_eq!(review.summary.biometrics.len(), ATTRIBUTES.len());
    let settings = RegistrationSettings::default();
    for bio in &review.summary.biometrics {
        assert_eq!(bio.quality, 95);
        let expected = match bio.attribute.as_str() {
            "leftThumb" | "rightThumb" => settings.quality.thumb,
            "leftEye" | "rightEye" => settings.quality.iris,
            "face" => settings.quality.face,
            _ => settings.quality.slap,
        };
        let expected = u32::from(expected);
        assert_eq!(bio.threshold, expected, "{}", bio.attribute);
    }
    assert_eq!(review.history[0].status, "REGISTERED");
    let json = serde_json::to_string(&review).unwrap();
    assert!(!json.contains("\"iso\"") && json.len() < 8_000, "{json}");

    // A refused batch records nothing: a missing reason, then a wrong password.
    let decisions = [
        (first.clone(), Decision::Approve),
        (second.clone(), Decision::Reject { reason: " ".into() }),
    ];
    let refused = session.decide_each(&decisions, SUPERVISOR_PASSWORD);
    assert_eq!(refused.unwrap_err().code(), "APPROVAL_REASON_REQUIRED");
    let decisions = [
        (first.clone(), Decision::Approve),
        (
            second.clone(),
            Decision::Reject {
                reason: "blurred face photo".into(),
            },
        ),
    ];
    let refused = session.decide_each(&decisions, "not the password");
    assert_eq!(refused.unwrap_err().code(), "AUTH_WRONG_PASSWORD");
    assert_eq!(session.pending_approvals().unwrap().len(), 3);

    // One password for every decision; the decided lose their review, the third keeps it.
    let decided = session
        .decide_each(&decisions, SUPERVISOR_PASSWORD)
        .unwrap();
    assert_eq!(decided, [first.clone(), second.clone()]);
    assert_eq!(
        session.approval_review(&first).unwrap_err().code(),
        "APPROVAL_NOT_PENDING"
    );
    assert_eq!(
        session
            .approval_review("10011100110099920261128120000")
            .unwrap_err()
            .code(),
        "PACKET_UNKNOWN"
    );
    let history = session.status_history(&second).unwrap();
    assert_eq!(history[1].status, "REJECTED");
    assert_eq!(history[1].reason.as_deref(), Some("blurred face photo"));
    assert_eq!(
        session
            .packet_manifest(&second)
            .unwrap()
            .manifest
            .supervisor_status,
        SupervisorStatus::Rejected
    );
    assert!(
        !session
            .approval_review(&third)
            .unwrap()
            .summary
            .fields
            .is_empty()
    );
    // A batch with one decided registration records none of it.
    let mixed = [
        (third.clone(), Decision::Approve),
        (first, Decision::Approve),
    ];
    let refused = session.decide_each(&mixed, SUPERVISOR_PASSWORD);
    assert_eq!(refused.unwrap_err().code(), "APPROVAL_NOT_PENDING");
    assert_eq!(session.pending_approvals().unwrap()[0].rid, third);
    session.verify_audit().unwrap().unwrap();
}

#[test]
fn exceptions_are_authorised_by_a_supervisor_at_sign_off() {
    let kit = kit_with_operator(RegistrationSettings::default());
    let mut args = kit.resident(
        "x",
        "Excepted Person",
        "1990/04/12",
        "+123456789",
        &ATTRIBUTES[..12],
        4_000,
    );
    let proof = kit.file("proof.jpg", &payload(b"\xff\xd8\xff\xe0", 2_000));
    args.extend([
        "--exception".into(),
        "face=Injury".into(),
        "--proof-of-exception".into(),
        proof,
    ]);
    args.extend(["--supervisor".into(), SUPERVISOR.into()]);
    let stdin = format!("{PASSWORD_LINE}wrong\n");
    kit.check(&strs(&args), &stdin, Err("AUTH_WRONG_PASSWORD"));
    let stdin = format!("{PASSWORD_LINE}{SUPERVISOR_PASSWORD}\n");
    let json = kit.check(&strs(&args), &stdin, Ok(()));
    let rid = json["rid"].as_str().unwrap();
    let mut session = kit.session(SUPERVISOR, SUPERVISOR_PASSWORD);
    let pending = session.pending_approvals().unwrap();
    assert_eq!(pending[0].rid, rid);
    assert_eq!(
        pending[0].exceptions_authorised_by.as_deref(),
        Some(SUPERVISOR)
    );
    let opened = session.open_packet(rid, &kit::pipeline_key()).unwrap();
    assert!(opened.identity.contains_key("proofOfException"));
}

#[test]
fn an_administrator_may_not_register() {
    let fixture = support::Fixture::from_enrolment();
    let mut admin = fixture.client().login("adm", "adm-password").unwrap();
    let refused = admin
        .start_registration(enrol_schema::packet::Process::New)
        .unwrap_err();
    assert_eq!(refused.code(), "AUTH_FORBIDDEN");
    let refused = admin
        .decide(None, &Decision::Approve, "adm-password")
        .unwrap_err();
    assert_eq!(refused.code(), "AUTH_FORBIDDEN");
    assert_eq!(admin.packet_page(None, 10).unwrap(), []);
}

#[test]
fn lost_and_biometric_correction_follow_their_own_specs() {
    let kit = kit_with_operator(RegistrationSettings::default());
    let record = serde_json::json!({"identity": {
        "IDSchemaVersion": 1.0,
        "consentText": [{"language": "eng", "value": "I agree"}],
        "consent": "Y",
        "preferredLang": "eng"
    }});
    let record = kit.file("lost.json", record.to_string().as_bytes());
    let key = kit::pem_of_pipeline_key(kit.files.path());
    for process in ["LOST", "BIOMETRIC_CORRECTION"] {
        let full = kit.resident("l", "Unused", "1990/04/12", "+1", &ATTRIBUTES, 2_000);
        let biometrics: Vec<String> = full
            .windows(2)
            .filter(|pair| pair[0] == "--biometric")
            .flat_map(|pair| pair.to_vec())
            .collect();
        let mut args: Vec<String> = ["register", "--process", process, "--record", &record]
            .map(str::to_owned)
            .to_vec();
        args.extend(biometrics);
        args.push("--password-stdin".into());
        let mut without_face: Vec<String> = args
            .iter()
            .filter(|a| !a.starts_with("face="))
            .cloned()
            .collect();
        let at = without_face
            .iter()
            .rposition(|a| a == "--biometric")
            .unwrap();
        without_face.remove(at);
        kit.check(
            &strs(&without_face),
            PASSWORD_LINE,
            Err("BIOMETRIC_REQUIRED"),
        );
        let json = kit.check(&strs(&args), PASSWORD_LINE, Ok(()));
        let rid = json["rid"].as_str().unwrap();
        let opened = kit.check(
            &["packets", "verify", rid, "--pipeline-key", &key],
            "",
            Ok(()),
        );
        assert_eq!(opened["process"], process);
    }
}
