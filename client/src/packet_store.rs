//! Where sealed packets are kept: the bytes (already encrypted to the pipeline by the packet
//! builder) in `packets/<packetId>.zip` (MOSIP's name, as uploaded and exported), written inside
//! the transaction that records them and referenced from the `packets` table by SHA-256 and size; the metadata rows are what the packet list pages through. Also the freeze
//! check that guards the start of a registration, and the crash-safe RID sequence.

use std::fs;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::audit::AuditAction;
use crate::error::Error;
use crate::freeze::{self, FreezeFacts};
use crate::fsio::create_private_dir;
use crate::packet::crypto::sha256;
use crate::packet::fork::joined;
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

/// A sealed packet about to be committed. `describe` gives the SHA-256 of the bytes and whatever
/// else its maker derives from them (the signed manifest); it runs while the file is written.
pub(crate) struct NewPacket<D> {
    pub rid: String,
    pub packet_id: String,
    pub bytes: Vec<u8>,
    pub describe: D,
}

/// A committed packet: its summary, its id and what `describe` derived.
#[derive(Debug)]
pub(crate) struct StoredPacket<S> {
    pub summary: PacketSummary,
    pub packet_id: String,
    pub described: S,
}

/// Where a page of the packet list starts: after this (created_at, rid), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageCursor {
    pub created_at: i64,
    pub rid: String,
}

/// The one name of a packet file: `<packetId>.zip`, as [`crate::packet::write_packet_file`]
/// writes it and as MOSIP uploads and exports it.
pub fn packet_file_name(packet_id: &str) -> String {
    format!("{packet_id}.zip")
}

