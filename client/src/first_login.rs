//! The first login of an operator synced from the server. Their pending key slot (made by user
//! sync from the server's verifier) has just opened with their password; the server confirms,
//! machine-signed (`POST /v1/operators/login`), that the password and the operator are still
//! good; then a normal key slot replaces the pending one and the operator becomes active, so
//! every later login is offline. Each outcome is audited; without the server nothing changes.

use std::time::Duration;

use enrol_schema::sync::LoginRequest;
use rusqlite::params;

use crate::audit::AuditAction;
use crate::client::Client;
use crate::error::Error;
use crate::machine::stored_signing_key;
use crate::packet::MachineKey;
use crate::session::{Operator, Session, append_audit, load_operator};
use crate::store::DbKey;
use crate::store::keyring::Slot;
use crate::sync::SyncError;
use crate::sync::transport::Transport;

/// Longest wait for the server's confirmation (it checks the password with Argon2id).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// Completes the first login of `id`, whose pending slot gave `key`.
pub(crate) fn first_login(
    client: &Client,
    id: &str,
    password: &str,
    key: DbKey,
) -> Result<Session, Error> {
    let store = client.open_store(&key)?;
    let found = load_operator(&store, id)?;
    if found.status == "deactivated" {
        return Err(Error::Deactivated(id.to_owned()));
    }
    let now = client.now();
    let operator = Operator {
        status: "active".into(),
        ..found
    };
    let mut session = Session::start(client.clone(), store, key, operator, now)?;
    if let Err(error) = confirm(&session, id, password) {
        let (action, deactivate) = match &error {
            Error::LoginNeedsServer => (AuditAction::LoginNeedsServer, false),
            Error::Deactivated(_) => (AuditAction::LoginRefusedByServer, true),
            _ => (AuditAction::LoginRefusedByServer, false),
        };
        session.write(|tx, now| {
            if deactivate {
                tx.execute(
                    "UPDATE operators SET status = 'deactivated', updated_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
                append_audit(
                    tx,
                    now,
                    "system",
                    AuditAction::OperatorDeactivated.code(),
                    id,
                )?;
            }
            append_audit(tx, now, id, action.code(), id)
        })?;
        if deactivate {
            client.keyring().update(|keyring| {
                if let Some(slot) = keyring.slots.get_mut(id) {
                    slot.wrapped_key = None;
                    slot.deactivated = true;
                    slot.pending = false;
                }
                Ok(())
            })?;
        }
        return Err(error);
    }
    let slot = Slot::wrap(id, password, session.key(), client.options().kdf)?;
    session.write(|tx, now| {
        tx.execute(
            "UPDATE operators SET status = 'active', password_verifier = NULL, updated_at = ?2
             WHERE id = ?1",
            params![id, now],
        )?;
        append_audit(tx, now, id, AuditAction::OperatorActivated.code(), id)
    })?;
    client.keyring().update(|keyring| {
        keyring.slots.insert(id.to_owned(), slot);
        Ok(())
    })?;
    session.record_login()?;
    Ok(session)
}

/// The server's confirmation of the password and of the operator's standing.
fn confirm(session: &Session, id: &str, password: &str) -> Result<(), Error> {
    let machine = session.machine()?;
    let server = machine.server_url.ok_or(Error::LoginNeedsServer)?;
    let key = MachineKey::new(&stored_signing_key(session.store())?)?;
    let transport = Transport::new(&server, &machine.machine_id, key, CONFIRM_TIMEOUT);
    let body = serde_json::to_vec(&LoginRequest {
        user_id: id.to_owned(),
        password: password.to_owned(),
    })
    .map_err(|error| Error::ServerAnswer(error.to_string()))?;
    let now = session.client().now();
    let answer = transport
        .send(
            "POST",
            "/v1/operators/login",
            &[("content-type", "application/json".into())],
            &body,
            now,
        )
        .map_err(|error| match error {
            SyncError::Network(_) => Error::LoginNeedsServer,
            other => other.into(),
        })?;
    if answer.is_success() {
        return Ok(());
    }
    Err(match answer.failure(now) {
        SyncError::Network(_) => Error::LoginNeedsServer,
        SyncError::Refused { code, .. } if code == "OPERATOR_INACTIVE" => {
            Error::Deactivated(id.to_owned())
        }
        other => other.into(),
    })
}
