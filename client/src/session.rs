//! A logged-in operator: the unlocked store plus who is acting. Every core function takes the
//! session and checks the operator's role for its action here, and the idle timeout with it.

use enrol_schema::settings::RegistrationSettings;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::audit::{self, AuditAction, AuditEntry, AuditHead, ChainBreak, ChainReport};
use crate::client::Client;
use crate::error::Error;
use crate::roles::{Action, Role, format_roles, parse_roles, permits};
use crate::store::{DbKey, Store};

/// An operator as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// `active`, `pending` (listed by an enrolment file, not yet activated) or `deactivated`.
    pub status: String,
}

/// An unlocked data directory and the operator using it.
#[derive(Debug)]
pub struct Session {
    client: Client,
    store: Store,
    key: DbKey,
    operator: Operator,
    settings: RegistrationSettings,
    last_activity: i64,
    token_id: Option<String>,
}

impl Session {
    pub(crate) fn start(
        client: Client,
        store: Store,
        key: DbKey,
        operator: Operator,
        now: i64,
    ) -> Result<Session, Error> {
        let settings = load_settings(&store)?;
        let mut session = Session {
            client,
            store,
            key,
            operator,
            settings,
            last_activity: now,
            token_id: None,
        };
        // A crash between a packet's file and its row leaves an orphan file: removed here.
        session.remove_orphan_packets()?;
        Ok(session)
    }

    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    pub fn settings(&self) -> &RegistrationSettings {
        &self.settings
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn key(&self) -> &DbKey {
        &self.key
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn set_token_id(&mut self, id: String) {
        self.token_id = Some(id);
    }

    /// Takes settings received from the server: the session's copy, and the lockout and idle
    /// policy that the slots file keeps for logins (the store already holds them).
    pub(crate) fn adopt_settings(&mut self, settings: RegistrationSettings) -> Result<(), Error> {
        self.client.keyring().update(|keyring| {
            keyring.policy = crate::store::keyring::AccessPolicy {
                max_failures: settings.login_lockout.max_failures,
                lockout_minutes: settings.login_lockout.lockout_minutes,
                idle_timeout_secs: settings.idle.timeout_secs,
            };
            Ok(())
        })?;
        self.settings = settings;
        Ok(())
    }

    /// Checks that the session is still live and that the operator may perform `action`; every
    /// core function calls this first.
    pub fn authorize(&mut self, action: Action) -> Result<(), Error> {
        self.check_live()?;
        if !permits(&self.operator.roles, action) {
            return Err(Error::Forbidden {
                operator: self.operator.id.clone(),
                action,
            });
        }
        self.last_activity = self.client.now();
        Ok(())
    }

    /// Refuses a session idle for longer than the idle timeout.
    fn check_live(&self) -> Result<(), Error> {
        let timeout = self.settings.idle.timeout_secs;
        if self.client.now() - self.last_activity > i64::from(timeout) {
            return Err(Error::SessionExpired(timeout));
        }
        Ok(())
    }

    /// Appends an audit entry (for actions checked elsewhere, e.g. a capture) in its own
    /// transaction and records the new head; refused once the session has expired.
    pub fn audit(&mut self, action: AuditAction, subject: &str) -> Result<AuditHead, Error> {
        self.check_live()?;
        self.append_own(action, subject)
    }

    pub(crate) fn append_own(
        &mut self,
        action: AuditAction,
        subject: &str,
    ) -> Result<AuditHead, Error> {
        let actor = self.operator.id.clone();
        self.write(|tx, at| append_audit(tx, at, &actor, action.code(), subject))
    }

    /// Runs `change` in one immediate transaction and then records the audit head that it
    /// returns in the anchor file.
    pub(crate) fn write<T: HeadOf>(
        &mut self,
        change: impl FnOnce(&Transaction<'_>, i64) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let now = self.client.now();
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let result = change(&tx, now)?;
        tx.commit()?;
        if let Some(head) = result.head() {
            self.record_audit_head(head)?;
        }
        Ok(result)
    }

    /// Records a committed audit head in the anchor file (never moving it backwards).
    pub(crate) fn record_audit_head(&self, head: AuditHead) -> Result<(), Error> {
        self.client.anchor().advance(head)
    }

    pub(crate) fn store_transaction(&mut self) -> Result<Transaction<'_>, Error> {
        Ok(self
            .store
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    /// The current audit head (what the packet builder puts in each packet).
    pub fn audit_head(&self) -> Result<Option<AuditHead>, Error> {
        last_audit_head(self.store.conn())
    }

    /// Verifies the whole audit chain against the head recorded in the anchor file (or, from a
    /// data directory written before the anchor file, in the slots file, whichever is newer).
    pub fn verify_audit(&mut self) -> Result<Result<ChainReport, ChainBreak>, Error> {
        self.authorize(Action::VerifyAudit)?;
        let keyring = self.client.keyring().read()?;
        let recorded = [self.client.anchor().read()?, keyring.audit_head]
            .into_iter()
            .flatten()
            .max_by_key(|head| head.seq);
        let mut stmt = self.store.conn().prepare(
            "SELECT seq, at, actor, action, subject, prev_hash, hash FROM audit_log ORDER BY seq",
        )?;
        let rows = stmt.query_map([], entry_from_row)?;
        let mut failure = None;
        let entries = rows.map_while(|row| row.map_err(|error| failure = Some(error)).ok());
        let outcome = audit::verify(entries, keyring.audit_base.as_ref(), recorded.as_ref());
        match failure {
            Some(error) => Err(error.into()),
            None => Ok(outcome),
        }
    }

    /// Retention: removes the audit entries older than the retention period that were also
    /// made before the last successful sync (their registrations' entries travelled in the
    /// packets), never the newest. The new base goes to the slots file before anything is
    /// removed, and the removal is itself audited. Returns how many entries were removed.
    pub fn prune_audit(&mut self) -> Result<u64, Error> {
        self.authorize(Action::Sync)?;
        let now = self.client.now();
        let days = i64::from(self.settings().retention.audit_days);
        let last_sync: Option<i64> = self.store.conn().query_row(
            "SELECT max(last_success_at) FROM sync_state WHERE job = 'packets'",
            [],
            |row| row.get(0),
        )?;
        let Some(last_sync) = last_sync else {
            return Ok(0);
        };
        let cutoff = last_sync.min(now - days * 86_400);
        let last_removed: Option<(u64, Vec<u8>)> = self
            .store
            .conn()
            .query_row(
                "SELECT seq, hash FROM audit_log
                 WHERE at < ?1 AND seq < (SELECT max(seq) FROM audit_log)
                 ORDER BY seq DESC LIMIT 1",
                [cutoff],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((seq, hash)) = last_removed else {
            return Ok(0);
        };
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| Error::invalid("audit log", format!("entry {seq} has a bad hash")))?;
        let base = AuditHead { seq, hash };
        self.client.keyring().update(|keyring| {
            if keyring.audit_base.is_none_or(|old| old.seq < seq) {
                keyring.audit_base = Some(base);
            }
            Ok(())
        })?;
        let actor = self.operator.id.clone();
        self.write(|tx, at| {
            tx.execute(
                "INSERT INTO audit_retention (id, base_seq) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET base_seq = excluded.base_seq",
                [seq],
            )?;
            let removed = tx.execute("DELETE FROM audit_log WHERE seq <= ?1", [seq])?;
            let head = append_audit(
                tx,
                at,
                &actor,
                AuditAction::AuditPruned.code(),
                &format!("through:{seq}"),
            )?;
            Ok((removed as u64, head))
        })
        .map(|(removed, _)| removed)
    }

    /// Up to `limit` audit entries after sequence number `after`, oldest first: what the packet
    /// builder copies into a packet's `audit.json` (operators registering, or auditors).
    pub fn audit_entries_after(
        &mut self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, Error> {
        self.authorize_any(&[Action::Register, Action::VerifyAudit])?;
        let mut stmt = self.store.conn().prepare_cached(
            "SELECT seq, at, actor, action, subject, prev_hash, hash FROM audit_log
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit.min(10_000)], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest `limit` audit entries, newest first: the audit view of supervisors and
    /// administrators.
    pub fn recent_audit_entries(&mut self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        self.authorize(Action::VerifyAudit)?;
        let mut stmt = self.store.conn().prepare_cached(
            "SELECT seq, at, actor, action, subject, prev_hash, hash FROM audit_log
             ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.min(10_000)], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a login: the failed-login events kept in the slots file while the database was
    /// locked, then the login itself, in one transaction; then the slots file drops the events
    /// moved into the chain and the anchor file records the new head.
    pub(crate) fn record_login(&mut self) -> Result<(), Error> {
        let pending = self.client.keyring().read()?.pending_events;
        let id = self.operator.id.clone();
        let now = self.client.now();
        let tx = self.store_transaction()?;
        for event in &pending {
            append_audit(&tx, event.at, &event.actor, &event.action, "")?;
        }
        let head = append_audit(&tx, now, &id, AuditAction::Login.code(), "")?;
        tx.execute(
            "UPDATE operators SET last_login_at = ?1 WHERE id = ?2",
            params![now, id],
        )?;
        tx.commit()?;
        if !pending.is_empty() {
            self.client.keyring().update(|keyring| {
                if keyring.pending_events.starts_with(&pending) {
                    keyring.pending_events.drain(..pending.len());
                }
                Ok(())
            })?;
        }
        self.record_audit_head(head)
    }

    /// Ends the session, also an expired one: audited, and a session token (if any) is
    /// destroyed.
    pub fn logout(mut self) -> Result<(), Error> {
        let action = match self.check_live() {
            Ok(()) => AuditAction::Logout,
            Err(_) => AuditAction::SessionExpired,
        };
        self.append_own(action, "")?;
        if let Some(id) = self.token_id.take() {
            crate::token::remove(&self.client, &id);
        }
        Ok(())
    }
}

/// What a write returns so that the audit head it produced can be recorded.
pub(crate) trait HeadOf {
    fn head(&self) -> Option<AuditHead>;
}

impl HeadOf for AuditHead {
    fn head(&self) -> Option<AuditHead> {
        Some(*self)
    }
}

impl HeadOf for Option<AuditHead> {
    fn head(&self) -> Option<AuditHead> {
        *self
    }
}

impl<T> HeadOf for (T, AuditHead) {
    fn head(&self) -> Option<AuditHead> {
        Some(self.1)
    }
}

impl<T> HeadOf for (T, Option<AuditHead>) {
    fn head(&self) -> Option<AuditHead> {
        self.1
    }
}

/// Appends one entry after the current last one, inside `tx`.
pub(crate) fn append_audit(
    tx: &Transaction<'_>,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
) -> Result<AuditHead, Error> {
    let head = last_audit_head(tx)?;
    let entry = AuditEntry::next(head.as_ref(), at, actor, action, subject);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.subject,
            &entry.prev_hash[..],
            &entry.hash[..]
        ],
    )?;
    Ok(entry.head())
}

pub(crate) fn last_audit_head(conn: &rusqlite::Connection) -> Result<Option<AuditHead>, Error> {
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |row| {
                Ok(AuditHead {
                    seq: row.get(0)?,
                    hash: hash_column(row, 1)?,
                })
            },
        )
        .optional()?)
}

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        action: row.get(3)?,
        subject: row.get(4)?,
        prev_hash: hash_column(row, 5)?,
        hash: hash_column(row, 6)?,
    })
}

