//! MOSIP's Java regex validators, compiled for the `regex` crate with Java's full-match
//! semantics (`String.matches`).
//!
//! The `regex` crate has no look-around, so the one look-ahead MOSIP specs use, a leading
//! length guard `^(?=.{m,n}$)…`, becomes a length check in characters. A class such as
//! `[\w-\+]` (Java reads the `-` after `\w` literally) gets its `-` escaped. Any other Java-only
//! construct (look-around, back-references, possessive quantifiers, atomic groups) is refused
//! with its position.

use regex::Regex;

/// A compiled validator pattern.
#[derive(Debug, Clone)]
pub struct FieldPattern {
    source: String,
    length: Option<(usize, Option<usize>)>,
    regex: Regex,
}

/// A pattern the translator or the `regex` crate cannot handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported pattern {pattern:?} at offset {offset}: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub offset: usize,
    pub reason: String,
}

impl PatternError {
    pub fn code(&self) -> &'static str {
        "PATTERN_UNSUPPORTED"
    }
}

impl FieldPattern {
    /// Compiles a Java pattern.
    pub fn compile(java: &str) -> Result<FieldPattern, PatternError> {
        let error = |offset: usize, reason: &str| PatternError {
            pattern: java.to_owned(),
            offset,
            reason: reason.to_owned(),
        };
        let (length, rest, rest_offset) = match length_guard(java) {
            Some((bounds, consumed)) => (Some(bounds), &java[consumed..], consumed),
            None => (None, java, 0),
        };
        let translated =
            translate(rest).map_err(|(offset, reason)| error(rest_offset + offset, reason))?;
        let regex =
            Regex::new(&format!("^(?:{translated})$")).map_err(|e| error(0, &e.to_string()))?;
        Ok(FieldPattern {
            source: java.to_owned(),
            length,
            regex,
        })
    }

    /// The pattern as written in the spec.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the whole `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        if let Some((min, max)) = self.length {
            // Java's `.` stops at line terminators, so the guard fails on any of them.
            if value.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
                return false;
            }
            let count = value.chars().count();
            if count < min || max.is_some_and(|max| count > max) {
                return false;
            }
        }
        self.regex.is_match(value)
    }
}

/// Recognises a leading `^(?=.{m,n}$)` (also `{m}` and `{m,}`) and returns the bounds and the
/// number of bytes it takes.
fn length_guard(java: &str) -> Option<((usize, Option<usize>), usize)> {
    let body = java.strip_prefix("^(?=.{")?;
    let close = body.find("}$)")?;
    let bounds = &body[..close];
    let consumed = "^(?=.{".len() + close + "}$)".len();
    let parse = |s: &str| s.trim().parse::<usize>().ok();
    let bounds = match bounds.split_once(',') {
        None => {
            let n = parse(bounds)?;
            (n, Some(n))
        }
        Some((min, "")) => (parse(min)?, None),
        Some((min, max)) => (parse(min)?, Some(parse(max)?)),
    };
    Some((bounds, consumed))
}

/// Rewrites the Java-only spellings the `regex` crate reads differently and refuses the
/// constructs it lacks. Returns the offset and reason of the first refusal.
fn translate(java: &str) -> Result<String, (usize, &'static str)> {
    let chars: Vec<(usize, char)> = java.char_indices().collect();
    let mut out = String::with_capacity(java.len() + 4);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let (offset, c) = chars[i];
        let next = chars.get(i + 1).map(|&(_, c)| c);
        match c {
            '\\' => {
                let Some(escaped) = next else {
                    return Err((offset, "trailing backslash"));
                };
                if escaped.is_ascii_digit() && escaped != '0' && !in_class {
                    return Err((offset, "back-references are not supported"));
                }
                if escaped == 'k' && !in_class {
                    return Err((offset, "named back-references are not supported"));
                }
                out.push(c);
                out.push(escaped);
                i += 2;
                // Java reads `[\w-x]` as three members; the regex crate would see a bad range.
                let is_shorthand = matches!(escaped, 'w' | 'W' | 'd' | 'D' | 's' | 'S');
                let char_at = |at: usize| chars.get(at).map(|&(_, c)| c);
                if in_class
                    && is_shorthand
                    && char_at(i) == Some('-')
                    && char_at(i + 1) != Some(']')
                {
                    out.push_str("\\-");
                    i += 1;
                }
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class && next == Some('?') => {
                let rest: String = chars[i + 2..].iter().take(3).map(|&(_, c)| c).collect();
                if rest.starts_with('=') || rest.starts_with('!') {
                    return Err((
                        offset,
                        "look-ahead is only supported as a leading length guard ^(?=.{m,n}$)",
                    ));
                }
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    return Err((offset, "look-behind is not supported"));
                }
                if rest.starts_with('>') {
                    return Err((offset, "atomic groups are not supported"));
                }
            }
            '*' | '+' | '?' | '}' if !in_class && next == Some('+') => {
                return Err((
                    offset + c.len_utf8(),
                    "possessive quantifiers are not supported",
                ));
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(pattern: &str, accepted: &[&str], refused: &[&str]) {
        let compiled = FieldPattern::compile(pattern).unwrap();
        for value in accepted {
            assert!(
                compiled.is_match(value),
                "{pattern} should accept {value:?}"
            );
        }
        for value in refused {
            assert!(
                !compiled.is_match(value),
                "{pattern} should refuse {value:?}"
            );
        }
    }

    #[test]
    fn mosip_patterns_keep_java_semantics() {
        check(
            "^(?=.{3,50}$).*",
            &["abc", "عبد", &"x".repeat(50)],
            &["ab", &"x".repeat(51), "a\nbc"],
        );
        check("^(?=.{0,50}$).*", &["", "?=촞$粂"], &[&"é".repeat(51)]);
        check(
            "^[(?i)A-Z0-9]{5}$|^NA$",
            &["10114", "AB12C", "NA"],
            &["1011", "ab12c", "NA1"],
        );
        check(
            r"^[\w-\+]+(\.[\w]+)*@[\w-]+(\.[\w]+)*(\.[a-zA-Z]{2,})$",
            &["a-b+c@x-y.org"],
            &["a b@x.org", "@x.org"],
        );
        check(
            r"^[+]*([0-9]{1})([0-9]{9})$",
            &["0000535081", "+9876543210"],
            &["12345"],
        );
        // Full match: a pattern without anchors must still cover the whole value.
        check("[0-9]{3}", &["123"], &["1234", "x123"]);
    }

    #[track_caller]
    fn check_refused(pattern: &str, offset: usize, reason: &str) {
        let error = FieldPattern::compile(pattern).unwrap_err();
        assert_eq!(error.code(), "PATTERN_UNSUPPORTED");
        assert_eq!(error.offset, offset, "{error}");
        assert!(error.reason.contains(reason), "{error}");
    }

    #[test]
    fn java_only_constructs_are_refused_with_their_offset() {
        check_refused("^a(?=b)", 2, "look-ahead");
        check_refused("(?<=a)b", 0, "look-behind");
        check_refused("(a)\\1", 3, "back-references");
        check_refused("a++", 2, "possessive");
        check_refused("(?>a)", 0, "atomic");
        check_refused("^(?=.{1,5}$)(?!x).*", 12, "look-ahead");
        check_refused("[z-a]", 0, "invalid character class range");
    }
}
