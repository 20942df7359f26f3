//! Sync under chaos, issue 5's acceptance: 500 packets (mostly small) sent by the `enrol sync` process
//! through a proxy that cuts the link at random, while `enrol sync` and the `enrol-sync` server
//! (restarted on its data each time) are SIGKILLed at random instants several times. Afterwards
//! every packet is on the server exactly once and byte-identical to the client's sealed packet,
//! each has a receipt on the client that verifies with the server's key, and at no point was a
//! packet file gone from the client without a receipt. On SQLite and on PostgreSQL.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use common::proxy::{Link, Proxy};
use common::{Db, Kit, PgDatabase, Server, free_port, sibling_binary};
use enrol_client::sync::{ed25519_key_from_pem, server_signed};
use enrol_sync::config::Config;
use rand_core::RngCore;
use sha2::{Digest, Sha256};

const PACKETS: usize = 500;
/// Rounds that SIGKILL `enrol sync` at a random instant; `SERVER_KILLS` of them also SIGKILL
/// the server at a random instant before that (it is restarted on its data after a pause).
const CLIENT_KILLS: usize = 7;
const SERVER_KILLS: usize = 4;
/// Mean time between cuts of the link (every open connection at once).
const CUT_GAP: Duration = Duration::from_millis(300);
/// Bytes of each of the two documents: packets of about 67 KB, sent in one PATCH; every
/// `LARGE_EVERY`th packet has larger ones (about 650 KB, more than one PATCH, so that cuts and
/// kills also interrupt uploads past their first chunk).
const DOCUMENT_BYTES: usize = 20_000;
const LARGE_DOCUMENT_BYTES: usize = 300_000;
const LARGE_EVERY: usize = 25;
const DEADLINE: Duration = Duration::from_secs(300);

/// A packet as the client sealed it.
struct Sealed {
    rid: String,
    file: String,
    bytes: Vec<u8>,
}

impl Sealed {
    fn hash(&self) -> String {
        hex_upper(&Sha256::digest(&self.bytes))
    }
}

/// A kit with `PACKETS` approved packets and nothing sent, made once and copied by each test.
struct Template {
    kit: Kit,
    packets: Vec<Sealed>,
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

/// The packets in the kit's folder, by RID (a file is named after its packet id, which starts
/// with the RID).
fn packet_files(kit: &Kit) -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(kit.data.path().join("packets"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "zip"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name[..29].to_owned(), path)
        })
        .collect()
}

impl Template {
    /// Shared by the tests that run at the same time; made again for a later one.
    fn get() -> Arc<Template> {
        static SHARED: Mutex<Weak<Template>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap();
        if let Some(template) = shared.upgrade() {
            return template;
        }
        let template = Arc::new(Template::make());
        *shared = Arc::downgrade(&template);
        template
    }

    fn make() -> Template {
        let start = Instant::now();
        let kit = Kit::new();
        let mut rids = Vec::with_capacity(PACKETS);
        for index in 0..PACKETS {
            let name = format!("Resident {}", common::letters(index));
            let documents = if index % LARGE_EVERY == LARGE_EVERY - 1 {
                LARGE_DOCUMENT_BYTES
            } else {
                DOCUMENT_BYTES
            };
            rids.push(kit.register_sized(&name, common::tiny_iso, documents).0);
        }
        kit.approve_all();
        let files = packet_files(&kit);
        let packets: Vec<Sealed> = rids
            .into_iter()
            .map(|rid| {
                let path = &files[&rid];
                Sealed {
                    file: path.file_name().unwrap().to_string_lossy().into_owned(),
                    bytes: std::fs::read(path).unwrap(),
                    rid,
                }
            })
            .collect();
        let bytes: usize = packets.iter().map(|p| p.bytes.len()).sum();
        eprintln!(
            "{PACKETS} packets of {} bytes on average made in {:.1} s",
            bytes / PACKETS,
            start.elapsed().as_secs_f64()
        );
        Template { kit, packets }
    }

