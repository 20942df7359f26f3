//! Generates the Tauri context and the permissions of the app's own commands, so that the
//! capability file can grant exactly the commands the front end calls. When the front end has
//! not been built (`npm run build` in `client-ui/`), a page saying so is embedded instead, so
//! that `cargo build --workspace` works on a fresh clone.

use std::path::Path;

const COMMANDS: &[&str] = &[
    "data_dir_state",
    "init_machine",
    "onboard_machine",
    "init_from_enrolment",
    "login",
    "logout",
    "home_facts",
    "freeze_status",
    "registration_drafts",
    "start_registration",
    "resume_registration",
    "check_registration",
    "enter_demographics",
    "attach_document",
    "capture_biometrics",
    "mark_exception",
    "remove_exception",
    "preview_registration",
    "sign_off",
    "discard_registration",
    "discover_devices",
    "preview_stream",
    "pending_approvals",
    "approval_review",
    "decide",
    "sync_overview",
    "server_health",
    "sync",
    "packet_statuses",
    "export_bundle",
    "import_receipts",
    "machine_info",
    "set_server_url",
    "change_password",
    "recent_audit",
    "verify_audit",
];

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Enrol</title>\
<p>The front end is not built: run <code>npm install &amp;&amp; npm run build</code> in <code>client-ui/</code>, then rebuild.</p></html>\n";

fn main() {
    let dist = Path::new("../dist");
    println!("cargo:rerun-if-changed=../dist");
    let write_placeholder = || {
        std::fs::create_dir_all(dist)
            .and_then(|()| std::fs::write(dist.join("index.html"), NOT_BUILT))
    };
    if !dist.join("index.html").exists()
        && let Err(error) = write_placeholder()
    {
        panic!(
            "cannot write a placeholder front end in {}: {error}",
            dist.display()
        );
    }
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build script failed: {error:#}");
    }
}
