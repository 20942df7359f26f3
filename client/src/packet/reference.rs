//! A synthetic reference registration (demographics, ten fingerprints, two irises, a face and two
//! documents, with ISO-record-sized random payloads) for tests, benchmarks and demo runs.

use std::collections::BTreeMap;

use enrol_schema::identity_schema::FieldCategory;
use enrol_schema::packet::{Process, SupervisorStatus};
use rand_core::RngCore;
use serde_json::json;
use time::OffsetDateTime;

use super::input::{
    AuthMethod, BioAttribute, BiometricCapture, BiometricException, BiometricField, DigitalId,
    Document, Gps, Modality, Operators, PacketInput, RegisteredDevice,
};
use super::rid::{RidError, new_rid};

/// Payload sizes of the reference registration, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct PayloadSizes {
    pub finger: usize,
    pub iris: usize,
    pub face: usize,
    pub document: usize,
}

impl Default for PayloadSizes {
    /// About 3.3 MB in total: 180 KB per fingerprint, 120 KB per iris, 300 KB face, 300 KB
    /// documents.
    fn default() -> PayloadSizes {
        PayloadSizes {
            finger: 180_000,
            iris: 120_000,
            face: 300_000,
            document: 300_000,
        }
    }
}

/// The ID-schema categories of the reference fields, as in MOSIP's sample schema (1001 v0.1).
pub fn field_categories() -> BTreeMap<String, FieldCategory> {
    [
        ("fullName", "pvt"),
        ("dateOfBirth", "pvt"),
        ("gender", "pvt"),
        ("phone", "pvt"),
        ("email", "pvt"),
        ("addressLine1", "pvt"),
        ("city", "pvt"),
        ("postalCode", "pvt"),
        ("residenceStatus", "kyc"),
        ("proofOfAddress", "pvt"),
        ("proofOfIdentity", "pvt"),
        ("proofOfException", "evidence"),
        ("individualBiometrics", "pvt"),
        ("introducerName", "evidence"),
        ("preferredLang", "pvt"),
        ("IDSchemaVersion", "none"),
    ]
    .into_iter()
    .map(|(field, category)| {
        let category = FieldCategory::parse(category).unwrap_or(FieldCategory::None);
        (field.to_owned(), category)
    })
    .collect()
}

