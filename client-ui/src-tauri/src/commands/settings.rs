//! The Settings screen's commands: this machine and its server address, the operator's own
//! password, and the audit log (recent entries and a verification of the whole chain).

use enrol_client::audit::{AuditEntry, ChainReport};
use enrol_client::machine::MachineInfo;
use tauri::State;

use super::with_session;
use crate::error::CommandError;
use crate::state::AppState;

/// The machine's ids, centre and server address.
#[tauri::command(async)]
pub fn machine_info(state: State<'_, AppState>) -> Result<MachineInfo, CommandError> {
    with_session(&state, |session| session.machine())
}

/// Sets (or with an empty text removes) the sync server's address.
#[tauri::command(async)]
pub fn set_server_url(
    state: State<'_, AppState>,
    url: String,
) -> Result<MachineInfo, CommandError> {
    with_session(&state, |session| session.set_server_url(&url))
}

/// Changes the operator's own password (the current one must be right).
#[tauri::command(async)]
pub fn change_password(
    state: State<'_, AppState>,
    old_password: String,
    new_password: String,
) -> Result<(), CommandError> {
    with_session(&state, |session| {
        session.change_password(&old_password, &new_password)
    })
}

/// The latest `limit` audit entries, newest first.
#[tauri::command(async)]
pub fn recent_audit(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<AuditEntry>, CommandError> {
    with_session(&state, |session| session.recent_audit_entries(limit))
}

/// Verifies the whole audit chain; a broken chain is an `AUDIT_*` error.
#[tauri::command(async)]
pub fn verify_audit(state: State<'_, AppState>) -> Result<ChainReport, CommandError> {
    with_session(&state, |session| session.verify_audit())?.map_err(CommandError::from)
}
