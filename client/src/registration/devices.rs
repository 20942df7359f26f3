//! Biometric capture from SBI devices into a draft, as MOSIP's client does it: the field's
//! attributes grouped by what one device capture takes (left slap, right slap, thumbs, both
//! irises, face), exceptions passed to the device, and each group captured again while its
//! quality is under the threshold and retries remain, then kept (as forced once they ran out).

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
        let ui = form.field_of_kind(field, true)?;
        let attributes: Vec<BioAttribute> = ui
            .bio_attributes
            .iter()
            .filter_map(|name| BioAttribute::parse(name))
            .collect();
        let exceptions: Vec<BioAttribute> = registration
            .exceptions
            .iter()
            .filter(|e| e.field == field)
            .filter_map(|e| BioAttribute::parse(&e.attribute))
            .collect();
        let attributes: Vec<BioAttribute> = attributes
            .into_iter()
            .filter(|a| {
                !registration
                    .biometrics
                    .iter()
                    .any(|b| b.field == field && b.attribute == a.as_str())
            })
            .collect();
        let mut previous_hash = None;
        let mut outcomes = Vec::new();
        for group in capture_groups(&attributes, &exceptions) {
            let device = with
                .devices
                .iter()
                .find(|d| {
                    d.is_trusted()
                        && d.digital_id
                            .as_ref()
                            .is_some_and(|id| id.bio_type == group.bio_type)
                        && d.info
                            .device_sub_id
                            .iter()
                            .any(|id| id.trim() == group.device_sub_id.to_string())
                })
                .ok_or(SbiError::NoDevice {
                    bio_type: group.bio_type.as_str(),
                    device_sub_id: group.device_sub_id,
                })?;
            let (attempts, last_hash) = self.capture_group(
                registration,
                form,
                field,
                &group,
                device,
                &with,
                previous_hash,
            )?;
            previous_hash = Some(last_hash);
            outcomes.push(GroupOutcome {
                device_id: device.info.device_id.clone(),
                device_sub_id: group.device_sub_id,
                attributes: group.wanted.iter().map(|a| a.as_str()).collect(),
                attempts,
            });
        }
        Ok(outcomes)
    }

    /// Captures one group until the draft accepts it; returns the attempts and the chain head.
    #[allow(clippy::too_many_arguments)]
    fn capture_group(
        &mut self,
        registration: &mut Registration,
        form: &Form,
        field: &str,
        group: &CaptureGroup,
        device: &FoundDevice,
        with: &DeviceCapture<'_>,
        previous_hash: Option<String>,
    ) -> Result<(u32, String), Error> {
        let registered = registered_device(device).ok_or_else(|| SbiError::NotUsable {
            device_id: device.info.device_id.clone(),
            reason: "no digitalId".into(),
        })?;
        let threshold = group
            .wanted
            .iter()
            .map(|a| biometrics::limits(&form.settings, *a).0)
            .max()
            .unwrap_or_default();
        let spec = CaptureSpec {
            device_sub_id: group.device_sub_id,
            count: u32::try_from(group.wanted.len()).unwrap_or(u32::MAX),
            bio_sub_types: group.wanted.clone(),
            exceptions: group.excepted.clone(),
            requested_score: f64::from(threshold),
            timeout: with.timeout,
            previous_hash,
            preview_open: false,
        };
        let mut attempts = 1;
        loop {
            let capture = sbi::capture(device, &spec, with.trusted)?;
            let captures = biometric_captures(&capture, attempts);
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
            match saved {
                Ok(()) => return Ok((attempts, capture.last_hash)),
                // MOSIP's rule: below the threshold, capture again until the retries run out
                // (the draft then keeps the capture as forced, so this loop ends).
                Err(Error::Registration(RegistrationError::BiometricQualityLow { .. })) => {
                    attempts += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }
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
}
