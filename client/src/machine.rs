//! Machine identity: `init` creates the data directory, the database, the machine's RSA-2048
//! signing key and the first supervisor — from flags or from a machine enrolment file, which
//! `onboard_online` obtains from the server with a one-time onboarding code — and the session
//! accessors give the packet builder the key, the pipeline certificate and the ids.

use std::fs;
use std::path::Path;

use argon2::PasswordVerifier;
use enrol_schema::enrolment::MachineEnrolment;
use enrol_schema::settings::RegistrationSettings;
use enrol_schema::sync::{LoginRequest, OnboardRequest};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::audit::AuditAction;
use crate::client::{Client, Options};
use crate::error::Error;
use crate::fsio::create_private_dir;
use crate::roles::{Action, Role, parse_roles};
use crate::session::{
    Operator, Session, append_audit, check_operator_id, check_password, store_operator,
    store_settings,
};
use crate::store::keyring::{AccessPolicy, Keyring, Slot};
use crate::store::{DbKey, Store};
use crate::sync::SyncError;
use crate::sync::transport::post_unsigned;

/// Trusted-key purposes.
pub const PIPELINE_CERTIFICATE: &str = "pipeline_encryption_certificate";
pub const RECEIPT_SIGNING_KEY: &str = "server_receipt_signing_key";

/// What `enrol init` needs.
#[derive(Debug, Clone)]
pub struct InitRequest {
    pub machine_id: String,
    pub centre_id: String,
    pub centre_name: String,
    pub server_url: Option<String>,
    /// The first supervisor (from the flags, or the operator of the enrolment file doing the
    /// installation).
    pub supervisor_id: String,
    pub supervisor_name: String,
    pub password: String,
    pub settings: RegistrationSettings,
    pub enrolment: Option<MachineEnrolment>,
}

impl InitRequest {
    /// A request from a machine enrolment file, installed by `supervisor_id` (listed in it).
    pub fn from_enrolment(
        enrolment: MachineEnrolment,
        supervisor_id: &str,
        password: String,
    ) -> Result<InitRequest, Error> {
        let listed = enrolment
            .operators
            .iter()
            .find(|operator| operator.id == supervisor_id)
            .ok_or_else(|| {
                Error::Enrolment(format!(
                    "operator {supervisor_id} is not listed in the file"
                ))
            })?;
        if !verify_password(&listed.password_verifier, &password) {
            return Err(Error::WrongPassword);
        }
        Ok(InitRequest {
            machine_id: enrolment.machine_id.clone(),
            centre_id: enrolment.centre_id.clone(),
            centre_name: enrolment.centre_name.clone(),
            server_url: enrolment.server_url.clone(),
            supervisor_id: supervisor_id.to_owned(),
            supervisor_name: listed.name.clone(),
            password,
            settings: enrolment.settings.clone(),
            enrolment: Some(enrolment),
        })
    }
}

/// Whether `password` matches an Argon2id PHC verifier.
pub fn verify_password(verifier: &str, password: &str) -> bool {
    argon2::PasswordHash::new(verifier).is_ok_and(|hash| {
        hash.algorithm == argon2::Algorithm::Argon2id.ident()
            && argon2::Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
    })
}

/// Initialises `dir` and returns the first supervisor's session. Nothing is left behind on
/// failure: the database files are removed and the slots file, written last, is what marks a
/// directory as initialised.
pub fn init(dir: &Path, request: &InitRequest, options: Options) -> Result<Session, Error> {
    check_request(dir, request, &options)?;
    init_with_key(dir, request, new_machine_key()?, options)
}

/// What online onboarding needs: the server, the machine the administrator created there, the
/// one-time code they gave, and the supervisor installing the machine.
#[derive(Debug, Clone)]
pub struct OnlineOnboarding {
    /// The sync server's base URL (`http://host:port`).
    pub server_url: String,
    pub machine_id: String,
    pub onboarding_code: String,
    pub supervisor_id: String,
    pub password: String,
}

