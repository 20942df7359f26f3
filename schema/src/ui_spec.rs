//! MOSIP UI specs: the registration client's process specs (screens of fields with control
//! types, `visible` / `requiredOn` rules, biometric attributes), plus the two other documents
//! MOSIP ships in the same table: the pre-registration field list and the settings pages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::identity_schema::ValidatorSpec;
use crate::json::{LoadError, MAX_DOCUMENT_BYTES, nullable, parse_bounded};

/// Language code → text (`{"eng": "Full Name", "ara": "…"}`).
pub type Labels = BTreeMap<String, String>;

/// A registration process spec (`newProcess`, `updateProcess`, `lostProcess`, `bioCorrectionProcess`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProcessSpec {
    /// NEW, UPDATE, LOST or BIOMETRIC_CORRECTION: the packet's `process`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "lenient_order")]
    pub order: u32,
    /// NEW, UPDATE, LOST or CORRECTION.
    #[serde(deserialize_with = "nullable")]
    pub flow: String,
    #[serde(deserialize_with = "nullable")]
    pub is_sub_process: bool,
    #[serde(deserialize_with = "nullable")]
    pub label: Labels,
    #[serde(deserialize_with = "nullable")]
    pub caption: Labels,
    pub icon: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub is_active: bool,
    /// Update groups always selected (UPDATE: Consent, PreferredLanguage, Documents, Biometrics).
    #[serde(deserialize_with = "nullable")]
    pub auto_selected_groups: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub screens: Vec<Screen>,
}

impl ProcessSpec {
    /// Parses a process spec; `source_name` names the input in errors.
    pub fn parse(source_name: &str, bytes: &[u8]) -> Result<ProcessSpec, LoadError> {
        let spec: ProcessSpec = parse_bounded(source_name, bytes, MAX_DOCUMENT_BYTES)?;
        if spec.screens.is_empty() {
            return Err(LoadError::invalid(
                source_name,
                "SPEC_NO_SCREENS",
                "screens",
                "a process spec needs at least one screen",
            ));
        }
        Ok(spec)
    }

    /// Every field of every screen, in screen order.
    pub fn fields(&self) -> impl Iterator<Item = &UiField> {
        self.screens.iter().flat_map(|screen| screen.fields.iter())
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&UiField> {
        self.fields().find(|field| field.id == id)
    }
}

/// One screen of a process.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Screen {
    #[serde(deserialize_with = "lenient_order")]
    pub order: u32,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub label: Labels,
    #[serde(deserialize_with = "nullable")]
    pub caption: Labels,
    #[serde(deserialize_with = "nullable")]
    pub fields: Vec<UiField>,
    pub layout_template: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub pre_reg_fetch_required: bool,
    /// Correction flows: the operator enters the `additionalInfoReqId`.
    #[serde(deserialize_with = "nullable")]
    pub additional_info_request_id_required: bool,
    #[serde(deserialize_with = "nullable")]
    pub active: bool,
}

/// One field of a screen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UiField {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub input_required: bool,
    /// simpleType, documentType, biometricsType, string, number.
    #[serde(rename = "type")]
    pub value_type: Option<String>,
    pub description: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub label: Labels,
    /// textbox, dropdown, checkbox, button, date, ageDate, html, fileupload, biometrics.
    pub control_type: Option<String>,
    /// `default` or `dynamic`.
    pub field_type: Option<String>,
    pub format: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub validators: Vec<ValidatorSpec>,
    pub field_category: Option<String>,
    pub alignment_group: Option<String>,
    pub visible: Option<Rule>,
    #[serde(deserialize_with = "one_or_many")]
    pub required_on: Vec<Rule>,
    #[serde(deserialize_with = "nullable")]
    pub required: bool,
    pub contact_type: Option<String>,
    /// Update-UIN selection group (FullName, Address, Location, Documents, Biometrics, …).
    pub group: Option<String>,
    pub group_label: Option<Labels>,
    pub change_action: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub transliterate: bool,
    pub template_name: Option<String>,
    pub field_layout: Option<String>,
    pub location_hierarchy: Option<serde_json::Value>,
    /// Document category (POA, POI, …), biometric owner (applicant, introducer,
    /// applicant-auth), location level (Region, …, Postal Code) or a named role.
    pub sub_type: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub bio_attributes: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub conditional_bio_attributes: Vec<ConditionalBioAttributes>,
    #[serde(deserialize_with = "nullable")]
    pub exception_photo_required: bool,
    /// Days for date controls (0 when unused).
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

