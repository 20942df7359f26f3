//! Validation of a demographic record against an identity schema and, optionally, a process
//! spec and master data: required / requiredOn / visible, value types, per-language regex
//! validators, dynamic-field and location values, dates and age groups, documents and
//! biometrics (including `conditionalBioAttributes`).
//!
//! Everything that can be prepared once (regexes, rule expressions, master-data lookups) is
//! compiled by [`Validator::new`]; [`Validator::validate`] then only reads.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use time::{Date, Month};

use crate::identity_schema::{IdentitySchema, ValidatorSpec, ValueType};
use crate::master_data::MasterData;
use crate::pattern::{FieldPattern, PatternError};
use crate::record::simple_values;
use crate::rules::{Expression, ParseError, Scope, Value};
use crate::settings::{AgeGroup, RegistrationSettings};
use crate::ui_spec::{ProcessSpec, Rule, UiField};

/// The 13 biometric attributes MOSIP names in `bioAttributes` and `validationExpr`.
pub const BIO_ATTRIBUTES: [&str; 13] = [
    "leftEye",
    "rightEye",
    "rightIndex",
    "rightLittle",
    "rightRing",
    "rightMiddle",
    "leftIndex",
    "leftLittle",
    "leftRing",
    "leftMiddle",
    "leftThumb",
    "rightThumb",
    "face",
];

/// Most language values one multilingual field may carry.
pub const MAX_LANGUAGE_VALUES: usize = 32;

/// What went wrong with one field, in one language where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

/// Whether a field is shown and required for a record (see [`Validator::field_states`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldState {
    pub id: String,
    pub visible: bool,
    pub required: bool,
}

/// Stable validation error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A required (or requiredOn) field, or one of its languages, has no value.
    Required,
    /// The value does not have the field's type.
    Type,
    /// A regex validator refused the value.
    Pattern,
    /// Not a real `yyyy/MM/dd` date.
    DateInvalid,
    /// A date of birth after today.
    DateInFuture,
    /// The age falls in no configured age group.
    AgeOutOfRange,
    /// A value outside its dynamic field or location level.
    NotInList,
    /// A location that is not inside the location chosen one level up.
    LocationMismatch,
    /// A field neither the schema nor the spec defines.
    UnknownField,
    DocumentRequired,
    /// A document type not valid for the field's document category.
    DocumentTypeInvalid,
    BiometricRequired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Required => "REQUIRED",
            ErrorCode::Type => "TYPE",
            ErrorCode::Pattern => "PATTERN",
            ErrorCode::DateInvalid => "DATE_INVALID",
            ErrorCode::DateInFuture => "DATE_IN_FUTURE",
            ErrorCode::AgeOutOfRange => "AGE_OUT_OF_RANGE",
            ErrorCode::NotInList => "NOT_IN_LIST",
            ErrorCode::LocationMismatch => "LOCATION_MISMATCH",
            ErrorCode::UnknownField => "UNKNOWN_FIELD",
            ErrorCode::DocumentRequired => "DOCUMENT_REQUIRED",
            ErrorCode::DocumentTypeInvalid => "DOCUMENT_TYPE_INVALID",
            ErrorCode::BiometricRequired => "BIOMETRIC_REQUIRED",
        }
    }
}

/// Why a schema / spec pair cannot be compiled into a validator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("field {field}: {error}")]
    Pattern { field: String, error: PatternError },
    #[error("field {field}: {which}: {error}")]
    Rule {
        field: String,
        which: &'static str,
        error: ParseError,
    },
    #[error("field {field}: {which}: unknown name {name:?} in {expression:?}")]
    RuleVariable {
        field: String,
        which: &'static str,
        name: String,
        expression: String,
    },
    #[error("field {field}: rule engine {engine:?} is not supported (only MVEL)")]
    RuleEngine { field: String, engine: String },
    #[error("field {field}: validator type {kind:?} is not supported (only regex)")]
    ValidatorType { field: String, kind: String },
    #[error("field {field}: unknown value type {value_type:?}")]
    FieldType { field: String, value_type: String },
}

impl SpecError {
    pub fn code(&self) -> &'static str {
        match self {
            SpecError::Pattern { .. } => "PATTERN_UNSUPPORTED",
            SpecError::Rule { .. } => "RULE_SYNTAX",
            SpecError::RuleVariable { .. } => "RULE_VARIABLE",
            SpecError::RuleEngine { .. } => "RULE_ENGINE",
            SpecError::ValidatorType { .. } => "VALIDATOR_TYPE",
            SpecError::FieldType { .. } => "SPEC_FIELD_TYPE",
        }
    }
}

