//! Administration: centres, machines, operators, publications (identity schema, UI specs,
//! master data, the pipeline's encryption certificate, trusted device CAs) and pipeline status
//! reports. The functions here are shared by the admin HTTP API (`/admin/v1`, bearer token) and
//! the `enrol-sync admin` command line, which works on the store directly.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use enrol_schema::enrolment::{
    ConfigVersions, ENROLMENT_FORMAT, EnrolledOperator, MachineEnrolment,
};
use enrol_schema::sync::{ErrorBody, PacketState};
use serde::{Deserialize, Serialize};

use crate::auth::Admin;
use crate::crypto::{self, MachineKey};
use crate::error::{AppError, Json, PathParam};
use crate::intake::is_short_id;
use crate::store::{Centre, Machine, MachineStatus, OperatorRecord, PublicationRecord, Store};
use crate::{AppState, clock};

/// Roles an operator may hold.
pub const ROLES: &[&str] = &["operator", "supervisor", "administrator"];

/// Kinds of publication, and whether their content is JSON (else a PEM certificate).
pub const PUBLICATION_KINDS: &[(&str, bool)] = &[
    ("identity-schema", true),
    ("ui-spec", true),
    ("master-data", true),
    ("settings", true),
    ("pipeline-certificate", false),
    ("device-ca", false),
];

/// Why an admin operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0} must be 5 digits")]
    BadId(&'static str),
    #[error("no centre {0}")]
    NoCentre(String),
    #[error("no machine {0}")]
    NoMachine(String),
    #[error("machine {0} is already registered")]
    MachineExists(String),
    #[error("machine key refused: {0}")]
    BadKey(crypto::MachineKeyError),
    #[error("unknown role {0:?} (roles: operator, supervisor, administrator)")]
    BadRole(String),
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("operator {0} needs a password")]
    NoPassword(String),
    #[error("unknown publication kind {0:?}")]
    BadKind(String),
    #[error("the content of a {0} must be valid JSON")]
    NotJson(String),
    #[error("the content of a {0} must be a PEM certificate")]
    NotPem(String),
    #[error("no packet was received under rid {0}")]
    NoPacket(String),
    #[error("publish the pipeline's encryption certificate (kind pipeline-certificate) first")]
    NoPipelineCertificate,
    #[error("centre {0} has no active operator to put in the enrolment file")]
    NoOperators(String),
    #[error("the published settings are not registration settings: {0}")]
    BadSettings(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl AdminError {
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::BadId(_) => "ID_INVALID",
            AdminError::NoCentre(_) => "CENTRE_UNKNOWN",
            AdminError::NoMachine(_) => "MACHINE_UNKNOWN",
            AdminError::MachineExists(_) => "MACHINE_EXISTS",
            AdminError::BadKey(_) => "MACHINE_KEY_INVALID",
            AdminError::BadRole(_) => "ROLE_UNKNOWN",
            AdminError::Empty(_) => "FIELD_EMPTY",
            AdminError::NoPassword(_) => "PASSWORD_REQUIRED",
            AdminError::BadKind(_) => "PUBLICATION_KIND_UNKNOWN",
            AdminError::NotJson(_) => "PUBLICATION_NOT_JSON",
            AdminError::NotPem(_) => "PUBLICATION_NOT_PEM",
            AdminError::NoPacket(_) => "PACKET_NOT_RECEIVED",
            AdminError::NoPipelineCertificate => "PIPELINE_CERTIFICATE_MISSING",
            AdminError::NoOperators(_) => "OPERATORS_MISSING",
            AdminError::BadSettings(_) => "SETTINGS_INVALID",
            AdminError::Store(_) => "STORAGE_UNAVAILABLE",
        }
    }
}

