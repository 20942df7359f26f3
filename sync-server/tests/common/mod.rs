//! Test harness: a real server on port 0 over a temp data dir (SQLite or a throw-away
//! PostgreSQL database), a minimal HTTP/1.1 client that can also cut a body short, and a
//! machine with an RSA key that signs requests and packet manifests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use enrol_schema::packet::{
    PacketManifest, Process, SignedManifest, SubpacketEntry, SupervisorStatus,
};
use enrol_schema::sync::{
    HEADER_MACHINE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, signing_string,
};
use enrol_sync::{App, AppState, Config};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const CENTRE: &str = "10001";
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// Which database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running server and what is needed to reach and stop it.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pg_database: Option<String>,
}

/// The maintenance connection (override with ENROL_TEST_POSTGRES); test databases are made beside it.
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

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Server {
    pub async fn start(db: Db, tweak: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            admin_token: Some(ADMIN_TOKEN.into()),
            ..Config::default()
        };
        let pg_database = (db == Db::Postgres).then(|| {
            format!(
                "enrol_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                rand::random::<u32>()
            )
        });
        if let Some(name) = &pg_database {
            pg_admin(&format!("CREATE DATABASE {name}")).await;
            let admin_url = pg_admin_url();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            config.database_url = Some(format!("{base}/{name}"));
        }
        tweak(&mut config);
        let state = App::open(config).await.unwrap();
        let mut server = Server::run(state, dir).await;
        server.pg_database = pg_database;
        server
    }

    async fn run(state: AppState, dir: tempfile::TempDir) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(enrol_sync::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            state,
            dir,
            stop: Some(stop),
            task: Some(task),
            pg_database: None,
        }
    }

    /// Stops the server and drops its database (PostgreSQL).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        self.state.store.close().await;
        if let Some(name) = self.pg_database.take() {
            pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }

    /// Stops serving and starts again on the same storage (a restart).
    pub async fn restart(mut self) -> Server {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        let config = self.state.config.clone();
        self.state.store.close().await;
        let state = App::open(config).await.unwrap();
        let pg = self.pg_database.take();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let mut server = Server::run(state, dir).await;
        server.pg_database = pg;
        server
    }

    pub async fn request(&self, req: Req) -> Resp {
        req.send(self.addr).await
    }

    pub async fn admin(&self, method: &str, path: &str, body: serde_json::Value) -> Resp {
        self.request(
            Req::new(method, path)
                .header("authorization", &format!("Bearer {ADMIN_TOKEN}"))
                .json(&body),
        )
        .await
    }

    /// Registers the centre and an approved machine.
    pub async fn onboard(&self, machine: &MachineKey) {
        let r = self
            .admin(
                "PUT",
                &format!("/admin/v1/centres/{CENTRE}"),
                serde_json::json!({"name": "Centre"}),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text());
        let r = self
            .admin(
                "POST",
                "/admin/v1/machines",
                serde_json::json!({
                    "id": machine.id, "centreId": CENTRE, "name": "kit",
                    "publicKeyPem": machine.public_pem(), "approve": true
                }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
}

/// An HTTP request under construction.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many body bytes, then close the connection.
    pub cut_after: Option<usize>,
}

/// A response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }

    /// The `code` of an error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
}