impl UiField {
    pub fn is_dynamic(&self) -> bool {
        self.field_type.as_deref() == Some("dynamic")
    }

    /// A date-picker field whose value is `yyyy/MM/dd`.
    pub fn is_date(&self) -> bool {
        matches!(self.control_type.as_deref(), Some("date" | "ageDate"))
    }
}

/// A conditional expression (`{"engine": "MVEL", "expr": "…"}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Rule {
    #[serde(deserialize_with = "nullable")]
    pub engine: String,
    #[serde(deserialize_with = "nullable")]
    pub expr: String,
}

/// Biometric attributes that replace the field's own for an age group and process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConditionalBioAttributes {
    /// INFANT, MINOR, ADULT or ALL.
    #[serde(deserialize_with = "nullable")]
    pub age_group: String,
    /// A process id or ALL.
    #[serde(deserialize_with = "nullable")]
    pub process: String,
    /// Boolean expression over attribute names, e.g. `face || (leftEye && rightEye)`.
    #[serde(deserialize_with = "nullable")]
    pub validation_expr: String,
    #[serde(deserialize_with = "nullable")]
    pub bio_attributes: Vec<String>,
}

/// The pre-registration `schema` spec: a flat field list (`{"identity": {"identity": […]}}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PreRegistrationSpec {
    #[serde(deserialize_with = "nullable")]
    pub identity: Vec<PreRegistrationField>,
    pub location_hierarchy: Option<serde_json::Value>,
}

/// One pre-registration field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PreRegistrationField {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub description: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub label_name: Labels,
    #[serde(rename = "type")]
    pub value_type: Option<String>,
    pub control_type: Option<String>,
    pub field_type: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub input_required: bool,
    #[serde(deserialize_with = "nullable")]
    pub required: bool,
    #[serde(deserialize_with = "nullable")]
    pub validators: Vec<ValidatorSpec>,
    pub sub_type: Option<String>,
    pub location_hierarchy_level: Option<u32>,
    pub parent_loc_code: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub transliteration: bool,
}

/// One settings page of the registration client (the `settings` spec).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SettingsPage {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub description: Labels,
    #[serde(deserialize_with = "nullable")]
    pub label: Labels,
    pub fxml: Option<String>,
    pub icon: Option<String>,
    #[serde(deserialize_with = "lenient_order")]
    pub order: u32,
    #[serde(rename = "shortcut-icon")]
    pub shortcut_icon: Option<String>,
    #[serde(rename = "access-control", deserialize_with = "nullable")]
    pub access_control: Vec<String>,
}

/// Any document of MOSIP's `ui_spec` table, told apart by its shape.
#[derive(Debug, Clone, PartialEq)]
pub enum UiSpecDocument {
    Process(ProcessSpec),
    PreRegistration(PreRegistrationSpec),
    Settings(Vec<SettingsPage>),
}