/// What the operator captured for one biometrics field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BiometricCapture {
    pub captured: BTreeSet<String>,
    /// Attributes marked as exceptions (missing or defective).
    pub excepted: BTreeSet<String>,
}

/// Everything about one validation that is not in the record.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The date ages are computed at; the caller reads the clock, this crate never does.
    pub today: Date,
    /// UPDATE: the field groups the resident chose to update (`updatableFieldGroups`).
    pub selected_groups: &'a [String],
    /// Languages every required `simpleType` value must carry; empty skips the check.
    pub languages: &'a [String],
    /// Captured / excepted attributes per biometrics field id; a field without an entry is
    /// judged only on the presence of its `biometricsType` value.
    pub biometrics: &'a BTreeMap<String, BiometricCapture>,
}

impl Context<'_> {
    /// A context with nothing but today's date.
    pub fn new(today: Date) -> Context<'static> {
        static NO_CAPTURES: BTreeMap<String, BiometricCapture> = BTreeMap::new();
        Context {
            today,
            selected_groups: &[],
            languages: &[],
            biometrics: &NO_CAPTURES,
        }
    }
}

/// A compiled schema + spec + master data, ready to validate many records.
#[derive(Debug)]
pub struct Validator {
    checks: Vec<FieldCheck>,
    known: HashSet<String>,
    date_of_birth: Option<String>,
    process: Option<String>,
    update_flow: bool,
    auto_selected_groups: Vec<String>,
    age_groups: Vec<AgeGroup>,
    /// Location fields by hierarchy level, lowest level number (country) first.
    location_chain: Vec<(u32, String)>,
    /// Language → location code or name → the location.
    location_tree: HashMap<String, HashMap<String, LocationNode>>,
}

#[derive(Debug)]
struct LocationNode {
    code: String,
    parent: Option<String>,
}

#[derive(Debug)]
struct FieldCheck {
    id: String,
    value_type: ValueType,
    requirement: Requirement,
    visible: Option<Expression>,
    group: Option<String>,
    patterns: Vec<(Option<String>, FieldPattern)>,
    is_date: bool,
    /// Allowed codes (and, for locations, names) per language, from master data.
    allowed: Option<HashMap<String, HashSet<String>>>,
    allowed_label: &'static str,
    location_level: Option<u32>,
    document_types: Option<(String, HashSet<String>)>,
    biometrics: Option<BiometricRule>,
}

#[derive(Debug)]
enum Requirement {
    Never,
    Always,
    /// Required when any rule holds (`requiredOn` overrides `required`).
    When(Vec<Expression>),
}

#[derive(Debug)]
struct BiometricRule {
    attributes: Vec<String>,
    conditional: Vec<ConditionalRule>,
}

#[derive(Debug)]
struct ConditionalRule {
    age_group: String,
    process: String,
    expression: Expression,
}

impl Validator {
    /// Compiles a validator. Without a spec, the schema's `required` list decides what is
    /// required; with one, the spec's `required` / `requiredOn` / `visible` do. Master data,
    /// when given, adds the dynamic-field, location and document-type checks.
    pub fn new(
        schema: &IdentitySchema,
        spec: Option<&ProcessSpec>,
        master: Option<&MasterData>,
        settings: &RegistrationSettings,
    ) -> Result<Validator, SpecError> {
        let mut checks = Vec::new();
        let mut known: HashSet<String> = schema.fields.iter().map(|f| f.id.clone()).collect();
        let mut date_of_birth = schema.field("dateOfBirth").map(|f| f.id.clone());
        match spec {
            Some(spec) => {
                let mut listed = HashSet::new();
                for field in spec.fields() {
                    if !listed.insert(field.id.as_str()) {
                        continue; // a field listed twice in the spec is checked once
                    }
                    known.insert(field.id.clone());
                    if field.control_type.as_deref() == Some("ageDate") {
                        date_of_birth = Some(field.id.clone());
                    }
                    checks.push(compile_field(schema, Some(field), &field.id, master)?);
                }
                for field in &schema.fields {
                    if spec.field(&field.id).is_none() {
                        let mut check = compile_field(schema, None, &field.id, master)?;
                        check.requirement = Requirement::Never;
                        checks.push(check);
                    }
                }
            }
            None => {
                for field in &schema.fields {
                    checks.push(compile_field(schema, None, &field.id, master)?);
                }
            }
        }
        if let Some(dob) = &date_of_birth {
            for check in checks.iter_mut().filter(|c| &c.id == dob) {
                check.is_date = true;
            }
        }
        let mut location_chain: Vec<(u32, String)> = checks
            .iter()
            .filter_map(|c| c.location_level.map(|level| (level, c.id.clone())))
            .collect();
        location_chain.sort();
        Ok(Validator {
            location_chain,
            location_tree: master.map(location_tree).unwrap_or_default(),
            checks,
            known,
            date_of_birth,
            process: spec.map(|s| s.id.clone()),
            update_flow: spec.is_some_and(|s| s.flow.eq_ignore_ascii_case("UPDATE")),
            auto_selected_groups: spec
                .map(|s| s.auto_selected_groups.clone())
                .unwrap_or_default(),
            age_groups: settings.age_groups.clone(),
        })
    }

