//! USB enumeration and hot-plug watching through `nusb`, a table of known VID:PID, and what the
//! bridge can do with each device: drive it, or say why not. Listing goes through the
//! `DeviceLister` trait so tests inject devices; a missing USB subsystem or a permission problem
//! is reported as such, never hidden.

use nusb::MaybeFuture;

/// What the bridge knows about a USB device without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDevice {
    pub vendor_id: u16,
    pub product_id: u16,
    pub bus: String,
    pub address: u8,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub class: u8,
    pub interface_classes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsbError {
    #[error("no USB subsystem on this machine ({0})")]
    NoSubsystem(String),
    #[error(
        "permission denied while reading USB devices ({0}); add a udev rule or run with access to /dev/bus/usb"
    )]
    PermissionDenied(String),
    #[error("USB enumeration failed: {0}")]
    Other(String),
}

impl UsbError {
    pub fn code(&self) -> &'static str {
        match self {
            UsbError::NoSubsystem(_) => "USB_NO_SUBSYSTEM",
            UsbError::PermissionDenied(_) => "USB_PERMISSION",
            UsbError::Other(_) => "USB_OTHER",
        }
    }
}

/// Lists the USB devices present.
pub trait DeviceLister {
    fn list(&self) -> Result<Vec<UsbDevice>, UsbError>;
}

/// The real lister, backed by nusb.
#[derive(Debug, Default)]
pub struct NusbLister;

fn nusb_error(error: nusb::Error) -> UsbError {
    let message = error.to_string();
    match error.kind() {
        nusb::ErrorKind::PermissionDenied => UsbError::PermissionDenied(message),
        nusb::ErrorKind::NotFound | nusb::ErrorKind::Unsupported => UsbError::NoSubsystem(message),
        _ if message.contains("not found") => UsbError::NoSubsystem(message),
        _ => UsbError::Other(message),
    }
}

fn describe(info: &nusb::DeviceInfo) -> UsbDevice {
    UsbDevice {
        vendor_id: info.vendor_id(),
        product_id: info.product_id(),
        bus: info.bus_id().to_string(),
        address: info.device_address(),
        manufacturer: info.manufacturer_string().map(str::to_string),
        product: info.product_string().map(str::to_string),
        class: info.class(),
        interface_classes: info.interfaces().map(|i| i.class()).collect(),
    }
}

impl DeviceLister for NusbLister {
    fn list(&self) -> Result<Vec<UsbDevice>, UsbError> {
        let devices = nusb::list_devices().wait().map_err(nusb_error)?;
        Ok(devices.map(|info| describe(&info)).collect())
    }
}

/// What the bridge can do with a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// A driver exists; `how` tells the operator how to use it.
    Supported {
        driver: &'static str,
        how: &'static str,
    },
    /// A biometric device the bridge cannot drive, and why.
    Unsupported { reason: &'static str },
    /// Not a biometric device (keyboards, hubs, …).
    NotBiometric,
}

struct Known {
    vendor_id: u16,
    /// `None`: any product of this vendor.
    product_id: Option<u16>,
    name: &'static str,
    support: Support,
}

const SERIAL_HOW: &str =
    "a USB-serial adapter; if an R30x/ZFM/AS608 module is wired to it, pass its tty with --serial";
const TOUCH_SENSOR: &str =
    "a laptop touch fingerprint sensor (libfprint class), not a registration-grade SBI device";

const KNOWN: &[Known] = &[
    Known {
        vendor_id: 0x1a86,
        product_id: Some(0x7523),
        name: "QinHeng CH340 USB-serial",
        support: Support::Supported {
            driver: "r30x-serial",
            how: SERIAL_HOW,
        },
    },
    Known {
        vendor_id: 0x10c4,
        product_id: Some(0xea60),
        name: "Silicon Labs CP210x USB-serial",
        support: Support::Supported {
            driver: "r30x-serial",
            how: SERIAL_HOW,
        },
    },
    Known {
        vendor_id: 0x0403,
        product_id: Some(0x6001),
        name: "FTDI FT232R USB-serial",
        support: Support::Supported {
            driver: "r30x-serial",
            how: SERIAL_HOW,
        },
    },
    Known {
        vendor_id: 0x067b,
        product_id: Some(0x2303),
        name: "Prolific PL2303 USB-serial",
        support: Support::Supported {
            driver: "r30x-serial",
            how: SERIAL_HOW,
        },
    },
    Known {
        vendor_id: 0x05ba,
        product_id: None,
        name: "DigitalPersona U.are.U reader",
        support: Support::Unsupported {
            reason: "needs the U.are.U (uru4000-class) USB driver, which the bridge does not have yet",
        },
    },
    Known {
        vendor_id: 0x06cb,
        product_id: None,
        name: "Synaptics fingerprint sensor",
        support: Support::Unsupported {
            reason: TOUCH_SENSOR,
        },
    },
    Known {
        vendor_id: 0x138a,
        product_id: None,
        name: "Validity fingerprint sensor",
        support: Support::Unsupported {
            reason: TOUCH_SENSOR,
        },
    },
    Known {
        vendor_id: 0x27c6,
        product_id: None,
        name: "Goodix fingerprint sensor",
        support: Support::Unsupported {
            reason: TOUCH_SENSOR,
        },
    },
    Known {
        vendor_id: 0x147e,
        product_id: None,
        name: "UPEK fingerprint sensor",
        support: Support::Unsupported {
            reason: TOUCH_SENSOR,
        },
    },
    Known {
        vendor_id: 0x08ff,
        product_id: None,
        name: "AuthenTec fingerprint sensor",
        support: Support::Unsupported {
            reason: TOUCH_SENSOR,
        },
    },
    Known {
        vendor_id: 0x1c7a,
        product_id: None,
        name: "Egis fingerprint sensor",
        support: Support::Unsupported {
            reason: TOUCH_SENSOR,
        },
    },
];

