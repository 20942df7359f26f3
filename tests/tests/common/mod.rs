//! The whole system for end-to-end tests and benchmarks: the sync server in process on a
//! loopback port (SQLite in a temp folder, or a fresh PostgreSQL database), a client data
//! directory driven through `enrol-client`'s workflow, and the `enrol-pipeline` binary.

#![allow(dead_code)]

pub mod proxy;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use enrol_client::approval::Decision;
use enrol_client::machine::{InitRequest, init};
use enrol_client::operators::NewOperator;
use enrol_client::packet::{PipelineCertificate, public_key_pem};
use enrol_client::registration::{Form, Registration, SignOff};
use enrol_client::roles::Role;
use enrol_client::seal::KdfParams;
use enrol_client::sync::{SyncOptions, SyncReport};
use enrol_client::{Client, Options, Session};
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use enrol_schema::settings::RegistrationSettings;
use enrol_sync::admin::{self, MachineRegistration, OperatorUpdate};
use enrol_sync::config::Config;
use enrol_sync::store::{Centre, MachineStatus};
use rand_core::{RngCore, SeedableRng};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, LineEnding};

pub const SUPERVISOR: &str = "sup1";
pub const SUPERVISOR_PASSWORD: &str = "supervisor-pass";
pub const OPERATOR: &str = "op1";
pub const OPERATOR_PASSWORD: &str = "op1-password";
pub const PIPELINE_TOKEN: &str = "pipeline-token-for-tests";
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
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        let key = RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let cert =
            PipelineCertificate::self_signed(&key, "pipeline", Duration::from_secs(86_400 * 365))
                .unwrap();
        (key, cert)
    })
}

/// Which database the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn pg_admin_url() -> String {
    std::env::var("ENROL_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await.expect(
        "PostgreSQL at 127.0.0.1:5432 (db test, user postgres) is needed: run scripts/setup",
    );
    sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
}

/// A fresh PostgreSQL database of its own, dropped (connections and all) when dropped.
pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        let name = format!(
            "enrol_e2e_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        block_on(pg_admin(&format!("CREATE DATABASE {name}")));
        PgDatabase { name }
    }

    pub fn url(&self) -> String {
        let admin_url = pg_admin_url();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        block_on(pg_admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )));
    }
}

/// Runs `future` on a runtime of its own (for set-up outside a server's runtime).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The sync server on a loopback port, stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub state: enrol_sync::AppState,
    pub runtime: tokio::runtime::Runtime,
    _stop: tokio::sync::oneshot::Sender<()>,
    pub dir: tempfile::TempDir,
    pg_database: Option<PgDatabase>,
}

impl Server {
    pub fn start(db: Db) -> Server {
        Server::start_with(db, |_| {})
    }

