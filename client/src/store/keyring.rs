//! The key slots file (`keyring.json`), kept next to the database and outside it: one slot per
//! operator holding the database key wrapped (AES-256-GCM) under a key derived from the
//! operator's password (Argon2id, per-slot salt, parameters stored with the slot), plus what must
//! be known while the database is still locked: failed-login counters and lockouts, the access
//! policy, failed-login audit events waiting for the next unlock, and the audit retention base.
//! (The audit head has a file of its own, [`super::anchor`].)
//!
//! A *pending* slot serves an operator synced from the server before their first login: the key
//! is wrapped under their server verifier's hash, i.e. Argon2id of their password with the
//! verifier's salt and cost, so only their password opens it, at the same guessing cost.
//!
//! Every change is a locked read-modify-write replaced atomically on disk.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::audit::AuditHead;
use crate::error::Error;
use crate::fsio::Disk;
use crate::seal::{Argon2idVerifier, KdfParams, derive_key, open_secret, random_bytes, seal};
use crate::store::DbKey;

/// The file format version.
const FORMAT: u32 = 1;
/// Failed-login events kept while the database is locked; older ones are counted, not kept.
const MAX_PENDING_EVENTS: usize = 1000;

/// What the slots file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyring {
    pub format: u32,
    /// Fingerprint of the database key this file wraps ([`DbKey::check_value`]).
    pub key_check: String,
    pub policy: AccessPolicy,
    pub slots: BTreeMap<String, Slot>,
    /// The audit head as data directories recorded it before the anchor file; never written now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<AuditHead>,
    /// The last audit entry removed by retention: the kept log continues from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_base: Option<AuditHead>,
    pub pending_events: Vec<PendingEvent>,
    pub dropped_events: u64,
}

/// The part of the settings needed before the database is unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicy {
    pub max_failures: u32,
    pub lockout_minutes: u32,
    pub idle_timeout_secs: u32,
}

/// One operator's key slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub kdf: KdfParams,
    /// Base64 Argon2id salt.
    pub salt: String,
    /// Base64 `nonce || AES-256-GCM(database key) || tag`; absent once deactivated.
    pub wrapped_key: Option<String>,
    pub deactivated: bool,
    pub failed_logins: u32,
    pub locked_until: Option<i64>,
    /// A first-login slot made from the server's verifier; replaced by a normal slot at the
    /// operator's first login.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// An audit event that happened while the database was locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingEvent {
    pub at: i64,
    pub actor: String,
    pub action: String,
}

impl Keyring {
    pub fn new(key: &DbKey, policy: AccessPolicy) -> Keyring {
        Keyring {
            format: FORMAT,
            key_check: key.check_value(),
            policy,
            slots: BTreeMap::new(),
            audit_head: None,
            audit_base: None,
            pending_events: Vec::new(),
            dropped_events: 0,
        }
    }

    /// Records an audit event for the next unlock, bounded.
    pub fn push_event(&mut self, at: i64, actor: &str, action: &str) {
        if self.pending_events.len() >= MAX_PENDING_EVENTS {
            self.dropped_events += 1;
            return;
        }
        self.pending_events.push(PendingEvent {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
        });
    }
}

impl Slot {
    /// A new slot wrapping `key` for `operator` under `password`.
    pub fn wrap(
        operator: &str,
        password: &str,
        key: &DbKey,
        kdf: KdfParams,
    ) -> Result<Slot, Error> {
        let salt = random_bytes::<16>()?;
        let wrapping = derive_key(password, &salt, kdf)?;
        let wrapped = seal(&wrapping, &slot_context(operator), key.bytes())?;
        Ok(Slot {
            kdf,
            salt: BASE64.encode(salt),
            wrapped_key: Some(BASE64.encode(wrapped)),
            deactivated: false,
            failed_logins: 0,
            locked_until: None,
            pending: false,
        })
    }