const VIDEO_CLASS: u8 = 0x0E;

/// Classifies a device by the known table, then by interface class.
pub fn classify(device: &UsbDevice) -> (Option<&'static str>, Support) {
    if let Some(known) = KNOWN.iter().find(|k| {
        k.vendor_id == device.vendor_id && k.product_id.is_none_or(|p| p == device.product_id)
    }) {
        return (Some(known.name), known.support.clone());
    }
    if device.class == VIDEO_CLASS || device.interface_classes.contains(&VIDEO_CLASS) {
        return (
            None,
            Support::Unsupported {
                reason: "a UVC camera; face and iris capture from plain cameras is not implemented",
            },
        );
    }
    (None, Support::NotBiometric)
}

/// A listing with its classification, or the reason there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbSurvey {
    pub devices: Vec<(UsbDevice, Option<&'static str>, Support)>,
    pub problem: Option<UsbError>,
}

pub fn survey(lister: &dyn DeviceLister) -> UsbSurvey {
    match lister.list() {
        Ok(devices) => UsbSurvey {
            devices: devices
                .into_iter()
                .map(|device| {
                    let (name, support) = classify(&device);
                    (device, name, support)
                })
                .collect(),
            problem: None,
        },
        Err(problem) => UsbSurvey {
            devices: Vec::new(),
            problem: Some(problem),
        },
    }
}

/// Watches hot-plug events and reports each connected device with its classification.
/// Returns an error when the platform offers no USB hot-plug source.
pub fn watch(report: impl Fn(String) + Send + 'static) -> Result<(), UsbError> {
    use futures_util::StreamExt;
    let mut events = nusb::watch_devices().map_err(nusb_error)?;
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                nusb::hotplug::HotplugEvent::Connected(info) => {
                    let device = describe(&info);
                    let (name, support) = classify(&device);
                    report(format!(
                        "usb connected {:04x}:{:04x} {} -> {:?}",
                        device.vendor_id,
                        device.product_id,
                        name.or(device.product.as_deref()).unwrap_or("unknown"),
                        support
                    ));
                }
                nusb::hotplug::HotplugEvent::Disconnected(id) => {
                    report(format!("usb disconnected {id:?}"))
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Result<Vec<UsbDevice>, UsbError>);

    impl DeviceLister for Fixed {
        fn list(&self) -> Result<Vec<UsbDevice>, UsbError> {
            self.0.clone()
        }
    }

    fn device(
        vendor_id: u16,
        product_id: u16,
        address: u8,
        interface_classes: Vec<u8>,
    ) -> UsbDevice {
        UsbDevice {
            vendor_id,
            product_id,
            bus: "1".into(),
            address,
            manufacturer: None,
            product: Some("test".into()),
            class: 0,
            interface_classes,
        }
    }

    #[test]
    fn devices_are_classified_with_reasons() {
        let lister = Fixed(Ok(vec![
            device(0x1a86, 0x7523, 2, vec![0xFF]),
            device(0x05ba, 0x000a, 3, vec![0xFF]),
            device(0x046d, 0x0825, 4, vec![0x0E, 0x01]),
            device(0x046d, 0xc52b, 5, vec![0x03]),
        ]));
        let found = survey(&lister);
        assert_eq!(found.problem, None);
        let supports: Vec<&Support> = found.devices.iter().map(|(_, _, s)| s).collect();
        assert!(matches!(
            supports[0],
            Support::Supported {
                driver: "r30x-serial",
                ..
            }
        ));
        assert!(
            matches!(supports[1], Support::Unsupported { reason } if reason.contains("U.are.U"))
        );
        assert!(matches!(supports[2], Support::Unsupported { reason } if reason.contains("UVC")));
        assert_eq!(supports[3], &Support::NotBiometric);
    }

    #[test]
    fn enumeration_problems_are_reported() {
        let missing = survey(&Fixed(Err(UsbError::NoSubsystem(
            "/sys/bus/usb/devices/ not found".into(),
        ))));
        assert_eq!(
            missing.problem.as_ref().map(UsbError::code),
            Some("USB_NO_SUBSYSTEM")
        );
        assert!(
            missing
                .problem
                .expect("problem")
                .to_string()
                .contains("/sys/bus/usb/devices/")
        );
        let denied = survey(&Fixed(Err(UsbError::PermissionDenied("EACCES".into()))));
        assert!(
            denied
                .problem
                .expect("problem")
                .to_string()
                .contains("udev rule")
        );
        // On this machine the real lister must either list or explain why it cannot.
        match NusbLister.list() {
            Ok(_) => {}
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}