impl From<AdminError> for AppError {
    fn from(err: AdminError) -> AppError {
        let status = match &err {
            AdminError::Store(inner) => {
                tracing::error!(error = %inner, "storage failure");
                return AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    err.code(),
                    "the server's storage failed; retry later",
                );
            }
            AdminError::NoCentre(_) | AdminError::NoMachine(_) | AdminError::NoPacket(_) => {
                StatusCode::NOT_FOUND
            }
            AdminError::MachineExists(_) => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        AppError::new(status, err.code(), err.to_string())
    }
}

fn non_empty(value: &str, what: &'static str) -> Result<(), AdminError> {
    if value.trim().is_empty() {
        Err(AdminError::Empty(what))
    } else {
        Ok(())
    }
}

/// Creates or updates a centre.
pub async fn put_centre(store: &Store, centre: &Centre) -> Result<(), AdminError> {
    if !is_short_id(&centre.id) {
        return Err(AdminError::BadId("a centre id"));
    }
    non_empty(&centre.name, "the centre name")?;
    Ok(store.put_centre(centre).await?)
}

/// What an administrator gives to register a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MachineRegistration {
    #[schema(pattern = "^[0-9]{5}$")]
    pub id: String,
    #[schema(pattern = "^[0-9]{5}$")]
    pub centre_id: String,
    #[schema(pattern = "\\S")]
    pub name: String,
    /// RSA public key, PEM (SPKI or PKCS#1), 2048 to 4096 bits. Left out for a machine that
    /// will onboard online with an onboarding code (it then brings its key).
    #[serde(default)]
    #[schema(pattern = "-----BEGIN (RSA )?PUBLIC KEY-----")]
    pub public_key_pem: Option<String>,
    /// Approve at once instead of leaving the machine pending (needs the public key).
    #[serde(default)]
    pub approve: bool,
}

/// A machine as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineView {
    pub id: String,
    pub centre_id: String,
    pub name: String,
    /// `PENDING`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Empty until a machine registered without a key has onboarded.
    pub public_key_pem: String,
}

impl From<Machine> for MachineView {
    fn from(m: Machine) -> MachineView {
        MachineView {
            id: m.id,
            centre_id: m.centre_id,
            name: m.name,
            status: m.status.as_str().to_owned(),
            public_key_pem: m.public_key_pem,
        }
    }
}

/// Registers a machine, with its public key (pending unless `approve`) or without one (pending
/// until it onboards online with a code from [`crate::onboarding::issue_code`]).
pub async fn register_machine(store: &Store, reg: &MachineRegistration) -> Result<(), AdminError> {
    if !is_short_id(&reg.id) {
        return Err(AdminError::BadId("a machine id"));
    }
    non_empty(&reg.name, "the machine name")?;
    let public_key_pem = match &reg.public_key_pem {
        Some(pem) => {
            MachineKey::from_pem(pem).map_err(AdminError::BadKey)?;
            pem.trim().to_owned() + "\n"
        }
        None if reg.approve => {
            return Err(AdminError::Empty(
                "the public key of a machine approved at once",
            ));
        }
        None => String::new(),
    };
    if store.centre(&reg.centre_id).await?.is_none() {
        return Err(AdminError::NoCentre(reg.centre_id.clone()));
    }
    let machine = Machine {
        id: reg.id.clone(),
        centre_id: reg.centre_id.clone(),
        name: reg.name.clone(),
        public_key_pem,
        status: if reg.approve {
            MachineStatus::Active
        } else {
            MachineStatus::Pending
        },
    };
    if store.insert_machine(&machine).await? {
        Ok(())
    } else {
        Err(AdminError::MachineExists(reg.id.clone()))
    }
}

pub async fn set_machine_status(
    store: &Store,
    id: &str,
    status: MachineStatus,
) -> Result<(), AdminError> {
    if store.set_machine_status(id, status).await? {
        Ok(())
    } else {
        Err(AdminError::NoMachine(id.to_owned()))
    }
}

