//! Biometric capture from SBI devices into a draft, as MOSIP's client does it: the field's
//! attributes grouped by what one device capture takes (left slap, right slap, thumbs, both
//! irises, face), exceptions passed to the device, and each group captured again while its
//! quality is under the threshold and retries remain, then kept (as forced once they ran out).
//! The desktop app captures one group at a time from the device the operator picked
//! ([`Session::capture_attempt`]), the operator deciding when to capture again.

use std::time::Duration;

use enrol_schema::sbi::BioType;
use serde::Serialize;

use super::biometrics;
use super::draft::{DeviceSource, Registration};
use super::error::RegistrationError;
use super::form::Form;
use crate::error::Error;
use crate::packet::BioAttribute;
use crate::sbi::packet::{biometric_captures, registered_device};
use crate::sbi::{self, CaptureSpec, FoundDevice, SbiError, TrustedCas};
use crate::session::Session;

/// The devices to capture with and how long each capture may take.
#[derive(Debug, Clone, Copy)]
pub struct DeviceCapture<'a> {
    /// Devices found by discovery; only trusted ones are used.
    pub devices: &'a [FoundDevice],
    pub trusted: &'a TrustedCas,
    pub timeout: Duration,
}

/// What one device capture asks for: the attributes of one `deviceSubId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureGroup {
    pub bio_type: BioType,
    /// 1 left slap, 2 right slap, 3 thumbs or both irises, 0 face.
    pub device_sub_id: u32,
    pub wanted: Vec<BioAttribute>,
    pub excepted: Vec<BioAttribute>,
}

/// How one group's capture ended.
#[derive(Debug, Clone, Serialize)]
pub struct GroupOutcome {
    pub device_id: String,
    pub device_sub_id: u32,
    pub attributes: Vec<&'static str>,
    pub attempts: u32,
}

/// The groups `attributes` fall into, in MOSIP's capture order, leaving out groups whose every
/// attribute is an exception.
pub fn capture_groups(
    attributes: &[BioAttribute],
    exceptions: &[BioAttribute],
) -> Vec<CaptureGroup> {
    use BioAttribute::*;
    let layout: [(BioType, u32, &[BioAttribute]); 5] = [
        (
            BioType::Finger,
            1,
            &[LeftIndex, LeftMiddle, LeftRing, LeftLittle],
        ),
        (
            BioType::Finger,
            2,
            &[RightIndex, RightMiddle, RightRing, RightLittle],
        ),
        (BioType::Finger, 3, &[LeftThumb, RightThumb]),
        (BioType::Iris, 3, &[LeftEye, RightEye]),
        (BioType::Face, 0, &[Face]),
    ];
    layout
        .into_iter()
        .filter_map(|(bio_type, device_sub_id, members)| {
            let asked: Vec<BioAttribute> = members
                .iter()
                .copied()
                .filter(|a| attributes.contains(a))
                .collect();
            let (excepted, wanted): (Vec<_>, Vec<_>) =
                asked.into_iter().partition(|a| exceptions.contains(a));
            (!wanted.is_empty()).then_some(CaptureGroup {
                bio_type,
                device_sub_id,
                wanted,
                excepted,
            })
        })
        .collect()
}

/// One attribute of a planned capture: its quality threshold and how many attempts it may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAttribute {
    pub attribute: &'static str,
    pub threshold: u32,
    pub max_attempts: u32,
}

/// One device capture of a biometrics field, as a form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedGroup {
    pub bio_type: BioType,
    pub device_sub_id: u32,
    pub attributes: Vec<PlannedAttribute>,
}

