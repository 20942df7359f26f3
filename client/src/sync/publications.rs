//! Signed publications from the server (`GET /v1/publications?since=<cursor>`), page by page.
//! Every signature of a page is checked against the trusted server key before anything of it is
//! applied; then the page is applied in one transaction with its cursor: identity schema, UI
//! specs and master data into the configuration cache (what `Session::form` reads), settings
//! (and the lockout and idle policy in the slots file), the pipeline certificate and
//! device-provider CAs. A signed document that cannot be used is skipped and reported; the
//! version before it stays in use.

use enrol_schema::identity_schema::IdentitySchema;
use enrol_schema::master_data::MasterData;
use enrol_schema::packet::Process;
use enrol_schema::settings::RegistrationSettings;
use enrol_schema::sync::{Publication, PublicationDelta};
use enrol_schema::ui_spec::ProcessSpec;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::plan::server_signed;
use super::{SyncError, SyncOptions};
use crate::audit::AuditAction;
use crate::error::Error;
use crate::machine::PIPELINE_CERTIFICATE;
use crate::roles::Action;
use crate::session::{Session, append_audit, store_settings};

/// The `sync_state` job holding the publication cursor.
const JOB: &str = "publications";

/// One publication applied or skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicationChange {
    pub kind: String,
    pub name: String,
    pub version: u64,
    /// Why it was not applied (absent when it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// What a publication sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublicationReport {
    pub changes: Vec<PublicationChange>,
    /// The cursor after the last applied page.
    pub cursor: u64,
}

/// Checks a page against the server key: every signature verifies, and every publication comes
/// after `since`, in ascending order, up to the page's cursor (an old page replayed is refused).
pub fn verify_page(
    delta: &PublicationDelta,
    since: u64,
    server_key: &[u8],
) -> Result<(), SyncError> {
    let forged = |reason: String| SyncError::Forged {
        what: "publication",
        reason,
    };
    let mut last = since;
    for publication in &delta.publications {
        let label = format!(
            "{} {} version {} (cursor {})",
            publication.kind, publication.name, publication.version, publication.cursor
        );
        if publication.cursor <= last || publication.cursor > delta.cursor {
            return Err(forged(format!("{label} is out of order")));
        }
        last = publication.cursor;
        let digest = crate::seal::hex(
            ring::digest::digest(&ring::digest::SHA256, publication.content.as_bytes()).as_ref(),
        );
        let message = publication.signing_bytes_for(&digest);
        if !server_signed(server_key, &message, &publication.signature) {
            return Err(forged(format!(
                "{label}: the server's signature does not verify"
            )));
        }
    }
    if delta.cursor < last || (delta.publications.is_empty() && delta.cursor != since) {
        return Err(forged(format!("the page cursor {} is wrong", delta.cursor)));
    }
    Ok(())
}

/// What a publication changes in the store.
#[derive(Debug)]
enum Update {
    /// A document of the configuration cache (`kind`, `name`).
    Cache {
        kind: &'static str,
        name: String,
    },
    Settings(Box<RegistrationSettings>),
    PipelineCertificate,
}

