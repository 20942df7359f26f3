//! Shared fixtures: a freshly initialised data directory with a manual clock and a cheap KDF.

#![allow(dead_code)]

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use enrol_client::clock::ManualClock;
use enrol_client::fsio::Disk;
use enrol_client::machine::{InitRequest, init};
use enrol_client::operators::NewOperator;
use enrol_client::roles::Role;
use enrol_client::seal::KdfParams;
use enrol_client::{Client, Options, Session};
use enrol_schema::enrolment::{
    ConfigVersions, ENROLMENT_FORMAT, EnrolledOperator, MachineEnrolment,
};
use enrol_schema::settings::RegistrationSettings;

pub const SUPERVISOR: &str = "sup1";
pub const SUPERVISOR_PASSWORD: &str = "supervisor-pass";
pub const START: i64 = 1_790_000_000;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_settings(RegistrationSettings::default())
    }

    pub fn with_settings(settings: RegistrationSettings) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::starting_at(START));
        let fixture = Fixture { dir, clock };
        let request = init_request(settings);
        init(fixture.path(), &request, fixture.options()).unwrap();
        fixture
    }

    /// A machine installed from an enrolment file by the administrator `adm`, with the
    /// supervisor `sup1` and the operator `op1` listed as pending.
    pub fn from_enrolment() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::starting_at(START));
        let fixture = Fixture { dir, clock };
        let request =
            InitRequest::from_enrolment(enrolment(), "adm", "adm-password".into()).unwrap();
        init(fixture.path(), &request, fixture.options()).unwrap();
        fixture
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn options(&self) -> Options {
        Options {
            clock: self.clock.clone(),
            disk: Disk::default(),
            kdf: KdfParams::FLOOR,
        }
    }

    pub fn client(&self) -> Client {
        Client::open(self.path(), self.options()).unwrap()
    }

    pub fn supervisor(&self) -> Session {
        self.client()
            .login(SUPERVISOR, SUPERVISOR_PASSWORD)
            .unwrap()
    }

    /// Adds an operator with `roles` and password `<id>-password`.
    pub fn add(&self, id: &str, roles: &[Role]) {
        let mut supervisor = self.supervisor();
        supervisor
            .add_operator(&NewOperator {
                id: id.into(),
                name: format!("Name of {id}"),
                roles: roles.to_vec(),
                password: format!("{id}-password"),
            })
            .unwrap();
    }

    pub fn login(&self, id: &str) -> Session {
        self.client().login(id, &format!("{id}-password")).unwrap()
    }
}

/// An Argon2id PHC verifier of `password`, as a server would issue it.
pub fn verifier(password: &str) -> String {
    use argon2::PasswordHasher;
    let salt = argon2::password_hash::SaltString::generate(&mut rand_core::OsRng);
    let params = argon2::Params::new(8 * 1024, 1, 1, None).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// An enrolment file listing an administrator, a supervisor and an operator.
pub fn enrolment() -> MachineEnrolment {
    let operator = |id: &str, role: &str| EnrolledOperator {
        id: id.into(),
        name: format!("Name of {id}"),
        roles: vec![role.into()],
        password_verifier: verifier(&format!("{id}-password")),
    };
    MachineEnrolment {
        format: ENROLMENT_FORMAT,
        machine_id: "10022".into(),
        centre_id: "10002".into(),
        centre_name: "Field kit 2".into(),
        server_url: None,
        pipeline_certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
            .into(),
        receipt_signing_key_pem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
            .into(),
        operators: vec![
            operator("adm", "administrator"),
            operator(SUPERVISOR, "supervisor"),
            operator("op1", "operator"),
        ],
        versions: ConfigVersions {
            identity_schema: "0.3".into(),
            ui_spec: "0.3".into(),
            master_data: "2026-11-01".into(),
        },
        settings: RegistrationSettings::default(),
    }
}

pub fn init_request(settings: RegistrationSettings) -> InitRequest {
    InitRequest {
        machine_id: "10011".into(),
        centre_id: "10001".into(),
        centre_name: "Centre Mehdia".into(),
        server_url: None,
        supervisor_id: SUPERVISOR.into(),
        supervisor_name: "First Supervisor".into(),
        password: SUPERVISOR_PASSWORD.into(),
        settings,
        enrolment: None,
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Checks that an `enrol --json` run succeeded (`Ok`) or failed with the error code, and returns
/// its JSON output.
#[track_caller]
pub fn expect_outcome(
    args: &[&str],
    output: &Output,
    expected: Result<(), &str>,
) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    let outcome = if output.status.success() {
        Ok(())
    } else {
        Err(json["error"]["code"]
            .as_str()
            .unwrap_or("NO_JSON_ERROR")
            .to_owned())
    };
    assert_eq!(
        outcome,
        expected.map_err(str::to_owned),
        "enrol {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    json
}
