//! `enrol schema validate`: exit codes, text and `--json` output, and refusal of unusable input.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn example_record() -> Value {
    serde_json::from_str(enrol_schema::defaults::EXAMPLE_RECORD_JSON).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_enrol"))
        .args(["schema", "validate", "--today", "2026/11/28"])
        .args(args)
        .output()
        .unwrap();
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the command and checks the exit code and that each `expected` text appears in stdout
/// (exit 0 / 1) or stderr (exit 2).
#[track_caller]
fn check(args: &[&str], code: i32, expected: &[&str]) -> Outcome {
    let outcome = run(args);
    assert_eq!(
        outcome.code, code,
        "stdout: {}\nstderr: {}",
        outcome.stdout, outcome.stderr
    );
    let text = if code == 2 {
        &outcome.stderr
    } else {
        &outcome.stdout
    };
    for needle in expected {
        assert!(text.contains(needle), "{needle:?} not in {text:?}");
    }
    outcome
}

#[test]
fn exit_codes_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let valid = write(
        dir.path(),
        "valid.json",
        enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
    );
    let valid = valid.to_str().unwrap();
    check(&[valid], 0, &["valid.json: valid"]);
    let json = check(&[valid, "--json"], 0, &[]);
    assert_eq!(
        serde_json::from_str::<Value>(&json.stdout).unwrap(),
        Value::Array(vec![])
    );

    let mut record = example_record();
    record["identity"]["dateOfBirth"] = "2023/02/30".into();
    record["identity"]["gender"][1]["value"] = "ZZZ".into();
    let invalid = write(dir.path(), "invalid.json", record.to_string().as_bytes());
    let invalid = invalid.to_str().unwrap();
    check(
        &[invalid],
        1,
        &[
            "dateOfBirth: DATE_INVALID: ",
            "gender (fra): NOT_IN_LIST: ",
            "invalid.json: 2 errors",
        ],
    );
    let json = check(&[invalid, "--json"], 1, &[]);
    let errors: Value = serde_json::from_str(&json.stdout).unwrap();
    let fields: Vec<(&str, Option<&str>, &str)> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap(),
                e["language"].as_str(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("dateOfBirth", None, "DATE_INVALID"),
            ("gender", Some("fra"), "NOT_IN_LIST")
        ]
    );

    // An infant needs introducer details under the built-in NEW and LOST specs.
    let mut infant = example_record();
    infant["identity"]["dateOfBirth"] = "2025/01/01".into();
    let infant = write(dir.path(), "infant.json", infant.to_string().as_bytes());
    let infant = infant.to_str().unwrap();
    check(
        &[infant],
        1,
        &[
            "introducerName: REQUIRED",
            "proofOfRelationship: DOCUMENT_REQUIRED",
        ],
    );
    check(
        &[infant, "--process", "lost"],
        1,
        &["introducerName: REQUIRED"],
    );

    // Explicit files: the built-in spec and schema passed by path behave like the defaults.
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema/data");
    let schema = data.join("identity-schema.json");
    let spec = data.join("ui-spec-new.json");
    let master = data.join("master-data.json");
    let explicit = [
        valid,
        "--schema",
        schema.to_str().unwrap(),
        "--spec",
        spec.to_str().unwrap(),
    ];
    check(&explicit, 0, &["valid"]);
    check(
        &[
            invalid,
            "--schema",
            schema.to_str().unwrap(),
            "--spec",
            spec.to_str().unwrap(),
            "--master-data",
            master.to_str().unwrap(),
        ],
        1,
        &["NOT_IN_LIST"],
    );
}

#[test]
fn unusable_inputs_exit_2_naming_the_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        |name: &str, bytes: &[u8]| write(dir.path(), name, bytes).to_str().unwrap().to_owned();
    let truncated = path("truncated.json", b"{\n  \"identity\": {\"fullName\": [");
    check(
        &[&truncated],
        2,
        &["truncated.json:2:", "EOF while parsing"],
    );
    let not_json = path("notjson.json", b"identity: yes");
    check(&[&not_json], 2, &["notjson.json:1:"]);
    let deep = format!(
        "{{\"identity\": {{\"a\": {}{}}}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let deep = path("deep.json", deep.as_bytes());
    check(
        &[&deep],
        2,
        &["deep.json:1:", "nesting is deeper than 128 levels"],
    );
    let no_identity = path("shape.json", b"{\"id\": {}}");
    check(
        &[&no_identity],
        2,
        &["shape.json", "missing the identity object"],
    );

    // 100 MB (sparse, so the test writes nothing): refused from its size before any read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    check(
        &[huge.to_str().unwrap()],
        2,
        &["huge.json: 104857600 bytes is above the limit of 1048576 bytes"],
    );

    check(
        &[&dir.path().join("missing.json").to_string_lossy()],
        2,
        &["missing.json: cannot open"],
    );

    let valid = path(
        "valid.json",
        enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
    );
    let bad_spec = path(
        "spec.json",
        br#"{"id": "NEW", "screens": [{"fields": [{"id": "fullName", "visible": {"engine": "MVEL", "expr": "identity.get('a') ~ 1"}}]}]}"#,
    );
    check(
        &["--spec", &bad_spec, &valid],
        2,
        &[
            "spec.json: cannot use this spec",
            "field fullName: visible: unexpected character at column 19",
        ],
    );
    let wrong_types = path(
        "schema.json",
        br#"{"properties": {"identity": {"properties": {"x": {"type": 5}}}}}"#,
    );
    check(
        &["--schema", &wrong_types, &valid],
        2,
        &["schema.json: properties.identity.properties.x: unsupported type 5"],
    );
}