impl Req {
    pub fn new(method: &str, path: &str) -> Req {
        Req {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            cut_after: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: &[u8]) -> Req {
        self.body = body.to_vec();
        self
    }

    pub fn json(self, value: &serde_json::Value) -> Req {
        let body = serde_json::to_vec(value).unwrap();
        self.header("content-type", "application/json").body(&body)
    }

    pub fn tus(self) -> Req {
        self.header("tus-resumable", "1.0.0")
    }

    pub async fn send(&self, addr: SocketAddr) -> Resp {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", self.body.len()));
        stream.write_all(head.as_bytes()).await.unwrap();
        if let Some(cut) = self.cut_after {
            stream.write_all(&self.body[..cut]).await.unwrap();
            stream.flush().await.unwrap();
            // The link dies after these bytes reached the server: give it a moment to read them,
            // as a real cut would, instead of racing hyper to an end-of-stream before dispatch.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            drop(stream);
            return Resp {
                status: 0,
                headers: Vec::new(),
                body: Vec::new(),
            };
        }
        stream.write_all(&self.body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        parse_response(&raw, self.method == "HEAD")
    }
}

fn parse_response(raw: &[u8], head_only: bool) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if head_only {
        body.clear();
    } else if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// A machine: its 5-digit id and RSA key.
#[derive(Clone)]
pub struct MachineKey {
    pub id: String,
    pub key: RsaPrivateKey,
}

impl MachineKey {
    pub fn generate(id: &str) -> MachineKey {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        MachineKey { id: id.into(), key }
    }

    pub fn public_pem(&self) -> String {
        RsaPublicKey::from(&self.key)
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    pub fn sign(&self, message: &[u8]) -> String {
        let signer = SigningKey::<Sha256>::new(self.key.clone());
        URL_SAFE_NO_PAD.encode(signer.sign(message).to_bytes())
    }

    /// Signs `req` as of `timestamp` with `nonce`.
    pub fn sign_request_at(&self, req: Req, timestamp: &str, nonce: &str) -> Req {
        let digest = enrol_sync::crypto::sha256_hex(&req.body);
        let text = signing_string(&req.method, &req.path, &digest, timestamp, nonce, &self.id);
        let signature = self.sign(text.as_bytes());
        req.header(HEADER_MACHINE, &self.id)
            .header(HEADER_TIMESTAMP, timestamp)
            .header(HEADER_NONCE, nonce)
            .header(HEADER_SIGNATURE, &signature)
    }

    /// Signs `req` now with a fresh nonce.
    pub fn sign_request(&self, req: Req) -> Req {
        let nonce = format!("n{:032x}", rand::random::<u128>());
        self.sign_request_at(req, &now(), &nonce)
    }

    /// A packet of `bytes` (the "encrypted container") with sequence `seq`, and its signed manifest.
    pub fn packet(&self, seq: u32, bytes: &[u8]) -> SignedManifest {
        let ts = "20261128131500";
        let rid = format!("{CENTRE}{}{seq:05}{ts}", self.id);
        let manifest = PacketManifest {
            packet_id: format!("{rid}-{CENTRE}_{}-{ts}", self.id),
            rid,
            process: Process::New,
            centre_id: CENTRE.into(),
            machine_id: self.id.clone(),
            sequence: seq,
            packet_hash: enrol_sync::crypto::hex(&Sha256::digest(bytes), true),
            size: bytes.len() as u64,
            supervisor_status: SupervisorStatus::Approved,
            created_at: "2026-11-28T13:15:00Z".into(),
            audit_head: "00".repeat(32),
            subpackets: vec![SubpacketEntry {
                name: "id".into(),
                encrypted_hash: "h".into(),
                signature: "s".into(),
            }],
        };
        let signature = self.sign(&manifest.signing_bytes());
        SignedManifest {
            manifest,
            signature,
        }
    }
}

pub fn now() -> String {
    enrol_sync::clock::rfc3339_now()
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| rand::random::<u8>()).collect()
}

/// `Upload-Metadata` for a packet, with its upload token.
pub fn upload_metadata(signed: &SignedManifest, token: &str) -> String {
    let m = &signed.manifest;
    format!(
        "rid {},packetId {},token {}",
        STANDARD.encode(&m.rid),
        STANDARD.encode(&m.packet_id),
        STANDARD.encode(token)
    )
}

/// Announces a packet; returns the upload token.
pub async fn announce(server: &Server, machine: &MachineKey, signed: &SignedManifest) -> Resp {
    let req = Req::new("POST", "/v1/packets").json(&serde_json::to_value(signed).unwrap());
    server.request(machine.sign_request(req)).await
}

/// Creates the tus upload of an announced packet; returns its path.
pub async fn create_upload(server: &Server, signed: &SignedManifest, token: &str) -> String {
    let r = server
        .request(
            Req::new("POST", "/v1/uploads")
                .tus()
                .header("upload-length", &signed.manifest.size.to_string())
                .header("upload-metadata", &upload_metadata(signed, token)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.header("location").unwrap().to_owned()
}

pub fn patch(path: &str, offset: u64, bytes: &[u8]) -> Req {
    Req::new("PATCH", path)
        .tus()
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", &offset.to_string())
        .body(bytes)
}

/// Announces, creates and uploads a packet in one PATCH; returns the final PATCH response.
pub async fn upload_packet(
    server: &Server,
    machine: &MachineKey,
    signed: &SignedManifest,
    bytes: &[u8],
) -> Resp {
    let r = announce(server, machine, signed).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let token = r.json()["uploadToken"].as_str().unwrap().to_owned();
    let path = create_upload(server, signed, &token).await;
    server.request(patch(&path, 0, bytes)).await
}

/// Decodes the receipt header of a tus response.
pub fn receipt_from_header(resp: &Resp) -> enrol_schema::sync::Receipt {
    let raw = resp.header("x-enrol-receipt").expect("receipt header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).unwrap()).unwrap()
}

/// Whether the receipt verifies with the server's public key.
pub fn receipt_verifies(server: &Server, receipt: &enrol_schema::sync::Receipt) -> bool {
    enrol_sync::crypto::verify_server_signature(
        server.state.key.public_key(),
        &receipt.signing_bytes(),
        &receipt.signature,
    )
}
