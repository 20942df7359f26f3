//! Enrol's device bridge: an SBI 0.9.5 service over simulated, serial and USB biometric devices.
