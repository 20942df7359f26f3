//! The server's records and every query on them, written once over the [`Sql`] trait so SQLite
//! and PostgreSQL behave the same.

use enrol_schema::packet::SignedManifest;
use enrol_schema::pipeline::Standing;
use enrol_schema::sync::PacketState;

use crate::db::{Backend, Row, Sql, Value};

/// A storage failure (never the client's fault).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] crate::db::DbError),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A machine's standing with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineStatus {
    /// Registered, waiting for an administrator's approval.
    Pending,
    Active,
    Inactive,
}

impl MachineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineStatus::Pending => "PENDING",
            MachineStatus::Active => "ACTIVE",
            MachineStatus::Inactive => "INACTIVE",
        }
    }

    pub fn parse(s: &str) -> Option<MachineStatus> {
        [
            MachineStatus::Pending,
            MachineStatus::Active,
            MachineStatus::Inactive,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Centre {
    pub id: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub id: String,
    pub centre_id: String,
    pub name: String,
    pub public_key_pem: String,
    pub status: MachineStatus,
}

/// A machine's onboarding code, as stored (only its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardingCode {
    pub machine_id: String,
    /// Lowercase hex SHA-256 of the normalised code.
    pub code_sha256: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub failures: i64,
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    pub user_id: String,
    pub name: String,
    pub centre_id: String,
    pub roles: Vec<String>,
    pub password_hash: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationRecord {
    pub seq: i64,
    pub kind: String,
    pub name: String,
    pub version: i64,
    pub content: String,
    pub published_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRecord {
    pub rid: String,
    pub machine_id: String,
    pub signed: SignedManifest,
    pub token_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: String,
    pub rid: String,
    pub length: u64,
    /// The client's raw `Upload-Metadata` header, echoed on HEAD.
    pub metadata: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// The bytes were verified and moved to the blob store.
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRecord {
    pub seq: i64,
    pub rid: String,
    pub packet_id: String,
    pub machine_id: String,
    pub centre_id: String,
    pub sequence: i64,
    pub packet_hash: String,
    pub size: u64,
    pub received_at: String,
    pub state: PacketState,
    pub state_updated_at: String,
}

/// A packet waiting in the outbox, as the pipeline feed lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub feed_seq: i64,
    pub process: String,
    pub packet: PacketRecord,
}

/// All records of one server.
pub struct Store {
    db: Box<dyn Sql>,
}

pub fn packet_state_str(state: PacketState) -> &'static str {
    match state {
        PacketState::Unknown => "UNKNOWN",
        PacketState::UploadPending => "UPLOAD_PENDING",
        PacketState::Received => "RECEIVED",
        PacketState::Accepted => "ACCEPTED",
        PacketState::Processing => "PROCESSING",
        PacketState::Processed => "PROCESSED",
        PacketState::Resend => "RESEND",
        PacketState::Reregister => "REREGISTER",
        PacketState::Rejected => "REJECTED",
    }
}

/// Parses a packet state name as stored and as reported by the pipeline.
pub fn parse_packet_state(s: &str) -> Option<PacketState> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// Appends a packet to the outbox at the next feed position unless it is there already
/// (`$1` rid, `$2` process, `$3` time); does nothing when the packet row is absent.
const ENQUEUE: &str = "INSERT INTO outbox (feed_seq, rid, process, enqueued_at) \
     SELECT n.feed_seq, $1, $2, $3 FROM \
     (SELECT COALESCE(MAX(feed_seq), 0) + 1 AS feed_seq FROM outbox) n \
     WHERE EXISTS (SELECT 1 FROM packets WHERE rid = $1) \
     AND NOT EXISTS (SELECT 1 FROM outbox WHERE rid = $1)";

/// Appends machine `$1`'s current standing (active or not) to its history at time `$2` when it
/// differs from the latest entry.
const RECORD_MACHINE_STANDING: &str = "INSERT INTO status_history (kind, id, active, since) \
     SELECT 'machine', m.id, CASE m.status WHEN 'ACTIVE' THEN 1 ELSE 0 END, $2 FROM machines m \
     WHERE m.id = $1 AND COALESCE((SELECT h.active FROM status_history h WHERE h.kind = 'machine' \
     AND h.id = $1 ORDER BY h.seq DESC LIMIT 1), -1) <> CASE m.status WHEN 'ACTIVE' THEN 1 ELSE 0 END";

/// The same for operator `$1`.
const RECORD_OPERATOR_STANDING: &str = "INSERT INTO status_history (kind, id, active, since) \
     SELECT 'operator', o.user_id, o.active, $2 FROM operators o \
     WHERE o.user_id = $1 AND COALESCE((SELECT h.active FROM status_history h \
     WHERE h.kind = 'operator' AND h.id = $1 ORDER BY h.seq DESC LIMIT 1), -1) <> o.active";

const PACKET_COLUMNS: &str = "seq, rid, packet_id, machine_id, centre_id, sequence, packet_hash, size, received_at, state, state_updated_at";

const PACKET_COLUMNS_OF_P: &str = "p.seq, p.rid, p.packet_id, p.machine_id, p.centre_id, p.sequence, p.packet_hash, p.size, p.received_at, p.state, p.state_updated_at";

fn packet_from(row: &Row) -> StoreResult<PacketRecord> {
    packet_at(row, 0)
}

/// The packet columns starting at column `at`.
fn packet_at(row: &Row, at: usize) -> StoreResult<PacketRecord> {
    Ok(PacketRecord {
        seq: row.int(at)?,
        rid: row.text(at + 1)?,
        packet_id: row.text(at + 2)?,
        machine_id: row.text(at + 3)?,
        centre_id: row.text(at + 4)?,
        sequence: row.int(at + 5)?,
        packet_hash: row.text(at + 6)?,
        size: u64::try_from(row.int(at + 7)?).map_err(|_| corrupt("packet size"))?,
        received_at: row.text(at + 8)?,
        state: parse_packet_state(&row.text(at + 9)?).ok_or_else(|| corrupt("packet state"))?,
        state_updated_at: row.text(at + 10)?,
    })
}

fn outbox_from(row: &Row) -> StoreResult<OutboxEntry> {
    Ok(OutboxEntry {
        feed_seq: row.int(0)?,
        process: row.text(1)?,
        packet: packet_at(row, 2)?,
    })
}

fn machine_from(row: &Row) -> StoreResult<Machine> {
    Ok(Machine {
        id: row.text(0)?,
        centre_id: row.text(1)?,
        name: row.text(2)?,
        public_key_pem: row.text(3)?,
        status: MachineStatus::parse(&row.text(4)?).ok_or_else(|| corrupt("machine status"))?,
    })
}

fn operator_from(row: &Row) -> StoreResult<OperatorRecord> {
    Ok(OperatorRecord {
        user_id: row.text(0)?,
        name: row.text(1)?,
        centre_id: row.text(2)?,
        roles: row
            .text(3)?
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        password_hash: row.text(4)?,
        active: row.int(5)? != 0,
    })
}

fn publication_from(row: &Row) -> StoreResult<PublicationRecord> {
    Ok(PublicationRecord {
        seq: row.int(0)?,
        kind: row.text(1)?,
        name: row.text(2)?,
        version: row.int(3)?,
        content: row.text(4)?,
        published_at: row.text(5)?,
    })
}

fn upload_from(row: &Row) -> StoreResult<UploadRecord> {
    Ok(UploadRecord {
        id: row.text(0)?,
        rid: row.text(1)?,
        length: u64::try_from(row.int(2)?).map_err(|_| corrupt("upload length"))?,
        metadata: row.text(3)?,
        expires_at: row.int(4)?,
        finished: row.int(5)? != 0,
    })
}

fn int(v: u64) -> Value {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

impl Store {
    pub fn new(db: Box<dyn Sql>) -> Store {
        Store { db }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        Ok(self.db.migrate().await?)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        self.db.fetch("SELECT 1", &[]).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.db.close().await;
    }

    async fn one<T>(
        &self,
        sql: &str,
        args: &[Value],
        from: fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.db
            .fetch(sql, args)
            .await?
            .first()
            .map(from)
            .transpose()
    }

    async fn all<T>(
        &self,
        sql: &str,
        args: &[Value],
        from: fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.db.fetch(sql, args).await?.iter().map(from).collect()
    }

    // --- settings

    /// Stores `value` under `name` unless something is there already; returns what is stored.
    pub async fn setting_or_insert(&self, name: &str, value: &str) -> StoreResult<String> {
        self.db
            .execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[name.into(), value.into()],
            )
            .await?;
        self.one(
            "SELECT value FROM settings WHERE name = $1",
            &[name.into()],
            |r| Ok(r.text(0)?),
        )
        .await?
        .ok_or_else(|| corrupt("setting vanished"))
    }

    /// Stores `value` under `name`, replacing what was there.
    pub async fn set_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        self.db
            .execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[name.into(), value.into()],
            )
            .await?;
        Ok(())
    }

    pub async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        self.one(
            "SELECT value FROM settings WHERE name = $1",
            &[name.into()],
            |r| Ok(r.text(0)?),
        )
        .await
    }

    // --- centres

    pub async fn put_centre(&self, centre: &Centre) -> StoreResult<()> {
        self.db
            .execute(
                "INSERT INTO centres (id, name, active) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, active = excluded.active",
                &[
                    (&centre.id).into(),
                    (&centre.name).into(),
                    Value::Int(centre.active.into()),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn centre(&self, id: &str) -> StoreResult<Option<Centre>> {
        self.one(
            "SELECT id, name, active FROM centres WHERE id = $1",
            &[id.into()],
            centre_from,
        )
        .await
    }

    pub async fn centres(&self) -> StoreResult<Vec<Centre>> {
        self.all(
            "SELECT id, name, active FROM centres ORDER BY id",
            &[],
            centre_from,
        )
        .await
    }

    // --- machines

    /// Registers a new machine; false when the id is taken.
    pub async fn insert_machine(&self, machine: &Machine) -> StoreResult<bool> {
        let results = self
            .db
            .transaction(&[
                (
                    "INSERT INTO machines (id, centre_id, name, public_key_pem, status) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
                    vec![
                        (&machine.id).into(),
                        (&machine.centre_id).into(),
                        (&machine.name).into(),
                        (&machine.public_key_pem).into(),
                        machine.status.as_str().into(),
                    ],
                ),
                (
                    RECORD_MACHINE_STANDING,
                    vec![(&machine.id).into(), crate::clock::rfc3339_now().into()],
                ),
            ])
            .await?;
        Ok(!results[0].is_empty())
    }

    /// Changes a machine's status (and its history); false when there is no such machine.
    pub async fn set_machine_status(&self, id: &str, status: MachineStatus) -> StoreResult<bool> {
        let results = self
            .db
            .transaction(&[
                (
                    "UPDATE machines SET status = $2 WHERE id = $1 RETURNING id",
                    vec![id.into(), status.as_str().into()],
                ),
                (
                    RECORD_MACHINE_STANDING,
                    vec![id.into(), crate::clock::rfc3339_now().into()],
                ),
            ])
            .await?;
        Ok(!results[0].is_empty())
    }

    /// When a machine or an operator (`kind`) became active or inactive, oldest first.
    pub async fn standing_history(&self, kind: &str, id: &str) -> StoreResult<Vec<Standing>> {
        self.all(
            "SELECT active, since FROM status_history WHERE kind = $1 AND id = $2 ORDER BY seq",
            &[kind.into(), id.into()],
            |row| {
                Ok(Standing {
                    active: row.int(0)? != 0,
                    since: row.text(1)?,
                })
            },
        )
        .await
    }

    pub async fn machine(&self, id: &str) -> StoreResult<Option<Machine>> {
        self.one(
            "SELECT id, centre_id, name, public_key_pem, status FROM machines WHERE id = $1",
            &[id.into()],
            machine_from,
        )
        .await
    }

    pub async fn machines(&self) -> StoreResult<Vec<Machine>> {
        self.all(
            "SELECT id, centre_id, name, public_key_pem, status FROM machines ORDER BY id",
            &[],
            machine_from,
        )
        .await
    }

    // --- onboarding codes

    /// Sets machine `machine_id`'s onboarding code (its digest), replacing any earlier one with
    /// its failures and use.
    pub async fn put_onboarding_code(
        &self,
        machine_id: &str,
        code_sha256: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        self.db
            .execute(
                "INSERT INTO onboarding_codes (machine_id, code_sha256, expires_at, failures, used_by) \
                 VALUES ($1, $2, $3, 0, NULL) ON CONFLICT (machine_id) DO UPDATE SET \
                 code_sha256 = excluded.code_sha256, expires_at = excluded.expires_at, \
                 failures = 0, used_by = NULL",
                &[machine_id.into(), code_sha256.into(), expires_at.into()],
            )
            .await?;
        Ok(())
    }

    pub async fn onboarding_code(&self, machine_id: &str) -> StoreResult<Option<OnboardingCode>> {
        self.one(
            "SELECT machine_id, code_sha256, expires_at, failures, used_by FROM onboarding_codes \
             WHERE machine_id = $1",
            &[machine_id.into()],
            |row| {
                Ok(OnboardingCode {
                    machine_id: row.text(0)?,
                    code_sha256: row.text(1)?,
                    expires_at: row.int(2)?,
                    failures: row.int(3)?,
                    used: row.opt_text(4)?.is_some(),
                })
            },
        )
        .await
    }

    /// Counts a failed onboarding attempt against machine `machine_id`'s code.
    pub async fn count_onboarding_failure(&self, machine_id: &str) -> StoreResult<()> {
        self.db
            .execute(
                "UPDATE onboarding_codes SET failures = failures + 1 WHERE machine_id = $1",
                &[machine_id.into()],
            )
            .await?;
        Ok(())
    }

    /// Uses machine `machine_id`'s code — when it is still the one with digest `code_sha256`,
    /// unused, unexpired at `now` and under `max_failures` — and in the same transaction binds
    /// `public_key_pem` to the machine and activates it. False when the code could not be used
    /// (another attempt used it first).
    pub async fn complete_onboarding(
        &self,
        machine_id: &str,
        code_sha256: &str,
        now: i64,
        max_failures: i64,
        public_key_pem: &str,
    ) -> StoreResult<bool> {
        let attempt = crate::crypto::random_token();
        let results = self
            .db
            .transaction(&[
                (
                    "UPDATE onboarding_codes SET used_by = $3 WHERE machine_id = $1 \
                     AND code_sha256 = $2 AND used_by IS NULL AND expires_at > $4 \
                     AND failures < $5 RETURNING machine_id",
                    vec![
                        machine_id.into(),
                        code_sha256.into(),
                        attempt.as_str().into(),
                        now.into(),
                        max_failures.into(),
                    ],
                ),
                (
                    "UPDATE machines SET public_key_pem = $2, status = 'ACTIVE' WHERE id = $1 \
                     AND EXISTS (SELECT 1 FROM onboarding_codes c \
                     WHERE c.machine_id = $1 AND c.used_by = $3)",
                    vec![
                        machine_id.into(),
                        public_key_pem.into(),
                        attempt.as_str().into(),
                    ],
                ),
                (
                    RECORD_MACHINE_STANDING,
                    vec![machine_id.into(), crate::clock::rfc3339_now().into()],
                ),
            ])
            .await?;
        Ok(!results[0].is_empty())
    }

    // --- operators

    pub async fn put_operator(&self, op: &OperatorRecord) -> StoreResult<()> {
        self.db
            .transaction(&[
                (
                    "INSERT INTO operators (user_id, name, centre_id, roles, password_hash, active) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
                     name = excluded.name, centre_id = excluded.centre_id, roles = excluded.roles, \
                     password_hash = excluded.password_hash, active = excluded.active",
                    vec![
                        (&op.user_id).into(),
                        (&op.name).into(),
                        (&op.centre_id).into(),
                        op.roles.join(",").into(),
                        (&op.password_hash).into(),
                        Value::Int(op.active.into()),
                    ],
                ),
                (
                    RECORD_OPERATOR_STANDING,
                    vec![(&op.user_id).into(), crate::clock::rfc3339_now().into()],
                ),
            ])
            .await?;
        Ok(())
    }

    pub async fn operator(&self, user_id: &str) -> StoreResult<Option<OperatorRecord>> {
        self.one(
            "SELECT user_id, name, centre_id, roles, password_hash, active FROM operators \
             WHERE user_id = $1",
            &[user_id.into()],
            operator_from,
        )
        .await
    }

    pub async fn operators_of_centre(&self, centre_id: &str) -> StoreResult<Vec<OperatorRecord>> {
        self.all(
            "SELECT user_id, name, centre_id, roles, password_hash, active FROM operators \
             WHERE centre_id = $1 ORDER BY user_id",
            &[centre_id.into()],
            operator_from,
        )
        .await
    }

    // --- publications

    /// Publishes the next version of (kind, name).
    pub async fn publish(
        &self,
        kind: &str,
        name: &str,
        content: &str,
        published_at: &str,
    ) -> StoreResult<PublicationRecord> {
        let rows = self
            .db
            .fetch(
                "INSERT INTO publications (kind, name, version, content, published_at) \
                 SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4 FROM publications \
                 WHERE kind = $1 AND name = $2 RETURNING seq, version",
                &[
                    kind.into(),
                    name.into(),
                    content.into(),
                    published_at.into(),
                ],
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| corrupt("publication not inserted"))?;
        Ok(PublicationRecord {
            seq: row.int(0)?,
            kind: kind.to_owned(),
            name: name.to_owned(),
            version: row.int(1)?,
            content: content.to_owned(),
            published_at: published_at.to_owned(),
        })
    }

    /// Publications after `since`, oldest first, at most `limit`.
    pub async fn publications_since(
        &self,
        since: i64,
        limit: i64,
    ) -> StoreResult<Vec<PublicationRecord>> {
        self.all(
            "SELECT seq, kind, name, version, content, published_at FROM publications \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[since.into(), limit.into()],
            publication_from,
        )
        .await
    }

    /// Version `version` of (kind, name).
    pub async fn publication(
        &self,
        kind: &str,
        name: &str,
        version: i64,
    ) -> StoreResult<Option<PublicationRecord>> {
        self.one(
            "SELECT seq, kind, name, version, content, published_at FROM publications \
             WHERE kind = $1 AND name = $2 AND version = $3",
            &[kind.into(), name.into(), version.into()],
            publication_from,
        )
        .await
    }

    /// Whether anything was ever published.
    pub async fn has_publications(&self) -> StoreResult<bool> {
        Ok(!self
            .db
            .fetch("SELECT seq FROM publications LIMIT 1", &[])
            .await?
            .is_empty())
    }

    /// The latest publication of `kind` (any name).
    pub async fn latest_publication(&self, kind: &str) -> StoreResult<Option<PublicationRecord>> {
        self.one(
            "SELECT seq, kind, name, version, content, published_at FROM publications \
             WHERE kind = $1 ORDER BY seq DESC LIMIT 1",
            &[kind.into()],
            publication_from,
        )
        .await
    }

    // --- nonces

    /// Remembers a request nonce until `expires_at`; false when it was seen before (a replay).
    pub async fn remember_nonce(
        &self,
        machine_id: &str,
        nonce: &str,
        expires_at: i64,
    ) -> StoreResult<bool> {
        let changed = self
            .db
            .execute(
                "INSERT INTO nonces (machine_id, nonce, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[machine_id.into(), nonce.into(), expires_at.into()],
            )
            .await?;
        Ok(changed == 1)
    }

    pub async fn forget_nonces_before(&self, now: i64) -> StoreResult<u64> {
        Ok(self
            .db
            .execute("DELETE FROM nonces WHERE expires_at < $1", &[now.into()])
            .await?)
    }

    // --- manifests

    /// Records (or replaces) the manifest announced for a RID with a fresh upload token digest.
    pub async fn put_manifest(&self, record: &ManifestRecord, now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(&record.signed).map_err(|e| corrupt(&e.to_string()))?;
        self.db
            .execute(
                "INSERT INTO manifests (rid, machine_id, signed_manifest, token_sha256, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rid) DO UPDATE SET \
                 machine_id = excluded.machine_id, signed_manifest = excluded.signed_manifest, \
                 token_sha256 = excluded.token_sha256, created_at = excluded.created_at",
                &[
                    (&record.rid).into(),
                    (&record.machine_id).into(),
                    json.into(),
                    (&record.token_sha256).into(),
                    now.into(),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn manifest(&self, rid: &str) -> StoreResult<Option<ManifestRecord>> {
        self.one(
            "SELECT rid, machine_id, signed_manifest, token_sha256 FROM manifests WHERE rid = $1",
            &[rid.into()],
            |row| {
                Ok(ManifestRecord {
                    rid: row.text(0)?,
                    machine_id: row.text(1)?,
                    signed: serde_json::from_str(&row.text(2)?)
                        .map_err(|e| corrupt(&e.to_string()))?,
                    token_sha256: row.text(3)?,
                })
            },
        )
        .await
    }

    // --- uploads

    pub async fn insert_upload(&self, upload: &UploadRecord) -> StoreResult<()> {
        self.db
            .execute(
                "INSERT INTO uploads (id, rid, length, metadata, expires_at, finished) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    (&upload.id).into(),
                    (&upload.rid).into(),
                    int(upload.length),
                    (&upload.metadata).into(),
                    upload.expires_at.into(),
                    Value::Int(upload.finished.into()),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn upload(&self, id: &str) -> StoreResult<Option<UploadRecord>> {
        self.one(
            "SELECT id, rid, length, metadata, expires_at, finished FROM uploads WHERE id = $1",
            &[id.into()],
            upload_from,
        )
        .await
    }

    pub async fn extend_upload(&self, id: &str, expires_at: i64) -> StoreResult<()> {
        self.db
            .execute(
                "UPDATE uploads SET expires_at = $2 WHERE id = $1",
                &[id.into(), expires_at.into()],
            )
            .await?;
        Ok(())
    }

    /// Marks an upload finished (its bytes are in the blob store) and keeps it until `expires_at`.
    pub async fn finish_upload(&self, id: &str, expires_at: i64) -> StoreResult<()> {
        self.db
            .execute(
                "UPDATE uploads SET finished = 1, expires_at = $2 WHERE id = $1",
                &[id.into(), expires_at.into()],
            )
            .await?;
        Ok(())
    }

    pub async fn delete_upload(&self, id: &str) -> StoreResult<()> {
        self.db
            .execute("DELETE FROM uploads WHERE id = $1", &[id.into()])
            .await?;
        Ok(())
    }

    pub async fn expired_uploads(&self, now: i64) -> StoreResult<Vec<UploadRecord>> {
        self.all(
            "SELECT id, rid, length, metadata, expires_at, finished FROM uploads WHERE expires_at < $1",
            &[now.into()],
            upload_from,
        )
        .await
    }

    // --- packets

    /// Records a received packet and, in the same transaction, its outbox entry for the pipeline
    /// (the next feed position); `None` when its RID or its (machine, sequence) is taken.
    pub async fn insert_packet(&self, p: &PacketRecord, process: &str) -> StoreResult<Option<i64>> {
        let mut statements: Vec<(&str, Vec<Value>)> = Vec::new();
        if self.backend() == Backend::Postgres {
            // Feed positions are handed out one transaction at a time, so in commit order.
            statements.push(("SELECT pg_advisory_xact_lock(7318047)", Vec::new()));
        }
        statements.push((
            "INSERT INTO packets (rid, packet_id, machine_id, centre_id, sequence, packet_hash, \
             size, received_at, state, state_updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING seq",
            vec![
                (&p.rid).into(),
                (&p.packet_id).into(),
                (&p.machine_id).into(),
                (&p.centre_id).into(),
                p.sequence.into(),
                (&p.packet_hash).into(),
                int(p.size),
                (&p.received_at).into(),
                packet_state_str(p.state).into(),
                (&p.state_updated_at).into(),
            ],
        ));
        statements.push((
            ENQUEUE,
            vec![(&p.rid).into(), process.into(), (&p.received_at).into()],
        ));
        let results = self.db.transaction(&statements).await?;
        let inserted = &results[results.len() - 2];
        inserted
            .first()
            .map(|r| r.int(0))
            .transpose()
            .map_err(Into::into)
    }

    pub async fn packet(&self, rid: &str) -> StoreResult<Option<PacketRecord>> {
        let sql = format!("SELECT {PACKET_COLUMNS} FROM packets WHERE rid = $1");
        self.one(&sql, &[rid.into()], packet_from).await
    }

    pub async fn packet_by_sequence(
        &self,
        machine_id: &str,
        sequence: i64,
    ) -> StoreResult<Option<PacketRecord>> {
        let sql =
            format!("SELECT {PACKET_COLUMNS} FROM packets WHERE machine_id = $1 AND sequence = $2");
        self.one(&sql, &[machine_id.into(), sequence.into()], packet_from)
            .await
    }

    /// The packets among `rids` that exist.
    pub async fn packets(&self, rids: &[String]) -> StoreResult<Vec<PacketRecord>> {
        if rids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=rids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {PACKET_COLUMNS} FROM packets WHERE rid IN ({})",
            placeholders.join(", ")
        );
        let args: Vec<Value> = rids.iter().map(Value::from).collect();
        self.all(&sql, &args, packet_from).await
    }

    /// The RIDs among `rids` that have a manifest but no packet yet.
    pub async fn pending_rids(&self, rids: &[String]) -> StoreResult<Vec<(String, String)>> {
        if rids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=rids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT rid, machine_id FROM manifests WHERE rid IN ({})",
            placeholders.join(", ")
        );
        let args: Vec<Value> = rids.iter().map(Value::from).collect();
        self.all(&sql, &args, |r| Ok((r.text(0)?, r.text(1)?)))
            .await
    }

    /// A packet sent again after RESEND: back to RECEIVED and to the end of the feed (and
    /// unpublished), in one transaction.
    pub async fn requeue_packet(&self, rid: &str, at: &str) -> StoreResult<()> {
        let mut statements: Vec<(&str, Vec<Value>)> = Vec::new();
        if self.backend() == Backend::Postgres {
            statements.push(("SELECT pg_advisory_xact_lock(7318047)", Vec::new()));
        }
        statements.push((
            "UPDATE packets SET state = 'RECEIVED', status_comment = '', state_updated_at = $2 \
             WHERE rid = $1 AND state = 'RESEND'",
            vec![rid.into(), at.into()],
        ));
        statements.push((
            "UPDATE outbox SET feed_seq = (SELECT MAX(o.feed_seq) + 1 FROM outbox o), \
             published_at = NULL WHERE rid = $1",
            vec![rid.into()],
        ));
        self.db.transaction(&statements).await?;
        Ok(())
    }

    /// Outbox entries after feed position `after`, in order, at most `limit`.
    pub async fn feed(&self, after: i64, limit: i64) -> StoreResult<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT o.feed_seq, o.process, {} FROM outbox o JOIN packets p ON p.rid = o.rid \
             WHERE o.feed_seq > $1 ORDER BY o.feed_seq LIMIT $2",
            PACKET_COLUMNS_OF_P
        );
        self.all(&sql, &[after.into(), limit.into()], outbox_from)
            .await
    }

    /// Outbox entries not yet published to the message broker, oldest first, at most `limit`.
    pub async fn unpublished(&self, limit: i64) -> StoreResult<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT o.feed_seq, o.process, {} FROM outbox o JOIN packets p ON p.rid = o.rid \
             WHERE o.published_at IS NULL ORDER BY o.feed_seq LIMIT $1",
            PACKET_COLUMNS_OF_P
        );
        self.all(&sql, &[limit.into()], outbox_from).await
    }

    /// Marks an outbox entry published (the broker acknowledged it).
    pub async fn mark_published(&self, feed_seq: i64, at: &str) -> StoreResult<()> {
        self.db
            .execute(
                "UPDATE outbox SET published_at = $2 WHERE feed_seq = $1",
                &[feed_seq.into(), at.into()],
            )
            .await?;
        Ok(())
    }

    /// Moves a packet from state `from` to `to` with the pipeline's comment; false when it was
    /// not in `from` any more (another report came first).
    pub async fn change_packet_state(
        &self,
        rid: &str,
        from: PacketState,
        to: PacketState,
        comment: &str,
        at: &str,
    ) -> StoreResult<bool> {
        let changed = self
            .db
            .execute(
                "UPDATE packets SET state = $3, status_comment = $4, state_updated_at = $5 \
                 WHERE rid = $1 AND state = $2",
                &[
                    rid.into(),
                    packet_state_str(from).into(),
                    packet_state_str(to).into(),
                    comment.into(),
                    at.into(),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Sets a packet's state as reported by the pipeline; false when the RID is unknown.
    pub async fn set_packet_state(
        &self,
        rid: &str,
        state: PacketState,
        at: &str,
    ) -> StoreResult<bool> {
        let changed = self
            .db
            .execute(
                "UPDATE packets SET state = $2, state_updated_at = $3 WHERE rid = $1",
                &[rid.into(), packet_state_str(state).into(), at.into()],
            )
            .await?;
        Ok(changed == 1)
    }
}

fn centre_from(row: &Row) -> StoreResult<Centre> {
    Ok(Centre {
        id: row.text(0)?,
        name: row.text(1)?,
        active: row.int(2)? != 0,
    })
}
