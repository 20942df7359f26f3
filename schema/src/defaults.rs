//! Enrol's built-in data in `schema/data/`, written in MOSIP's formats and embedded at build
//! time (no I/O): the identity schema, the four process specs, master data and settings.
//!
//! The loaders parse the embedded text on each call; tests prove every file loads, so they
//! cannot fail at run time.

use crate::identity_schema::IdentitySchema;
use crate::master_data::MasterData;
use crate::packet::Process;
use crate::settings::RegistrationSettings;
use crate::ui_spec::ProcessSpec;

pub const IDENTITY_SCHEMA_JSON: &str = include_str!("../data/identity-schema.json");
pub const UI_SPEC_NEW_JSON: &str = include_str!("../data/ui-spec-new.json");
pub const UI_SPEC_UPDATE_JSON: &str = include_str!("../data/ui-spec-update.json");
pub const UI_SPEC_LOST_JSON: &str = include_str!("../data/ui-spec-lost.json");
pub const UI_SPEC_BIOMETRIC_CORRECTION_JSON: &str =
    include_str!("../data/ui-spec-biometric-correction.json");
pub const MASTER_DATA_JSON: &str = include_str!("../data/master-data.json");
pub const SETTINGS_JSON: &str = include_str!("../data/settings.json");
/// A valid adult NEW registration against the defaults (for examples, tests and benchmarks).
pub const EXAMPLE_RECORD_JSON: &str = include_str!("../data/example-record.json");

/// The embedded text of a process's UI spec.
pub fn ui_spec_json(process: Process) -> &'static str {
    match process {
        Process::New => UI_SPEC_NEW_JSON,
        Process::Update => UI_SPEC_UPDATE_JSON,
        Process::Lost => UI_SPEC_LOST_JSON,
        Process::BiometricCorrection => UI_SPEC_BIOMETRIC_CORRECTION_JSON,
    }
}

pub fn identity_schema() -> IdentitySchema {
    IdentitySchema::parse(
        "schema/data/identity-schema.json",
        IDENTITY_SCHEMA_JSON.as_bytes(),
    )
    .expect("the embedded identity schema is valid (tested)")
}

pub fn ui_spec(process: Process) -> ProcessSpec {
    ProcessSpec::parse(process.as_str(), ui_spec_json(process).as_bytes())
        .expect("the embedded UI specs are valid (tested)")
}

pub fn master_data() -> MasterData {
    MasterData::parse("schema/data/master-data.json", MASTER_DATA_JSON.as_bytes())
        .expect("the embedded master data is valid (tested)")
}

pub fn settings() -> RegistrationSettings {
    serde_json::from_str(SETTINGS_JSON).expect("the embedded settings are valid (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Validator;

    #[test]
    fn every_embedded_file_loads_and_compiles() {
        let schema = identity_schema();
        let master = master_data();
        let settings = settings();
        assert_eq!(
            settings,
            RegistrationSettings::default(),
            "settings.json must state MOSIP's defaults"
        );
        for process in [
            Process::New,
            Process::Update,
            Process::Lost,
            Process::BiometricCorrection,
        ] {
            let spec = ui_spec(process);
            assert_eq!(spec.id, process.as_str());
            for field in spec.fields() {
                assert!(
                    schema.field(&field.id).is_some(),
                    "{}: {} is not in the schema",
                    spec.id,
                    field.id
                );
            }
            Validator::new(&schema, Some(&spec), Some(&master), &settings)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.id));
        }
    }

    #[test]
    fn the_example_record_is_valid() {
        let record =
            crate::record::Record::parse("example", EXAMPLE_RECORD_JSON.as_bytes()).unwrap();
        let schema = identity_schema();
        let spec = ui_spec(Process::New);
        let master = master_data();
        let validator = Validator::new(&schema, Some(&spec), Some(&master), &settings()).unwrap();
        let today = time::Date::from_calendar_date(2026, time::Month::November, 28).unwrap();
        let errors = validator.validate(&record.identity, &crate::validate::Context::new(today));
        assert_eq!(errors, []);
    }

    #[test]
    fn master_data_covers_what_the_specs_use() {
        let master = master_data();
        assert!(
            master
                .registration_centers
                .iter()
                .all(|c| c.id.len() == 5 && c.id.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(master.is_right_to_left("ara"));
        assert!(!master.is_right_to_left("eng") && !master.is_right_to_left("fra"));
        for name in ["gender", "residenceStatus", "preferredLang"] {
            for lang in ["eng", "fra", "ara"] {
                assert!(
                    master.dynamic_values(name, lang).count() >= 2,
                    "{name} in {lang}"
                );
            }
        }
        for level in ["Region", "Province", "City", "Zone", "Postal Code"] {
            assert!(master.locations_at(level).count() >= 6, "{level}");
        }
        for category in ["POA", "POI", "POR", "POB", "POE"] {
            assert!(
                master.valid_document_types(category).count() >= 1,
                "{category}"
            );
        }
    }
}