/// What an administrator gives to create or change an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperatorUpdate {
    #[schema(pattern = "\\S")]
    pub name: String,
    #[schema(pattern = "^[0-9]{5}$")]
    pub centre_id: String,
    #[schema(value_type = Vec<crate::openapi::RoleDoc>)]
    pub roles: Vec<String>,
    /// New password; may be left out when changing an existing operator.
    #[serde(default)]
    #[schema(pattern = "\\S")]
    pub password: Option<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// Creates or updates an operator; the password is stored as an Argon2id hash.
pub async fn put_operator(
    store: &Store,
    user_id: &str,
    update: &OperatorUpdate,
) -> Result<(), AdminError> {
    non_empty(user_id, "the user id")?;
    non_empty(&update.name, "the operator name")?;
    if let Some(role) = update.roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(AdminError::BadRole(role.clone()));
    }
    if store.centre(&update.centre_id).await?.is_none() {
        return Err(AdminError::NoCentre(update.centre_id.clone()));
    }
    let password_hash = match (&update.password, store.operator(user_id).await?) {
        (Some(password), _) => {
            non_empty(password, "the password")?;
            let password = password.clone();
            tokio::task::spawn_blocking(move || crypto::hash_password(&password))
                .await
                .map_err(|_| AdminError::Empty("the password"))?
                .map_err(|_| AdminError::Empty("the password"))?
        }
        (None, Some(existing)) => existing.password_hash,
        (None, None) => return Err(AdminError::NoPassword(user_id.to_owned())),
    };
    let mut roles = update.roles.clone();
    roles.sort();
    roles.dedup();
    store
        .put_operator(&OperatorRecord {
            user_id: user_id.to_owned(),
            name: update.name.clone(),
            centre_id: update.centre_id.clone(),
            roles,
            password_hash,
            active: update.active,
        })
        .await?;
    Ok(())
}

/// What an administrator publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicationRequest {
    #[schema(value_type = crate::openapi::PublicationKindDoc)]
    pub kind: String,
    #[schema(pattern = "\\S")]
    pub name: String,
    #[schema(pattern = "\\S")]
    pub content: String,
}

/// A publication as the admin API confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub cursor: i64,
    pub kind: String,
    pub name: String,
    pub version: i64,
}

impl From<PublicationRecord> for Published {
    fn from(p: PublicationRecord) -> Published {
        Published {
            cursor: p.seq,
            kind: p.kind,
            name: p.name,
            version: p.version,
        }
    }
}

/// Publishes the next version of a document after checking its form.
pub async fn publish(
    store: &Store,
    req: &PublicationRequest,
) -> Result<PublicationRecord, AdminError> {
    let Some((_, is_json)) = PUBLICATION_KINDS.iter().find(|(k, _)| *k == req.kind) else {
        return Err(AdminError::BadKind(req.kind.clone()));
    };
    non_empty(&req.name, "the publication name")?;
    if *is_json {
        serde_json::from_str::<serde_json::Value>(&req.content)
            .map_err(|_| AdminError::NotJson(req.kind.clone()))?;
    } else if !is_pem_certificate(&req.content) {
        return Err(AdminError::NotPem(req.kind.clone()));
    }
    Ok(store
        .publish(&req.kind, &req.name, &req.content, &clock::rfc3339_now())
        .await?)
}

/// Whether `text` is one PEM `CERTIFICATE` block with base64 inside.
fn is_pem_certificate(text: &str) -> bool {
    use base64::Engine;
    let body = text
        .trim()
        .strip_prefix("-----BEGIN CERTIFICATE-----")
        .and_then(|rest| rest.strip_suffix("-----END CERTIFICATE-----"));
    body.is_some_and(|b64| {
        let joined: String = b64.split_whitespace().collect();
        !joined.is_empty()
            && base64::engine::general_purpose::STANDARD
                .decode(joined)
                .is_ok()
    })
}

