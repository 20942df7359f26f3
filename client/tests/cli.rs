//! The real `enrol` binary: init, login sessions, operators, roles, lockout, audit, `--json`.

mod support;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A data directory and a private runtime folder for one scripted user.
struct Enrol {
    data: tempfile::TempDir,
    runtime: tempfile::TempDir,
}

impl Enrol {
    fn new() -> Enrol {
        let runtime = tempfile::tempdir().unwrap();
        std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Enrol {
            data: tempfile::tempdir().unwrap(),
            runtime,
        }
    }

    fn data_dir(&self) -> &Path {
        self.data.path()
    }

    fn run(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_enrol"))
            .arg("--json")
            .args(args)
            .env("ENROL_HOME", self.data.path())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("ENROL_SESSION")
            .env_remove("ENROL_PASSWORD")
            .env_remove("ENROL_NEW_PASSWORD")
            .envs(env.iter().copied())
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
        child.wait_with_output().unwrap()
    }

    /// Runs a command and checks it succeeds (`Ok`) or fails with the code; returns its JSON.
    #[track_caller]
    fn check(&self, args: &[&str], stdin: &str, expected: Result<(), &str>) -> Value {
        self.check_env(args, stdin, &[], expected)
    }

    #[track_caller]
    fn check_env(
        &self,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
        expected: Result<(), &str>,
    ) -> Value {
        let output = self.run(args, stdin, env);
        crate::support::expect_outcome(args, &output, expected)
    }

    fn init(&self) {
        self.check(
            &[
                "init",
                "--centre",
                "10001",
                "--machine",
                "10011",
                "--supervisor",
                "sup1",
                "--password-stdin",
            ],
            "sup1-password\n",
            Ok(()),
        );
    }
}

#[test]
fn a_supervisor_session_manages_operators_until_logout() {
    let enrol = Enrol::new();
    enrol.check(&["whoami"], "", Err("NOT_INITIALISED"));
    enrol.init();
    enrol.check(&["whoami"], "", Err("AUTH_NO_SESSION"));
    let login = enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Ok(()),
    );
    assert_eq!(login["operator"]["id"], "sup1");
    assert_eq!(login["token"].as_str().unwrap().len(), 64);
    let whoami = enrol.check(&["whoami"], "", Ok(()));
    assert_eq!(whoami["machine"]["machine_id"], "10011");
    enrol.check(
        &[
            "operator",
            "add",
            "--user",
            "op1",
            "--name",
            "Operator One",
            "--password-stdin",
        ],
        "op1-password\n",
        Ok(()),
    );
    enrol.check(
        &[
            "operator",
            "add",
            "--user",
            "op1",
            "--name",
            "Again",
            "--password-stdin",
        ],
        "op1-password\n",
        Err("OPERATOR_EXISTS"),
    );
    enrol.check(
        &[
            "operator",
            "add",
            "--user",
            "adm",
            "--name",
            "Admin",
            "--roles",
            "administrator",
            "--password-stdin",
        ],
        "adm-password\n",
        Err("AUTH_FORBIDDEN"),
    );
    let list = enrol.check(&["operator", "list"], "", Ok(()));
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["op1", "sup1"]);
    let verify = enrol.check(&["audit", "verify"], "", Ok(()));
    assert_eq!(verify["ok"], true);
    enrol.check(&["logout"], "", Ok(()));
    enrol.check(&["whoami"], "", Err("AUTH_NO_SESSION"));
    // The runtime token file is gone and nothing in the data directory opens the database.
    assert_eq!(
        std::fs::read_dir(enrol.runtime.path().join("enrol"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(enrol.data_dir().join("sessions"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn roles_lockout_and_deactivation_hold_from_the_cli() {
    let enrol = Enrol::new();
    enrol.init();
    let sup = enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Ok(()),
    );
    let sup_token = sup["token"].as_str().unwrap().to_owned();
    let as_sup = [("ENROL_SESSION", sup_token.as_str())];
    for id in ["op1", "op2"] {
        enrol.check_env(
            &["operator", "add", "--user", id, "--name", id],
            "",
            &[
                ("ENROL_SESSION", &sup_token),
                ("ENROL_NEW_PASSWORD", &format!("{id}-password")),
            ],
            Ok(()),
        );
    }
    let op = enrol.check_env(
        &["login", "--user", "op1"],
        "",
        &[("ENROL_PASSWORD", "op1-password")],
        Ok(()),
    );
    let as_op = [("ENROL_SESSION", op["token"].as_str().unwrap())];
    enrol.check_env(
        &[
            "operator",
            "add",
            "--user",
            "op3",
            "--name",
            "x",
            "--password-stdin",
        ],
        "op3-password\n",
        &as_op,
        Err("AUTH_FORBIDDEN"),
    );
    enrol.check_env(
        &["operator", "deactivate", "--user", "op2"],
        "",
        &as_op,
        Err("AUTH_FORBIDDEN"),
    );
    enrol.check_env(&["audit", "verify"], "", &as_op, Err("AUTH_FORBIDDEN"));
    enrol.check_env(&["operator", "list"], "", &as_op, Err("AUTH_FORBIDDEN"));

    for _ in 0..4 {
        enrol.check(
            &["login", "--user", "op2", "--password-stdin"],
            "wrong-password\n",
            Err("AUTH_WRONG_PASSWORD"),
        );
    }
    enrol.check(
        &["login", "--user", "op2", "--password-stdin"],
        "wrong-password\n",
        Err("AUTH_LOCKED"),
    );
    enrol.check(
        &["login", "--user", "op2", "--password-stdin"],
        "op2-password\n",
        Err("AUTH_LOCKED"),
    );

    enrol.check_env(
        &["operator", "deactivate", "--user", "op1"],
        "",
        &as_sup,
        Ok(()),
    );
    enrol.check(
        &["login", "--user", "op1", "--password-stdin"],
        "op1-password\n",
        Err("AUTH_DEACTIVATED"),
    );
    enrol.check_env(&["whoami"], "", &as_op, Err("AUTH_DEACTIVATED"));
    // init 2, login, 2 adds, login, deactivation: 7 entries; the 6 failed-login events wait in
    // the slots file and join the chain at the next login.
    let verify = enrol.check_env(&["audit", "verify"], "", &as_sup, Ok(()));
    assert_eq!(verify["report"]["entries"], 7, "{verify}");
    enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Ok(()),
    );
    let verify = enrol.check(&["audit", "verify"], "", Ok(()));
    assert_eq!(verify["report"]["entries"], 14, "{verify}");
}

#[test]
fn passwords_change_and_never_come_from_arguments() {
    let enrol = Enrol::new();
    enrol.init();
    enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Ok(()),
    );
    enrol.check(
        &["operator", "passwd", "--password-stdin"],
        "wrong-old-password\nnew-sup1-password\n",
        Err("AUTH_WRONG_PASSWORD"),
    );
    enrol.check(
        &["operator", "passwd", "--password-stdin"],
        "sup1-password\nnew-sup1-password\n",
        Ok(()),
    );
    enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Err("AUTH_WRONG_PASSWORD"),
    );
    enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "new-sup1-password\n",
        Ok(()),
    );
    enrol.check(&["login", "--user", "sup1"], "", Err("ERROR"));
    let output = enrol.run(
        &["login", "--user", "sup1", "--password", "new-sup1-password"],
        "",
        &[],
    );
    assert!(!output.status.success());
}

