//! A data directory before anyone logs in: where its files are, and the two ways in — an
//! operator's password (offline login against the key slot, or a first login confirmed online)
//! or a session token.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::AuditAction;
use crate::clock::{Clock, SystemClock, rfc3339};
use crate::error::Error;
use crate::fsio::Disk;
use crate::seal::KdfParams;
use crate::session::{Session, load_operator};
use crate::store::anchor::AnchorFile;
use crate::store::keyring::KeyringFile;
use crate::store::{DbKey, Store};

/// How the core reaches the outside world; tests swap the clock, the disk and the KDF cost.
#[derive(Debug, Clone)]
pub struct Options {
    pub clock: Arc<dyn Clock>,
    pub disk: Disk,
    /// Argon2id cost for new key slots.
    pub kdf: KdfParams,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            clock: Arc::new(SystemClock),
            disk: Disk::default(),
            kdf: KdfParams::DEFAULT,
        }
    }
}

/// An initialised data directory, still locked.
#[derive(Debug, Clone)]
pub struct Client {
    dir: PathBuf,
    options: Options,
    keyring: KeyringFile,
    anchor: AnchorFile,
}

/// The result of checking a password against a slot, decided under the slots file lock.
enum Attempt {
    Unlocked(DbKey),
    /// A pending slot opened: the operator's first login, to be confirmed with the server.
    FirstLogin(DbKey),
    Wrong,
    Locked(i64),
    Deactivated,
}

impl Client {
    /// Opens an initialised data directory.
    pub fn open(dir: &Path, options: Options) -> Result<Client, Error> {
        let client = Client::new(dir, options);
        if !client.keyring.exists() {
            return Err(Error::NotInitialised(dir.to_owned()));
        }
        Ok(client)
    }

    pub(crate) fn new(dir: &Path, options: Options) -> Client {
        Client {
            dir: dir.to_owned(),
            keyring: KeyringFile::new(dir, options.disk.clone()),
            anchor: AnchorFile::new(dir),
            options,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join("enrol.db")
    }

    pub(crate) fn sessions_dir(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    pub(crate) fn packets_dir(&self) -> PathBuf {
        self.dir.join("packets")
    }

    pub(crate) fn keyring(&self) -> &KeyringFile {
        &self.keyring
    }

    pub(crate) fn anchor(&self) -> &AnchorFile {
        &self.anchor
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    pub(crate) fn now(&self) -> i64 {
        self.options.clock.now()
    }

    /// Offline login: unwraps the database key from the operator's slot. Failures are counted
    /// in the slot; past the policy's limit the operator is locked for its lockout period.
    /// An operator synced from the server logs in the same way the first time: their pending
    /// slot opens, the server confirms (`Error::LoginNeedsServer` when it cannot be reached),
    /// and a normal slot replaces it for offline logins from then on.
    pub fn login(&self, operator: &str, password: &str) -> Result<Session, Error> {
        crate::session::check_operator_id(operator)?;
        let now = self.now();
        let attempt = self.keyring.update(|keyring| {
            let policy = keyring.policy;
            let Some(slot) = keyring.slots.get_mut(operator) else {
                keyring.push_event(now, operator, AuditAction::LoginFailed.code());
                return Ok(Attempt::Wrong);
            };
            if slot.deactivated {
                return Ok(Attempt::Deactivated);
            }
            if let Some(until) = slot.locked_until {
                if until > now {
                    return Ok(Attempt::Locked(until));
                }
                slot.locked_until = None;
            }
            if let Some(key) = slot.unwrap(operator, password)? {
                slot.failed_logins = 0;
                return Ok(if slot.pending {
                    Attempt::FirstLogin(key)
                } else {
                    Attempt::Unlocked(key)
                });
            }
            slot.failed_logins += 1;
            let locked_until = (slot.failed_logins >= policy.max_failures)
                .then(|| now + i64::from(policy.lockout_minutes) * 60);
            if locked_until.is_some() {
                slot.failed_logins = 0;
                slot.locked_until = locked_until;
            }
            keyring.push_event(now, operator, AuditAction::LoginFailed.code());
            if let Some(until) = locked_until {
                keyring.push_event(now, operator, AuditAction::LoginLocked.code());
                return Ok(Attempt::Locked(until));
            }
            Ok(Attempt::Wrong)
        })?;
        let key = match attempt {
            Attempt::Unlocked(key) => key,
            Attempt::FirstLogin(key) => {
                return crate::first_login::first_login(self, operator, password, key);
            }
            Attempt::Wrong => return Err(Error::WrongPassword),
            Attempt::Deactivated => return Err(Error::Deactivated(operator.to_owned())),
            Attempt::Locked(until) => {
                return Err(Error::Locked {
                    operator: operator.to_owned(),
                    until: rfc3339(until),
                });
            }
        };
        let store = self.open_store(&key)?;
        let found = load_operator(&store, operator)?;
        if found.status != "active" {
            return Err(Error::Deactivated(operator.to_owned()));
        }
        let mut session = Session::start(self.clone(), store, key, found, now)?;
        session.record_login()?;
        Ok(session)
    }

    /// Opens the store with a key that unwrapped from a slot or a session: such a key is right
    /// for this data directory, so a file that refuses it is damaged.
    pub(crate) fn open_store(&self, key: &DbKey) -> Result<Store, Error> {
        let db = self.db_path();
        if !db.exists() {
            return Err(Error::Corrupt(db));
        }
        if self.keyring.read()?.key_check != key.check_value() {
            return Err(Error::WrongKey(db));
        }
        Store::open(&db, key, &self.options.disk).map_err(|error| match error {
            Error::WrongKey(path) => Error::Corrupt(path),
            other => other,
        })
    }
}
