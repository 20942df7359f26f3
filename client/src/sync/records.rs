//! Sync state in the store (`packet_sync`): each packet's phase survives restarts, receipts are
//! kept once verified, server statuses are recorded, and delivered packets' files are removed
//! under the retention rule.

use std::collections::BTreeMap;
use std::fs;

use enrol_schema::packet::SignedManifest;
use enrol_schema::sync::{PacketStatus, Receipt};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::SyncError;
use super::engine::SyncReport;
use super::plan::Phase;
use crate::audit::AuditAction;
use crate::error::Error;
use crate::freeze::packet_is_deletable;
use crate::machine::RECEIPT_SIGNING_KEY;
use crate::roles::Action;
use crate::session::{Session, append_audit};

/// A packet's true state for `enrol status`: approval, sync phase, server status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketSyncStatus {
    pub rid: String,
    pub approval: String,
    /// `PENDING_APPROVAL`, `REJECTED`, `APPROVED`, `META_SENT`, `UPLOADING`, `RECEIVED`.
    pub phase: String,
    pub uploaded_bytes: u64,
    pub size: u64,
    /// What the server last reported (RECEIVED, PROCESSED, …).
    pub server_status: Option<String>,
    pub receipt_sequence: Option<u64>,
    pub last_error: Option<String>,
    /// The local file was removed under the retention rule (its receipt remains).
    pub deleted: bool,
}

/// Packets counted by their true state, and the last runs and receipt: what Home shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncOverview {
    /// [`PacketSyncStatus::phase`] → how many packets are in it (absent: none).
    pub by_phase: BTreeMap<String, u64>,
    /// Last packet sync in which every packet tried was delivered.
    pub last_success_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    /// The stable code of the last run's first failure, when it failed.
    pub last_error: Option<String>,
    /// When the last verified receipt was recorded (by a sync or an import of receipts).
    pub last_receipt_at: Option<i64>,
}

fn json_error(error: serde_json::Error) -> Error {
    Error::invalid("sync record", error.to_string())
}

impl Session {
    /// Trusts the server's receipt-signing key (Ed25519 PEM), as an enrolment file would.
    pub fn trust_server_key(&mut self, pem: &str) -> Result<(), SyncError> {
        self.authorize(Action::ManageOperators)?;
        super::plan::ed25519_key_from_pem(pem)?;
        self.store().conn().execute(
            "INSERT INTO trusted_keys (purpose, pem, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (purpose) DO UPDATE SET pem = excluded.pem, updated_at = excluded.updated_at",
            params![RECEIPT_SIGNING_KEY, pem, self.client().now()],
        ).map_err(Error::from)?;
        Ok(())
    }

    /// The raw server key receipts are checked against.
    pub(crate) fn server_key(&self) -> Result<Vec<u8>, SyncError> {
        let pem = self
            .trusted_key(RECEIPT_SIGNING_KEY)?
            .ok_or(SyncError::NoServerKey)?;
        super::plan::ed25519_key_from_pem(&pem)
    }

