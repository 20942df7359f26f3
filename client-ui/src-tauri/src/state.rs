//! What the app holds between commands: the data directory, the logged-in session, the open
//! registration with its form, and the SBI devices found by the last discovery.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use enrol_client::registration::{Form, Registration};
use enrol_client::sbi::FoundDevice;
use enrol_client::{Client, Error, Options, Session};

use crate::error::CommandError;

/// The data directory: `$ENROL_HOME`, else `~/.local/share/enrol` (the same default as `enrol`).
pub fn data_dir_from_env() -> PathBuf {
    if let Some(dir) = std::env::var_os("ENROL_HOME") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/enrol")
}

/// Where SBI devices are looked for and how long one capture may take:
/// `$ENROL_SBI_PORTS` (`FIRST-LAST`, default 4501-4600, the SBI range) and
/// `$ENROL_SBI_CAPTURE_TIMEOUT` (seconds, default 30).
#[derive(Debug, Clone)]
pub struct SbiSettings {
    pub ports: RangeInclusive<u16>,
    pub capture_timeout: Duration,
}

impl SbiSettings {
    pub fn from_env() -> SbiSettings {
        let var = |name: &str| std::env::var(name).ok();
        SbiSettings {
            ports: var("ENROL_SBI_PORTS")
                .and_then(|text| parse_ports(&text))
                .unwrap_or(enrol_client::sbi::discovery::PORTS),
            capture_timeout: Duration::from_secs(
                var("ENROL_SBI_CAPTURE_TIMEOUT")
                    .and_then(|text| text.trim().parse().ok())
                    .filter(|secs| (1..=600).contains(secs))
                    .unwrap_or(30),
            ),
        }
    }
}

/// `FIRST-LAST` or a single port.
fn parse_ports(text: &str) -> Option<RangeInclusive<u16>> {
    let (first, last) = text.split_once('-').unwrap_or((text, text));
    let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    (0 < first && first <= last).then_some(first..=last)
}

/// The registration being worked on and the form it is checked against.
pub struct OpenRegistration {
    pub registration: Registration,
    pub form: Form,
}

/// Shared by every command through `tauri::State`.
pub struct AppState {
    pub dir: PathBuf,
    pub sbi: SbiSettings,
    session: Mutex<Option<Session>>,
    registration: Mutex<Option<OpenRegistration>>,
    devices: Mutex<Vec<FoundDevice>>,
}

impl AppState {
    pub fn new(dir: PathBuf, sbi: SbiSettings) -> AppState {
        AppState {
            dir,
            sbi,
            session: Mutex::new(None),
            registration: Mutex::new(None),
            devices: Mutex::new(Vec::new()),
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

impl AppState {
    /// The open registration slot (taken after the session's when both are held).
    pub fn registration(&self) -> MutexGuard<'_, Option<OpenRegistration>> {
        self.registration
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `call` on the session and the open registration, which must be the acting
    /// operator's: `AUTH_NO_SESSION` without a session, `DRAFT_NOT_FOUND` without one open.
    pub fn with_registration<T>(
        &self,
        call: impl FnOnce(&mut Session, &mut OpenRegistration) -> Result<T, Error>,
    ) -> Result<T, CommandError> {
        let mut session = self.session();
        let session = session.as_mut().ok_or(Error::NoSession)?;
        let mut slot = self.registration();
        let open = slot
            .as_mut()
            .filter(|open| open.registration.operator_id == session.operator().id)
            .ok_or_else(|| {
                Error::from(
                    enrol_client::registration::RegistrationError::DraftNotFound("open".into()),
                )
            })?;
        Ok(call(session, open)?)
    }

    /// Replaces the devices of the last discovery.
    pub fn keep_devices(&self, devices: Vec<FoundDevice>) {
        *self.devices.lock().unwrap_or_else(PoisonError::into_inner) = devices;
    }

    /// A device of the last discovery; `SBI_NOT_DISCOVERED` when it was not found.
    pub fn device(&self, port: u16, device_id: &str) -> Result<FoundDevice, CommandError> {
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|device| device.port == port && device.info.device_id == device_id)
            .cloned()
            .ok_or_else(|| {
                Error::from(enrol_client::sbi::SbiError::NotDiscovered {
                    device_id: device_id.chars().take(64).collect(),
                })
                .into()
            })
    }
}
