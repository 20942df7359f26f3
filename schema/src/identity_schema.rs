//! MOSIP identity schema (JSON Schema draft-07 shaped): the typed field list under
//! `properties.identity.properties`, with each field's type, category and validators.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::json::{LoadError, MAX_DOCUMENT_BYTES, nullable, parse_bounded};

/// A loaded identity schema.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Field ids listed in `properties.identity.required`.
    pub required: Vec<String>,
    /// Fields sorted by id.
    pub fields: Vec<SchemaField>,
}

/// One identity field of the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaField {
    pub id: String,
    pub value_type: ValueType,
    pub category: FieldCategory,
    /// `none`, `lowercase`, `uppercase`, or `kyc` in MOSIP's sample (kept as written).
    pub format: Option<String>,
    /// `fieldType: dynamic`: values come from a master-data dynamic field.
    pub dynamic: bool,
    pub validators: Vec<ValidatorSpec>,
    pub bio_attributes: Vec<String>,
    pub sub_type: Option<String>,
    /// `handle: true`: a login handle (MOSIP 1.2.1 custom handles).
    pub handle: bool,
}

impl SchemaField {
    pub fn is_document(&self) -> bool {
        self.value_type == ValueType::Document
    }

    pub fn is_biometrics(&self) -> bool {
        self.value_type == ValueType::Biometrics
    }
}

/// The shape of a field's value in `ID.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueType {
    /// `#/definitions/simpleType`: `[{"language": "eng", "value": "…"}]`.
    SimpleType,
    /// `#/definitions/documentType`: `{"format", "type", "value", "refNumber"}`.
    #[serde(rename = "documentType")]
    Document,
    /// `#/definitions/biometricsType`: `{"format", "version", "value"}`.
    #[serde(rename = "biometricsType")]
    Biometrics,
    String,
    Number,
    Integer,
    Boolean,
    Array,
}

impl ValueType {
    /// Parses a JSON-schema `type` or a UI-spec `type` (`simpleType`, `documentType`, …).
    pub fn parse(name: &str) -> Option<ValueType> {
        Some(match name {
            "simpleType" => ValueType::SimpleType,
            "documentType" => ValueType::Document,
            "biometricsType" => ValueType::Biometrics,
            "string" => ValueType::String,
            "number" => ValueType::Number,
            "integer" => ValueType::Integer,
            "boolean" => ValueType::Boolean,
            "array" => ValueType::Array,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::SimpleType => "simpleType",
            ValueType::Document => "documentType",
            ValueType::Biometrics => "biometricsType",
            ValueType::String => "string",
            ValueType::Number => "number",
            ValueType::Integer => "integer",
            ValueType::Boolean => "boolean",
            ValueType::Array => "array",
        }
    }
}

/// MOSIP `fieldCategory`: decides which sub-packet(s) carry the field and how it may be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldCategory {
    Pvt,
    Kyc,
    Evidence,
    Optional,
    /// `none` or no category: written to every sub-packet.
    None,
}

impl FieldCategory {
    pub fn parse(name: &str) -> Option<FieldCategory> {
        Some(match name.to_ascii_lowercase().as_str() {
            "pvt" => FieldCategory::Pvt,
            "kyc" => FieldCategory::Kyc,
            "evidence" => FieldCategory::Evidence,
            "optional" => FieldCategory::Optional,
            "none" | "" => FieldCategory::None,
            _ => return None,
        })
    }

    /// The sub-packets that carry a field of this category (MOSIP `PacketWriterImpl`).
    pub fn subpackets(self) -> &'static [Subpacket] {
        match self {
            FieldCategory::Pvt | FieldCategory::Kyc => &[Subpacket::Id],
            FieldCategory::Evidence => &[Subpacket::Evidence],
            FieldCategory::Optional => &[Subpacket::Optional],
            FieldCategory::None => &[Subpacket::Id, Subpacket::Evidence, Subpacket::Optional],
        }
    }
}

/// The three sub-packets of a MOSIP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subpacket {
    Id,
    Evidence,
    Optional,
}

impl Subpacket {
    pub fn as_str(self) -> &'static str {
        match self {
            Subpacket::Id => "id",
            Subpacket::Evidence => "evidence",
            Subpacket::Optional => "optional",
        }
    }
}

/// A field validator as MOSIP writes it (`{"type": "regex", "validator": "…", "langCode": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ValidatorSpec {
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub validator: String,
    #[serde(deserialize_with = "nullable")]
    pub arguments: Vec<serde_json::Value>,
    /// When set, the validator applies to values in this language only.
    pub lang_code: Option<String>,
    pub error_code: Option<String>,
}