/// Reads a publication as what it changes; `Err` with the reason when it cannot be used.
fn interpret(publication: &Publication) -> Result<Update, String> {
    let bytes = publication.content.as_bytes();
    let name = publication.name.as_str();
    let failed = |error: &dyn std::fmt::Display| error.to_string();
    match publication.kind.as_str() {
        // Packets name the schema by version, which the pipeline looks up under this name.
        "identity-schema" if name == "identity-schema" => {
            IdentitySchema::parse(name, bytes).map_err(|e| failed(&e))?;
            Ok(Update::Cache {
                kind: "identity_schema",
                name: "default".into(),
            })
        }
        "identity-schema" => Err("an identity schema is published as identity-schema".into()),
        "ui-spec" => {
            let process = Process::parse(name)
                .ok_or_else(|| format!("{name} is not a registration process"))?;
            ProcessSpec::parse(name, bytes).map_err(|e| failed(&e))?;
            Ok(Update::Cache {
                kind: "ui_spec",
                name: process.as_str().into(),
            })
        }
        "master-data" => {
            MasterData::parse(name, bytes).map_err(|e| failed(&e))?;
            Ok(Update::Cache {
                kind: "master_data",
                name: "default".into(),
            })
        }
        "settings" => {
            let settings: RegistrationSettings =
                serde_json::from_str(&publication.content).map_err(|e| failed(&e))?;
            settings.check().map_err(|e| failed(&e))?;
            Ok(Update::Settings(Box::new(settings)))
        }
        "pipeline-certificate" => {
            crate::packet::PipelineCertificate::from_pem(&publication.content)
                .map_err(|e| failed(&e))?;
            Ok(Update::PipelineCertificate)
        }
        "device-ca" => {
            crate::sbi::TrustedCas::none()
                .add_pem(&publication.content)
                .map_err(|e| failed(&e))?;
            Ok(Update::Cache {
                kind: DEVICE_CA_KIND,
                name: name.into(),
            })
        }
        other => Err(format!("unknown kind {other}")),
    }
}

/// The configuration-cache kind of trusted device-provider CAs.
const DEVICE_CA_KIND: &str = "device_ca";

impl Session {
    /// Pulls and applies every publication after the stored cursor. A page with a signature
    /// that does not verify stops the run with [`SyncError::Forged`] and nothing of it applied.
    pub fn sync_publications(
        &mut self,
        options: &SyncOptions,
    ) -> Result<PublicationReport, SyncError> {
        self.authorize(Action::Sync)?;
        let (transport, _) = self.transport(options)?;
        let server_key = self.server_key()?;
        let mut since = self.publication_cursor()?;
        let mut report = PublicationReport {
            cursor: since,
            ..PublicationReport::default()
        };
        loop {
            let now = self.client().now();
            let answer = transport.send_repeatable(
                "GET",
                &format!("/v1/publications?since={since}"),
                &[],
                &[],
                now,
            )?;
            if !answer.is_success() {
                return Err(answer.failure(now));
            }
            let delta: PublicationDelta = serde_json::from_slice(&answer.body)
                .map_err(|error| SyncError::Protocol(format!("publications: {error}")))?;
            verify_page(&delta, since, &server_key)?;
            if delta.publications.is_empty() {
                break;
            }
            report.changes.extend(self.apply_page(&delta)?);
            since = delta.cursor;
            report.cursor = since;
        }
        Ok(report)
    }

    /// Applies a verified page and its cursor in one transaction; then, when settings came, the
    /// session's settings and the slots file's policy follow.
    fn apply_page(&mut self, delta: &PublicationDelta) -> Result<Vec<PublicationChange>, Error> {
        let actor = self.operator().id.clone();
        let mut settings = None;
        let (changes, _) = self.write(|tx, now| {
            let mut changes = Vec::new();
            let mut head = None;
            for publication in &delta.publications {
                let mut change = PublicationChange {
                    kind: publication.kind.clone(),
                    name: publication.name.clone(),
                    version: publication.version,
                    skipped: None,
                };
                match interpret(publication) {
                    Ok(update) => {
                        if let Update::Settings(new) = &update {
                            settings = Some(new.as_ref().clone());
                        }
                        apply(tx, publication, update, now)?;
                        let subject = format!(
                            "{}/{}@{}",
                            publication.kind,
                            publication.name.chars().take(64).collect::<String>(),
                            publication.version
                        );
                        head = Some(append_audit(
                            tx,
                            now,
                            &actor,
                            AuditAction::ConfigUpdated.code(),
                            &subject,
                        )?);
                    }
                    Err(reason) => change.skipped = Some(reason),
                }
                changes.push(change);
            }
            tx.execute(
                "INSERT INTO sync_state (job, last_attempt_at, cursor) VALUES (?1, ?2, ?3)
                 ON CONFLICT (job) DO UPDATE SET last_attempt_at = ?2, cursor = ?3",
                params![JOB, now, delta.cursor],
            )?;
            Ok((changes, head))
        })?;
        if let Some(settings) = settings {
            self.adopt_settings(settings)?;
        }
        Ok(changes)
    }

