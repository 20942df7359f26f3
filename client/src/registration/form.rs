//! The form of one process: identity schema, UI spec, master data and settings, compiled into a
//! validator once. Taken from the store's configuration cache when the server has sent them,
//! else from `enrol_schema::defaults`.

use enrol_schema::defaults;
use enrol_schema::identity_schema::IdentitySchema;
use enrol_schema::master_data::MasterData;
use enrol_schema::packet::Process;
use enrol_schema::settings::RegistrationSettings;
use enrol_schema::ui_spec::{ProcessSpec, UiField};
use enrol_schema::validate::{Context, FieldState, ValidationError, Validator};
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{Map, Value};
use time::Date;

use super::error::RegistrationError;
use crate::error::Error;
use crate::session::Session;

/// Everything a registration of one process is checked against.
#[derive(Debug)]
pub struct Form {
    pub process: Process,
    pub schema: IdentitySchema,
    pub spec: ProcessSpec,
    pub master: MasterData,
    pub settings: RegistrationSettings,
    pub schema_version: f64,
    pub(crate) validator: Validator,
}

impl Form {
    pub fn new(
        process: Process,
        schema: IdentitySchema,
        spec: ProcessSpec,
        master: MasterData,
        settings: RegistrationSettings,
        schema_version: f64,
    ) -> Result<Form, RegistrationError> {
        let validator = Validator::new(&schema, Some(&spec), Some(&master), &settings)
            .map_err(|error| RegistrationError::Form(error.to_string()))?;
        Ok(Form {
            process,
            schema,
            spec,
            master,
            settings,
            schema_version,
            validator,
        })
    }

    /// The built-in form of `process`.
    pub fn defaults(
        process: Process,
        settings: RegistrationSettings,
    ) -> Result<Form, RegistrationError> {
        Form::new(
            process,
            defaults::identity_schema(),
            defaults::ui_spec(process),
            defaults::master_data(),
            settings,
            1.0,
        )
    }

    /// A spec field whose schema type is documents (`documents`) or biometrics.
    pub(crate) fn field_of_kind(
        &self,
        id: &str,
        biometrics: bool,
    ) -> Result<&UiField, RegistrationError> {
        let kind_matches = self.schema.field(id).is_some_and(|field| {
            if biometrics {
                field.is_biometrics()
            } else {
                field.is_document()
            }
        });
        self.spec.field(id).filter(|_| kind_matches).ok_or_else(|| {
            RegistrationError::UnknownField {
                field: id.to_owned(),
                kind: if biometrics { "biometrics" } else { "document" },
                process: self.process.as_str(),
            }
        })
    }

    /// The spec's biometrics field for the applicant (subType `applicant`), for captures given
    /// without a field.
    pub fn applicant_biometrics_field(&self) -> Option<&str> {
        self.spec
            .fields()
            .find(|field| {
                field.sub_type.as_deref() == Some("applicant")
                    && self
                        .schema
                        .field(&field.id)
                        .is_some_and(|f| f.is_biometrics())
            })
            .map(|field| field.id.as_str())
    }

    /// Whether `id` is a demographic field (neither documents nor biometrics).
    pub(crate) fn is_demographic(&self, id: &str) -> bool {
        self.schema
            .field(id)
            .is_none_or(|field| !field.is_document() && !field.is_biometrics())
    }
}

/// A form's state for a record being entered: which fields are shown and required (`visible`
/// and `requiredOn` evaluated), the age group, and what is wrong with the demographics so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormCheck {
    pub age_group: Option<String>,
    pub fields: Vec<FieldState>,
    /// Demographic fields only: documents and biometrics are judged at the preview.
    pub errors: Vec<ValidationError>,
}

impl Form {
    /// Evaluates the spec's rules and validators on `identity` as it stands, for a form to show
    /// and hide fields and explain refusals while the operator types.
    pub fn check(
        &self,
        identity: &Map<String, Value>,
        selected_groups: &[String],
        today: Date,
    ) -> FormCheck {
        let context = Context {
            selected_groups,
            ..Context::new(today)
        };
        FormCheck {
            age_group: self.validator.age_group(identity, today).map(str::to_owned),
            fields: self.validator.field_states(identity, &context),
            errors: self
                .validator
                .validate(identity, &context)
                .into_iter()
                .filter(|error| self.is_demographic(&error.field))
                .collect(),
        }
    }
}

/// Config cache kinds.
const SCHEMA_KIND: &str = "identity_schema";
const UI_SPEC_KIND: &str = "ui_spec";
const MASTER_DATA_KIND: &str = "master_data";

