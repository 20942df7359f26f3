//! Sign-off and packet creation: the operator's password is checked again against their slot
//! (and a supervisor's when there are biometric exceptions, as MOSIP's reviewer authentication);
//! then, in one transaction, the next RID sequence is taken, the packet is built and sealed, and
//! the file, its row, the manifest, the registration with status REGISTERED and the audit
//! entries are committed together (see [`Session::commit_packet`]).

use std::collections::BTreeMap;

use enrol_schema::packet::{SignedManifest, SupervisorStatus};
use rusqlite::params;
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::draft::{Registration, Step};
use super::error::RegistrationError;
use super::form::Form;
use crate::audit::AuditAction;
use crate::clock::rfc3339;
use crate::error::Error;
use crate::machine::PIPELINE_CERTIFICATE;
use crate::packet::{
    self, AuthMethod, BioAttribute, BiometricCapture, BiometricException, BiometricField, Document,
    EncryptedPacket, Gps, MachineKey, Operators, PacketInput, PipelineCertificate,
    RegisteredDevice, rid::new_rid,
};
use crate::packet_store::{NewPacket, PacketSummary, take_sequence};
use crate::review::{ReviewSummary, store_review};
use crate::roles::{Action, permits};
use crate::session::{Session, append_audit, last_audit_head, load_operator};

/// The RID sequence's name in the store.
pub const RID_SEQUENCE: &str = "rid";

/// Who signs a registration off.
#[derive(Debug, Clone, Copy)]
pub struct SignOff<'a> {
    /// The acting operator's password, checked again against their slot.
    pub password: &'a str,
    /// A supervisor's id and password, needed when there are biometric exceptions.
    pub supervisor: Option<(&'a str, &'a str)>,
}

/// A committed registration.
#[derive(Debug, Clone, Serialize)]
pub struct Committed {
    pub rid: String,
    pub packet_id: String,
    pub packet: PacketSummary,
    pub manifest: SignedManifest,
}

/// Proof that [`Session::verify_sign_off`] accepted the passwords for one registration; spent by
/// [`Session::commit_sign_off`]. Only the check can make one, and each commits at most once.
#[derive(Debug)]
pub struct VerifiedSignOff {
    registration_id: String,
    operator_id: String,
    supervisor: Option<String>,
}

impl Session {
    /// Signs a previewed registration off and commits its packet: [`Session::verify_sign_off`]
    /// then [`Session::commit_sign_off`]. Exactly one of two outcomes survives any crash: the
    /// packet, its row, its manifest and REGISTERED status all exist, or none does (the draft
    /// then remains and a consumed RID sequence is never reused).
    pub fn sign_off(
        &mut self,
        registration: &Registration,
        form: &Form,
        sign_off: SignOff<'_>,
    ) -> Result<Committed, Error> {
        let verified = self.verify_sign_off(registration, sign_off)?;
        self.commit_sign_off(registration, form, verified)
    }

    /// The authentication half of the sign-off: the operator's password again (and a
    /// supervisor's when there are biometric exceptions), failures audited and counted towards
    /// the lockout.
    pub fn verify_sign_off(
        &mut self,
        registration: &Registration,
        sign_off: SignOff<'_>,
    ) -> Result<VerifiedSignOff, Error> {
        self.check_ready_to_commit(registration)?;
        let operator_id = self.operator().id.clone();
        if let Err(error) = self.check_password_again(&operator_id, sign_off.password) {
            self.audit(AuditAction::SignOffFailed, &registration.id)?;
            return Err(error);
        }
        let supervisor = if registration.exceptions.is_empty() {
            None
        } else {
            let (id, password) = sign_off
                .supervisor
                .ok_or(RegistrationError::ExceptionNotAuthorised)?;
            let reviewer = load_operator(self.store(), id)
                .map_err(|_| RegistrationError::ExceptionNotAuthorised)?;
            if reviewer.status != "active" || !permits(&reviewer.roles, Action::AuthoriseException)
            {
                return Err(RegistrationError::ExceptionNotAuthorised.into());
            }
            if let Err(error) = self.check_password_again(id, password) {
                self.audit(AuditAction::SignOffFailed, &registration.id)?;
                return Err(error);
            }
            self.audit(
                AuditAction::ExceptionAuthorised,
                &format!("{}:{id}", registration.id),
            )?;
            Some(id.to_owned())
        };
        Ok(VerifiedSignOff {
            registration_id: registration.id.clone(),
            operator_id,
            supervisor,
        })
    }

    fn check_ready_to_commit(&mut self, registration: &Registration) -> Result<(), Error> {
        self.authorize(Action::Register)?;
        if registration.operator_id != self.operator().id {
            return Err(RegistrationError::DraftOwner(registration.operator_id.clone()).into());
        }
        if registration.step != Step::Previewed {
            return Err(RegistrationError::StepOrder("the preview").into());
        }
        Ok(())
    }

