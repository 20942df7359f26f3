//! A registration in progress (what a draft holds) and its steps as pure functions over the
//! [`Form`]: demographics, documents, biometrics and exceptions, preview. The session layer in
//! `steps.rs` adds roles, the clock, persistence and audit around them.

use std::collections::BTreeMap;

use enrol_schema::packet::Process;
use enrol_schema::validate::{self, Context, ValidationError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use super::biometrics;
use super::documents::DocumentFormat;
use super::error::RegistrationError;
use super::form::Form;
use crate::packet::{BioAttribute, BiometricCapture, RegisteredDevice};

/// How far a registration has come; changing an earlier step after the preview undoes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Started,
    Demographics,
    Documents,
    Biometrics,
    Previewed,
}

/// An uploaded document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapturedDocument {
    pub field: String,
    pub category: String,
    pub type_code: String,
    pub format: String,
    /// Kept as a draft attachment, not in the body (read from it only for older drafts).
    #[serde(
        default,
        skip_serializing,
        deserialize_with = "base64_bytes::deserialize"
    )]
    pub bytes: Vec<u8>,
}

/// A captured biometric attribute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapturedBiometric {
    pub field: String,
    pub attribute: String,
    pub quality: u32,
    pub retries: u32,
    pub forced: bool,
    pub captured_at: i64,
    /// Kept as a draft attachment, not in the body (read from it only for older drafts).
    #[serde(
        default,
        skip_serializing,
        deserialize_with = "base64_bytes::deserialize"
    )]
    pub iso: Vec<u8>,
    /// The SBI device it came from; `None` for a record imported from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceSource>,
}

/// What an SBI device returned with a capture, kept for the packet's CBEFF `PAYLOAD` and
/// `capturedRegisteredDevices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceSource {
    /// The capture's signed-then-verified `data` block with `bioValue` replaced by MOSIP's
    /// placeholder.
    pub payload: String,
    pub spec_version: String,
    /// `<transactionId>-<attribute>`: the capture this record belongs to.
    pub bir_index: String,
    pub device: RegisteredDevice,
}

/// An attribute that cannot be captured, with the operator's reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exception {
    pub field: String,
    pub attribute: String,
    pub reason: String,
}

/// A registration in progress; the body of its draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub id: String,
    pub process: Process,
    pub operator_id: String,
    pub started_at: i64,
    pub step: Step,
    /// Demographic values only; documents and biometrics are added to the packet's `ID.json`
    /// by the builder.
    pub identity: Map<String, Value>,
    /// UPDATE: the field groups being updated.
    pub selected_groups: Vec<String>,
    pub documents: Vec<CapturedDocument>,
    pub biometrics: Vec<CapturedBiometric>,
    pub exceptions: Vec<Exception>,
    pub gps: Option<(f64, f64)>,
}

/// What the preview shows and the audit may hold: field ids and counts, no values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub process: Process,
    pub age_group: Option<String>,
    pub fields: Vec<String>,
    pub documents: Vec<String>,
    pub captured: Vec<String>,
    pub exceptions: Vec<String>,
}

impl Registration {
    pub fn new(id: String, process: Process, operator_id: String, started_at: i64) -> Self {
        Registration {
            id,
            process,
            operator_id,
            started_at,
            step: Step::Started,
            identity: Map::new(),
            selected_groups: Vec::new(),
            documents: Vec::new(),
            biometrics: Vec::new(),
            exceptions: Vec::new(),
            gps: None,
        }
    }

    /// The bulky captures by attachment name: documents and ISO records, stored beside the
    /// draft body as their own rows.
    pub(crate) fn attachments(&self) -> impl Iterator<Item = (String, &[u8])> {
        let documents = self
            .documents
            .iter()
            .map(|doc| (format!("document/{}", doc.field), doc.bytes.as_slice()));
        let biometrics = self.biometrics.iter().map(|bio| {
            (
                format!("biometric/{}/{}", bio.field, bio.attribute),
                bio.iso.as_slice(),
            )
        });
        documents.chain(biometrics)
    }

    /// The same captures, to fill in when a draft is loaded.
    pub(crate) fn attachments_mut(&mut self) -> impl Iterator<Item = (String, &mut Vec<u8>)> {
        let documents = self
            .documents
            .iter_mut()
            .map(|doc| (format!("document/{}", doc.field), &mut doc.bytes));
        let biometrics = self.biometrics.iter_mut().map(|bio| {
            (
                format!("biometric/{}/{}", bio.field, bio.attribute),
                &mut bio.iso,
            )
        });
        documents.chain(biometrics)
    }

    fn advance(
        &mut self,
        required: Step,
        reached: Step,
        name: &'static str,
    ) -> Result<(), RegistrationError> {
        if self.step < required {
            return Err(RegistrationError::StepOrder(name));
        }
        self.step = if self.step == Step::Previewed {
            reached
        } else {
            self.step.max(reached)
        };
        Ok(())
    }

