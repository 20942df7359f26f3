//! The client's online side against the real `enrol-sync` server (in process, port 0, temp
//! directories): onboarding with a one-time code, signed publications and operator lists (a
//! forged one refused with nothing applied, reads retried over a link that drops connections),
//! the first login of an operator synced from the server and their offline logins after it,
//! deactivation and role changes by user sync, and settings that change the lockout.

mod kit;
mod server;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use enrol_client::machine::{OnlineOnboarding, onboard_online};
use enrol_client::roles::Role;
use enrol_client::seal::KdfParams;
use enrol_client::sync::{SyncError, SyncOptions};
use enrol_client::{Client, Options, Session};
use server::Server;

const MACHINE: &str = "10011";
const SUPERVISOR: &str = "sup1";
const SUPERVISOR_PASSWORD: &str = "supervisor-pass";

fn options() -> Options {
    Options {
        kdf: KdfParams::FLOOR,
        ..Options::default()
    }
}

fn sync_options(server: String) -> SyncOptions {
    SyncOptions {
        server: Some(server),
        ..SyncOptions::default()
    }
}

/// A server for centre 10001 with supervisor sup1, operator op1, the pipeline certificate and
/// machine 10011 registered without a key.
fn centre() -> Server {
    let server = Server::start();
    server.put_operator(
        SUPERVISOR,
        &["supervisor", "operator"],
        Some(SUPERVISOR_PASSWORD),
        true,
    );
    server.put_operator("op1", &["operator"], Some("op1-password"), true);
    server.publish(
        "pipeline-certificate",
        "pipeline",
        &kit::pipeline().1.to_pem().unwrap(),
    );
    server.register_machine(MACHINE, None);
    server
}

fn onboarding(url: String, code: &str, supervisor: &str, password: &str) -> OnlineOnboarding {
    OnlineOnboarding {
        server_url: url,
        machine_id: MACHINE.into(),
        onboarding_code: code.into(),
        supervisor_id: supervisor.into(),
        password: password.into(),
    }
}

/// A machine onboarded on `server` whose supervisor has synced publications and operators.
fn onboarded(server: &Server) -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    let code = server.onboarding_code(MACHINE, 3600);
    let request = onboarding(server.url(), &code, SUPERVISOR, SUPERVISOR_PASSWORD);
    let mut session = onboard_online(dir.path(), &request, options()).unwrap();
    let synced = SyncOptions::default();
    session.sync_publications(&synced).unwrap();
    session.sync_operators(&synced).unwrap();
    (dir, session)
}

fn login(dir: &std::path::Path, id: &str, password: &str) -> Result<Session, String> {
    Client::open(dir, options())
        .unwrap()
        .login(id, password)
        .map_err(|error| error.code().to_owned())
}

/// One onboarding attempt in a fresh directory: it succeeds, or fails with the code and leaves
/// the directory uninitialised.
#[track_caller]
fn check(
    request: &OnlineOnboarding,
    expected: Result<(), &str>,
) -> Option<(tempfile::TempDir, Session)> {
    let dir = tempfile::tempdir().unwrap();
    match onboard_online(dir.path(), request, options()) {
        Ok(session) => {
            assert_eq!(expected, Ok(()), "{}", request.onboarding_code);
            Some((dir, session))
        }
        Err(error) => {
            assert_eq!(Err(error.code()), expected, "{error}");
            assert!(!dir.path().join("keyring.json").exists());
            None
        }
    }
}

