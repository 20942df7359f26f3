//! A data directory driven through the real `enrol` binary for registration tests: initialised
//! with the system clock and a cheap KDF, a pipeline certificate installed, resident files on
//! disk (record, documents, ISO biometric records).

#![allow(dead_code)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use enrol_client::machine::{InitRequest, init};
use enrol_client::operators::NewOperator;
use enrol_client::packet::{PipelineCertificate, PipelineKey};
use enrol_client::roles::Role;
use enrol_client::seal::KdfParams;
use enrol_client::{Client, Options, Session};
use enrol_schema::settings::RegistrationSettings;
use rand_core::{RngCore, SeedableRng};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::{Value, json};

pub const SUPERVISOR: &str = "sup1";
pub const SUPERVISOR_PASSWORD: &str = "supervisor-pass";
pub const ATTRIBUTES: [&str; 13] = [
    "leftThumb",
    "leftIndex",
    "leftMiddle",
    "leftRing",
    "leftLittle",
    "rightThumb",
    "rightIndex",
    "rightMiddle",
    "rightRing",
    "rightLittle",
    "leftEye",
    "rightEye",
    "face",
];

/// The pipeline's key pair, generated once per test binary.
pub fn pipeline() -> &'static (RsaPrivateKey, PipelineCertificate) {
    static PIPELINE: OnceLock<(RsaPrivateKey, PipelineCertificate)> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let cert =
            PipelineCertificate::self_signed(&key, "pipeline", Duration::from_secs(86_400 * 365))
                .unwrap();
        (key, cert)
    })
}

pub fn pipeline_key() -> PipelineKey {
    let (key, cert) = pipeline();
    cert.key(key.clone()).unwrap()
}

pub struct Kit {
    pub data: tempfile::TempDir,
    pub runtime: tempfile::TempDir,
    pub files: tempfile::TempDir,
}

impl Kit {
    pub fn new() -> Kit {
        Kit::with_settings(RegistrationSettings::default())
    }

    pub fn with_settings(settings: RegistrationSettings) -> Kit {
        let kit = Kit {
            data: tempfile::tempdir().unwrap(),
            runtime: tempfile::tempdir().unwrap(),
            files: tempfile::tempdir().unwrap(),
        };
        std::fs::set_permissions(kit.runtime.path(), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        let request = InitRequest {
            machine_id: "10011".into(),
            centre_id: "10001".into(),
            centre_name: "Centre Mehdia".into(),
            server_url: None,
            supervisor_id: SUPERVISOR.into(),
            supervisor_name: "First Supervisor".into(),
            password: SUPERVISOR_PASSWORD.into(),
            settings,
            enrolment: None,
        };
        let mut session = init(kit.data.path(), &request, kit.options()).unwrap();
        session
            .trust_pipeline_certificate(&pipeline().1.to_pem().unwrap())
            .unwrap();
        kit
    }

    pub fn options(&self) -> Options {
        Options {
            kdf: KdfParams::FLOOR,
            ..Options::default()
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A library session (for checks the CLI does not expose).
    pub fn session(&self, id: &str, password: &str) -> Session {
        Client::open(self.data.path(), self.options())
            .unwrap()
            .login(id, password)
            .unwrap()
    }

    /// Adds an operator with `roles` and password `<id>-password`.
    pub fn add(&self, id: &str, roles: &[Role]) {
        self.session(SUPERVISOR, SUPERVISOR_PASSWORD)
            .add_operator(&NewOperator {
                id: id.into(),
                name: format!("Name of {id}"),
                roles: roles.to_vec(),
                password: format!("{id}-password"),
            })
            .unwrap();
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_enrol"));
        command
            .arg("--json")
            .args(args)
            .env("ENROL_HOME", self.data.path())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("ENROL_SESSION")
            .env_remove("ENROL_PASSWORD")
            .env_remove("ENROL_SUPERVISOR_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn spawn(&self, args: &[&str], stdin: &str) -> Child {
        let mut child = self.command(args).spawn().unwrap();
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.spawn(args, stdin).wait_with_output().unwrap()
    }

    /// Runs a command and checks it succeeds (`Ok`) or fails with the code; returns its JSON.
    #[track_caller]
    pub fn check(&self, args: &[&str], stdin: &str, expected: Result<(), &str>) -> Value {
        let output = self.run(args, stdin);
        crate::support::expect_outcome(args, &output, expected)
    }

    pub fn login(&self, id: &str, password: &str) {
        self.check(
            &["login", "--user", id, "--password-stdin"],
            &format!("{password}\n"),
            Ok(()),
        );
    }

    /// Writes a file for the resident and returns its path as text.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path: PathBuf = self.files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    /// A resident's files: the record (with these name, date of birth and phone), two PDF
    /// documents and ISO records for `attributes` (`record_bytes` each); returns the
    /// `enrol register` arguments.
    pub fn resident(
        &self,
        tag: &str,
        name: &str,
        dob: &str,
        phone: &str,
        attributes: &[&str],
        record_bytes: usize,
    ) -> Vec<String> {
        let mut record: Value =
            serde_json::from_str(enrol_schema::defaults::EXAMPLE_RECORD_JSON).unwrap();
        let identity = &mut record["identity"];
        identity["fullName"] = json!([
            {"language": "eng", "value": name},
            {"language": "fra", "value": name},
            {"language": "ara", "value": name}
        ]);
        identity["dateOfBirth"] = json!(dob);
        identity["phone"] = json!(phone);
        let mut args = vec![
            "register".to_owned(),
            "--process".into(),
            "NEW".into(),
            "--record".into(),
            self.file(&format!("{tag}-record.json"), record.to_string().as_bytes()),
            "--document".into(),
            format!(
                "proofOfAddress={}:UTB",
                self.file(&format!("{tag}-poa.pdf"), &payload(b"%PDF-1.7\n", 60_000))
            ),
            "--document".into(),
            format!(
                "proofOfIdentity={}",
                self.file(&format!("{tag}-poi.pdf"), &payload(b"%PDF-1.4\n", 60_000))
            ),
        ];
        for attribute in attributes {
            let magic: &[u8] = match *attribute {
                "leftEye" | "rightEye" => b"IIR\0",
                "face" => b"FAC\0",
                _ => b"FIR\0",
            };
            args.push("--biometric".into());
            args.push(format!(
                "{attribute}={}:95",
                self.file(
                    &format!("{tag}-{attribute}.iso"),
                    &payload(magic, record_bytes)
                )
            ));
        }
        args.push("--password-stdin".into());
        args
    }
}

/// `len` random bytes after `magic`.
pub fn payload(magic: &[u8], len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len.max(magic.len())];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[..magic.len()].copy_from_slice(magic);
    bytes
}

pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
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

/// Files in `packets/`.
pub fn packet_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("packets"))
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn pem_of_pipeline_key(dir: &Path) -> String {
    let path = dir.join("pipeline-key.pem");
    let pem = pipeline().0.to_pkcs8_pem(LineEnding::LF).unwrap();
    std::fs::write(&path, pem.as_bytes()).unwrap();
    path.display().to_string()
}