/// Longest wait for the server's answer to onboarding (it checks a password with Argon2id).
const ONBOARDING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Onboards a machine online: makes its RSA key, exchanges the onboarding code, the public key
/// and the supervisor's password at `POST /v1/machines/onboard` for the machine's enrolment
/// (server key, pipeline certificate, settings, centre, operators with their verifiers), then
/// initialises `dir` from it as [`init`] does from an enrolment file. Returns the supervisor's
/// session; `Session::sync` then brings the published configuration and the operators.
pub fn onboard_online(
    dir: &Path,
    request: &OnlineOnboarding,
    options: Options,
) -> Result<Session, Error> {
    if request.machine_id.len() != 5 || !request.machine_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(
            "machine id",
            "use 5 digits (MOSIP RID layout)",
        ));
    }
    if request.onboarding_code.trim().is_empty() {
        return Err(Error::OnboardingCodeInvalid);
    }
    check_operator_id(&request.supervisor_id)?;
    check_password(&request.password)?;
    if Client::new(dir, options.clone()).keyring().exists() {
        return Err(Error::AlreadyInitialised(dir.to_owned()));
    }
    let signing_key = new_machine_key()?;
    let onboard = OnboardRequest {
        machine_id: request.machine_id.clone(),
        code: request.onboarding_code.clone(),
        public_key_pem: crate::packet::public_key_pem(&signing_key.to_public_key())?,
        supervisor: LoginRequest {
            user_id: request.supervisor_id.clone(),
            password: request.password.clone(),
        },
    };
    let body = serde_json::to_vec(&onboard).map_err(|e| Error::ServerAnswer(e.to_string()))?;
    let server_url = request.server_url.trim().trim_end_matches('/').to_owned();
    let answer = post_unsigned(
        &server_url,
        "/v1/machines/onboard",
        &body,
        ONBOARDING_TIMEOUT,
    )?;
    if !answer.is_success() {
        return Err(match answer.failure(options.clock.now()) {
            SyncError::Refused { code, .. } if code == "OPERATOR_INACTIVE" => {
                Error::Deactivated(request.supervisor_id.clone())
            }
            other => other.into(),
        });
    }
    let mut enrolment = MachineEnrolment::from_json(&answer.body)
        .map_err(|error| Error::ServerAnswer(error.to_string()))?;
    if enrolment.machine_id != request.machine_id {
        return Err(Error::ServerAnswer(format!(
            "the enrolment is for machine {}",
            enrolment.machine_id
        )));
    }
    enrolment.server_url = Some(server_url);
    let init_request =
        InitRequest::from_enrolment(enrolment, &request.supervisor_id, request.password.clone())?;
    check_request(dir, &init_request, &options)?;
    init_with_key(dir, &init_request, signing_key, options)
}

fn new_machine_key() -> Result<RsaPrivateKey, Error> {
    RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|_| Error::Crypto("RSA key generation failed"))
}

/// What [`init`] checks before it creates anything.
fn check_request(dir: &Path, request: &InitRequest, options: &Options) -> Result<(), Error> {
    check_ids(request)?;
    check_operator_id(&request.supervisor_id)?;
    check_password(&request.password)?;
    request
        .settings
        .check()
        .map_err(|error| Error::invalid("settings", error.to_string()))?;
    if Client::new(dir, options.clone()).keyring().exists() {
        return Err(Error::AlreadyInitialised(dir.to_owned()));
    }
    Ok(())
}

fn init_with_key(
    dir: &Path,
    request: &InitRequest,
    signing_key: RsaPrivateKey,
    options: Options,
) -> Result<Session, Error> {
    create_private_dir(dir)?;
    let client = Client::new(dir, options);
    if client.keyring().exists() {
        return Err(Error::AlreadyInitialised(dir.to_owned()));
    }
    set_aside_orphaned_database(&client, client.now())?;
    let key = DbKey::generate()?;
    let slot = Slot::wrap(
        &request.supervisor_id,
        &request.password,
        &key,
        client.options().kdf,
    )?;
    let now = client.now();
    let result = populate(&client, request, &key, &signing_key, slot, now);
    match result {
        Ok(store) => {
            let supervisor = crate::session::load_operator(&store, &request.supervisor_id)?;
            Session::start(client, store, key, supervisor, now)
        }
        Err(error) => {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = fs::remove_file(format!("{}{suffix}", client.db_path().display()));
            }
            let _ = fs::remove_file(client.anchor().path());
            Err(error)
        }
    }
}

/// A database without a slots file is what an `init` killed before its end leaves: no key opens
/// it any more. It is renamed (never deleted), with the audit anchor written for it, so that the
/// new `init` can proceed.
fn set_aside_orphaned_database(client: &Client, stamp: i64) -> Result<(), Error> {
    let db = client.db_path();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let from = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            let to = format!("{}.orphaned-{stamp}{suffix}", db.display());
            fs::rename(&from, &to).map_err(|error| Error::io(&from, error))?;
        }
    }
    let anchor = client.anchor().path();
    if anchor.exists() {
        let to = format!("{}.orphaned-{stamp}", anchor.display());
        fs::rename(anchor, &to).map_err(|error| Error::io(anchor, error))?;
    }
    Ok(())
}

