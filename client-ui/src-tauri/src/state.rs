//! What the app holds between commands: the data directory and the logged-in session, if any.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use enrol_client::{Client, Error, Options, Session};

/// The data directory: `$ENROL_HOME`, else `~/.local/share/enrol` (the same default as `enrol`).
pub fn data_dir_from_env() -> PathBuf {
    if let Some(dir) = std::env::var_os("ENROL_HOME") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/enrol")
}

/// Shared by every command through `tauri::State`.
pub struct AppState {
    pub dir: PathBuf,
    session: Mutex<Option<Session>>,
}

impl AppState {
    pub fn new(dir: PathBuf) -> AppState {
        AppState {
            dir,
            session: Mutex::new(None),
        }
    }

    /// The data directory, opened (still locked).
    pub fn client(&self) -> Result<Client, Error> {
        Client::open(&self.dir, Options::default())
    }

    /// The session slot; a command that panicked while holding it leaves no session behind.
    pub fn session(&self) -> MutexGuard<'_, Option<Session>> {
        self.session.lock().unwrap_or_else(|poisoned| {
            let mut slot = poisoned.into_inner();
            *slot = None;
            slot
        })
    }
}
