//! A schema-driven API fuzzer the project did not write (Schemathesis, installed by
//! scripts/setup into $ENROL_PYENV) runs every operation of `/openapi.json` against the server
//! with the admin token: no 5xx, no response that contradicts the document (status, content
//! type, headers, body schema), schema-violating input rejected. Its `positive_data_acceptance`
//! check is left out: schema-valid input may still break a documented business rule (a PEM that
//! is no key, an operator without a password) and get the documented 4xx.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn schemathesis() -> PathBuf {
    let venv = std::env::var_os("ENROL_PYENV").unwrap_or_else(|| "/var/tmp/enrol-pyenv".into());
    let binary = PathBuf::from(venv).join("bin/schemathesis");
    assert!(
        binary.exists(),
        "{} is needed for this test: run scripts/setup (it creates the venv at $ENROL_PYENV from \
         tests/interop/requirements.txt)",
        binary.display()
    );
    binary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_contradiction_of_the_document() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let interop = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");
    let url = format!("http://{}/openapi.json", server.addr);
    // Schemathesis keeps a cache in its working folder: the server's temp folder, not the crate.
    let workdir = server.dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis())
            .current_dir(workdir)
            .args(["--config-file", &format!("{interop}/schemathesis.toml")])
            .args(["run", &url, "--checks", "all"])
            .args(["--exclude-checks", "positive_data_acceptance"])
            .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
            .args(["--max-examples", "30", "--seed", "7", "--workers", "2"])
            .env("PYTHONPATH", interop)
            .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" passed"), "{report}");
    server.stop().await;
}