    /// Demographics: the record's demographic fields, validated (documents and biometrics are
    /// judged at the preview, once captured).
    pub fn set_demographics(
        &mut self,
        form: &Form,
        identity: Map<String, Value>,
        selected_groups: Vec<String>,
        today: Date,
    ) -> Result<(), RegistrationError> {
        let demographics: Map<String, Value> = identity
            .into_iter()
            .filter(|(field, _)| form.is_demographic(field))
            .collect();
        let mut candidate = self.clone();
        candidate.identity = demographics;
        candidate.selected_groups = selected_groups;
        let errors: Vec<ValidationError> = candidate
            .validate(form, today)
            .into_iter()
            .filter(|error| form.is_demographic(&error.field))
            .collect();
        if !errors.is_empty() {
            return Err(RegistrationError::Invalid(errors));
        }
        candidate.advance(Step::Started, Step::Demographics, "the demographics")?;
        *self = candidate;
        Ok(())
    }

    /// A document for `field`: format from the magic bytes, which must match `declared`; size
    /// within the settings; type code valid for the field's category (default: the first one).
    pub fn add_document(
        &mut self,
        form: &Form,
        field: &str,
        declared: &str,
        type_code: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<(), RegistrationError> {
        let ui = form.field_of_kind(field, false)?;
        let category = ui.sub_type.clone().unwrap_or_default();
        let limit = form.settings.max_document_size_bytes;
        if bytes.len() as u64 > limit {
            return Err(RegistrationError::DocumentTooLarge {
                field: field.to_owned(),
                size: bytes.len() as u64,
                limit,
            });
        }
        let detected = DocumentFormat::detect(&bytes).ok_or_else(|| {
            RegistrationError::DocumentFormatUnknown {
                field: field.to_owned(),
            }
        })?;
        if DocumentFormat::parse(declared) != Some(detected) {
            return Err(RegistrationError::DocumentFormatMismatch {
                field: field.to_owned(),
                declared: declared.chars().take(16).collect(),
                detected: detected.extension(),
            });
        }
        let first_valid = form
            .master
            .valid_document_types(&category)
            .next()
            .map(str::to_owned);
        let type_code = match type_code {
            Some(code)
                if form
                    .master
                    .valid_document_types(&category)
                    .any(|c| c == code) =>
            {
                code.to_owned()
            }
            Some(code) => {
                return Err(RegistrationError::DocumentTypeInvalid {
                    field: field.to_owned(),
                    type_code: code.chars().take(32).collect(),
                    category,
                });
            }
            None => first_valid.ok_or_else(|| RegistrationError::DocumentTypeInvalid {
                field: field.to_owned(),
                type_code: String::new(),
                category: category.clone(),
            })?,
        };
        self.advance(Step::Demographics, Step::Documents, "the demographics")?;
        self.documents.retain(|doc| doc.field != field);
        self.documents.push(CapturedDocument {
            field: field.to_owned(),
            category,
            type_code,
            format: detected.extension().to_owned(),
            bytes,
        });
        Ok(())
    }

    /// A captured attribute's ISO record with its quality and the attempts it took.
    #[allow(clippy::too_many_arguments)]
    pub fn add_biometric(
        &mut self,
        form: &Form,
        field: &str,
        attribute: &str,
        iso: Vec<u8>,
        quality: u32,
        retries: u32,
        captured_at: i64,
    ) -> Result<(), RegistrationError> {
        let parsed = check_attribute(form, field, attribute)?;
        biometrics::check_record(parsed, &iso)?;
        let forced = biometrics::check_quality(&form.settings, parsed, quality, retries)?;
        if self.exception(field, attribute).is_some() {
            return Err(RegistrationError::CapturedAndExcepted {
                attribute: attribute.to_owned(),
            });
        }
        self.advance(Step::Demographics, Step::Biometrics, "the demographics")?;
        self.biometrics
            .retain(|b| !(b.field == field && b.attribute == attribute));
        self.biometrics.push(CapturedBiometric {
            field: field.to_owned(),
            attribute: attribute.to_owned(),
            quality,
            retries,
            forced,
            captured_at,
            iso,
            device: None,
        });
        Ok(())
    }

    /// [`Registration::add_biometric`] for a verified device capture, keeping what the device
    /// returned with it.
    pub fn add_device_biometric(
        &mut self,
        form: &Form,
        field: &str,
        capture: BiometricCapture,
        source: DeviceSource,
    ) -> Result<(), RegistrationError> {
        let attribute = capture.attribute.as_str();
        self.add_biometric(
            form,
            field,
            attribute,
            capture.iso,
            capture.quality,
            capture.retries,
            capture.captured_at.unix_timestamp(),
        )?;
        if let Some(added) = self
            .biometrics
            .iter_mut()
            .find(|b| b.field == field && b.attribute == attribute)
        {
            added.device = Some(source);
        }
        Ok(())
    }

    /// Marks an attribute as an exception (missing or defective), with a reason.
    pub fn add_exception(
        &mut self,
        form: &Form,
        field: &str,
        attribute: &str,
        reason: &str,
    ) -> Result<(), RegistrationError> {
        check_attribute(form, field, attribute)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 200 {
            return Err(RegistrationError::ExceptionReasonRequired);
        }
        if self
            .biometrics
            .iter()
            .any(|b| b.field == field && b.attribute == attribute)
        {
            return Err(RegistrationError::CapturedAndExcepted {
                attribute: attribute.to_owned(),
            });
        }
        self.advance(Step::Demographics, Step::Biometrics, "the demographics")?;
        self.exceptions
            .retain(|e| !(e.field == field && e.attribute == attribute));
        self.exceptions.push(Exception {
            field: field.to_owned(),
            attribute: attribute.to_owned(),
            reason: reason.to_owned(),
        });
        Ok(())
    }

    /// Takes back an exception (the attribute can be captured after all); nothing to take back
    /// is not an error.
    pub fn remove_exception(
        &mut self,
        form: &Form,
        field: &str,
        attribute: &str,
    ) -> Result<(), RegistrationError> {
        check_attribute(form, field, attribute)?;
        self.advance(Step::Demographics, Step::Biometrics, "the demographics")?;
        self.exceptions
            .retain(|e| !(e.field == field && e.attribute == attribute));
        Ok(())
    }

    fn exception(&self, field: &str, attribute: &str) -> Option<&Exception> {
        self.exceptions
            .iter()
            .find(|e| e.field == field && e.attribute == attribute)
    }

    /// The full check before sign-off: every required field, document and biometric (with the
    /// age group's rules), and a proof of exception where the spec asks for one.
    pub fn preview(&mut self, form: &Form, today: Date) -> Result<Preview, RegistrationError> {
        if self.step < Step::Demographics {
            return Err(RegistrationError::StepOrder("the demographics"));
        }
        let errors = self.validate(form, today);
        if !errors.is_empty() {
            return Err(RegistrationError::Invalid(errors));
        }
        let proof_needed = self.exceptions.iter().any(|exception| {
            form.spec
                .field(&exception.field)
                .is_some_and(|field| field.exception_photo_required)
        });
        if proof_needed && !self.documents.iter().any(|doc| doc.category == "POE") {
            return Err(RegistrationError::ExceptionProofRequired);
        }
        self.step = Step::Previewed;
        Ok(Preview {
            process: self.process,
            age_group: form
                .validator
                .age_group(&self.identity, today)
                .map(str::to_owned),
            fields: self.identity.keys().cloned().collect(),
            documents: self.documents.iter().map(|d| d.field.clone()).collect(),
            captured: self
                .biometrics
                .iter()
                .map(|b| format!("{}.{}", b.field, b.attribute))
                .collect(),
            exceptions: self
                .exceptions
                .iter()
                .map(|e| format!("{}.{}", e.field, e.attribute))
                .collect(),
        })
    }

    /// The identity as the validator sees it: demographics plus the document and biometrics
    /// references the packet will carry.
    fn validate(&self, form: &Form, today: Date) -> Vec<ValidationError> {
        let mut identity = self.identity.clone();
        for doc in &self.documents {
            identity.insert(
                doc.field.clone(),
                serde_json::json!({"format": doc.format, "type": doc.type_code, "value": doc.field}),
            );
        }
        let mut captures: BTreeMap<String, validate::BiometricCapture> = BTreeMap::new();
        for bio in &self.biometrics {
            captures
                .entry(bio.field.clone())
                .or_default()
                .captured
                .insert(bio.attribute.clone());
        }
        for exception in &self.exceptions {
            captures
                .entry(exception.field.clone())
                .or_default()
                .excepted
                .insert(exception.attribute.clone());
        }
        for field in captures.keys() {
            identity.insert(
                field.clone(),
                serde_json::json!({"format": "cbeff", "version": 1.0, "value": format!("{field}_bio_CBEFF")}),
            );
        }
        let context = Context {
            today,
            selected_groups: &self.selected_groups,
            languages: &[],
            biometrics: &captures,
        };
        form.validator.validate(&identity, &context)
    }
}

fn check_attribute(
    form: &Form,
    field: &str,
    attribute: &str,
) -> Result<BioAttribute, RegistrationError> {
    let ui = form.field_of_kind(field, true)?;
    let parsed = BioAttribute::parse(attribute)
        .ok_or_else(|| RegistrationError::UnknownAttribute(attribute.chars().take(32).collect()))?;
    if !ui.bio_attributes.iter().any(|a| a == attribute) {
        return Err(RegistrationError::AttributeNotInField {
            field: field.to_owned(),
            attribute: attribute.to_owned(),
        });
    }
    Ok(parsed)
}

/// Byte fields as base64 text inside the JSON body of drafts saved before attachments.
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <&str>::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
