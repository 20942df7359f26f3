//! Interop with MOSIP's own files in `../shared/mosip-data/` (skipped, with a notice, when the
//! folder is absent): every shared schema and UI spec loads, every rule and validator in them
//! compiles, and the documentation sample packet is judged against its sample schema.

use std::path::PathBuf;

use enrol_schema::identity_schema::{IdentitySchema, Subpacket};
use enrol_schema::pattern::FieldPattern;
use enrol_schema::record::Record;
use enrol_schema::rules::Expression;
use enrol_schema::settings::RegistrationSettings;
use enrol_schema::ui_spec::{ProcessSpec, UiSpecDocument};
use enrol_schema::validate::{Context, Validator};
use time::{Date, Month};

fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/mosip-data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "notice: {} is absent; skipping the MOSIP interop checks",
            dir.display()
        );
        None
    }
}

fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_schema(path: &PathBuf) -> IdentitySchema {
    IdentitySchema::parse(&path.display().to_string(), &read(path))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shared_schema_and_spec_loads_and_compiles() {
    let Some(shared) = shared() else { return };
    let json_dir = shared.join("mosip-data-master/json");
    let schema = load_schema(&json_dir.join("identity_schema_1001_v0.1.json"));
    load_schema(&shared.join("documentation-packet-sample/id-schema-sample.json"));
    let mut kinds = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&json_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("identity_schema") {
            kinds.push((name, "identity schema"));
            continue;
        }
        let document = UiSpecDocument::parse(&name, &read(&path)).unwrap_or_else(|e| panic!("{e}"));
        let kind = match document {
            UiSpecDocument::Process(spec) => {
                Validator::new(&schema, Some(&spec), None, &RegistrationSettings::default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                "process"
            }
            UiSpecDocument::PreRegistration(spec) => {
                for validator in spec.identity.iter().flat_map(|f| &f.validators) {
                    FieldPattern::compile(&validator.validator)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                }
                "pre-registration"
            }
            UiSpecDocument::Settings(_) => "settings",
        };
        kinds.push((name, kind));
    }
    let processes = kinds.iter().filter(|(_, kind)| *kind == "process").count();
    assert_eq!(processes, 4, "{kinds:?}");
    assert_eq!(kinds.len(), 7, "{kinds:?}");
}

#[test]
fn every_shared_rule_parses() {
    let Some(shared) = shared() else { return };
    let mut parsed = 0;
    for name in [
        "newProcess",
        "updateProcess",
        "lostProcess",
        "bioCorrectionProcess",
    ] {
        let path = shared.join(format!("mosip-data-master/json/ui_spec_{name}.json"));
        let spec = ProcessSpec::parse(name, &read(&path)).unwrap_or_else(|e| panic!("{e}"));
        for field in spec.fields() {
            let rules = field
                .visible
                .iter()
                .chain(&field.required_on)
                .map(|r| r.expr.as_str());
            let bio = field
                .conditional_bio_attributes
                .iter()
                .map(|c| c.validation_expr.as_str());
            for expr in rules.chain(bio) {
                Expression::parse(expr).unwrap_or_else(|e| panic!("{name}/{}: {e}", field.id));
                parsed += 1;
            }
        }
    }
    // 25 visible / requiredOn rules and 7 validationExpr in MOSIP's four specs.
    assert_eq!(parsed, 32);
}

/// The documentation sample packet: its three `ID.json` files merged are judged against the
/// sample schema. The sample's `fullName` is 92 characters in each language while the schema
/// allows 3 to 50, so exactly those three values fail; everything else (types, required fields,
/// the other validators) passes. Routing the merged identity by category rebuilds the `id` and
/// `evidence` components exactly; the `optional` component repeats `proofOfException`, which the
/// schema routes to `evidence` only.
#[test]
fn the_sample_packet_is_judged_against_the_sample_schema() {
    let Some(shared) = shared() else { return };
    let sample = shared.join("documentation-packet-sample");
    let schema = load_schema(&sample.join("id-schema-sample.json"));
    let mut merged = serde_json::Map::new();
    let mut components = Vec::new();
    let mut misrouted = Vec::new();
    for (component, subpacket) in [
        ("id", Subpacket::Id),
        ("evidence", Subpacket::Evidence),
        ("optional", Subpacket::Optional),
    ] {
        let path = sample.join(format!("components/{component}/ID.json"));
        let record = Record::parse(&path.display().to_string(), &read(&path))
            .unwrap_or_else(|e| panic!("{e}"));
        components.push(record.identity.clone());
        for (field, value) in record.identity {
            let category = schema
                .field(&field)
                .unwrap_or_else(|| panic!("{component}: {field} is not in the schema"))
                .category;
            if !category.subpackets().contains(&subpacket) {
                misrouted.push(format!("{component}/{field}"));
            }
            if let Some(previous) = merged.get(&field) {
                assert_eq!(previous, &value, "{field} differs between components");
            }
            merged.insert(field, value);
        }
    }
    assert_eq!(misrouted, ["optional/proofOfException"]);
    // Routing the merged identity by category rebuilds the id and evidence components exactly.
    let routed = schema.route(&merged);
    assert_eq!(routed[0].1, components[0]);
    assert_eq!(routed[1].1, components[1]);
    assert_eq!(routed[2].1.keys().collect::<Vec<_>>(), ["IDSchemaVersion"]);
    let validator = Validator::new(&schema, None, None, &RegistrationSettings::default()).unwrap();
    let today = Date::from_calendar_date(2026, Month::November, 28).unwrap();
    let errors = validator.validate(&merged, &Context::new(today));
    let got: Vec<_> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.language.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("fullName", Some("eng"), "PATTERN"),
            ("fullName", Some("ara"), "PATTERN"),
            ("fullName", Some("fra"), "PATTERN"),
        ],
        "{errors:#?}"
    );
    // Against MOSIP's own NEW process spec and schema 1001, the 1.2.0-era sample also lacks
    // the consent-screen fields that spec requires.
    let mosip_schema =
        load_schema(&shared.join("mosip-data-master/json/identity_schema_1001_v0.1.json"));
    let new_spec_path = shared.join("mosip-data-master/json/ui_spec_newProcess.json");
    let new_spec = ProcessSpec::parse("ui_spec_newProcess.json", &read(&new_spec_path)).unwrap();
    let mosip = Validator::new(
        &mosip_schema,
        Some(&new_spec),
        None,
        &RegistrationSettings::default(),
    )
    .unwrap();
    let errors = mosip.validate(&merged, &Context::new(today));
    let got: Vec<_> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.language.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("consentText", None, "REQUIRED"),
            ("consent", None, "REQUIRED"),
            ("preferredLang", None, "REQUIRED"),
            ("fullName", Some("eng"), "PATTERN"),
            ("fullName", Some("ara"), "PATTERN"),
            ("fullName", Some("fra"), "PATTERN"),
        ],
        "{errors:#?}"
    );
    // With a valid name the sample is valid against its own schema.
    let name = serde_json::json!([{"language": "eng", "value": "Pavlo Tvlcs"}]);
    merged.insert("fullName".into(), name);
    assert_eq!(validator.validate(&merged, &Context::new(today)), []);
}
