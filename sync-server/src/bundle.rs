//! Sneakernet import (`enrol-sync import DIR`): a machine's bundle (`enrol_schema::bundle`) goes
//! through the checks and the intake of an online upload — the registered, active machine's
//! signature over the listing, each manifest's rules and signature, the bytes against the
//! manifest, durable storage, a signed receipt (`packets::accept_manifest` and `finish_upload`,
//! as for `POST /v1/packets` and tus) — and the receipts are written back into the
//! folder for `enrol import-receipts`. Importing the same bundle again stores nothing new and
//! writes the same receipts.

use std::path::Path;

use enrol_schema::bundle::{
    BUNDLE_FILE, BUNDLE_FORMAT, Bundle, BundleReceipts, MAX_LISTING_BYTES, RECEIPTS_FILE,
    SignedBundle,
};
use enrol_schema::packet::SignedManifest;
use enrol_schema::sync::Receipt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::crypto::{MachineKey, hex, random_token};
use crate::error::AppError;
use crate::intake::check_bytes;
use crate::packets::{Announced, accept_manifest, finish_upload};
use crate::store::{Machine, MachineStatus, UploadRecord};
use crate::{AppState, clock};

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub machine_id: String,
    /// Packets stored by this import.
    pub received: Vec<String>,
    /// Packets the server already held (an earlier import or an online upload).
    pub already: Vec<String>,
    /// Packets refused: RID, stable code, reason.
    pub refused: Vec<(String, &'static str, String)>,
}

fn refuse(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::unprocessable(code, message)
}

/// Imports the bundle in `folder` and writes `receipts.json` beside it.
pub async fn import(state: &AppState, folder: &Path) -> Result<ImportReport, AppError> {
    let listing = read_bounded(&folder.join(BUNDLE_FILE)).await?;
    let signed: SignedBundle = serde_json::from_slice(&listing)
        .map_err(|e| refuse("BUNDLE_INVALID", format!("{BUNDLE_FILE}: {e}")))?;
    let bundle = &signed.bundle;
    if bundle.format != BUNDLE_FORMAT {
        return Err(refuse(
            "BUNDLE_INVALID",
            format!(
                "bundle format {} (this server reads {BUNDLE_FORMAT})",
                bundle.format
            ),
        ));
    }
    let (machine, key) = active_machine(state, &bundle.machine_id).await?;
    if !key.verifies(&bundle.signing_bytes(), &signed.signature) {
        state
            .metrics
            .verification_failure("BUNDLE_SIGNATURE_INVALID");
        return Err(refuse(
            "BUNDLE_SIGNATURE_INVALID",
            "the bundle's signature does not verify with the machine's key",
        ));
    }
    let mut report = ImportReport {
        machine_id: machine.id.clone(),
        ..ImportReport::default()
    };
    let mut receipts = Vec::new();
    for packet in &bundle.packets {
        let rid = packet.manifest.rid.clone();
        match import_packet(state, folder, packet, &machine, &key).await {
            Ok((receipt, fresh)) => {
                if fresh {
                    report.received.push(rid);
                } else {
                    report.already.push(rid);
                }
                receipts.push(receipt);
            }
            Err(error) => report.refused.push((rid, error.code, error.message)),
        }
    }
    let json = serde_json::to_vec_pretty(&BundleReceipts {
        format: BUNDLE_FORMAT,
        machine_id: machine.id.clone(),
        receipts,
    })
    .map_err(|e| AppError::from(std::io::Error::other(e)))?;
    // Replaced whole: a crash leaves the old receipts or the new ones, and importing again
    // writes them anew.
    let receipts_path = folder.join(RECEIPTS_FILE);
    let temp = folder.join(format!(".{RECEIPTS_FILE}.tmp"));
    write_durably(&temp, &json).await?;
    tokio::fs::rename(&temp, &receipts_path).await?;
    crate::blobs::sync_dir(folder).await?;
    Ok(report)
}

async fn active_machine(state: &AppState, id: &str) -> Result<(Machine, MachineKey), AppError> {
    let machine = state
        .store
        .machine(id)
        .await?
        .ok_or_else(|| refuse("MACHINE_UNKNOWN", format!("machine {id} is not registered")))?;
    if machine.status != MachineStatus::Active {
        return Err(refuse(
            "MACHINE_INACTIVE",
            format!("machine {id} is not active"),
        ));
    }
    let key = MachineKey::from_pem(&machine.public_key_pem).map_err(|_| {
        refuse(
            "MACHINE_KEY_INVALID",
            "the machine's registered key is unusable",
        )
    })?;
    Ok((machine, key))
}

/// One packet through the online intake; returns its receipt and whether it is new.
async fn import_packet(
    state: &AppState,
    folder: &Path,
    signed: &SignedManifest,
    machine: &Machine,
    key: &MachineKey,
) -> Result<(Receipt, bool), AppError> {
    let m = &signed.manifest;
    if let Announced::Held(receipt) = accept_manifest(state, signed, machine, key).await? {
        return Ok((receipt, false));
    }
    let path = folder.join(Bundle::packet_file(&m.packet_id));
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| refuse("BUNDLE_PACKET_MISSING", format!("{}: {e}", path.display())))?;
    let hash = hex(&Sha256::digest(&bytes), true);
    check_bytes(signed, bytes.len() as u64, &hash)
        .map_err(|err| refuse(err.code(), err.to_string()))?;
    // The bytes become an upload of the online intake, which stores them and signs the receipt.
    let upload = UploadRecord {
        id: random_token(),
        rid: m.rid.clone(),
        length: m.size,
        metadata: String::new(),
        expires_at: clock::unix_now()
            + i64::try_from(state.config.upload_expiry_secs).unwrap_or(i64::MAX / 4),
        finished: false,
    };
    state.blobs.create_upload(&upload.id).await?;
    write_durably(&state.blobs.upload_path(&upload.id), &bytes).await?;
    state.store.insert_upload(&upload).await?;
    let _lock = state.upload_locks.lock(&upload.id).await;
    let receipt = finish_upload(state, &upload, Some(hash)).await?;
    Ok((receipt, true))
}

async fn read_bounded(path: &Path) -> Result<Vec<u8>, AppError> {
    let length = tokio::fs::metadata(path)
        .await
        .map_err(|e| refuse("BUNDLE_INVALID", format!("{}: {e}", path.display())))?
        .len();
    if length > MAX_LISTING_BYTES {
        return Err(refuse(
            "BUNDLE_INVALID",
            format!(
                "{} is larger than {MAX_LISTING_BYTES} bytes",
                path.display()
            ),
        ));
    }
    Ok(tokio::fs::read(path).await?)
}

/// Writes `bytes` to `path` (replacing it) and fsyncs it.
async fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let mut file = tokio::fs::File::create(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    Ok(())
}
