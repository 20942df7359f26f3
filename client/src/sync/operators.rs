//! User sync (`GET /v1/operators`): the centre's operator list, checked to be signed by the
//! server key, issued to this machine and not older than the list applied last, then applied in
//! one transaction: operators new here become `pending` with their server verifier, names and
//! roles follow the server, operators deactivated on the server are deactivated here (their
//! data stays; only their key slot loses its key). Each pending operator whose verifier is
//! usable then gets a pending key slot, so they can log in for the first time by themselves.
//! An operator deactivated here is never reactivated by a sync.

use enrol_schema::sync::{self, OperatorList};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::plan::server_signed;
use super::{SyncError, SyncOptions};
use crate::audit::{AuditAction, AuditHead};
use crate::error::Error;
use crate::roles::{Action, format_roles, parse_roles};
use crate::seal::Argon2idVerifier;
use crate::session::{Operator, Session, append_audit, check_operator_id, store_operator};
use crate::store::keyring::Slot;

/// The `sync_state` job holding the issue time of the last operator list applied.
const JOB: &str = "operators";

/// What a user sync did, by operator id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperatorReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub deactivated: Vec<String>,
    /// Pending operators who can now log in for the first time (a pending key slot was made).
    pub first_login_ready: Vec<String>,
    /// Operators of the list not taken, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// A change user sync makes to one operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorChange {
    /// New here: pending, with the server's verifier.
    Add {
        operator: Operator,
        verifier: String,
    },
    /// Name or roles changed on the server (and, while pending, the verifier).
    Update {
        operator: Operator,
        verifier: Option<String>,
    },
    /// Deactivated on the server.
    Deactivate { id: String },
    /// Not taken, with the reason.
    Skip { id: String, reason: String },
}

/// An operator as stored here, with their verifier while pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOperator {
    pub operator: Operator,
    pub verifier: Option<String>,
}

/// Checks a list: signed by the server key, issued to `machine_id` of `centre_id`, not older
/// than `last_issued`. Returns its issue time (Unix seconds).
pub fn verify_list(
    list: &OperatorList,
    server_key: &[u8],
    machine_id: &str,
    centre_id: &str,
    last_issued: Option<i64>,
) -> Result<i64, SyncError> {
    let forged = |reason: String| SyncError::Forged {
        what: "operator list",
        reason,
    };
    if !server_signed(server_key, &list.signing_bytes(), &list.signature) {
        return Err(forged("the server's signature does not verify".into()));
    }
    if list.machine_id != machine_id {
        return Err(forged(format!(
            "it was issued to machine {}",
            list.machine_id
        )));
    }
    if list.centre_id != centre_id || list.operators.iter().any(|o| o.centre_id != centre_id) {
        return Err(forged("it names another centre".into()));
    }
    let issued = time::OffsetDateTime::parse(
        &list.issued_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| forged("its issue time is unreadable".into()))?
    .unix_timestamp();
    if last_issued.is_some_and(|last| issued < last) {
        return Err(forged("it is older than the list applied last".into()));
    }
    Ok(issued)
}

/// The changes that bring the operators stored here in line with the server's list. Operators
/// missing from the list, and those deactivated here, are left alone.
pub fn plan_operators(local: &[LocalOperator], listed: &[sync::Operator]) -> Vec<OperatorChange> {
    let mut changes = Vec::new();
    for entry in listed {
        let id = entry.user_id.clone();
        let skip = |reason: &str| OperatorChange::Skip {
            id: id.clone(),
            reason: reason.to_owned(),
        };
        if check_operator_id(&id).is_err() {
            changes.push(skip("the id is not usable here"));
            continue;
        }
        let roles = match parse_roles(&entry.roles.join(",")) {
            Ok(roles) if !roles.is_empty() => roles,
            _ => {
                changes.push(skip("the roles are not known here"));
                continue;
            }
        };
        let here = local.iter().find(|l| l.operator.id == id);
        let from_server = |status: &str| Operator {
            id: id.clone(),
            name: entry.name.clone(),
            roles: roles.clone(),
            status: status.to_owned(),
        };
        let change = match (here, entry.active, &entry.password_verifier) {
            (None, false, _) => None,
            (None, true, None) => Some(skip("the server sent no password verifier")),
            (None, true, Some(verifier)) => Some(OperatorChange::Add {
                operator: from_server("pending"),
                verifier: verifier.clone(),
            }),
            (Some(l), _, _) if l.operator.status == "deactivated" => None,
            (Some(_), false, _) => Some(OperatorChange::Deactivate { id: id.clone() }),
            (Some(l), true, verifier) => {
                let pending = l.operator.status == "pending";
                let new_verifier = verifier
                    .clone()
                    .filter(|v| pending && l.verifier.as_deref() != Some(v.as_str()));
                let same = l.operator.name == entry.name && l.operator.roles == roles;
                (!same || new_verifier.is_some()).then(|| OperatorChange::Update {
                    operator: from_server(&l.operator.status),
                    verifier: new_verifier,
                })
            }
        };
        changes.extend(change);
    }
    changes
}

