//! Operator management on a session: add, list, activate, deactivate, change or reset a
//! password. Each checks the acting operator's role first; key slots are re-wrapped here.

use rusqlite::params;
use serde::Serialize;

use crate::audit::AuditAction;
use crate::error::Error;
use crate::roles::{Action, Role};
use crate::session::{
    Operator, Session, append_audit, check_operator_id, check_password, load_operator,
    operator_from_row, store_operator,
};
use crate::store::keyring::Slot;

/// A new operator as a supervisor or an administrator enters them.
#[derive(Debug, Clone)]
pub struct NewOperator {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// One line of the operator list.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorSummary {
    #[serde(flatten)]
    pub operator: Operator,
    pub last_login_at: Option<i64>,
    pub failed_logins: u32,
    pub locked_until: Option<i64>,
}

impl Session {
    /// Adds an operator with a key slot for their password (supervisors and administrators;
    /// only administrators may add administrators).
    pub fn add_operator(&mut self, new: &NewOperator) -> Result<(), Error> {
        self.authorize(Action::ManageOperators)?;
        if new.roles.contains(&Role::Administrator) {
            self.authorize(Action::ManageAdministrators)?;
        }
        check_operator_id(&new.id)?;
        check_name(&new.name)?;
        check_password(&new.password)?;
        if new.roles.is_empty() {
            return Err(Error::invalid("roles", "at least one role is needed"));
        }
        if self.client().keyring().read()?.slots.contains_key(&new.id)
            || load_operator(self.store(), &new.id).is_ok()
        {
            return Err(Error::OperatorExists(new.id.clone()));
        }
        let slot = Slot::wrap(
            &new.id,
            &new.password,
            self.key(),
            self.client().options().kdf,
        )?;
        let operator = Operator {
            id: new.id.clone(),
            name: new.name.clone(),
            roles: new.roles.clone(),
            status: "active".into(),
        };
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            store_operator(tx, &operator, None, now)?;
            append_audit(
                tx,
                now,
                &actor,
                AuditAction::OperatorAdded.code(),
                &operator.id,
            )
        })?;
        self.install_slot(&new.id, slot)
    }

    /// Activates an operator listed by the enrolment file: their password must match the
    /// verifier the server issued; it then gets a key slot.
    pub fn activate_operator(&mut self, id: &str, password: &str) -> Result<(), Error> {
        self.authorize(Action::ManageOperators)?;
        let target = load_operator(self.store(), id)?;
        self.check_may_manage(&target)?;
        if target.status != "pending" {
            return Err(Error::invalid(
                "operator",
                format!("{id} is not awaiting activation"),
            ));
        }
        let verifier: String = self.store().conn().query_row(
            "SELECT coalesce(password_verifier, '') FROM operators WHERE id = ?1",
            [id],
            |row| row.get(0),
        )?;
        if !crate::machine::verify_password(&verifier, password) {
            return Err(Error::WrongPassword);
        }
        let slot = Slot::wrap(id, password, self.key(), self.client().options().kdf)?;
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "UPDATE operators SET status = 'active', password_verifier = NULL, updated_at = ?1
                 WHERE id = ?2",
                params![now, id],
            )?;
            append_audit(tx, now, &actor, AuditAction::OperatorActivated.code(), id)
        })?;
        self.install_slot(id, slot)
    }

    /// Lists every operator with their lockout state.
    pub fn list_operators(&mut self) -> Result<Vec<OperatorSummary>, Error> {
        self.authorize(Action::ListOperators)?;
        let keyring = self.client().keyring().read()?;
        let mut stmt = self
            .store()
            .conn()
            .prepare("SELECT id, name, roles, status, last_login_at FROM operators ORDER BY id")?;
        let rows = stmt.query_map([], |row| Ok((operator_from_row(row)?, row.get(4)?)))?;
        let mut list = Vec::new();
        for row in rows {
            let (operator, last_login_at): (Operator, Option<i64>) = row?;
            let slot = keyring.slots.get(&operator.id);
            list.push(OperatorSummary {
                failed_logins: slot.map_or(0, |slot| slot.failed_logins),
                locked_until: slot.and_then(|slot| slot.locked_until),
                operator,
                last_login_at,
            });
        }
        Ok(list)
    }

    /// Deactivates an operator: their slot loses the wrapped key and their sessions stop working.
    pub fn deactivate_operator(&mut self, id: &str) -> Result<(), Error> {
        self.authorize(Action::ManageOperators)?;
        let target = load_operator(self.store(), id)?;
        self.check_may_manage(&target)?;
        if target.id == self.operator().id {
            return Err(Error::invalid("operator", "you cannot deactivate yourself"));
        }
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "UPDATE operators SET status = 'deactivated', updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            append_audit(tx, now, &actor, AuditAction::OperatorDeactivated.code(), id)
        })?;
        self.client().keyring().update(|keyring| {
            if let Some(slot) = keyring.slots.get_mut(id) {
                slot.wrapped_key = None;
                slot.deactivated = true;
            }
            Ok(())
        })
    }

    /// Changes the acting operator's own password: the old one must be right; the slot is
    /// re-wrapped so the old password no longer opens anything.
    pub fn change_password(&mut self, old: &str, new: &str) -> Result<(), Error> {
        self.authorize(Action::ChangeOwnPassword)?;
        check_password(new)?;
        let id = self.operator().id.clone();
        let keyring = self.client().keyring().read()?;
        let slot = keyring.slots.get(&id).ok_or(Error::WrongPassword)?;
        if slot.unwrap(&id, old)?.is_none() {
            return Err(Error::WrongPassword);
        }
        self.replace_password(&id, new)
    }

    /// Sets another operator's password (supervisors and administrators), e.g. after they forgot
    /// it; also clears their lockout.
    pub fn reset_password(&mut self, id: &str, new: &str) -> Result<(), Error> {
        self.authorize(Action::ManageOperators)?;
        let target = load_operator(self.store(), id)?;
        self.check_may_manage(&target)?;
        if target.status != "active" {
            return Err(Error::Deactivated(id.to_owned()));
        }
        check_password(new)?;
        self.replace_password(id, new)
    }

    fn replace_password(&mut self, id: &str, new: &str) -> Result<(), Error> {
        let slot = Slot::wrap(id, new, self.key(), self.client().options().kdf)?;
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "UPDATE operators SET updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            append_audit(tx, now, &actor, AuditAction::PasswordChanged.code(), id)
        })?;
        self.install_slot(id, slot)
    }

    fn install_slot(&mut self, id: &str, slot: Slot) -> Result<(), Error> {
        self.client().keyring().update(|keyring| {
            keyring.slots.insert(id.to_owned(), slot);
            Ok(())
        })
    }

    fn check_may_manage(&mut self, target: &Operator) -> Result<(), Error> {
        if target.roles.contains(&Role::Administrator) {
            self.authorize(Action::ManageAdministrators)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    let length = name.trim().chars().count();
    if (1..=200).contains(&length) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Error::invalid("name", "use 1 to 200 printable characters"))
    }
}
