//! Why a registration step is refused; every variant has a stable code and a message without
//! personal data (field ids, attribute names and codes only).

use enrol_schema::validate::ValidationError;

/// A refused registration step.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("the record is invalid: {}", summary(.0))]
    Invalid(Vec<ValidationError>),
    #[error("the record cannot be read: {0}")]
    Record(#[from] enrol_schema::json::LoadError),
    #[error("the schema or UI spec cannot be used: {0}")]
    Form(String),
    #[error("{field} is not a {kind} field of the {process} form")]
    UnknownField {
        field: String,
        kind: &'static str,
        process: &'static str,
    },
    #[error("{0} is not a biometric attribute")]
    UnknownAttribute(String),
    #[error("{attribute} is not captured by {field}")]
    AttributeNotInField { field: String, attribute: String },
    #[error("document {field}: the file is not a PDF, JPEG or PNG")]
    DocumentFormatUnknown { field: String },
    #[error("document {field}: declared {declared} but the file is {detected}")]
    DocumentFormatMismatch {
        field: String,
        declared: String,
        detected: &'static str,
    },
    #[error("document {field}: larger than the {limit} bytes allowed")]
    DocumentTooLarge {
        field: String,
        size: u64,
        limit: u64,
    },
    #[error("document {field}: type {type_code} is not valid for category {category}")]
    DocumentTypeInvalid {
        field: String,
        type_code: String,
        category: String,
    },
    #[error("biometric {attribute}: not an ISO 19794 {modality} record")]
    BiometricRecordInvalid {
        attribute: String,
        modality: &'static str,
    },
    #[error(
        "biometric {attribute}: quality {quality} is below {threshold}; capture again (attempt {retries} of {max})"
    )]
    BiometricQualityLow {
        attribute: String,
        quality: u32,
        threshold: u32,
        retries: u32,
        max: u32,
    },
    #[error(
        "{field} has nothing left to capture with a {bio_type} device's sub-id {device_sub_id}"
    )]
    NothingToCapture {
        field: String,
        bio_type: &'static str,
        device_sub_id: u32,
    },
    #[error("biometric {attribute} is both captured and marked as an exception")]
    CapturedAndExcepted { attribute: String },
    #[error("an exception needs a reason")]
    ExceptionReasonRequired,
    #[error("biometric exceptions need a proof-of-exception photo or document")]
    ExceptionProofRequired,
    #[error("biometric exceptions need a supervisor's authentication at sign-off")]
    ExceptionNotAuthorised,
    #[error("{0} must come first")]
    StepOrder(&'static str),
    #[error("no registration draft {0}")]
    DraftNotFound(String),
    #[error("the draft {0} is damaged")]
    DraftDamaged(String),
    #[error("the draft belongs to operator {0}")]
    DraftOwner(String),
    #[error("the registration is larger than {0} bytes")]
    TooLarge(u64),
    #[error("no packet {0}")]
    UnknownPacket(String),
    #[error("packet {rid} is already {approval}")]
    NotPending { rid: String, approval: String },
    #[error("a rejection needs a reason (1 to 200 characters)")]
    ReasonRequired,
    #[error("packet {0} awaits a supervisor's decision: its manifest is not final")]
    ManifestPending(String),
}

impl RegistrationError {
    pub fn code(&self) -> &'static str {
        match self {
            RegistrationError::Invalid(errors) => errors
                .first()
                .map_or("REGISTRATION_INVALID", |error| error.code.as_str()),
            RegistrationError::Record(error) => error.code(),
            RegistrationError::Form(_) => "REGISTRATION_FORM",
            RegistrationError::UnknownField { .. } => "REGISTRATION_UNKNOWN_FIELD",
            RegistrationError::UnknownAttribute(_) => "BIOMETRIC_ATTRIBUTE_UNKNOWN",
            RegistrationError::AttributeNotInField { .. } => "BIOMETRIC_ATTRIBUTE_NOT_IN_FIELD",
            RegistrationError::DocumentFormatUnknown { .. } => "DOCUMENT_FORMAT_UNKNOWN",
            RegistrationError::DocumentFormatMismatch { .. } => "DOCUMENT_FORMAT_MISMATCH",
            RegistrationError::DocumentTooLarge { .. } => "DOCUMENT_TOO_LARGE",
            RegistrationError::DocumentTypeInvalid { .. } => "DOCUMENT_TYPE_INVALID",
            RegistrationError::BiometricRecordInvalid { .. } => "BIOMETRIC_RECORD_INVALID",
            RegistrationError::BiometricQualityLow { .. } => "BIOMETRIC_QUALITY_LOW",
            RegistrationError::NothingToCapture { .. } => "BIOMETRIC_NOTHING_TO_CAPTURE",
            RegistrationError::CapturedAndExcepted { .. } => "BIOMETRIC_CAPTURED_AND_EXCEPTED",
            RegistrationError::ExceptionReasonRequired => "EXCEPTION_REASON_REQUIRED",
            RegistrationError::ExceptionProofRequired => "EXCEPTION_PROOF_REQUIRED",
            RegistrationError::ExceptionNotAuthorised => "EXCEPTION_NOT_AUTHORISED",
            RegistrationError::StepOrder(_) => "REGISTRATION_STEP_ORDER",
            RegistrationError::DraftNotFound(_) => "DRAFT_NOT_FOUND",
            RegistrationError::DraftDamaged(_) => "DRAFT_DAMAGED",
            RegistrationError::DraftOwner(_) => "DRAFT_OWNER",
            RegistrationError::TooLarge(_) => "REGISTRATION_TOO_LARGE",
            RegistrationError::UnknownPacket(_) => "PACKET_UNKNOWN",
            RegistrationError::NotPending { .. } => "APPROVAL_NOT_PENDING",
            RegistrationError::ReasonRequired => "APPROVAL_REASON_REQUIRED",
            RegistrationError::ManifestPending(_) => "MANIFEST_PENDING",
        }
    }
}

/// `field: CODE` pairs (the validator's messages never echo values).
fn summary(errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(|error| match &error.language {
            Some(language) => format!("{} ({language}): {}", error.field, error.code.as_str()),
            None => format!("{}: {}", error.field, error.code.as_str()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