impl Form {
    /// The device captures of the biometrics field `field` in MOSIP's order, each attribute
    /// with its threshold and attempts from the settings.
    pub fn capture_plan(&self, field: &str) -> Result<Vec<PlannedGroup>, RegistrationError> {
        let attributes = self.bio_attributes(field)?;
        Ok(capture_groups(&attributes, &[])
            .into_iter()
            .map(|group| PlannedGroup {
                bio_type: group.bio_type,
                device_sub_id: group.device_sub_id,
                attributes: group
                    .wanted
                    .iter()
                    .map(|attribute| {
                        let (threshold, max_attempts) =
                            biometrics::limits(&self.settings, *attribute);
                        PlannedAttribute {
                            attribute: attribute.as_str(),
                            threshold,
                            max_attempts,
                        }
                    })
                    .collect(),
            })
            .collect())
    }

    fn bio_attributes(&self, field: &str) -> Result<Vec<BioAttribute>, RegistrationError> {
        Ok(self
            .field_of_kind(field, true)?
            .bio_attributes
            .iter()
            .filter_map(|name| BioAttribute::parse(name))
            .collect())
    }
}

/// One capture the operator asked for (the desktop app's capture button): one group of one
/// biometrics field from a chosen device.
#[derive(Debug, Clone, Copy)]
pub struct CaptureAttempt<'a> {
    pub field: &'a str,
    pub bio_type: BioType,
    pub device_sub_id: u32,
    /// A device found by discovery; it must be trusted and offer the group's sub-id.
    pub device: &'a FoundDevice,
    pub timeout: Duration,
    /// 1 for the group's first capture, one more for each capture again.
    pub attempt: u32,
    /// A STREAM preview of this sub-device is open (the device reports Busy until the
    /// capture ends it).
    pub preview_open: bool,
}

/// One attribute's quality in an attempt, against its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeQuality {
    pub attribute: &'static str,
    pub quality: u32,
    pub threshold: u32,
    pub max_attempts: u32,
}

/// What one attempt gave: whether the draft kept it (every attribute at its threshold, or
/// forced once the attempts ran out) and each attribute's quality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptOutcome {
    pub attempt: u32,
    pub kept: bool,
    pub qualities: Vec<AttributeQuality>,
}

/// Whether `device` may capture `group`: trusted, of its modality, offering its sub-id.
fn offers(device: &FoundDevice, group: &CaptureGroup) -> bool {
    device.is_trusted()
        && device
            .digital_id
            .as_ref()
            .is_some_and(|id| id.bio_type == group.bio_type)
        && device
            .info
            .device_sub_id
            .iter()
            .any(|id| id.trim() == group.device_sub_id.to_string())
}

fn no_device(group: &CaptureGroup) -> SbiError {
    SbiError::NoDevice {
        bio_type: group.bio_type.as_str(),
        device_sub_id: group.device_sub_id,
    }
}

/// The RCAPTURE request of a group: the group's highest threshold as `requestedScore`.
fn capture_spec(
    form: &Form,
    group: &CaptureGroup,
    timeout: Duration,
    previous_hash: Option<String>,
    preview_open: bool,
) -> CaptureSpec {
    let threshold = group
        .wanted
        .iter()
        .map(|a| biometrics::limits(&form.settings, *a).0)
        .max()
        .unwrap_or_default();
    CaptureSpec {
        device_sub_id: group.device_sub_id,
        count: u32::try_from(group.wanted.len()).unwrap_or(u32::MAX),
        bio_sub_types: group.wanted.clone(),
        exceptions: group.excepted.clone(),
        requested_score: f64::from(threshold),
        timeout,
        previous_hash,
        preview_open,
    }
}