fn populate(
    client: &Client,
    request: &InitRequest,
    key: &DbKey,
    signing_key: &RsaPrivateKey,
    slot: Slot,
    now: i64,
) -> Result<Store, Error> {
    let mut store = Store::create(&client.db_path(), key, &client.options().disk)?;
    let pkcs8 = signing_key
        .to_pkcs8_der()
        .map_err(|_| Error::Crypto("cannot encode the machine key"))?;
    let spki = signing_key
        .to_public_key()
        .to_public_key_der()
        .map_err(|_| Error::Crypto("cannot encode the machine public key"))?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO machine (singleton, machine_id, centre_id, centre_name, server_url,
                              signing_key_pkcs8, public_key_spki, created_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            request.machine_id,
            request.centre_id,
            request.centre_name,
            request.server_url,
            pkcs8.as_bytes(),
            spki.as_bytes(),
            now
        ],
    )?;
    store_settings(&tx, &request.settings)?;
    append_audit(
        &tx,
        now,
        "system",
        AuditAction::MachineInit.code(),
        &request.machine_id,
    )?;
    let supervisor_roles = match &request.enrolment {
        Some(enrolment) => enrolment_roles(enrolment, &request.supervisor_id)?,
        None => vec![Role::Supervisor],
    };
    if !supervisor_roles.contains(&Role::Supervisor)
        && !supervisor_roles.contains(&Role::Administrator)
    {
        return Err(Error::Enrolment(format!(
            "{} must be a supervisor or an administrator to install the machine",
            request.supervisor_id
        )));
    }
    let supervisor = Operator {
        id: request.supervisor_id.clone(),
        name: request.supervisor_name.clone(),
        roles: supervisor_roles,
        status: "active".into(),
    };
    store_operator(&tx, &supervisor, None, now)?;
    let mut head = append_audit(
        &tx,
        now,
        "system",
        AuditAction::OperatorAdded.code(),
        &supervisor.id,
    )?;
    if let Some(enrolment) = &request.enrolment {
        for (purpose, pem) in [
            (PIPELINE_CERTIFICATE, &enrolment.pipeline_certificate_pem),
            (RECEIPT_SIGNING_KEY, &enrolment.receipt_signing_key_pem),
        ] {
            tx.execute(
                "INSERT INTO trusted_keys (purpose, pem, updated_at) VALUES (?1, ?2, ?3)",
                params![purpose, pem, now],
            )?;
        }
        for (kind, version) in [
            ("identity_schema", &enrolment.versions.identity_schema),
            ("ui_spec", &enrolment.versions.ui_spec),
            ("master_data", &enrolment.versions.master_data),
        ] {
            tx.execute(
                "INSERT INTO config_cache (kind, name, version, body, updated_at)
                 VALUES (?1, 'default', ?2, NULL, ?3)",
                params![kind, version, now],
            )?;
        }
        for listed in enrolment.operators.iter().filter(|o| o.id != supervisor.id) {
            check_operator_id(&listed.id)?;
            let pending = Operator {
                id: listed.id.clone(),
                name: listed.name.clone(),
                roles: enrolment_roles(enrolment, &listed.id)?,
                status: "pending".into(),
            };
            store_operator(&tx, &pending, Some(&listed.password_verifier), now)?;
            head = append_audit(
                &tx,
                now,
                "system",
                AuditAction::OperatorAdded.code(),
                &pending.id,
            )?;
        }
    }
    tx.commit()?;
    let mut keyring = Keyring::new(
        key,
        AccessPolicy {
            max_failures: request.settings.login_lockout.max_failures,
            lockout_minutes: request.settings.login_lockout.lockout_minutes,
            idle_timeout_secs: request.settings.idle.timeout_secs,
        },
    );
    keyring.slots.insert(supervisor.id.clone(), slot);
    client.anchor().advance(head)?;
    client.keyring().create(&keyring)?;
    Ok(store)
}

/// The machine key as stored (callers check who may use it).
pub(crate) fn stored_signing_key(store: &Store) -> Result<RsaPrivateKey, Error> {
    let der: Vec<u8> =
        store
            .conn()
            .query_row("SELECT signing_key_pkcs8 FROM machine", [], |row| {
                row.get(0)
            })?;
    RsaPrivateKey::from_pkcs8_der(&der)
        .map_err(|_| Error::Crypto("the stored machine key is unreadable"))
}

