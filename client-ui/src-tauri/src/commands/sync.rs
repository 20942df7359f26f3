//! The Home dashboard's and the Sync screen's commands: packets by state, the server's health,
//! a whole sync run off the main thread with each packet's progress sent through a channel,
//! every packet's true state, export to a folder and import of receipts.

use std::path::PathBuf;
use std::time::Duration;

use enrol_client::sync::{
    ExportReport, FullSyncReport, PacketSyncStatus, Progress, ReceiptsReport, ServerHealth,
    SyncOptions, SyncOverview,
};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use super::with_session;
use crate::error::CommandError;
use crate::state::AppState;

/// Longest wait for the server's health check: the indicator must stay cheap.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Packets by state, the last sync runs and the last receipt.
#[tauri::command(async)]
pub fn sync_overview(state: State<'_, AppState>) -> Result<SyncOverview, CommandError> {
    with_session(&state, |session| session.sync_overview())
}

/// Whether the enrolled server answers (online / offline indicator).
#[tauri::command(async)]
pub fn server_health(state: State<'_, AppState>) -> Result<ServerHealth, CommandError> {
    with_session(&state, |session| session.server_health(HEALTH_TIMEOUT))
}

/// One packet's progress as the front end receives it.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressView {
    pub rid: String,
    pub phase: &'static str,
    pub offset: u64,
    pub size: u64,
}

impl From<Progress<'_>> for ProgressView {
    fn from(progress: Progress<'_>) -> ProgressView {
        ProgressView {
            rid: progress.rid.to_owned(),
            phase: progress.phase,
            offset: progress.offset,
            size: progress.size,
        }
    }
}

/// A whole sync (publications, operators, packets) on a blocking worker thread; each
/// packet's progress goes through `progress` while it runs.
#[tauri::command]
pub async fn sync(
    app: AppHandle,
    progress: Channel<ProgressView>,
) -> Result<FullSyncReport, CommandError> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        with_session(&state, |session| {
            session.sync(&SyncOptions::default(), &mut |step| {
                // The window may have gone; the sync goes on regardless.
                let _ = progress.send(step.into());
            })
        })
    })
    .await
    .map_err(CommandError::internal)?
}

/// Every packet's true state, newest first.
#[tauri::command(async)]
pub fn packet_statuses(state: State<'_, AppState>) -> Result<Vec<PacketSyncStatus>, CommandError> {
    with_session(&state, |session| session.packet_sync_statuses())
}

/// A folder typed by the operator: absolute, so it never lands beside the app by accident.
fn folder(text: &str) -> Result<PathBuf, CommandError> {
    let path = PathBuf::from(text.trim());
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(CommandError::invalid(
            "folder",
            "give the full path, such as /media/usb/enrol-export",
        ))
    }
}

/// Writes every approved packet without a receipt into a bundle in `folder`.
#[tauri::command(async)]
pub fn export_bundle(
    state: State<'_, AppState>,
    folder: String,
) -> Result<ExportReport, CommandError> {
    let folder = self::folder(&folder)?;
    with_session(&state, |session| session.export_bundle(&folder))
}

/// Reads the receipts the server wrote into a bundle folder and marks those packets received.
#[tauri::command(async)]
pub fn import_receipts(
    state: State<'_, AppState>,
    folder: String,
) -> Result<ReceiptsReport, CommandError> {
    let folder = self::folder(&folder)?;
    with_session(&state, |session| session.import_receipts(&folder))
}