impl Session {
    /// Captures every attribute of the biometrics `field` that is neither captured yet nor an
    /// exception from the trusted devices, saving each accepted group to the draft as it is
    /// captured.
    pub fn capture_from_devices(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        with: DeviceCapture<'_>,
    ) -> Result<Vec<GroupOutcome>, Error> {
        let attributes: Vec<BioAttribute> = form
            .bio_attributes(field)?
            .into_iter()
            .filter(|a| {
                !registration
                    .biometrics
                    .iter()
                    .any(|b| b.field == field && b.attribute == a.as_str())
            })
            .collect();
        let exceptions = registration_exceptions(registration, field);
        let mut previous_hash = None;
        let mut outcomes = Vec::new();
        for group in capture_groups(&attributes, &exceptions) {
            let device = with
                .devices
                .iter()
                .find(|d| offers(d, &group))
                .ok_or_else(|| no_device(&group))?;
            let spec = capture_spec(form, &group, with.timeout, previous_hash, false);
            // MOSIP's rule: below the threshold, capture again until the retries run out (the
            // draft then keeps the capture as forced, so this loop ends).
            let mut attempt = 1;
            let last_hash = loop {
                let (outcome, last_hash) = self.attempt_group(
                    registration,
                    form,
                    field,
                    device,
                    &spec,
                    with.trusted,
                    attempt,
                )?;
                if outcome.kept {
                    break last_hash;
                }
                attempt += 1;
            };
            previous_hash = Some(last_hash);
            outcomes.push(GroupOutcome {
                device_id: device.info.device_id.clone(),
                device_sub_id: group.device_sub_id,
                attributes: group.wanted.iter().map(|a| a.as_str()).collect(),
                attempts: attempt,
            });
        }
        Ok(outcomes)
    }

    /// Captures one group once from the device the operator chose, with the trusted device
    /// providers of the store; the draft keeps it unless its quality is under the threshold
    /// with attempts left (then the operator captures again, or marks exceptions).
    pub fn capture_attempt(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        request: CaptureAttempt<'_>,
    ) -> Result<AttemptOutcome, Error> {
        let trusted = self.trusted_device_providers()?;
        let exceptions = registration_exceptions(registration, request.field);
        let group = capture_groups(&form.bio_attributes(request.field)?, &exceptions)
            .into_iter()
            .find(|g| g.bio_type == request.bio_type && g.device_sub_id == request.device_sub_id)
            .ok_or_else(|| RegistrationError::NothingToCapture {
                field: request.field.to_owned(),
                bio_type: request.bio_type.as_str(),
                device_sub_id: request.device_sub_id,
            })?;
        if !offers(request.device, &group) {
            return Err(no_device(&group).into());
        }
        let spec = capture_spec(form, &group, request.timeout, None, request.preview_open);
        let (outcome, _) = self.attempt_group(
            registration,
            form,
            request.field,
            request.device,
            &spec,
            &trusted,
            request.attempt.max(1),
        )?;
        Ok(outcome)
    }

    /// One RCAPTURE of `spec` saved to the draft as attempt `attempt`; a capture under the
    /// threshold with attempts left is reported, not kept. Returns the chain head too.
    #[allow(clippy::too_many_arguments)]
    fn attempt_group(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        device: &FoundDevice,
        spec: &CaptureSpec,
        trusted: &TrustedCas,
        attempt: u32,
    ) -> Result<(AttemptOutcome, String), Error> {
        let registered = registered_device(device).ok_or_else(|| SbiError::NotUsable {
            device_id: device.info.device_id.clone(),
            reason: "no digitalId".into(),
        })?;
        let capture = sbi::capture(device, spec, trusted)?;
        let captures = biometric_captures(&capture, attempt);
        let qualities = captures
            .iter()
            .map(|captured| {
                let (threshold, max_attempts) =
                    biometrics::limits(&form.settings, captured.attribute);
                AttributeQuality {
                    attribute: captured.attribute.as_str(),
                    quality: captured.quality,
                    threshold,
                    max_attempts,
                }
            })
            .collect();
        let saved = self.update_registration(registration, "biometrics", |r| {
            for captured in captures {
                let source = DeviceSource {
                    payload: captured.payload.clone().unwrap_or_default(),
                    spec_version: captured.spec_version.clone(),
                    bir_index: captured.bir_index.clone(),
                    device: registered.clone(),
                };
                r.add_device_biometric(form, field, captured, source)?;
            }
            Ok(())
        });
        let kept = match saved {
            Ok(()) => true,
            Err(Error::Registration(RegistrationError::BiometricQualityLow { .. })) => false,
            Err(error) => return Err(error),
        };
        Ok((
            AttemptOutcome {
                attempt,
                kept,
                qualities,
            },
            capture.last_hash,
        ))
    }
}

