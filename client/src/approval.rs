//! Supervisor approval (MOSIP's end-of-day approval): the pending list, approve or reject with a
//! reason (one decision for a batch, or one per registration), one password re-check per
//! batch, status history, and the packet manifest signed again with the decision. Rejected
//! packets keep their file; the review summary (`review`) goes with the decision.

use enrol_schema::packet::{SignedManifest, SupervisorStatus};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::audit::{AuditAction, AuditHead};
use crate::error::Error;
use crate::packet::MachineKey;
use crate::packet::crypto::{base64_url, sign};
use crate::registration::RegistrationError;
use crate::review::remove_review;
use crate::roles::Action;
use crate::session::{Session, append_audit};

/// A registration awaiting a supervisor's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingApproval {
    pub rid: String,
    pub registration_id: String,
    pub process: String,
    pub operator_id: String,
    /// The supervisor who authorised biometric exceptions at sign-off, if there were any.
    pub exceptions_authorised_by: Option<String>,
    pub created_at: i64,
}

/// One entry of a registration's status history (REGISTERED, APPROVED, REJECTED, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub status: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: i64,
}

/// What a supervisor decides for a batch of registrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

/// Longest rejection reason.
const MAX_REASON_CHARS: usize = 200;

impl Session {
    /// Registrations awaiting approval, oldest first.
    pub fn pending_approvals(&mut self) -> Result<Vec<PendingApproval>, Error> {
        self.authorize(Action::Approve)?;
        let mut stmt = self.store().conn().prepare(
            "SELECT p.rid, p.registration_id, r.process, r.operator_id, r.supervisor_id,
                    p.created_at
             FROM packets p JOIN registrations r ON r.id = p.registration_id
             WHERE p.approval = 'pending'
             ORDER BY p.created_at, p.rid",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(PendingApproval {
                rid: row.get(0)?,
                registration_id: row.get(1)?,
                process: row.get(2)?,
                operator_id: row.get(3)?,
                exceptions_authorised_by: row.get(4)?,
                created_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Decides `rids` (all pending ones when `None`) after one password re-check of the acting
    /// supervisor; all or none are recorded. Returns the decided RIDs.
    pub fn decide(
        &mut self,
        rids: Option<&[String]>,
        decision: &Decision,
        password: &str,
    ) -> Result<Vec<String>, Error> {
        self.authorize(Action::Approve)?;
        let rids: Vec<String> = match rids {
            Some(rids) => rids.to_vec(),
            None => self
                .pending_approvals()?
                .into_iter()
                .map(|pending| pending.rid)
                .collect(),
        };
        let decisions: Vec<(String, Decision)> = rids
            .into_iter()
            .map(|rid| (rid, decision.clone()))
            .collect();
        self.decide_each(&decisions, password)
    }

    /// Records a decision for each RID (MOSIP's end-of-day approval: some approved, some
    /// rejected with their reasons) after one password re-check of the acting supervisor; all
    /// or none are recorded. Returns the decided RIDs.
    pub fn decide_each(
        &mut self,
        decisions: &[(String, Decision)],
        password: &str,
    ) -> Result<Vec<String>, Error> {
        self.authorize(Action::Approve)?;
        for (_, decision) in decisions {
            if let Decision::Reject { reason } = decision {
                let length = reason.trim().chars().count();
                if length == 0 || length > MAX_REASON_CHARS {
                    return Err(RegistrationError::ReasonRequired.into());
                }
            }
        }
        let supervisor = self.operator().id.clone();
        self.check_password_again(&supervisor, password)?;
        let machine_key = MachineKey::new(&self.machine_signing_key()?)?;
        self.write(|tx, now| {
            let mut head: Option<AuditHead> = None;
            for (rid, decision) in decisions {
                let (status, approval, action, reason, manifest_status) = match decision {
                    Decision::Approve => (
                        "APPROVED",
                        "approved",
                        AuditAction::Approved,
                        None,
                        SupervisorStatus::Approved,
                    ),
                    Decision::Reject { reason } => (
                        "REJECTED",
                        "rejected",
                        AuditAction::Rejected,
                        Some(reason.trim().to_owned()),
                        SupervisorStatus::Rejected,
                    ),
                };
                let registration_id = take_pending(tx, rid)?;
                tx.execute(
                    "UPDATE packets SET approval = ?1, approved_at = ?2 WHERE rid = ?3",
                    params![approval, now, rid],
                )?;
                tx.execute(
                    "UPDATE registrations SET status = ?1, updated_at = ?2 WHERE id = ?3",
                    params![status, now, registration_id],
                )?;
                tx.execute(
                    "INSERT INTO registration_status_history (registration_id, status, actor,
                                                              reason, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![registration_id, status, supervisor, reason, now],
                )?;
                remove_review(tx, &registration_id)?;
                resign_manifest(tx, rid, manifest_status, &machine_key)?;
                head = Some(append_audit(tx, now, &supervisor, action.code(), rid)?);
            }
            Ok(head)
        })?;
        Ok(decisions.iter().map(|(rid, _)| rid.clone()).collect())
    }

    /// The packet's signed manifest, once a supervisor has decided (it carries the decision).
    pub fn packet_manifest(&mut self, rid: &str) -> Result<SignedManifest, Error> {
        self.authorize(Action::ViewPackets)?;
        let row: Option<(String, String)> = self
            .store()
            .conn()
            .query_row(
                "SELECT p.approval, m.manifest FROM packets p
                 JOIN packet_manifests m ON m.rid = p.rid WHERE p.rid = ?1",
                [rid],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (approval, manifest) =
            row.ok_or_else(|| RegistrationError::UnknownPacket(rid.chars().take(40).collect()))?;
        if approval == "pending" {
            return Err(RegistrationError::ManifestPending(rid.to_owned()).into());
        }
        serde_json::from_str(&manifest).map_err(|_| Error::Corrupt(self.client().db_path()))
    }

    /// The status history of a packet's registration, oldest first.
    pub fn status_history(&mut self, rid: &str) -> Result<Vec<StatusChange>, Error> {
        self.authorize(Action::ViewPackets)?;
        let mut stmt = self.store().conn().prepare(
            "SELECT h.status, h.actor, h.reason, h.at FROM registration_status_history h
             JOIN packets p ON p.registration_id = h.registration_id
             WHERE p.rid = ?1 ORDER BY h.id",
        )?;
        let rows = stmt.query_map([rid], |row| {
            Ok(StatusChange {
                status: row.get(0)?,
                actor: row.get(1)?,
                reason: row.get(2)?,
                at: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The registration id of a pending packet, or why it cannot be decided.
fn take_pending(tx: &Transaction<'_>, rid: &str) -> Result<String, Error> {
    let row: Option<(String, String)> = tx
        .query_row(
            "SELECT registration_id, approval FROM packets WHERE rid = ?1",
            [rid],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    match row {
        None => Err(RegistrationError::UnknownPacket(rid.chars().take(40).collect()).into()),
        Some((id, approval)) if approval == "pending" => Ok(id),
        Some((_, approval)) => Err(RegistrationError::NotPending {
            rid: rid.to_owned(),
            approval,
        }
        .into()),
    }
}

/// Sets the manifest's supervisor status and signs it again with the machine key.
fn resign_manifest(
    tx: &Transaction<'_>,
    rid: &str,
    status: SupervisorStatus,
    machine_key: &MachineKey,
) -> Result<(), Error> {
    let json: String = tx.query_row(
        "SELECT manifest FROM packet_manifests WHERE rid = ?1",
        [rid],
        |row| row.get(0),
    )?;
    let mut signed: SignedManifest = serde_json::from_str(&json)
        .map_err(|error| Error::invalid("manifest", error.to_string()))?;
    signed.manifest.supervisor_status = status;
    signed.signature = base64_url(&sign(machine_key, &signed.manifest.signing_bytes())?);
    let json = serde_json::to_string(&signed)
        .map_err(|error| Error::invalid("manifest", error.to_string()))?;
    tx.execute(
        "UPDATE packet_manifests SET manifest = ?1 WHERE rid = ?2",
        params![json, rid],
    )?;
    Ok(())
}