impl UiSpecDocument {
    /// Parses any UI-spec document: an array is the settings pages, an object with `screens`
    /// a process spec, an object with `identity` the pre-registration spec.
    pub fn parse(source_name: &str, bytes: &[u8]) -> Result<UiSpecDocument, LoadError> {
        #[derive(Deserialize)]
        struct PreRegistrationDocument {
            identity: PreRegistrationSpec,
        }
        // Told apart on a generic parse, then parsed again typed so errors carry line:column.
        let value: serde_json::Value = parse_bounded(source_name, bytes, MAX_DOCUMENT_BYTES)?;
        match &value {
            serde_json::Value::Array(_) => {
                parse_bounded(source_name, bytes, MAX_DOCUMENT_BYTES).map(UiSpecDocument::Settings)
            }
            serde_json::Value::Object(map) if map.contains_key("screens") => {
                ProcessSpec::parse(source_name, bytes).map(UiSpecDocument::Process)
            }
            serde_json::Value::Object(map) if map.contains_key("identity") => {
                parse_bounded::<PreRegistrationDocument>(source_name, bytes, MAX_DOCUMENT_BYTES)
                    .map(|document| UiSpecDocument::PreRegistration(document.identity))
            }
            _ => Err(LoadError::invalid(
                source_name,
                "SPEC_SHAPE",
                "$",
                "not a UI spec: expected an object with screens or identity, or a list of settings pages",
            )),
        }
    }
}

/// `requiredOn` is a list in MOSIP 1.2 and a single object in some older specs.
fn one_or_many<'de, D>(deserializer: D) -> Result<Vec<Rule>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<Rule>),
        One(Rule),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::Many(rules)) => rules,
        Some(OneOrMany::One(rule)) => vec![rule],
    })
}

/// Screen and page `order` is a number in process specs and a string in the settings spec.
fn lenient_order<'de, D>(deserializer: D) -> Result<u32, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Order {
        Number(u32),
        Text(String),
    }
    match Option::<Order>::deserialize(deserializer)? {
        None => Ok(0),
        Some(Order::Number(n)) => Ok(n),
        Some(Order::Text(text)) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("order {text:?} is not a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_unknown_keys_are_tolerated() {
        let json = r#"{"id": "NEW", "order": 1, "flow": "NEW", "label": null, "futureKey": 3,
          "screens": [{"order": "2", "name": "s", "fields": [
            {"id": "a", "type": "string", "required": null, "requiredOn": {"engine": "MVEL", "expr": "true"},
             "bioAttributes": null, "conditionalBioAttributes": null, "controlType": "ageDate"}]}]}"#;
        let spec = ProcessSpec::parse("p.json", json.as_bytes()).unwrap();
        let field = spec.field("a").unwrap();
        assert!(!field.required);
        assert_eq!(field.required_on[0].expr, "true");
        assert!(field.is_date());
        assert_eq!(spec.screens[0].order, 2);
    }

    #[track_caller]
    fn check_shape(json: &str, expected: &str) {
        let outcome = UiSpecDocument::parse("u.json", json.as_bytes());
        let got = match &outcome {
            Ok(UiSpecDocument::Process(_)) => "process".to_owned(),
            Ok(UiSpecDocument::PreRegistration(_)) => "pre-registration".to_owned(),
            Ok(UiSpecDocument::Settings(_)) => "settings".to_owned(),
            Err(error) => error.code().to_owned(),
        };
        assert_eq!(got, expected, "{outcome:?}");
    }

    #[test]
    fn documents_are_told_apart_by_shape() {
        check_shape(r#"{"screens": [{"fields": []}]}"#, "process");
        check_shape(
            r#"{"identity": {"identity": [{"id": "x"}]}}"#,
            "pre-registration",
        );
        check_shape(r#"[{"name": "devices", "order": "3"}]"#, "settings");
        check_shape(r#"{"screens": []}"#, "SPEC_NO_SCREENS");
        check_shape(r#"{"screens": 7}"#, "JSON_TYPE");
        check_shape(r#"[{"order": "third"}]"#, "JSON_TYPE");
        check_shape(r#"{"identity": {"identity": {}}}"#, "JSON_TYPE");
        check_shape(r#"{"other": 1}"#, "SPEC_SHAPE");
        check_shape(r#"{"screens": [{"fields": [}"#, "JSON_SYNTAX");
    }
}
