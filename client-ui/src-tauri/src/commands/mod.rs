//! The commands the front end invokes, one module per screen. Each command calls one
//! `enrol-client` function and converts its result; access rules, validation and audit all stay
//! in the core. Commands that wait on the session run off the main thread (`async`), so a long
//! sync holding the session never freezes the window.

pub mod approvals;
pub mod devices;
pub mod registration;
pub mod session;
pub mod settings;
pub mod sync;

use enrol_client::session::Operator;
use enrol_client::{Error, Session};

use crate::error::CommandError;
use crate::state::AppState;

/// Keeps a new session as the app's session and returns who it belongs to; a registration
/// left open by the previous session is closed (its draft stays in the store).
pub(crate) fn keep(state: &AppState, session: Session) -> Operator {
    let operator = session.operator().clone();
    *state.session() = Some(session);
    *state.registration() = None;
    operator
}

/// Runs `call` on the current session; `AUTH_NO_SESSION` when nobody is logged in.
pub(crate) fn with_session<T, E>(
    state: &AppState,
    call: impl FnOnce(&mut Session) -> Result<T, E>,
) -> Result<T, CommandError>
where
    CommandError: From<E>,
{
    let mut slot = state.session();
    let session = slot.as_mut().ok_or(Error::NoSession)?;
    Ok(call(session)?)
}
