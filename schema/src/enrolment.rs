//! The machine enrolment file: what a server administrator exports so an offline field kit can
//! be onboarded without a network. JSON, versioned by `format`; unknown fields are refused.
//!
//! It carries no secret: operators come with an Argon2id password verifier (a PHC string), the
//! pipeline's certificate and the server's receipt key are public. The client checks the
//! installing supervisor's password against their verifier at `enrol init`, and other operators'
//! passwords at their activation by a supervisor.

use serde::{Deserialize, Serialize};

use crate::settings::RegistrationSettings;

/// The format version this crate writes and reads.
pub const ENROLMENT_FORMAT: u32 = 1;

/// Largest enrolment file accepted, in bytes.
pub const MAX_ENROLMENT_FILE_BYTES: usize = 1024 * 1024;

/// A machine enrolment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MachineEnrolment {
    pub format: u32,
    /// MOSIP machine id (5 digits, part of every RID).
    pub machine_id: String,
    /// MOSIP centre id (5 digits, part of every RID).
    pub centre_id: String,
    pub centre_name: String,
    /// Base URL of the sync server, when the kit will ever see a network.
    pub server_url: Option<String>,
    /// The pipeline's encryption certificate (PEM, X.509): packets are encrypted to it.
    pub pipeline_certificate_pem: String,
    /// The server's receipt-signing public key (PEM, SubjectPublicKeyInfo).
    pub receipt_signing_key_pem: String,
    /// Operators known to the machine from the start.
    pub operators: Vec<EnrolledOperator>,
    /// Versions of the configuration the server published for this machine.
    pub versions: ConfigVersions,
    /// Registration settings; missing values take MOSIP's defaults.
    #[serde(default)]
    pub settings: RegistrationSettings,
}

/// An operator listed in an enrolment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrolledOperator {
    pub id: String,
    pub name: String,
    /// `operator`, `supervisor` and/or `administrator`.
    pub roles: Vec<String>,
    /// Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of the operator's password.
    pub password_verifier: String,
}

/// Versions of the published configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigVersions {
    pub identity_schema: String,
    pub ui_spec: String,
    pub master_data: String,
}

/// Why an enrolment file is refused.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    #[error("the enrolment file is larger than {MAX_ENROLMENT_FILE_BYTES} bytes")]
    TooLarge,
    #[error("the enrolment file is not valid: {0}")]
    Syntax(String),
    #[error("enrolment file format {0} is not supported (expected {ENROLMENT_FORMAT})")]
    Format(u32),
    #[error("the enrolment file has no {0}")]
    Missing(&'static str),
}

impl EnrolmentError {
    pub fn code(&self) -> &'static str {
        match self {
            EnrolmentError::TooLarge => "ENROLMENT_TOO_LARGE",
            EnrolmentError::Syntax(_) => "ENROLMENT_SYNTAX",
            EnrolmentError::Format(_) => "ENROLMENT_FORMAT",
            EnrolmentError::Missing(_) => "ENROLMENT_MISSING",
        }
    }
}

impl MachineEnrolment {
    /// Parses and checks an enrolment file.
    pub fn from_json(bytes: &[u8]) -> Result<MachineEnrolment, EnrolmentError> {
        if bytes.len() > MAX_ENROLMENT_FILE_BYTES {
            return Err(EnrolmentError::TooLarge);
        }
        let enrolment: MachineEnrolment = serde_json::from_slice(bytes)
            .map_err(|error| EnrolmentError::Syntax(error.to_string()))?;
        if enrolment.format != ENROLMENT_FORMAT {
            return Err(EnrolmentError::Format(enrolment.format));
        }
        for (value, what) in [
            (&enrolment.machine_id, "machine id"),
            (&enrolment.centre_id, "centre id"),
            (&enrolment.pipeline_certificate_pem, "pipeline certificate"),
            (&enrolment.receipt_signing_key_pem, "receipt signing key"),
        ] {
            if value.trim().is_empty() {
                return Err(EnrolmentError::Missing(what));
            }
        }
        if enrolment.operators.is_empty() {
            return Err(EnrolmentError::Missing("operator"));
        }
        Ok(enrolment)
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MachineEnrolment {
        MachineEnrolment {
            format: ENROLMENT_FORMAT,
            machine_id: "10011".into(),
            centre_id: "10001".into(),
            centre_name: "Centre Mehdia".into(),
            server_url: Some("https://sync.example.org".into()),
            pipeline_certificate_pem:
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            receipt_signing_key_pem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
                .into(),
            operators: vec![EnrolledOperator {
                id: "sup1".into(),
                name: "Supervisor One".into(),
                roles: vec!["supervisor".into()],
                password_verifier: "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA".into(),
            }],
            versions: ConfigVersions {
                identity_schema: "0.3".into(),
                ui_spec: "0.3".into(),
                master_data: "2026-11-01".into(),
            },
            settings: RegistrationSettings::default(),
        }
    }

    #[test]
    fn round_trips_through_json() {
        let enrolment = sample();
        let back = MachineEnrolment::from_json(enrolment.to_json().as_bytes()).unwrap();
        assert_eq!(back, enrolment);
    }

    #[track_caller]
    fn check_refused(json: &str, code: &str) {
        let error = MachineEnrolment::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(error.code(), code, "{error}");
    }

    #[test]
    fn bad_files_are_refused_with_a_code() {
        let good = serde_json::to_value(sample()).unwrap();
        let with = |key: &str, value: serde_json::Value| {
            let mut json = good.clone();
            json[key] = value;
            json.to_string()
        };
        check_refused("{", "ENROLMENT_SYNTAX");
        check_refused(&with("format", 2.into()), "ENROLMENT_FORMAT");
        check_refused(&with("machineId", " ".into()), "ENROLMENT_MISSING");
        check_refused(
            &with("operators", serde_json::json!([])),
            "ENROLMENT_MISSING",
        );
        check_refused(&with("surprise", true.into()), "ENROLMENT_SYNTAX");
        check_refused(
            &" ".repeat(MAX_ENROLMENT_FILE_BYTES + 1),
            "ENROLMENT_TOO_LARGE",
        );
    }

    #[test]
    fn settings_default_when_absent() {
        let mut json = serde_json::to_value(sample()).unwrap();
        json.as_object_mut().unwrap().remove("settings");
        let parsed = MachineEnrolment::from_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.settings, RegistrationSettings::default());
    }
}
