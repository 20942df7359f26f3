//! Where sealed packets are kept: the bytes (already encrypted to the pipeline by the packet
//! builder) in `packets/<rid>.pkt`, written atomically and referenced from the `packets` table by
//! SHA-256 and size; the metadata rows are what the packet list pages through. Also the freeze
//! check that guards the start of a registration, and the crash-safe RID sequence.

use std::fs;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::audit::AuditAction;
use crate::error::Error;
use crate::freeze::{self, FreezeFacts};
use crate::fsio::create_private_dir;
use crate::roles::Action;
use crate::session::{Session, append_audit};

/// A packet's metadata as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketSummary {
    pub rid: String,
    pub registration_id: String,
    pub size: u64,
    pub created_at: i64,
    pub approval: String,
    pub exported_at: Option<i64>,
    pub uploaded_at: Option<i64>,
    pub server_status: Option<String>,
}

/// Where a page of the packet list starts: after this (created_at, rid), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageCursor {
    pub created_at: i64,
    pub rid: String,
}

/// RIDs are digits only; this keeps them safe as file names.
fn check_rid(rid: &str) -> Result<(), Error> {
    if rid.len() == 29 && rid.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid("rid", "a RID is 29 digits"))
    }
}

impl Session {
    /// Stores a sealed packet: the file first (atomic), then its row and audit entry in one
    /// transaction; if the row cannot be written the file is removed again.
    pub fn store_packet(
        &mut self,
        rid: &str,
        registration_id: &str,
        sealed: &[u8],
    ) -> Result<PacketSummary, Error> {
        self.authorize(Action::Register)?;
        check_rid(rid)?;
        let folder = self.client().packets_dir();
        create_private_dir(&folder)?;
        let file_name = format!("{rid}.pkt");
        let path = folder.join(&file_name);
        if path.exists() {
            return Err(Error::invalid(
                "rid",
                format!("packet {rid} already exists"),
            ));
        }
        self.client().options().disk.write_atomic(&path, sealed)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, sealed);
        let actor = self.operator().id.clone();
        let size = sealed.len() as u64;
        let written = self.write(|tx, now| {
            tx.execute(
                "INSERT INTO packets (rid, registration_id, file_name, sha256, size, created_at, approval)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
                params![rid, registration_id, file_name, digest.as_ref(), size, now],
            )?;
            let head = append_audit(tx, now, &actor, AuditAction::PacketCreated.code(), rid)?;
            Ok((now, head))
        });
        match written {
            Ok((created_at, _)) => Ok(PacketSummary {
                rid: rid.to_owned(),
                registration_id: registration_id.to_owned(),
                size,
                created_at,
                approval: "pending".into(),
                exported_at: None,
                uploaded_at: None,
                server_status: None,
            }),
            Err(error) => {
                let _ = fs::remove_file(&path);
                Err(error)
            }
        }
    }

    /// One page of the packet list, newest first, after `cursor` (keyset pagination on an index,
    /// so the cost does not grow with the number of packets).
    pub fn packet_page(
        &mut self,
        cursor: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<PacketSummary>, Error> {
        self.authorize(Action::ViewPackets)?;
        query_page(self.store().conn(), cursor, limit)
    }

    /// Reads a stored packet back and checks it against its recorded hash.
    pub fn packet_bytes(&mut self, rid: &str) -> Result<Vec<u8>, Error> {
        self.authorize(Action::ViewPackets)?;
        check_rid(rid)?;
        let (file_name, recorded): (String, Vec<u8>) = self
            .store()
            .conn()
            .query_row(
                "SELECT file_name, sha256 FROM packets WHERE rid = ?1",
                [rid],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| Error::invalid("rid", format!("no packet {rid}")))?;
        let path = self.client().packets_dir().join(file_name);
        let bytes = fs::read(&path).map_err(|error| Error::io(&path, error))?;
        if ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref() != recorded.as_slice() {
            return Err(Error::Corrupt(path));
        }
        Ok(bytes)
    }

    /// The next value of a per-machine sequence (e.g. the RID sequence). Committed before it is
    /// returned, so a value is never handed out twice, even across crashes.
    pub fn next_sequence(&mut self, name: &str) -> Result<u64, Error> {
        self.authorize(Action::Register)?;
        let tx = self.store_transaction()?;
        let value: u64 = tx.query_row(
            "INSERT INTO sequences (name, next_value) VALUES (?1, 2)
             ON CONFLICT (name) DO UPDATE SET next_value = next_value + 1
             RETURNING next_value - 1",
            [name],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(value)
    }

    /// The facts the freeze rules need, read in one go.
    pub fn freeze_facts(&self) -> Result<FreezeFacts, Error> {
        let conn = self.store().conn();
        let machine_created: i64 =
            conn.query_row("SELECT created_at FROM machine", [], |row| row.get(0))?;
        let last_sync: Option<i64> =
            conn.query_row("SELECT max(last_success_at) FROM sync_state", [], |row| {
                row.get(0)
            })?;
        let (pending, oldest_pending): (u32, Option<i64>) = conn.query_row(
            "SELECT count(*), min(created_at) FROM packets WHERE approval = 'pending'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let (unexported, oldest_unexported): (u32, Option<i64>) = conn.query_row(
            "SELECT count(*), min(approved_at) FROM packets
             WHERE approval = 'approved' AND exported_at IS NULL AND uploaded_at IS NULL",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let last_export: Option<i64> = conn.query_row(
            "SELECT max(max(coalesce(exported_at, 0), coalesce(uploaded_at, 0))) FROM packets",
            [],
            |row| row.get(0),
        )?;
        Ok(FreezeFacts {
            last_sync_at: last_sync.unwrap_or(machine_created),
            pending_approval: pending,
            oldest_pending_at: oldest_pending,
            unexported_approved: unexported,
            last_export_at: last_export.filter(|at| *at > 0).or(oldest_unexported),
        })
    }

    /// Refuses a new registration when a freeze rule is broken, with the reason.
    pub fn check_not_frozen(&mut self) -> Result<(), Error> {
        self.authorize(Action::Register)?;
        let facts = self.freeze_facts()?;
        freeze::check(&self.settings().freeze, &facts, self.client().now()).map_err(Error::Frozen)
    }
}

/// The packet list query on any connection holding the store's schema (benchmarks compare it on
/// encrypted and plain databases).
pub fn query_page(
    conn: &rusqlite::Connection,
    cursor: Option<&PageCursor>,
    limit: u32,
) -> Result<Vec<PacketSummary>, Error> {
    let (after_time, after_rid) = match cursor {
        Some(cursor) => (cursor.created_at, cursor.rid.as_str()),
        None => (i64::MAX, ""),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT rid, registration_id, size, created_at, approval, exported_at, uploaded_at,
                server_status
         FROM packets
         WHERE created_at < ?1 OR (created_at = ?1 AND rid < ?2)
         ORDER BY created_at DESC, rid DESC
         LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![after_time, after_rid, limit.min(1000)], |row| {
        Ok(PacketSummary {
            rid: row.get(0)?,
            registration_id: row.get(1)?,
            size: row.get(2)?,
            created_at: row.get(3)?,
            approval: row.get(4)?,
            exported_at: row.get(5)?,
            uploaded_at: row.get(6)?,
            server_status: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