#[test]
fn onboarding_codes_are_single_use_expire_and_check_the_supervisor() {
    let server = centre();
    let code = server.onboarding_code(MACHINE, 3600);
    let with = |code: &str, supervisor: &str, password: &str| {
        onboarding(server.url(), code, supervisor, password)
    };
    check(
        &with("AAAAA-BBBBB-CCCCC-DDDDD", SUPERVISOR, SUPERVISOR_PASSWORD),
        Err("ONBOARDING_CODE_INVALID"),
    );
    check(
        &with(&code, SUPERVISOR, "wrong-password"),
        Err("AUTH_WRONG_PASSWORD"),
    );
    check(&with(&code, "op1", "op1-password"), Err("SERVER_REFUSED"));
    // Case and dashes do not matter; the machine gets its centre, keys and operators.
    let typed = code.to_lowercase().replace('-', "");
    let (dir, mut session) = check(&with(&typed, SUPERVISOR, SUPERVISOR_PASSWORD), Ok(())).unwrap();
    let machine = session.machine().unwrap();
    assert_eq!(machine.server_url.as_deref(), Some(server.url().as_str()));
    assert_eq!(
        (
            machine.machine_id.as_str(),
            machine.centre_id.as_str(),
            machine.centre_name.as_str()
        ),
        (MACHINE, "10001", "Centre Mehdia")
    );
    assert_eq!(
        session
            .trusted_key(enrol_client::machine::RECEIPT_SIGNING_KEY)
            .unwrap(),
        Some(server.key_pem())
    );
    let standing: Vec<(String, String)> = session
        .list_operators()
        .unwrap()
        .into_iter()
        .map(|o| (o.operator.id, o.operator.status))
        .collect();
    assert_eq!(
        standing,
        [
            ("op1".into(), "pending".into()),
            ("sup1".into(), "active".into())
        ]
    );
    // Its key is bound: signed requests go through.
    let report = session.sync_publications(&SyncOptions::default()).unwrap();
    assert_eq!(report.changes.len(), 8, "{report:?}");
    assert!(
        report.changes.iter().all(|c| c.skipped.is_none()),
        "{report:?}"
    );
    drop((dir, session));

    // Used once; expired; dead after five failures.
    check(
        &with(&code, SUPERVISOR, SUPERVISOR_PASSWORD),
        Err("ONBOARDING_CODE_INVALID"),
    );
    let expired = server.onboarding_code(MACHINE, -1);
    check(
        &with(&expired, SUPERVISOR, SUPERVISOR_PASSWORD),
        Err("ONBOARDING_CODE_INVALID"),
    );
    let fresh = server.onboarding_code(MACHINE, 3600);
    for _ in 0..5 {
        check(
            &with("AAAAA-BBBBB-CCCCC-DDDDD", SUPERVISOR, SUPERVISOR_PASSWORD),
            Err("ONBOARDING_CODE_INVALID"),
        );
    }
    check(
        &with(&fresh, SUPERVISOR, SUPERVISOR_PASSWORD),
        Err("ONBOARDING_CODE_INVALID"),
    );
    // Nobody listening.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    check(
        &onboarding(
            format!("http://{closed}"),
            &fresh,
            SUPERVISOR,
            SUPERVISOR_PASSWORD,
        ),
        Err("SERVER_UNREACHABLE"),
    );
}

/// A man in the middle: a loopback proxy to `target` that passes every exchange through, except
/// that JSON answers to requests under `path` go through `tamper` first.
fn tampering_proxy(
    target: SocketAddr,
    path: &'static str,
    tamper: fn(&mut serde_json::Value),
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            std::thread::spawn(move || relay(client, target, path, tamper));
        }
    });
    format!("http://{addr}")
}

/// One request and its answer (HTTP/1.1 with Content-Length), then the connection is closed.
fn relay(client: TcpStream, target: SocketAddr, path: &str, tamper: fn(&mut serde_json::Value)) {
    let mut from_client = BufReader::new(client.try_clone().unwrap());
    let Some((head, body)) = read_message(&mut from_client) else {
        return;
    };
    let tampered = head
        .lines()
        .next()
        .is_some_and(|line| line.split(' ').nth(1).is_some_and(|p| p.starts_with(path)));
    let mut server = TcpStream::connect(target).unwrap();
    server.write_all(head.as_bytes()).unwrap();
    server.write_all(&body).unwrap();
    let Some((head, mut body)) = read_message(&mut BufReader::new(server)) else {
        return;
    };
    if tampered {
        let mut json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        tamper(&mut json);
        body = serde_json::to_vec(&json).unwrap();
    }
    let mut answer: String = head
        .lines()
        .filter(|line| {
            let name = line.to_ascii_lowercase();
            !line.is_empty()
                && !name.starts_with("content-length:")
                && !name.starts_with("connection:")
        })
        .map(|line| format!("{line}\r\n"))
        .collect();
    answer.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut client = client;
    let _ = client.write_all(answer.as_bytes());
    let _ = client.write_all(&body);
}