    /// Packet creation for a verified sign-off: in one transaction the RID sequence, build +
    /// seal, and the atomic commit of the file, its row, the manifest, REGISTERED status, the
    /// audit entries and the draft's removal.
    pub fn commit_sign_off(
        &mut self,
        registration: &Registration,
        form: &Form,
        verified: VerifiedSignOff,
    ) -> Result<Committed, Error> {
        self.check_ready_to_commit(registration)?;
        let VerifiedSignOff {
            registration_id,
            operator_id,
            supervisor,
        } = verified;
        if registration_id != registration.id || operator_id != self.operator().id {
            return Err(Error::invalid(
                "sign-off",
                "it was verified for another registration or operator",
            ));
        }
        if !registration.exceptions.is_empty() && supervisor.is_none() {
            return Err(RegistrationError::ExceptionNotAuthorised.into());
        }
        let pipeline_pem = self.trusted_key(PIPELINE_CERTIFICATE)?.ok_or_else(|| {
            Error::invalid(
                "pipeline certificate",
                "none is installed: sync, or run `enrol packets trust-pipeline CERT.pem`",
            )
        })?;
        let pipeline = PipelineCertificate::from_pem(&pipeline_pem)?;
        let machine_key = MachineKey::new(&self.machine_signing_key()?)?;
        let machine = self.machine()?;
        let now = self.client().now();
        let created_at = OffsetDateTime::from_unix_timestamp(now)
            .map_err(|_| Error::invalid("clock", "the clock is out of range"))?;
        let process = registration.process.as_str();
        let review = ReviewSummary::of(
            registration,
            form,
            form.validator
                .age_group(&registration.identity, self.today())
                .map(str::to_owned),
        );
        // The RID sequence, the audit entries and head, the build and the commit share one
        // transaction: a crash before the commit leaves no packet and no used number.
        let machine_key = &machine_key;
        let stored = self.commit_packet(
            &registration_id,
            |tx| {
                let sequence = u32::try_from(take_sequence(tx, RID_SEQUENCE)?)
                    .map_err(|_| Error::invalid("rid sequence", "the RID sequence is exhausted"))?;
                let rid = new_rid(
                    &machine.centre_id,
                    &machine.machine_id,
                    sequence,
                    created_at,
                )
                .map_err(packet::PacketError::from)?;
                let audit = registration_audit(tx, &registration.id)?;
                let head = last_audit_head(tx)?
                    .map_or_else(|| "0".repeat(64), |head| crate::seal::hex(&head.hash));
                let input = packet_input(
                    registration,
                    form,
                    rid,
                    created_at,
                    &operator_id,
                    supervisor.as_deref(),
                    audit,
                    head,
                );
                let EncryptedPacket {
                    packet_id,
                    bytes,
                    manifest,
                } = packet::encrypt(&input, machine_key, &pipeline, &mut rand_core::OsRng)?;
                Ok(NewPacket {
                    rid: input.rid.as_str().to_owned(),
                    packet_id,
                    bytes,
                    // The packet hash and the manifest's signature, while the file is written.
                    describe: move |bytes: &[u8]| Ok(manifest.sign(bytes, machine_key)?),
                })
            },
            |tx, at, rid, manifest| {
                let manifest_json = serde_json::to_string(manifest)
                    .map_err(|error| Error::invalid("manifest", error.to_string()))?;
                tx.execute(
                    "INSERT INTO packet_manifests (rid, manifest) VALUES (?1, ?2)",
                    params![rid, manifest_json],
                )?;
                tx.execute(
                    "INSERT INTO registrations (id, process, operator_id, supervisor_id, status,
                                                created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 'REGISTERED', ?5, ?5)",
                    params![registration_id, process, operator_id, supervisor, at],
                )?;
                store_review(tx, &registration_id, &review)?;
                tx.execute(
                    "INSERT INTO registration_status_history (registration_id, status, actor, at)
                     VALUES (?1, 'REGISTERED', ?2, ?3)",
                    params![registration_id, operator_id, at],
                )?;
                tx.execute("DELETE FROM drafts WHERE id = ?1", [&registration_id])?;
                append_audit(
                    tx,
                    at,
                    &operator_id,
                    AuditAction::SignedOff.code(),
                    &registration_id,
                )?;
                Ok(())
            },
        )?;
        Ok(Committed {
            rid: stored.summary.rid.clone(),
            packet_id: stored.packet_id,
            packet: stored.summary,
            manifest: stored.described,
        })
    }
}

/// This registration's audit entries as MOSIP audit maps for the packet's `audit.json`.
fn registration_audit(
    conn: &rusqlite::Connection,
    registration_id: &str,
) -> Result<Vec<serde_json::Map<String, Value>>, Error> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, subject FROM audit_log
             WHERE subject = ?1 OR subject LIKE ?1 || ':%' ORDER BY seq",
    )?;
    let rows = stmt.query_map([registration_id], |row| {
        Ok((
            row.get::<_, u64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
        ))
    })?;
    let mut maps = Vec::new();
    for row in rows {
        let (seq, at, actor, action, subject) = row?;
        let time = rfc3339(at);
        let value = json!({
            "uuid": format!("{registration_id}-{seq}"),
            "createdAt": time,
            "eventId": action,
            "eventName": action,
            "eventType": "USER",
            "hostName": "enrol",
            "hostIp": "127.0.0.1",
            "applicationId": "REG",
            "applicationName": "REGISTRATION",
            "sessionUserId": actor,
            "sessionUserName": actor,
            "id": registration_id,
            "idType": "REGISTRATION_ID",
            "createdBy": actor,
            "moduleName": "registration",
            "moduleId": "REG-MOD-REGISTRATION",
            "description": subject,
            "actionTimeStamp": time,
        });
        if let Value::Object(map) = value {
            maps.push(map);
        }
    }
    Ok(maps)
}

