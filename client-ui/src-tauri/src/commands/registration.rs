//! The registration screens' commands: start or resume a registration (which then stays open in
//! the app state with its form), check the form live, and each workflow step — demographics,
//! documents, biometric captures and exceptions, preview, sign-off. The core saves the draft at
//! every step, so a refused step or a closed app loses nothing.

use std::collections::BTreeMap;

use enrol_client::Session;
use enrol_client::registration::{
    AttemptOutcome, CaptureAttempt, Form, FormCheck, PlannedGroup, Preview, Registration, SignOff,
};
use enrol_schema::master_data::MasterData;
use enrol_schema::packet::Process;
use enrol_schema::sbi::BioType;
use enrol_schema::settings::RegistrationSettings;
use enrol_schema::ui_spec::ProcessSpec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tauri::State;
use tauri::ipc::{InvokeBody, Request};

use super::with_session;
use crate::error::CommandError;
use crate::state::{AppState, OpenRegistration};

/// Everything a registration screen renders from: the process spec's screens and fields, the
/// master data behind dropdowns, the settings' thresholds and limits, each field's value type
/// and each biometrics field's device captures.
#[derive(Debug, Serialize)]
pub struct FormView {
    pub process: Process,
    pub schema_version: f64,
    pub spec: ProcessSpec,
    pub master: MasterData,
    pub settings: RegistrationSettings,
    pub value_types: BTreeMap<String, &'static str>,
    pub capture_plans: BTreeMap<String, Vec<PlannedGroup>>,
}

impl FormView {
    fn of(form: &Form) -> FormView {
        FormView {
            process: form.process,
            schema_version: form.schema_version,
            spec: form.spec.clone(),
            master: form.master.clone(),
            settings: form.settings.clone(),
            value_types: form
                .schema
                .fields
                .iter()
                .map(|field| (field.id.clone(), field.value_type.as_str()))
                .collect(),
            capture_plans: form
                .spec
                .fields()
                .filter_map(|field| Some((field.id.clone(), form.capture_plan(&field.id).ok()?)))
                .collect(),
        }
    }
}

/// An opened registration: the draft as saved and the form it is checked against.
#[derive(Debug, Serialize)]
pub struct Opened {
    pub registration: Registration,
    pub form: FormView,
}

/// A draft to resume, as Home lists it.
#[derive(Debug, Serialize)]
pub struct DraftSummary {
    pub id: String,
    pub process: String,
    pub updated_at: i64,
}

/// The acting operator's unfinished registrations, newest first.
#[tauri::command(async)]
pub fn registration_drafts(state: State<'_, AppState>) -> Result<Vec<DraftSummary>, CommandError> {
    let drafts = with_session(&state, Session::registration_drafts)?;
    Ok(drafts
        .into_iter()
        .map(|(id, process, updated_at)| DraftSummary {
            id,
            process,
            updated_at,
        })
        .collect())
}

/// Starts a registration (refused with `FREEZE_*` when a freeze rule is broken) and opens it.
#[tauri::command(async)]
pub fn start_registration(
    state: State<'_, AppState>,
    process: Process,
) -> Result<Opened, CommandError> {
    open(&state, |session| {
        let form = session.form(process)?;
        Ok((session.start_registration(process)?, form))
    })
}

/// Resumes a saved draft and opens it.
#[tauri::command(async)]
pub fn resume_registration(state: State<'_, AppState>, id: String) -> Result<Opened, CommandError> {
    open(&state, |session| {
        let registration = session.resume_registration(&id)?;
        let form = session.form(registration.process)?;
        Ok((registration, form))
    })
}

/// Keeps the registration `call` started or resumed as the open one.
fn open(
    state: &AppState,
    call: impl FnOnce(&mut Session) -> Result<(Registration, Form), enrol_client::Error>,
) -> Result<Opened, CommandError> {
    let (registration, form) = with_session(state, call)?;
    let opened = Opened {
        registration: registration.clone(),
        form: FormView::of(&form),
    };
    *state.registration() = Some(OpenRegistration { registration, form });
    Ok(opened)
}

/// The form's state for the values entered so far: shown / required fields, age group, errors.
#[tauri::command(async)]
pub fn check_registration(
    state: State<'_, AppState>,
    identity: Map<String, Value>,
    selected_groups: Vec<String>,
) -> Result<FormCheck, CommandError> {
    state.with_registration(|session, open| {
        Ok(open
            .form
            .check(&identity, &selected_groups, session.today()))
    })
}

/// Demographics step: the record validated and saved to the draft.
#[tauri::command(async)]
pub fn enter_demographics(
    state: State<'_, AppState>,
    identity: Map<String, Value>,
    selected_groups: Vec<String>,
) -> Result<Registration, CommandError> {
    state.with_registration(|session, open| {
        session.enter_demographics(
            &mut open.registration,
            &open.form,
            identity,
            selected_groups,
        )?;
        Ok(open.registration.clone())
    })
}