    /// The cursor of the last publication applied (0 before the first sync).
    fn publication_cursor(&self) -> Result<u64, Error> {
        let cursor: Option<i64> = self
            .store()
            .conn()
            .query_row(
                "SELECT cursor FROM sync_state WHERE job = ?1",
                [JOB],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        Ok(cursor.and_then(|c| u64::try_from(c).ok()).unwrap_or(0))
    }

    /// The device-provider CA certificates (PEM) received from the server, by name.
    pub fn device_cas(&self) -> Result<Vec<String>, Error> {
        let mut stmt = self.store().conn().prepare(
            "SELECT body FROM config_cache WHERE kind = ?1 AND body IS NOT NULL ORDER BY name",
        )?;
        let rows = stmt.query_map([DEVICE_CA_KIND], |row| row.get::<_, Vec<u8>>(0))?;
        let mut pems = Vec::new();
        for body in rows {
            pems.push(String::from_utf8_lossy(&body?).into_owned());
        }
        Ok(pems)
    }
}

fn apply(
    tx: &Transaction<'_>,
    publication: &Publication,
    update: Update,
    now: i64,
) -> Result<(), Error> {
    match update {
        Update::Cache { kind, name } => {
            tx.execute(
                "INSERT INTO config_cache (kind, name, version, body, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, name) DO UPDATE SET version = excluded.version,
                     body = excluded.body, updated_at = excluded.updated_at",
                params![
                    kind,
                    name,
                    publication.version.to_string(),
                    publication.content.as_bytes(),
                    now
                ],
            )?;
        }
        Update::Settings(settings) => store_settings(tx, &settings)?,
        Update::PipelineCertificate => {
            tx.execute(
                "INSERT INTO trusted_keys (purpose, pem, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (purpose) DO UPDATE SET pem = excluded.pem,
                                                     updated_at = excluded.updated_at",
                params![PIPELINE_CERTIFICATE, publication.content, now],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publication(kind: &str, name: &str, content: &str) -> Publication {
        Publication {
            cursor: 1,
            kind: kind.into(),
            name: name.into(),
            version: 1,
            published_at: "2026-11-28T12:00:00Z".into(),
            content: content.into(),
            signature: String::new(),
        }
    }

    #[track_caller]
    fn check(kind: &str, name: &str, content: &str, expected: Result<&str, &str>) {
        let outcome = interpret(&publication(kind, name, content));
        match (outcome, expected) {
            (Ok(update), Ok(what)) => assert!(format!("{update:?}").contains(what), "{update:?}"),
            (Err(reason), Err(why)) => assert!(reason.contains(why), "{reason}"),
            (outcome, expected) => panic!("{kind} {name}: {outcome:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn publications_are_read_by_kind() {
        use enrol_schema::defaults;
        let schema = defaults::IDENTITY_SCHEMA_JSON;
        check(
            "identity-schema",
            "identity-schema",
            schema,
            Ok("identity_schema"),
        );
        check("identity-schema", "other", schema, Err("published as"));
        check("identity-schema", "identity-schema", "{}", Err(""));
        let spec = defaults::ui_spec_json(Process::Update);
        check("ui-spec", "UPDATE", spec, Ok("UPDATE"));
        check(
            "ui-spec",
            "WEATHER",
            spec,
            Err("not a registration process"),
        );
        check(
            "master-data",
            "master-data",
            defaults::MASTER_DATA_JSON,
            Ok("master_data"),
        );
        check(
            "settings",
            "settings",
            defaults::SETTINGS_JSON,
            Ok("Settings"),
        );
        check("settings", "settings", "[1]", Err(""));
        check("pipeline-certificate", "p", "not pem", Err(""));
        check(
            "device-ca",
            "d",
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----",
            Err(""),
        );
        check("weather", "w", "{}", Err("unknown kind"));
    }
}
