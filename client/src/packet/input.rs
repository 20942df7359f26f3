//! What a packet is built from: the typed [`PacketInput`] a finished registration hands over.

use std::collections::BTreeMap;

use enrol_schema::identity_schema::{FieldCategory, IdentitySchema, Subpacket};
use enrol_schema::packet::{Process, SupervisorStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::rid::Rid;

/// The order sub-packets are written in.
pub const SUBPACKETS: [Subpacket; 3] = [Subpacket::Id, Subpacket::Evidence, Subpacket::Optional];

/// The `fieldCategory` of every field of an identity schema, for [`PacketInput::field_categories`].
pub fn field_categories(schema: &IdentitySchema) -> BTreeMap<String, FieldCategory> {
    schema
        .fields
        .iter()
        .map(|field| (field.id.clone(), field.category))
        .collect()
}

/// A document field's file, e.g. `proofOfAddress` as `pdf`.
#[derive(Debug, Clone)]
pub struct Document {
    /// ID-schema field id; the file is `<field>.<format>`.
    pub field: String,
    /// File format (extension), e.g. `pdf`, `jpg`.
    pub format: String,
    /// Document type code, e.g. `RNC`.
    pub type_code: String,
    /// Document category, e.g. `POA`, `POI`, `POE`.
    pub category: String,
    /// Whose document it is, e.g. `Applicant`.
    pub owner: String,
    pub ref_number: Option<String>,
    pub bytes: Vec<u8>,
}

/// The biometric attributes MOSIP captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BioAttribute {
    LeftThumb,
    LeftIndex,
    LeftMiddle,
    LeftRing,
    LeftLittle,
    RightThumb,
    RightIndex,
    RightMiddle,
    RightRing,
    RightLittle,
    LeftEye,
    RightEye,
    Face,
}

/// A biometric modality, as CBEFF's BDBInfo `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    Finger,
    Iris,
    Face,
}

impl Modality {
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Finger => "Finger",
            Modality::Iris => "Iris",
            Modality::Face => "Face",
        }
    }

    /// MOSIP's BDB format type (ISO 19794-4 finger 7, 19794-5 face 8, 19794-6 iris 9).
    pub fn format_type(self) -> u32 {
        match self {
            Modality::Finger => 7,
            Modality::Face => 8,
            Modality::Iris => 9,
        }
    }
}

impl BioAttribute {
    pub const ALL: [BioAttribute; 13] = [
        BioAttribute::LeftThumb,
        BioAttribute::LeftIndex,
        BioAttribute::LeftMiddle,
        BioAttribute::LeftRing,
        BioAttribute::LeftLittle,
        BioAttribute::RightThumb,
        BioAttribute::RightIndex,
        BioAttribute::RightMiddle,
        BioAttribute::RightRing,
        BioAttribute::RightLittle,
        BioAttribute::LeftEye,
        BioAttribute::RightEye,
        BioAttribute::Face,
    ];

    /// MOSIP's attribute name (`leftIndex`, `rightEye`, `face`, …).
    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    /// CBEFF BDBInfo `Subtype` (`Left IndexFinger`, `Right`, empty for face).
    pub fn subtype(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            BioAttribute::LeftThumb => ("leftThumb", "Left Thumb"),
            BioAttribute::LeftIndex => ("leftIndex", "Left IndexFinger"),
            BioAttribute::LeftMiddle => ("leftMiddle", "Left MiddleFinger"),
            BioAttribute::LeftRing => ("leftRing", "Left RingFinger"),
            BioAttribute::LeftLittle => ("leftLittle", "Left LittleFinger"),
            BioAttribute::RightThumb => ("rightThumb", "Right Thumb"),
            BioAttribute::RightIndex => ("rightIndex", "Right IndexFinger"),
            BioAttribute::RightMiddle => ("rightMiddle", "Right MiddleFinger"),
            BioAttribute::RightRing => ("rightRing", "Right RingFinger"),
            BioAttribute::RightLittle => ("rightLittle", "Right LittleFinger"),
            BioAttribute::LeftEye => ("leftEye", "Left"),
            BioAttribute::RightEye => ("rightEye", "Right"),
            BioAttribute::Face => ("face", ""),
        }
    }

    pub fn modality(self) -> Modality {
        match self {
            BioAttribute::LeftEye | BioAttribute::RightEye => Modality::Iris,
            BioAttribute::Face => Modality::Face,
            _ => Modality::Finger,
        }
    }

    /// Parses MOSIP's attribute name.
    pub fn parse(name: &str) -> Option<BioAttribute> {
        BioAttribute::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The attribute a CBEFF record describes, from its BDBInfo `Type` and `Subtype`.
    pub fn from_cbeff(modality: &str, subtype: &str) -> Option<BioAttribute> {
        BioAttribute::ALL.into_iter().find(|a| {
            a.modality().as_str().eq_ignore_ascii_case(modality)
                && a.subtype().eq_ignore_ascii_case(subtype.trim())
        })
    }
}