/// Documents step: the file's bytes are the request body; the field, its declared format (the
/// file's extension) and the document type travel as headers.
#[tauri::command(async)]
pub fn attach_document(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<Registration, CommandError> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let field = header("x-field").unwrap_or_default();
    let format = header("x-format").unwrap_or_default();
    let type_code = header("x-type").filter(|code| !code.is_empty());
    // Raw over the IPC protocol; an array of numbers when the webview falls back to messages.
    let bytes = match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        InvokeBody::Json(value) => serde_json::from_value(value.clone())
            .map_err(|_| CommandError::invalid("document", "the file must be sent as bytes"))?,
    };
    state.with_registration(|session, open| {
        session.attach_document(
            &mut open.registration,
            &open.form,
            &field,
            &format,
            type_code.as_deref(),
            bytes,
        )?;
        Ok(open.registration.clone())
    })
}

/// Which capture the operator asked for, from which discovered device.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRequest {
    field: String,
    bio_type: BioType,
    device_sub_id: u32,
    port: u16,
    device_id: String,
    attempt: u32,
    preview_open: bool,
}

/// What an attempt gave, with the draft as it now stands.
#[derive(Debug, Serialize)]
pub struct Captured {
    pub outcome: AttemptOutcome,
    pub registration: Registration,
}

/// Biometrics step: one group captured once from the chosen device.
#[tauri::command(async)]
pub fn capture_biometrics(
    state: State<'_, AppState>,
    request: CaptureRequest,
) -> Result<Captured, CommandError> {
    let device = state.device(request.port, &request.device_id)?;
    let timeout = state.sbi.capture_timeout;
    state.with_registration(|session, open| {
        let outcome = session.capture_attempt(
            &mut open.registration,
            &open.form,
            CaptureAttempt {
                field: &request.field,
                bio_type: request.bio_type,
                device_sub_id: request.device_sub_id,
                device: &device,
                timeout,
                attempt: request.attempt,
                preview_open: request.preview_open,
            },
        )?;
        Ok(Captured {
            outcome,
            registration: open.registration.clone(),
        })
    })
}

/// Biometrics step: an attribute marked missing or unusable, with the operator's reason.
#[tauri::command(async)]
pub fn mark_exception(
    state: State<'_, AppState>,
    field: String,
    attribute: String,
    reason: String,
) -> Result<Registration, CommandError> {
    state.with_registration(|session, open| {
        session.mark_exception(
            &mut open.registration,
            &open.form,
            &field,
            &attribute,
            &reason,
        )?;
        Ok(open.registration.clone())
    })
}

/// Biometrics step: an exception taken back.
#[tauri::command(async)]
pub fn remove_exception(
    state: State<'_, AppState>,
    field: String,
    attribute: String,
) -> Result<Registration, CommandError> {
    state.with_registration(|session, open| {
        session.remove_exception(&mut open.registration, &open.form, &field, &attribute)?;
        Ok(open.registration.clone())
    })
}

/// The full check before sign-off.
#[tauri::command(async)]
pub fn preview_registration(state: State<'_, AppState>) -> Result<Preview, CommandError> {
    state.with_registration(|session, open| {
        session.preview_registration(&mut open.registration, &open.form)
    })
}

/// A supervisor's authentication for biometric exceptions.
#[derive(Debug, Deserialize)]
pub struct Supervisor {
    id: String,
    password: String,
}

/// What the acknowledgement slip shows of the committed packet.
#[derive(Debug, Serialize)]
pub struct SignedOff {
    pub rid: String,
    pub packet_id: String,
    pub created_at: i64,
}

/// Sign-off: the operator's password again (and a supervisor's for exceptions), then the
/// packet is committed and the registration closed.
#[tauri::command(async)]
pub fn sign_off(
    state: State<'_, AppState>,
    password: String,
    supervisor: Option<Supervisor>,
) -> Result<SignedOff, CommandError> {
    let committed = state.with_registration(|session, open| {
        session.sign_off(
            &open.registration,
            &open.form,
            SignOff {
                password: &password,
                supervisor: supervisor
                    .as_ref()
                    .map(|s| (s.id.as_str(), s.password.as_str())),
            },
        )
    })?;
    *state.registration() = None;
    Ok(SignedOff {
        rid: committed.rid,
        packet_id: committed.packet_id,
        created_at: committed.packet.created_at,
    })
}

/// Abandons the open registration: its draft is deleted.
#[tauri::command(async)]
pub fn discard_registration(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.with_registration(|session, open| session.discard_registration(&open.registration))?;
    *state.registration() = None;
    Ok(())
}