#[test]
fn init_from_an_enrolment_file() {
    let enrol = Enrol::new();
    let file = enrol.runtime.path().join("enrolment.json");
    std::fs::write(&file, support::enrolment().to_json()).unwrap();
    let file = file.to_str().unwrap();
    enrol.check(
        &[
            "init",
            "--enrolment-file",
            file,
            "--supervisor",
            "adm",
            "--password-stdin",
        ],
        "wrong-password\n",
        Err("AUTH_WRONG_PASSWORD"),
    );
    let init = enrol.check(
        &[
            "init",
            "--enrolment-file",
            file,
            "--supervisor",
            "adm",
            "--password-stdin",
        ],
        "adm-password\n",
        Ok(()),
    );
    assert_eq!(init["machine"]["machine_id"], "10022");
    enrol.check(
        &["login", "--user", "adm", "--password-stdin"],
        "adm-password\n",
        Ok(()),
    );
    enrol.check(
        &["operator", "activate", "--user", "op1", "--password-stdin"],
        "op1-password\n",
        Ok(()),
    );
    enrol.check(
        &["login", "--user", "op1", "--password-stdin"],
        "op1-password\n",
        Ok(()),
    );
    std::fs::write(enrol.runtime.path().join("bad.json"), "{}").unwrap();
    let bad = enrol.runtime.path().join("bad.json");
    let other = Enrol::new();
    other.check(
        &[
            "init",
            "--enrolment-file",
            bad.to_str().unwrap(),
            "--supervisor",
            "adm",
            "--password-stdin",
        ],
        "adm-password\n",
        Err("ERROR"),
    );
}

#[test]
fn killing_enrol_at_any_instant_leaves_a_consistent_store() {
    let enrol = Enrol::new();
    enrol.init();
    let login = enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Ok(()),
    );
    let token = login["token"].as_str().unwrap().to_owned();
    for round in 0..24u64 {
        let id = format!("op{round}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_enrol"))
            .args(["operator", "add", "--user", &id, "--name", &id])
            .env("ENROL_HOME", enrol.data_dir())
            .env("XDG_RUNTIME_DIR", enrol.runtime.path())
            .env("ENROL_SESSION", &token)
            .env("ENROL_NEW_PASSWORD", format!("{id}-password"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the whole command (start-up, key derivation, commits, slot write).
        std::thread::sleep(std::time::Duration::from_millis(round * 13 % 300));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let as_sup = [("ENROL_SESSION", token.as_str())];
    let verify = enrol.check_env(&["audit", "verify"], "", &as_sup, Ok(()));
    assert_eq!(verify["ok"], true);
    let list = enrol.check_env(&["operator", "list"], "", &as_sup, Ok(()));
    for entry in list.as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        if id == "sup1" {
            continue;
        }
        // Every operator that reached the database can log in, or gets a slot from a reset
        // when the kill came between the commit and the slot write.
        let password = format!("{id}-password\n");
        let login = enrol.run(&["login", "--user", id, "--password-stdin"], &password, &[]);
        if !login.status.success() {
            enrol.check_env(
                &["operator", "passwd", "--user", id, "--password-stdin"],
                &password,
                &as_sup,
                Ok(()),
            );
            enrol.check(
                &["login", "--user", id, "--password-stdin"],
                &password,
                Ok(()),
            );
        }
    }
    enrol.check(
        &["login", "--user", "sup1", "--password-stdin"],
        "sup1-password\n",
        Ok(()),
    );
}