/// A message's head (through the blank line) and its Content-Length body.
fn read_message(reader: &mut impl BufRead) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// A link that drops connections: a loopback proxy to `target` that reads the request of every
/// other connection and closes it unanswered, and relays the rest. Counts the dropped ones.
fn dropping_proxy(target: SocketAddr) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    std::thread::spawn(move || {
        for (index, client) in listener.incoming().enumerate() {
            let Ok(client) = client else { continue };
            if index % 2 == 0 {
                let _ = read_message(&mut BufReader::new(&client));
                counter.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            std::thread::spawn(move || relay(client, target, "/never-tampered", |_| {}));
        }
    });
    (format!("http://{addr}"), dropped)
}

#[test]
fn publications_and_operator_lists_are_read_again_when_a_connection_drops() {
    let server = centre();
    let (_dir, mut session) = onboarded(&server);
    server.put_operator("op2", &["operator"], Some("op2-password"), true);
    let settings =
        enrol_schema::defaults::SETTINGS_JSON.replace("\"max_failures\": 5", "\"max_failures\": 7");
    server.publish("settings", "settings", &settings);
    let (url, dropped) = dropping_proxy(server.addr);

    let publications = session
        .sync_publications(&sync_options(url.clone()))
        .unwrap();
    assert_eq!(publications.changes.len(), 1, "{publications:?}");
    assert_eq!(session.settings().login_lockout.max_failures, 7);
    let operators = session.sync_operators(&sync_options(url)).unwrap();
    assert_eq!(operators.added, ["op2"]);
    assert!(dropped.load(Ordering::SeqCst) >= 2);
}

#[test]
fn forged_publications_and_operator_lists_are_refused_with_nothing_applied() {
    let server = centre();
    let dir = tempfile::tempdir().unwrap();
    let code = server.onboarding_code(MACHINE, 3600);
    let request = onboarding(server.url(), &code, SUPERVISOR, SUPERVISOR_PASSWORD);
    let mut session = onboard_online(dir.path(), &request, options()).unwrap();
    let lockout = session.settings().login_lockout.max_failures;

    // Settings that would lift the lockout, slipped into the page.
    let forged_settings = tampering_proxy(server.addr, "/v1/publications", |page| {
        for publication in page["publications"].as_array_mut().unwrap() {
            if publication["kind"] == "settings" {
                let content = publication["content"].as_str().unwrap();
                publication["content"] = content
                    .replace("\"max_failures\": 5", "\"max_failures\": 500")
                    .into();
            }
        }
    });
    let error = session
        .sync_publications(&sync_options(forged_settings))
        .unwrap_err();
    assert!(matches!(error, SyncError::Forged { .. }), "{error}");
    assert_eq!(error.code(), "SYNC_FORGED");
    assert_eq!(session.settings().login_lockout.max_failures, lockout);

    // A supervisor of the attacker's making, slipped into the operator list.
    let forged_operators = tampering_proxy(server.addr, "/v1/operators", |list| {
        list["operators"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "userId": "mallory", "name": "Mallory", "centreId": "10001",
                "roles": ["supervisor"], "active": true,
                "passwordVerifier": support::verifier("mallory-password"),
            }));
    });
    let error = session
        .sync_operators(&sync_options(forged_operators))
        .unwrap_err();
    assert_eq!(error.code(), "SYNC_FORGED", "{error}");

    // The genuine answers still apply in full: nothing of the forged ones was kept.
    let report = session.sync_publications(&SyncOptions::default()).unwrap();
    assert_eq!(report.changes.len(), 8, "{report:?}");
    let operators = session.sync_operators(&SyncOptions::default()).unwrap();
    assert_eq!(operators.first_login_ready, ["op1"]);
    assert!(
        session
            .list_operators()
            .unwrap()
            .iter()
            .all(|o| o.operator.id != "mallory")
    );
    assert_eq!(
        login(dir.path(), "mallory", "mallory-password")
            .err()
            .as_deref(),
        Some("AUTH_WRONG_PASSWORD")
    );
}

