//! What a supervisor reviews before approving or rejecting a registration. The packet is
//! encrypted to the pipeline, so sign-off keeps a summary beside it in the encrypted store: the
//! demographic values as entered with their labels, the documents' types, each biometric's
//! quality against its threshold and the exceptions — never biometric or document bytes. Codes
//! chosen from lists (dynamic fields, locations, document types) carry their names from the
//! master data in force at sign-off. The summary is removed when a supervisor decides.

use enrol_schema::master_data::MasterData;
use enrol_schema::ui_spec::{Labels, UiField};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::approval::{PendingApproval, StatusChange};
use crate::error::Error;
use crate::registration::{Form, Registration, RegistrationError};
use crate::roles::Action;
use crate::session::Session;

/// One demographic value, with its language for the fields entered in several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewValue {
    pub language: Option<String>,
    pub value: String,
    /// For a code chosen from a list, its name per language.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub names: Labels,
}

/// A demographic field as the form labels it, with what was entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewField {
    pub id: String,
    pub label: Labels,
    pub values: Vec<ReviewValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDocument {
    pub field: String,
    /// The document field's label in the form.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub label: Labels,
    pub type_code: String,
    /// The document type's name per language.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub type_names: Labels,
    pub format: String,
}

/// A captured biometric's quality against the threshold in force at sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewBiometric {
    pub field: String,
    pub attribute: String,
    pub quality: u32,
    pub threshold: u32,
    pub retries: u32,
    pub forced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewException {
    pub field: String,
    pub attribute: String,
    pub reason: String,
}

/// The summary kept at sign-off (stored as JSON; fields may only be added, with defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub age_group: Option<String>,
    pub fields: Vec<ReviewField>,
    pub documents: Vec<ReviewDocument>,
    pub biometrics: Vec<ReviewBiometric>,
    pub exceptions: Vec<ReviewException>,
}

impl ReviewSummary {
    /// The summary of a registration ready for sign-off, fields in the form's order.
    pub fn of(
        registration: &Registration,
        form: &Form,
        age_group: Option<String>,
    ) -> ReviewSummary {
        let captured_elsewhere = |id: &str| {
            form.schema
                .fields
                .iter()
                .any(|field| field.id == id && (field.is_document() || field.is_biometrics()))
        };
        let fields = form
            .spec
            .fields()
            .filter(|field| !captured_elsewhere(&field.id))
            .filter_map(|field| {
                let mut values = review_values(registration.identity.get(&field.id)?);
                for value in &mut values {
                    value.names = choice_names(&form.master, field, &value.value);
                }
                (!values.is_empty()).then(|| ReviewField {
                    id: field.id.clone(),
                    label: field.label.clone(),
                    values,
                })
            })
            .collect();
        let threshold = |field: &str, attribute: &str| {
            form.capture_plan(field)
                .unwrap_or_default()
                .iter()
                .flat_map(|group| &group.attributes)
                .find(|planned| planned.attribute == attribute)
                .map_or(0, |planned| planned.threshold)
        };
        ReviewSummary {
            age_group,
            fields,
            documents: registration
                .documents
                .iter()
                .map(|doc| ReviewDocument {
                    field: doc.field.clone(),
                    label: form
                        .spec
                        .fields()
                        .find(|field| field.id == doc.field)
                        .map(|field| field.label.clone())
                        .unwrap_or_default(),
                    type_code: doc.type_code.clone(),
                    type_names: form.master.document_type_names(&doc.type_code),
                    format: doc.format.clone(),
                })
                .collect(),
            biometrics: registration
                .biometrics
                .iter()
                .map(|bio| ReviewBiometric {
                    field: bio.field.clone(),
                    attribute: bio.attribute.clone(),
                    quality: bio.quality,
                    threshold: threshold(&bio.field, &bio.attribute),
                    retries: bio.retries,
                    forced: bio.forced,
                })
                .collect(),
            exceptions: registration
                .exceptions
                .iter()
                .map(|exception| ReviewException {
                    field: exception.field.clone(),
                    attribute: exception.attribute.clone(),
                    reason: exception.reason.clone(),
                })
                .collect(),
        }
    }
}

