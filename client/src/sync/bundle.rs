//! Sneakernet: `export` writes every approved packet without a receipt into a bundle folder
//! (packet files byte for byte, then the machine-signed listing, last, so a bundle with a listing
//! is complete), and `import_receipts` reads the receipts the server wrote back, verifies each
//! against the server key and the packet's manifest exactly as an online sync does, and marks
//! those packets received.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use enrol_schema::bundle::{
    BUNDLE_FILE, BUNDLE_FORMAT, Bundle, BundleReceipts, MAX_LISTING_BYTES, RECEIPTS_FILE,
    SignedBundle,
};
use enrol_schema::packet::SignedManifest;
use rusqlite::params;
use serde::Serialize;

use super::SyncError;
use super::plan::verify_receipt;
use crate::audit::AuditAction;
use crate::clock::rfc3339;
use crate::error::Error;
use crate::fsio::create_private_dir;
use crate::packet::MachineKey;
use crate::packet::crypto::{base64_url, sign};
use crate::packet_store::packet_file_name;
use crate::roles::Action;
use crate::session::{Session, append_audit};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    pub folder: PathBuf,
    pub rids: Vec<String>,
    pub bytes: u64,
}

/// What an import of receipts did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReceiptsReport {
    /// Packets newly marked received.
    pub received: Vec<String>,
    /// Receipts for packets already marked received.
    pub already: usize,
    /// Receipts refused (RID and reason); nothing is marked for them.
    pub refused: Vec<(String, String)>,
}

impl Session {
    /// Writes every approved packet that has no receipt yet into `folder` (created if needed;
    /// an earlier bundle there is replaced) and marks them exported.
    pub fn export_bundle(&mut self, folder: &Path) -> Result<ExportReport, Error> {
        self.authorize(Action::ExportPackets)?;
        let machine = self.machine()?;
        let key = MachineKey::new(&self.machine_signing_key()?)?;
        let manifests: Vec<SignedManifest> = {
            let mut stmt = self.store().conn().prepare(
                "SELECT m.manifest FROM packets p JOIN packet_manifests m ON m.rid = p.rid
                 LEFT JOIN packet_sync s ON s.rid = p.rid
                 WHERE p.approval = 'approved' AND s.receipt IS NULL
                 ORDER BY p.created_at, p.rid",
            )?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            let mut manifests = Vec::new();
            for row in rows {
                manifests.push(
                    serde_json::from_str(&row?)
                        .map_err(|e| Error::invalid("manifest", e.to_string()))?,
                );
            }
            manifests
        };
        let packets_dir = folder.join(enrol_schema::bundle::PACKETS_DIR);
        create_private_dir(&packets_dir)?;
        // The listing goes last: without it the folder is not a bundle.
        let listing = folder.join(BUNDLE_FILE);
        match fs::remove_file(&listing) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(Error::io(&listing, error)),
        }
        let disk = self.client().options().disk.clone();
        let mut bytes = 0;
        for signed in &manifests {
            let m = &signed.manifest;
            let source = self
                .client()
                .packets_dir()
                .join(packet_file_name(&m.packet_id));
            let data = fs::read(&source).map_err(|error| Error::io(&source, error))?;
            if data.len() as u64 != m.size {
                return Err(Error::invalid(
                    "packet",
                    format!("the file of {} does not match its manifest", m.rid),
                ));
            }
            bytes += m.size;
            disk.write_atomic(&folder.join(Bundle::packet_file(&m.packet_id)), &data)?;
        }
        let bundle = Bundle {
            format: BUNDLE_FORMAT,
            machine_id: machine.machine_id.clone(),
            created_at: rfc3339(self.client().now()),
            packets: manifests,
        };
        let signature = base64_url(&sign(&key, &bundle.signing_bytes())?);
        let rids: Vec<String> = bundle
            .packets
            .iter()
            .map(|p| p.manifest.rid.clone())
            .collect();
        let json = serde_json::to_vec_pretty(&SignedBundle { bundle, signature })
            .map_err(|e| Error::invalid("bundle", e.to_string()))?;
        disk.write_atomic(&listing, &json)?;
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            let mut head = None;
            for rid in &rids {
                tx.execute(
                    "UPDATE packets SET exported_at = ?2 WHERE rid = ?1",
                    params![rid, now],
                )?;
                head = Some(append_audit(
                    tx,
                    now,
                    &actor,
                    AuditAction::Exported.code(),
                    rid,
                )?);
            }
            Ok(head)
        })?;
        Ok(ExportReport {
            folder: folder.to_owned(),
            rids,
            bytes,
        })
    }

    /// Reads `receipts.json` from a bundle folder the server imported and marks each packet
    /// whose receipt verifies as received.
    pub fn import_receipts(&mut self, folder: &Path) -> Result<ReceiptsReport, SyncError> {
        self.authorize(Action::Sync)?;
        let path = folder.join(RECEIPTS_FILE);
        let mut text = Vec::new();
        fs::File::open(&path)
            .and_then(|file| file.take(MAX_LISTING_BYTES).read_to_end(&mut text))
            .map_err(|error| Error::io(&path, error))?;
        let receipts: BundleReceipts = serde_json::from_slice(&text)
            .map_err(|e| Error::invalid("receipts file", format!("{}: {e}", path.display())))?;
        let machine = self.machine()?;
        if receipts.machine_id != machine.machine_id {
            return Err(Error::invalid(
                "receipts file",
                format!("it is for machine {}", receipts.machine_id),
            )
            .into());
        }
        let server_key = self.server_key()?;
        let mut report = ReceiptsReport::default();
        for receipt in &receipts.receipts {
            let row: Option<(String, Option<String>)> = {
                use rusqlite::OptionalExtension;
                self.store()
                    .conn()
                    .query_row(
                        "SELECT m.manifest, s.receipt FROM packet_manifests m
                         LEFT JOIN packet_sync s ON s.rid = m.rid WHERE m.rid = ?1",
                        [&receipt.rid],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(Error::from)?
            };
            let Some((manifest, held)) = row else {
                report
                    .refused
                    .push((receipt.rid.clone(), "no such packet here".into()));
                continue;
            };
            if held.is_some() {
                report.already += 1;
                continue;
            }
            let signed: SignedManifest = serde_json::from_str(&manifest)
                .map_err(|e| Error::invalid("manifest", e.to_string()))?;
            match verify_receipt(receipt, &server_key, &signed.manifest) {
                Ok(()) => {
                    self.record_receipt(receipt)?;
                    report.received.push(receipt.rid.clone());
                }
                Err(error) => report
                    .refused
                    .push((receipt.rid.clone(), error.to_string())),
            }
        }
        Ok(report)
    }
}