/// On first start (nothing published yet), publishes `enrol-schema`'s built-in configuration:
/// the identity schema, the UI spec of each process, master data and registration settings.
pub async fn seed_defaults(store: &Store) -> Result<(), AdminError> {
    use enrol_schema::defaults;
    use enrol_schema::packet::Process;
    if store.has_publications().await? {
        return Ok(());
    }
    let mut documents = vec![
        (
            "identity-schema",
            "identity-schema",
            defaults::IDENTITY_SCHEMA_JSON,
        ),
        ("master-data", "master-data", defaults::MASTER_DATA_JSON),
        ("settings", "settings", defaults::SETTINGS_JSON),
    ];
    for process in [
        Process::New,
        Process::Update,
        Process::Lost,
        Process::BiometricCorrection,
    ] {
        documents.push(("ui-spec", process.as_str(), defaults::ui_spec_json(process)));
    }
    for (kind, name, content) in documents {
        let request = PublicationRequest {
            kind: kind.into(),
            name: name.into(),
            content: content.into(),
        };
        publish(store, &request).await?;
    }
    Ok(())
}

/// The enrolment file of a machine for an offline field kit: its ids, the pipeline certificate,
/// the server's receipt key, the centre's active operators with their Argon2id verifiers, the
/// cursors of the latest published configuration and the published settings.
pub async fn export_enrolment(
    store: &Store,
    server_key: &crypto::ServerKey,
    machine_id: &str,
    server_url: Option<String>,
) -> Result<MachineEnrolment, AdminError> {
    let machine = store
        .machine(machine_id)
        .await?
        .ok_or_else(|| AdminError::NoMachine(machine_id.to_owned()))?;
    let centre = store
        .centre(&machine.centre_id)
        .await?
        .ok_or_else(|| AdminError::NoCentre(machine.centre_id.clone()))?;
    let certificate = store
        .latest_publication("pipeline-certificate")
        .await?
        .ok_or(AdminError::NoPipelineCertificate)?;
    let operators: Vec<EnrolledOperator> = store
        .operators_of_centre(&centre.id)
        .await?
        .into_iter()
        .filter(|op| op.active)
        .map(|op| EnrolledOperator {
            id: op.user_id,
            name: op.name,
            roles: op.roles,
            password_verifier: op.password_hash,
        })
        .collect();
    if operators.is_empty() {
        return Err(AdminError::NoOperators(centre.id));
    }
    let cursor =
        |p: Option<PublicationRecord>| p.map_or_else(|| "0".to_owned(), |p| p.seq.to_string());
    let versions = ConfigVersions {
        identity_schema: cursor(store.latest_publication("identity-schema").await?),
        ui_spec: cursor(store.latest_publication("ui-spec").await?),
        master_data: cursor(store.latest_publication("master-data").await?),
    };
    let settings = match store.latest_publication("settings").await? {
        Some(p) => {
            serde_json::from_str(&p.content).map_err(|e| AdminError::BadSettings(e.to_string()))?
        }
        None => Default::default(),
    };
    Ok(MachineEnrolment {
        format: ENROLMENT_FORMAT,
        machine_id: machine.id,
        centre_id: centre.id,
        centre_name: centre.name,
        server_url,
        pipeline_certificate_pem: certificate.content,
        receipt_signing_key_pem: server_key.public_key_pem(),
        operators,
        versions,
        settings,
    })
}

/// Records a packet state reported by the pipeline.
pub async fn set_packet_state(
    store: &Store,
    rid: &str,
    state: PacketState,
) -> Result<(), AdminError> {
    if store
        .set_packet_state(rid, state, &clock::rfc3339_now())
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::NoPacket(rid.to_owned()))
    }
}

