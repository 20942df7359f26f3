//! Data-driven validation tests against the built-in schema, process specs and master data.

use std::collections::{BTreeMap, BTreeSet};

use enrol_schema::defaults;
use enrol_schema::packet::Process;
use enrol_schema::validate::{BIO_ATTRIBUTES, BiometricCapture, Context, Validator};
use serde_json::{Map, Value, json};
use time::{Date, Month};

fn today() -> Date {
    Date::from_calendar_date(2026, Month::November, 28).unwrap()
}

fn text(eng: &str, fra: &str, ara: &str) -> Value {
    json!([{"language": "eng", "value": eng}, {"language": "fra", "value": fra}, {"language": "ara", "value": ara}])
}

fn same(code: &str) -> Value {
    text(code, code, code)
}

fn document(kind: &str, field: &str) -> Value {
    json!({"format": "pdf", "type": kind, "value": field, "refNumber": null})
}

fn biometrics(field: &str) -> Value {
    json!({"format": "cbeff", "version": 1.0, "value": format!("{field}_bio_CBEFF")})
}

/// A complete, valid adult NEW registration.
fn adult() -> Map<String, Value> {
    let record = json!({
        "IDSchemaVersion": 1.0,
        "consentText": text("I agree", "J'accepte", "أوافق"),
        "consent": "Y",
        "preferredLang": "eng",
        "fullName": text("Amina Okafor", "Amina Okafor", "أمينة أوكافور"),
        "dateOfBirth": "1990/04/12",
        "gender": same("FLE"),
        "residenceStatus": same("NFR"),
        "addressLine1": text("4 Quay Street", "4 rue du Quai", "4 شارع الرصيف"),
        "region": text("Northern Region", "Région du Nord", "المنطقة الشمالية"),
        "province": same("NTH-LK"),
        "city": same("NTH-LK-PV"),
        "zone": same("PV-HBR"),
        "postalCode": "11001",
        "phone": "+123456789",
        "email": "amina.okafor@example.org",
        "proofOfAddress": document("UTB", "proofOfAddress"),
        "proofOfIdentity": document("PAS", "proofOfIdentity"),
        "individualBiometrics": biometrics("individualBiometrics"),
    });
    match record {
        Value::Object(map) => map,
        _ => unreachable!("the literal is an object"),
    }
}

/// An infant (two years old on [`today`]) with the introducer details infants need.
fn infant() -> Map<String, Value> {
    let mut record = adult();
    record.insert("dateOfBirth".into(), json!("2024/06/01"));
    record.insert(
        "introducerName".into(),
        text("Grace Okafor", "Grace Okafor", "غريس أوكافور"),
    );
    record.insert("introducerUIN".into(), json!("4829104721"));
    record.insert(
        "proofOfRelationship".into(),
        document("BCT", "proofOfRelationship"),
    );
    record.insert(
        "introducerBiometrics".into(),
        biometrics("introducerBiometrics"),
    );
    record
}

fn with(mut record: Map<String, Value>, field: &str, value: Value) -> Map<String, Value> {
    record.insert(field.to_owned(), value);
    record
}

fn without(mut record: Map<String, Value>, field: &str) -> Map<String, Value> {
    record.remove(field);
    record
}

fn captures(
    field: &str,
    captured: &[&str],
    excepted: &[&str],
) -> BTreeMap<String, BiometricCapture> {
    let set = |names: &[&str]| {
        names
            .iter()
            .map(|n| (*n).to_owned())
            .collect::<BTreeSet<_>>()
    };
    BTreeMap::from([(
        field.to_owned(),
        BiometricCapture {
            captured: set(captured),
            excepted: set(excepted),
        },
    )])
}

struct Case<'a> {
    name: &'a str,
    process: Process,
    record: Map<String, Value>,
    selected_groups: &'a [&'a str],
    languages: &'a [&'a str],
    biometrics: BTreeMap<String, BiometricCapture>,
    /// (field, language, code), in the validator's order.
    expected: &'a [(&'a str, Option<&'a str>, &'a str)],
}