fn hash_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = row.get(index)?;
    bytes.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Blob,
            "a hash must be 32 bytes".into(),
        )
    })
}

/// Reads one operator.
pub(crate) fn load_operator(store: &Store, id: &str) -> Result<Operator, Error> {
    store
        .conn()
        .query_row(
            "SELECT id, name, roles, status FROM operators WHERE id = ?1",
            [id],
            operator_from_row,
        )
        .optional()?
        .ok_or_else(|| Error::UnknownOperator(id.to_owned()))
}

pub(crate) fn operator_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Operator> {
    let roles: String = row.get(2)?;
    Ok(Operator {
        id: row.get(0)?,
        name: row.get(1)?,
        roles: parse_roles(&roles).map_err(|reason| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, reason.into())
        })?,
        status: row.get(3)?,
    })
}

pub(crate) fn store_operator(
    tx: &Transaction<'_>,
    operator: &Operator,
    verifier: Option<&str>,
    now: i64,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO operators (id, name, roles, status, password_verifier, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            operator.id,
            operator.name,
            format_roles(&operator.roles),
            operator.status,
            verifier,
            now
        ],
    )?;
    Ok(())
}

const SETTINGS_KEY: &str = "registration";

fn load_settings(store: &Store) -> Result<RegistrationSettings, Error> {
    let json: Option<String> = store
        .conn()
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [SETTINGS_KEY],
            |row| row.get(0),
        )
        .optional()?;
    match json {
        None => Ok(RegistrationSettings::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|error| Error::invalid("stored settings", error.to_string())),
    }
}

