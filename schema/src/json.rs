//! Bounded JSON loading: size limits checked before parsing, and parse errors that name the
//! source and the line:column, with a stable code per kind of failure.

use serde::de::DeserializeOwned;

/// Largest demographic record (`ID.json`) accepted. Records hold text only (documents and
/// biometrics live in their own files), so real ones are a few kilobytes.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Largest identity schema, UI spec or master-data file accepted.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Why a JSON input could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{source_name}: {size} bytes is above the limit of {limit} bytes")]
    TooLarge {
        source_name: String,
        size: u64,
        limit: u64,
    },
    #[error("{source_name}:{line}:{column}: {message}")]
    Json {
        source_name: String,
        code: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{source_name}: {path}: {message}")]
    Invalid {
        source_name: String,
        code: &'static str,
        /// Where in the document, as a JSON-pointer-like path (`properties.identity.fullName`).
        path: String,
        message: String,
    },
}

impl LoadError {
    /// Stable code: `INPUT_TOO_LARGE`, `JSON_TRUNCATED`, `JSON_SYNTAX`, `JSON_TOO_DEEP`,
    /// `JSON_TYPE`, or the code of an [`LoadError::Invalid`] model error.
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::TooLarge { .. } => "INPUT_TOO_LARGE",
            LoadError::Json { code, .. } | LoadError::Invalid { code, .. } => code,
        }
    }

    pub(crate) fn invalid(
        source_name: &str,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> LoadError {
        LoadError::Invalid {
            source_name: source_name.to_owned(),
            code,
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Parses `bytes` as `T` after checking them against `limit`; `source_name` (usually the file
/// name) prefixes every error.
pub fn parse_bounded<T: DeserializeOwned>(
    source_name: &str,
    bytes: &[u8],
    limit: usize,
) -> Result<T, LoadError> {
    check_size(source_name, bytes.len() as u64, limit)?;
    serde_json::from_slice(bytes).map_err(|error| json_error(source_name, &error))
}

/// Refuses an input of `size` bytes above `limit` (callers holding a file check its length first).
pub fn check_size(source_name: &str, size: u64, limit: usize) -> Result<(), LoadError> {
    if size > limit as u64 {
        return Err(LoadError::TooLarge {
            source_name: source_name.to_owned(),
            size,
            limit: limit as u64,
        });
    }
    Ok(())
}

fn json_error(source_name: &str, error: &serde_json::Error) -> LoadError {
    use serde_json::error::Category;
    let full = error.to_string();
    let location = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&location).unwrap_or(&full).to_owned();
    let code = match error.classify() {
        Category::Eof => "JSON_TRUNCATED",
        Category::Syntax if message.contains("recursion limit") => "JSON_TOO_DEEP",
        Category::Syntax | Category::Io => "JSON_SYNTAX",
        Category::Data => "JSON_TYPE",
    };
    let message = if code == "JSON_TOO_DEEP" {
        "nesting is deeper than 128 levels".to_owned()
    } else {
        message
    };
    LoadError::Json {
        source_name: source_name.to_owned(),
        code,
        line: error.line(),
        column: error.column(),
        message,
    }
}

/// Deserializes `null` as the type's default (MOSIP writes `null` for absent lists and flags).
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[track_caller]
    fn check(input: &[u8], limit: usize, code: &str, place: Option<(usize, usize)>) {
        let error = parse_bounded::<Value>("record.json", input, limit).unwrap_err();
        assert_eq!(error.code(), code, "{error}");
        assert!(error.to_string().starts_with("record.json"), "{error}");
        if let (
            Some((line, column)),
            LoadError::Json {
                line: l, column: c, ..
            },
        ) = (place, &error)
        {
            assert_eq!((*l, *c), (line, column), "{error}");
        }
    }

    #[test]
    fn bad_inputs_get_a_code_and_a_place() {
        check(
            b"{\"identity\": {\"a\": ",
            100,
            "JSON_TRUNCATED",
            Some((1, 19)),
        );
        check(
            b"{\n  \"identity\": nope}",
            100,
            "JSON_SYNTAX",
            Some((2, 16)),
        );
        check(b"not json", 100, "JSON_SYNTAX", Some((1, 2)));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        check(deep.as_bytes(), 1000, "JSON_TOO_DEEP", Some((1, 128)));
        check(&[b' '; 101], 100, "INPUT_TOO_LARGE", None);
    }

    #[test]
    fn wrong_types_name_the_place() {
        let error = parse_bounded::<Vec<u32>>("list.json", b"[1,\n\"x\"]", 100).unwrap_err();
        assert_eq!(error.code(), "JSON_TYPE");
        assert_eq!(
            error.to_string(),
            "list.json:2:3: invalid type: string \"x\", expected u32"
        );
    }
}