    /// A first-login slot wrapping `key` for `operator` under their server `verifier`: its hash
    /// is the Argon2id key of their password, so their first login opens it as a normal slot.
    pub fn pending(
        operator: &str,
        verifier: &Argon2idVerifier,
        key: &DbKey,
    ) -> Result<Slot, Error> {
        let wrapped = seal(&verifier.hash, &pending_context(operator), key.bytes())?;
        Ok(Slot {
            kdf: verifier.kdf,
            salt: BASE64.encode(&verifier.salt),
            wrapped_key: Some(BASE64.encode(wrapped)),
            deactivated: false,
            failed_logins: 0,
            locked_until: None,
            pending: true,
        })
    }

    /// Whether this is the pending slot made from `verifier` (same salt and cost).
    pub fn is_pending_for(&self, verifier: &Argon2idVerifier) -> bool {
        self.pending
            && self.wrapped_key.is_some()
            && self.kdf == verifier.kdf
            && self.salt == BASE64.encode(&verifier.salt)
    }

    /// The database key, when `password` is right. The operator id is bound to the sealed key,
    /// so a slot copied under another operator's id does not open.
    pub fn unwrap(&self, operator: &str, password: &str) -> Result<Option<DbKey>, Error> {
        let Some(wrapped) = &self.wrapped_key else {
            return Ok(None);
        };
        let malformed =
            |what: &str| Error::KeyringMalformed(format!("slot {operator}: bad {what}"));
        let salt = BASE64.decode(&self.salt).map_err(|_| malformed("salt"))?;
        let wrapped = BASE64
            .decode(wrapped)
            .map_err(|_| malformed("wrapped key"))?;
        let wrapping = derive_key(password, &salt, self.kdf)?;
        let context = if self.pending {
            pending_context(operator)
        } else {
            slot_context(operator)
        };
        Ok(open_secret(&wrapping, &context, &wrapped).map(DbKey::from_secret))
    }
}

fn slot_context(operator: &str) -> Vec<u8> {
    format!("enrol-slot-v1:{operator}").into_bytes()
}

fn pending_context(operator: &str) -> Vec<u8> {
    format!("enrol-pending-slot-v1:{operator}").into_bytes()
}

/// The slots file of one data directory.
#[derive(Debug, Clone)]
pub struct KeyringFile {
    path: PathBuf,
    lock_path: PathBuf,
    disk: Disk,
}

impl KeyringFile {
    pub fn new(dir: &Path, disk: Disk) -> KeyringFile {
        KeyringFile {
            path: dir.join("keyring.json"),
            lock_path: dir.join("keyring.lock"),
            disk,
        }
    }

    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Reads the file without taking the lock (a consistent snapshot thanks to atomic renames).
    pub fn read(&self) -> Result<Keyring, Error> {
        let bytes = fs::read(&self.path).map_err(|error| Error::io(&self.path, error))?;
        let keyring: Keyring = serde_json::from_slice(&bytes)
            .map_err(|error| Error::KeyringMalformed(error.to_string()))?;
        if keyring.format != FORMAT {
            return Err(Error::KeyringMalformed(format!(
                "format {} is not supported",
                keyring.format
            )));
        }
        Ok(keyring)
    }

    /// Writes a brand-new file; fails if one exists.
    pub fn create(&self, keyring: &Keyring) -> Result<(), Error> {
        let _lock = self.lock()?;
        if self.exists() {
            return Err(Error::AlreadyInitialised(self.path.clone()));
        }
        self.write(keyring)
    }

    /// Applies `change` under the file lock and writes the result if it differs.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Keyring) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let _lock = self.lock()?;
        let before = self.read()?;
        let mut after = before.clone();
        let result = change(&mut after)?;
        if after != before {
            self.write(&after)?;
        }
        Ok(result)
    }

    fn write(&self, keyring: &Keyring) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(keyring)
            .map_err(|error| Error::KeyringMalformed(error.to_string()))?;
        self.disk.write_atomic(&self.path, &bytes)
    }

    fn lock(&self) -> Result<File, Error> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&self.lock_path)
            .map_err(|error| Error::io(&self.lock_path, error))?;
        file.lock()
            .map_err(|error| Error::io(&self.lock_path, error))?;
        Ok(file)
    }
}