    /// Validates one record's `identity` map; an empty list means valid.
    pub fn validate(
        &self,
        identity: &Map<String, Json>,
        context: &Context,
    ) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        for key in identity.keys() {
            if !self.known.contains(key) {
                errors.push(error(
                    key,
                    None,
                    ErrorCode::UnknownField,
                    "the schema does not define this field".into(),
                ));
            }
        }
        let age = self.age(identity, context.today);
        let age_group = age.and_then(|age| self.group_of(age));
        let scope = RecordScope {
            identity,
            age,
            age_group,
            selected_groups: context.selected_groups,
        };
        for check in &self.checks {
            self.check_field(
                check,
                identity.get(&check.id),
                &scope,
                age_group,
                context,
                &mut errors,
            );
        }
        self.check_location_chain(identity, &mut errors);
        if let (Some(dob), Some(age), None) = (&self.date_of_birth, age, age_group) {
            errors.push(error(
                dob,
                None,
                ErrorCode::AgeOutOfRange,
                format!("age {age} is in no age group"),
            ));
        }
        errors
    }

    /// The age group (INFANT, MINOR, ADULT with MOSIP's ranges) of the record's date of birth
    /// on `today`, if the date is valid and falls in a group.
    pub fn age_group(&self, identity: &Map<String, Json>, today: Date) -> Option<&str> {
        self.group_of(self.age(identity, today)?)
    }

    /// Whether each field of the spec is shown and required for this record, in spec order
    /// (schema-only fields follow), for a form to render.
    pub fn field_states(&self, identity: &Map<String, Json>, context: &Context) -> Vec<FieldState> {
        let age = self.age(identity, context.today);
        let scope = RecordScope {
            identity,
            age,
            age_group: age.and_then(|age| self.group_of(age)),
            selected_groups: context.selected_groups,
        };
        self.checks
            .iter()
            .map(|check| {
                let (visible, required) = self.state(check, &scope, context);
                FieldState {
                    id: check.id.clone(),
                    visible,
                    required,
                }
            })
            .collect()
    }

    fn group_of(&self, age: u32) -> Option<&str> {
        self.age_groups
            .iter()
            .find(|g| (g.min_years..=g.max_years).contains(&age))
            .map(|g| g.name.as_str())
    }

    /// (shown, required) for one field: hidden by `visible` or by an unselected UPDATE group
    /// means neither.
    fn state(&self, check: &FieldCheck, scope: &RecordScope, context: &Context) -> (bool, bool) {
        let group_selected = !self.update_flow
            || check.group.as_ref().is_none_or(|group| {
                context.selected_groups.contains(group) || self.auto_selected_groups.contains(group)
            });
        let shown = group_selected
            && check
                .visible
                .as_ref()
                .is_none_or(|rule| rule.evaluate(scope));
        let required = shown
            && match &check.requirement {
                Requirement::Never => false,
                Requirement::Always => true,
                Requirement::When(rules) => rules.iter().any(|rule| rule.evaluate(scope)),
            };
        (shown, required)
    }

    /// Completed years between a valid, past date of birth and today.
    fn age(&self, identity: &Map<String, Json>, today: Date) -> Option<u32> {
        let born = parse_date(identity.get(self.date_of_birth.as_deref()?)?.as_str()?)?;
        if born > today {
            return None;
        }
        let before_birthday = (today.month() as u8, today.day()) < (born.month() as u8, born.day());
        u32::try_from(today.year() - born.year() - i32::from(before_birthday)).ok()
    }

    fn check_field(
        &self,
        check: &FieldCheck,
        value: Option<&Json>,
        scope: &RecordScope,
        age_group: Option<&str>,
        context: &Context,
        errors: &mut Vec<ValidationError>,
    ) {
        let id = check.id.as_str();
        let (_, required) = self.state(check, scope, context);
        let value = value.filter(|v| !is_blank(v));
        let Some(value) = value else {
            if required {
                let code = match check.value_type {
                    ValueType::Document => ErrorCode::DocumentRequired,
                    ValueType::Biometrics => ErrorCode::BiometricRequired,
                    _ => ErrorCode::Required,
                };
                errors.push(error(id, None, code, "a value is required".into()));
            }
            return;
        };
        match check.value_type {
            ValueType::SimpleType => {
                let Some(entries) = simple_values(value) else {
                    errors.push(type_error(id, check.value_type));
                    return;
                };
                if entries.len() > MAX_LANGUAGE_VALUES {
                    errors.push(error(
                        id,
                        None,
                        ErrorCode::Type,
                        format!("more than {MAX_LANGUAGE_VALUES} language values"),
                    ));
                    return;
                }
                for (i, (language, text)) in entries.iter().enumerate() {
                    if entries[..i].iter().any(|(other, _)| other == language) {
                        errors.push(error(
                            id,
                            Some(language),
                            ErrorCode::Type,
                            "language given twice".into(),
                        ));
                        continue;
                    }
                    self.check_text(check, Some(language), text, context, errors);
                }
                if required {
                    for language in context.languages {
                        if !entries
                            .iter()
                            .any(|(l, text)| l == language && !text.trim().is_empty())
                        {
                            errors.push(error(
                                id,
                                Some(language),
                                ErrorCode::Required,
                                "a value is required in this language".into(),
                            ));
                        }
                    }
                }
            }
            ValueType::String => match value.as_str() {
                Some(text) => self.check_text(check, None, text, context, errors),
                None => errors.push(type_error(id, check.value_type)),
            },
            ValueType::Number | ValueType::Integer => {
                let fits = value.is_number()
                    && (check.value_type == ValueType::Number || value.is_i64() || value.is_u64());
                if !fits {
                    errors.push(type_error(id, check.value_type));
                }
            }
            ValueType::Boolean if !value.is_boolean() => {
                errors.push(type_error(id, check.value_type))
            }
            ValueType::Array if !value.is_array() => errors.push(type_error(id, check.value_type)),
            ValueType::Boolean | ValueType::Array => {}
            ValueType::Document => check_document(check, value, errors),
            ValueType::Biometrics => {
                if !is_biometrics_value(value) {
                    errors.push(type_error(id, check.value_type));
                } else if let (Some(rule), Some(capture)) =
                    (&check.biometrics, context.biometrics.get(id))
                {
                    self.check_biometrics(id, rule, capture, age_group, errors);
                }
            }
        }
    }

    fn check_text(
        &self,
        check: &FieldCheck,
        language: Option<&str>,
        text: &str,
        context: &Context,
        errors: &mut Vec<ValidationError>,
    ) {
        let id = check.id.as_str();
        for (only, pattern) in &check.patterns {
            let applies = only.as_deref().is_none_or(|only| Some(only) == language);
            if applies && !pattern.is_match(text) {
                errors.push(error(
                    id,
                    language,
                    ErrorCode::Pattern,
                    format!("does not match {}", pattern.source()),
                ));
            }
        }
        if check.is_date {
            match parse_date(text) {
                None => errors.push(error(
                    id,
                    language,
                    ErrorCode::DateInvalid,
                    "not a real yyyy/MM/dd date".into(),
                )),
                Some(date) if date > context.today && self.date_of_birth.as_deref() == Some(id) => {
                    errors.push(error(
                        id,
                        language,
                        ErrorCode::DateInFuture,
                        "a date of birth cannot be in the future".into(),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(allowed) = &check.allowed {
            let listed = match language {
                Some(language) => allowed
                    .get(language)
                    .is_some_and(|values| values.contains(text)),
                None => allowed.values().any(|values| values.contains(text)),
            };
            if !listed {
                errors.push(error(
                    id,
                    language,
                    ErrorCode::NotInList,
                    format!("{text:?} is not one of the {}", check.allowed_label),
                ));
            }
        }
    }

    /// Each location must sit inside the one chosen at the level above it.
    fn check_location_chain(
        &self,
        identity: &Map<String, Json>,
        errors: &mut Vec<ValidationError>,
    ) {
        let mut above: Option<(&str, &str, u32)> = None;
        for (level, id) in &self.location_chain {
            let Some(node) = identity
                .get(id)
                .and_then(|value| self.resolve_location(value))
            else {
                above = None;
                continue;
            };
            if let Some((parent_field, parent_code, parent_level)) = above
                && parent_level + 1 == *level
                && node.parent.as_deref() != Some(parent_code)
            {
                errors.push(error(
                    id,
                    None,
                    ErrorCode::LocationMismatch,
                    format!("{} is not inside {parent_field} {parent_code}", node.code),
                ));
            }
            above = Some((id, &node.code, *level));
        }
    }

    fn resolve_location(&self, value: &Json) -> Option<&LocationNode> {
        match value {
            Json::String(text) => self
                .location_tree
                .values()
                .find_map(|names| names.get(text)),
            _ => simple_values(value)?
                .into_iter()
                .find_map(|(language, text)| self.location_tree.get(language)?.get(text)),
        }
    }

    fn check_biometrics(
        &self,
        id: &str,
        rule: &BiometricRule,
        capture: &BiometricCapture,
        age_group: Option<&str>,
        errors: &mut Vec<ValidationError>,
    ) {
        let conditional = rule.conditional.iter().find(|c| {
            (c.age_group.eq_ignore_ascii_case("ALL") || Some(c.age_group.as_str()) == age_group)
                && (c.process.eq_ignore_ascii_case("ALL")
                    || self
                        .process
                        .as_deref()
                        .is_some_and(|p| p.eq_ignore_ascii_case(&c.process)))
        });
        match conditional {
            Some(conditional) => {
                if !conditional.expression.evaluate(&CaptureScope(capture)) {
                    errors.push(error(
                        id,
                        None,
                        ErrorCode::BiometricRequired,
                        format!(
                            "captured attributes do not satisfy {}",
                            conditional.expression.source()
                        ),
                    ));
                }
            }
            None => {
                for attribute in &rule.attributes {
                    if !capture.captured.contains(attribute)
                        && !capture.excepted.contains(attribute)
                    {
                        errors.push(error(
                            id,
                            None,
                            ErrorCode::BiometricRequired,
                            format!("{attribute} is neither captured nor marked as an exception"),
                        ));
                    }
                }
            }
        }
    }
}

fn check_document(check: &FieldCheck, value: &Json, errors: &mut Vec<ValidationError>) {
    let id = check.id.as_str();
    let text = |key: &str| value.get(key).and_then(Json::as_str);
    let ref_number_ok = value
        .get("refNumber")
        .is_none_or(|r| r.is_null() || r.is_string());
    let (Some(document_type), true, true) = (text("type"), text("value").is_some(), ref_number_ok)
    else {
        errors.push(type_error(id, check.value_type));
        return;
    };
    if let Some((category, valid)) = &check.document_types
        && !valid.contains(document_type)
    {
        errors.push(error(
            id,
            None,
            ErrorCode::DocumentTypeInvalid,
            format!("{document_type:?} is not a valid {category} document type"),
        ));
    }
}

fn is_biometrics_value(value: &Json) -> bool {
    value.get("value").is_some_and(Json::is_string)
        && value.get("format").is_none_or(Json::is_string)
        && value
            .get("version")
            .is_none_or(|v| v.as_f64().is_some_and(|v| v >= 0.0))
}

/// Null, an empty string, an empty list or a list of blank language values.
fn is_blank(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::String(text) => text.trim().is_empty(),
        Json::Array(items) => items.iter().all(|item| match item.get("value") {
            Some(Json::String(text)) => text.trim().is_empty(),
            Some(_) => false,
            None => item.is_null(),
        }),
        _ => false,
    }
}

/// A strict `yyyy/MM/dd` date (impossible days such as 2023/02/30 are refused).
pub fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() != 10
        || bytes[4] != b'/'
        || bytes[7] != b'/'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let year: i32 = text[0..4].parse().ok()?;
    let month: u8 = text[5..7].parse().ok()?;
    let day: u8 = text[8..10].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn error(field: &str, language: Option<&str>, code: ErrorCode, message: String) -> ValidationError {
    ValidationError {
        field: field.to_owned(),
        language: language.map(str::to_owned),
        code,
        message,
    }
}

fn type_error(field: &str, expected: ValueType) -> ValidationError {
    error(
        field,
        None,
        ErrorCode::Type,
        format!("expected a {} value", expected.as_str()),
    )
}

fn compile_field(
    schema: &IdentitySchema,
    ui: Option<&UiField>,
    id: &str,
    master: Option<&MasterData>,
) -> Result<FieldCheck, SpecError> {
    let schema_field = schema.field(id);
    let value_type = match (schema_field, ui.and_then(|f| f.value_type.as_deref())) {
        (Some(field), _) => field.value_type,
        (None, Some(name)) => ValueType::parse(name).ok_or_else(|| SpecError::FieldType {
            field: id.to_owned(),
            value_type: name.to_owned(),
        })?,
        (None, None) => ValueType::String,
    };
    let mut patterns: Vec<(Option<String>, FieldPattern)> = Vec::new();
    let schema_validators = schema_field
        .map(|f| f.validators.as_slice())
        .unwrap_or_default();
    let ui_validators = ui.map(|f| f.validators.as_slice()).unwrap_or_default();
    for spec in schema_validators.iter().chain(ui_validators) {
        compile_validator(id, spec, &mut patterns)?;
    }
    let requirement = match ui {
        Some(field) if !field.required_on.is_empty() => Requirement::When(
            field
                .required_on
                .iter()
                .map(|rule| compile_rule(id, "requiredOn", rule))
                .collect::<Result<_, _>>()?,
        ),
        Some(field) if field.required => Requirement::Always,
        Some(_) => Requirement::Never,
        None if schema.is_required(id) => Requirement::Always,
        None => Requirement::Never,
    };
    let visible = match ui.and_then(|f| f.visible.as_ref()) {
        Some(rule) if !rule.expr.trim().is_empty() => Some(compile_rule(id, "visible", rule)?),
        _ => None,
    };
    let dynamic = ui.map_or_else(
        || schema_field.is_some_and(|f| f.dynamic),
        UiField::is_dynamic,
    );
    let sub_type = ui.and_then(|f| f.sub_type.as_deref());
    let location_level = match master {
        Some(master) if !dynamic => sub_type.and_then(|level| master.location_level(level)),
        _ => None,
    };
    let (allowed, allowed_label) = match master {
        Some(master) if dynamic => (
            dynamic_values(master, sub_type.unwrap_or(id), id),
            "dynamic field values",
        ),
        Some(master) => (
            sub_type.and_then(|level| location_values(master, level)),
            "locations at this level",
        ),
        None => (None, ""),
    };
    let document_types = match (master, sub_type) {
        (Some(master), Some(category)) if value_type == ValueType::Document => {
            let valid: HashSet<String> = master
                .valid_document_types(category)
                .map(str::to_owned)
                .collect();
            (!valid.is_empty()).then(|| (category.to_owned(), valid))
        }
        _ => None,
    };
    let biometrics = match value_type {
        ValueType::Biometrics => Some(compile_biometrics(
            id,
            schema_field.map(|f| f.bio_attributes.as_slice()),
            ui,
        )?),
        _ => None,
    };
    Ok(FieldCheck {
        id: id.to_owned(),
        value_type,
        requirement,
        visible,
        group: ui.and_then(|f| f.group.clone()),
        patterns,
        is_date: ui.is_some_and(UiField::is_date),
        allowed,
        allowed_label,
        location_level,
        document_types,
        biometrics,
    })
}

fn compile_validator(
    id: &str,
    spec: &ValidatorSpec,
    patterns: &mut Vec<(Option<String>, FieldPattern)>,
) -> Result<(), SpecError> {
    if !spec.kind.eq_ignore_ascii_case("regex") {
        return Err(SpecError::ValidatorType {
            field: id.to_owned(),
            kind: spec.kind.clone(),
        });
    }
    let duplicate = patterns
        .iter()
        .any(|(lang, p)| *lang == spec.lang_code && p.source() == spec.validator);
    if !duplicate {
        let pattern =
            FieldPattern::compile(&spec.validator).map_err(|error| SpecError::Pattern {
                field: id.to_owned(),
                error,
            })?;
        patterns.push((spec.lang_code.clone(), pattern));
    }
    Ok(())
}

fn compile_rule(id: &str, which: &'static str, rule: &Rule) -> Result<Expression, SpecError> {
    if !rule.engine.is_empty() && !rule.engine.eq_ignore_ascii_case("MVEL") {
        return Err(SpecError::RuleEngine {
            field: id.to_owned(),
            engine: rule.engine.clone(),
        });
    }
    let expression = Expression::parse(&rule.expr).map_err(|error| SpecError::Rule {
        field: id.to_owned(),
        which,
        error,
    })?;
    if let Some(name) = expression.variables().first() {
        return Err(SpecError::RuleVariable {
            field: id.to_owned(),
            which,
            name: (*name).to_owned(),
            expression: rule.expr.clone(),
        });
    }
    Ok(expression)
}

fn compile_biometrics(
    id: &str,
    schema_attributes: Option<&[String]>,
    ui: Option<&UiField>,
) -> Result<BiometricRule, SpecError> {
    let attributes = match ui.map(|f| f.bio_attributes.as_slice()) {
        Some(list) if !list.is_empty() => list.to_vec(),
        _ => schema_attributes.unwrap_or_default().to_vec(),
    };
    let mut conditional = Vec::new();
    for entry in ui
        .map(|f| f.conditional_bio_attributes.as_slice())
        .unwrap_or_default()
    {
        let expression =
            Expression::parse(&entry.validation_expr).map_err(|error| SpecError::Rule {
                field: id.to_owned(),
                which: "validationExpr",
                error,
            })?;
        if let Some(name) = expression
            .variables()
            .into_iter()
            .find(|name| !BIO_ATTRIBUTES.contains(name))
        {
            return Err(SpecError::RuleVariable {
                field: id.to_owned(),
                which: "validationExpr",
                name: name.to_owned(),
                expression: entry.validation_expr.clone(),
            });
        }
        conditional.push(ConditionalRule {
            age_group: entry.age_group.clone(),
            process: entry.process.clone(),
            expression,
        });
    }
    Ok(BiometricRule {
        attributes,
        conditional,
    })
}

/// Codes of the dynamic field named `name` (falling back to the field id), per language.
fn dynamic_values(
    master: &MasterData,
    name: &str,
    id: &str,
) -> Option<HashMap<String, HashSet<String>>> {
    let mut allowed: HashMap<String, HashSet<String>> = HashMap::new();
    for list_name in [name, id] {
        for field in master
            .dynamic_fields
            .iter()
            .filter(|f| f.is_active && f.name == list_name)
        {
            let codes = allowed.entry(field.lang_code.clone()).or_default();
            codes.extend(
                field
                    .field_val
                    .iter()
                    .filter(|v| v.active)
                    .map(|v| v.code.clone()),
            );
        }
        if !allowed.is_empty() {
            return Some(allowed);
        }
    }
    None
}

/// Codes and names of the locations at level `level`, per language; `None` when `level` is
/// not a level of the hierarchy.
fn location_values(master: &MasterData, level: &str) -> Option<HashMap<String, HashSet<String>>> {
    let mut allowed: HashMap<String, HashSet<String>> = HashMap::new();
    for location in master.locations_at(level) {
        let values = allowed.entry(location.lang_code.clone()).or_default();
        values.insert(location.code.clone());
        values.insert(location.name.clone());
    }
    (!allowed.is_empty()).then_some(allowed)
}

/// Every active location, by language, under its code and under its name.
fn location_tree(master: &MasterData) -> HashMap<String, HashMap<String, LocationNode>> {
    let mut tree: HashMap<String, HashMap<String, LocationNode>> = HashMap::new();
    for location in master.locations.iter().filter(|l| l.is_active) {
        let names = tree.entry(location.lang_code.clone()).or_default();
        for key in [&location.code, &location.name] {
            names.insert(
                key.clone(),
                LocationNode {
                    code: location.code.clone(),
                    parent: location.parent_loc_code.clone(),
                },
            );
        }
    }
    tree
}

/// The `identity` map as rules see it, plus the derived `ageGroup`, `age`, `isChild` and
/// `updatableFieldGroups`.
struct RecordScope<'a> {
    identity: &'a Map<String, Json>,
    age: Option<u32>,
    age_group: Option<&'a str>,
    selected_groups: &'a [String],
}

impl Scope for RecordScope<'_> {
    fn identity_field(&self, id: &str) -> Value<'_> {
        match id {
            "ageGroup" => self
                .age_group
                .map_or(Value::Null, |g| Value::Text(Cow::Borrowed(g))),
            "age" => self
                .age
                .map_or(Value::Null, |a| Value::Number(f64::from(a))),
            "isChild" => Value::Bool(self.age_group.is_some_and(|g| g != "ADULT")),
            "updatableFieldGroups" => Value::List(
                self.selected_groups
                    .iter()
                    .map(|g| Value::Text(Cow::Borrowed(g.as_str())))
                    .collect(),
            ),
            _ => self.identity.get(id).map_or(Value::Null, rule_value),
        }
    }

    fn variable(&self, _name: &str) -> Value<'_> {
        Value::Null
    }
}

