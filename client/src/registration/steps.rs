//! The workflow's imperative shell: each step checks the operator's role, applies the pure step
//! of [`Registration`], saves the draft in the encrypted store (so it survives a restart) and
//! audits the step by draft id and step name only.

use std::collections::{BTreeMap, BTreeSet};

use enrol_schema::packet::Process;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use super::draft::{Preview, Registration};
use super::error::RegistrationError;
use super::form::Form;
use crate::audit::AuditAction;
use crate::drafts::MAX_DRAFT_BYTES;
use crate::error::Error;
use crate::roles::Action;
use crate::seal::{hex, random_bytes};
use crate::session::{Session, append_audit};

impl Session {
    /// Today's date (UTC) from the injectable clock, for age and date checks.
    pub fn today(&self) -> Date {
        OffsetDateTime::from_unix_timestamp(self.client().now())
            .map_or(Date::MIN, OffsetDateTime::date)
    }

    /// Starts a registration: refused with the reason when a freeze rule is broken.
    pub fn start_registration(&mut self, process: Process) -> Result<Registration, Error> {
        self.authorize(Action::Register)?;
        self.check_not_frozen()?;
        let id = hex(&random_bytes::<16>()?);
        let registration =
            Registration::new(id, process, self.operator().id.clone(), self.client().now());
        let subject = registration.id.clone();
        self.save_registration(
            None,
            &registration,
            AuditAction::RegistrationStarted,
            &subject,
        )?;
        Ok(registration)
    }