/// What `code` reads as when `field` is a list: a dynamic field's value, or a location at the
/// field's level (as the validator looks them up); empty for other fields.
fn choice_names(master: &MasterData, field: &UiField, code: &str) -> Labels {
    let sub_type = field.sub_type.as_deref();
    if field.field_type.as_deref() == Some("dynamic") {
        master.dynamic_value_names(sub_type.unwrap_or(&field.id), &field.id, code)
    } else {
        sub_type.map_or_else(Labels::new, |level| master.location_names(level, code))
    }
}

/// An entered value as text: `simpleType` values one per language, others as written.
fn review_values(value: &Value) -> Vec<ReviewValue> {
    let plain = |text: String| ReviewValue {
        language: None,
        value: text,
        names: Labels::new(),
    };
    match value {
        Value::Null => Vec::new(),
        Value::String(text) if text.trim().is_empty() => Vec::new(),
        Value::String(text) => vec![plain(text.clone())],
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::Object(map) => Some(ReviewValue {
                    language: map
                        .get("language")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    value: map.get("value").and_then(Value::as_str)?.to_owned(),
                    names: Labels::new(),
                }),
                Value::String(text) => Some(plain(text.clone())),
                _ => None,
            })
            .collect(),
        other => vec![plain(other.to_string())],
    }
}

/// Keeps a registration's summary for its review (inside the sign-off's transaction).
pub(crate) fn store_review(
    tx: &Transaction<'_>,
    registration_id: &str,
    summary: &ReviewSummary,
) -> Result<(), Error> {
    let json = serde_json::to_string(summary)
        .map_err(|error| Error::invalid("review summary", error.to_string()))?;
    tx.execute(
        "INSERT INTO registration_reviews (registration_id, summary) VALUES (?1, ?2)",
        params![registration_id, json],
    )?;
    Ok(())
}

/// Removes a decided registration's summary (inside the decision's transaction).
pub(crate) fn remove_review(tx: &Transaction<'_>, registration_id: &str) -> Result<(), Error> {
    tx.execute(
        "DELETE FROM registration_reviews WHERE registration_id = ?1",
        [registration_id],
    )?;
    Ok(())
}

/// A registration awaiting a decision, as a supervisor reviews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalReview {
    pub pending: PendingApproval,
    #[serde(flatten)]
    pub summary: ReviewSummary,
    pub history: Vec<StatusChange>,
}

impl Session {
    /// The review of a registration awaiting approval (`APPROVAL_NOT_PENDING` once decided; an
    /// empty summary for packets signed off before summaries were kept).
    pub fn approval_review(&mut self, rid: &str) -> Result<ApprovalReview, Error> {
        self.authorize(Action::Approve)?;
        let pending = self
            .pending_approvals()?
            .into_iter()
            .find(|pending| pending.rid == rid);
        let Some(pending) = pending else {
            let approval: Option<String> = self
                .store()
                .conn()
                .query_row(
                    "SELECT approval FROM packets WHERE rid = ?1",
                    [rid],
                    |row| row.get(0),
                )
                .optional()?;
            return Err(match approval {
                Some(approval) => RegistrationError::NotPending {
                    rid: rid.to_owned(),
                    approval,
                },
                None => RegistrationError::UnknownPacket(rid.chars().take(40).collect()),
            }
            .into());
        };
        let json: Option<String> = self
            .store()
            .conn()
            .query_row(
                "SELECT summary FROM registration_reviews WHERE registration_id = ?1",
                [&pending.registration_id],
                |row| row.get(0),
            )
            .optional()?;
        let summary = match json {
            Some(json) => serde_json::from_str(&json)
                .map_err(|error| Error::invalid("review summary", error.to_string()))?,
            None => ReviewSummary::default(),
        };
        let history = self.status_history(rid)?;
        Ok(ApprovalReview {
            pending,
            summary,
            history,
        })
    }
}
