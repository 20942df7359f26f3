//! Sessions that outlive a process (CLI scripting): the database key wrapped under a random
//! session token. The wrapped key sits in `sessions/<id>.json` in the data directory; the token
//! itself is only given to the caller, so the data directory alone never opens the database.
//! A session expires after the idle timeout since its last use and is destroyed at logout.

use std::fs;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::audit::AuditAction;
use crate::client::Client;
use crate::error::Error;
use crate::fsio::create_private_dir;
use crate::seal::{hex, open_secret, random_bytes, seal, sha256_fields, unhex};
use crate::session::{Session, load_operator};
use crate::store::DbKey;

/// A session token: 256 random bits as 64 hexadecimal digits. Treat it like a password.
pub struct SessionToken(Zeroizing<String>);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl SessionToken {
    /// Parses a token as printed by `enrol login`.
    pub fn parse(text: &str) -> Result<SessionToken, Error> {
        let text = text.trim();
        match unhex(text) {
            Some(bytes) if bytes.len() == 32 => Ok(SessionToken(Zeroizing::new(text.to_owned()))),
            _ => Err(Error::NoSession),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn id(&self) -> String {
        hex(&sha256_fields(&[b"enrol-session-id", self.0.as_bytes()])[..16])
    }

    fn wrapping_key(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(sha256_fields(&[b"enrol-session-key", self.0.as_bytes()]))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    operator: String,
    created_at: i64,
    last_used_at: i64,
    wrapped_key: String,
}

fn context(id: &str, operator: &str) -> Vec<u8> {
    format!("enrol-session-v1:{id}:{operator}").into_bytes()
}

fn session_path(client: &Client, id: &str) -> PathBuf {
    client.sessions_dir().join(format!("{id}.json"))
}

/// Removes a session file; a file already gone is fine.
pub(crate) fn remove(client: &Client, id: &str) {
    let _ = fs::remove_file(session_path(client, id));
}

impl Session {
    /// Creates a session token that later processes can resume with [`Client::resume`].
    pub fn create_token(&mut self) -> Result<SessionToken, Error> {
        let token = SessionToken(Zeroizing::new(hex(&random_bytes::<32>()?)));
        let id = token.id();
        let operator = self.operator().id.clone();
        let now = self.client().now();
        let wrapped = seal(
            &token.wrapping_key(),
            &context(&id, &operator),
            self.key().bytes(),
        )?;
        let file = SessionFile {
            operator,
            created_at: now,
            last_used_at: now,
            wrapped_key: BASE64.encode(wrapped),
        };
        write_session(self.client(), &id, &file)?;
        self.set_token_id(id);
        Ok(token)
    }
}

fn write_session(client: &Client, id: &str, file: &SessionFile) -> Result<(), Error> {
    create_private_dir(&client.sessions_dir())?;
    let bytes =
        serde_json::to_vec(file).map_err(|error| Error::invalid("session", error.to_string()))?;
    client
        .options()
        .disk
        .write_atomic(&session_path(client, id), &bytes)
}

impl Client {
    /// Resumes a session created by [`Session::create_token`]: refused once it has been idle
    /// longer than the idle timeout (the file is then destroyed), or when its operator has been
    /// deactivated since.
    pub fn resume(&self, token: &SessionToken) -> Result<Session, Error> {
        let id = token.id();
        let path = session_path(self, &id);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoSession);
            }
            Err(error) => return Err(Error::io(&path, error)),
        };
        let mut file: SessionFile = serde_json::from_slice(&bytes).map_err(|_| Error::NoSession)?;
        let wrapped = BASE64
            .decode(&file.wrapped_key)
            .map_err(|_| Error::NoSession)?;
        let key = open_secret(
            &token.wrapping_key(),
            &context(&id, &file.operator),
            &wrapped,
        )
        .map(DbKey::from_secret)
        .ok_or(Error::NoSession)?;
        let now = self.now();
        let store = self.open_store(&key)?;
        let operator = load_operator(&store, &file.operator)?;
        let mut session = Session::start(self.clone(), store, key, operator, now)?;
        let timeout = self.keyring().read()?.policy.idle_timeout_secs;
        if now - file.last_used_at > i64::from(timeout) {
            remove(self, &id);
            session.append_own(AuditAction::SessionExpired, "")?;
            return Err(Error::SessionExpired(timeout));
        }
        if session.operator().status != "active" {
            remove(self, &id);
            return Err(Error::Deactivated(file.operator));
        }
        file.last_used_at = now;
        write_session(self, &id, &file)?;
        session.set_token_id(id);
        Ok(session)
    }
}