#[test]
fn an_operator_added_on_the_server_logs_in_first_online_then_offline() {
    let server = centre();
    let (dir, mut supervisor) = onboarded(&server);
    let dir = dir.path();
    server.put_operator("op2", &["operator"], Some("op2-password"), true);
    server.put_operator("op3", &["operator"], Some("op3-password"), true);
    let report = supervisor.sync_operators(&SyncOptions::default()).unwrap();
    assert_eq!(report.added, ["op2", "op3"]);
    assert_eq!(report.first_login_ready, ["op2", "op3"]);

    // The pending slot opens only with the operator's password (failures count as usual).
    assert_eq!(
        login(dir, "op2", "op2-wrong").err().as_deref(),
        Some("AUTH_WRONG_PASSWORD")
    );
    let op2 = login(dir, "op2", "op2-password").unwrap();
    assert_eq!(op2.operator().status, "active");
    assert_eq!(op2.operator().roles, [Role::Operator]);
    op2.logout().unwrap();

    // A password changed on the server before the first login replaces the pending slot.
    server.put_operator("op3", &["operator"], Some("op3-new-password"), true);
    let report = supervisor.sync_operators(&SyncOptions::default()).unwrap();
    assert_eq!(
        (
            report.updated.as_slice(),
            report.first_login_ready.as_slice()
        ),
        (&["op3".to_owned()][..], &["op3".to_owned()][..])
    );
    assert_eq!(
        login(dir, "op3", "op3-password").err().as_deref(),
        Some("AUTH_WRONG_PASSWORD")
    );

    // Every step is in the audit chain, by id only.
    let entries = supervisor.audit_entries_after(0, 1000).unwrap();
    let steps: Vec<(String, String, String)> = entries
        .iter()
        .filter(|e| e.subject == "op2")
        .map(|e| (e.actor.clone(), e.action.clone(), e.subject.clone()))
        .collect();
    let step = |actor: &str, action: &str| (actor.to_owned(), action.to_owned(), "op2".to_owned());
    assert_eq!(
        steps,
        [
            step("sup1", "operator.added"),
            step("sup1", "operator.first_login_prepared"),
            step("op2", "operator.activated"),
        ]
    );
    assert!(supervisor.verify_audit().unwrap().is_ok());
    drop(supervisor);

    // The server goes away: op2 logs in offline; a first login cannot happen.
    drop(server);
    let op2 = login(dir, "op2", "op2-password").unwrap();
    op2.logout().unwrap();
    assert_eq!(
        login(dir, "op3", "op3-new-password").err().as_deref(),
        Some("LOGIN_NEEDS_SERVER")
    );
    assert_eq!(
        login(dir, "op1", "op1-password").err().as_deref(),
        Some("LOGIN_NEEDS_SERVER")
    );
    let supervisor = login(dir, SUPERVISOR, SUPERVISOR_PASSWORD).unwrap();
    let pending: Vec<String> = supervisor_list(supervisor, "pending");
    assert_eq!(pending, ["op1", "op3"]);
}

fn supervisor_list(mut session: Session, status: &str) -> Vec<String> {
    session
        .list_operators()
        .unwrap()
        .into_iter()
        .filter(|o| o.operator.status == status)
        .map(|o| o.operator.id)
        .collect()
}