/// A complete NEW registration with synthetic data; `exceptions` turns the left little finger
/// into a permanent exception with a proof-of-exception photo.
pub fn registration(
    centre_id: &str,
    machine_id: &str,
    sequence: u32,
    created_at: OffsetDateTime,
    sizes: PayloadSizes,
    exceptions: bool,
    rng: &mut impl RngCore,
) -> Result<PacketInput, RidError> {
    let rid = new_rid(centre_id, machine_id, sequence, created_at)?;
    let mut payload = |magic: &[u8; 4], len: usize| {
        let mut bytes = vec![0u8; len.max(magic.len())];
        rng.fill_bytes(&mut bytes);
        bytes[..4].copy_from_slice(magic);
        bytes
    };
    let missing = exceptions.then_some(BioAttribute::LeftLittle);
    let captures = BioAttribute::ALL
        .into_iter()
        .filter(|a| Some(*a) != missing)
        .map(|attribute| {
            let (magic, len) = match attribute.modality() {
                Modality::Finger => (b"FIR\0", sizes.finger),
                Modality::Iris => (b"IIR\0", sizes.iris),
                Modality::Face => (b"FAC\0", sizes.face),
            };
            BiometricCapture {
                attribute,
                iso: payload(magic, len),
                quality: 80,
                captured_at: created_at,
                retries: 1,
                sdk_score: 0.0,
                force_captured: false,
                payload: Some(
                    json!({"deviceCode": "enrol-demo", "bioType": attribute.modality().as_str()})
                        .to_string(),
                ),
                spec_version: "0.9.5".into(),
                bir_index: format!("{}-{}", rid, attribute.as_str()),
            }
        })
        .collect();
    let mut documents = vec![
        document(
            "proofOfAddress",
            "pdf",
            "RNC",
            "POA",
            payload(b"%PDF", sizes.document / 2),
        ),
        document(
            "proofOfIdentity",
            "jpg",
            "DOC001",
            "POI",
            payload(b"\xff\xd8\xff\xe0", sizes.document / 2),
        ),
    ];
    let exception_list = missing
        .map(|attribute| BiometricException {
            attribute,
            reason: "Missing finger".into(),
            exception_type: "Permanent".into(),
        })
        .into_iter()
        .collect();
    if exceptions {
        documents.push(document(
            "proofOfException",
            "jpg",
            "COE",
            "POE",
            payload(b"\xff\xd8\xff\xe0", 40_000),
        ));
    }
    let text = |eng: &str, fra: &str| json!([{"language": "eng", "value": eng}, {"language": "fra", "value": fra}]);
    Ok(PacketInput {
        process: Process::New,
        rid,
        created_at,
        schema_version: 0.1,
        field_categories: field_categories(),
        demographics: vec![
            (
                "fullName".into(),
                text("Amara Okonkwo-Lindqvist", "Amara Okonkwo-Lindqvist"),
            ),
            ("dateOfBirth".into(), json!("1987/04/23")),
            ("gender".into(), text("FLE", "FLE")),
            ("phone".into(), json!("0712345678")),
            ("email".into(), json!("amara@example.org")),
            (
                "addressLine1".into(),
                text("12 Baobab Street", "12 rue du Baobab"),
            ),
            ("city".into(), text("Kenitra", "Kenitra")),
            ("postalCode".into(), json!("10114")),
            ("residenceStatus".into(), text("NFR", "NFR")),
            ("preferredLang".into(), json!("eng")),
            ("introducerName".into(), json!("")),
        ],
        documents,
        biometrics: vec![BiometricField {
            field: "individualBiometrics".into(),
            subject: "applicant".into(),
            captures,
            exceptions: exception_list,
        }],
        operators: Operators {
            officer_id: "110125".into(),
            officer_auth: AuthMethod::Password,
            supervisor_id: Some("110126".into()),
            supervisor_auth: Some(AuthMethod::Password),
        },
        devices: vec![RegisteredDevice {
            device_code: "enrol-demo-finger".into(),
            device_service_version: "0.9.5".into(),
            digital_id: DigitalId {
                serial_no: "1234567890".into(),
                make: "Enrol".into(),
                model: "SLAP01".into(),
                device_type: "Finger".into(),
                device_sub_type: "Slap".into(),
                device_provider_id: "ENROL.DEMO".into(),
                device_provider: "Enrol".into(),
                date_time: super::rfc3339(created_at),
            },
        }],
        gps: Some(Gps {
            latitude: 34.2610,
            longitude: -6.5802,
        }),
        audit: vec![
            serde_json::from_value(json!({
                "uuid": format!("{}-audit-1", sequence),
                "createdAt": super::rfc3339(created_at),
                "eventId": "REG-EVT-001",
                "eventName": "REGISTRATION",
                "eventType": "USER",
                "hostName": "enrol",
                "hostIp": "127.0.0.1",
                "applicationId": "REG",
                "applicationName": "REGISTRATION",
                "sessionUserId": "110125",
                "sessionUserName": "110125",
                "id": "registration",
                "idType": "REGISTRATION_ID",
                "createdBy": "110125",
                "moduleName": "packet",
                "moduleId": "REG-MOD-PACKET",
                "description": "packet created",
                "actionTimeStamp": super::rfc3339(created_at),
            }))
            .unwrap_or_default(),
        ],
        audit_head: "0".repeat(64),
        langs: vec!["eng".into(), "fra".into()],
        supervisor_status: SupervisorStatus::Approved,
        consent: true,
    })
}

fn document(
    field: &str,
    format: &str,
    type_code: &str,
    category: &str,
    bytes: Vec<u8>,
) -> Document {
    Document {
        field: field.into(),
        format: format.into(),
        type_code: type_code.into(),
        category: category.into(),
        owner: "Applicant".into(),
        ref_number: None,
        bytes,
    }
}
