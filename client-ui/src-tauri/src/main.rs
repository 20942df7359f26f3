//! `enrol-desktop`: the operators' desktop app. A Tauri shell whose commands each call one
//! `enrol-client` function; everything the operator sees lives in the web front end.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod memory;
mod state;

use state::AppState;

fn main() {
    memory::tune_allocator();
    memory::tune_web_engine();
    let state = AppState::new(state::data_dir_from_env(), state::SbiSettings::from_env());
    let result = tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::session::data_dir_state,
            commands::session::init_machine,
            commands::session::onboard_machine,
            commands::session::init_from_enrolment,
            commands::session::login,
            commands::session::logout,
            commands::session::home_facts,
            commands::session::freeze_status,
            commands::registration::registration_drafts,
            commands::registration::start_registration,
            commands::registration::resume_registration,
            commands::registration::check_registration,
            commands::registration::enter_demographics,
            commands::registration::attach_document,
            commands::registration::capture_biometrics,
            commands::registration::mark_exception,
            commands::registration::remove_exception,
            commands::registration::preview_registration,
            commands::registration::sign_off,
            commands::registration::discard_registration,
            commands::devices::discover_devices,
            commands::devices::preview_stream,
            commands::approvals::pending_approvals,
            commands::approvals::approval_review,
            commands::approvals::decide,
            commands::sync::sync_overview,
            commands::sync::server_health,
            commands::sync::sync,
            commands::sync::packet_statuses,
            commands::sync::export_bundle,
            commands::sync::import_receipts,
            commands::settings::machine_info,
            commands::settings::set_server_url,
            commands::settings::change_password,
            commands::settings::recent_audit,
            commands::settings::verify_audit,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("enrol-desktop: {error}");
        std::process::exit(1);
    }
}
