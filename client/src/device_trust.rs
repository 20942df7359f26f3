//! The device-provider CAs this machine trusts, kept in the encrypted store so that the desktop
//! app (which has no `--trusted-ca` flag) finds and captures from the same devices as the CLI,
//! and device discovery against them.

use rusqlite::params;

use crate::audit::AuditAction;
use crate::error::Error;
use crate::roles::Action;
use crate::sbi::{self, Discovery, DiscoveryOptions, TrustedCas};
use crate::session::{Session, append_audit};

/// The trusted keys row holding the device-provider CA certificates (one PEM text).
pub const DEVICE_PROVIDER_CAS: &str = "device_provider_cas";

impl Session {
    /// Trusts the device-provider CA certificates of `pem` in place of those trusted before
    /// (supervisors); returns how many certificates it holds. Audited.
    pub fn trust_device_providers(&mut self, pem: &str) -> Result<usize, Error> {
        self.authorize(Action::ManageOperators)?;
        let count = TrustedCas::none().add_pem(pem)?;
        let actor = self.operator().id.clone();
        self.write(|tx, now| {
            tx.execute(
                "INSERT INTO trusted_keys (purpose, pem, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (purpose) DO UPDATE SET pem = excluded.pem,
                                                     updated_at = excluded.updated_at",
                params![DEVICE_PROVIDER_CAS, pem, now],
            )?;
            append_audit(
                tx,
                now,
                &actor,
                AuditAction::TrustedKeyChanged.code(),
                DEVICE_PROVIDER_CAS,
            )
        })?;
        Ok(count)
    }

    /// The device-provider CAs devices must chain to: those a supervisor set here and those
    /// the server published (`device-ca`); none means every device is listed as untrusted.
    pub fn trusted_device_providers(&mut self) -> Result<TrustedCas, Error> {
        self.authorize(Action::Register)?;
        let mut trusted = TrustedCas::none();
        if let Some(pem) = self.trusted_key(DEVICE_PROVIDER_CAS)? {
            trusted.add_pem(&pem)?;
        }
        for pem in self.device_cas()? {
            trusted.add_pem(&pem)?;
        }
        Ok(trusted)
    }

    /// Every SBI device on `options.ports`, judged against the trusted device providers.
    pub fn discover_devices(&mut self, options: &DiscoveryOptions) -> Result<Discovery, Error> {
        let trusted = self.trusted_device_providers()?;
        Ok(sbi::discover(options, &trusted))
    }
}