// --- HTTP

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CentreUpdate {
    #[schema(pattern = "\\S")]
    name: String,
    #[serde(default = "active_by_default")]
    active: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateReport {
    state: PacketState,
}

#[utoipa::path(put, path = "/admin/v1/centres/{id}", tag = "admin", params(("id" = crate::openapi::ShortId, Path, description = "5-digit centre id")), request_body = CentreUpdate, responses((status = 204, description = "saved"), (status = 422, description = "ID_INVALID, FIELD_EMPTY", body = ErrorBody)))]
pub(crate) async fn put_centre_http(
    _: Admin,
    State(state): State<AppState>,
    PathParam(id): PathParam,
    Json(update): Json<CentreUpdate>,
) -> Result<StatusCode, AppError> {
    let centre = Centre {
        id,
        name: update.name,
        active: update.active,
    };
    put_centre(&state.store, &centre).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/admin/v1/centres", tag = "admin",  responses((status = 200, description = "all centres", body = Vec<Centre>)))]
pub(crate) async fn list_centres(
    _: Admin,
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<Centre>>, AppError> {
    Ok(axum::Json(state.store.centres().await?))
}

#[utoipa::path(post, path = "/admin/v1/machines", tag = "admin", request_body = MachineRegistration, responses((status = 201, description = "registered"), (status = 404, description = "CENTRE_UNKNOWN", body = ErrorBody), (status = 409, description = "MACHINE_EXISTS", body = ErrorBody), (status = 422, description = "ID_INVALID, MACHINE_KEY_INVALID, FIELD_EMPTY", body = ErrorBody)))]
pub(crate) async fn register_machine_http(
    _: Admin,
    State(state): State<AppState>,
    Json(reg): Json<MachineRegistration>,
) -> Result<StatusCode, AppError> {
    register_machine(&state.store, &reg).await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(get, path = "/admin/v1/machines", tag = "admin",  responses((status = 200, description = "all machines", body = Vec<MachineView>)))]
pub(crate) async fn list_machines(
    _: Admin,
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<MachineView>>, AppError> {
    let machines = state.store.machines().await?;
    Ok(axum::Json(
        machines.into_iter().map(MachineView::from).collect(),
    ))
}

#[utoipa::path(post, path = "/admin/v1/machines/{id}/approve", tag = "admin", params(("id" = crate::openapi::ShortId, Path, description = "5-digit machine id")), responses((status = 204, description = "approved"), (status = 404, description = "MACHINE_UNKNOWN", body = ErrorBody)))]
pub(crate) async fn approve_machine(
    _: Admin,
    State(state): State<AppState>,
    PathParam(id): PathParam,
) -> Result<StatusCode, AppError> {
    set_machine_status(&state.store, &id, MachineStatus::Active).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/admin/v1/machines/{id}/deactivate", tag = "admin", params(("id" = crate::openapi::ShortId, Path, description = "5-digit machine id")), responses((status = 204, description = "deactivated"), (status = 404, description = "MACHINE_UNKNOWN", body = ErrorBody)))]
pub(crate) async fn deactivate_machine(
    _: Admin,
    State(state): State<AppState>,
    PathParam(id): PathParam,
) -> Result<StatusCode, AppError> {
    set_machine_status(&state.store, &id, MachineStatus::Inactive).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/admin/v1/operators/{user_id}", tag = "admin", params(("user_id" = crate::openapi::NonBlank, Path, description = "operator user id")), request_body = OperatorUpdate, responses((status = 204, description = "saved"), (status = 404, description = "CENTRE_UNKNOWN", body = ErrorBody), (status = 422, description = "ROLE_UNKNOWN, PASSWORD_REQUIRED, FIELD_EMPTY", body = ErrorBody)))]
pub(crate) async fn put_operator_http(
    _: Admin,
    State(state): State<AppState>,
    PathParam(user_id): PathParam,
    Json(update): Json<OperatorUpdate>,
) -> Result<StatusCode, AppError> {
    put_operator(&state.store, &user_id, &update).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/admin/v1/publications", tag = "admin", request_body = PublicationRequest, responses((status = 201, description = "published", body = Published), (status = 422, description = "PUBLICATION_KIND_UNKNOWN, PUBLICATION_NOT_JSON, PUBLICATION_NOT_PEM, FIELD_EMPTY", body = ErrorBody)))]
pub(crate) async fn publish_http(
    _: Admin,
    State(state): State<AppState>,
    Json(req): Json<PublicationRequest>,
) -> Result<(StatusCode, axum::Json<Published>), AppError> {
    let record = publish(&state.store, &req).await?;
    Ok((StatusCode::CREATED, axum::Json(record.into())))
}

#[utoipa::path(post, path = "/admin/v1/packets/{rid}/state", tag = "admin", params(("rid" = String, Path, description = "registration id")), request_body = StateReport, responses((status = 204, description = "recorded"), (status = 404, description = "PACKET_NOT_RECEIVED", body = ErrorBody)))]
pub(crate) async fn report_state(
    _: Admin,
    State(state): State<AppState>,
    PathParam(rid): PathParam,
    Json(report): Json<StateReport>,
) -> Result<StatusCode, AppError> {
    set_packet_state(&state.store, &rid, report.state).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/admin/v1/machines/{id}/onboarding-code", tag = "admin", params(("id" = crate::openapi::ShortId, Path, description = "5-digit machine id")), responses((status = 201, description = "a new single-use code, valid 24 hours, replacing any earlier one (shown once)", body = crate::onboarding::IssuedCode), (status = 404, description = "MACHINE_UNKNOWN", body = ErrorBody)))]
pub(crate) async fn onboarding_code_http(
    _: Admin,
    State(state): State<AppState>,
    PathParam(id): PathParam,
) -> Result<(StatusCode, axum::Json<crate::onboarding::IssuedCode>), AppError> {
    let issued =
        crate::onboarding::issue_code(&state.store, &id, crate::onboarding::DEFAULT_VALIDITY_SECS)
            .await?;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

/// Query of the enrolment export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentQuery {
    /// Base URL of this server as the kit will reach it, if ever.
    server_url: Option<String>,
}

#[utoipa::path(get, path = "/admin/v1/machines/{id}/enrolment", tag = "admin",
    params(("id" = crate::openapi::ShortId, Path, description = "5-digit machine id"), EnrolmentQuery),
    responses(
        (status = 200, description = "the machine enrolment file (enrol-schema MachineEnrolment)", body = Object),
        (status = 404, description = "MACHINE_UNKNOWN, CENTRE_UNKNOWN", body = ErrorBody),
        (status = 422, description = "PIPELINE_CERTIFICATE_MISSING, OPERATORS_MISSING, SETTINGS_INVALID", body = ErrorBody)))]
pub(crate) async fn export_enrolment_http(
    _: Admin,
    State(state): State<AppState>,
    PathParam(id): PathParam,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<MachineEnrolment>, AppError> {
    let query: EnrolmentQuery = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|e| AppError::bad_request("QUERY_INVALID", e.to_string()))?;
    let enrolment = export_enrolment(&state.store, &state.key, &id, query.server_url).await?;
    Ok(axum::Json(enrolment))
}

/// The admin API under `/admin/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/centres", get(list_centres))
        .route("/admin/v1/centres/{id}", put(put_centre_http))
        .route(
            "/admin/v1/machines",
            get(list_machines).post(register_machine_http),
        )
        .route("/admin/v1/machines/{id}/approve", post(approve_machine))
        .route(
            "/admin/v1/machines/{id}/onboarding-code",
            post(onboarding_code_http),
        )
        .route(
            "/admin/v1/machines/{id}/enrolment",
            get(export_enrolment_http),
        )
        .route(
            "/admin/v1/machines/{id}/deactivate",
            post(deactivate_machine),
        )
        .route("/admin/v1/operators/{user_id}", put(put_operator_http))
        .route("/admin/v1/publications", post(publish_http))
        .route("/admin/v1/packets/{rid}/state", post(report_state))
}