    /// Approved packets not received yet, oldest first, with their manifests and phases.
    pub(crate) fn packets_to_send(&self) -> Result<Vec<(SignedManifest, Phase)>, Error> {
        let mut stmt = self.store().conn().prepare(
            "SELECT m.manifest, s.phase, s.upload_token, s.upload_url, s.upload_offset
             FROM packets p JOIN packet_manifests m ON m.rid = p.rid
             LEFT JOIN packet_sync s ON s.rid = p.rid
             WHERE p.approval = 'approved' AND (s.phase IS NULL OR s.phase <> 'received')
             ORDER BY p.created_at, p.rid",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, i64>(4).unwrap_or(0),
            ))
        })?;
        let mut packets = Vec::new();
        for row in rows {
            let (manifest, phase, token, url, offset) = row?;
            let manifest: SignedManifest = serde_json::from_str(&manifest).map_err(json_error)?;
            let phase = match (phase.as_deref(), token, url) {
                (Some("uploading"), _, Some(url)) => Phase::Uploading {
                    url,
                    offset: u64::try_from(offset).unwrap_or(0),
                },
                (Some("meta_sent"), Some(token), _) => Phase::MetaSent { token },
                _ => Phase::Approved,
            };
            packets.push((manifest, phase));
        }
        Ok(packets)
    }

    /// Persists a phase before `Received` (after every step, so a restart resumes there).
    pub(crate) fn save_phase(
        &self,
        rid: &str,
        phase: &Phase,
        last_error: Option<&str>,
    ) -> Result<(), Error> {
        let (name, token, url, offset) = match phase {
            Phase::Approved => ("approved", None, None, 0),
            Phase::MetaSent { token } => ("meta_sent", Some(token.as_str()), None, 0),
            Phase::Uploading { url, offset } => ("uploading", None, Some(url.as_str()), *offset),
            Phase::Received { .. } => return Ok(()),
        };
        self.store().conn().execute(
            "INSERT INTO packet_sync (rid, phase, upload_token, upload_url, upload_offset, last_error, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (rid) DO UPDATE SET phase = excluded.phase,
                upload_token = excluded.upload_token, upload_url = excluded.upload_url,
                upload_offset = excluded.upload_offset, last_error = excluded.last_error,
                updated_at = excluded.updated_at
             WHERE packet_sync.phase <> 'received'",
            params![rid, name, token, url, offset, last_error, self.client().now()],
        )?;
        Ok(())
    }

    /// Records a verified receipt: the packet is uploaded, the server status is RECEIVED, and the
    /// audit log says so, in one transaction.
    pub(crate) fn record_receipt(&mut self, receipt: &Receipt) -> Result<(), Error> {
        let json = serde_json::to_string(receipt).map_err(json_error)?;
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "INSERT INTO packet_sync (rid, phase, receipt, status_at, updated_at)
                 VALUES (?1, 'received', ?2, ?3, ?3)
                 ON CONFLICT (rid) DO UPDATE SET phase = 'received', receipt = excluded.receipt,
                    upload_token = NULL, upload_url = NULL, upload_offset = ?4,
                    last_error = NULL, status_at = excluded.status_at, updated_at = excluded.updated_at",
                params![receipt.rid, json, now, receipt.size],
            )?;
            tx.execute(
                "UPDATE packets SET uploaded_at = ?2, server_status = 'RECEIVED' WHERE rid = ?1",
                params![receipt.rid, now],
            )?;
            append_audit(tx, now, &actor, AuditAction::Synced.code(), &receipt.rid)
        })?;
        Ok(())
    }

    /// Received packets whose pipeline status may still change.
    pub(crate) fn packets_to_poll(&self) -> Result<Vec<String>, Error> {
        let mut stmt = self.store().conn().prepare(
            "SELECT p.rid FROM packets p JOIN packet_sync s ON s.rid = p.rid
             WHERE s.phase = 'received'
               AND coalesce(p.server_status, '') NOT IN ('PROCESSED', 'REJECTED', 'REREGISTER')
             ORDER BY p.rid",
        )?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores the statuses the server reported; returns how many changed.
    pub(crate) fn record_statuses(&self, statuses: &[PacketStatus]) -> Result<usize, Error> {
        let now = self.client().now();
        let mut changed = 0;
        for status in statuses {
            let name = serde_json::to_value(status.state)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default();
            // UNKNOWN or UPLOAD_PENDING after a verified receipt says nothing new.
            if matches!(name.as_str(), "UNKNOWN" | "UPLOAD_PENDING" | "") {
                continue;
            }
            let updated = self.store().conn().execute(
                "UPDATE packets SET server_status = ?2
                 WHERE rid = ?1 AND coalesce(server_status, '') <> ?2",
                params![status.rid, name],
            )?;
            if updated > 0 {
                self.store().conn().execute(
                    "UPDATE packet_sync SET status_at = ?2 WHERE rid = ?1",
                    params![status.rid, now],
                )?;
                if name == "RESEND" {
                    // The pipeline wants the bytes again: the next sync uploads the packet anew.
                    self.store().conn().execute(
                        "UPDATE packet_sync SET phase = 'approved', upload_token = NULL,
                            upload_url = NULL, upload_offset = 0 WHERE rid = ?1",
                        params![status.rid],
                    )?;
                }
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Removes the files of packets that have a verified receipt and whose final server status
    /// is older than the retention period; the rows, manifests and receipts stay. Returns the
    /// RIDs removed. Local only: `sync_packets` runs it after polling, and it may run offline.
    pub fn prune_delivered(&mut self) -> Result<Vec<String>, Error> {
        self.authorize(Action::Sync)?;
        let retention = self.settings().retention.clone();
        let now = self.client().now();
        let candidates: Vec<(String, String, Option<String>, Option<i64>)> = {
            let mut stmt = self.store().conn().prepare(
                "SELECT p.rid, p.file_name, p.server_status, s.status_at
                 FROM packets p JOIN packet_sync s ON s.rid = p.rid
                 WHERE s.phase = 'received' AND s.receipt IS NOT NULL AND s.deleted_at IS NULL",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let folder = self.client().packets_dir();
        let mut removed = Vec::new();
        for (rid, file_name, status, status_at) in candidates {
            if !packet_is_deletable(&retention, status.as_deref(), status_at, now) {
                continue;
            }
            let path = folder.join(&file_name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(Error::io(&path, error)),
            }
            self.store().conn().execute(
                "UPDATE packet_sync SET deleted_at = ?2 WHERE rid = ?1",
                params![rid, now],
            )?;
            removed.push(rid);
        }
        Ok(removed)
    }

    /// Records a run in `sync_state`: a success when every packet it tried was delivered and the
    /// statuses were read, which is what the days-since-last-sync freeze rule and audit
    /// retention count from.
    pub(crate) fn record_sync_run(&mut self, report: &SyncReport) -> Result<(), Error> {
        let now = self.client().now();
        let failure = report
            .packets
            .iter()
            .find_map(|p| p.error.as_ref())
            .map(|(code, _)| code.clone());
        self.store().conn().execute(
            "INSERT INTO sync_state (job, last_success_at, last_attempt_at, last_error)
             VALUES ('packets', CASE WHEN ?2 IS NULL THEN ?1 END, ?1, ?2)
             ON CONFLICT (job) DO UPDATE SET last_attempt_at = ?1, last_error = ?2,
                 last_success_at = CASE WHEN ?2 IS NULL THEN ?1 ELSE last_success_at END",
            params![now, failure],
        )?;
        Ok(())
    }

    /// Every packet's true state, newest first.
    pub fn packet_sync_statuses(&mut self) -> Result<Vec<PacketSyncStatus>, Error> {
        self.authorize(Action::ViewPackets)?;
        let mut stmt = self.store().conn().prepare(
            "SELECT p.rid, p.approval, s.phase, coalesce(s.upload_offset, 0), p.size,
                    p.server_status, s.receipt, s.last_error, s.deleted_at IS NOT NULL
             FROM packets p LEFT JOIN packet_sync s ON s.rid = p.rid
             ORDER BY p.created_at DESC, p.rid DESC",
        )?;
        let rows = stmt.query_map([], |row| {
            let approval: String = row.get(1)?;
            let phase: Option<String> = row.get(2)?;
            let receipt: Option<String> = row.get(6)?;
            let phase = match (approval.as_str(), phase.as_deref()) {
                ("pending", _) => "PENDING_APPROVAL",
                ("rejected", _) => "REJECTED",
                (_, Some("received")) => "RECEIVED",
                (_, Some("uploading")) => "UPLOADING",
                (_, Some("meta_sent")) => "META_SENT",
                _ => "APPROVED",
            };
            Ok(PacketSyncStatus {
                rid: row.get(0)?,
                approval,
                phase: phase.to_owned(),
                uploaded_bytes: row.get::<_, i64>(3)?.try_into().unwrap_or(0),
                size: row.get::<_, i64>(4)?.try_into().unwrap_or(0),
                server_status: row.get(5)?,
                receipt_sequence: receipt
                    .and_then(|json| serde_json::from_str::<Receipt>(&json).ok())
                    .map(|receipt| receipt.sequence),
                last_error: row.get(7)?,
                deleted: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Packets by state (as [`Session::packet_sync_statuses`] names them, counted in the store)
    /// with the last sync runs and the last receipt.
    pub fn sync_overview(&mut self) -> Result<SyncOverview, Error> {
        self.authorize(Action::ViewPackets)?;
        let conn = self.store().conn();
        let mut stmt = conn.prepare(
            "SELECT CASE WHEN p.approval = 'pending' THEN 'PENDING_APPROVAL'
                         WHEN p.approval = 'rejected' THEN 'REJECTED'
                         WHEN s.phase = 'received' THEN 'RECEIVED'
                         WHEN s.phase = 'uploading' THEN 'UPLOADING'
                         WHEN s.phase = 'meta_sent' THEN 'META_SENT'
                         ELSE 'APPROVED' END,
                    count(*)
             FROM packets p LEFT JOIN packet_sync s ON s.rid = p.rid GROUP BY 1",
        )?;
        let by_phase = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let (last_success_at, last_attempt_at, last_error) = conn
            .query_row(
                "SELECT last_success_at, last_attempt_at, last_error FROM sync_state
                 WHERE job = 'packets'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .unwrap_or((None, None, None));
        let last_receipt_at =
            conn.query_row("SELECT max(uploaded_at) FROM packets", [], |row| row.get(0))?;
        Ok(SyncOverview {
            by_phase,
            last_success_at,
            last_attempt_at,
            last_error,
            last_receipt_at,
        })
    }

    /// The stored receipt of a packet, if it has one.
    pub fn packet_receipt(&mut self, rid: &str) -> Result<Option<Receipt>, Error> {
        self.authorize(Action::ViewPackets)?;
        let json: Option<Option<String>> = self
            .store()
            .conn()
            .query_row(
                "SELECT receipt FROM packet_sync WHERE rid = ?1",
                [rid],
                |row| row.get(0),
            )
            .optional()?;
        json.flatten()
            .map(|json| serde_json::from_str(&json).map_err(json_error))
            .transpose()
    }
}