impl Session {
    /// The form of `process`: the synced schema, spec and master data when the cache holds them,
    /// else the built-in ones.
    pub fn form(&self, process: Process) -> Result<Form, Error> {
        let cached = |kind: &str, name: &str| -> Result<Option<(String, Vec<u8>)>, Error> {
            Ok(self
                .store()
                .conn()
                .query_row(
                    "SELECT version, body FROM config_cache WHERE kind = ?1 AND name = ?2",
                    [kind, name],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?)),
                )
                .optional()?
                .and_then(|(version, body)| body.map(|body| (version, body)))
                .filter(|(_, body)| !body.is_empty()))
        };
        let form_error = |error: enrol_schema::json::LoadError| {
            Error::from(RegistrationError::Form(error.to_string()))
        };
        let (schema, schema_version) = match cached(SCHEMA_KIND, "default")? {
            Some((version, body)) => (
                IdentitySchema::parse("cached identity schema", &body).map_err(form_error)?,
                version.parse().unwrap_or(1.0),
            ),
            None => (defaults::identity_schema(), 1.0),
        };
        let spec = match cached(UI_SPEC_KIND, process.as_str())? {
            Some((_, body)) => ProcessSpec::parse(process.as_str(), &body).map_err(form_error)?,
            None => defaults::ui_spec(process),
        };
        let master = match cached(MASTER_DATA_KIND, "default")? {
            Some((_, body)) => {
                MasterData::parse("cached master data", &body).map_err(form_error)?
            }
            None => defaults::master_data(),
        };
        Ok(Form::new(
            process,
            schema,
            spec,
            master,
            self.settings().clone(),
            schema_version,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enrol_schema::record::Record;
    use time::Month;

    fn example() -> Map<String, Value> {
        Record::parse(
            "example",
            enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
        )
        .unwrap()
        .identity
    }

    /// `(age group, [(field, shown, required)] for `fields`, demographic error codes)`.
    type Expected<'a> = (
        Option<&'a str>,
        &'a [(&'a str, bool, bool)],
        &'a [(&'a str, &'a str)],
    );

    #[track_caller]
    fn check(identity: &Map<String, Value>, fields: &[&str], expected: Expected<'_>) {
        let form = Form::defaults(Process::New, RegistrationSettings::default()).unwrap();
        let today = Date::from_calendar_date(2026, Month::November, 28).unwrap();
        let checked = form.check(identity, &[], today);
        let states: Vec<(&str, bool, bool)> = checked
            .fields
            .iter()
            .filter(|state| fields.contains(&state.id.as_str()))
            .map(|state| (state.id.as_str(), state.visible, state.required))
            .collect();
        let errors: Vec<(&str, &str)> = checked
            .errors
            .iter()
            .map(|error| (error.field.as_str(), error.code.as_str()))
            .collect();
        assert_eq!(
            (
                checked.age_group.as_deref(),
                states.as_slice(),
                errors.as_slice()
            ),
            expected
        );
    }

    #[test]
    fn the_form_check_applies_visible_and_required_on_to_the_values_entered() {
        let fields = ["introducerName", "introducerRID", "proofOfRelationship"];
        let mut identity = example();
        check(
            &identity,
            &fields,
            (
                Some("ADULT"),
                &[
                    ("introducerName", false, false),
                    ("introducerRID", false, false),
                    ("proofOfRelationship", true, false),
                ],
                &[],
            ),
        );
        identity.insert("dateOfBirth".into(), "2024/03/01".into());
        check(
            &identity,
            &fields,
            (
                Some("INFANT"),
                &[
                    ("introducerName", true, true),
                    ("introducerRID", true, true),
                    ("proofOfRelationship", true, true),
                ],
                &[
                    ("introducerName", "REQUIRED"),
                    ("introducerRID", "REQUIRED"),
                    ("introducerUIN", "REQUIRED"),
                ],
            ),
        );
        identity.insert("introducerUIN".into(), "1234567890".into());
        identity.insert(
            "fullName".into(),
            serde_json::json!([{"language": "eng", "value": "4mina"}]),
        );
        identity.remove("gender");
        check(
            &identity,
            &["introducerRID"],
            (
                Some("INFANT"),
                &[("introducerRID", true, false)],
                &[
                    ("fullName", "PATTERN"),
                    ("gender", "REQUIRED"),
                    ("introducerName", "REQUIRED"),
                ],
            ),
        );
    }
}
