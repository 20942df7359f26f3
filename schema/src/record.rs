//! A demographic record in MOSIP's `ID.json` shape: `{"identity": {field: value, …}}`, with
//! multilingual values as `[{"language": "eng", "value": "…"}]`.

use serde_json::{Map, Value};

use crate::json::{LoadError, MAX_RECORD_BYTES, parse_bounded};

/// A parsed record; only the `identity` object is kept (other top-level keys are ignored, as
/// MOSIP's packet reader does).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub identity: Map<String, Value>,
}

impl Record {
    /// Parses a record of at most [`MAX_RECORD_BYTES`]; `source_name` names it in errors.
    pub fn parse(source_name: &str, bytes: &[u8]) -> Result<Record, LoadError> {
        let value: Value = parse_bounded(source_name, bytes, MAX_RECORD_BYTES)?;
        Record::from_value(source_name, value)
    }

    /// Takes the `identity` object out of an already parsed document.
    pub fn from_value(source_name: &str, value: Value) -> Result<Record, LoadError> {
        let Value::Object(mut root) = value else {
            return Err(LoadError::invalid(
                source_name,
                "RECORD_SHAPE",
                "$",
                "a record is a JSON object",
            ));
        };
        match root.remove("identity") {
            Some(Value::Object(identity)) => Ok(Record { identity }),
            Some(_) => Err(LoadError::invalid(
                source_name,
                "RECORD_SHAPE",
                "identity",
                "identity must be an object",
            )),
            None => Err(LoadError::invalid(
                source_name,
                "RECORD_SHAPE",
                "$",
                "missing the identity object",
            )),
        }
    }
}

/// The `(language, value)` pairs of a `simpleType` value, or `None` when it is not one.
pub fn simple_values(value: &Value) -> Option<Vec<(&str, &str)>> {
    let Value::Array(entries) = value else {
        return None;
    };
    entries
        .iter()
        .map(|entry| {
            let language = entry.get("language")?.as_str()?;
            let text = entry.get("value")?.as_str()?;
            Some((language, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(json: &str, outcome: Result<usize, &str>) {
        let got = Record::parse("ID.json", json.as_bytes())
            .map(|r| r.identity.len())
            .map_err(|e| e.code());
        assert_eq!(got, outcome, "{json}");
    }

    #[test]
    fn records_need_an_identity_object() {
        check(
            r#"{"identity": {"a": 1}, "introducerBiometrics": "null"}"#,
            Ok(1),
        );
        check(r#"{"identity": []}"#, Err("RECORD_SHAPE"));
        check(r#"{"id": {}}"#, Err("RECORD_SHAPE"));
        check(r#"[]"#, Err("RECORD_SHAPE"));
        check(r#"{"identity": {"#, Err("JSON_TRUNCATED"));
    }

    #[test]
    fn simple_values_read_language_pairs() {
        let value: Value = serde_json::from_str(
            r#"[{"language": "eng", "value": "A"}, {"language": "fra", "value": "B"}]"#,
        )
        .unwrap();
        assert_eq!(
            simple_values(&value),
            Some(vec![("eng", "A"), ("fra", "B")])
        );
        let broken: Value = serde_json::from_str(r#"[{"language": "eng"}]"#).unwrap();
        assert_eq!(simple_values(&broken), None);
        assert_eq!(simple_values(&Value::from("x")), None);
    }
}
