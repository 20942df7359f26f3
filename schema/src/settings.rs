//! Registration settings: capture quality, retries, age groups, lockout, idle timeout, offline
//! freeze limits, retention and size limits, with MOSIP's defaults.
//!
//! Every struct is `#[serde(default)]`, so a TOML or JSON file only needs the values it changes;
//! unknown keys are refused so that a typo does not silently fall back to a default.

use serde::{Deserialize, Serialize};

/// All the knobs a registration client reads; `Default` gives MOSIP's defaults
/// (`../shared/reference/mosip-registration-client.md` §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationSettings {
    pub quality: QualityThresholds,
    pub retries: CaptureRetries,
    /// Age groups by completed years, checked in order; MOSIP: INFANT 0–5, MINOR 6–17, ADULT 18–200.
    pub age_groups: Vec<AgeGroup>,
    pub login_lockout: LoginLockout,
    pub idle: IdleTimeout,
    pub freeze: FreezeLimits,
    pub retention: Retention,
    /// Largest accepted document scan (MOSIP `mosip.registration.document_size`).
    pub max_document_size_bytes: u64,
    /// Largest packet the packet receiver accepts (MOSIP `registration.processor.max.file.size`).
    pub max_packet_size_bytes: u64,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            quality: QualityThresholds::default(),
            retries: CaptureRetries::default(),
            age_groups: vec![
                AgeGroup::new("INFANT", 0, 5),
                AgeGroup::new("MINOR", 6, 17),
                AgeGroup::new("ADULT", 18, 200),
            ],
            login_lockout: LoginLockout::default(),
            idle: IdleTimeout::default(),
            freeze: FreezeLimits::default(),
            retention: Retention::default(),
            max_document_size_bytes: 2_000_000,
            max_packet_size_bytes: 5 * 1024 * 1024,
        }
    }
}

impl RegistrationSettings {
    /// The name of the age group holding `age_years` completed years, if any.
    pub fn age_group(&self, age_years: u32) -> Option<&str> {
        self.age_groups
            .iter()
            .find(|group| (group.min_years..=group.max_years).contains(&age_years))
            .map(|group| group.name.as_str())
    }

    /// Checks the values that serde cannot: ordered ranges and a warning before the timeout.
    pub fn check(&self) -> Result<(), SettingsError> {
        for group in &self.age_groups {
            if group.min_years > group.max_years {
                return Err(SettingsError::AgeGroupRange(group.name.clone()));
            }
        }
        for (i, a) in self.age_groups.iter().enumerate() {
            for b in &self.age_groups[i + 1..] {
                if a.min_years <= b.max_years && b.min_years <= a.max_years {
                    return Err(SettingsError::AgeGroupOverlap(
                        a.name.clone(),
                        b.name.clone(),
                    ));
                }
            }
        }
        if self.idle.warning_secs >= self.idle.timeout_secs {
            return Err(SettingsError::IdleWarning);
        }
        for (name, value) in [
            ("quality.slap", self.quality.slap),
            ("quality.thumb", self.quality.thumb),
            ("quality.iris", self.quality.iris),
            ("quality.face", self.quality.face),
        ] {
            if value > 100 {
                return Err(SettingsError::QualityRange(name));
            }
        }
        Ok(())
    }
}

/// Why a settings file is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("age group {0} has min_years above max_years")]
    AgeGroupRange(String),
    #[error("age groups {0} and {1} overlap")]
    AgeGroupOverlap(String, String),
    #[error("idle warning must come before the idle timeout")]
    IdleWarning,
    #[error("{0} must be a score from 0 to 100")]
    QualityRange(&'static str),
}

impl SettingsError {
    /// Stable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::AgeGroupRange(_) => "SETTINGS_AGE_GROUP_RANGE",
            SettingsError::AgeGroupOverlap(..) => "SETTINGS_AGE_GROUP_OVERLAP",
            SettingsError::IdleWarning => "SETTINGS_IDLE_WARNING",
            SettingsError::QualityRange(_) => "SETTINGS_QUALITY_RANGE",
        }
    }
}

/// Minimum capture quality score (0–100) per modality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityThresholds {
    /// Four-finger slaps (left, right).
    pub slap: u8,
    /// Two-thumb capture.
    pub thumb: u8,
    pub iris: u8,
    pub face: u8,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        QualityThresholds {
            slap: 40,
            thumb: 40,
            iris: 60,
            face: 90,
        }
    }
}

/// How many captures an operator may attempt per modality before accepting or excepting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptureRetries {
    pub finger: u8,
    pub iris: u8,
    pub face: u8,
}