impl Session {
    /// Pulls the centre's operator list and applies it (see the module documentation).
    pub fn sync_operators(&mut self, options: &SyncOptions) -> Result<OperatorReport, SyncError> {
        self.authorize(Action::Sync)?;
        let server_key = self.server_key()?;
        let (transport, machine) = self.transport(options)?;
        let now = self.client().now();
        let answer = transport.send_repeatable("GET", "/v1/operators", &[], &[], now)?;
        if !answer.is_success() {
            return Err(answer.failure(now));
        }
        let list: OperatorList = serde_json::from_slice(&answer.body)
            .map_err(|error| SyncError::Protocol(format!("operator list: {error}")))?;
        let issued = verify_list(
            &list,
            &server_key,
            &machine.machine_id,
            &machine.centre_id,
            self.last_operator_list()?,
        )?;
        let changes = plan_operators(&self.local_operators()?, &list.operators);
        // A first login is confirmed with the server, so it needs the machine's server address.
        let first_logins = machine.server_url.is_some();
        Ok(self.apply_operator_changes(&changes, issued, first_logins)?)
    }

    fn apply_operator_changes(
        &mut self,
        changes: &[OperatorChange],
        issued: i64,
        first_logins: bool,
    ) -> Result<OperatorReport, Error> {
        let actor = self.operator().id.clone();
        let keyring = self.client().keyring().read()?;
        let mut report = OperatorReport::default();
        let (slots, _) = self.write(|tx, now| {
            let mut head: Option<AuditHead> = None;
            let mut audit = |action: AuditAction, subject: &str| -> Result<(), Error> {
                head = Some(append_audit(tx, now, &actor, action.code(), subject)?);
                Ok(())
            };
            for change in changes {
                match change {
                    OperatorChange::Add { operator, verifier } => {
                        store_operator(tx, operator, Some(verifier), now)?;
                        audit(AuditAction::OperatorAdded, &operator.id)?;
                        report.added.push(operator.id.clone());
                    }
                    OperatorChange::Update { operator, verifier } => {
                        tx.execute(
                            "UPDATE operators SET name = ?2, roles = ?3, updated_at = ?4,
                                 password_verifier = coalesce(?5, password_verifier)
                             WHERE id = ?1",
                            params![
                                operator.id,
                                operator.name,
                                format_roles(&operator.roles),
                                now,
                                verifier
                            ],
                        )?;
                        audit(AuditAction::OperatorUpdated, &operator.id)?;
                        report.updated.push(operator.id.clone());
                    }
                    OperatorChange::Deactivate { id } => {
                        tx.execute(
                            "UPDATE operators SET status = 'deactivated', updated_at = ?2
                             WHERE id = ?1",
                            params![id, now],
                        )?;
                        audit(AuditAction::OperatorDeactivated, id)?;
                        report.deactivated.push(id.clone());
                    }
                    OperatorChange::Skip { id, reason } => {
                        report.skipped.push((id.clone(), reason.clone()));
                    }
                }
            }
            // Key slots follow the operators' standing: a pending slot for each pending
            // operator with a usable verifier (unless it has one for that verifier), an empty
            // slot for each deactivated one.
            let mut slots = Vec::new();
            let mut stmt = tx.prepare(
                "SELECT id, status, coalesce(password_verifier, '') FROM operators
                 WHERE status IN ('pending', 'deactivated') ORDER BY id",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (id, status, verifier) = row?;
                let slot = keyring.slots.get(&id);
                if status == "deactivated" {
                    if slot.is_some_and(|slot| slot.wrapped_key.is_some()) {
                        slots.push(SlotChange::Empty { id });
                    }
                    continue;
                }
                let Some(parsed) = Argon2idVerifier::parse(&verifier).filter(|_| first_logins)
                else {
                    continue;
                };
                let current = slot.is_some_and(|slot| {
                    slot.is_pending_for(&parsed) || (!slot.pending && slot.wrapped_key.is_some())
                });
                if !current {
                    audit(AuditAction::FirstLoginPrepared, &id)?;
                    report.first_login_ready.push(id.clone());
                    slots.push(SlotChange::Pending {
                        id,
                        verifier: parsed,
                    });
                }
            }
            drop(stmt);
            tx.execute(
                "INSERT INTO sync_state (job, last_attempt_at, cursor) VALUES (?1, ?2, ?3)
                 ON CONFLICT (job) DO UPDATE SET last_attempt_at = ?2, cursor = ?3",
                params![JOB, now, issued],
            )?;
            Ok((slots, head))
        })?;
        let mut made = Vec::new();
        for change in slots {
            made.push(match change {
                SlotChange::Pending { id, verifier } => {
                    let slot = Slot::pending(&id, &verifier, self.key())?;
                    (id, Some(slot))
                }
                SlotChange::Empty { id } => (id, None),
            });
        }
        self.client().keyring().update(|keyring| {
            for (id, slot) in made {
                match slot {
                    Some(mut slot) => {
                        // Failed attempts and a lockout survive the slot's renewal.
                        if let Some(old) = keyring.slots.get(&id) {
                            slot.failed_logins = old.failed_logins;
                            slot.locked_until = old.locked_until;
                        }
                        keyring.slots.insert(id, slot);
                    }
                    None => {
                        if let Some(old) = keyring.slots.get_mut(&id) {
                            old.wrapped_key = None;
                            old.deactivated = true;
                            old.pending = false;
                        }
                    }
                }
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// Every operator stored here, with their verifier.
    fn local_operators(&self) -> Result<Vec<LocalOperator>, Error> {
        let mut stmt = self.store().conn().prepare(
            "SELECT id, name, roles, status, password_verifier FROM operators ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(LocalOperator {
                operator: crate::session::operator_from_row(row)?,
                verifier: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The issue time of the operator list applied last.
    fn last_operator_list(&self) -> Result<Option<i64>, Error> {
        Ok(self
            .store()
            .conn()
            .query_row(
                "SELECT cursor FROM sync_state WHERE job = ?1",
                [JOB],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }
}

/// A key-slot change decided in the transaction and written to the slots file after it.
enum SlotChange {
    Pending {
        id: String,
        verifier: Argon2idVerifier,
    },
    Empty {
        id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    fn here(id: &str, roles: &[Role], status: &str, verifier: Option<&str>) -> LocalOperator {
        LocalOperator {
            operator: Operator {
                id: id.into(),
                name: format!("Name of {id}"),
                roles: roles.to_vec(),
                status: status.into(),
            },
            verifier: verifier.map(str::to_owned),
        }
    }

    fn listed(id: &str, roles: &[&str], active: bool, verifier: Option<&str>) -> sync::Operator {
        sync::Operator {
            user_id: id.into(),
            name: format!("Name of {id}"),
            centre_id: "10001".into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            active,
            password_verifier: verifier.map(str::to_owned),
        }
    }

    /// One server list against one local state: which change each operator gets.
    #[track_caller]
    fn check(local: &[LocalOperator], server: &[sync::Operator], expected: &[&str]) {
        let changes: Vec<String> = plan_operators(local, server)
            .iter()
            .map(|change| match change {
                OperatorChange::Add { operator, .. } => format!("add {}", operator.id),
                OperatorChange::Update { operator, verifier } => format!(
                    "update {}{}",
                    operator.id,
                    if verifier.is_some() { " +verifier" } else { "" }
                ),
                OperatorChange::Deactivate { id } => format!("deactivate {id}"),
                OperatorChange::Skip { id, .. } => format!("skip {id}"),
            })
            .collect();
        assert_eq!(changes, expected);
    }

    /// A list changed by `issue` and then signed by a fresh server key, then changed by
    /// `tamper`, checked as machine 10011 of centre 10001 that applied a list issued at `last`.
    #[track_caller]
    fn check_list(
        issue: fn(&mut OperatorList),
        tamper: fn(&mut OperatorList),
        last: Option<i64>,
        expected: Result<i64, &str>,
    ) {
        use ring::signature::{Ed25519KeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pair =
            Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).unwrap().as_ref())
                .unwrap();
        let mut list = OperatorList {
            machine_id: "10011".into(),
            centre_id: "10001".into(),
            issued_at: "2026-11-28T12:00:00Z".into(),
            operators: vec![listed("a", &["operator"], true, Some("v"))],
            signature: String::new(),
        };
        issue(&mut list);
        list.signature =
            crate::packet::crypto::base64_url(pair.sign(&list.signing_bytes()).as_ref());
        tamper(&mut list);
        let outcome = verify_list(&list, pair.public_key().as_ref(), "10011", "10001", last);
        match (outcome, expected) {
            (Ok(issued), Ok(at)) => assert_eq!(issued, at),
            (Err(error), Err(why)) => assert!(error.to_string().contains(why), "{error}"),
            (outcome, expected) => panic!("{outcome:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn operator_lists_must_be_signed_for_this_machine_and_not_older() {
        let at = 1_795_867_200;
        let same = |_: &mut OperatorList| {};
        check_list(same, same, None, Ok(at));
        check_list(same, same, Some(at), Ok(at));
        check_list(same, same, Some(at + 1), Err("older than"));
        check_list(
            same,
            |l| l.operators[0].roles.push("supervisor".into()),
            None,
            Err("signature"),
        );
        check_list(
            same,
            |l| l.signature = "AAAA".into(),
            None,
            Err("signature"),
        );
        check_list(same, |l| l.operators.clear(), None, Err("signature"));
        check_list(
            |l| l.machine_id = "10012".into(),
            same,
            None,
            Err("issued to machine 10012"),
        );
        check_list(
            |l| l.operators[0].centre_id = "10002".into(),
            same,
            None,
            Err("another centre"),
        );
        check_list(
            |l| l.issued_at = "yesterday".into(),
            same,
            None,
            Err("unreadable"),
        );
    }

    #[test]
    fn the_server_list_decides_additions_updates_and_deactivations() {
        let op = [Role::Operator];
        check(
            &[],
            &[listed("new", &["operator"], true, Some("v"))],
            &["add new"],
        );
        check(&[], &[listed("gone", &["operator"], false, None)], &[]);
        check(
            &[],
            &[listed("nov", &["operator"], true, None)],
            &["skip nov"],
        );
        check(
            &[],
            &[listed("bad id!", &["operator"], true, Some("v"))],
            &["skip bad id!"],
        );
        check(&[], &[listed("x", &["root"], true, Some("v"))], &["skip x"]);
        check(&[], &[listed("x", &[], true, Some("v"))], &["skip x"]);
        // Unchanged, a role change, a deactivation.
        let active = here("a", &op, "active", None);
        check(
            std::slice::from_ref(&active),
            &[listed("a", &["operator"], true, Some("v"))],
            &[],
        );
        check(
            std::slice::from_ref(&active),
            &[listed("a", &["operator", "supervisor"], true, Some("v"))],
            &["update a"],
        );
        check(
            &[active],
            &[listed("a", &["operator"], false, None)],
            &["deactivate a"],
        );
        // A pending operator follows a new verifier; an active one keeps their own password.
        let pending = here("p", &op, "pending", Some("v1"));
        check(
            std::slice::from_ref(&pending),
            &[listed("p", &["operator"], true, Some("v1"))],
            &[],
        );
        check(
            &[pending],
            &[listed("p", &["operator"], true, Some("v2"))],
            &["update p +verifier"],
        );
        // Deactivated here stays so, whatever the server says.
        let off = here("d", &op, "deactivated", None);
        check(
            &[off],
            &[listed("d", &["supervisor"], true, Some("v"))],
            &[],
        );
        // Operators missing from the list are left alone.
        check(&[here("local", &op, "active", None)], &[], &[]);
    }
}
