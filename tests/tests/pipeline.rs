//! End to end through the central pipeline: registrations made with the client's workflow
//! (ISO records from the device bridge's simulator code) are synced to the real server (SQLite,
//! then PostgreSQL), taken from the pull feed by the `enrol-pipeline` binary, opened with the
//! pipeline's key and judged; the verdicts reach the client at its next status poll. A packet
//! with one byte flipped on the server, one made while its machine was deactivated and one with
//! a broken ISO record end REJECTED with their reasons; duplicates, forged credentials and
//! unknown RIDs get clear errors and change nothing; RESEND brings a packet back; REREGISTER
//! reaches the client.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{ConsumerFiles, Db, Kit, PIPELINE_TOKEN, Server};
use enrol_e2e::pipeline::api::Api;
use enrol_schema::pipeline::StatusUpdate;
use enrol_schema::sync::PacketState;
use enrol_sync::store::MachineStatus;
use serde_json::Value;

/// Waits until the wall clock enters a new second, so records made before and after are
/// ordered at the one-second precision of packet and history times.
fn next_second() {
    let second = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let start = second();
    while second() == start {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The consumer's JSON lines by RID.
fn lines(output: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[track_caller]
fn check(db: Db) {
    let server = Server::start(db);
    let kit = Kit::new();
    server.onboard(&kit);
    kit.trust(&server);
    next_second();
    let (good, entered) = kit.register("Amina Good");
    let (flipped, _) = kit.register("Byte Flipped");
    // A face record whose header claims more bytes than it has.
    let (short, _) = kit.register_with("Short Record", |attribute| {
        let mut record = common::iso_record(attribute);
        if attribute == "face" {
            record.truncate(record.len() - 10);
        }
        record
    });
    next_second();
    server.set_machine_status(MachineStatus::Inactive);
    let (inactive, _) = kit.register("Made While Inactive");
    next_second();
    server.set_machine_status(MachineStatus::Active);
    kit.approve_all();
    let report = kit.sync(&server);
    assert!(
        report.packets.iter().all(|p| p.error.is_none()),
        "{:?}",
        report.packets
    );
    server.flip_stored_byte(&flipped);

    let files = ConsumerFiles::new();
    let output = files.drain(&server);
    assert!(output.status.success(), "{output:?}");
    let expected = [
        (&good, "PROCESSED", None),
        (&flipped, "REJECTED", Some("PACKET_HASH_MISMATCH")),
        (&inactive, "REJECTED", Some("MACHINE_INACTIVE")),
        (&short, "REJECTED", Some("BIOMETRIC_INVALID")),
    ];
    let reported = lines(&output);
    assert_eq!(reported.len(), expected.len(), "{reported:?}");
    for (rid, status, reason) in expected {
        let line = reported.iter().find(|l| l["rid"] == rid.as_str()).unwrap();
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["reason"].as_str(), reason, "{line}");
        assert_eq!(line["changed"], true, "{line}");
        let verdict = files.verdict(rid);
        let comment = verdict["comment"].as_str().unwrap();
        assert!(comment.starts_with(reason.unwrap_or("")), "{comment}");
    }

    // The client sees each verdict at its next status poll.
    kit.sync(&server);
    for (rid, status, _) in expected {
        assert_eq!(kit.server_status(rid).as_deref(), Some(status), "{rid}");
    }

    // What the pipeline decrypted is what the operator entered (the demographics; document
    // and biometric references are rewritten by the packet builder).
    let decrypted = files.verdict(&good)["identity"].clone();
    assert_eq!(decrypted["fullName"][0]["value"], "Amina Good");
    for (field, value) in entered.iter().filter(|(_, v)| !v.is_object()) {
        assert_eq!(&decrypted[field], value, "{field}");
    }

    // The cursor was kept: nothing is judged twice.
    let again = files.drain(&server);
    assert!(
        again.status.success() && lines(&again).is_empty(),
        "{again:?}"
    );
    // Without it (a consumer that lost its state), every packet is judged again to the same
    // verdict, which the server accepts and ignores.
    std::fs::remove_file(files.dir.path().join("cursor")).unwrap();
    let replay = lines(&files.drain(&server));
    assert_eq!(replay.len(), expected.len());
    for (rid, status, _) in expected {
        let line = replay.iter().find(|l| l["rid"] == rid.as_str()).unwrap();
        assert_eq!(
            (&line["status"], &line["changed"]),
            (&Value::from(status), &Value::from(false))
        );
    }

    // A forged credential is refused with a stable code.
    let forged = files
        .command(&server.url(), "not-the-pipeline-token")
        .arg("--once")
        .output()
        .unwrap();
    assert!(!forged.status.success());
    assert!(
        String::from_utf8_lossy(&forged.stderr).contains("PIPELINE_UNAUTHORIZED"),
        "{forged:?}"
    );
    // A status for an unknown RID, and a different verdict on a finished packet, are refused.
    let api = Api::new(&server.url(), PIPELINE_TOKEN);
    let report = |rid: &str, status| {
        api.report(&StatusUpdate {
            rid: rid.into(),
            status,
            comment: String::new(),
        })
        .map_err(|e| e.code)
    };
    assert_eq!(
        report("10001100119999920261128000000", PacketState::Processed),
        Err("PACKET_UNKNOWN".into())
    );
    assert_eq!(
        report(&good, PacketState::Rejected),
        Err("STATUS_CONFLICT".into())
    );
    assert_eq!(
        report(&good, PacketState::Received),
        Err("STATUS_INVALID".into())
    );
    assert_eq!(kit.server_status(&good).as_deref(), Some("PROCESSED"));

    // RESEND: the client uploads the packet again at its next sync, the feed offers it again,
    // and it ends PROCESSED.
    let (resent, _) = kit.register("Sent Twice");
    kit.approve_all();
    kit.sync(&server);
    assert_eq!(
        report(&resent, PacketState::Resend).unwrap().status,
        PacketState::Resend
    );
    kit.sync(&server);
    assert_eq!(kit.server_status(&resent).as_deref(), Some("RESEND"));
    let report = kit.sync(&server);
    assert_eq!(report.packets.len(), 1, "{:?}", report.packets);
    assert_eq!(kit.server_status(&resent).as_deref(), Some("RECEIVED"));
    let fed = lines(&files.drain(&server));
    assert_eq!(fed.len(), 1, "{fed:?}");
    assert_eq!(
        (&fed[0]["rid"], &fed[0]["status"]),
        (&Value::from(resent.as_str()), &Value::from("PROCESSED"))
    );
    kit.sync(&server);
    assert_eq!(kit.server_status(&resent).as_deref(), Some("PROCESSED"));

    // REREGISTER reaches the centre as the packet's final status.
    let (again, _) = kit.register("Register Again");
    kit.approve_all();
    kit.sync(&server);
    let ack = api.report(&StatusUpdate {
        rid: again.clone(),
        status: PacketState::Reregister,
        comment: "ID_INVALID: the resident must come back".into(),
    });
    assert!(ack.unwrap().changed);
    kit.sync(&server);
    assert_eq!(kit.server_status(&again).as_deref(), Some("REREGISTER"));
    // The supervisor's `enrol status` says which residents must come again.
    let runtime = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        runtime.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let enrol = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new(common::sibling_binary("enrol-client", "enrol"))
            .args(args)
            .env("ENROL_HOME", kit.data.path())
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env_remove("ENROL_SESSION")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "enrol {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    enrol(
        &["login", "--user", common::SUPERVISOR, "--password-stdin"],
        &format!("{}\n", common::SUPERVISOR_PASSWORD),
    );
    let status = enrol(&["status"], "");
    assert!(
        status.contains(&format!(
            "1 registration(s) to make again (REREGISTER from the centre): {again}"
        )),
        "{status}"
    );

    // A token made by `enrol-sync admin pipeline-token` (kept as a digest) works as well.
    let token = "token-from-the-admin-command";
    server
        .runtime
        .block_on(server.state.store.set_setting(
            enrol_sync::auth::PIPELINE_TOKEN_SETTING,
            &enrol_sync::crypto::sha256_hex(token.as_bytes()),
        ))
        .unwrap();
    assert!(Api::new(&server.url(), token).feed(0, 1).is_ok());
    let forged = Api::new(&server.url(), "token-from-the-admin-commane").feed(0, 1);
    assert_eq!(forged.unwrap_err().code, "PIPELINE_UNAUTHORIZED");
}

#[test]
fn packets_end_processed_or_rejected_at_the_client_on_sqlite() {
    check(Db::Sqlite);
}

#[test]
fn packets_end_processed_or_rejected_at_the_client_on_postgres() {
    check(Db::Postgres);
}