#[test]
fn user_sync_deactivates_and_changes_roles_and_never_deletes() {
    let server = centre();
    let (dir, mut supervisor) = onboarded(&server);
    let dir = dir.path();
    login(dir, "op1", "op1-password").unwrap().logout().unwrap();

    server.put_operator("op1", &["operator", "supervisor"], None, true);
    let report = supervisor.sync_operators(&SyncOptions::default()).unwrap();
    assert_eq!(report.updated, ["op1"]);
    let op1 = login(dir, "op1", "op1-password").unwrap();
    assert_eq!(op1.operator().roles, [Role::Operator, Role::Supervisor]);
    op1.logout().unwrap();

    server.put_operator("op1", &["operator", "supervisor"], None, false);
    let report = supervisor.sync_operators(&SyncOptions::default()).unwrap();
    assert_eq!(report.deactivated, ["op1"]);
    assert_eq!(
        login(dir, "op1", "op1-password").err().as_deref(),
        Some("AUTH_DEACTIVATED")
    );
    // Reactivated on the server: deactivated here stays so (a supervisor decides).
    server.put_operator("op1", &["operator"], None, true);
    let report = supervisor.sync_operators(&SyncOptions::default()).unwrap();
    assert_eq!(report, Default::default());
    assert_eq!(
        login(dir, "op1", "op1-password").err().as_deref(),
        Some("AUTH_DEACTIVATED")
    );

    // Deactivated on the server after the sync that prepared the first login: the server's
    // confirmation refuses it, and it is deactivated here too.
    server.put_operator("op4", &["operator"], Some("op4-password"), true);
    supervisor.sync_operators(&SyncOptions::default()).unwrap();
    server.put_operator("op4", &["operator"], None, false);
    assert_eq!(
        login(dir, "op4", "op4-password").err().as_deref(),
        Some("AUTH_DEACTIVATED")
    );
    assert_eq!(
        login(dir, "op4", "op4-password").err().as_deref(),
        Some("AUTH_DEACTIVATED")
    );
    assert_eq!(supervisor_list(supervisor, "deactivated"), ["op1", "op4"]);
}

#[test]
fn published_settings_change_the_lockout() {
    let server = centre();
    let (dir, mut supervisor) = onboarded(&server);
    let settings =
        enrol_schema::defaults::SETTINGS_JSON.replace("\"max_failures\": 5", "\"max_failures\": 2");
    server.publish("settings", "settings", &settings);
    let report = supervisor
        .sync_publications(&SyncOptions::default())
        .unwrap();
    assert_eq!(report.changes.len(), 1, "{report:?}");
    assert_eq!(supervisor.settings().login_lockout.max_failures, 2);
    assert_eq!(
        login(dir.path(), "op1", "wrong-one").err().as_deref(),
        Some("AUTH_WRONG_PASSWORD")
    );
    assert_eq!(
        login(dir.path(), "op1", "wrong-two").err().as_deref(),
        Some("AUTH_LOCKED")
    );
}

/// `enrol init --onboarding-code` and `enrol sync` through the real binary.
#[test]
fn the_cli_onboards_online_and_syncs_publications_and_operators() {
    let server = centre();
    let code = server.onboarding_code(MACHINE, 3600);
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let enrol = |args: &[&str], stdin: &str, expected: Result<(), &str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_enrol"))
            .arg("--json")
            .args(args)
            .env("ENROL_HOME", home.path())
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env_remove("ENROL_SESSION")
            .env_remove("ENROL_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        support::expect_outcome(args, &child.wait_with_output().unwrap(), expected)
    };
    let password = format!("{SUPERVISOR_PASSWORD}\n");
    let url = server.url();
    let init = [
        "init",
        "--server",
        &url,
        "--machine-id",
        MACHINE,
        "--onboarding-code",
        &code,
        "--supervisor",
        SUPERVISOR,
        "--password-stdin",
    ];
    let onboarded = enrol(&init, &password, Ok(()));
    assert_eq!(onboarded["machine"]["centre_id"], "10001");
    assert_eq!(
        onboarded["sync"]["publications"]["changes"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(
        onboarded["sync"]["operators"]["first_login_ready"],
        serde_json::json!(["op1"])
    );
    enrol(&init, &password, Err("ALREADY_INITIALISED"));

    server.put_operator("op2", &["operator"], Some("op2-password"), true);
    enrol(
        &["login", "--user", SUPERVISOR, "--password-stdin"],
        &password,
        Ok(()),
    );
    let synced = enrol(&["sync"], "", Ok(()));
    assert_eq!(synced["operators"]["added"], serde_json::json!(["op2"]));
    assert_eq!(synced["publications"]["changes"], serde_json::json!([]));
    assert_eq!(synced["packets"], serde_json::json!([]));
    enrol(
        &["login", "--user", "op2", "--password-stdin"],
        "op2-password\n",
        Ok(()),
    );
    assert_eq!(enrol(&["whoami"], "", Ok(()))["operator"]["id"], "op2");
}