pub(crate) fn store_settings(
    tx: &Transaction<'_>,
    settings: &RegistrationSettings,
) -> Result<(), Error> {
    let json = serde_json::to_string(settings)
        .map_err(|error| Error::invalid("settings", error.to_string()))?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![SETTINGS_KEY, json],
    )?;
    Ok(())
}

/// Operator ids are short codes: letters, digits, `.`, `_`, `-`; at most 64 characters.
pub fn check_operator_id(id: &str) -> Result<(), Error> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(
            "operator id",
            "use 1 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

/// Passwords: 8 to 1024 characters.
pub fn check_password(password: &str) -> Result<(), Error> {
    let length = password.chars().count();
    if (8..=1024).contains(&length) {
        Ok(())
    } else {
        Err(Error::invalid("password", "use 8 to 1024 characters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use crate::machine::{InitRequest, init};
    use crate::seal::KdfParams;

    /// Tampers with the real audit table the way someone holding the key would (dropping the
    /// append-only triggers first) and checks what `verify_audit` reports.
    #[track_caller]
    fn check(tamper_sql: &str, expected: Result<(), &str>) {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            kdf: KdfParams::FLOOR,
            ..Options::default()
        };
        let request = InitRequest {
            machine_id: "10011".into(),
            centre_id: "10001".into(),
            centre_name: "Centre".into(),
            server_url: None,
            supervisor_id: "sup1".into(),
            supervisor_name: "Supervisor".into(),
            password: "sup1-password".into(),
            settings: RegistrationSettings::default(),
            enrolment: None,
        };
        let mut session = init(dir.path(), &request, options).unwrap();
        for _ in 0..5 {
            session
                .audit(AuditAction::Capture, "10001100110000120261128120000")
                .unwrap();
        }
        let conn = session.store.conn();
        let refused = conn.execute("DELETE FROM audit_log WHERE seq = 1", []);
        assert!(refused.is_err(), "the triggers refuse deletions");
        conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
        conn.execute_batch(tamper_sql).unwrap();
        let outcome = session
            .verify_audit()
            .unwrap()
            .map(drop)
            .map_err(|b| b.code());
        assert_eq!(outcome, expected, "{tamper_sql}");
    }

    #[test]
    fn tampering_with_the_stored_audit_log_is_detected() {
        check("", Ok(()));
        check(
            "UPDATE audit_log SET actor = 'op2' WHERE seq = 3",
            Err("AUDIT_ALTERED"),
        );
        check("DELETE FROM audit_log WHERE seq = 4", Err("AUDIT_GAP"));
        check(
            "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
            Err("AUDIT_TRUNCATED"),
        );
        check(
            "UPDATE audit_log SET seq = -seq WHERE seq IN (3, 4);
             UPDATE audit_log SET seq = 4 WHERE seq = -3;
             UPDATE audit_log SET seq = 3 WHERE seq = -4;",
            Err("AUDIT_UNLINKED"),
        );
        check(
            "UPDATE audit_log SET seq = seq + 10 WHERE seq > 5",
            Err("AUDIT_GAP"),
        );
    }
}