/// Takes the next value of a per-machine sequence inside `tx`: it is used for good only if `tx`
/// commits, and never handed out again once it has.
pub(crate) fn take_sequence(tx: &Transaction<'_>, name: &str) -> Result<u64, Error> {
    Ok(tx.query_row(
        "INSERT INTO sequences (name, next_value) VALUES (?1, 2)
         ON CONFLICT (name) DO UPDATE SET next_value = next_value + 1
         RETURNING next_value - 1",
        [name],
        |row| row.get(0),
    )?)
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
    /// Stores a sealed packet as `packets/<packet_id>.zip` with its row and audit entry; see
    /// [`Session::commit_packet`].
    pub fn store_packet(
        &mut self,
        rid: &str,
        registration_id: &str,
        packet_id: &str,
        sealed: &[u8],
    ) -> Result<PacketSummary, Error> {
        let packet = NewPacket {
            rid: rid.to_owned(),
            packet_id: packet_id.to_owned(),
            bytes: sealed.to_vec(),
            describe: |bytes: &[u8]| Ok((sha256(bytes), ())),
        };
        self.commit_packet(registration_id, |_| Ok(packet), |_, _, _, ()| Ok(()))
            .map(|stored| stored.summary)
    }

    /// Creates and commits a packet atomically. Inside one immediate transaction (which holds
    /// the store's write lock, so [`Session::remove_orphan_packets`] cannot run meanwhile)
    /// `make` seals the packet (reading what it needs, e.g. the RID sequence, in the same
    /// transaction), the file is created durably under its final name (fsync of the file and
    /// the folder; no rename, since only the row makes it exist) while the packet's `describe`
    /// hashes it and its row, whatever `also` writes and the audit entry are inserted; the
    /// commit, once the file is durable, makes it exist. A failure before the commit removes the file; a crash leaves at most an orphan
    /// file, possibly partial, which the next session removes, and every number `make` took
    /// from a sequence rolls back with the packet that used it.
    pub(crate) fn commit_packet<S, D>(
        &mut self,
        registration_id: &str,
        make: impl FnOnce(&Transaction<'_>) -> Result<NewPacket<D>, Error>,
        also: impl FnOnce(&Transaction<'_>, i64, &str, &S) -> Result<(), Error>,
    ) -> Result<StoredPacket<S>, Error>
    where
        D: FnOnce(&[u8]) -> Result<([u8; 32], S), Error> + Send,
        S: Send,
    {
        self.authorize(Action::Register)?;
        let folder = self.client().packets_dir();
        create_private_dir(&folder)?;
        let disk = self.client().options().disk.clone();
        let actor = self.operator().id.clone();
        let now = self.client().now();
        let tx = self.store_transaction()?;
        let NewPacket {
            rid,
            packet_id,
            bytes,
            describe,
        } = make(&tx)?;
        check_rid(&rid)?;
        if packet_id.len() > 64
            || !packet_id.starts_with(&rid)
            || !packet_id
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(Error::invalid(
                "packet id",
                "a packet id is the RID followed by '-', '_' and digits",
            ));
        }
        let file_name = packet_file_name(&packet_id);
        let path = folder.join(&file_name);
        let size = bytes.len() as u64;
        let exists: bool = tx.query_row(
            "SELECT count(*) > 0 FROM packets WHERE rid = ?1",
            [&rid],
            |row| row.get(0),
        )?;
        if exists || path.exists() {
            return Err(Error::invalid(
                "rid",
                format!("packet {rid} already exists"),
            ));
        }
        // The file is made durable on another thread while this one hashes the packet and
        // writes the rows; the commit waits for the file.
        let written = std::thread::scope(|scope| -> Result<_, Error> {
            let file = scope.spawn(|| disk.create_durable(&path, &bytes));
            let rows = (|| -> Result<_, Error> {
                let (sha256, described) = describe(&bytes)?;
                tx.execute(
                    "INSERT INTO packets (rid, registration_id, file_name, sha256, size, created_at, approval)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
                    params![rid, registration_id, file_name, &sha256[..], size, now],
                )?;
                also(&tx, now, &rid, &described)?;
                let head = append_audit(&tx, now, &actor, AuditAction::PacketCreated.code(), &rid)?;
                Ok((described, head))
            })();
            joined(file)?;
            let rows = rows?;
            tx.commit()?;
            Ok(rows)
        });
        let (described, head) = match written {
            Ok(done) => done,
            Err(error) => {
                let _ = fs::remove_file(&path);
                return Err(error);
            }
        };
        self.record_audit_head(head)?;
        let summary = PacketSummary {
            rid,
            registration_id: registration_id.to_owned(),
            size,
            created_at: now,
            approval: "pending".into(),
            exported_at: None,
            uploaded_at: None,
            server_status: None,
        };
        Ok(StoredPacket {
            summary,
            packet_id,
            described,
        })
    }

    /// Removes packet files that have no row (left by a crash between the file write and the
    /// commit) and stray temporary files. Runs under the store's write lock, so a packet being
    /// committed by another process is never mistaken for an orphan.
    pub(crate) fn remove_orphan_packets(&mut self) -> Result<(), Error> {
        let folder = self.client().packets_dir();
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(Error::io(&folder, error)),
        };
        let names: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let actor = self.operator().id.clone();
        let now = self.client().now();
        let tx = self.store_transaction()?;
        let mut head = None;
        for name in names {
            let temporary = name.starts_with('.') && name.ends_with(".tmp");
            let orphan = !temporary
                && !tx.query_row(
                    "SELECT count(*) > 0 FROM packets WHERE file_name = ?1 AND rid = ?2",
                    params![name, name.get(..29).unwrap_or_default()],
                    |row| row.get::<_, bool>(0),
                )?;
            if temporary || orphan {
                let path = folder.join(&name);
                fs::remove_file(&path).map_err(|error| Error::io(&path, error))?;
            }
            if orphan {
                let subject: String = name.chars().take(29).collect();
                head = Some(append_audit(
                    &tx,
                    now,
                    &actor,
                    AuditAction::OrphanRemoved.code(),
                    &subject,
                )?);
            }
        }
        tx.commit()?;
        if let Some(head) = head {
            self.record_audit_head(head)?;
        }
        Ok(())
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

    /// One packet's metadata.
    pub fn packet_summary(&mut self, rid: &str) -> Result<Option<PacketSummary>, Error> {
        self.authorize(Action::ViewPackets)?;
        Ok(self
            .store()
            .conn()
            .query_row(
                "SELECT rid, registration_id, size, created_at, approval, exported_at,
                        uploaded_at, server_status
                 FROM packets WHERE rid = ?1",
                [rid],
                |row| {
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
                },
            )
            .optional()?)
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

    /// The next value of a per-machine sequence, committed before it is returned, so a value is
    /// never handed out twice, even across crashes.
    pub fn next_sequence(&mut self, name: &str) -> Result<u64, Error> {
        self.authorize(Action::Register)?;
        let tx = self.store_transaction()?;
        let value = take_sequence(&tx, name)?;
        tx.commit()?;
        Ok(value)
    }

    /// The facts the freeze rules need, read in one go.
    pub fn freeze_facts(&self) -> Result<FreezeFacts, Error> {
        let conn = self.store().conn();
        let machine_created: i64 =
            conn.query_row("SELECT created_at FROM machine", [], |row| row.get(0))?;
        let last_sync: Option<i64> = conn.query_row(
            "SELECT max(last_success_at) FROM sync_state WHERE job = 'packets'",
            [],
            |row| row.get(0),
        )?;
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

impl Session {
    /// Opens a stored packet with the pipeline's private key and verifies it against the
    /// machine's public key (the reader's checks: hashes, signatures, layout).
    pub fn open_packet(
        &mut self,
        rid: &str,
        pipeline: &crate::packet::PipelineKey,
    ) -> Result<crate::packet::OpenedPacket, Error> {
        use rsa::pkcs8::DecodePublicKey;
        let bytes = self.packet_bytes(rid)?;
        let machine = self.machine()?;
        let public_key = rsa::RsaPublicKey::from_public_key_der(&machine.public_key_spki)
            .map_err(|_| Error::Crypto("the stored machine public key is unreadable"))?;
        Ok(crate::packet::open(
            &bytes,
            pipeline,
            &public_key,
            &crate::packet::Limits::default(),
        )?)
    }
}