/// The packet builder's input for a signed-off registration.
#[allow(clippy::too_many_arguments)]
fn packet_input(
    registration: &Registration,
    form: &Form,
    rid: packet::Rid,
    created_at: OffsetDateTime,
    officer: &str,
    supervisor: Option<&str>,
    audit: Vec<serde_json::Map<String, Value>>,
    audit_head: String,
) -> PacketInput {
    let mut fields: BTreeMap<&str, BiometricField> = BTreeMap::new();
    for bio in &registration.biometrics {
        let Some(attribute) = BioAttribute::parse(&bio.attribute) else {
            continue;
        };
        let entry = biometric_field(&mut fields, form, &bio.field);
        let source = bio.device.as_ref();
        entry.captures.push(BiometricCapture {
            attribute,
            iso: bio.iso.clone(),
            quality: bio.quality,
            captured_at: OffsetDateTime::from_unix_timestamp(bio.captured_at).unwrap_or(created_at),
            retries: bio.retries,
            sdk_score: 0.0,
            force_captured: bio.forced,
            payload: source.map(|s| s.payload.clone()),
            spec_version: source.map_or_else(|| "0.9.5".into(), |s| s.spec_version.clone()),
            bir_index: source.map_or_else(
                || format!("{}-{}", rid.as_str(), bio.attribute),
                |s| s.bir_index.clone(),
            ),
        });
    }
    // Each device once, in capture order (`capturedRegisteredDevices`).
    let mut devices: Vec<RegisteredDevice> = Vec::new();
    for source in registration
        .biometrics
        .iter()
        .filter_map(|b| b.device.as_ref())
    {
        let serial = &source.device.digital_id.serial_no;
        if !devices.iter().any(|d| &d.digital_id.serial_no == serial) {
            devices.push(source.device.clone());
        }
    }
    for exception in &registration.exceptions {
        let Some(attribute) = BioAttribute::parse(&exception.attribute) else {
            continue;
        };
        biometric_field(&mut fields, form, &exception.field)
            .exceptions
            .push(BiometricException {
                attribute,
                reason: exception.reason.clone(),
                exception_type: "Permanent".into(),
            });
    }
    let mut langs: Vec<String> = registration
        .identity
        .values()
        .filter_map(|value| value.as_array())
        .flatten()
        .filter_map(|entry| entry.get("language").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    langs.sort();
    langs.dedup();
    if langs.is_empty() {
        langs.push("eng".into());
    }
    PacketInput {
        process: registration.process,
        rid,
        created_at,
        schema_version: form.schema_version,
        field_categories: packet::field_categories(&form.schema),
        demographics: registration
            .identity
            .iter()
            .map(|(field, value)| (field.clone(), value.clone()))
            .collect(),
        documents: registration
            .documents
            .iter()
            .map(|doc| Document {
                field: doc.field.clone(),
                format: doc.format.clone(),
                type_code: doc.type_code.clone(),
                category: doc.category.clone(),
                owner: "Applicant".into(),
                ref_number: None,
                bytes: doc.bytes.clone(),
            })
            .collect(),
        biometrics: fields.into_values().collect(),
        operators: Operators {
            officer_id: officer.to_owned(),
            officer_auth: AuthMethod::Password,
            supervisor_id: supervisor.map(str::to_owned),
            supervisor_auth: supervisor.map(|_| AuthMethod::Password),
        },
        devices,
        gps: registration.gps.map(|(latitude, longitude)| Gps {
            latitude,
            longitude,
        }),
        audit,
        audit_head,
        langs,
        // The manifest is signed again with the supervisor's decision (see `approval.rs`).
        supervisor_status: SupervisorStatus::Approved,
        consent: registration
            .identity
            .get("consent")
            .and_then(Value::as_str)
            .is_some_and(|consent| consent.eq_ignore_ascii_case("Y")),
    }
}

fn biometric_field<'a, 'f>(
    fields: &'a mut BTreeMap<&'f str, BiometricField>,
    form: &Form,
    name: &'f str,
) -> &'a mut BiometricField {
    fields.entry(name).or_insert_with(|| BiometricField {
        field: name.to_owned(),
        subject: form
            .spec
            .field(name)
            .and_then(|f| f.sub_type.clone())
            .unwrap_or_else(|| "applicant".into()),
        captures: Vec::new(),
        exceptions: Vec::new(),
    })
}