/// The attributes of `field` the registration marked as exceptions.
fn registration_exceptions(registration: &Registration, field: &str) -> Vec<BioAttribute> {
    registration
        .exceptions
        .iter()
        .filter(|e| e.field == field)
        .filter_map(|e| BioAttribute::parse(&e.attribute))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use BioAttribute::*;

    #[track_caller]
    fn check(exceptions: &[BioAttribute], expected: &[(u32, &[BioAttribute], &[BioAttribute])]) {
        let groups = capture_groups(&BioAttribute::ALL, exceptions);
        let found: Vec<(u32, &[BioAttribute], &[BioAttribute])> = groups
            .iter()
            .map(|g| (g.device_sub_id, g.wanted.as_slice(), g.excepted.as_slice()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn attributes_group_by_device_capture_and_exceptions_go_with_their_group() {
        let left: &[BioAttribute] = &[LeftIndex, LeftMiddle, LeftRing, LeftLittle];
        let right: &[BioAttribute] = &[RightIndex, RightMiddle, RightRing, RightLittle];
        check(
            &[],
            &[
                (1, left, &[]),
                (2, right, &[]),
                (3, &[LeftThumb, RightThumb], &[]),
                (3, &[LeftEye, RightEye], &[]),
                (0, &[Face], &[]),
            ],
        );
        check(
            &[
                LeftRing,
                RightEye,
                RightThumb,
                RightIndex,
                RightMiddle,
                RightRing,
                RightLittle,
            ],
            &[
                (1, &[LeftIndex, LeftMiddle, LeftLittle], &[LeftRing]),
                (3, &[LeftThumb], &[RightThumb]),
                (3, &[LeftEye], &[RightEye]),
                (0, &[Face], &[]),
            ],
        );
    }

    #[test]
    fn the_capture_plan_gives_each_attribute_its_threshold_and_attempts() {
        let mut settings = enrol_schema::settings::RegistrationSettings::default();
        settings.quality.thumb = 45;
        settings.retries.face = 5;
        let form = Form::defaults(enrol_schema::packet::Process::New, settings).unwrap();
        type Planned<'a> = (BioType, u32, Vec<(&'a str, u32, u32)>);
        let plan: Vec<Planned> = form
            .capture_plan("individualBiometrics")
            .unwrap()
            .into_iter()
            .map(|group| {
                let attributes = group
                    .attributes
                    .iter()
                    .map(|a| (a.attribute, a.threshold, a.max_attempts))
                    .collect();
                (group.bio_type, group.device_sub_id, attributes)
            })
            .collect();
        let slap = |fingers: [&'static str; 4]| fingers.map(|f| (f, 40, 3)).to_vec();
        assert_eq!(
            plan,
            [
                (
                    BioType::Finger,
                    1,
                    slap(["leftIndex", "leftMiddle", "leftRing", "leftLittle"])
                ),
                (
                    BioType::Finger,
                    2,
                    slap(["rightIndex", "rightMiddle", "rightRing", "rightLittle"])
                ),
                (
                    BioType::Finger,
                    3,
                    vec![("leftThumb", 45, 3), ("rightThumb", 45, 3)]
                ),
                (
                    BioType::Iris,
                    3,
                    vec![("leftEye", 60, 3), ("rightEye", 60, 3)]
                ),
                (BioType::Face, 0, vec![("face", 90, 5)]),
            ]
        );
        let refused = form.capture_plan("proofOfAddress").unwrap_err();
        assert_eq!(refused.code(), "REGISTRATION_UNKNOWN_FIELD");
    }
}