impl<'a> Case<'a> {
    fn new(
        name: &'a str,
        record: Map<String, Value>,
        expected: &'a [(&'a str, Option<&'a str>, &'a str)],
    ) -> Case<'a> {
        Case {
            name,
            process: Process::New,
            record,
            selected_groups: &[],
            languages: &[],
            biometrics: BTreeMap::new(),
            expected,
        }
    }
}

#[track_caller]
fn check(case: Case) {
    let schema = defaults::identity_schema();
    let spec = defaults::ui_spec(case.process);
    let master = defaults::master_data();
    let validator =
        Validator::new(&schema, Some(&spec), Some(&master), &defaults::settings()).unwrap();
    let selected: Vec<String> = case
        .selected_groups
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    let languages: Vec<String> = case.languages.iter().map(|l| (*l).to_owned()).collect();
    let context = Context {
        selected_groups: &selected,
        languages: &languages,
        biometrics: &case.biometrics,
        ..Context::new(today())
    };
    let errors = validator.validate(&case.record, &context);
    let got: Vec<(&str, Option<&str>, &str)> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.language.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(got, case.expected, "case {:?}: {errors:#?}", case.name);
    for error in &errors {
        assert!(
            !error.message.is_empty(),
            "case {:?}: empty message",
            case.name
        );
    }
}