#[derive(Deserialize)]
struct RawSchema {
    title: Option<String>,
    description: Option<String>,
    properties: RawRootProperties,
}

#[derive(Deserialize)]
struct RawRootProperties {
    identity: RawIdentity,
}

#[derive(Deserialize)]
struct RawIdentity {
    #[serde(default, deserialize_with = "nullable")]
    required: Vec<String>,
    properties: BTreeMap<String, RawField>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawField {
    #[serde(rename = "$ref")]
    reference: Option<String>,
    #[serde(rename = "type")]
    json_type: Option<serde_json::Value>,
    field_category: Option<String>,
    format: Option<String>,
    field_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    validators: Vec<ValidatorSpec>,
    #[serde(default, deserialize_with = "nullable")]
    bio_attributes: Vec<String>,
    sub_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    handle: bool,
}

impl IdentitySchema {
    /// Parses an identity schema from JSON bytes; `source_name` names the input in errors.
    pub fn parse(source_name: &str, bytes: &[u8]) -> Result<IdentitySchema, LoadError> {
        let raw: RawSchema = parse_bounded(source_name, bytes, MAX_DOCUMENT_BYTES)?;
        let mut fields = Vec::with_capacity(raw.properties.identity.properties.len());
        for (id, field) in raw.properties.identity.properties {
            let path = format!("properties.identity.properties.{id}");
            let value_type = field_type(source_name, &path, &field)?;
            let category = match field.field_category.as_deref() {
                None => FieldCategory::None,
                Some(name) => FieldCategory::parse(name).ok_or_else(|| {
                    LoadError::invalid(
                        source_name,
                        "SCHEMA_FIELD_CATEGORY",
                        &path,
                        format!("unknown fieldCategory {name:?} (expected pvt, kyc, evidence, optional or none)"),
                    )
                })?,
            };
            fields.push(SchemaField {
                dynamic: field.field_type.as_deref() == Some("dynamic"),
                id,
                value_type,
                category,
                format: field.format,
                validators: field.validators,
                bio_attributes: field.bio_attributes,
                sub_type: field.sub_type,
                handle: field.handle,
            });
        }
        for id in &raw.properties.identity.required {
            if fields.binary_search_by(|f| f.id.as_str().cmp(id)).is_err() {
                return Err(LoadError::invalid(
                    source_name,
                    "SCHEMA_REQUIRED_UNKNOWN",
                    "properties.identity.required",
                    format!("required field {id:?} is not defined"),
                ));
            }
        }
        Ok(IdentitySchema {
            title: raw.title,
            description: raw.description,
            required: raw.properties.identity.required,
            fields,
        })
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&SchemaField> {
        self.fields
            .binary_search_by(|f| f.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.fields[i])
    }

    pub fn is_required(&self, id: &str) -> bool {
        self.required.iter().any(|r| r == id)
    }

    /// Splits an identity into the `ID.json` contents of the id, evidence and optional
    /// sub-packets (in that order) by each field's category, as MOSIP's packet writer does:
    /// null values are left out, and a field the schema does not define goes everywhere, like
    /// a field without a category.
    pub fn route(
        &self,
        identity: &serde_json::Map<String, serde_json::Value>,
    ) -> [(Subpacket, serde_json::Map<String, serde_json::Value>); 3] {
        let mut routed = [Subpacket::Id, Subpacket::Evidence, Subpacket::Optional]
            .map(|subpacket| (subpacket, serde_json::Map::new()));
        for (id, value) in identity.iter().filter(|(_, value)| !value.is_null()) {
            let category = self.field(id).map_or(FieldCategory::None, |f| f.category);
            for (subpacket, fields) in &mut routed {
                if category.subpackets().contains(subpacket) {
                    fields.insert(id.clone(), value.clone());
                }
            }
        }
        routed
    }
}

fn field_type(source_name: &str, path: &str, field: &RawField) -> Result<ValueType, LoadError> {
    if let Some(reference) = &field.reference {
        return match reference.as_str() {
            "#/definitions/simpleType" => Ok(ValueType::SimpleType),
            "#/definitions/documentType" => Ok(ValueType::Document),
            "#/definitions/biometricsType" => Ok(ValueType::Biometrics),
            other => Err(LoadError::invalid(
                source_name,
                "SCHEMA_FIELD_TYPE",
                path,
                format!(
                    "unsupported $ref {other:?} (expected #/definitions/simpleType, documentType or biometricsType)"
                ),
            )),
        };
    }
    let name = match &field.json_type {
        Some(serde_json::Value::String(name)) => name.as_str(),
        Some(other) => {
            return Err(LoadError::invalid(
                source_name,
                "SCHEMA_FIELD_TYPE",
                path,
                format!("unsupported type {other}"),
            ));
        }
        None => {
            return Err(LoadError::invalid(
                source_name,
                "SCHEMA_FIELD_TYPE",
                path,
                "field has neither $ref nor type",
            ));
        }
    };
    ValueType::parse(name).ok_or_else(|| {
        LoadError::invalid(
            source_name,
            "SCHEMA_FIELD_TYPE",
            path,
            format!("unsupported type {name:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r##"{
      "properties": {"identity": {
        "required": ["fullName"],
        "properties": {
          "fullName": {"$ref": "#/definitions/simpleType", "fieldCategory": "pvt",
                       "validators": [{"type": "regex", "validator": "^.{3,}$", "arguments": []}],
                       "someFutureKey": {"ignored": true}},
          "UIN": {"type": "string", "fieldCategory": "none"},
          "proofOfException": {"$ref": "#/definitions/documentType", "fieldCategory": "evidence"},
          "individualBiometrics": {"$ref": "#/definitions/biometricsType", "bioAttributes": ["face"]},
          "gender": {"$ref": "#/definitions/simpleType", "fieldType": "dynamic", "bioAttributes": null}
        }}}}"##;

    #[test]
    fn fields_are_typed_and_routed() {
        let schema = IdentitySchema::parse("s.json", SCHEMA.as_bytes()).unwrap();
        let name = schema.field("fullName").unwrap();
        assert_eq!(name.value_type, ValueType::SimpleType);
        assert_eq!(name.category.subpackets(), &[Subpacket::Id]);
        assert_eq!(name.validators[0].validator, "^.{3,}$");
        assert!(schema.is_required("fullName"));
        assert_eq!(schema.field("UIN").unwrap().category.subpackets().len(), 3);
        assert!(schema.field("proofOfException").unwrap().is_document());
        let bio = schema.field("individualBiometrics").unwrap();
        assert!(bio.is_biometrics());
        assert_eq!(bio.category, FieldCategory::None);
        assert!(schema.field("gender").unwrap().dynamic);
    }

    #[test]
    fn identities_are_routed_by_category() {
        let schema = IdentitySchema::parse("s.json", SCHEMA.as_bytes()).unwrap();
        let identity = serde_json::json!({
            "fullName": [{"language": "eng", "value": "A B"}],
            "UIN": "1234567890",
            "proofOfException": {"value": "proofOfException", "type": "EXP", "format": "jpg"},
            "gender": null,
        });
        let routed = schema.route(identity.as_object().unwrap());
        let keys = |i: usize| routed[i].1.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            routed.each_ref().map(|(subpacket, _)| *subpacket),
            [Subpacket::Id, Subpacket::Evidence, Subpacket::Optional]
        );
        assert_eq!(keys(0), ["UIN", "fullName"]);
        assert_eq!(keys(1), ["UIN", "proofOfException"]);
        assert_eq!(keys(2), ["UIN"]);
    }

    #[track_caller]
    fn check_error(json: &str, code: &str, text: &str) {
        let error = IdentitySchema::parse("bad.json", json.as_bytes()).unwrap_err();
        assert_eq!(error.code(), code, "{error}");
        assert!(error.to_string().contains(text), "{error}");
    }

    #[test]
    fn malformed_schemas_are_refused_with_a_place() {
        let field = |body: &str| {
            format!(r#"{{"properties": {{"identity": {{"properties": {{"x": {body}}}}}}}}}"#)
        };
        check_error(
            &field(r##"{"$ref": "#/definitions/other"}"##),
            "SCHEMA_FIELD_TYPE",
            "properties.identity.properties.x",
        );
        check_error(
            &field(r#"{"type": "date"}"#),
            "SCHEMA_FIELD_TYPE",
            "unsupported type \"date\"",
        );
        check_error(
            &field(r#"{"type": "string", "fieldCategory": "secret"}"#),
            "SCHEMA_FIELD_CATEGORY",
            "secret",
        );
        check_error(
            r#"{"properties": {"identity": {"required": ["y"], "properties": {}}}}"#,
            "SCHEMA_REQUIRED_UNKNOWN",
            "\"y\"",
        );
        check_error(
            r#"{"properties": {"identity": {"properties": []}}}"#,
            "JSON_TYPE",
            "bad.json:1:",
        );
        check_error(r#"{"properties": {"#, "JSON_TRUNCATED", "bad.json:1:");
    }
}
