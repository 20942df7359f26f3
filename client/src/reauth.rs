//! Password re-checks inside a session (sign-off, exception authorisation, approval): the
//! password must open the operator's key slot, and failures count towards the same lockout as
//! failed logins.

use crate::audit::AuditAction;
use crate::clock::rfc3339;
use crate::error::Error;
use crate::session::{Session, append_audit};

enum Outcome {
    Right,
    Wrong,
    Locked(i64),
    Deactivated,
}

impl Session {
    /// Checks `password` against `operator`'s slot without changing the session.
    pub fn check_password_again(&mut self, operator: &str, password: &str) -> Result<(), Error> {
        let now = self.client().now();
        let outcome = self.client().keyring().update(|keyring| {
            let policy = keyring.policy;
            let Some(slot) = keyring.slots.get_mut(operator) else {
                return Ok(Outcome::Wrong);
            };
            if slot.deactivated {
                return Ok(Outcome::Deactivated);
            }
            if let Some(until) = slot.locked_until.filter(|until| *until > now) {
                return Ok(Outcome::Locked(until));
            }
            if slot.unwrap(operator, password)?.is_some() {
                slot.failed_logins = 0;
                return Ok(Outcome::Right);
            }
            slot.failed_logins += 1;
            let locked = slot.failed_logins >= policy.max_failures;
            let until = now + i64::from(policy.lockout_minutes) * 60;
            if locked {
                slot.failed_logins = 0;
                slot.locked_until = Some(until);
            }
            Ok(if locked {
                Outcome::Locked(until)
            } else {
                Outcome::Wrong
            })
        })?;
        let failure = match outcome {
            Outcome::Wrong => Some(AuditAction::LoginFailed),
            Outcome::Locked(_) => Some(AuditAction::LoginLocked),
            _ => None,
        };
        if let Some(action) = failure {
            self.write(|tx, at| append_audit(tx, at, operator, action.code(), "reauth"))?;
        }
        match outcome {
            Outcome::Right => Ok(()),
            Outcome::Wrong => Err(Error::WrongPassword),
            Outcome::Deactivated => Err(Error::Deactivated(operator.to_owned())),
            Outcome::Locked(until) => Err(Error::Locked {
                operator: operator.to_owned(),
                until: rfc3339(until),
            }),
        }
    }
}