#[test]
fn records_get_the_right_code_on_the_right_field() {
    let all_but_face: Vec<&str> = BIO_ATTRIBUTES
        .iter()
        .copied()
        .filter(|a| *a != "face")
        .collect();
    let cases = [
        Case::new("valid adult", adult(), &[]),
        Case::new("valid infant", infant(), &[]),
        Case::new(
            "missing required field",
            without(adult(), "fullName"),
            &[("fullName", None, "REQUIRED")],
        ),
        Case::new(
            "regex failure in one language",
            with(
                adult(),
                "fullName",
                text("Amina 0kafor", "Amina 0kafor", "أمينة أوكافور"),
            ),
            &[("fullName", Some("eng"), "PATTERN")],
        ),
        Case::new(
            "wrong type (number for a string)",
            with(adult(), "phone", json!(123456789)),
            &[("phone", None, "TYPE")],
        ),
        Case::new(
            "wrong type (string for simpleType)",
            with(adult(), "gender", json!("FLE")),
            &[("gender", None, "TYPE")],
        ),
        Case::new(
            "impossible date",
            with(adult(), "dateOfBirth", json!("2023/02/30")),
            &[("dateOfBirth", None, "DATE_INVALID")],
        ),
        Case::new(
            "malformed date",
            with(adult(), "dateOfBirth", json!("1990-04-12")),
            &[
                ("dateOfBirth", None, "PATTERN"),
                ("dateOfBirth", None, "DATE_INVALID"),
            ],
        ),
        Case::new(
            "date of birth in the future",
            with(adult(), "dateOfBirth", json!("2027/01/01")),
            &[("dateOfBirth", None, "DATE_IN_FUTURE")],
        ),
        Case::new(
            "value outside a dynamic list",
            with(adult(), "gender", text("FLE", "XYZ", "FLE")),
            &[("gender", Some("fra"), "NOT_IN_LIST")],
        ),
        Case::new(
            "value outside a string dynamic list",
            with(adult(), "preferredLang", json!("deu")),
            &[("preferredLang", None, "NOT_IN_LIST")],
        ),
        Case::new(
            "location outside its level",
            with(
                adult(),
                "region",
                text("Northern Region", "Région du Nord", "NTH-LK"),
            ),
            &[("region", Some("ara"), "NOT_IN_LIST")],
        ),
        Case::new(
            "zone outside the chosen city",
            with(adult(), "zone", same("MR-CTR")),
            &[
                ("zone", None, "LOCATION_MISMATCH"),
                ("postalCode", None, "LOCATION_MISMATCH"),
            ],
        ),
        Case::new(
            "postal code outside the chosen zone",
            with(adult(), "postalCode", json!("11002")),
            &[("postalCode", None, "LOCATION_MISMATCH")],
        ),
        Case::new(
            "too many language values",
            with(
                adult(),
                "fullName",
                Value::Array(vec![json!({"language": "eng", "value": "Amina"}); 33]),
            ),
            &[("fullName", None, "TYPE")],
        ),
        Case::new(
            "language given twice",
            with(
                adult(),
                "fullName",
                json!([{"language": "eng", "value": "Amina"}, {"language": "eng", "value": "Amina"}]),
            ),
            &[("fullName", Some("eng"), "TYPE")],
        ),
        Case::new(
            "fields required only for infants",
            with(adult(), "dateOfBirth", json!("2024/06/01")),
            &[
                ("introducerName", None, "REQUIRED"),
                ("introducerRID", None, "REQUIRED"),
                ("introducerUIN", None, "REQUIRED"),
                ("proofOfRelationship", None, "DOCUMENT_REQUIRED"),
                ("introducerBiometrics", None, "BIOMETRIC_REQUIRED"),
            ],
        ),
        Case::new(
            "introducer RID replaces UIN",
            with(
                without(infant(), "introducerUIN"),
                "introducerRID",
                json!("10011100120002026112812000"),
            ),
            &[("introducerRID", None, "PATTERN")],
        ),
        Case::new(
            "missing document",
            without(adult(), "proofOfIdentity"),
            &[("proofOfIdentity", None, "DOCUMENT_REQUIRED")],
        ),
        Case::new(
            "document type outside its category",
            with(adult(), "proofOfAddress", document("BCT", "proofOfAddress")),
            &[("proofOfAddress", None, "DOCUMENT_TYPE_INVALID")],
        ),
        Case::new(
            "malformed document",
            with(adult(), "proofOfAddress", json!({"format": "pdf"})),
            &[("proofOfAddress", None, "TYPE")],
        ),
        Case::new(
            "missing biometrics",
            without(adult(), "individualBiometrics"),
            &[("individualBiometrics", None, "BIOMETRIC_REQUIRED")],
        ),
        Case::new(
            "unknown field",
            with(adult(), "favouriteColour", json!("blue")),
            &[("favouriteColour", None, "UNKNOWN_FIELD")],
        ),
        Case {
            languages: &["eng", "fra", "ara"],
            ..Case::new(
                "missing a required language",
                with(
                    adult(),
                    "fullName",
                    json!([{"language": "eng", "value": "Amina Okafor"}, {"language": "fra", "value": "Amina Okafor"}]),
                ),
                &[("fullName", Some("ara"), "REQUIRED")],
            )
        },
        Case {
            biometrics: captures("individualBiometrics", &all_but_face, &[]),
            ..Case::new(
                "adult without a face",
                adult(),
                &[("individualBiometrics", None, "BIOMETRIC_REQUIRED")],
            )
        },
        Case {
            biometrics: captures(
                "individualBiometrics",
                &all_but_face[1..],
                &[all_but_face[0], "face"],
            ),
            ..Case::new("exceptions count as accounted for", adult(), &[])
        },
        Case {
            biometrics: captures("individualBiometrics", &["face"], &[]),
            ..Case::new(
                "infant needs only a face (conditionalBioAttributes)",
                infant(),
                &[],
            )
        },
        Case {
            biometrics: captures("individualBiometrics", &["leftIndex"], &[]),
            ..Case::new(
                "infant without a face",
                infant(),
                &[("individualBiometrics", None, "BIOMETRIC_REQUIRED")],
            )
        },
        Case {
            process: Process::Update,
            selected_groups: &["Address"],
            ..Case::new(
                "update needs the documents of the chosen groups",
                without(
                    without(without(adult(), "fullName"), "proofOfAddress"),
                    "individualBiometrics",
                ),
                &[
                    ("UIN", None, "REQUIRED"),
                    ("proofOfAddress", None, "DOCUMENT_REQUIRED"),
                    ("individualAuthBiometrics", None, "BIOMETRIC_REQUIRED"),
                ],
            )
        },
        Case {
            process: Process::Lost,
            ..Case::new(
                "lost needs biometrics, not demographics",
                without(without(adult(), "fullName"), "individualBiometrics"),
                &[("individualBiometrics", None, "BIOMETRIC_REQUIRED")],
            )
        },
    ];
    for case in cases {
        check(case);
    }
}