impl Default for CaptureRetries {
    fn default() -> Self {
        CaptureRetries {
            finger: 3,
            iris: 3,
            face: 3,
        }
    }
}

/// A named age band, inclusive on both ends, in completed years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeGroup {
    pub name: String,
    pub min_years: u32,
    pub max_years: u32,
}

impl AgeGroup {
    pub fn new(name: &str, min_years: u32, max_years: u32) -> AgeGroup {
        AgeGroup {
            name: name.to_owned(),
            min_years,
            max_years,
        }
    }
}

/// Operator lockout after failed logins. Default follows MOSIP FRS 1.1.5 (5 failures, 30
/// minutes); MOSIP's shipped properties use 50 failures and 2 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginLockout {
    pub max_failures: u32,
    pub lockout_minutes: u32,
}

impl Default for LoginLockout {
    fn default() -> Self {
        LoginLockout {
            max_failures: 5,
            lockout_minutes: 30,
        }
    }
}

/// Session idle logout and the warning shown before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdleTimeout {
    pub timeout_secs: u32,
    pub warning_secs: u32,
}

impl Default for IdleTimeout {
    fn default() -> Self {
        IdleTimeout {
            timeout_secs: 900,
            warning_secs: 600,
        }
    }
}

/// Offline limits past which the client refuses to start a new registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreezeLimits {
    pub max_pending_approval_packets: u32,
    pub max_days_pending_approval: u32,
    pub max_unexported_approved_packets: u32,
    pub max_days_since_export: u32,
    pub max_days_since_last_sync: u32,
}

impl Default for FreezeLimits {
    fn default() -> Self {
        FreezeLimits {
            max_pending_approval_packets: 100,
            max_days_pending_approval: 50,
            max_unexported_approved_packets: 70,
            max_days_since_export: 100,
            max_days_since_last_sync: 190,
        }
    }
}

/// How long local records are kept once they are no longer needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Audit entries are deleted this many days after they were synced.
    pub audit_days: u32,
    /// Packets are deleted this many days after the server reports them processed.
    pub processed_packet_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            audit_days: 10,
            processed_packet_days: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_json_and_are_consistent() {
        let settings = RegistrationSettings::default();
        let json = serde_json::to_string(&settings).unwrap();
        let back: RegistrationSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, settings);
        assert_eq!(settings.check(), Ok(()));
        assert_eq!(settings.quality.face, 90);
        assert_eq!(settings.freeze.max_days_since_last_sync, 190);
        assert_eq!(settings.max_packet_size_bytes, 5_242_880);
    }

    #[test]
    fn partial_file_keeps_defaults_and_unknown_keys_are_refused() {
        let partial: RegistrationSettings =
            serde_json::from_str(r#"{"quality": {"iris": 70}, "idle": {"timeout_secs": 1200}}"#)
                .unwrap();
        assert_eq!(partial.quality.iris, 70);
        assert_eq!(partial.quality.slap, 40);
        assert_eq!(partial.idle.warning_secs, 600);
        assert_eq!(partial.retention, Retention::default());
        let typo = serde_json::from_str::<RegistrationSettings>(r#"{"qualty": {}}"#);
        assert!(typo.unwrap_err().to_string().contains("unknown field"));
    }

    #[test]
    fn age_groups_follow_mosip_ranges() {
        let settings = RegistrationSettings::default();
        for (age, group) in [
            (0, "INFANT"),
            (5, "INFANT"),
            (6, "MINOR"),
            (17, "MINOR"),
            (18, "ADULT"),
        ] {
            assert_eq!(settings.age_group(age), Some(group), "age {age}");
        }
        assert_eq!(settings.age_group(201), None);
    }

    #[test]
    fn inconsistent_settings_are_reported_with_a_code() {
        let mut overlapping = RegistrationSettings::default();
        overlapping.age_groups[1].min_years = 5;
        assert_eq!(
            overlapping.check().unwrap_err().code(),
            "SETTINGS_AGE_GROUP_OVERLAP"
        );
        let mut late_warning = RegistrationSettings::default();
        late_warning.idle.warning_secs = 900;
        assert_eq!(
            late_warning.check().unwrap_err().code(),
            "SETTINGS_IDLE_WARNING"
        );
        let mut quality = RegistrationSettings::default();
        quality.quality.iris = 101;
        assert_eq!(
            quality.check().unwrap_err().code(),
            "SETTINGS_QUALITY_RANGE"
        );
    }
}