fn enrolment_roles(enrolment: &MachineEnrolment, id: &str) -> Result<Vec<Role>, Error> {
    let listed = enrolment
        .operators
        .iter()
        .find(|operator| operator.id == id)
        .ok_or_else(|| Error::Enrolment(format!("operator {id} is not listed")))?;
    parse_roles(&listed.roles.join(",")).map_err(Error::Enrolment)
}

fn check_ids(request: &InitRequest) -> Result<(), Error> {
    for (value, field) in [
        (&request.machine_id, "machine id"),
        (&request.centre_id, "centre id"),
    ] {
        if value.len() != 5 || !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(field, "use 5 digits (MOSIP RID layout)"));
        }
    }
    if request.centre_name.trim().is_empty() || request.centre_name.len() > 200 {
        return Err(Error::invalid("centre name", "use 1 to 200 characters"));
    }
    Ok(())
}

/// The machine's public identity.
#[derive(Debug, Clone, Serialize)]
pub struct MachineInfo {
    pub machine_id: String,
    pub centre_id: String,
    pub centre_name: String,
    pub server_url: Option<String>,
    /// DER SubjectPublicKeyInfo of the machine's signing key.
    #[serde(skip)]
    pub public_key_spki: Vec<u8>,
    pub created_at: i64,
}

impl Session {
    /// The machine's ids and public key.
    pub fn machine(&self) -> Result<MachineInfo, Error> {
        Ok(self.store().conn().query_row(
            "SELECT machine_id, centre_id, centre_name, server_url, public_key_spki, created_at
             FROM machine",
            [],
            |row| {
                Ok(MachineInfo {
                    machine_id: row.get(0)?,
                    centre_id: row.get(1)?,
                    centre_name: row.get(2)?,
                    server_url: row.get(3)?,
                    public_key_spki: row.get(4)?,
                    created_at: row.get(5)?,
                })
            },
        )?)
    }

    /// Sets the sync server's address (supervisors and administrators); an empty address
    /// removes it (a field kit that syncs by USB drive only). Audited; returns the machine.
    pub fn set_server_url(&mut self, url: &str) -> Result<MachineInfo, Error> {
        self.authorize(Action::ManageOperators)?;
        let url = url.trim().trim_end_matches('/');
        let host = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        let valid = url.is_empty()
            || (host.is_some_and(|host| !host.is_empty())
                && url.len() <= 2048
                && !url.chars().any(|c| c.is_whitespace() || c.is_control()));
        if !valid {
            return Err(Error::invalid(
                "server address",
                "use http://host:port or https://host, or nothing for no server",
            ));
        }
        let stored = (!url.is_empty()).then(|| url.to_owned());
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute("UPDATE machine SET server_url = ?1", [&stored])?;
            append_audit(
                tx,
                now,
                &actor,
                AuditAction::ServerChanged.code(),
                stored.as_deref().unwrap_or(""),
            )
        })?;
        self.machine()
    }

    /// The machine's RSA-2048 signing key, for signing packets (operators registering) and
    /// sync requests.
    pub fn machine_signing_key(&mut self) -> Result<RsaPrivateKey, Error> {
        self.authorize_any(&[Action::Register, Action::Sync])?;
        stored_signing_key(self.store())
    }

    /// A trusted key or certificate by purpose ([`PIPELINE_CERTIFICATE`], [`RECEIPT_SIGNING_KEY`]).
    pub fn trusted_key(&self, purpose: &str) -> Result<Option<String>, Error> {
        Ok(self
            .store()
            .conn()
            .query_row(
                "SELECT pem FROM trusted_keys WHERE purpose = ?1",
                [purpose],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Passes when any of `actions` is permitted.
    pub fn authorize_any(&mut self, actions: &[Action]) -> Result<(), Error> {
        let mut last = None;
        for action in actions {
            match self.authorize(*action) {
                Ok(()) => return Ok(()),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or(Error::NoSession))
    }
}

impl Session {
    /// Installs the pipeline's encryption certificate (normally received by sync), which every
    /// new packet is encrypted to. Supervisors and administrators only.
    pub fn trust_pipeline_certificate(&mut self, pem: &str) -> Result<(), Error> {
        self.authorize(Action::ManageOperators)?;
        crate::packet::PipelineCertificate::from_pem(pem)?;
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "INSERT INTO trusted_keys (purpose, pem, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (purpose) DO UPDATE SET pem = excluded.pem,
                                                     updated_at = excluded.updated_at",
                params![PIPELINE_CERTIFICATE, pem, now],
            )?;
            append_audit(
                tx,
                now,
                &actor,
                AuditAction::TrustedKeyChanged.code(),
                PIPELINE_CERTIFICATE,
            )
        })?;
        Ok(())
    }
}
