//! Commands before and around a session: first run, login, logout and the home summary.

use enrol_client::freeze::FreezeFacts;
use enrol_client::machine::{self, InitRequest, OnlineOnboarding};
use enrol_client::session::Operator;
use enrol_client::sync::SyncOptions;
use enrol_client::{Options, Session};
use enrol_schema::enrolment::MachineEnrolment;
use enrol_schema::settings::RegistrationSettings;
use serde::{Deserialize, Serialize};
use tauri::State;

use super::{keep, with_session};
use crate::error::CommandError;
use crate::state::AppState;

/// Whether the data directory is initialised: `NOT_INITIALISED` means first run.
#[tauri::command(async)]
pub fn data_dir_state(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.client()?;
    Ok(())
}

/// The first-run form: this machine, its centre and the first supervisor.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitForm {
    machine_id: String,
    centre_id: String,
    centre_name: String,
    supervisor_id: String,
    supervisor_name: String,
    password: String,
}

impl From<InitForm> for InitRequest {
    fn from(form: InitForm) -> InitRequest {
        InitRequest {
            machine_id: form.machine_id,
            centre_id: form.centre_id,
            centre_name: form.centre_name,
            server_url: None,
            supervisor_id: form.supervisor_id,
            supervisor_name: form.supervisor_name,
            password: form.password,
            settings: RegistrationSettings::default(),
            enrolment: None,
        }
    }
}

/// Initialises the data directory; the first supervisor is then logged in.
#[tauri::command(async)]
pub fn init_machine(state: State<'_, AppState>, form: InitForm) -> Result<Operator, CommandError> {
    let session = machine::init(&state.dir, &form.into(), Options::default())?;
    Ok(keep(&state, session))
}

/// The online set-up form: the server, this machine and the one-time code its administrator
/// gave, and the supervisor the server knows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardForm {
    server_url: String,
    machine_id: String,
    onboarding_code: String,
    supervisor_id: String,
    password: String,
}

/// A machine onboarded online: the supervisor, logged in, and the first sync's failure if it
/// failed (the machine is set up all the same; the next sync brings what is missing).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Onboarded {
    operator: Operator,
    first_sync_error: Option<CommandError>,
}

/// Onboards the machine online with a one-time code, then pulls the centre's configuration
/// and operators.
#[tauri::command(async)]
pub fn onboard_machine(
    state: State<'_, AppState>,
    form: OnboardForm,
) -> Result<Onboarded, CommandError> {
    let request = OnlineOnboarding {
        server_url: form.server_url,
        machine_id: form.machine_id,
        onboarding_code: form.onboarding_code,
        supervisor_id: form.supervisor_id,
        password: form.password,
    };
    let mut session = machine::onboard_online(&state.dir, &request, Options::default())?;
    let first_sync_error = session
        .sync(&SyncOptions::default(), &mut |_| {})
        .err()
        .map(|error| CommandError::from(enrol_client::Error::from(error)));
    Ok(Onboarded {
        operator: keep(&state, session),
        first_sync_error,
    })
}

/// Sets the machine up from a machine enrolment file (its JSON text), installed by a
/// supervisor listed in it.
#[tauri::command(async)]
pub fn init_from_enrolment(
    state: State<'_, AppState>,
    enrolment: String,
    supervisor_id: String,
    password: String,
) -> Result<Operator, CommandError> {
    let enrolment = MachineEnrolment::from_json(enrolment.as_bytes())
        .map_err(|error| enrol_client::Error::Enrolment(error.to_string()))?;
    let request = InitRequest::from_enrolment(enrolment, &supervisor_id, password)?;
    let session = machine::init(&state.dir, &request, Options::default())?;
    Ok(keep(&state, session))
}

/// Offline login against the operator's key slot (lockout is decided by the core).
#[tauri::command(async)]
pub fn login(
    state: State<'_, AppState>,
    operator: String,
    password: String,
) -> Result<Operator, CommandError> {
    let session = state.client()?.login(&operator, &password)?;
    Ok(keep(&state, session))
}

/// Ends the session, if there is one.
#[tauri::command(async)]
pub fn logout(state: State<'_, AppState>) -> Result<(), CommandError> {
    let session = state.session().take();
    if let Some(session) = session {
        session.logout()?;
    }
    Ok(())
}

/// What the home screen shows: approvals waiting, approved packets not yet exported or
/// uploaded, last sync.
#[tauri::command(async)]
pub fn home_facts(state: State<'_, AppState>) -> Result<FreezeFacts, CommandError> {
    with_session(&state, |session| session.freeze_facts())
}

/// Whether new registrations are allowed; a `FREEZE_*` error carries the broken rule.
#[tauri::command(async)]
pub fn freeze_status(state: State<'_, AppState>) -> Result<(), CommandError> {
    with_session(&state, Session::check_not_frozen)
}