/// A record value as a rule sees it: text and numbers as themselves, a `simpleType` as its
/// first language's text, documents and biometrics as present.
fn rule_value(value: &Json) -> Value<'_> {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Number),
        Json::String(text) => Value::Text(Cow::Borrowed(text)),
        Json::Array(items) => match items.first() {
            None => Value::List(Vec::new()),
            Some(first) => match first.get("value").and_then(Json::as_str) {
                Some(text) => Value::Text(Cow::Borrowed(text)),
                None => Value::List(items.iter().map(rule_value).collect()),
            },
        },
        Json::Object(_) => Value::Present,
    }
}

/// Biometric attributes for a `validationExpr`: true when captured or marked as an exception.
struct CaptureScope<'a>(&'a BiometricCapture);

impl Scope for CaptureScope<'_> {
    fn identity_field(&self, _id: &str) -> Value<'_> {
        Value::Null
    }

    fn variable(&self, name: &str) -> Value<'_> {
        Value::Bool(self.0.captured.contains(name) || self.0.excepted.contains(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults;
    use crate::packet::Process;

    #[test]
    fn dates_are_strict_yyyy_mm_dd() {
        for (text, valid) in [
            ("2024/02/29", true),
            ("2023/02/29", false),
            ("2023/02/30", false),
            ("2023/13/01", false),
            ("2023/1/01", false),
            ("2023-01-01", false),
            ("２０２３/01/01", false),
        ] {
            assert_eq!(parse_date(text).is_some(), valid, "{text}");
        }
    }

    #[test]
    fn field_states_follow_the_age_group() {
        let schema = defaults::identity_schema();
        let spec = defaults::ui_spec(Process::New);
        let validator = Validator::new(&schema, Some(&spec), None, &defaults::settings()).unwrap();
        let today = Date::from_calendar_date(2026, Month::November, 28).unwrap();
        let state = |dob: &str, id: &str| {
            let identity = serde_json::json!({ "dateOfBirth": dob });
            let identity = identity.as_object().unwrap();
            let states = validator.field_states(identity, &Context::new(today));
            let found = states.into_iter().find(|s| s.id == id).unwrap();
            (
                validator.age_group(identity, today).map(str::to_owned),
                found.visible,
                found.required,
            )
        };
        assert_eq!(
            state("2024/06/01", "introducerName"),
            (Some("INFANT".into()), true, true)
        );
        assert_eq!(
            state("2012/06/01", "introducerName"),
            (Some("MINOR".into()), false, false)
        );
        assert_eq!(
            state("1990/06/01", "proofOfRelationship"),
            (Some("ADULT".into()), true, false)
        );
        assert_eq!(
            state("1990/06/01", "fullName"),
            (Some("ADULT".into()), true, true)
        );
        assert_eq!(state("2030/01/01", "fullName"), (None, true, true));
    }

    #[test]
    fn ages_outside_every_group_are_reported() {
        let settings = RegistrationSettings {
            age_groups: vec![AgeGroup::new("ADULT", 18, 100)],
            ..RegistrationSettings::default()
        };
        let schema = defaults::identity_schema();
        let validator = Validator::new(&schema, None, None, &settings).unwrap();
        let identity = serde_json::json!({"dateOfBirth": "1901/01/01"});
        let today = Date::from_calendar_date(2026, Month::November, 28).unwrap();
        let errors = validator.validate(identity.as_object().unwrap(), &Context::new(today));
        let codes: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert!(
            codes.contains(&("dateOfBirth", "AGE_OUT_OF_RANGE")),
            "{codes:?}"
        );
    }

    #[track_caller]
    fn check_spec_error(edit: impl FnOnce(&mut UiField), code: &str, text: &str) {
        let schema = defaults::identity_schema();
        let mut spec = defaults::ui_spec(Process::New);
        let field = spec.screens[1]
            .fields
            .iter_mut()
            .find(|f| f.id == "fullName")
            .unwrap();
        edit(field);
        let error = Validator::new(&schema, Some(&spec), None, &RegistrationSettings::default())
            .unwrap_err();
        assert_eq!(error.code(), code, "{error}");
        let message = error.to_string();
        assert!(
            message.starts_with("field fullName: ") && message.contains(text),
            "{message}"
        );
    }

    #[test]
    fn bad_specs_are_refused_naming_the_field() {
        let rule = |expr: &str| Rule {
            engine: "MVEL".into(),
            expr: expr.into(),
        };
        check_spec_error(
            |f| f.visible = Some(rule("identity.get('a') === 'b'")),
            "RULE_SYNTAX",
            "visible: unsupported operator (use ==, && or ||) at column 21",
        );
        check_spec_error(
            |f| f.required_on = vec![rule("ageGroup == 'INFANT'")],
            "RULE_VARIABLE",
            "unknown name \"ageGroup\"",
        );
        check_spec_error(
            |f| {
                f.visible = Some(Rule {
                    engine: "JS".into(),
                    expr: "true".into(),
                })
            },
            "RULE_ENGINE",
            "\"JS\"",
        );
        check_spec_error(
            |f| f.validators[0].validator = "(?<=x)y".into(),
            "PATTERN_UNSUPPORTED",
            "look-behind",
        );
        check_spec_error(
            |f| f.validators[0].kind = "luhn".into(),
            "VALIDATOR_TYPE",
            "\"luhn\"",
        );
    }
}