    /// Starts a server whose configuration `tweak` adjusts.
    pub fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = Config {
            data_dir: dir.path().join("server"),
            admin_token: Some("admin-token-for-tests".into()),
            pipeline_token: Some(PIPELINE_TOKEN.into()),
            ..Config::default()
        };
        let pg_database = (db == Db::Postgres).then(PgDatabase::create);
        if let Some(database) = &pg_database {
            config.database_url = Some(database.url());
        }
        tweak(&mut config);
        let state = runtime.block_on(enrol_sync::App::open(config)).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(enrol_sync::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            state,
            runtime,
            _stop: stop,
            dir,
            pg_database,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Registers the kit's centre, machine (approved, with its key) and operators.
    pub fn onboard(&self, kit: &Kit) {
        let spki = kit.supervisor().machine().unwrap().public_key_spki;
        let public_key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
        let store = &self.state.store;
        self.runtime.block_on(async {
            admin::put_centre(
                store,
                &Centre {
                    id: "10001".into(),
                    name: "Centre Mehdia".into(),
                    active: true,
                },
            )
            .await
            .unwrap();
            admin::register_machine(
                store,
                &MachineRegistration {
                    id: "10011".into(),
                    centre_id: "10001".into(),
                    name: "kit".into(),
                    public_key_pem: Some(public_key_pem(&public_key).unwrap()),
                    approve: true,
                },
            )
            .await
            .unwrap();
            for (user, password, role) in [
                (SUPERVISOR, SUPERVISOR_PASSWORD, "supervisor"),
                (OPERATOR, OPERATOR_PASSWORD, "operator"),
            ] {
                let update = OperatorUpdate {
                    name: user.into(),
                    centre_id: "10001".into(),
                    roles: vec![role.into()],
                    password: Some(password.into()),
                    active: true,
                };
                admin::put_operator(store, user, &update).await.unwrap();
            }
        });
    }

    /// Outbox entries NATS has not acknowledged yet.
    pub fn unpublished(&self) -> usize {
        self.runtime
            .block_on(self.state.store.unpublished(1000))
            .unwrap()
            .len()
    }

    pub fn set_machine_status(&self, status: MachineStatus) {
        self.runtime
            .block_on(admin::set_machine_status(
                &self.state.store,
                "10011",
                status,
            ))
            .unwrap();
    }

    /// Flips one byte in the middle of the stored packet file of `rid`.
    pub fn flip_stored_byte(&self, rid: &str) {
        let packet = self
            .runtime
            .block_on(self.state.store.packet(rid))
            .unwrap()
            .unwrap();
        let path = self.state.blobs.packet_path(
            &packet.centre_id,
            &packet.machine_id,
            &packet.packet_id,
            &packet.packet_hash,
        );
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(database) = self.pg_database.take() {
            self.runtime.block_on(self.state.store.close());
            drop(database);
        }
    }
}

/// A nats-server with JetStream of its own (Debian package `nats-server`, installed by
/// scripts/setup) on `port`, with its store in a temp folder; stopped when dropped.
pub struct Nats {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Nats {
    pub fn start(port: u16) -> Nats {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("/usr/sbin/nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server is needed (Debian package nats-server): run scripts/setup");
        Nats { child, _dir: dir }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A binary of another workspace package, beside `enrol-pipeline` (same target dir and
/// profile), brought up to date there first (cargo does nothing when it is), so a test never
/// runs a stale build of another package.
pub fn sibling_binary(package: &str, name: &str) -> PathBuf {
    let pipeline = PathBuf::from(env!("CARGO_BIN_EXE_enrol-pipeline"));
    let profile = pipeline.parent().expect("a profile folder");
    let target = profile.parent().expect("a target folder");
    let mut build = Command::new(env!("CARGO"));
    build
        .args([
            "build",
            "--quiet",
            "-p",
            package,
            "--bin",
            name,
            "--target-dir",
        ])
        .arg(target);
    if profile.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building {name} failed");
    pipeline.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client data directory with a supervisor and an operator, trusting the pipeline.
pub struct Kit {
    pub data: tempfile::TempDir,
}

impl Kit {
    pub fn new() -> Kit {
        Kit::with_settings(RegistrationSettings::default())
    }

    /// A machine with `settings` (room for 10,000 pending approvals).
    pub fn with_settings(mut settings: RegistrationSettings) -> Kit {
        let kit = Kit {
            data: tempfile::tempdir().unwrap(),
        };
        settings.freeze.max_pending_approval_packets = 10_000;
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
        session
            .add_operator(&NewOperator {
                id: OPERATOR.into(),
                name: "Operator One".into(),
                roles: vec![Role::Operator],
                password: OPERATOR_PASSWORD.into(),
            })
            .unwrap();
        kit
    }

    pub fn options(&self) -> Options {
        Options {
            kdf: KdfParams::FLOOR,
            ..Options::default()
        }
    }

    pub fn session(&self, id: &str, password: &str) -> Session {
        Client::open(self.data.path(), self.options())
            .unwrap()
            .login(id, password)
            .unwrap()
    }

    pub fn supervisor(&self) -> Session {
        self.session(SUPERVISOR, SUPERVISOR_PASSWORD)
    }

    /// Trusts the server's receipt key (as the enrolment file would).
    pub fn trust(&self, server: &Server) {
        self.supervisor()
            .trust_server_key(&server.state.key.public_key_pem())
            .unwrap();
    }

    /// Registers a resident named `name` through the whole workflow (operator `op1`); returns
    /// the RID and the identity entered.
    pub fn register(&self, name: &str) -> (String, serde_json::Map<String, serde_json::Value>) {
        self.register_with(name, iso_record)
    }

    /// [`Kit::register`] with the ISO record of each attribute from `iso_of`.
    pub fn register_with(
        &self,
        name: &str,
        iso_of: impl Fn(&str) -> Vec<u8>,
    ) -> (String, serde_json::Map<String, serde_json::Value>) {
        self.register_sized(name, iso_of, 20_000)
    }

    /// [`Kit::register_with`] with two documents of `document_bytes` each.
    pub fn register_sized(
        &self,
        name: &str,
        iso_of: impl Fn(&str) -> Vec<u8>,
        document_bytes: usize,
    ) -> (String, serde_json::Map<String, serde_json::Value>) {
        self.register_capturing(
            name,
            document_bytes,
            |session, registration, form, field| {
                session
                    .update_registration(registration, "biometrics", |r| {
                        for attribute in ATTRIBUTES {
                            r.add_biometric(form, field, attribute, iso_of(attribute), 95, 1, 0)?;
                        }
                        Ok(())
                    })
                    .unwrap();
            },
        )
    }

    /// A NEW registration by the operator: the example record under `name`, two documents of
    /// `document_bytes`, the biometrics step done by `capture` (given the session, the draft,
    /// the form and the applicant's biometrics field), preview and sign-off. Returns the RID and
    /// the identity.
    pub fn register_capturing(
        &self,
        name: &str,
        document_bytes: usize,
        capture: impl FnOnce(&mut Session, &mut Registration, &Form, &str),
    ) -> (String, serde_json::Map<String, serde_json::Value>) {
        let mut session = self.session(OPERATOR, OPERATOR_PASSWORD);
        let form = session.form(Process::New).unwrap();
        let field = form.applicant_biometrics_field().unwrap().to_owned();
        let mut record = Record::parse(
            "example",
            enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
        )
        .unwrap();
        record.identity.insert(
            "fullName".into(),
            serde_json::json!([
                {"language": "eng", "value": name},
                {"language": "fra", "value": name},
                {"language": "ara", "value": name}
            ]),
        );
        let identity = record.identity.clone();
        let mut registration = session.start_registration(Process::New).unwrap();
        session
            .enter_demographics(&mut registration, &form, record.identity, Vec::new())
            .unwrap();
        session
            .update_registration(&mut registration, "documents", |r| {
                r.add_document(
                    &form,
                    "proofOfAddress",
                    "pdf",
                    None,
                    payload(b"%PDF-1.7\n", document_bytes),
                )?;
                r.add_document(
                    &form,
                    "proofOfIdentity",
                    "pdf",
                    None,
                    payload(b"%PDF-1.4\n", document_bytes),
                )
            })
            .unwrap();
        capture(&mut session, &mut registration, &form, &field);
        session
            .preview_registration(&mut registration, &form)
            .unwrap();
        let committed = session
            .sign_off(
                &registration,
                &form,
                SignOff {
                    password: OPERATOR_PASSWORD,
                    supervisor: None,
                },
            )
            .unwrap();
        (committed.rid.as_str().to_owned(), identity)
    }

    /// The supervisor approves every pending packet.
    pub fn approve_all(&self) {
        self.supervisor()
            .decide(None, &Decision::Approve, SUPERVISOR_PASSWORD)
            .unwrap();
    }

    pub fn sync(&self, server: &Server) -> SyncReport {
        self.sync_to(&server.url())
    }

    /// Syncs with the server at `url`.
    pub fn sync_to(&self, url: &str) -> SyncReport {
        let options = SyncOptions {
            server: Some(url.to_owned()),
            ..SyncOptions::default()
        };
        self.supervisor()
            .sync_packets(&options, &mut |_| {})
            .unwrap()
    }

    /// Each packet's server status as `enrol status` shows it.
    pub fn server_status(&self, rid: &str) -> Option<String> {
        self.supervisor()
            .packet_sync_statuses()
            .unwrap()
            .into_iter()
            .find(|s| s.rid == rid)
            .and_then(|s| s.server_status)
    }
}

/// `len` random bytes after `magic`.
pub fn payload(magic: &[u8], len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len.max(magic.len())];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[..magic.len()].copy_from_slice(magic);
    bytes
}

/// The smallest record of the attribute's ISO 19794 format the client accepts.
pub fn tiny_iso(attribute: &str) -> Vec<u8> {
    let magic: &[u8] = match attribute {
        "leftEye" | "rightEye" => b"IIR\0",
        "face" => b"FAC\0",
        _ => b"FIR\0",
    };
    payload(magic, 64)
}

/// `index` in letters (names take no digits): 0 → "a", 27 → "bb".
pub fn letters(mut index: usize) -> String {
    let mut name = String::new();
    loop {
        name.push(char::from(b'a' + (index % 26) as u8));
        index /= 26;
        if index == 0 {
            return name;
        }
    }
}

/// The ISO 19794 record of an attribute as the device bridge's simulator makes it: a synthetic
/// image (`enrol_bridge::synth`), JPEG 2000 lossless, the bridge's ISO writer. Made once per
/// attribute and reused.
pub fn iso_record(attribute: &str) -> Vec<u8> {
    use enrol_bridge::{iso, jp2, synth};
    static RECORDS: OnceLock<std::collections::HashMap<&'static str, Vec<u8>>> = OnceLock::new();
    let records = RECORDS.get_or_init(|| {
        let at = time::OffsetDateTime::now_utc();
        ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(seed, attribute)| {
                let seed = seed as u64 + 1;
                let raster = match *attribute {
                    "leftEye" | "rightEye" => synth::iris(160, 120, 90, seed),
                    "face" => synth::face(120, 160, 90, seed, false),
                    _ => synth::fingerprint(128, 160, 90, seed),
                };
                let jp2 = jp2::encode_lossless(
                    raster.width,
                    raster.height,
                    raster.channels,
                    &raster.pixels,
                    1,
                )
                .unwrap();
                let (w, h) = (raster.width as u16, raster.height as u16);
                let record = match *attribute {
                    "leftEye" => iso::iris_record(iso::eye_label("Left"), w, h, 90, &jp2, at),
                    "rightEye" => iso::iris_record(iso::eye_label("Right"), w, h, 90, &jp2, at),
                    "face" => iso::face_record(w, h, 90, &jp2, at),
                    finger => {
                        let name = bridge_finger_name(finger);
                        iso::finger_record(iso::finger_position(name), w, h, 90, &jp2, at)
                    }
                };
                (*attribute, record)
            })
            .collect()
    });
    records[attribute].clone()
}

/// The SBI sub-type name of a finger attribute (`leftIndex` → `Left IndexFinger`).
fn bridge_finger_name(attribute: &str) -> &'static str {
    match attribute {
        "leftThumb" => "Left Thumb",
        "leftIndex" => "Left IndexFinger",
        "leftMiddle" => "Left MiddleFinger",
        "leftRing" => "Left RingFinger",
        "leftLittle" => "Left LittleFinger",
        "rightThumb" => "Right Thumb",
        "rightIndex" => "Right IndexFinger",
        "rightMiddle" => "Right MiddleFinger",
        "rightRing" => "Right RingFinger",
        _ => "Right LittleFinger",
    }
}

/// The consumer's files: key, certificate, cursor and output folder.
pub struct ConsumerFiles {
    pub dir: tempfile::TempDir,
}

impl ConsumerFiles {
    pub fn new() -> ConsumerFiles {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = pipeline();
        std::fs::write(
            dir.path().join("pipeline-key.pem"),
            key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        std::fs::write(dir.path().join("pipeline-cert.pem"), cert.to_pem().unwrap()).unwrap();
        ConsumerFiles { dir }
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// The `enrol-pipeline` command for `server` with `token`.
    pub fn command(&self, server: &str, token: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_enrol-pipeline"));
        let path = |name: &str| self.dir.path().join(name);
        command
            .arg("--server")
            .arg(server)
            .arg("--key")
            .arg(path("pipeline-key.pem"))
            .arg("--cert")
            .arg(path("pipeline-cert.pem"))
            .arg("--cursor")
            .arg(path("cursor"))
            .arg("--out")
            .arg(self.out())
            .env("ENROL_PIPELINE_TOKEN", token);
        command
    }

    /// Runs the consumer on the NATS stream (durable consumer `durable`) until it is drained.
    pub fn drain_nats(&self, server: &Server, url: &str, durable: &str) -> Output {
        self.command(&server.url(), PIPELINE_TOKEN)
            .args([
                "--nats",
                url,
                "--stream",
                "ENROL_E2E",
                "--durable",
                durable,
                "--once",
            ])
            .output()
            .unwrap()
    }

    /// Runs the consumer until the feed is drained.
    pub fn drain(&self, server: &Server) -> Output {
        self.command(&server.url(), PIPELINE_TOKEN)
            .arg("--once")
            .output()
            .unwrap()
    }

    /// The verdict the consumer wrote for `rid`.
    pub fn verdict(&self, rid: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(self.out().join(format!("{rid}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

pub fn path_text(path: &Path) -> String {
    path.display().to_string()
}
