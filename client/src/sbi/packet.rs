//! CBEFF assembly: verified captures become the packet builder's biometric input, with the SBI
//! data block for CBEFF `PAYLOAD` and the device's digitalId for `capturedRegisteredDevices`.

use enrol_schema::sbi::DigitalId as WireDigitalId;

use super::capture::Capture;
use super::discovery::FoundDevice;
use crate::packet::{BiometricCapture, BiometricException, DigitalId, RegisteredDevice};

/// MOSIP's placeholder for the ISO record in a stored capture payload (§3.2).
pub const BIO_VALUE_PLACEHOLDER: &str = "<bioValue>";

/// The packet builder's captures for one verified RCAPTURE; `retries` is how many attempts the
/// operator made for this capture.
pub fn biometric_captures(capture: &Capture, retries: u32) -> Vec<BiometricCapture> {
    capture
        .biometrics
        .iter()
        .map(|biometric| {
            let mut payload = biometric.data.clone();
            if let Some(value) = payload.get_mut("bioValue") {
                *value = BIO_VALUE_PLACEHOLDER.into();
            }
            BiometricCapture {
                attribute: biometric.attribute,
                iso: biometric.iso.clone(),
                quality: biometric.quality.round().clamp(0.0, 100.0) as u32,
                captured_at: biometric.captured_at,
                retries,
                sdk_score: 0.0,
                force_captured: biometric.quality < biometric.requested_score,
                payload: Some(payload.to_string()),
                spec_version: biometric.spec_version.clone(),
                bir_index: format!(
                    "{}-{}",
                    capture.transaction_id,
                    biometric.attribute.as_str()
                ),
            }
        })
        .collect()
}

/// The packet builder's exceptions for one capture, with the operator's reason and type.
pub fn biometric_exceptions(
    capture: &Capture,
    reason: &str,
    exception_type: &str,
) -> Vec<BiometricException> {
    capture
        .exceptions
        .iter()
        .map(|&attribute| BiometricException {
            attribute,
            reason: reason.to_owned(),
            exception_type: exception_type.to_owned(),
        })
        .collect()
}

/// The packet's `capturedRegisteredDevices` entry for a device, when it has a digitalId.
pub fn registered_device(device: &FoundDevice) -> Option<RegisteredDevice> {
    let id: &WireDigitalId = device.digital_id.as_ref()?;
    Some(RegisteredDevice {
        device_code: device.info.device_code.clone(),
        device_service_version: device.info.service_version.clone(),
        digital_id: DigitalId {
            serial_no: id.serial_no.clone(),
            make: id.make.clone(),
            model: id.model.clone(),
            device_type: id.bio_type.as_str().to_owned(),
            device_sub_type: id.device_sub_type.clone(),
            device_provider_id: id.device_provider_id.clone(),
            device_provider: id.device_provider.clone(),
            date_time: id.date_time.clone(),
        },
    })
}