/// One captured biometric: the ISO 19794-4/5/6 record and its capture details.
#[derive(Debug, Clone)]
pub struct BiometricCapture {
    pub attribute: BioAttribute,
    /// The ISO record bytes as the device returned them.
    pub iso: Vec<u8>,
    /// Quality score 0–100.
    pub quality: u32,
    pub captured_at: OffsetDateTime,
    pub retries: u32,
    pub sdk_score: f64,
    pub force_captured: bool,
    /// The SBI capture payload (JSON with the signed `digitalId`), when the device gave one.
    pub payload: Option<String>,
    pub spec_version: String,
    /// MOSIP's `BIRIndex` for the meta info.
    pub bir_index: String,
}

/// A biometric that could not be captured, with its reason.
#[derive(Debug, Clone)]
pub struct BiometricException {
    pub attribute: BioAttribute,
    /// Operator-given reason, e.g. `Missing finger`.
    pub reason: String,
    /// `Permanent` or `Temporary`.
    pub exception_type: String,
}

/// One biometrics field of the schema (e.g. `individualBiometrics`) and what was captured for it.
#[derive(Debug, Clone)]
pub struct BiometricField {
    /// ID-schema field id; the file is `<field>_bio_CBEFF.xml`.
    pub field: String,
    /// Whose biometrics these are in the meta info (`applicant`, `introducer`, …).
    pub subject: String,
    pub captures: Vec<BiometricCapture>,
    pub exceptions: Vec<BiometricException>,
}

/// How an operator authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    Pin,
    Otp,
    Biometric,
}

/// The operator who registered and the supervisor who approved.
#[derive(Debug, Clone)]
pub struct Operators {
    pub officer_id: String,
    pub officer_auth: AuthMethod,
    pub supervisor_id: Option<String>,
    pub supervisor_auth: Option<AuthMethod>,
}

/// An SBI device's signed `digitalId`, decoded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigitalId {
    pub serial_no: String,
    pub make: String,
    pub model: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub device_sub_type: String,
    pub device_provider_id: String,
    pub device_provider: String,
    pub date_time: String,
}

/// A registered device used during capture.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredDevice {
    pub device_code: String,
    pub device_service_version: String,
    pub digital_id: DigitalId,
}

/// Centre coordinates, when the GPS flag is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
}

/// Everything a packet is built from.
#[derive(Debug, Clone)]
pub struct PacketInput {
    pub process: Process,
    pub rid: Rid,
    /// Packet creation time (its UTC `yyyyMMddHHmmss` ends the packet id).
    pub created_at: OffsetDateTime,
    /// The ID schema version, written as the number `IDSchemaVersion` in every `ID.json`.
    pub schema_version: f64,
    /// `fieldCategory` of each schema field; fields not listed go to every sub-packet.
    pub field_categories: BTreeMap<String, FieldCategory>,
    /// Demographic values by field id, in entry order; empty values are left out.
    pub demographics: Vec<(String, Value)>,
    pub documents: Vec<Document>,
    pub biometrics: Vec<BiometricField>,
    pub operators: Operators,
    pub devices: Vec<RegisteredDevice>,
    pub gps: Option<Gps>,
    /// MOSIP audit maps (uuid, createdAt, eventId, …) for `audit.json`; at least one.
    pub audit: Vec<serde_json::Map<String, Value>>,
    /// Head of the machine's audit chain (hex SHA-256).
    pub audit_head: String,
    /// Data-entry languages, e.g. `["eng", "fra"]`.
    pub langs: Vec<String>,
    pub supervisor_status: SupervisorStatus,
    pub consent: bool,
}

impl PacketInput {
    /// Whether `field` goes in `subpacket`, by its category; unlisted fields go everywhere.
    pub fn routes(&self, field: &str, subpacket: Subpacket) -> bool {
        self.field_categories
            .get(field)
            .copied()
            .unwrap_or(FieldCategory::None)
            .subpackets()
            .contains(&subpacket)
    }

    /// The packet id (and file name without `.zip`).
    pub fn packet_id(&self) -> String {
        self.rid.packet_id(&super::rid::timestamp(self.created_at))
    }
}