    /// Reloads a draft (after a restart), refusing another operator's.
    pub fn resume_registration(&mut self, id: &str) -> Result<Registration, Error> {
        let draft = self
            .load_draft(id)?
            .ok_or_else(|| RegistrationError::DraftNotFound(id.chars().take(64).collect()))?;
        if draft.operator_id != self.operator().id {
            return Err(RegistrationError::DraftOwner(draft.operator_id).into());
        }
        let mut registration: Registration = serde_json::from_slice(&draft.body)
            .map_err(|_| RegistrationError::DraftDamaged(draft.id.clone()))?;
        let mut stmt = self
            .store()
            .conn()
            .prepare("SELECT name, bytes FROM draft_attachments WHERE draft_id = ?1")?;
        let mut stored: BTreeMap<String, Vec<u8>> = stmt
            .query_map([&draft.id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (name, bytes) in registration.attachments_mut() {
            match stored.remove(&name) {
                Some(saved) => *bytes = saved,
                None if bytes.is_empty() => {
                    return Err(RegistrationError::DraftDamaged(draft.id).into());
                }
                None => {}
            }
        }
        Ok(registration)
    }

    /// Demographics step.
    pub fn enter_demographics(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        identity: Map<String, Value>,
        selected_groups: Vec<String>,
    ) -> Result<(), Error> {
        let today = self.today();
        self.update_registration(registration, "demographics", |r| {
            r.set_demographics(form, identity, selected_groups, today)
        })
    }

    /// Documents step: one document.
    pub fn attach_document(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        declared_format: &str,
        type_code: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<(), Error> {
        self.update_registration(registration, "document", |r| {
            r.add_document(form, field, declared_format, type_code, bytes)
        })
    }

    /// Biometrics step: one captured attribute.
    #[allow(clippy::too_many_arguments)]
    pub fn capture_biometric(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        attribute: &str,
        iso: Vec<u8>,
        quality: u32,
        retries: u32,
    ) -> Result<(), Error> {
        let now = self.client().now();
        self.update_registration(registration, "biometric", |r| {
            r.add_biometric(form, field, attribute, iso, quality, retries, now)
        })
    }

    /// Biometrics step: one exception.
    pub fn mark_exception(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        attribute: &str,
        reason: &str,
    ) -> Result<(), Error> {
        self.update_registration(registration, "exception", |r| {
            r.add_exception(form, field, attribute, reason)
        })
    }

    /// Biometrics step: an exception taken back.
    pub fn remove_exception(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        attribute: &str,
    ) -> Result<(), Error> {
        self.update_registration(registration, "exception_removed", |r| {
            r.remove_exception(form, field, attribute)
        })
    }

    /// Preview: the full check before sign-off. Audited but not saved: a resumed draft is
    /// previewed again (and the multi-megabyte draft is not written once more).
    pub fn preview_registration(
        &mut self,
        registration: &mut Registration,
        form: &Form,
    ) -> Result<Preview, Error> {
        self.authorize(Action::Register)?;
        if registration.operator_id != self.operator().id {
            return Err(RegistrationError::DraftOwner(registration.operator_id.clone()).into());
        }
        let preview = registration.preview(form, self.today())?;
        self.audit(
            AuditAction::RegistrationStep,
            &format!("{}:preview", registration.id),
        )?;
        // While the operator reads the preview, the captures' log pages move into the database,
        // so the sign-off's commit carries only its own pages.
        self.store().checkpoint()?;
        Ok(preview)
    }

    /// The acting operator's unfinished registrations (id, process, last change), newest first,
    /// to resume after a restart.
    pub fn registration_drafts(&mut self) -> Result<Vec<(String, String, i64)>, Error> {
        self.authorize(Action::Register)?;
        let operator = self.operator().id.clone();
        let mut stmt = self.store().conn().prepare(
            "SELECT id, process, updated_at FROM drafts WHERE operator_id = ?1
             ORDER BY updated_at DESC, id",
        )?;
        let rows = stmt.query_map([operator], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Abandons a registration: its draft is deleted (audited by id).
    pub fn discard_registration(&mut self, registration: &Registration) -> Result<(), Error> {
        self.authorize(Action::Register)?;
        let actor = self.operator().id.clone();
        let id = registration.id.clone();
        self.write(|tx, at| {
            tx.execute(
                "DELETE FROM drafts WHERE id = ?1 AND operator_id = ?2",
                [&id, &actor],
            )?;
            append_audit(
                tx,
                at,
                &actor,
                AuditAction::RegistrationDiscarded.code(),
                &id,
            )
        })?;
        Ok(())
    }

    /// Runs pure steps (the [`Registration`] methods) on a copy as one workflow step named
    /// `name` — e.g. every attribute of a slap capture — then saves the draft and audits the
    /// step in one transaction; a refused step changes nothing.
    pub fn update_registration(
        &mut self,
        registration: &mut Registration,
        name: &str,
        change: impl FnOnce(&mut Registration) -> Result<(), RegistrationError>,
    ) -> Result<(), Error> {
        self.authorize(Action::Register)?;
        if registration.operator_id != self.operator().id {
            return Err(RegistrationError::DraftOwner(registration.operator_id.clone()).into());
        }
        let mut next = registration.clone();
        change(&mut next)?;
        let subject = format!("{}:{name}", next.id);
        self.save_registration(
            Some(registration),
            &next,
            AuditAction::RegistrationStep,
            &subject,
        )?;
        *registration = next;
        Ok(())
    }

    /// Saves the draft and its audit entry in one transaction. The body is small JSON; each
    /// document and ISO record is its own attachment row, written only when it is new or changed
    /// since `previous` (the draft as last saved) and removed when it is gone, so a step writes
    /// what it captured rather than the whole registration again.
    fn save_registration(
        &mut self,
        previous: Option<&Registration>,
        registration: &Registration,
        action: AuditAction,
        subject: &str,
    ) -> Result<(), Error> {
        let body = serde_json::to_vec(registration)
            .map_err(|error| Error::invalid("draft", error.to_string()))?;
        let attachments: BTreeMap<String, &[u8]> = registration.attachments().collect();
        let size = body.len() + attachments.values().map(|bytes| bytes.len()).sum::<usize>();
        if size > MAX_DRAFT_BYTES {
            return Err(RegistrationError::TooLarge(MAX_DRAFT_BYTES as u64).into());
        }
        let previous: BTreeMap<String, &[u8]> = previous
            .map(|previous| previous.attachments().collect())
            .unwrap_or_default();
        let operator = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "INSERT INTO drafts (id, process, operator_id, body, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body,
                                                updated_at = excluded.updated_at",
                rusqlite::params![
                    registration.id,
                    registration.process.as_str(),
                    operator,
                    body,
                    now
                ],
            )?;
            let stored: BTreeSet<String> = tx
                .prepare("SELECT name FROM draft_attachments WHERE draft_id = ?1")?
                .query_map([&registration.id], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            for (name, bytes) in &attachments {
                if stored.contains(name) && previous.get(name) == Some(bytes) {
                    continue;
                }
                tx.execute(
                    "INSERT INTO draft_attachments (draft_id, name, bytes) VALUES (?1, ?2, ?3)
                     ON CONFLICT (draft_id, name) DO UPDATE SET bytes = excluded.bytes",
                    rusqlite::params![registration.id, name, bytes],
                )?;
            }
            for name in stored
                .iter()
                .filter(|name| !attachments.contains_key(*name))
            {
                tx.execute(
                    "DELETE FROM draft_attachments WHERE draft_id = ?1 AND name = ?2",
                    [&registration.id, name],
                )?;
            }
            append_audit(tx, now, &operator, action.code(), subject)
        })?;
        Ok(())
    }
}