    /// A copy of the kit in a folder of its own.
    fn copy(&self) -> Kit {
        let data = tempfile::tempdir().unwrap();
        copy_dir(self.kit.data.path(), data.path());
        Kit { data }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The server's configuration: its data folder, and PostgreSQL's database when used.
fn config(data: &Path, database: Option<&PgDatabase>) -> Config {
    Config {
        data_dir: data.to_owned(),
        database_url: database.map(PgDatabase::url),
        ..Config::default()
    }
}

/// A binary of the workspace, brought up to date once per test binary (not on every start).
fn binary(package: &'static str, name: &'static str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<&str, PathBuf>> = Mutex::new(BTreeMap::new());
    BUILT
        .lock()
        .unwrap()
        .entry(name)
        .or_insert_with(|| sibling_binary(package, name))
        .clone()
}

/// `enrol-sync serve` as a process of its own on `port`.
struct ServerProcess {
    child: Option<Child>,
    port: u16,
    config: Config,
    log: PathBuf,
    kills: usize,
}

impl ServerProcess {
    fn new(config: Config, port: u16, log: PathBuf) -> ServerProcess {
        let mut server = ServerProcess {
            child: None,
            port,
            config,
            log,
            kills: 0,
        };
        server.start();
        server
    }

    /// Starts the server and returns once it answers `/healthz`.
    fn start(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut command = Command::new(binary("enrol-sync", "enrol-sync"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data-dir")
            .arg(&self.config.data_dir)
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(url) = &self.config.database_url {
            command.args(["--database-url", url]);
        }
        self.child = Some(command.spawn().expect("enrol-sync starts"));
        let start = Instant::now();
        while ureq::get(format!("http://127.0.0.1:{}/healthz", self.port))
            .call()
            .is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "enrol-sync never answered (see {})",
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
            self.kills += 1;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `enrol sync` through `proxy`, resuming the session of `token`; its messages go to `log`.
fn spawn_sync(kit: &Kit, token: &str, proxy: &Proxy, log: &Path) -> Child {
    let log = File::options().create(true).append(true).open(log).unwrap();
    Command::new(binary("enrol-client", "enrol"))
        .arg("--data-dir")
        .arg(kit.data.path())
        .args(["sync", "--server", &proxy.url()])
        .env("ENROL_SESSION", token)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("enrol starts")
}

/// The last lines of a log.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A random pause of `from` to `to` milliseconds.
fn pause(from: u64, to: u64) {
    let ms = from + rand_core::OsRng.next_u64() % (to - from).max(1);
    std::thread::sleep(Duration::from_millis(ms));
}

/// Where the client stands: the RIDs with a stored receipt. Panics when a packet file is gone
/// from the client without a receipt, or no longer holds the sealed bytes.
#[track_caller]
fn client_state(kit: &Kit, template: &Template) -> BTreeSet<String> {
    let mut session = kit.supervisor();
    let files = packet_files(kit);
    let mut received = BTreeSet::new();
    for packet in &template.packets {
        let receipt = session.packet_receipt(&packet.rid).unwrap();
        match files.get(&packet.rid) {
            Some(path) => assert!(
                std::fs::read(path).unwrap() == packet.bytes,
                "{} changed on the client",
                packet.rid
            ),
            None => assert!(
                receipt.is_some(),
                "{} was deleted on the client without a receipt",
                packet.rid
            ),
        }
        if receipt.is_some() {
            received.insert(packet.rid.clone());
        }
    }
    received
}

fn check(db: Db) {
    let template = Template::get();
    binary("enrol-sync", "enrol-sync");
    binary("enrol-client", "enrol");
    let started = Instant::now();
    let kit = template.copy();
    eprintln!(
        "{db:?}: kit copied in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let data = tempfile::tempdir().unwrap();
    let database = (db == Db::Postgres).then(PgDatabase::create);
    let config = config(&data.path().join("server"), database.as_ref());
    // The machine, its operators and the receipt key are set up with the server in process.
    {
        let config = config.clone();
        let server = Server::start_with(Db::Sqlite, move |c| {
            c.data_dir = config.data_dir;
            c.database_url = config.database_url;
        });
        server.onboard(&kit);
        kit.trust(&server);
        server.runtime.block_on(server.state.store.close());
    }
    eprintln!(
        "{db:?}: onboarded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let token = kit.supervisor().create_token().unwrap();
    let token = token.as_str().to_owned();
    let port = free_port();
    let proxy = Proxy::start(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Link {
            mean_gap: Some(CUT_GAP),
            rate: None,
        },
    );
    let mut server = ServerProcess::new(config.clone(), port, data.path().join("server.log"));
    let client_log = data.path().join("client.log");

    // Rounds of `enrol sync`, each SIGKILLed at a random instant, some after the server was.
    let mut client_kills = 0;
    let mut received = BTreeSet::new();
    for round in 0..CLIENT_KILLS {
        let mut client = spawn_sync(&kit, &token, &proxy, &client_log);
        if round % 2 == 0 && server.kills < SERVER_KILLS {
            pause(100, 1500);
            server.kill();
            pause(0, 400);
            server.start();
        }
        pause(100, 1500);
        if client.try_wait().unwrap().is_none() {
            client_kills += 1;
        }
        client.kill().unwrap();
        client.wait().unwrap();
        received = client_state(&kit, &template);
        eprintln!(
            "{db:?} round {round}: {} packets received, {} link cuts, {} server kills",
            received.len(),
            proxy.cuts(),
            server.kills
        );
    }
    // Then `enrol sync` again until every packet has its receipt.
    let mut runs = 0;
    while received.len() < PACKETS {
        assert!(
            started.elapsed() < DEADLINE,
            "{db:?}: only {} of {PACKETS} packets received after {runs} full runs\n\
             client: {}\nserver: {}",
            received.len(),
            tail(&client_log),
            tail(&server.log)
        );
        spawn_sync(&kit, &token, &proxy, &client_log)
            .wait()
            .unwrap();
        runs += 1;
        received = client_state(&kit, &template);
    }
    eprintln!(
        "{db:?}: {PACKETS} packets received in {:.1} s: {client_kills} client kills mid-run, {} \
         server kills, {} link cuts, {runs} full runs after the kills",
        started.elapsed().as_secs_f64(),
        server.kills,
        proxy.cuts()
    );
    assert!(
        client_kills >= 3,
        "the client was killed mid-run {client_kills} times"
    );
    assert_eq!(server.kills, SERVER_KILLS);
    server.kill();
    let checking = Instant::now();
    check_delivered(&kit, &template, config);
    eprintln!(
        "{db:?}: checked in {:.1} s; {:.1} s since the packets were made",
        checking.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// Every packet is on the server exactly once with the client's bytes, and the client holds a
/// receipt for each that the server's key signed, naming that packet.
#[track_caller]
fn check_delivered(kit: &Kit, template: &Template, config: Config) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(enrol_sync::App::open(config)).unwrap();
    let rids: Vec<String> = template.packets.iter().map(|p| p.rid.clone()).collect();
    let stored = runtime.block_on(app.store.packets(&rids)).unwrap();
    let feed = runtime.block_on(app.store.feed(0, 10_000)).unwrap();
    let mut fed: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &feed {
        *fed.entry(entry.packet.rid.as_str()).or_default() += 1;
    }
    let server_key = ed25519_key_from_pem(&app.key.public_key_pem()).unwrap();
    let mut session = kit.supervisor();
    let mut sequences = BTreeSet::new();
    for packet in &template.packets {
        let rid = packet.rid.as_str();
        let records: Vec<_> = stored.iter().filter(|p| p.rid == rid).collect();
        assert_eq!(
            records.len(),
            1,
            "{rid} is on the server {} times",
            records.len()
        );
        assert_eq!(fed.get(rid), Some(&1), "{rid} in the pipeline feed");
        let record = records[0];
        assert_eq!(record.packet_hash, packet.hash(), "{rid}");
        let path = app.blobs.packet_path(
            &record.centre_id,
            &record.machine_id,
            &record.packet_id,
            &record.packet_hash,
        );
        assert!(
            std::fs::read(&path).unwrap() == packet.bytes,
            "{rid}: the server's bytes differ from the client's"
        );
        let receipt = session
            .packet_receipt(rid)
            .unwrap()
            .unwrap_or_else(|| panic!("{rid} has no receipt on the client"));
        assert!(
            server_signed(&server_key, &receipt.signing_bytes(), &receipt.signature),
            "{rid}: the receipt's signature does not verify"
        );
        assert_eq!(
            (
                receipt.rid.as_str(),
                receipt.packet_id.as_str(),
                receipt.size
            ),
            (rid, record.packet_id.as_str(), packet.bytes.len() as u64)
        );
        assert_eq!(receipt.packet_hash, packet.hash(), "{rid}");
        assert!(packet.file.starts_with(&receipt.packet_id), "{rid}");
        assert!(
            sequences.insert(receipt.sequence),
            "{rid}: receipt sequence repeated"
        );
    }
    assert_eq!(feed.len(), PACKETS, "pipeline feed entries");
    let files = files_under(&config_packets(&app.config));
    assert_eq!(files, PACKETS, "packet files in the server's blob store");
    for status in session.packet_sync_statuses().unwrap() {
        assert_eq!(status.phase, "RECEIVED", "{}", status.rid);
        assert!(!status.deleted, "{}", status.rid);
    }
    runtime.block_on(app.store.close());
}

fn config_packets(config: &Config) -> PathBuf {
    config.data_dir.join("packets")
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                files_under(&entry.path())
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn packets_survive_a_cutting_link_and_killed_processes_on_sqlite() {
    check(Db::Sqlite);
}

#[test]
fn packets_survive_a_cutting_link_and_killed_processes_on_postgres() {
    check(Db::Postgres);
}
