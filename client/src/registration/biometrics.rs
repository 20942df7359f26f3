//! Biometric checks: each attribute's ISO 19794 record (-4 finger `FIR`, -5 face `FAC`, -6 iris
//! `IIR`) and its quality against the settings' thresholds, with MOSIP's retry rule: below the
//! threshold a capture is refused until the retries are used up, then kept as forced.

use enrol_schema::settings::RegistrationSettings;

use super::error::RegistrationError;
use crate::packet::{BioAttribute, Modality};

/// Smallest plausible ISO 19794 record: the general header alone is longer.
const MIN_RECORD_BYTES: usize = 32;

/// Checks the record's format identifier for the attribute's modality.
pub fn check_record(attribute: BioAttribute, iso: &[u8]) -> Result<(), RegistrationError> {
    let magic: &[u8; 4] = match attribute.modality() {
        Modality::Finger => b"FIR\0",
        Modality::Iris => b"IIR\0",
        Modality::Face => b"FAC\0",
    };
    if iso.len() < MIN_RECORD_BYTES || !iso.starts_with(magic) {
        return Err(RegistrationError::BiometricRecordInvalid {
            attribute: attribute.as_str().to_owned(),
            modality: attribute.modality().as_str(),
        });
    }
    Ok(())
}

/// The quality threshold of an attribute and how many attempts it may take.
pub fn limits(settings: &RegistrationSettings, attribute: BioAttribute) -> (u32, u32) {
    let (threshold, max) = match attribute {
        BioAttribute::LeftThumb | BioAttribute::RightThumb => {
            (settings.quality.thumb, settings.retries.finger)
        }
        _ => match attribute.modality() {
            Modality::Finger => (settings.quality.slap, settings.retries.finger),
            Modality::Iris => (settings.quality.iris, settings.retries.iris),
            Modality::Face => (settings.quality.face, settings.retries.face),
        },
    };
    (u32::from(threshold), u32::from(max))
}

/// Whether a capture of `quality` after `retries` attempts is kept, and if so whether it was
/// forced (kept below the threshold because the retries ran out).
pub fn check_quality(
    settings: &RegistrationSettings,
    attribute: BioAttribute,
    quality: u32,
    retries: u32,
) -> Result<bool, RegistrationError> {
    let (threshold, max) = limits(settings, attribute);
    if quality >= threshold {
        return Ok(false);
    }
    if retries >= max {
        return Ok(true);
    }
    Err(RegistrationError::BiometricQualityLow {
        attribute: attribute.as_str().to_owned(),
        quality,
        threshold,
        retries,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(attribute: BioAttribute, quality: u32, retries: u32, expected: Result<bool, &str>) {
        let settings = RegistrationSettings::default();
        let outcome = check_quality(&settings, attribute, quality, retries).map_err(|e| e.code());
        assert_eq!(outcome, expected);
    }

    #[test]
    fn low_quality_is_refused_until_the_retries_run_out() {
        check(BioAttribute::LeftIndex, 40, 1, Ok(false));
        check(BioAttribute::LeftIndex, 39, 1, Err("BIOMETRIC_QUALITY_LOW"));
        check(BioAttribute::LeftIndex, 39, 3, Ok(true));
        check(BioAttribute::Face, 89, 2, Err("BIOMETRIC_QUALITY_LOW"));
        check(BioAttribute::LeftEye, 60, 1, Ok(false));
    }

    #[test]
    fn records_must_carry_their_modality_format_identifier() {
        let mut finger = b"FIR\0".to_vec();
        finger.resize(64, 0);
        assert!(check_record(BioAttribute::LeftThumb, &finger).is_ok());
        let error = check_record(BioAttribute::Face, &finger).unwrap_err();
        assert_eq!(error.code(), "BIOMETRIC_RECORD_INVALID");
        assert!(check_record(BioAttribute::LeftThumb, b"FIR\0").is_err());
    }
}
