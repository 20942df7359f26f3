//! Master data the client syncs from the server, in MOSIP's syncdata entity shapes (camelCase
//! DTO fields): centres, the location hierarchy, document categories and types, dynamic
//! fields and languages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::json::{LoadError, MAX_DOCUMENT_BYTES, nullable, parse_bounded};

/// All the master data a client holds, grouped by entity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MasterData {
    #[serde(deserialize_with = "nullable")]
    pub registration_centers: Vec<RegistrationCenter>,
    #[serde(deserialize_with = "nullable")]
    pub location_hierarchy: Vec<LocationHierarchyLevel>,
    #[serde(deserialize_with = "nullable")]
    pub locations: Vec<Location>,
    #[serde(deserialize_with = "nullable")]
    pub document_categories: Vec<DocumentCategory>,
    #[serde(deserialize_with = "nullable")]
    pub document_types: Vec<DocumentType>,
    #[serde(deserialize_with = "nullable")]
    pub valid_documents: Vec<ValidDocument>,
    #[serde(deserialize_with = "nullable")]
    pub dynamic_fields: Vec<DynamicField>,
    #[serde(deserialize_with = "nullable")]
    pub languages: Vec<Language>,
}

impl MasterData {
    /// Parses master data from JSON bytes; `source_name` names the input in errors.
    pub fn parse(source_name: &str, bytes: &[u8]) -> Result<MasterData, LoadError> {
        parse_bounded(source_name, bytes, MAX_DOCUMENT_BYTES)
    }

    /// Active values of the dynamic field `name` in `lang`.
    pub fn dynamic_values<'a>(
        &'a self,
        name: &'a str,
        lang: &'a str,
    ) -> impl Iterator<Item = &'a DynamicValue> + 'a {
        self.dynamic_fields
            .iter()
            .filter(move |f| f.is_active && f.name == name && f.lang_code == lang)
            .flat_map(|f| f.field_val.iter().filter(|v| v.active))
    }

    /// The hierarchy level number called `level_name` in any language (e.g. `Region` → 1).
    pub fn location_level(&self, level_name: &str) -> Option<u32> {
        let named = |name: &str| name.eq_ignore_ascii_case(level_name);
        self.location_hierarchy
            .iter()
            .find(|l| named(&l.hierarchy_level_name))
            .map(|l| l.hierarchy_level)
            .or_else(|| {
                self.locations
                    .iter()
                    .find(|l| named(&l.hierarchy_name))
                    .map(|l| l.hierarchy_level)
            })
    }

    /// Active locations, in every language, at the level called `level_name`.
    pub fn locations_at<'a>(&'a self, level_name: &str) -> impl Iterator<Item = &'a Location> + 'a {
        let level = self.location_level(level_name);
        self.locations
            .iter()
            .filter(move |l| l.is_active && Some(l.hierarchy_level) == level)
    }

    /// What a dynamic field's `code` reads as, per language: its value in the active list named
    /// `name`, else in the one named `id` (as the validator looks lists up); empty when absent.
    pub fn dynamic_value_names(
        &self,
        name: &str,
        id: &str,
        code: &str,
    ) -> BTreeMap<String, String> {
        [name, id]
            .into_iter()
            .map(|list| {
                self.dynamic_fields
                    .iter()
                    .filter(|f| f.is_active && f.name == list)
                    .filter_map(|f| {
                        let value = f.field_val.iter().find(|v| v.active && v.code == code)?;
                        Some((f.lang_code.clone(), value.value.clone()))
                    })
                    .collect::<BTreeMap<_, _>>()
            })
            .find(|names| !names.is_empty())
            .unwrap_or_default()
    }

    /// The name, per language, of the location `code` at the level called `level_name`.
    pub fn location_names(&self, level_name: &str, code: &str) -> BTreeMap<String, String> {
        self.locations_at(level_name)
            .filter(|l| l.code == code)
            .map(|l| (l.lang_code.clone(), l.name.clone()))
            .collect()
    }

    /// The name, per language, of the document type `code`.
    pub fn document_type_names(&self, code: &str) -> BTreeMap<String, String> {
        self.document_types
            .iter()
            .filter(|t| t.is_active && t.code == code)
            .map(|t| (t.lang_code.clone(), t.name.clone()))
            .collect()
    }

    /// Active document type codes valid for the category `category_code`.
    pub fn valid_document_types<'a>(
        &'a self,
        category_code: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.valid_documents
            .iter()
            .filter(move |v| v.is_active && v.doc_category_code == category_code)
            .map(|v| v.doc_type_code.as_str())
    }

    /// Whether `code` is a language written right to left.
    pub fn is_right_to_left(&self, code: &str) -> bool {
        self.languages
            .iter()
            .any(|l| l.code == code && l.right_to_left)
    }
}

/// A registration centre (MOSIP `RegistrationCenterDto`, one row per language).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RegistrationCenter {
    /// Five digits in MOSIP deployments; part of every RID.
    pub id: String,
    pub name: String,
    pub center_type_code: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub location_code: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_person: Option<String>,
    pub number_of_kiosks: Option<u32>,
    pub working_hours: Option<String>,
    pub per_kiosk_process_time: Option<String>,
    pub center_start_time: Option<String>,
    pub center_end_time: Option<String>,
    pub lunch_start_time: Option<String>,
    pub lunch_end_time: Option<String>,
    pub time_zone: Option<String>,
    pub holiday_location_code: Option<String>,
    pub zone_code: Option<String>,
    pub lang_code: String,
    pub is_active: bool,
}

/// One level of the location hierarchy (MOSIP `loc_hierarchy_list`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LocationHierarchyLevel {
    pub hierarchy_level: u32,
    pub hierarchy_level_name: String,
    pub lang_code: String,
    pub is_active: bool,
}

/// A node of the location tree (MOSIP `LocationDto`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Location {
    pub code: String,
    pub name: String,
    pub hierarchy_level: u32,
    /// The level's name in `lang_code` (Region, Province, City, Zone, Postal Code in English).
    pub hierarchy_name: String,
    pub parent_loc_code: Option<String>,
    pub lang_code: String,
    pub is_active: bool,
}

/// A document category such as POA or POI.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentCategory {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub lang_code: String,
    pub is_active: bool,
}

/// A document type such as a passport.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DocumentType {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub lang_code: String,
    pub is_active: bool,
}

/// Which document types are accepted in which category (MOSIP `valid_document`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ValidDocument {
    pub doc_type_code: String,
    pub doc_category_code: String,
    pub is_active: bool,
}

/// A list of values for a dropdown such as gender (MOSIP `DynamicFieldDto`, one per language).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DynamicField {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub data_type: Option<String>,
    pub lang_code: String,
    pub field_val: Vec<DynamicValue>,
    pub is_active: bool,
}

/// One value of a dynamic field: records store the `code`, screens show the `value`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DynamicValue {
    pub code: String,
    pub value: String,
    pub active: bool,
}

/// A language (MOSIP `language` table). MOSIP keeps the writing direction in the
/// `mosip.right_to_left_orientation` property; here it sits on the language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Language {
    pub code: String,
    pub name: String,
    pub family: Option<String>,
    pub native_name: Option<String>,
    pub right_to_left: bool,
    pub is_active: bool,
}
